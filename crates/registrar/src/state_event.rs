//! The `DomainStateChanged` events the storefront and billing learn every
//! change from (CONTRACT.md §5), so they never read the table. The life
//! cycle decides which change owes one ([`owed`]) and writes it in the same
//! transaction as the change (the outbox); `publish-events` sends it.

use serde::{Deserialize, Serialize};

use crate::log::LogEntry;
use crate::record::{DomainRecord, Portfolio};
use crate::status::Status;

/// The bus event's `source` and `detail-type`.
pub const SOURCE: &str = "internetx-bridge";
pub const DETAIL_TYPE: &str = "DomainStateChanged";

/// What made the change: the function (or person) that committed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Cause {
    /// A result or registry mail (`inbound-mail`).
    Mail,
    /// The portfolio sync.
    Sync,
    /// Reconciliation of operations in flight too long.
    Reconcile,
    /// An operator's command.
    Operator,
    /// An event from the storefront or control center.
    Event,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventAccount {
    pub id: String,
    pub kind: String,
}

/// The event's `detail`. Every field is always present (`null` when
/// unknown), so a consumer reads one shape; an auth code is never in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateEvent {
    /// `<domain>#<version>`: the idempotency key.
    pub event_id: String,
    pub domain: String,
    pub domain_unicode: String,
    pub account: EventAccount,
    pub order_id: Option<String>,
    pub version: u64,
    /// `null` for a domain item that did not exist before.
    pub status_from: Option<String>,
    pub status_to: String,
    pub expires_at: Option<String>,
    pub payable_at: Option<String>,
    pub cancel_at: Option<String>,
    pub locked: Option<bool>,
    pub autorenew: Option<bool>,
    pub owner_verification: Option<String>,
    pub hold: bool,
    pub cause: Cause,
    pub reason: String,
}

/// The statuses whose arrival the storefront is told of.
fn announced(status: Status) -> bool {
    matches!(
        status,
        Status::Registered
            | Status::Error
            | Status::Cancelled
            | Status::TransferredAway
            | Status::Deleted
    )
}

/// The watched attributes that differ, as `name old → new` lines: compared
/// first, written out only when they differ (every commit asks).
fn changed_fields(before: &Portfolio, after: &Portfolio) -> Vec<String> {
    fn show<T: std::fmt::Display>(v: Option<T>) -> String {
        v.map_or("(none)".to_owned(), |v| v.to_string())
    }
    let mut out = Vec::new();
    macro_rules! watch {
        ($name:literal, |$p:ident| $read:expr) => {
            let (old, new) = (
                {
                    let $p = before;
                    $read
                },
                {
                    let $p = after;
                    $read
                },
            );
            if old != new {
                out.push(format!("{} {} → {}", $name, show(old), show(new)));
            }
        };
    }
    watch!("expires_at", |p| p.expires_at.as_deref());
    watch!("payable_at", |p| p.payable_at.as_deref());
    watch!("cancel_at", |p| p.cancel_at.as_deref());
    watch!("locked", |p| p.locked);
    watch!("autorenew", |p| p.autorenew);
    watch!("owner_verification", |p| p
        .owner_verification
        .map(|v| v.as_str()));
    // Unknown and false are one: the registry holds nothing.
    watch!("hold", |p| Some(p.hold.unwrap_or(false)));
    out
}

/// The event a committed change owes: it moves the domain into a status
/// the storefront is told of, or changes a watched attribute. `after` is
/// the item as written (its version already bumped); `log` the change's
/// entries, whose status line is the reason when the status moved.
pub fn owed(
    before: Option<&DomainRecord>,
    after: &DomainRecord,
    cause: Cause,
    log: &[LogEntry],
) -> Option<StateEvent> {
    let from = before.map(DomainRecord::status);
    let moved = from != Some(after.status()) && announced(after.status());
    let fields = changed_fields(
        before.map_or(&Portfolio::default(), |b| &b.portfolio),
        &after.portfolio,
    );
    if !moved && fields.is_empty() {
        return None;
    }
    let status_line = log
        .iter()
        .rev()
        .find(|e| e.status_to.is_some() && e.status_from != e.status_to)
        .map(|e| e.message.clone());
    let reason = match (moved, status_line) {
        (true, Some(line)) if fields.is_empty() => line,
        (true, Some(line)) => format!("{line}; {}", fields.join("; ")),
        _ => format!("{}: {}", after.domain, fields.join("; ")),
    };
    let p = &after.portfolio;
    Some(StateEvent {
        event_id: format!("{}#{}", after.domain, after.version()),
        domain: after.domain.clone(),
        domain_unicode: after.domain_unicode.clone(),
        account: EventAccount {
            id: after.account_id.clone(),
            kind: after.account_kind.as_str().to_owned(),
        },
        order_id: after.order_id.clone(),
        version: after.version(),
        status_from: from.map(|s| s.to_string()),
        status_to: after.status().to_string(),
        expires_at: p.expires_at.clone(),
        payable_at: p.payable_at.clone(),
        cancel_at: p.cancel_at.clone(),
        locked: p.locked,
        autorenew: p.autorenew,
        owner_verification: p.owner_verification.map(|v| v.as_str().to_owned()),
        hold: p.hold.unwrap_or(false),
        cause,
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::{in_flight_record, settled_as};
    use crate::record::Verification;
    use crate::status::Operation;

    fn at(status: Status) -> DomainRecord {
        let r = in_flight_record(
            "example.de",
            Operation::Register,
            "ctid-1",
            time::OffsetDateTime::UNIX_EPOCH,
        );
        settled_as(r, status)
    }

    fn registered() -> DomainRecord {
        let mut r = at(Status::Registered);
        r.portfolio.expires_at = Some("2027-12-02T00:00:00Z".into());
        r.portfolio.locked = Some(true);
        r
    }

    #[test]
    fn a_date_that_moves_is_an_event_a_sync_stamp_is_not() {
        let before = registered();
        let mut after = before.clone();
        after.portfolio.synced_at = Some("2026-12-07T10:00:00Z".into());
        after.portfolio.drift = Some("x".into());
        assert_eq!(owed(Some(&before), &after, Cause::Sync, &[]), None);
        after.portfolio.expires_at = Some("2028-12-02T00:00:00Z".into());
        let event = owed(Some(&before), &after, Cause::Sync, &[]).expect("owed");
        assert_eq!(event.event_id, "example.de#1");
        assert_eq!(event.status_from.as_deref(), Some("Registered"));
        assert_eq!(event.status_to, "Registered");
        assert!(
            event
                .reason
                .contains("expires_at 2027-12-02T00:00:00Z → 2028-12-02T00:00:00Z"),
            "{}",
            event.reason
        );
    }

    #[test]
    fn each_watched_attribute_is_an_event() {
        let before = registered();
        let edits: [fn(&mut Portfolio); 7] = [
            |p| p.payable_at = Some("2027-12-02T00:00:00Z".into()),
            |p| p.cancel_at = Some("2027-12-02T00:00:00Z".into()),
            |p| p.locked = Some(false),
            |p| p.autorenew = Some(false),
            |p| p.owner_verification = Some(Verification::Pending),
            |p| p.hold = Some(true),
            |p| p.expires_at = None,
        ];
        for edit in edits {
            let mut after = before.clone();
            edit(&mut after.portfolio);
            assert!(owed(Some(&before), &after, Cause::Sync, &[]).is_some());
        }
        // Unknown and false are one for `hold`.
        let mut after = before.clone();
        after.portfolio.hold = Some(false);
        assert_eq!(owed(Some(&before), &after, Cause::Sync, &[]), None);
    }

    #[test]
    fn only_arrivals_in_a_final_status_are_events() {
        let sent = at(Status::Registering);
        let before = at(Status::Registered);
        assert_eq!(owed(Some(&before), &sent, Cause::Event, &[]), None);
        for to in [
            Status::Registered,
            Status::Error,
            Status::Cancelled,
            Status::TransferredAway,
            Status::Deleted,
        ] {
            let after = at(to);
            let event = owed(Some(&sent), &after, Cause::Mail, &[]).expect("owed");
            assert_eq!(event.status_to, to.to_string());
            assert_eq!(event.cause, Cause::Mail);
        }
    }

    #[test]
    fn the_detail_has_every_field_and_no_secret() {
        let mut after = registered();
        after.pending_auth_code = Some("v2:k:SEALED".into());
        after.issued_auth_code = Some("v2:k:ISSUED".into());
        let event = owed(None, &after, Cause::Sync, &[]).expect("new item");
        let json = serde_json::to_value(&event).expect("serialises");
        for key in [
            "event_id",
            "domain",
            "domain_unicode",
            "account",
            "order_id",
            "version",
            "status_from",
            "status_to",
            "expires_at",
            "payable_at",
            "cancel_at",
            "locked",
            "autorenew",
            "owner_verification",
            "hold",
            "cause",
            "reason",
        ] {
            assert!(json.get(key).is_some(), "{key} missing in {json}");
        }
        assert_eq!(json["status_from"], serde_json::Value::Null);
        assert_eq!(json["cause"], "sync");
        let text = json.to_string();
        assert!(
            !text.contains("SEALED") && !text.contains("ISSUED"),
            "{text}"
        );
    }
}
