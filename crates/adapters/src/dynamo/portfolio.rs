//! What the portfolio sync keeps in the table besides the domain items: its
//! cursor (one item, optimistic lock) and the domain-info checks registry
//! events asked for (`HINT` items, written by the mail function beside its
//! log line, dropped by TTL after a week if no sync run came).

use aws_sdk_dynamodb::types::KeysAndAttributes;
use registrar::ports::{Hint, PortfolioStore, StoreError, SyncCursor};
use registrar::record::DomainRecord;
use registrar::workflows::sync::held_by_account;

use super::item::{malformed, n, s, unavailable, written, Item};
use super::{layout, DynamoStore};

impl PortfolioStore for DynamoStore {
    async fn sync_cursor(&self) -> Result<SyncCursor, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(layout::cursor_key()))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item
            .map(|item| layout::cursor_from_item(&item))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    async fn save_sync_cursor(&self, next: &SyncCursor) -> Result<(), StoreError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(layout::cursor_to_item(next)));
        let put = if next.version <= 1 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :previous")
                .expression_attribute_values(":previous", n(next.version - 1))
        };
        match written(put.send().await)? {
            true => Ok(()),
            false => Err(StoreError::Conflict),
        }
    }

    async fn hints(&self, limit: usize) -> Result<Vec<Hint>, StoreError> {
        let mut items = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(layout::HINT_PK))
            .into_paginator()
            .items()
            .send();
        let mut hints = Vec::new();
        while let Some(item) = items.next().await {
            hints.push(layout::hint_from_item(&item.map_err(unavailable)?)?);
            if hints.len() >= 10_000 {
                break;
            }
        }
        hints.sort_by(|a, b| a.at.cmp(&b.at));
        hints.truncate(limit);
        Ok(hints)
    }

    async fn clear_hint(&self, hint: &Hint) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(layout::hint_key(&hint.domain)))
            .condition_expression("#at = :at")
            .expression_attribute_names("#at", "at")
            .expression_attribute_values(":at", s(&hint.at))
            .send()
            .await;
        // Not deleted when a newer event asked again meanwhile: its hint
        // stays.
        written(result).map(drop)
    }

    /// `BatchGetItem`, 100 keys a call, strongly consistent; what the
    /// table leaves unprocessed is asked again.
    async fn load_many(&self, domains: &[String]) -> Result<Vec<DomainRecord>, StoreError> {
        let mut out = Vec::with_capacity(domains.len());
        for chunk in domains.chunks(100) {
            let mut keys: Vec<Item> = chunk.iter().map(|d| layout::domain_key(d)).collect();
            for _ in 0..10 {
                if keys.is_empty() {
                    break;
                }
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(keys.clone()))
                    .consistent_read(true)
                    .build()
                    .map_err(malformed)?;
                let answer = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(unavailable)?;
                for item in answer
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    out.push(layout::record_from_item(&item)?);
                }
                keys = answer
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
            if !keys.is_empty() {
                return Err(StoreError::Unavailable(
                    "BatchGetItem left keys unprocessed ten times".into(),
                ));
            }
        }
        Ok(out)
    }

    async fn sealed(&self, limit: usize) -> Result<Vec<DomainRecord>, StoreError> {
        self.scan_domains(
            "attribute_exists(pending_auth_code)",
            &[],
            &[],
            limit,
            |_| true,
        )
        .await
    }

    /// A scan, once per sweep (after every page of the list was read).
    async fn unsynced_since(&self, before: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let records = self
            .scan_domains(
                "(attribute_not_exists(synced_at) OR synced_at < :before)",
                &[(":before", s(before))],
                &[],
                limit,
                held_by_account,
            )
            .await?;
        Ok(records.into_iter().map(|r| r.domain).collect())
    }
}
