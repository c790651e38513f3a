//! Every port: what the workflows need from the world, as small traits
//! (the domain table, the gateway, the clock, the item queue, the status-mail
//! queue and the mailer). Adapters implement them for AWS; `testing` (feature
//! `test-util`) has an in-memory double for each.

use std::future::Future;

use internetx::{Exchange, GatewayClient, GatewayError, Task};
use time::OffsetDateTime;

use crate::log::LogEntry;
use crate::record::DomainRecord;
use crate::request::QueuedItem;
use crate::state_event::StateEvent;
use crate::status_mail::StatusNotice;

/// One state change: the new domain item, its log entries, the status mail
/// it owes and the claim of the event that caused it, written together or
/// not at all. Only [`crate::lifecycle`] builds one; stores write what it holds.
#[derive(Debug, Clone)]
pub struct Change {
    pub(crate) record: DomainRecord,
    pub(crate) expected_version: Option<u64>,
    pub(crate) log: Vec<LogEntry>,
    pub(crate) claim: Option<String>,
    pub(crate) notice: Option<StatusNotice>,
    /// The `DomainStateChanged` event it owes the storefront (the outbox).
    pub(crate) event: Option<StateEvent>,
    /// `false`: the item stays as it is (no version bump); the change only
    /// adds log entries (and the claim), on the condition that the item is
    /// still at `expected_version`.
    pub(crate) writes_item: bool,
    /// A registry event asks for a domain-info check of this domain (its
    /// kind): written beside the change, never onto the domain item.
    pub(crate) hint: Option<String>,
}

impl Change {
    /// The domain item as it is to be written.
    pub fn record(&self) -> &DomainRecord {
        &self.record
    }
    /// The version the decision was based on; `None`: the item must not exist.
    pub fn expected_version(&self) -> Option<u64> {
        self.expected_version
    }
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }
    /// Marks the event as handled, so a redelivery does nothing.
    pub fn claim(&self) -> Option<&str> {
        self.claim.as_deref()
    }
    /// The status mail this change owes (only when status mails are on).
    pub fn notice(&self) -> Option<&StatusNotice> {
        self.notice.as_ref()
    }
    /// The storefront event this change owes, written beside it.
    pub fn event(&self) -> Option<&StateEvent> {
        self.event.as_ref()
    }
    /// Whether the domain item itself is written, or only checked.
    pub fn writes_item(&self) -> bool {
        self.writes_item
    }
    /// The registry event that asks for a domain-info check, if any.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
    /// Whether the write holds the domain item (written, or its version
    /// checked). A registry event's hint and log line stand beside the
    /// item: anyone can mail one, so a flood of them must never hold the
    /// item in a transaction and crowd out the writers that act
    /// (security review N2).
    pub fn holds_item(&self) -> bool {
        self.writes_item || self.hint.is_none()
    }
}

/// A domain-info check a registry event asked for (`HINT` items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub domain: String,
    /// The event's kind (`domain_away`, `transfer`, …), printable.
    pub kind: String,
    pub at: String,
}

/// Where the portfolio sync stands: the next list offset, and when the
/// sweep that is under way began (`None`: none is).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncCursor {
    pub offset: u64,
    pub sweep_started_at: Option<String>,
    /// Every domain of the list was seen: checking the ones that were not.
    pub checking_absent: bool,
    /// Optimistic lock: overlapping runs cannot both advance the cursor.
    pub version: u64,
}

/// What the portfolio sync keeps besides the domain items.
pub trait PortfolioStore: Send + Sync {
    fn sync_cursor(&self) -> impl Future<Output = Result<SyncCursor, StoreError>> + Send;
    /// Saves `next` if the stored cursor is still at `next.version - 1`;
    /// `Conflict` when another run moved it.
    fn save_sync_cursor(
        &self,
        next: &SyncCursor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// The oldest checks registry events asked for, at most `limit`.
    fn hints(&self, limit: usize) -> impl Future<Output = Result<Vec<Hint>, StoreError>> + Send;
    /// Done with `hint` (unless a newer event asked again meanwhile).
    fn clear_hint(&self, hint: &Hint) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Domains the account should hold (registered, not in flight) whose
    /// last sync is older than `before` or never happened, at most `limit`.
    fn unsynced_since(
        &self,
        before: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
    /// The items of these domains that exist (one page of the list at a
    /// time, read together rather than one by one).
    fn load_many(
        &self,
        domains: &[String],
    ) -> impl Future<Output = Result<Vec<DomainRecord>, StoreError>> + Send;
    /// Domain items that keep a sealed auth code (`pending_auth_code`), at
    /// most `limit`: what `reseal` looks at.
    fn sealed(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DomainRecord>, StoreError>> + Send;
}

impl<T: PortfolioStore> PortfolioStore for &T {
    fn sync_cursor(&self) -> impl Future<Output = Result<SyncCursor, StoreError>> + Send {
        (**self).sync_cursor()
    }
    fn save_sync_cursor(
        &self,
        next: &SyncCursor,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).save_sync_cursor(next)
    }
    fn hints(&self, limit: usize) -> impl Future<Output = Result<Vec<Hint>, StoreError>> + Send {
        (**self).hints(limit)
    }
    fn clear_hint(&self, hint: &Hint) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).clear_hint(hint)
    }
    fn unsynced_since(
        &self,
        before: &str,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send {
        (**self).unsynced_since(before, limit)
    }
    fn load_many(
        &self,
        domains: &[String],
    ) -> impl Future<Output = Result<Vec<DomainRecord>, StoreError>> + Send {
        (**self).load_many(domains)
    }
    fn sealed(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DomainRecord>, StoreError>> + Send {
        (**self).sealed(limit)
    }
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
    /// A workflow asked for a status change the life cycle does not allow:
    /// a defect, never retried into success.
    #[error(transparent)]
    Refused(#[from] crate::status::TransitionRefused),
    /// Worth a retry: throttling, network, service errors.
    #[error("domain table unavailable: {0}")]
    Unavailable(String),
    /// The table cancelled the write because another transaction held one
    /// of its items, or throttled it (DynamoDB's `TransactionConflict`,
    /// `ThrottlingError` cancellation reasons, which the SDK does not
    /// retry): nothing was written, the same write may land a moment later.
    #[error("domain table busy: {0}")]
    Busy(String),
    /// An item that does not fit the table layout.
    #[error("domain table item is malformed: {0}")]
    Malformed(String),
    /// The table refused the write itself (an item too large, say): the
    /// same write would be refused again.
    #[error("domain table refused the write: {0}")]
    Rejected(String),
}

impl StoreError {
    /// Whether the same operation may succeed later (throttling, a lost
    /// race, an outage); the others fail the same way every time.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            StoreError::Unavailable(_) | StoreError::Conflict | StoreError::Busy(_)
        )
    }
}

pub trait DomainStore: Send + Sync {
    fn load(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<Option<DomainRecord>, StoreError>> + Send;
    fn commit(&self, change: &Change) -> impl Future<Output = Result<(), StoreError>> + Send;
    fn request_claimed(&self, key: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Holds `key` until `until` (RFC 3339), unless a hold of it lasts past
    /// `now`: `None` when this call holds it, else until when the earlier
    /// hold lasts (a rate limit across domains: one verification resend
    /// per owner handle every 15 minutes).
    fn hold_until(
        &self,
        key: &str,
        now: &str,
        until: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
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
    /// strictly before `before` (`None`: since the beginning), oldest first,
    /// at most `limit` (an index, never a scan).
    fn in_flight(
        &self,
        from: Option<OffsetDateTime>,
        before: OffsetDateTime,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DomainRecord>, StoreError>> + Send;
}

/// A borrowed store is a store: two workflows can share one.
impl<S: DomainStore> DomainStore for &S {
    fn load(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<Option<DomainRecord>, StoreError>> + Send {
        (**self).load(domain)
    }
    fn commit(&self, change: &Change) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).commit(change)
    }
    fn request_claimed(&self, key: &str) -> impl Future<Output = Result<bool, StoreError>> + Send {
        (**self).request_claimed(key)
    }
    fn hold_until(
        &self,
        key: &str,
        now: &str,
        until: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send {
        (**self).hold_until(key, now, until)
    }
    fn ctid_domain(
        &self,
        ctid: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send {
        (**self).ctid_domain(ctid)
    }
    fn record_paid_order(
        &self,
        order: &PaidOrder,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).record_paid_order(order)
    }
    fn paid_order(
        &self,
        order_id: &str,
    ) -> impl Future<Output = Result<Option<PaidOrder>, StoreError>> + Send {
        (**self).paid_order(order_id)
    }
    fn in_flight(
        &self,
        from: Option<OffsetDateTime>,
        before: OffsetDateTime,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<DomainRecord>, StoreError>> + Send {
        (**self).in_flight(from, before, limit)
    }
}

pub trait Gateway: Send + Sync {
    fn send(&self, task: &Task) -> impl Future<Output = Result<Exchange, GatewayError>> + Send;

    /// The longest one `send` can take, for deadlines.
    fn worst_case(&self) -> std::time::Duration {
        crate::deadline::GATEWAY_WORST_CASE
    }
}

impl<G: Gateway> Gateway for &G {
    fn send(&self, task: &Task) -> impl Future<Output = Result<Exchange, GatewayError>> + Send {
        (**self).send(task)
    }

    fn worst_case(&self) -> std::time::Duration {
        (**self).worst_case()
    }
}

impl Gateway for GatewayClient {
    fn send(&self, task: &Task) -> impl Future<Output = Result<Exchange, GatewayError>> + Send {
        GatewayClient::send(self, task)
    }

    fn worst_case(&self) -> std::time::Duration {
        GatewayClient::worst_case(self)
    }
}

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;

    /// Waits before another attempt (a backoff): the system clock sleeps;
    /// a test clock moves on by as much.
    fn pause(&self, wait: std::time::Duration) -> impl Future<Output = ()> + Send {
        let _ = wait;
        std::future::ready(())
    }
}

impl<C: Clock> Clock for &C {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }

    fn pause(&self, wait: std::time::Duration) -> impl Future<Output = ()> + Send {
        (**self).pause(wait)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn pause(&self, wait: std::time::Duration) -> impl Future<Output = ()> + Send {
        tokio::time::sleep(wait)
    }

    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// Where queued order items go (SQS in production).
pub trait ItemQueue: Send + Sync {
    fn enqueue(&self, items: &[QueuedItem]) -> impl Future<Output = Result<(), StoreError>> + Send;
}

mod mail;
pub use mail::*;
mod outbox;
pub use outbox::{EventBus, Outbox, Waiting};
