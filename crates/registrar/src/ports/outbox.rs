//! The storefront events owed (the outbox the life cycle fills, CONTRACT.md
//! §5) and the bus they go out on.

use std::future::Future;

use time::OffsetDateTime;

use super::StoreError;
use crate::state_event::StateEvent;

/// An event waiting in the outbox, as its index lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub domain: String,
    pub version: u64,
    /// When the change that owes it was committed.
    pub since: OffsetDateTime,
}

/// The events written beside the changes that owe them, until published.
pub trait Outbox: Send + Sync {
    /// Events waiting, oldest first, at most `limit` (read from an index:
    /// a hint, which [`Outbox::earliest`] confirms).
    fn waiting(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Waiting>, StoreError>> + Send;
    /// The domain's unpublished event of the lowest version, read
    /// consistently: the one that must go out before any later one.
    fn earliest(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<Option<StateEvent>, StoreError>> + Send;
    /// `event` went out on the bus.
    fn published(
        &self,
        event: &StateEvent,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The event bus (`PutEvents`): at most [`EventBus::MAX_BATCH`] at a time.
pub trait EventBus: Send + Sync {
    const MAX_BATCH: usize = 10;
    /// One result per event, in order: `Err` names why the bus refused it
    /// (it is then sent again later). `Err` for the whole call: nothing is
    /// known to have gone out.
    fn publish(
        &self,
        events: &[StateEvent],
    ) -> impl Future<Output = Result<Vec<Result<(), String>>, String>> + Send;
}

impl<T: Outbox> Outbox for &T {
    fn waiting(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Waiting>, StoreError>> + Send {
        (**self).waiting(limit)
    }
    fn earliest(
        &self,
        domain: &str,
    ) -> impl Future<Output = Result<Option<StateEvent>, StoreError>> + Send {
        (**self).earliest(domain)
    }
    fn published(
        &self,
        event: &StateEvent,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).published(event, at)
    }
}
