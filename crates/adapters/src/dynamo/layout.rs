//! Every key format of the domain table and every item codec: the table
//! laid out as CONTRACT.md §2 says.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | domain | `DOMAIN#<name>` | `DOMAIN` |
//! | action-log entry | `DOMAIN#<name>` | `LOG#<RFC 3339 µs>#<suffix>` |
//! | handled event (claim) | `ORDER#<order>#ITEM#<item>` or `REQUEST#<id>` | `CLAIM` |
//! | paid order | `ORDER#<order>` | `PAID` |
//! | sent request | `CTID#<ctid>` | `CTID` |
//! | handled mail | `MAIL#<s3 key>#<n>` | `CLAIM` |
//! | registry event logged (one an hour) | `EVENT#<name>#<hour>` | `CLAIM` |
//! | status mail owed | `NOTICE#<name>#<version>` | `NOTICE` |
//! | storefront event owed ([`super::outbox`]) | `OUTBOX#<name>` | `<version, 20 digits>` |
//! | domain-info check a registry event asked for | `HINT` | `<name>` |
//! | where the portfolio sync stands | `SYNC` | `CURSOR` |
//!
//! A state change is one `TransactWriteItems`: the domain item under a
//! condition on `version` (or on its absence), its log entries, and the
//! claim of the event under `attribute_not_exists`. Domains with an
//! operation in flight carry `inflight_pk`/`inflight_since`, a sparse index
//! that reconciliation queries instead of scanning.

//! | gateway rate slot | `RATE#<slot>` | `SLOT` |
//! | a rate limit's hold (one verification resend per handle in 15 min) | `HOLD#<key>` | `HOLD` |

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use rand::RngCore;
use registrar::log::{parse_timestamp, timestamp, LogEntry, Outcome};
use registrar::ports::{NoticeState, PaidOrder, QueuedNotice, StoreError};
use registrar::record::DomainRecord;
use registrar::status_mail::{StatusNotice, VerificationNews};
use time::OffsetDateTime;

pub use super::domain_item::record_from_item;
pub(crate) use super::domain_item::record_to_item;
use super::item::{hex, list_s, n, opt_s, req_n, req_s, s, Item};

pub const INFLIGHT_INDEX: &str = "InFlight";
pub(crate) const INFLIGHT_PK: &str = "INFLIGHT";
pub const NOTICES_INDEX: &str = "Notices";
const WAITING: &str = "WAITING";

pub fn domain_pk(domain: &str) -> String {
    format!("DOMAIN#{domain}")
}

/// The key of a domain item.
pub(crate) fn domain_key(domain: &str) -> Item {
    key(domain_pk(domain), "DOMAIN")
}

pub(crate) fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// `pk`/`sk` of the item that marks an event (or a mail message) handled.
pub(crate) fn claim_key(claim: &str) -> Item {
    key(claim.to_owned(), "CLAIM")
}

pub(crate) fn claim_item(claim: &str, domain: &str, at: &str) -> Item {
    let mut item = claim_key(claim);
    item.insert("domain".into(), s(domain));
    item.insert("claimed_at".into(), s(at));
    item
}

pub(crate) fn ctid_key(ctid: &str) -> Item {
    key(format!("CTID#{ctid}"), "CTID")
}

/// The ctid's owner, for result mails that name only the ctid.
pub(crate) fn ctid_item(record: &DomainRecord, ctid: &str) -> Item {
    let mut item = ctid_key(ctid);
    item.insert("domain".into(), s(&record.domain));
    item.insert("operation".into(), s(record.operation.as_str()));
    item.insert(
        "sent_at".into(),
        s(record
            .operation_started_at
            .as_deref()
            .unwrap_or(&record.updated_at)),
    );
    item
}

pub(crate) fn paid_order_key(order_id: &str) -> Item {
    key(format!("ORDER#{order_id}"), "PAID")
}

pub(crate) fn paid_order_item(order: &PaidOrder) -> Item {
    let mut item = paid_order_key(&order.order_id);
    item.insert("order_id".into(), s(&order.order_id));
    item.insert("account_id".into(), s(&order.account_id));
    item.insert(
        "domains".into(),
        AttributeValue::L(order.domains.iter().map(s).collect()),
    );
    item.insert("paid_at".into(), s(&order.paid_at));
    item
}

pub(crate) fn paid_order_from_item(item: &Item) -> Result<PaidOrder, StoreError> {
    Ok(PaidOrder {
        order_id: req_s(item, "order_id")?,
        account_id: req_s(item, "account_id")?,
        domains: list_s(item, "domains"),
        paid_at: req_s(item, "paid_at")?,
    })
}

/// The in-flight index's partition.
pub(crate) fn inflight_partition() -> AttributeValue {
    s(INFLIGHT_PK)
}

/// Bounds of the in-flight index (`inflight_since` is `<sent at>#<domain>`)
/// for operations sent at or after `from` and strictly before `before`:
/// "#" sorts before the digits a later timestamp continues with, so a bare
/// timestamp includes that instant and `<timestamp>#` excludes it.
pub(crate) fn inflight_range(
    from: Option<OffsetDateTime>,
    before: OffsetDateTime,
) -> (AttributeValue, AttributeValue) {
    let from = from.map_or_else(|| "0".to_owned(), timestamp);
    (s(from), s(format!("{}#", timestamp(before))))
}

/// The table's TTL attribute (`TimeToLiveSpecification` in
/// `infra/template.yaml`): epoch seconds on the items that expire (rate
/// slots, hints). Its own name, never a domain attribute's: it was
/// `expires_at` once, which a domain item carries as its expiry date, so a
/// number written there by mistake would have made DynamoDB delete the
/// domain (infra/README.md, "Time to live", says how a stack moves over).
pub const TTL_ATTRIBUTE: &str = "purge_after";

pub(crate) const HINT_PK: &str = "HINT";
/// A hint is dropped after a week if no sync run ever came.
const HINT_LIFETIME_SECS: u64 = 7 * 24 * 3600;

pub(crate) fn hint_key(domain: &str) -> Item {
    key(HINT_PK.to_owned(), domain)
}

pub(crate) fn hint_item(domain: &str, kind: &str, at: &str, now_secs: u64) -> Item {
    let mut item = hint_key(domain);
    item.insert("kind".into(), s(kind));
    item.insert("at".into(), s(at));
    item.insert(TTL_ATTRIBUTE.into(), n(now_secs + HINT_LIFETIME_SECS));
    item
}

pub(crate) fn hint_from_item(item: &Item) -> Result<registrar::ports::Hint, StoreError> {
    Ok(registrar::ports::Hint {
        domain: req_s(item, "sk")?,
        kind: req_s(item, "kind")?,
        at: req_s(item, "at")?,
    })
}

pub(crate) fn cursor_key() -> Item {
    key("SYNC".to_owned(), "CURSOR")
}

pub(crate) fn cursor_to_item(c: &registrar::ports::SyncCursor) -> Item {
    let mut item = cursor_key();
    item.insert("offset".into(), n(c.offset));
    item.insert("version".into(), n(c.version));
    item.insert(
        "checking_absent".into(),
        AttributeValue::Bool(c.checking_absent),
    );
    if let Some(at) = &c.sweep_started_at {
        item.insert("sweep_started_at".into(), s(at));
    }
    item
}

pub(crate) fn cursor_from_item(item: &Item) -> Result<registrar::ports::SyncCursor, StoreError> {
    Ok(registrar::ports::SyncCursor {
        offset: req_n(item, "offset")?,
        version: req_n(item, "version")?,
        checking_absent: matches!(
            item.get("checking_absent"),
            Some(AttributeValue::Bool(true))
        ),
        sweep_started_at: opt_s(item, "sweep_started_at"),
    })
}

pub(crate) fn hold_key(key: &str) -> Item {
    self::key(format!("HOLD#{key}"), "HOLD")
}

/// Held until `until`; purged a day later (the TTL attribute).
pub(crate) fn hold_item(hold: &str, until: &str) -> Item {
    let mut item = hold_key(hold);
    item.insert("held_until".into(), s(until));
    if let Some(at) = parse_timestamp(until) {
        let purge = at.unix_timestamp().max(0) as u64 + 86_400;
        item.insert(TTL_ATTRIBUTE.into(), n(purge));
    }
    item
}

pub(crate) fn rate_slot_item(slot: u64, purge_after: u64) -> Item {
    let mut item = key(format!("RATE#{slot}"), "SLOT");
    item.insert(TTL_ATTRIBUTE.into(), n(purge_after));
    item
}

pub(crate) fn notice_key(notice: &StatusNotice) -> Item {
    key(notice_pk(&notice.domain, notice.version), "NOTICE")
}

/// The waiting partition of the `Notices` index.
pub(crate) fn notices_waiting() -> AttributeValue {
    s(WAITING)
}

pub(crate) fn log_to_item(domain: &str, e: &LogEntry) -> Item {
    let mut suffix = [0u8; 6];
    rand::rng().fill_bytes(&mut suffix);
    let mut item = Item::new();
    item.insert("pk".into(), s(domain_pk(domain)));
    item.insert(
        "sk".into(),
        s(format!("LOG#{}#{}", timestamp(e.at), hex(&suffix))),
    );
    item.insert("domain".into(), s(domain));
    item.insert("at".into(), s(timestamp(e.at)));
    item.insert("action".into(), s(e.action));
    item.insert("outcome".into(), s(e.outcome.as_str()));
    item.insert("message".into(), s(&e.message));
    let optional = [
        ("ctid", &e.ctid),
        ("stid", &e.stid),
        ("code", &e.code),
        ("text", &e.text),
        ("s3_key", &e.s3_key),
        ("request_ref", &e.request_ref),
        ("request_xml", &e.request_xml),
        ("response_xml", &e.response_xml),
        ("status_from", &e.status_from),
        ("status_to", &e.status_to),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            item.insert(name.into(), s(v));
        }
    }
    item
}

/// An action-log item as the entry it was written from.
pub fn log_from_item(item: &Item) -> Result<LogEntry, StoreError> {
    let at = req_s(item, "at")?;
    let mut entry = LogEntry::new(
        parse_timestamp(&at)
            .ok_or_else(|| StoreError::Malformed(format!("log timestamp {at:?}")))?,
        registrar::log::action::named(&req_s(item, "action")?),
        match req_s(item, "outcome")?.as_str() {
            "ok" => Outcome::Ok,
            "ignored" => Outcome::Ignored,
            _ => Outcome::Error,
        },
        req_s(item, "message")?,
    );
    entry.ctid = opt_s(item, "ctid");
    entry.stid = opt_s(item, "stid");
    entry.code = opt_s(item, "code");
    entry.text = opt_s(item, "text");
    entry.s3_key = opt_s(item, "s3_key");
    entry.request_ref = opt_s(item, "request_ref");
    entry.request_xml = opt_s(item, "request_xml");
    entry.response_xml = opt_s(item, "response_xml");
    entry.status_from = opt_s(item, "status_from");
    entry.status_to = opt_s(item, "status_to");
    Ok(entry)
}

pub(crate) fn notice_to_item(notice: &StatusNotice, at: &str) -> Item {
    let mut item = notice_key(notice);
    item.insert("domain".into(), s(&notice.domain));
    item.insert("domain_unicode".into(), s(&notice.domain_unicode));
    item.insert("status".into(), s(notice.status.as_str()));
    item.insert("operation".into(), s(notice.operation.as_str()));
    item.insert("to".into(), s(&notice.to));
    item.insert("language".into(), s(notice.language.as_str()));
    item.insert("version".into(), n(notice.version));
    item.insert("state".into(), s("pending"));
    item.insert("attempts".into(), n(0));
    item.insert("created_at".into(), s(at));
    item.insert("notice_pk".into(), s(WAITING));
    item.insert("notice_since".into(), s(format!("{at}#{}", notice.domain)));
    if let Some(reason) = &notice.reason {
        item.insert("reason".into(), s(reason));
    }
    if let Some(sealed) = &notice.sealed_auth_code {
        item.insert("sealed_auth_code".into(), s(sealed));
    }
    if let Some(news) = &notice.verification {
        item.insert("verification_news".into(), s(news.as_str()));
        if let VerificationNews::Pending { deadline, address } = news {
            if let Some(deadline) = deadline {
                item.insert("verification_deadline".into(), s(deadline));
            }
            if let Some(address) = address {
                item.insert("verification_email".into(), s(address));
            }
        }
    }
    item
}

fn notice_pk(domain: &str, version: u64) -> String {
    format!("NOTICE#{domain}#{version}")
}

pub(crate) fn notice_from_item(item: &Item) -> Result<QueuedNotice, StoreError> {
    let parsed = |name: &str| -> Result<String, StoreError> { req_s(item, name) };
    let bad = |e: registrar::status::UnknownName| StoreError::Malformed(e.to_string());
    let state = match parsed("state")?.as_str() {
        "pending" => NoticeState::Pending,
        "sending" => NoticeState::Sending,
        other => {
            return Err(StoreError::Malformed(format!(
                "notice state {other:?} in the waiting index"
            )))
        }
    };
    Ok(QueuedNotice {
        notice: StatusNotice {
            domain: parsed("domain")?,
            domain_unicode: parsed("domain_unicode")?,
            status: parsed("status")?.parse().map_err(bad)?,
            operation: parsed("operation")?.parse().map_err(bad)?,
            to: parsed("to")?,
            language: opt_s(item, "language")
                .and_then(|l| l.parse().ok())
                .unwrap_or_default(),
            reason: opt_s(item, "reason"),
            version: req_n(item, "version")?,
            sealed_auth_code: opt_s(item, "sealed_auth_code"),
            verification: opt_s(item, "verification_news").and_then(|kind| {
                VerificationNews::from_parts(
                    &kind,
                    opt_s(item, "verification_deadline"),
                    opt_s(item, "verification_email"),
                )
            }),
        },
        state,
        attempts: u32::try_from(req_n(item, "attempts")?).unwrap_or(u32::MAX),
        claimed_at: opt_s(item, "claimed_at").and_then(|t| parse_timestamp(&t)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use registrar::status_mail::Language;
    use registrar::{Operation, Status};

    #[test]
    fn a_notice_item_reads_back_as_the_notice_it_was() {
        let notice = StatusNotice {
            domain: "xn--mller-kva.de".into(),
            domain_unicode: "müller.de".into(),
            status: Status::Error,
            operation: Operation::Transfer,
            to: "c@example.net".into(),
            language: Language::De,
            reason: Some("refused".into()),
            version: 7,
            sealed_auth_code: None,
            verification: Some(VerificationNews::Pending {
                deadline: Some("2026-12-17T14:29:00Z".into()),
                address: Some("owner@owner.example".into()),
            }),
        };
        let item = notice_to_item(&notice, "2026-11-29T10:00:00.000000Z");
        assert_eq!(item["pk"], s("NOTICE#xn--mller-kva.de#7"));
        assert_eq!(item["notice_pk"], s(WAITING));
        let back = notice_from_item(&item).expect("parses");
        assert_eq!(back.notice, notice);
        assert_eq!(back.state, NoticeState::Pending);
        assert_eq!(back.attempts, 0);
    }
}
