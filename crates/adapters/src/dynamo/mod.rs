//! The domain table in DynamoDB: the store every function writes through
//! ([`DomainStore`](registrar::ports::DomainStore) in [`domain_store`]), the
//! status-mail queue ([`notice_queue`]), the storefront events' outbox ([`outbox`]), the gateway's shared rate limit
//! ([`rate_limit`]) and the operator's reads. Every key format and item
//! codec is in [`layout`] (the domain item's in [`domain_item`]); attribute helpers in [`item`].

mod domain_item;
mod domain_store;
pub(crate) mod item;
pub mod layout;
mod notice_queue;
mod outbox;
mod portfolio;
pub mod rate_limit;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use registrar::log::LogEntry;
use registrar::ports::StoreError;
use registrar::record::DomainRecord;

use item::{s, unavailable};
pub use layout::{INFLIGHT_INDEX, NOTICES_INDEX};
pub use outbox::OUTBOX_INDEX;

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The domain's action log in time order.
    pub async fn log(&self, domain: &str) -> Result<Vec<LogEntry>, StoreError> {
        let mut items = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :log)")
            .expression_attribute_values(":pk", s(layout::domain_pk(domain)))
            .expression_attribute_values(":log", s("LOG#"))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        let mut entries = Vec::new();
        while let Some(item) = items.next().await {
            entries.push(layout::log_from_item(&item.map_err(unavailable)?)?);
        }
        Ok(entries)
    }

    /// Every domain item (a scan: for the operator, never on a function's path).
    pub async fn domains(&self) -> Result<Vec<DomainRecord>, StoreError> {
        self.scan_domains("", &[], usize::MAX, |_| true).await
    }

    /// The domain items (`sk = DOMAIN`) that also meet `condition` (a filter
    /// expression over `values`; empty: all) and `keep`, at most `limit`,
    /// read through the SDK's paginator.
    pub(crate) async fn scan_domains(
        &self,
        condition: &str,
        values: &[(&str, AttributeValue)],
        limit: usize,
        keep: impl Fn(&DomainRecord) -> bool,
    ) -> Result<Vec<DomainRecord>, StoreError> {
        let filter = if condition.is_empty() {
            "sk = :domain".to_owned()
        } else {
            format!("sk = :domain AND {condition}")
        };
        let mut scan = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(filter)
            .expression_attribute_values(":domain", AttributeValue::S("DOMAIN".into()));
        for (name, value) in values {
            scan = scan.expression_attribute_values(*name, value.clone());
        }
        let mut items = scan.into_paginator().items().send();
        let mut out = Vec::new();
        while out.len() < limit {
            let Some(item) = items.next().await else {
                break;
            };
            let record = layout::record_from_item(&item.map_err(unavailable)?)?;
            if keep(&record) {
                out.push(record);
            }
        }
        Ok(out)
    }
}
