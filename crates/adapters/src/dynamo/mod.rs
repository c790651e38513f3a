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

/// Which domains a page shows: by status, by account, by a part of the name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainFilter {
    pub status: Option<String>,
    pub account: Option<String>,
    pub name: Option<String>,
}

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
        self.scan_domains("", &[], &[], usize::MAX, |_| true).await
    }

    /// One page of the domain items that meet `filter`, in the table's own
    /// order, after the domain `after` (the last of the page before); and
    /// the domain to resume after when there may be more. Reads only as far
    /// as the page needs (the operator console's list), never the whole
    /// table at once.
    pub async fn domains_page(
        &self,
        filter: &DomainFilter,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<DomainRecord>, Option<String>), StoreError> {
        let mut condition = vec!["sk = :domain".to_owned()];
        let mut values = vec![(":domain", s("DOMAIN"))];
        // DynamoDB refuses a name the expression does not use.
        let mut names = Vec::new();
        if let Some(status) = &filter.status {
            condition.push("#status = :status".into());
            values.push((":status", s(status)));
            names.push(("#status", "status"));
        }
        if let Some(account) = &filter.account {
            condition.push("account_id = :account".into());
            values.push((":account", s(account)));
        }
        if let Some(text) = filter.name.as_deref().filter(|t| !t.is_empty()) {
            condition.push("(contains(#domain, :name) OR contains(domain_unicode, :name))".into());
            values.push((":name", s(text.to_lowercase())));
            names.push(("#domain", "domain"));
        }
        let mut start = after.map(layout::domain_key);
        let mut out = Vec::new();
        loop {
            let mut scan = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression(condition.join(" AND "))
                .limit(200)
                .set_exclusive_start_key(start.take());
            for (name, value) in &values {
                scan = scan.expression_attribute_values(*name, value.clone());
            }
            for (placeholder, name) in &names {
                scan = scan.expression_attribute_names(*placeholder, *name);
            }
            let page = scan.send().await.map_err(unavailable)?;
            for item in page.items.unwrap_or_default() {
                out.push(layout::record_from_item(&item)?);
                if out.len() == limit {
                    let last = out.last().map(|r| r.domain.clone());
                    return Ok((out, last));
                }
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok((out, None)),
            }
        }
    }

    /// The domain items an operator should look at (the console's
    /// Attention page): in `Error`, differing from InterNetX, not renewed by
    /// InterNetX, cancelled or held by the registry; at most `limit`. One
    /// filtered scan, read when the page is asked for; operations stuck in
    /// flight come from the in-flight index instead.
    pub async fn attention(&self, limit: usize) -> Result<Vec<DomainRecord>, StoreError> {
        self.scan_domains(
            "(#status = :error OR attribute_exists(drift) OR autorenew = :no \
             OR attribute_exists(cancel_at) OR #hold = :yes)",
            &[
                (":error", s(registrar::Status::Error.as_str())),
                (":no", AttributeValue::Bool(false)),
                (":yes", AttributeValue::Bool(true)),
            ],
            // Both are DynamoDB reserved words.
            &[("#status", "status"), ("#hold", "hold")],
            limit,
            |_| true,
        )
        .await
    }

    /// How many domain items there are per status (a scan of the status
    /// attribute alone: the console's counts, cached by its caller).
    pub async fn status_counts(
        &self,
    ) -> Result<std::collections::BTreeMap<String, usize>, StoreError> {
        let mut items = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("sk = :domain")
            .expression_attribute_values(":domain", s("DOMAIN"))
            .projection_expression("#status")
            .expression_attribute_names("#status", "status")
            .into_paginator()
            .items()
            .send();
        let mut counts = std::collections::BTreeMap::new();
        while let Some(item) = items.next().await {
            let item = item.map_err(unavailable)?;
            if let Some(AttributeValue::S(status)) = item.get("status") {
                *counts.entry(status.clone()).or_insert(0) += 1;
            }
        }
        Ok(counts)
    }

    /// The domain items (`sk = DOMAIN`) that also meet `condition` (a filter
    /// expression over `values`; empty: all) and `keep`, at most `limit`,
    /// read through the SDK's paginator.
    pub(crate) async fn scan_domains(
        &self,
        condition: &str,
        values: &[(&str, AttributeValue)],
        names: &[(&str, &str)],
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
        for (placeholder, name) in names {
            scan = scan.expression_attribute_names(*placeholder, *name);
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
