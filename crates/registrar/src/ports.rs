//! What the workflows need from the world, as small traits.

use std::future::Future;

use internetx::{Exchange, GatewayClient, GatewayError, Task};
use time::OffsetDateTime;

use crate::record::{DomainRecord, LogEntry};

/// One state change: the new domain item and its log entries, written
/// together or not at all.
#[derive(Debug, Clone)]
pub struct Change {
    pub record: DomainRecord,
    /// The version the decision was based on; `None`: the item must not exist.
    pub expected_version: Option<u64>,
    pub log: Vec<LogEntry>,
    /// Marks the event as handled, so a redelivery does nothing.
    pub claims_request: Option<String>,
}

/// A paid order, remembered so a control-center request that arrives later
/// can see it was paid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaidOrder {
    pub order_id: String,
    pub account_id: String,
    pub domains: Vec<String>,
    pub paid_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The item changed since it was read (or exists when it should not).
    #[error("domain item changed concurrently")]
    Conflict,
    /// The event was handled before.
    #[error("request {0} was handled before")]
    AlreadyClaimed(String),
    /// Worth a retry: throttling, network, service errors.
    #[error("domain table unavailable: {0}")]
    Unavailable(String),
    /// An item that does not fit the table layout.
    #[error("domain table item is malformed: {0}")]
    Malformed(String),
}

pub trait DomainStore: Send + Sync {
    fn load(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<Option<DomainRecord>, StoreError>> + Send;
    fn commit(&self, change: &Change) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn request_claimed(&self, key: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// The domain whose operation was sent with this ctid.
    fn ctid_domain(
        &self,
        ctid: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    fn record_paid_order(
        &self,
        order: &PaidOrder,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn paid_order(
        &self,
        order_id: &str,
    ) -> impl Future<Output = Result<Option<PaidOrder>, StoreError>> + Send;
    /// Domains whose operation in flight was sent at or after `from` and
    /// before `before` (RFC 3339 timestamps), oldest first, at most `limit`
    /// (an index, never a scan).
    fn in_flight(
        &self,
        from: &str,
        before: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DomainRecord>, StoreError>> + Send;
}

pub trait Gateway: Send + Sync {
    fn send(&self, task: &Task) -> impl Future<Output = Result<Exchange, GatewayError>> + Send;
}

impl Gateway for GatewayClient {
    fn send(&self, task: &Task) -> impl Future<Output = Result<Exchange, GatewayError>> + Send {
        GatewayClient::send(self, task)
    }
}

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}
