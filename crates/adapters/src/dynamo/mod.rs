//! The domain table in DynamoDB: the store every function writes through
//! ([`DomainStore`](registrar::ports::DomainStore) in [`domain_store`]), the
//! status-mail queue ([`notice_queue`]), the gateway's shared rate limit
//! ([`rate_limit`]) and the operator's reads. Every key format and item
//! codec is in [`layout`]; attribute helpers in [`item`].

mod domain_store;
pub(crate) mod item;
pub mod layout;
mod notice_queue;
mod portfolio;
pub mod rate_limit;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use registrar::log::LogEntry;
use registrar::ports::StoreError;
use registrar::record::DomainRecord;

use item::{s, unavailable, Item};
pub use layout::{INFLIGHT_INDEX, NOTICES_INDEX};

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
        let mut entries = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :log)")
                .expression_attribute_values(":pk", s(layout::domain_pk(domain)))
                .expression_attribute_values(":log", s("LOG#"))
                .set_exclusive_start_key(start)
                .consistent_read(true)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items.unwrap_or_default() {
                entries.push(layout::log_from_item(&item)?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(entries),
            }
        }
    }

    /// Every domain item (a scan: for the operator, never on a function's path).
    pub async fn domains(&self) -> Result<Vec<DomainRecord>, StoreError> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("sk = :domain")
                .expression_attribute_values(":domain", AttributeValue::S("DOMAIN".into()))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in page.items.unwrap_or_default() {
                out.push(layout::record_from_item(&item)?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(out),
            }
        }
    }
}
