//! The domain store: one `TransactWriteItems` per state change — the domain
//! item under a condition on `version` (or on its absence), its log entries,
//! the ctid's owner, the status mail and the storefront event it owes, and the claim of the event
//! under `attribute_not_exists` — so a change is written whole or not at all.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};
use registrar::ports::{Change, DomainStore, PaidOrder, StoreError};
use registrar::record::DomainRecord;
use time::OffsetDateTime;

use super::item::{malformed, n, opt_s, query_index, unavailable, written};
use super::{layout, DynamoStore, INFLIGHT_INDEX};

impl DomainStore for DynamoStore {
    async fn load(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(layout::domain_key(domain)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item
            .map(|item| layout::record_from_item(&item))
            .transpose()
    }

    async fn commit(&self, change: &Change) -> Result<(), StoreError> {
        let record = change.record();
        let mut writes = Vec::new();
        if change.writes_item() {
            let mut domain_put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(layout::record_to_item(record)));
            domain_put = match change.expected_version() {
                None => domain_put.condition_expression("attribute_not_exists(pk)"),
                Some(v) => domain_put
                    .condition_expression("version = :expected")
                    .expression_attribute_values(":expected", n(v)),
            };
            writes.push(
                TransactWriteItem::builder()
                    .put(domain_put.build().map_err(malformed)?)
                    .build(),
            );
        } else if change.holds_item() {
            // Only the log grows: the item is checked, not written.
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(layout::domain_key(&record.domain)))
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", n(change.expected_version().unwrap_or(0)))
                .build()
                .map_err(malformed)?;
            writes.push(TransactWriteItem::builder().condition_check(check).build());
        }
        // Whether index 0 is the domain item's own condition.
        let item_first = change.holds_item();
        for entry in change.log() {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(layout::log_to_item(&record.domain, entry)))
                .build()
                .map_err(malformed)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        if let Some(ctid) = record.ctid().as_ref().filter(|_| change.writes_item()) {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(layout::ctid_item(record, ctid)))
                .build()
                .map_err(malformed)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        if let Some(notice) = change.notice() {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(layout::notice_to_item(notice, &record.updated_at)))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(malformed)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        if let Some(event) = change.event() {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(super::outbox::outbox_item(event, &record.updated_at)?))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(malformed)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        if let Some(kind) = change.hint() {
            let now = OffsetDateTime::now_utc().unix_timestamp().max(0) as u64;
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(layout::hint_item(
                    &record.domain,
                    kind,
                    &registrar::log::timestamp(OffsetDateTime::now_utc()),
                    now,
                )))
                .build()
                .map_err(malformed)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        let claim_index = writes.len();
        if let Some(key) = change.claim() {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(layout::claim_item(
                    key,
                    &record.domain,
                    &record.updated_at,
                )))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(malformed)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(service)) => {
                let err = service.into_err();
                let reasons = match &err {
                    TransactWriteItemsError::TransactionCanceledException(c) => {
                        c.cancellation_reasons.as_ref()
                    }
                    _ => None,
                };
                if let Some(reasons) = reasons {
                    let failed = |i: usize| {
                        reasons.get(i).and_then(|r| r.code.as_deref())
                            == Some("ConditionalCheckFailed")
                    };
                    if item_first && failed(0) {
                        return Err(StoreError::Conflict);
                    }
                    if let (Some(key), true) = (change.claim(), failed(claim_index)) {
                        return Err(StoreError::AlreadyClaimed(key.to_owned()));
                    }
                    if let Some(code) = reasons
                        .iter()
                        .filter_map(|r| r.code.as_deref())
                        .find(|code| is_busy(code))
                    {
                        return Err(StoreError::Busy(format!(
                            "TransactWriteItems cancelled: {code}"
                        )));
                    }
                }
                let what = format!(
                    "TransactWriteItems: {}: {}",
                    err.code().unwrap_or("error"),
                    err.message().unwrap_or("")
                );
                // A write the table refuses as such (an item above 400 KB)
                // is refused again however often it is retried.
                if err.code() == Some("ValidationException") {
                    return Err(StoreError::Rejected(what));
                }
                Err(StoreError::Unavailable(what))
            }
            Err(other) => Err(unavailable(other)),
        }
    }

    async fn request_claimed(&self, key: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(layout::claim_key(key)))
            .projection_expression("pk")
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item.is_some_and(|i| !i.is_empty()))
    }

    async fn hold_until(
        &self,
        key: &str,
        now: &str,
        until: &str,
    ) -> Result<Option<String>, StoreError> {
        // RFC 3339 UTC times of one form compare as text.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(layout::hold_item(key, until)))
            .condition_expression("attribute_not_exists(pk) OR held_until <= :now")
            .expression_attribute_values(":now", super::item::s(now))
            .send()
            .await;
        if written(result)? {
            return Ok(None);
        }
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(layout::hold_key(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(Some(
            out.item
                .as_ref()
                .and_then(|item| opt_s(item, "held_until"))
                .unwrap_or_else(|| until.to_owned()),
        ))
    }

    async fn ctid_domain(&self, ctid: &str) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(layout::ctid_key(ctid)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item.and_then(|i| opt_s(&i, "domain")))
    }

    async fn record_paid_order(&self, order: &PaidOrder) -> Result<(), StoreError> {
        let item = layout::paid_order_item(order);
        // A redelivered OrderPaid keeps the first record.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        written(result).map(drop)
    }

    async fn paid_order(&self, order_id: &str) -> Result<Option<PaidOrder>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(layout::paid_order_key(order_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item
            .map(|item| layout::paid_order_from_item(&item))
            .transpose()
    }

    async fn in_flight(
        &self,
        from: Option<OffsetDateTime>,
        before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<DomainRecord>, StoreError> {
        let (from, before) = layout::inflight_range(from, before);
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(INFLIGHT_INDEX)
            .key_condition_expression(
                "inflight_pk = :pk AND inflight_since BETWEEN :from AND :before",
            )
            .expression_attribute_values(":pk", layout::inflight_partition())
            .expression_attribute_values(":from", from)
            .expression_attribute_values(":before", before);
        query_index(query, limit, layout::record_from_item).await
    }
}

/// Cancellation reasons that mean "not now" rather than "not so": another
/// transaction held an item, or the table throttled. The SDK retries
/// neither inside a transaction (aws-runtime's retry classifiers list
/// neither), so the lifecycle does (security review N2).
fn is_busy(code: &str) -> bool {
    matches!(
        code,
        "TransactionConflict" | "ThrottlingError" | "ProvisionedThroughputExceeded"
    )
}

#[cfg(test)]
mod tests {
    use super::is_busy;

    #[test]
    fn only_not_now_reasons_are_busy() {
        for code in [
            "TransactionConflict",
            "ThrottlingError",
            "ProvisionedThroughputExceeded",
        ] {
            assert!(is_busy(code), "{code}");
        }
        for code in [
            "ConditionalCheckFailed",
            "ItemCollectionSizeLimitExceeded",
            "ValidationError",
            "None",
        ] {
            assert!(!is_busy(code), "{code}");
        }
    }
}
