//! The store as the functions meet it: the in-memory table behind a switch
//! that kills the invocation after a chosen number of store calls (every
//! later call fails, as nothing runs after a Lambda is killed), and that
//! refuses a chosen commit with a conflict (another writer won the race),
//! and cancels a run of commits as busy (DynamoDB's `TransactionConflict`:
//! another transaction held the item, security review N2; nothing written).

use std::sync::Mutex;

use registrar::ports::{
    Change, DomainStore, Hint, PaidOrder, PortfolioStore, StoreError, SyncCursor,
};
use registrar::record::DomainRecord;
use registrar::testing::MemoryStore;
use time::OffsetDateTime;

#[derive(Debug, Default)]
pub struct Switch {
    /// Store calls left before the invocation dies (`None`: it lives).
    pub calls_left: Option<usize>,
    /// The invocation died: every call fails.
    pub dead: bool,
    /// Commits left before one is refused with a conflict.
    pub conflict_in: Option<usize>,
    /// Commits still to be cancelled as busy, from the first on.
    pub busy: usize,
}

pub struct Faulty<'a> {
    pub inner: &'a MemoryStore,
    pub switch: Mutex<Switch>,
}

impl<'a> Faulty<'a> {
    pub fn new(inner: &'a MemoryStore) -> Self {
        Self {
            inner,
            switch: Mutex::new(Switch::default()),
        }
    }

    pub fn arm(&self, kill_after: Option<usize>, conflict_in: Option<usize>, busy: usize) {
        *self.switch.lock().unwrap_or_else(|e| e.into_inner()) = Switch {
            calls_left: kill_after,
            dead: false,
            conflict_in,
            busy,
        };
    }

    pub fn disarm(&self) -> bool {
        let mut s = self.switch.lock().unwrap_or_else(|e| e.into_inner());
        let died = s.dead;
        *s = Switch::default();
        died
    }

    fn call(&self, commit: bool) -> Result<(), StoreError> {
        let mut s = self.switch.lock().unwrap_or_else(|e| e.into_inner());
        if s.dead {
            return Err(StoreError::Unavailable("the invocation was killed".into()));
        }
        if let Some(left) = s.calls_left.as_mut() {
            if *left == 0 {
                s.dead = true;
                return Err(StoreError::Unavailable("the invocation was killed".into()));
            }
            *left -= 1;
        }
        if commit {
            if s.busy > 0 {
                s.busy -= 1;
                return Err(StoreError::Busy("TransactionConflict".into()));
            }
            if let Some(n) = s.conflict_in.as_mut() {
                if *n == 0 {
                    s.conflict_in = None;
                    return Err(StoreError::Conflict);
                }
                *n -= 1;
            }
        }
        Ok(())
    }
}

impl DomainStore for Faulty<'_> {
    async fn load(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError> {
        self.call(false)?;
        self.inner.load(domain).await
    }

    async fn commit(&self, change: &Change) -> Result<(), StoreError> {
        self.call(true)?;
        self.inner.commit(change).await
    }

    async fn request_claimed(&self, key: &str) -> Result<bool, StoreError> {
        self.call(false)?;
        self.inner.request_claimed(key).await
    }

    async fn hold_until(
        &self,
        key: &str,
        now: &str,
        until: &str,
    ) -> Result<Option<String>, StoreError> {
        self.call(true)?;
        self.inner.hold_until(key, now, until).await
    }

    async fn ctid_domain(&self, ctid: &str) -> Result<Option<String>, StoreError> {
        self.call(false)?;
        self.inner.ctid_domain(ctid).await
    }

    async fn record_paid_order(&self, order: &PaidOrder) -> Result<(), StoreError> {
        self.call(false)?;
        self.inner.record_paid_order(order).await
    }

    async fn paid_order(&self, order_id: &str) -> Result<Option<PaidOrder>, StoreError> {
        self.call(false)?;
        self.inner.paid_order(order_id).await
    }

    async fn in_flight(
        &self,
        from: Option<OffsetDateTime>,
        before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<DomainRecord>, StoreError> {
        self.call(false)?;
        self.inner.in_flight(from, before, limit).await
    }
}

impl PortfolioStore for Faulty<'_> {
    async fn sync_cursor(&self) -> Result<SyncCursor, StoreError> {
        self.call(false)?;
        self.inner.sync_cursor().await
    }

    async fn save_sync_cursor(&self, next: &SyncCursor) -> Result<(), StoreError> {
        self.call(false)?;
        self.inner.save_sync_cursor(next).await
    }

    async fn hints(&self, limit: usize) -> Result<Vec<Hint>, StoreError> {
        self.call(false)?;
        self.inner.hints(limit).await
    }

    async fn clear_hint(&self, hint: &Hint) -> Result<(), StoreError> {
        self.call(false)?;
        self.inner.clear_hint(hint).await
    }

    async fn unsynced_since(&self, before: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        self.call(false)?;
        self.inner.unsynced_since(before, limit).await
    }

    async fn load_many(&self, domains: &[String]) -> Result<Vec<DomainRecord>, StoreError> {
        self.call(false)?;
        self.inner.load_many(domains).await
    }

    async fn sealed(&self, limit: usize) -> Result<Vec<DomainRecord>, StoreError> {
        self.call(false)?;
        self.inner.sealed(limit).await
    }
}
