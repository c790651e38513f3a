//! What the domain table holds: the domain item and its action-log entries.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

use crate::status::{Operation, Status, UnknownName};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Provider,
    Customer,
}

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Provider => "provider",
            AccountKind::Customer => "customer",
        }
    }
}

impl FromStr for AccountKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "provider" => Ok(AccountKind::Provider),
            "customer" => Ok(AccountKind::Customer),
            other => Err(UnknownName {
                what: "account kind",
                value: other.to_owned(),
            }),
        }
    }
}

/// The domain item (`pk = DOMAIN#<name>`, `sk = DOMAIN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainRecord {
    pub domain: String,
    pub domain_unicode: String,
    pub status: Status,
    pub registered: bool,
    pub operation: Operation,
    pub account_id: String,
    pub account_kind: AccountKind,
    pub order_id: Option<String>,
    /// Client transaction id of the operation in flight.
    pub ctid: Option<String>,
    /// The ctid of the last operation that was settled (to spot repeats).
    pub last_ctid: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
    /// The event that started the current operation (`ORDER#…#ITEM#…` / `REQUEST#…`).
    pub request_ref: Option<String>,
    /// When the operation in flight was sent (for reconciliation).
    pub operation_started_at: Option<String>,
    pub stid: Option<String>,
    pub job_id: Option<String>,
    /// The registration or transfer request as JSON, auth code removed:
    /// kept while `AwaitingPayment`, and once sent, so it can be retried.
    pub pending_request: Option<String>,
    /// Its auth code, sealed (never in clear).
    pub pending_auth_code: Option<String>,
    /// Name servers as last confirmed (or sent with the registration).
    pub nameservers: Vec<String>,
    /// The name-server set of a change in flight; stored as `nameservers`
    /// once InterNetX confirms it.
    pub requested_nameservers: Option<Vec<String>>,
    /// Contact handles by slot (`owner`, `admin`, `tech`, `zone`): the
    /// InterNetX handle id, or our alias for a contact sent in full.
    pub contacts: BTreeMap<String, String>,
    /// The contact slots of a change in flight.
    pub requested_contacts: Option<BTreeMap<String, String>>,
    /// Where status mails go (`account.email` of the event that created or
    /// last ordered the domain) and in which language.
    pub notify_email: Option<String>,
    pub notify_language: Option<String>,
}

impl DomainRecord {
    /// A domain with `operation` in flight under `ctid`, sent by a provider
    /// account: what tests, benchmarks and tools seed a table with.
    pub fn in_flight(domain: &str, operation: Operation, ctid: &str, at: OffsetDateTime) -> Self {
        let mut record = Self::new(
            domain,
            domain,
            operation,
            "PROVIDER",
            AccountKind::Provider,
            at,
        );
        record.status = operation.pending_status();
        record.registered = true;
        record.ctid = Some(ctid.to_owned());
        record.version = 1;
        record.request_ref = Some(format!("REQUEST#{ctid}"));
        record.operation_started_at = Some(record.created_at.clone());
        record
    }

    /// A domain item not yet written (version 0), in `Error` until a
    /// workflow gives it its real state.
    pub fn new(
        ascii: &str,
        unicode: &str,
        operation: Operation,
        account_id: &str,
        account_kind: AccountKind,
        at: OffsetDateTime,
    ) -> Self {
        let now = timestamp(at);
        Self {
            domain: ascii.to_owned(),
            domain_unicode: unicode.to_owned(),
            status: Status::Error,
            registered: false,
            operation,
            account_id: account_id.to_owned(),
            account_kind,
            order_id: None,
            ctid: None,
            last_ctid: None,
            last_error: None,
            created_at: now.clone(),
            updated_at: now,
            version: 0,
            request_ref: None,
            operation_started_at: None,
            stid: None,
            job_id: None,
            pending_request: None,
            pending_auth_code: None,
            nameservers: Vec::new(),
            requested_nameservers: None,
            contacts: BTreeMap::new(),
            requested_contacts: None,
            notify_email: None,
            notify_language: None,
        }
    }

    /// The operation in flight succeeded: its final status, what a change
    /// requested becomes what the domain has, the ctid is retired.
    pub fn settle_success(&mut self) {
        self.adopt_requested();
        self.status = self.operation.done_status();
        self.registered = true;
        self.last_ctid = self.ctid.take().or(self.last_ctid.take());
        self.last_error = None;
    }

    /// The operation in flight failed: `Error` with the reason; a failed
    /// registration or transfer leaves the domain unregistered, a failed
    /// change leaves it as it was.
    pub fn settle_failure(&mut self, reason: String) {
        self.drop_requested();
        self.status = Status::Error;
        if matches!(self.operation, Operation::Register | Operation::Transfer) {
            self.registered = false;
        }
        self.last_ctid = self.ctid.take().or(self.last_ctid.take());
        self.last_error = Some(reason);
    }

    /// What a change requested becomes what the domain has.
    fn adopt_requested(&mut self) {
        if let Some(ns) = self.requested_nameservers.take() {
            self.nameservers = ns;
        }
        if let Some(contacts) = self.requested_contacts.take() {
            self.contacts.extend(contacts);
        }
    }

    /// A failed change leaves the domain as it was.
    pub(crate) fn drop_requested(&mut self) {
        self.requested_nameservers = None;
        self.requested_contacts = None;
    }
}

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
    fn a_failed_change_leaves_nothing_for_the_next_success_to_adopt() {
        let at = time::OffsetDateTime::now_utc();
        let mut d = DomainRecord::in_flight("x.de", Operation::UpdateNameservers, "ib-1", at);
        d.nameservers = vec!["old.ns.net".into(), "old2.ns.net".into()];
        d.requested_nameservers = Some(vec!["new.ns.net".into(), "new2.ns.net".into()]);
        d.settle_failure("registry refused".into());
        assert_eq!(d.status, Status::Error);
        assert!(d.registered, "a failed change leaves the domain registered");
        assert_eq!(d.last_ctid.as_deref(), Some("ib-1"));
        assert!(d.ctid.is_none() && d.requested_nameservers.is_none());

        d.operation = Operation::UpdateContacts;
        d.ctid = Some("ib-2".into());
        d.requested_contacts = Some([("admin".to_owned(), "4711".to_owned())].into());
        d.settle_success();
        assert_eq!(d.status, Status::Registered);
        assert_eq!(d.nameservers, ["old.ns.net", "old2.ns.net"]);
        assert_eq!(d.contacts["admin"], "4711");
        assert_eq!(d.last_ctid.as_deref(), Some("ib-2"));
        assert!(d.last_error.is_none());
    }

    #[test]
    fn timestamps_are_fixed_width_utc_with_microseconds() {
        let at = time::macros::datetime!(2026-11-29 03:04:05.000007 +01:00);
        assert_eq!(timestamp(at), "2026-11-29T02:04:05.000007Z");
    }
}
