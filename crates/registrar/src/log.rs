//! The action log: one entry per step, in time order (CONTRACT.md §2).

use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Error,
    Ignored,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Ignored => "ignored",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One action-log item (`sk = LOG#<time>#<suffix>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub at: OffsetDateTime,
    pub action: &'static str,
    pub outcome: Outcome,
    pub message: String,
    pub ctid: Option<String>,
    pub stid: Option<String>,
    pub code: Option<String>,
    pub text: Option<String>,
    pub s3_key: Option<String>,
    pub request_ref: Option<String>,
    pub request_xml: Option<String>,
    pub response_xml: Option<String>,
    pub status_from: Option<String>,
    pub status_to: Option<String>,
}

impl LogEntry {
    pub fn new(
        at: OffsetDateTime,
        action: &'static str,
        outcome: Outcome,
        message: String,
    ) -> Self {
        Self {
            at,
            action,
            outcome,
            message,
            ctid: None,
            stid: None,
            code: None,
            text: None,
            s3_key: None,
            request_ref: None,
            request_xml: None,
            response_xml: None,
            status_from: None,
            status_to: None,
        }
    }

    pub fn ctid(mut self, ctid: Option<&str>) -> Self {
        self.ctid = ctid.map(str::to_owned);
        self
    }

    pub fn request_ref(mut self, key: &str) -> Self {
        self.request_ref = Some(key.to_owned());
        self
    }
}

/// Action names used in the log.
pub mod action {
    pub const REQUEST_SENT: &str = "request.sent";
    pub const REQUEST_REJECTED: &str = "request.rejected";
    pub const REQUEST_AWAITING_PAYMENT: &str = "request.awaiting_payment";
    pub const GATEWAY_REPLIED: &str = "gateway.replied";
    pub const GATEWAY_FAILED: &str = "gateway.failed";
    pub const STATUS_CHANGED: &str = "status.changed";
    pub const MAIL_RECEIVED: &str = "mail.received";
    pub const RECONCILE_CHECKED: &str = "reconcile.checked";
    pub const OPERATOR_RESOLVED: &str = "operator.resolved";
    pub const NOTICE_SENT: &str = "notice.sent";
    pub const NOTICE_FAILED: &str = "notice.failed";
    /// The sync compared the domain with InterNetX's data and they differ.
    pub const SYNC_DRIFT: &str = "sync.drift";
    /// Domain info, asked by the sync or a registry event's check.
    pub const SYNC_CHECKED: &str = "sync.checked";
    /// An outgoing transfer reported and left unanswered (the operator's).
    pub const SYNC_TRANSFER_OUT: &str = "sync.transfer_out";
    /// The owner's ICANN verification, as Contact Verification Info
    /// (`0344`) showed it, changed.
    pub const SYNC_VERIFICATION: &str = "sync.verification";
    pub const DOMAIN_IMPORTED: &str = "domain.imported";
    /// An earlier request of another account that reserved nothing (unpaid,
    /// never sent, expired) gave way to this one (CONTRACT.md §1).
    pub const REQUEST_SUPERSEDED: &str = "request.superseded";
    /// A kept auth code sealed again under the current sealing key.
    pub const OPERATOR_RESEALED: &str = "operator.resealed";

    const ALL: [&str; 18] = [
        REQUEST_SENT,
        REQUEST_REJECTED,
        REQUEST_AWAITING_PAYMENT,
        GATEWAY_REPLIED,
        GATEWAY_FAILED,
        STATUS_CHANGED,
        MAIL_RECEIVED,
        RECONCILE_CHECKED,
        OPERATOR_RESOLVED,
        NOTICE_SENT,
        NOTICE_FAILED,
        SYNC_DRIFT,
        SYNC_CHECKED,
        SYNC_TRANSFER_OUT,
        SYNC_VERIFICATION,
        DOMAIN_IMPORTED,
        REQUEST_SUPERSEDED,
        OPERATOR_RESEALED,
    ];

    /// The action of this name, as read back from the table (`"unknown"`
    /// for a name this version does not write).
    pub fn named(name: &str) -> &'static str {
        ALL.into_iter().find(|a| *a == name).unwrap_or("unknown")
    }
}

/// A timestamp as written by [`timestamp`] (any RFC 3339 form).
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// RFC 3339 UTC with microseconds: sortable as text, as the log keys need.
pub fn timestamp(at: OffsetDateTime) -> String {
    let utc = at.to_offset(time::UtcOffset::UTC);
    utc.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    ))
    .unwrap_or_else(|_| utc.format(&Rfc3339).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_fixed_width_utc_with_microseconds() {
        let at = time::macros::datetime!(2026-11-29 03:04:05.000007 +01:00);
        assert_eq!(timestamp(at), "2026-11-29T02:04:05.000007Z");
        assert_eq!(parse_timestamp(&timestamp(at)), Some(at));
    }
}
