//! An in-memory [`DomainStore`] with the same semantics as the DynamoDB one
//! (conditional, all-or-nothing commits), for unit tests and benchmarks.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use crate::ports::{Change, DomainStore, PaidOrder, StoreError};
use crate::record::{timestamp, DomainRecord, LogEntry};

#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    domains: HashMap<String, DomainRecord>,
    logs: BTreeMap<(String, String), LogEntry>,
    claims: HashSet<String>,
    orders: HashMap<String, PaidOrder>,
    ctids: HashMap<String, String>,
    commits: usize,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data: commits are all-or-nothing.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn domain(&self, name: &str) -> Option<DomainRecord> {
        self.lock().domains.get(name).cloned()
    }

    /// The domain's log in time order.
    pub fn log(&self, name: &str) -> Vec<LogEntry> {
        self.lock()
            .logs
            .iter()
            .filter(|((d, _), _)| d == name)
            .map(|(_, e)| e.clone())
            .collect()
    }

    pub fn commits(&self) -> usize {
        self.lock().commits
    }
}

impl DomainStore for MemoryStore {
    async fn load(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError> {
        Ok(self.domain(domain))
    }

    async fn commit(&self, change: &Change) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let found = inner.domains.get(&change.record.domain).map(|d| d.version);
        if found != change.expected_version {
            return Err(StoreError::Conflict);
        }
        if let Some(key) = &change.claims_request {
            if inner.claims.contains(key) {
                return Err(StoreError::AlreadyClaimed(key.clone()));
            }
            inner.claims.insert(key.clone());
        }
        if let Some(ctid) = &change.record.ctid {
            inner
                .ctids
                .insert(ctid.clone(), change.record.domain.clone());
        }
        inner
            .domains
            .insert(change.record.domain.clone(), change.record.clone());
        for (i, entry) in change.log.iter().enumerate() {
            let sk = format!("LOG#{}#{:04}", timestamp(entry.at), inner.logs.len() + i);
            inner
                .logs
                .insert((change.record.domain.clone(), sk), entry.clone());
        }
        inner.commits += 1;
        Ok(())
    }

    async fn request_claimed(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.lock().claims.contains(key))
    }

    async fn ctid_domain(&self, ctid: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().ctids.get(ctid).cloned())
    }

    async fn record_paid_order(&self, order: &PaidOrder) -> Result<(), StoreError> {
        self.lock()
            .orders
            .insert(order.order_id.clone(), order.clone());
        Ok(())
    }

    async fn paid_order(&self, order_id: &str) -> Result<Option<PaidOrder>, StoreError> {
        Ok(self.lock().orders.get(order_id).cloned())
    }

    async fn in_flight(
        &self,
        from: &str,
        before: &str,
        limit: usize,
    ) -> Result<Vec<DomainRecord>, StoreError> {
        let mut found: Vec<DomainRecord> = self
            .lock()
            .domains
            .values()
            .filter(|d| d.status.in_flight())
            // The same keys as the DynamoDB index: `<sent at>#<domain>`.
            .filter(|d| {
                d.operation_started_at.as_deref().is_some_and(|at| {
                    let key = format!("{at}#{}", d.domain);
                    key.as_str() >= from && key.as_str() <= before
                })
            })
            .cloned()
            .collect();
        found.sort_by(|a, b| a.operation_started_at.cmp(&b.operation_started_at));
        found.truncate(limit);
        Ok(found)
    }
}
