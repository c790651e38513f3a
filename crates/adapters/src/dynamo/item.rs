//! DynamoDB attribute values in and out, SDK errors as store errors, and
//! index queries that page.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use registrar::ports::StoreError;

pub(crate) type Item = HashMap<String, AttributeValue>;

/// Pages through an index query (the SDK's paginator) until `limit` items
/// are read; an item that cannot be read is logged and skipped, so one bad
/// item stops nothing.
pub(crate) async fn query_index<T>(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    limit: usize,
    read: impl Fn(&Item) -> Result<T, StoreError>,
) -> Result<Vec<T>, StoreError> {
    let mut found = Vec::new();
    if limit == 0 {
        return Ok(found);
    }
    let mut items = query
        .limit(i32::try_from(limit).unwrap_or(i32::MAX))
        .into_paginator()
        .items()
        .send();
    while let Some(item) = items.next().await {
        let item = item.map_err(unavailable)?;
        match read(&item) {
            Ok(value) => found.push(value),
            Err(e) => tracing::error!(
                pk = opt_s(&item, "pk").unwrap_or_default(),
                "index item skipped: {e}"
            ),
        }
        if found.len() >= limit {
            break;
        }
    }
    Ok(found)
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
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

pub(crate) fn list_s(item: &Item, name: &str) -> Vec<String> {
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

/// Whether a conditional write (put, update, delete) went through: `false`
/// when its condition failed — the state it guards is already there, or
/// another writer won — which each caller reads as its case wants.
pub(crate) fn written<T, E, R>(
    result: Result<T, aws_sdk_dynamodb::error::SdkError<E, R>>,
) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    use aws_sdk_dynamodb::error::SdkError;
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(e))
            if e.err().code() == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(e) => Err(unavailable(e)),
    }
}

pub(crate) fn malformed(err: impl std::fmt::Display) -> StoreError {
    StoreError::Malformed(err.to_string())
}
