//! The domain table in DynamoDB, laid out as CONTRACT.md §2 says.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | domain | `DOMAIN#<name>` | `DOMAIN` |
//! | action-log entry | `DOMAIN#<name>` | `LOG#<RFC 3339 µs>#<suffix>` |
//! | handled event (claim) | `ORDER#<order>#ITEM#<item>` or `REQUEST#<id>` | `CLAIM` |
//! | paid order | `ORDER#<order>` | `PAID` |
//! | sent request | `CTID#<ctid>` | `CTID` |
//! | handled mail | `MAIL#<s3 key>#<n>` | `CLAIM` |
//! | status mail owed | `NOTICE#<name>#<version>` | `NOTICE` |
//!
//! A state change is one `TransactWriteItems`: the domain item under a
//! condition on `version` (or on its absence), its log entries, and the
//! claim of the event under `attribute_not_exists`. Domains with an
//! operation in flight carry `inflight_pk`/`inflight_since`, a sparse index
//! that reconciliation queries instead of scanning.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use rand::RngCore;
use registrar::ports::{Change, DomainStore, PaidOrder, StoreError};
use registrar::record::{timestamp, DomainRecord, LogEntry};

type Item = HashMap<String, AttributeValue>;

pub const INFLIGHT_INDEX: &str = "InFlight";
const INFLIGHT_PK: &str = "INFLIGHT";

#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    status_notices: bool,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            status_notices: false,
        }
    }

    /// Queue a status mail with every change that moves a domain with a
    /// notification address into a final status (`STATUS_MAILS=enabled`).
    pub fn with_status_notices(mut self, enabled: bool) -> Self {
        self.status_notices = enabled;
        self
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The domain's action log in time order.
    pub async fn log(&self, domain: &str) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :log)")
                .expression_attribute_values(":pk", s(domain_pk(domain)))
                .expression_attribute_values(":log", s("LOG#"))
                .set_exclusive_start_key(start)
                .consistent_read(true)
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}

impl DomainStore for DynamoStore {
    async fn load(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(domain_pk(domain)))
            .key("sk", s("DOMAIN"))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        out.item.map(|item| record_from_item(&item)).transpose()
    }

    async fn commit(&self, change: &Change) -> Result<(), StoreError> {
        let record = &change.record;
        let mut domain_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(record_to_item(record)));
        domain_put = match change.expected_version {
            None => domain_put.condition_expression("attribute_not_exists(pk)"),
            Some(v) => domain_put
                .condition_expression("version = :expected")
                .expression_attribute_values(":expected", n(v)),
        };
        let mut writes = vec![TransactWriteItem::builder()
            .put(domain_put.build().map_err(malformed)?)
            .build()];
        for entry in &change.log {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(log_to_item(&record.domain, entry)))
                .build()
                .map_err(malformed)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        // The ctid's owner, for result mails that name only the ctid.
        if let Some(ctid) = &record.ctid {
            let mut item = Item::new();
            item.insert("pk".into(), s(format!("CTID#{ctid}")));
            item.insert("sk".into(), s("CTID"));
            item.insert("domain".into(), s(&record.domain));
            item.insert("operation".into(), s(record.operation.as_str()));
            item.insert(
                "sent_at".into(),
                s(record
                    .operation_started_at
                    .as_deref()
                    .unwrap_or(&record.updated_at)),
            );
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map_err(malformed)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        if let Some(notice) = self.status_notices.then(|| change.notice()).flatten() {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(crate::notices::notice_to_item(
                    &notice,
                    &record.updated_at,
                )))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(malformed)?;
            writes.push(TransactWriteItem::builder().put(put).build());
        }
        let claim_index = writes.len();
        if let Some(key) = &change.claims_request {
            let mut item = Item::new();
            item.insert("pk".into(), s(key));
            item.insert("sk".into(), s("CLAIM"));
            item.insert("domain".into(), s(&record.domain));
            item.insert("claimed_at".into(), s(&record.updated_at));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
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
                    if failed(0) {
                        return Err(StoreError::Conflict);
                    }
                    if change.claims_request.is_some() && failed(claim_index) {
                        return Err(StoreError::AlreadyClaimed(
                            change.claims_request.clone().unwrap_or_default(),
                        ));
                    }
                }
                Err(StoreError::Unavailable(format!(
                    "TransactWriteItems: {}: {}",
                    err.code().unwrap_or("error"),
                    err.message().unwrap_or("")
                )))
            }
            Err(other) => Err(unavailable(other)),
        }
    }

    async fn request_claimed(&self, key: &str) -> Result<bool, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .key("sk", s("CLAIM"))
            .projection_expression("pk")
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item.is_some_and(|i| !i.is_empty()))
    }

    async fn ctid_domain(&self, ctid: &str) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("CTID#{ctid}")))
            .key("sk", s("CTID"))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item.and_then(|i| opt_s(&i, "domain")))
    }

    async fn record_paid_order(&self, order: &PaidOrder) -> Result<(), StoreError> {
        let mut item = Item::new();
        item.insert("pk".into(), s(format!("ORDER#{}", order.order_id)));
        item.insert("sk".into(), s("PAID"));
        item.insert("order_id".into(), s(&order.order_id));
        item.insert("account_id".into(), s(&order.account_id));
        item.insert(
            "domains".into(),
            AttributeValue::L(order.domains.iter().map(s).collect()),
        );
        item.insert("paid_at".into(), s(&order.paid_at));
        // A redelivered OrderPaid keeps the first record.
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Ok(())
            }
            Err(e) => Err(unavailable(e)),
        }
    }

    async fn paid_order(&self, order_id: &str) -> Result<Option<PaidOrder>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("ORDER#{order_id}")))
            .key("sk", s("PAID"))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        Ok(Some(PaidOrder {
            order_id: req_s(&item, "order_id")?,
            account_id: req_s(&item, "account_id")?,
            domains: list_s(&item, "domains"),
            paid_at: req_s(&item, "paid_at")?,
        }))
    }

    async fn in_flight(
        &self,
        from: &str,
        before: &str,
        limit: usize,
    ) -> Result<Vec<DomainRecord>, StoreError> {
        // `inflight_since` is `<timestamp>#<domain>`: "#" sorts before the
        // digits a later timestamp continues with, so the bounds work as
        // timestamps.
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(INFLIGHT_INDEX)
            .key_condition_expression(
                "inflight_pk = :pk AND inflight_since BETWEEN :from AND :before",
            )
            .expression_attribute_values(":pk", s(INFLIGHT_PK))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":before", s(before));
        query_index(query, limit, record_from_item).await
    }
}

/// Pages through an index query until `limit` items are read; an item that
/// cannot be read is logged and skipped, so one bad item stops nothing.
pub(crate) async fn query_index<T>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    limit: usize,
    read: impl Fn(&Item) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut found = Vec::new();
    let mut start = None;
    while found.len() < limit {
        let page = query
            .clone()
            .limit(i32::try_from(limit - found.len()).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(unavailable)?;
        for item in page.items.unwrap_or_default() {
            match read(&item) {
                Ok(value) => found.push(value),
                Err(e) => tracing::error!(
                    pk = opt_s(&item, "pk").unwrap_or_default(),
                    "index item skipped: {e}"
                ),
            }
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => break,
        }
    }
    Ok(found)
}

pub fn domain_pk(domain: &str) -> String {
    format!("DOMAIN#{domain}")
}

fn record_to_item(r: &DomainRecord) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), s(domain_pk(&r.domain)));
    item.insert("sk".into(), s("DOMAIN"));
    item.insert("domain".into(), s(&r.domain));
    item.insert("domain_unicode".into(), s(&r.domain_unicode));
    item.insert("status".into(), s(r.status.as_str()));
    item.insert("registered".into(), AttributeValue::Bool(r.registered));
    item.insert("operation".into(), s(r.operation.as_str()));
    item.insert("account_id".into(), s(&r.account_id));
    item.insert("account_kind".into(), s(r.account_kind.as_str()));
    item.insert("created_at".into(), s(&r.created_at));
    item.insert("updated_at".into(), s(&r.updated_at));
    item.insert("version".into(), n(r.version));
    let optional = [
        ("order_id", &r.order_id),
        ("ctid", &r.ctid),
        ("last_ctid", &r.last_ctid),
        ("last_error", &r.last_error),
        ("request_ref", &r.request_ref),
        ("operation_started_at", &r.operation_started_at),
        ("stid", &r.stid),
        ("job_id", &r.job_id),
        ("pending_request", &r.pending_request),
        ("pending_auth_code", &r.pending_auth_code),
        ("notify_email", &r.notify_email),
        ("notify_language", &r.notify_language),
    ];
    for (name, value) in optional {
        if let Some(v) = value {
            item.insert(name.into(), s(v));
        }
    }
    if !r.nameservers.is_empty() {
        item.insert(
            "nameservers".into(),
            AttributeValue::L(r.nameservers.iter().map(s).collect()),
        );
    }
    if let Some(ns) = &r.requested_nameservers {
        item.insert(
            "requested_nameservers".into(),
            AttributeValue::L(ns.iter().map(s).collect()),
        );
    }
    if !r.contacts.is_empty() {
        item.insert("contacts".into(), map_s(&r.contacts));
    }
    if let Some(contacts) = &r.requested_contacts {
        item.insert("requested_contacts".into(), map_s(contacts));
    }
    if r.status.in_flight() {
        if let Some(since) = &r.operation_started_at {
            item.insert("inflight_pk".into(), s(INFLIGHT_PK));
            item.insert("inflight_since".into(), s(format!("{since}#{}", r.domain)));
        }
    }
    item
}

pub fn record_from_item(item: &Item) -> Result<DomainRecord, StoreError> {
    let parse = |name: &str| -> Result<String, StoreError> { req_s(item, name) };
    let status = parse("status")?
        .parse()
        .map_err(|e| StoreError::Malformed(format!("{e}")))?;
    let operation = parse("operation")?
        .parse()
        .map_err(|e| StoreError::Malformed(format!("{e}")))?;
    let account_kind = parse("account_kind")?
        .parse()
        .map_err(|e| StoreError::Malformed(format!("{e}")))?;
    let version = req_n(item, "version")?;
    Ok(DomainRecord {
        domain: parse("domain")?,
        domain_unicode: parse("domain_unicode")?,
        status,
        registered: matches!(item.get("registered"), Some(AttributeValue::Bool(true))),
        operation,
        account_id: parse("account_id")?,
        account_kind,
        order_id: opt_s(item, "order_id"),
        ctid: opt_s(item, "ctid"),
        last_ctid: opt_s(item, "last_ctid"),
        last_error: opt_s(item, "last_error"),
        created_at: parse("created_at")?,
        updated_at: parse("updated_at")?,
        version,
        request_ref: opt_s(item, "request_ref"),
        operation_started_at: opt_s(item, "operation_started_at"),
        stid: opt_s(item, "stid"),
        job_id: opt_s(item, "job_id"),
        pending_request: opt_s(item, "pending_request"),
        pending_auth_code: opt_s(item, "pending_auth_code"),
        nameservers: list_s(item, "nameservers"),
        requested_nameservers: item
            .contains_key("requested_nameservers")
            .then(|| list_s(item, "requested_nameservers")),
        contacts: read_map_s(item, "contacts").unwrap_or_default(),
        requested_contacts: read_map_s(item, "requested_contacts"),
        notify_email: opt_s(item, "notify_email"),
        notify_language: opt_s(item, "notify_language"),
    })
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn map_s(map: &std::collections::BTreeMap<String, String>) -> AttributeValue {
    AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), s(v))).collect())
}

fn read_map_s(item: &Item, name: &str) -> Option<std::collections::BTreeMap<String, String>> {
    match item.get(name) {
        Some(AttributeValue::M(m)) => Some(
            m.iter()
                .filter_map(|(k, v)| v.as_s().ok().map(|v| (k.clone(), v.clone())))
                .collect(),
        ),
        _ => None,
    }
}

pub(crate) fn opt_s(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

pub(crate) fn req_n(item: &Item, name: &str) -> Result<u64, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v
            .parse()
            .map_err(|_| StoreError::Malformed(format!("{name} {v:?}"))),
        _ => Err(StoreError::Malformed(format!(
            "attribute {name} is missing"
        ))),
    }
}

pub(crate) fn req_s(item: &Item, name: &str) -> Result<String, StoreError> {
    opt_s(item, name).ok_or_else(|| StoreError::Malformed(format!("attribute {name} is missing")))
}

fn list_s(item: &Item, name: &str) -> Vec<String> {
    match item.get(name) {
        Some(AttributeValue::L(values)) => values
            .iter()
            .filter_map(|v| v.as_s().ok().cloned())
            .collect(),
        _ => Vec::new(),
    }
}

pub(crate) fn unavailable<E: std::error::Error + 'static>(err: E) -> StoreError {
    StoreError::Unavailable(internetx::error_chain(&err))
}

pub(crate) fn malformed(err: impl std::fmt::Display) -> StoreError {
    StoreError::Malformed(err.to_string())
}
