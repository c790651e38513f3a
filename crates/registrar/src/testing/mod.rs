//! In-memory doubles of every port (feature `test-util`), for unit tests of
//! the workflows and the function handlers, and for benchmarks: a store with
//! the same semantics as the DynamoDB one (conditional, all-or-nothing
//! commits that also queue the status mail they carry), a scripted gateway,
//! a fixed clock, an item queue and a mailer that record what they get.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use time::OffsetDateTime;

use crate::defaults::RequestDefaults;
use crate::lifecycle::NoticePolicy;
use crate::log::{timestamp, LogEntry};
use crate::ports::{
    Change, Clock, DomainStore, Gateway, Hint, NoticeEnd, NoticeQueue, NoticeState, Outbox,
    PaidOrder, PortfolioStore, QueuedNotice, StoreError, SyncCursor, Waiting,
};
use crate::record::DomainRecord;
use crate::reply_address::ReplyAddress;
use crate::seal::Sealer;
use crate::state_event::StateEvent;
use crate::workflows::Registrar;

mod doubles;
mod gateway;

pub use crate::lifecycle::{in_flight_record, seed, settled_as};
pub use doubles::{MemoryMailbox, RecordingBus, RecordingMailer, VecItemQueue};
pub use gateway::{Script, ScriptedGateway, SCRIPTED_AUTH_CODE};

/// The secret the doubles' reply addresses and sealer use.
pub const SECRET: &[u8] = b"test-secret-0123456789";
/// The reply address the doubles use.
pub const REPLY_TO: &str = "internetx@inbound.example.net";

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves consistent data: every update is all-or-nothing.
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A registrar over in-memory ports, with status mails queued.
pub fn registrar<G: Gateway>(gateway: G) -> Registrar<MemoryStore, G, TestClock> {
    Registrar {
        store: MemoryStore::default(),
        gateway,
        clock: TestClock::default(),
        reply: reply_address(),
        sealer: Sealer::new(SECRET),
        notices: NoticePolicy { enabled: true },
        defaults: defaults(),
        payment_window: PAYMENT_WINDOW,
        cause: crate::state_event::Cause::Event,
    }
}

/// The payment window of the doubles' registrar (the default, 30 days).
pub const PAYMENT_WINDOW: time::Duration = time::Duration::days(30);

/// The provider defaults the doubles use: two name servers, a tech handle.
pub fn defaults() -> RequestDefaults {
    RequestDefaults {
        nameservers: vec!["ns1.provider.example".into(), "ns2.provider.example".into()],
        tech: Some("TECH-PROVIDER".into()),
        ..RequestDefaults::default()
    }
}

/// The mail workflow over `store`, with the doubles' reply address and the
/// default configuration (status mails off; set `notices` to turn them on).
pub fn inbound<S: DomainStore>(store: S) -> crate::workflows::inbound_mail::Inbound<S, TestClock> {
    crate::workflows::inbound_mail::Inbound {
        store,
        clock: TestClock::default(),
        reply: reply_address(),
        config: crate::workflows::inbound_mail::InboundConfig::default(),
        notices: NoticePolicy::default(),
    }
}

/// `raw` as SES stores it: with the `Received` header SES prepends, for
/// the address in the mail's `To` (the only recipient the mail parser
/// trusts: security review N16).
pub fn via_ses(raw: &str) -> String {
    let to = raw
        .lines()
        .find_map(|line| line.strip_prefix("To: "))
        .unwrap_or_default()
        .trim();
    format!(
        "Received: from mail.autodns.com (mail.autodns.com [62.116.129.216])\r\n by inbound-smtp.eu-central-1.amazonaws.com with SMTP id test\r\n for {to};\r\n Wed, 02 Dec 2026 10:00:00 +0000\r\n{raw}"
    )
}

pub fn reply_address() -> ReplyAddress {
    ReplyAddress::new(REPLY_TO, SECRET).unwrap_or_else(|e| panic!("test reply address: {e}"))
}

#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Clone)]
struct OutboxEntry {
    event: StateEvent,
    since: OffsetDateTime,
    published: bool,
}

#[derive(Debug, Default)]
struct Inner {
    domains: HashMap<String, DomainRecord>,
    logs: BTreeMap<(String, String), LogEntry>,
    claims: HashSet<String>,
    holds: HashMap<String, String>,
    orders: HashMap<String, PaidOrder>,
    ctids: HashMap<String, String>,
    notices: BTreeMap<(String, u64), QueuedNotice>,
    hints: BTreeMap<String, Hint>,
    /// The storefront events owed, and whether each went out.
    outbox: BTreeMap<(String, u64), OutboxEntry>,
    /// Marks of published events still to fail (a publisher killed
    /// between `PutEvents` and its mark).
    mark_outages: usize,
    cursor: SyncCursor,
    commits: usize,
    /// Commits still to fail with `Unavailable` (a table outage)…
    outages: usize,
    /// …after this many more succeed.
    outage_after: usize,
    /// Commits still to be cancelled as `Busy` (DynamoDB's
    /// `TransactionConflict`: another transaction held the item).
    busy: usize,
}

impl MemoryStore {
    pub fn domain(&self, name: &str) -> Option<DomainRecord> {
        lock(&self.inner).domains.get(name).cloned()
    }

    pub fn domains(&self) -> Vec<DomainRecord> {
        let mut all: Vec<_> = lock(&self.inner).domains.values().cloned().collect();
        all.sort_by(|a, b| a.domain.cmp(&b.domain));
        all
    }

    /// The domain's log in time order.
    pub fn log(&self, name: &str) -> Vec<LogEntry> {
        lock(&self.inner)
            .logs
            .iter()
            .filter(|((d, _), _)| d == name)
            .map(|(_, e)| e.clone())
            .collect()
    }

    /// The domain's log as its action names.
    pub fn actions(&self, name: &str) -> Vec<&'static str> {
        self.log(name).iter().map(|e| e.action).collect()
    }

    pub fn commits(&self) -> usize {
        lock(&self.inner).commits
    }

    /// The status mails waiting or claimed.
    pub fn notices(&self) -> Vec<QueuedNotice> {
        lock(&self.inner).notices.values().cloned().collect()
    }

    /// Every storefront event the changes owed, in domain and version order.
    pub fn outbox(&self) -> Vec<StateEvent> {
        lock(&self.inner)
            .outbox
            .values()
            .map(|e| e.event.clone())
            .collect()
    }

    /// The events not yet marked published.
    pub fn unpublished(&self) -> Vec<StateEvent> {
        lock(&self.inner)
            .outbox
            .values()
            .filter(|e| !e.published)
            .map(|e| e.event.clone())
            .collect()
    }

    /// The next `n` marks of a published event fail (the publisher died
    /// after the bus took it).
    pub fn fail_next_marks(&self, n: usize) {
        lock(&self.inner).mark_outages = n;
    }

    /// The next `n` commits fail as if the table were unavailable.
    pub fn fail_next_commits(&self, n: usize) {
        self.fail_commits_after(0, n);
    }

    /// After `ok` more commits, `n` fail (a function killed, or the table
    /// gone, between two writes of one step).
    pub fn fail_commits_after(&self, ok: usize, n: usize) {
        let mut inner = lock(&self.inner);
        inner.outage_after = ok;
        inner.outages = n;
    }

    /// The next `n` commits that hold a domain item are cancelled as
    /// `Busy`, as DynamoDB cancels a transaction that collides with another.
    pub fn busy_next_commits(&self, n: usize) {
        lock(&self.inner).busy = n;
    }
}

impl DomainStore for MemoryStore {
    async fn load(&self, domain: &str) -> Result<Option<DomainRecord>, StoreError> {
        Ok(self.domain(domain))
    }

    async fn commit(&self, change: &Change) -> Result<(), StoreError> {
        let mut inner = lock(&self.inner);
        if inner.busy > 0 && change.holds_item() {
            inner.busy -= 1;
            return Err(StoreError::Busy("TransactionConflict".into()));
        }
        if inner.outages > 0 {
            if inner.outage_after > 0 {
                inner.outage_after -= 1;
            } else {
                inner.outages -= 1;
                return Err(StoreError::Unavailable("memory store outage".into()));
            }
        }
        let record = change.record();
        let found = inner.domains.get(&record.domain).map(|d| d.version());
        if change.holds_item() && found != change.expected_version() {
            return Err(StoreError::Conflict);
        }
        if let Some(key) = change.claim() {
            if !inner.claims.insert(key.to_owned()) {
                return Err(StoreError::AlreadyClaimed(key.to_owned()));
            }
        }
        if let Some(ctid) = record.ctid().filter(|_| change.writes_item()) {
            inner.ctids.insert(ctid.to_owned(), record.domain.clone());
        }
        if let Some(notice) = change.notice() {
            inner.notices.insert(
                (notice.domain.clone(), notice.version),
                QueuedNotice {
                    notice: notice.clone(),
                    state: NoticeState::Pending,
                    attempts: 0,
                    claimed_at: None,
                },
            );
        }
        if let Some(event) = change.event() {
            let key = (event.domain.clone(), event.version);
            if inner.outbox.contains_key(&key) {
                return Err(StoreError::Unavailable(format!(
                    "outbox event {} exists",
                    event.event_id
                )));
            }
            let since = crate::log::parse_timestamp(&record.updated_at)
                .unwrap_or(OffsetDateTime::UNIX_EPOCH);
            inner.outbox.insert(
                key,
                OutboxEntry {
                    event: event.clone(),
                    since,
                    published: false,
                },
            );
        }
        if let Some(kind) = change.hint() {
            let hint = Hint {
                domain: record.domain.clone(),
                kind: kind.to_owned(),
                at: record.updated_at.clone(),
            };
            inner.hints.insert(record.domain.clone(), hint);
        }
        if change.writes_item() {
            inner.domains.insert(record.domain.clone(), record.clone());
        }
        for (i, entry) in change.log().iter().enumerate() {
            let sk = format!("LOG#{}#{:06}", timestamp(entry.at), inner.logs.len() + i);
            inner
                .logs
                .insert((record.domain.clone(), sk), entry.clone());
        }
        inner.commits += 1;
        Ok(())
    }

    async fn request_claimed(&self, key: &str) -> Result<bool, StoreError> {
        Ok(lock(&self.inner).claims.contains(key))
    }

    async fn hold_until(
        &self,
        key: &str,
        now: &str,
        until: &str,
    ) -> Result<Option<String>, StoreError> {
        let mut inner = lock(&self.inner);
        match inner.holds.get(key) {
            Some(held) if held.as_str() > now => Ok(Some(held.clone())),
            _ => {
                inner.holds.insert(key.to_owned(), until.to_owned());
                Ok(None)
            }
        }
    }

    async fn ctid_domain(&self, ctid: &str) -> Result<Option<String>, StoreError> {
        Ok(lock(&self.inner).ctids.get(ctid).cloned())
    }

    async fn record_paid_order(&self, order: &PaidOrder) -> Result<(), StoreError> {
        lock(&self.inner)
            .orders
            .insert(order.order_id.clone(), order.clone());
        Ok(())
    }

    async fn paid_order(&self, order_id: &str) -> Result<Option<PaidOrder>, StoreError> {
        Ok(lock(&self.inner).orders.get(order_id).cloned())
    }

    async fn in_flight(
        &self,
        from: Option<OffsetDateTime>,
        before: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<DomainRecord>, StoreError> {
        let sent = |d: &DomainRecord| {
            d.operation_started_at
                .as_deref()
                .and_then(crate::log::parse_timestamp)
        };
        let mut found: Vec<DomainRecord> = lock(&self.inner)
            .domains
            .values()
            .filter(|d| d.status().in_flight())
            .filter(|d| sent(d).is_some_and(|at| from.is_none_or(|from| at >= from) && at < before))
            .cloned()
            .collect();
        found.sort_by_key(|d| sent(d));
        found.truncate(limit);
        Ok(found)
    }
}

impl MemoryStore {
    /// The checks registry events asked for.
    pub fn pending_hints(&self) -> Vec<Hint> {
        lock(&self.inner).hints.values().cloned().collect()
    }
}

impl PortfolioStore for MemoryStore {
    async fn sync_cursor(&self) -> Result<SyncCursor, StoreError> {
        Ok(lock(&self.inner).cursor.clone())
    }

    async fn save_sync_cursor(&self, next: &SyncCursor) -> Result<(), StoreError> {
        let mut inner = lock(&self.inner);
        if inner.cursor.version + 1 != next.version {
            return Err(StoreError::Conflict);
        }
        inner.cursor = next.clone();
        Ok(())
    }

    async fn hints(&self, limit: usize) -> Result<Vec<Hint>, StoreError> {
        let mut hints: Vec<Hint> = lock(&self.inner).hints.values().cloned().collect();
        hints.sort_by(|a, b| a.at.cmp(&b.at));
        hints.truncate(limit);
        Ok(hints)
    }

    async fn clear_hint(&self, hint: &Hint) -> Result<(), StoreError> {
        let mut inner = lock(&self.inner);
        if inner.hints.get(&hint.domain) == Some(hint) {
            inner.hints.remove(&hint.domain);
        }
        Ok(())
    }

    async fn load_many(&self, domains: &[String]) -> Result<Vec<DomainRecord>, StoreError> {
        let inner = lock(&self.inner);
        Ok(domains
            .iter()
            .filter_map(|d| inner.domains.get(d).cloned())
            .collect())
    }

    async fn sealed(&self, limit: usize) -> Result<Vec<DomainRecord>, StoreError> {
        let inner = lock(&self.inner);
        Ok(inner
            .domains
            .values()
            .filter(|r| r.pending_auth_code.is_some())
            .take(limit)
            .cloned()
            .collect())
    }

    async fn unsynced_since(&self, before: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let inner = lock(&self.inner);
        let mut out: Vec<String> = inner
            .domains
            .values()
            .filter(|r| crate::workflows::sync::held_by_account(r))
            .filter(|r| {
                r.portfolio
                    .synced_at
                    .as_deref()
                    .is_none_or(|at| at < before)
            })
            .map(|r| r.domain.clone())
            .collect();
        out.sort();
        out.truncate(limit);
        Ok(out)
    }
}

impl NoticeQueue for MemoryStore {
    async fn waiting(&self, limit: usize) -> Result<Vec<QueuedNotice>, StoreError> {
        Ok(self.notices().into_iter().take(limit).collect())
    }

    async fn claim(&self, notice: &QueuedNotice, at: OffsetDateTime) -> Result<(), StoreError> {
        let mut inner = lock(&self.inner);
        let key = (notice.notice.domain.clone(), notice.notice.version);
        match inner.notices.get_mut(&key) {
            Some(held) if held.state == NoticeState::Pending => {
                held.state = NoticeState::Sending;
                held.claimed_at = Some(at);
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn finish(
        &self,
        notice: &QueuedNotice,
        end: &NoticeEnd,
        log: &LogEntry,
    ) -> Result<(), StoreError> {
        let mut inner = lock(&self.inner);
        let key = (notice.notice.domain.clone(), notice.notice.version);
        let Some(held) = inner.notices.get_mut(&key) else {
            return Err(StoreError::Conflict);
        };
        if let NoticeEnd::Retry { .. } = end {
            held.state = NoticeState::Pending;
            held.attempts += 1;
        } else {
            inner.notices.remove(&key);
        }
        let sk = format!("LOG#{}#{:06}", timestamp(log.at), inner.logs.len());
        inner
            .logs
            .insert((notice.notice.domain.clone(), sk), log.clone());
        Ok(())
    }
}

impl Outbox for MemoryStore {
    async fn waiting(&self, limit: usize) -> Result<Vec<Waiting>, StoreError> {
        let inner = lock(&self.inner);
        let mut waiting: Vec<Waiting> = inner
            .outbox
            .values()
            .filter(|e| !e.published)
            .map(|e| Waiting {
                domain: e.event.domain.clone(),
                version: e.event.version,
                since: e.since,
            })
            .collect();
        waiting
            .sort_by(|a, b| (a.since, &a.domain, a.version).cmp(&(b.since, &b.domain, b.version)));
        waiting.truncate(limit);
        Ok(waiting)
    }

    async fn earliest(&self, domain: &str) -> Result<Option<StateEvent>, StoreError> {
        Ok(lock(&self.inner)
            .outbox
            .values()
            .find(|e| e.event.domain == domain && !e.published)
            .map(|e| e.event.clone()))
    }

    async fn published(&self, event: &StateEvent, _at: OffsetDateTime) -> Result<(), StoreError> {
        let mut inner = lock(&self.inner);
        if inner.mark_outages > 0 {
            inner.mark_outages -= 1;
            return Err(StoreError::Unavailable("memory store outage".into()));
        }
        if let Some(entry) = inner.outbox.get_mut(&(event.domain.clone(), event.version)) {
            entry.published = true;
        }
        Ok(())
    }
}

/// A clock that starts at a fixed time and moves one millisecond per
/// reading (so log entries of successive steps keep their order), or as
/// far as [`TestClock::advance`] says.
#[derive(Debug)]
pub struct TestClock(Mutex<OffsetDateTime>);

impl Default for TestClock {
    fn default() -> Self {
        Self::at(time::macros::datetime!(2026-11-29 12:00 UTC))
    }
}

impl TestClock {
    pub fn at(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    pub fn advance(&self, by: time::Duration) {
        *lock(&self.0) += by;
    }
}

impl Clock for TestClock {
    fn now(&self) -> OffsetDateTime {
        let mut now = lock(&self.0);
        *now += time::Duration::milliseconds(1);
        *now
    }

    fn pause(&self, wait: std::time::Duration) -> impl std::future::Future<Output = ()> + Send {
        self.advance(time::Duration::try_from(wait).unwrap_or(time::Duration::ZERO));
        std::future::ready(())
    }
}
