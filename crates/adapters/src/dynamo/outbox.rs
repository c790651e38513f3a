//! The storefront events owed (`OUTBOX#<name>`, sort key the version,
//! zero-padded), written in the transaction of the change that owes them,
//! and the queue `publish-events` works through.
//!
//! An event waits in the sparse `Outbox` index (`outbox_pk`/`outbox_since`)
//! until published; it then leaves the index and expires after a week.
//! All events of a domain share one partition, so the earliest unpublished
//! one is read consistently, in version order.

use registrar::log::{parse_timestamp, timestamp};
use registrar::ports::{Outbox, StoreError, Waiting};
use registrar::state_event::StateEvent;
use time::OffsetDateTime;

use super::item::{malformed, n, query_index, req_n, req_s, s, unavailable, written, Item};
use super::layout::{key, TTL_ATTRIBUTE};
use super::DynamoStore;

pub const OUTBOX_INDEX: &str = "Outbox";
const WAITING: &str = "WAITING";
/// A published event is kept a week, for an operator to look back on.
const PUBLISHED_LIFETIME_SECS: i64 = 7 * 24 * 3600;

fn outbox_pk(domain: &str) -> String {
    format!("OUTBOX#{domain}")
}

/// Twenty digits: the sort key orders versions as numbers.
fn version_sk(version: u64) -> String {
    format!("{version:020}")
}

fn outbox_key(domain: &str, version: u64) -> Item {
    key(outbox_pk(domain), &version_sk(version))
}

/// The outbox item of `event`, owed by a change committed `at`.
pub(crate) fn outbox_item(event: &StateEvent, at: &str) -> Result<Item, StoreError> {
    let mut item = outbox_key(&event.domain, event.version);
    item.insert("domain".into(), s(&event.domain));
    item.insert("version".into(), n(event.version));
    item.insert("event_id".into(), s(&event.event_id));
    item.insert(
        "detail".into(),
        s(serde_json::to_string(event).map_err(malformed)?),
    );
    item.insert("created_at".into(), s(at));
    item.insert("outbox_pk".into(), s(WAITING));
    item.insert(
        "outbox_since".into(),
        s(format!(
            "{at}#{}#{}",
            event.domain,
            version_sk(event.version)
        )),
    );
    Ok(item)
}

fn waiting_from_item(item: &Item) -> Result<Waiting, StoreError> {
    let at = req_s(item, "created_at")?;
    Ok(Waiting {
        domain: req_s(item, "domain")?,
        version: req_n(item, "version")?,
        since: parse_timestamp(&at)
            .ok_or_else(|| StoreError::Malformed(format!("outbox created_at {at:?}")))?,
    })
}

fn event_from_item(item: &Item) -> Result<StateEvent, StoreError> {
    serde_json::from_str(&req_s(item, "detail")?)
        .map_err(|e| StoreError::Malformed(format!("outbox detail: {e}")))
}

impl Outbox for DynamoStore {
    async fn waiting(&self, limit: usize) -> Result<Vec<Waiting>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(OUTBOX_INDEX)
            .key_condition_expression("outbox_pk = :waiting")
            .expression_attribute_values(":waiting", s(WAITING));
        query_index(query, limit, waiting_from_item).await
    }

    async fn earliest(&self, domain: &str) -> Result<Option<StateEvent>, StoreError> {
        let mut pages = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .filter_expression("attribute_exists(outbox_pk)")
            .expression_attribute_values(":pk", s(outbox_pk(domain)))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        match pages.next().await {
            Some(item) => Ok(Some(event_from_item(&item.map_err(unavailable)?)?)),
            None => Ok(None),
        }
    }

    async fn published(&self, event: &StateEvent, at: OffsetDateTime) -> Result<(), StoreError> {
        let purge_after = (at.unix_timestamp() + PUBLISHED_LIFETIME_SECS).max(0) as u64;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(outbox_key(&event.domain, event.version)))
            .update_expression(
                "SET published_at = :at, #ttl = :purge REMOVE outbox_pk, outbox_since",
            )
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":at", s(timestamp(at)))
            .expression_attribute_values(":purge", n(purge_after))
            .send()
            .await;
        // Not written when gone already (expired, or marked and purged):
        // nothing owed either way.
        written(result).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outbox_item_reads_back_as_its_event_and_sorts_by_version() {
        let event: StateEvent = serde_json::from_value(serde_json::json!({
            "event_id": "example.de#7", "domain": "example.de", "domain_unicode": "example.de",
            "account": {"id": "CUST-42", "kind": "customer"}, "order_id": "ORD-1",
            "version": 7, "status_from": "Registering", "status_to": "Registered",
            "expires_at": "2027-12-02T00:00:00Z", "payable_at": null, "cancel_at": null,
            "locked": true, "autorenew": true, "owner_verification": null, "hold": false,
            "cause": "mail", "reason": "example.de: Registering → Registered"
        }))
        .expect("the contract's shape");
        let item = outbox_item(&event, "2026-12-07T10:00:00.000000Z").expect("item");
        assert_eq!(item["pk"], s("OUTBOX#example.de"));
        assert_eq!(event_from_item(&item).expect("reads"), event);
        let w = waiting_from_item(&item).expect("waiting");
        assert_eq!((w.domain.as_str(), w.version), ("example.de", 7));
        assert!(version_sk(9) < version_sk(10));
        assert!(
            !item.contains_key(TTL_ATTRIBUTE),
            "a waiting event never expires"
        );
    }
}
