//! The one read → decide → commit loop: a decision is a [`Transition`] of
//! the item read; a lost race reloads the item and decides again.

use time::OffsetDateTime;

use super::{NoticePolicy, Transition};
use crate::ports::{Clock, DomainStore, StoreError};
use crate::record::DomainRecord;
use crate::state_event::Cause;

/// How often a decision is retaken after losing a race for the domain item.
pub const MAX_ATTEMPTS: usize = 5;

/// How often a write the table cancelled as busy (another transaction on
/// the item, throttling) is tried again, after a jittered, doubling pause
/// of [`BUSY_FIRST_PAUSE`] up to [`BUSY_MAX_PAUSE`]: about 5 s at most.
pub const BUSY_ATTEMPTS: usize = 8;
const BUSY_FIRST_PAUSE: std::time::Duration = std::time::Duration::from_millis(40);
const BUSY_MAX_PAUSE: std::time::Duration = std::time::Duration::from_millis(1_500);

/// The pause before busy retry `n` (0-based): between half and all of a
/// doubling ceiling, at random, so writers that collided do not collide
/// again in step.
fn busy_pause(n: usize) -> std::time::Duration {
    let ceiling = BUSY_FIRST_PAUSE
        .saturating_mul(1u32 << n.min(16))
        .min(BUSY_MAX_PAUSE);
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    std::time::Duration::from_nanos(rand::random_range(nanos / 2..=nanos.max(1)))
}

/// What one decision on the item read comes to.
pub enum Step<T> {
    /// Write this transition; `T` is the workflow's result if it commits.
    Write(Box<Transition>, T),
    /// Nothing to write.
    Skip(T),
}

impl<T> Step<T> {
    pub fn write(transition: Transition, value: T) -> Self {
        Step::Write(Box::new(transition), value)
    }
}

/// How a commit ended.
#[derive(Debug)]
pub enum Committed<T> {
    /// Written; the item as it now is.
    Written(T, Box<DomainRecord>),
    /// The decision wrote nothing.
    Skipped(T),
    /// The event's claim exists: it was handled before.
    AlreadyClaimed,
}

/// The life cycle bound to a store and a clock.
pub struct Lifecycle<'a, S, C> {
    pub store: &'a S,
    pub clock: &'a C,
    pub notices: NoticePolicy,
    /// What the changes it commits are caused by, for their events.
    pub cause: Cause,
}

/// How one attempt ended.
#[derive(Debug)]
pub enum Attempt {
    Written(Box<DomainRecord>),
    /// The item changed since it was read.
    Conflict,
    AlreadyClaimed,
}

impl<S: DomainStore, C: Clock> Lifecycle<'_, S, C> {
    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// One write: a lost race is the caller's to judge. A write the table
    /// cancelled as busy wrote nothing and is tried again as it is, after
    /// a pause (security review N2: a burst of other transactions on the
    /// item must not cost a claim or a gateway answer).
    pub async fn commit(&self, transition: Transition) -> Result<Attempt, StoreError> {
        let change = transition.into_change(self.notices, self.cause)?;
        let mut busy = 0;
        loop {
            return match self.store.commit(&change).await {
                Ok(()) => Ok(Attempt::Written(Box::new(change.record))),
                Err(StoreError::Conflict) => Ok(Attempt::Conflict),
                Err(StoreError::AlreadyClaimed(_)) => Ok(Attempt::AlreadyClaimed),
                Err(StoreError::Busy(why)) if busy + 1 < BUSY_ATTEMPTS => {
                    tracing::debug!(domain = %change.record.domain, attempt = busy, why, "domain table busy, trying the write again");
                    self.clock.pause(busy_pause(busy)).await;
                    busy += 1;
                    continue;
                }
                Err(e) => Err(e),
            };
        }
    }

    /// Read → decide → commit, deciding again on the fresh item after a lost
    /// race, at most [`MAX_ATTEMPTS`] times. `current`: the item as the
    /// caller already read it (`Some(None)`: read, and there is none), or
    /// `None` to read it first.
    pub async fn commit_with_retry<T>(
        &self,
        domain: &str,
        current: Option<Option<DomainRecord>>,
        mut decide: impl FnMut(Option<&DomainRecord>, OffsetDateTime) -> Step<T>,
    ) -> Result<Committed<T>, StoreError> {
        let mut current = match current {
            Some(read) => read,
            None => self.store.load(domain).await?,
        };
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                current = self.store.load(domain).await?;
            }
            match decide(current.as_ref(), self.clock.now()) {
                Step::Skip(value) => return Ok(Committed::Skipped(value)),
                Step::Write(transition, value) => match self.commit(*transition).await? {
                    Attempt::Written(record) => return Ok(Committed::Written(value, record)),
                    Attempt::AlreadyClaimed => return Ok(Committed::AlreadyClaimed),
                    Attempt::Conflict => continue,
                },
            }
        }
        Err(StoreError::Unavailable(format!(
            "{domain} kept changing; gave up after {MAX_ATTEMPTS} attempts"
        )))
    }
}
