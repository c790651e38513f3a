//! The domain item's codec. Each attribute is one line of [`FIELDS`],
//! naming the attribute and the record field it holds; what a Rust type
//! becomes in DynamoDB is said once, by [`Attr`]. A new field of the record
//! is one line here (and its line in CONTRACT.md §2).
//!
//! The life cycle's own fields (status, `registered`, version, ctid) are
//! read back through [`LifeState::stored`], the one way to name them from
//! outside the life cycle. No attribute is the table's TTL attribute, and
//! the only number is `version`: a date written as epoch seconds under the
//! TTL name would make DynamoDB delete a live domain (see the test).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use registrar::lifecycle::LifeState;
use registrar::ports::StoreError;
use registrar::record::{AccountKind, DomainRecord, Verification};
use registrar::status::{Operation, Status};
use time::OffsetDateTime;

use super::item::{n, req_n, s, Item};
use super::layout::{domain_key, INFLIGHT_PK};

/// How a field's type is written to and read from one attribute.
trait Attr: Sized {
    /// `None`: left off the item (an unset option, an empty list).
    fn write(&self) -> Option<AttributeValue>;
    /// `value` is `None` when the item lacks the attribute.
    fn read(name: &str, value: Option<&AttributeValue>) -> Result<Self, StoreError>;
}

fn missing(name: &str) -> StoreError {
    StoreError::Malformed(format!("attribute {name} is missing"))
}

fn text(value: Option<&AttributeValue>) -> Option<&String> {
    value.and_then(|v| v.as_s().ok())
}

fn texts(values: &[AttributeValue]) -> Vec<String> {
    values
        .iter()
        .filter_map(|v| v.as_s().ok().cloned())
        .collect()
}

fn text_map(map: &std::collections::HashMap<String, AttributeValue>) -> BTreeMap<String, String> {
    map.iter()
        .filter_map(|(k, v)| v.as_s().ok().map(|v| (k.clone(), v.clone())))
        .collect()
}

impl Attr for String {
    fn write(&self) -> Option<AttributeValue> {
        Some(s(self))
    }
    fn read(name: &str, value: Option<&AttributeValue>) -> Result<Self, StoreError> {
        text(value).cloned().ok_or_else(|| missing(name))
    }
}

impl Attr for Option<String> {
    fn write(&self) -> Option<AttributeValue> {
        self.as_ref().map(s)
    }
    fn read(_: &str, value: Option<&AttributeValue>) -> Result<Self, StoreError> {
        Ok(text(value).cloned())
    }
}

impl Attr for Option<bool> {
    fn write(&self) -> Option<AttributeValue> {
        self.map(AttributeValue::Bool)
    }
    fn read(_: &str, value: Option<&AttributeValue>) -> Result<Self, StoreError> {
        Ok(value.and_then(|v| v.as_bool().ok().copied()))
    }
}

/// An empty list is left off, and read back as empty.
impl Attr for Vec<String> {
    fn write(&self) -> Option<AttributeValue> {
        (!self.is_empty()).then(|| AttributeValue::L(self.iter().map(s).collect()))
    }
    fn read(_: &str, value: Option<&AttributeValue>) -> Result<Self, StoreError> {
        Ok(value
            .and_then(|v| v.as_l().ok())
            .map(|l| texts(l))
            .unwrap_or_default())
    }
}

/// Present even when empty: an empty set asked for is not "nothing asked".
impl Attr for Option<Vec<String>> {
    fn write(&self) -> Option<AttributeValue> {
        self.as_ref()
            .map(|l| AttributeValue::L(l.iter().map(s).collect()))
    }
    fn read(_: &str, value: Option<&AttributeValue>) -> Result<Self, StoreError> {
        Ok(value.map(|v| v.as_l().map(|l| texts(l)).unwrap_or_default()))
    }
}

impl Attr for BTreeMap<String, String> {
    fn write(&self) -> Option<AttributeValue> {
        (!self.is_empty())
            .then(|| AttributeValue::M(self.iter().map(|(k, v)| (k.clone(), s(v))).collect()))
    }
    fn read(_: &str, value: Option<&AttributeValue>) -> Result<Self, StoreError> {
        Ok(value
            .and_then(|v| v.as_m().ok())
            .map(text_map)
            .unwrap_or_default())
    }
}

impl Attr for Option<BTreeMap<String, String>> {
    fn write(&self) -> Option<AttributeValue> {
        self.as_ref()
            .map(|m| AttributeValue::M(m.iter().map(|(k, v)| (k.clone(), s(v))).collect()))
    }
    fn read(_: &str, value: Option<&AttributeValue>) -> Result<Self, StoreError> {
        Ok(value.and_then(|v| v.as_m().ok()).map(text_map))
    }
}

/// The record's named values, stored by their names.
macro_rules! by_name {
    ($($t:ty),*) => {$(
        impl Attr for $t {
            fn write(&self) -> Option<AttributeValue> {
                Some(s(self.as_str()))
            }
            fn read(name: &str, value: Option<&AttributeValue>) -> Result<Self, StoreError> {
                String::read(name, value)?
                    .parse()
                    .map_err(|e| StoreError::Malformed(format!("{name}: {e}")))
            }
        }
    )*};
}
by_name!(Operation, AccountKind, Verification);

impl Attr for Option<Verification> {
    fn write(&self) -> Option<AttributeValue> {
        self.as_ref().and_then(Attr::write)
    }
    fn read(name: &str, value: Option<&AttributeValue>) -> Result<Self, StoreError> {
        value.map(|v| Verification::read(name, Some(v))).transpose()
    }
}

/// One attribute of the domain item and the record field it holds.
struct Field {
    name: &'static str,
    write: fn(&DomainRecord) -> Option<AttributeValue>,
    read: fn(&mut DomainRecord, Option<&AttributeValue>) -> Result<(), StoreError>,
}

macro_rules! fields {
    ($($name:literal => $($field:ident).+;)*) => {
        /// Every attribute of the domain item but the life cycle's own.
        const FIELDS: &[Field] = &[$(Field {
            name: $name,
            write: |r| Attr::write(&r.$($field).+),
            read: |r, value| {
                r.$($field).+ = Attr::read($name, value)?;
                Ok(())
            },
        }),*];
    };
}

fields! {
    "domain" => domain;
    "domain_unicode" => domain_unicode;
    "operation" => operation;
    "account_id" => account_id;
    "account_kind" => account_kind;
    "order_id" => order_id;
    "last_ctid" => last_ctid;
    "last_error" => last_error;
    "created_at" => created_at;
    "updated_at" => updated_at;
    "request_ref" => request_ref;
    "operation_started_at" => operation_started_at;
    "stid" => stid;
    "job_id" => job_id;
    "acknowledged_at" => acknowledged_at;
    "outcome_unknown_since" => outcome_unknown_since;
    "pending_request" => pending_request;
    "pending_auth_code" => pending_auth_code;
    "nameservers" => nameservers;
    "requested_nameservers" => requested_nameservers;
    "contacts" => contacts;
    "requested_contacts" => requested_contacts;
    "notify_email" => notify_email;
    "notify_language" => notify_language;
    // The registration's expiry date, as text: never the TTL attribute.
    "expires_at" => portfolio.expires_at;
    "payable_at" => portfolio.payable_at;
    "cancel_at" => portfolio.cancel_at;
    "synced_at" => portfolio.synced_at;
    "locked" => portfolio.locked;
    "registry_status" => portfolio.registry_status;
    "drift" => portfolio.drift;
    "requested_lock" => portfolio.requested_lock;
    "auth_code_expires_at" => portfolio.auth_code_expires_at;
    "autorenew" => portfolio.autorenew;
    "owner_verification" => portfolio.owner_verification;
    "verification_deadline" => portfolio.verification_deadline;
    "hold" => portfolio.hold;
    "owner_handle" => portfolio.owner_handle;
    "verification_email" => portfolio.verification_email;
}
// `issued_auth_code` is never written: it rides in the status mail's notice.

pub(crate) fn record_to_item(r: &DomainRecord) -> Item {
    let mut item = domain_key(&r.domain);
    for field in FIELDS {
        if let Some(value) = (field.write)(r) {
            item.insert(field.name.into(), value);
        }
    }
    item.insert("status".into(), s(r.status().as_str()));
    item.insert("registered".into(), AttributeValue::Bool(r.registered()));
    item.insert("version".into(), n(r.version()));
    if let Some(ctid) = r.ctid() {
        item.insert("ctid".into(), s(ctid));
    }
    // The sparse index reconciliation queries: only what is in flight.
    if r.status().in_flight() {
        if let Some(since) = &r.operation_started_at {
            item.insert("inflight_pk".into(), s(INFLIGHT_PK));
            item.insert("inflight_since".into(), s(format!("{since}#{}", r.domain)));
        }
    }
    item
}

pub fn record_from_item(item: &Item) -> Result<DomainRecord, StoreError> {
    let mut record = DomainRecord::new(
        "",
        "",
        Operation::Register,
        "",
        AccountKind::Provider,
        OffsetDateTime::UNIX_EPOCH,
    );
    for field in FIELDS {
        (field.read)(&mut record, item.get(field.name))?;
    }
    let status: Status = String::read("status", item.get("status"))?
        .parse()
        .map_err(|e| StoreError::Malformed(format!("status: {e}")))?;
    let registered = matches!(item.get("registered"), Some(AttributeValue::Bool(true)));
    let ctid = Option::<String>::read("ctid", item.get("ctid"))?;
    Ok(record.with_stored_life(LifeState::stored(
        status,
        registered,
        req_n(item, "version")?,
        ctid,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dynamo::layout::{hint_item, rate_slot_item, TTL_ATTRIBUTE};

    /// A record with every field the item can hold set.
    fn full_record() -> DomainRecord {
        let at = time::macros::datetime!(2026-12-05 10:00 UTC);
        let mut r = DomainRecord::new(
            "example.de",
            "example.de",
            Operation::Register,
            "acc-1",
            AccountKind::Customer,
            at,
        );
        let some = || Some("2027-12-05T00:00:00Z".to_owned());
        (r.order_id, r.last_ctid, r.last_error) = (some(), some(), some());
        (r.request_ref, r.operation_started_at, r.stid, r.job_id) =
            (some(), some(), some(), some());
        (r.acknowledged_at, r.outcome_unknown_since) = (some(), some());
        (r.pending_request, r.pending_auth_code) = (some(), some());
        (r.notify_email, r.notify_language) = (some(), some());
        r.nameservers = vec!["ns1.example.net".into()];
        r.requested_nameservers = Some(Vec::new());
        r.contacts = [("owner".to_owned(), "1".to_owned())].into();
        r.requested_contacts = Some(r.contacts.clone());
        let p = &mut r.portfolio;
        (p.expires_at, p.payable_at, p.cancel_at, p.synced_at) = (some(), some(), some(), some());
        (p.registry_status, p.drift, p.auth_code_expires_at) = (some(), some(), some());
        (p.locked, p.requested_lock) = (Some(true), Some(false));
        (p.autorenew, p.hold, p.verification_deadline) = (Some(false), Some(true), some());
        p.owner_verification = Some(Verification::Pending);
        (p.owner_handle, p.verification_email) = (some(), some());
        r.with_stored_life(LifeState::stored(Status::Registering, true, 7, some()))
    }

    #[test]
    fn every_field_reads_back_as_it_was_written() {
        let record = full_record();
        let back = record_from_item(&record_to_item(&record)).expect("reads back");
        assert_eq!(back, record);
        let bare = DomainRecord::new(
            "bare.com",
            "bare.com",
            Operation::Import,
            "acc-2",
            AccountKind::Provider,
            time::macros::datetime!(2026-12-05 10:00 UTC),
        );
        let item = record_to_item(&bare);
        assert!(!item.contains_key("requested_nameservers") && !item.contains_key("ctid"));
        assert_eq!(record_from_item(&item).expect("reads back"), bare);
    }

    #[test]
    fn the_auth_code_just_issued_is_never_written() {
        let mut record = full_record();
        record.issued_auth_code = Some("v2:k:sealed".into());
        let item = record_to_item(&record);
        assert!(!item
            .values()
            .any(|v| v.as_s().is_ok_and(|t| t.contains("sealed"))));
    }

    #[test]
    fn a_missing_required_attribute_is_named() {
        let mut item = record_to_item(&full_record());
        item.remove("account_id");
        let err = record_from_item(&item).unwrap_err().to_string();
        assert!(err.contains("account_id"), "{err}");
    }

    /// The TTL trap (issue 27): a domain item, with every attribute it can
    /// have, never carries the TTL attribute, and its only number is its
    /// version; the items that expire carry it as a number.
    #[test]
    fn no_domain_item_carries_the_time_to_live() {
        let item = record_to_item(&full_record());
        assert!(item.contains_key("expires_at") && item.contains_key("inflight_pk"));
        assert!(matches!(item.get("expires_at"), Some(AttributeValue::S(_))));
        assert!(!item.contains_key(TTL_ATTRIBUTE), "{item:?}");
        let numbers: Vec<&String> = item
            .iter()
            .filter(|(_, v)| matches!(v, AttributeValue::N(_)))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(numbers, [&"version".to_owned()]);
        for expiring in [
            rate_slot_item(7, 1_800_000_000),
            hint_item("example.de", "k", "t", 0),
        ] {
            assert!(matches!(
                expiring.get(TTL_ATTRIBUTE),
                Some(AttributeValue::N(_))
            ));
            assert!(!expiring.contains_key("expires_at"));
        }
    }
}
