//! `sync`: keeps the whole portfolio true, not only what is in flight.
//!
//! Each run (scheduled, or the CLI's `sync`) first answers the domain-info
//! checks registry events asked for (`domain_away` and the like are mail
//! from anyone: only domain info decides), then walks the account's domain
//! list a bounded number of pages further, resuming where the last run
//! stopped, and records on each domain item what InterNetX shows: expiry and
//! payable dates, registry status and lock, cancelation (`cancel_at`), name
//! servers, `synced_at` — and what differs from the table (`drift`, one
//! `sync.drift` log line when it changes). Once the list is through, the
//! domains the table holds but the list did not show are checked one by one
//! with domain info: gone (`E0105`) means `TransferredAway`, or `Deleted`
//! after a due cancelation. Nothing is sent but `0105`, Contact
//! Verification Info (`0344`, [`verification`]) for the checks that ask for
//! the owner's verification, and the answer to an outgoing transfer the
//! provider's policy gives (`transfer_out`).

mod compare;
mod import;
mod paging;
mod transfer_out;
mod verification;

use std::collections::HashMap;

use internetx::{AnswerKind, DomainData, Task, TaskKind};
use time::OffsetDateTime;

use crate::deadline::{request_budget, Deadline};
use crate::lifecycle::{Committed, Step, Transition};
use crate::log::{action, timestamp, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, Gateway, PortfolioStore, StoreError, SyncCursor};
use crate::record::DomainRecord;
use crate::request::new_ctid;
use crate::status::Status;
use crate::workflows::reconcile::{domain_info, Presence};
use crate::workflows::Registrar;

pub use compare::{gone_status, record_data, will_lapse};
pub use import::ImportReport;
pub(crate) use paging::next_offset;
pub(crate) use transfer_out::Pending;
pub use transfer_out::{reports_transfer_out, TransferOutPolicy};
pub use verification::{asks_verification, owner_handle, VERIFICATION_HINT};

/// Whether the account should hold the domain (and no registration or
/// transfer of ours is under way): those the end of a sweep checks when the
/// list did not show them, and the only ones that can be found gone.
pub fn held_by_account(record: &DomainRecord) -> bool {
    match record.status() {
        Status::Registered | Status::Updating | Status::Cancelling | Status::Cancelled => true,
        // A failed change leaves a registered domain in `Error`; a failed
        // registration leaves nothing at InterNetX.
        Status::Error => record.registered(),
        _ => false,
    }
}

#[derive(Debug, Clone)]
pub struct SyncPolicy {
    /// Domains per list request.
    pub page: u64,
    /// List requests per run.
    pub pages_per_run: usize,
    /// Domain-info checks per run (registry events, then absent domains).
    pub checks_per_run: usize,
    /// What to answer when an event reports an outgoing transfer.
    pub transfer_out: TransferOutPolicy,
}

impl Default for SyncPolicy {
    fn default() -> Self {
        Self {
            page: 100,
            pages_per_run: 50,
            checks_per_run: 20,
            transfer_out: TransferOutPolicy::Operator,
        }
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SyncReport {
    /// Gateway requests made (list pages and domain info).
    pub requests: usize,
    /// Domains the list pages showed.
    pub listed: usize,
    /// Of those, domains the table knows (dated, compared).
    pub recorded: usize,
    /// In the account but not in the table (`internetx-bridge import`).
    pub unknown: usize,
    /// Domains whose comparison found a new difference.
    pub drift: usize,
    /// Domains recorded in this run that InterNetX will let lapse at their
    /// expiry though nobody cancelled them (`will_lapse`): the `WillLapse`
    /// metric and alarm. Counted on every run that sees them, not only
    /// when their drift line is new.
    pub will_lapse: usize,
    /// Domains found gone from the account.
    pub gone: usize,
    /// Registry events' checks answered.
    pub hints: usize,
    /// Owner verifications asked (`0344`) and recorded.
    pub verifications: usize,
    /// Outgoing transfers reported: what was answered, or why not.
    pub transfers_out: Vec<crate::report::ItemReport>,
    /// The sweep ended in this run: every domain was listed or checked.
    pub sweep_completed: bool,
    /// Why part of the run was left for the next one.
    pub problems: Vec<String>,
}

impl<S: DomainStore + PortfolioStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// One run, asking InterNetX only while another request fits before
    /// `deadline` (and the transfer-out answers it sends check it too).
    pub async fn sync(
        &self,
        policy: SyncPolicy,
        deadline: Deadline,
    ) -> Result<SyncReport, StoreError> {
        crate::deadline::within(deadline, self.sync_within(policy, deadline)).await
    }

    async fn sync_within(
        &self,
        policy: SyncPolicy,
        deadline: Deadline,
    ) -> Result<SyncReport, StoreError> {
        let mut report = SyncReport::default();
        let budget = request_budget(self.gateway.worst_case());
        let fits = || deadline.leaves(budget);
        for hint in self.store.hints(policy.checks_per_run).await? {
            if !fits() {
                return Ok(report);
            }
            let why = format!("a registry event ({}) asked for it", hint.kind);
            self.check(&hint.domain, &why, &mut report).await?;
            // A verification check that could not be asked keeps its hint
            // for the next run: nothing else would ask again.
            if asks_verification(&hint.kind)
                && !(fits() && self.verification_check(&hint.domain, &mut report).await?)
            {
                continue;
            }
            if reports_transfer_out(&hint.kind) {
                if let Some(item) = self
                    .transfer_out_reported(&hint, &policy.transfer_out, &mut report.requests)
                    .await?
                {
                    report.transfers_out.push(item);
                }
            }
            self.store.clear_hint(&hint).await?;
            report.hints += 1;
        }
        let mut cursor = self.store.sync_cursor().await?;
        for _ in 0..policy.pages_per_run {
            if cursor.checking_absent || !fits() {
                break;
            }
            let mut next = SyncCursor {
                version: cursor.version + 1,
                sweep_started_at: cursor
                    .sweep_started_at
                    .clone()
                    .or_else(|| Some(timestamp(self.clock.now()))),
                ..cursor.clone()
            };
            report.requests += 1;
            let (domains, total) = match self.list_page(cursor.offset, policy.page).await {
                Ok(domains) => domains,
                Err(problem) => {
                    report.problems.push(problem);
                    break;
                }
            };
            report.listed += domains.len();
            let names: Vec<String> = domains.iter().map(|d| d.name.clone()).collect();
            let items: HashMap<String, DomainRecord> = self
                .store
                .load_many(&names)
                .await?
                .into_iter()
                .map(|r| (r.domain.clone(), r))
                .collect();
            self.record_page(&domains, items, &mut report).await?;
            match next_offset(cursor.offset, policy.page, domains.len(), total) {
                Some(offset) => next.offset = offset,
                None => {
                    next.checking_absent = true;
                    next.offset = 0;
                }
            }
            if !self.advance(&next, &mut report).await? {
                return Ok(report);
            }
            cursor = next;
        }
        // Every page was read: the domains the list did not show are
        // checked one by one, a bounded number per run.
        if cursor.checking_absent && fits() {
            let since = cursor.sweep_started_at.clone().unwrap_or_default();
            let absent = self
                .store
                .unsynced_since(&since, policy.checks_per_run)
                .await?;
            for domain in &absent {
                if !fits() {
                    return Ok(report);
                }
                self.check(
                    domain,
                    "it was not in the account's domain list",
                    &mut report,
                )
                .await?;
            }
            if absent.len() < policy.checks_per_run {
                let done = SyncCursor {
                    version: cursor.version + 1,
                    ..SyncCursor::default()
                };
                report.sweep_completed = self.advance(&done, &mut report).await?;
            }
        }
        Ok(report)
    }

    /// Saves the cursor; `false` when another run moved it meanwhile (this
    /// one then stops: that run carries on).
    async fn advance(
        &self,
        next: &SyncCursor,
        report: &mut SyncReport,
    ) -> Result<bool, StoreError> {
        match self.store.save_sync_cursor(next).await {
            Ok(()) => Ok(true),
            Err(StoreError::Conflict) => {
                report
                    .problems
                    .push("another sync run moved on meanwhile; this one stops".into());
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    /// One page of the account's domains, or why InterNetX could not be asked.
    /// One page of the account's domain list, and the list's `summary`
    /// (how many there are in all).
    pub(crate) async fn list_page(
        &self,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<DomainData>, Option<u64>), String> {
        let task = Task {
            kind: TaskKind::DomainList { offset, limit },
            ctid: new_ctid(),
            reply_to: None,
        };
        match self.gateway.send(&task).await {
            Ok(exchange) if exchange.answer.status.kind == AnswerKind::Success => {
                Ok((exchange.answer.domains, exchange.answer.total))
            }
            Ok(exchange) => Err(format!(
                "the domain list (offset {offset}) was refused: {}",
                exchange.answer.summary()
            )),
            Err(e) => Err(format!("the domain list (offset {offset}) failed: {e}")),
        }
    }

    /// Records what the list (or domain info) shows on the domain's item.
    async fn record_listed(
        &self,
        data: &DomainData,
        read: Option<Option<DomainRecord>>,
        report: &mut SyncReport,
    ) -> Result<(), StoreError> {
        let outcome = self.record_one(data, read).await?;
        report.count(outcome);
        Ok(())
    }

    async fn record_one(
        &self,
        data: &DomainData,
        read: Option<Option<DomainRecord>>,
    ) -> Result<Option<Listed>, StoreError> {
        let committed = self
            .lifecycle()
            .commit_with_retry(&data.name, read, |current, now| {
                let Some(current) = current else {
                    return Step::Skip(Listed::Unknown);
                };
                let (t, new_drift) = listed(current, data, now);
                let will_lapse = will_lapse(t.record());
                Step::write(
                    t,
                    Listed::Recorded {
                        new_drift,
                        will_lapse,
                    },
                )
            })
            .await?;
        Ok(match committed {
            Committed::Written(listed, _) | Committed::Skipped(listed) => Some(listed),
            Committed::AlreadyClaimed => None,
        })
    }

    /// A page's domains, written a few at a time: each is its own
    /// conditional write, so their order does not matter.
    async fn record_page(
        &self,
        domains: &[DomainData],
        mut items: HashMap<String, DomainRecord>,
        report: &mut SyncReport,
    ) -> Result<(), StoreError> {
        use futures_util::stream::{self, StreamExt, TryStreamExt};
        let work: Vec<_> = domains
            .iter()
            .map(|data| (data, items.remove(&data.name)))
            .collect();
        let outcomes: Vec<Option<Listed>> = stream::iter(work)
            .map(|(data, read)| self.record_one(data, Some(read)))
            .buffer_unordered(WRITES_IN_FLIGHT)
            .try_collect()
            .await?;
        for outcome in outcomes {
            report.count(outcome);
        }
        Ok(())
    }

    /// Asks domain info about one domain the table holds and records the
    /// answer: its data, or that it is gone.
    async fn check(
        &self,
        domain: &str,
        why: &str,
        report: &mut SyncReport,
    ) -> Result<(), StoreError> {
        report.requests += 1;
        let presence = match domain_info(&self.gateway, domain).await {
            Ok(presence) => presence,
            Err(e) => {
                report
                    .problems
                    .push(format!("domain info for {domain} failed: {e}"));
                return Ok(());
            }
        };
        match presence {
            Presence::Listed(data) => {
                let data = DomainData {
                    name: domain.to_owned(),
                    ..data
                };
                self.record_listed(&data, None, report).await
            }
            Presence::Absent => self.record_gone(domain, why, report).await,
            Presence::Unclear(summary) => {
                report
                    .problems
                    .push(format!("domain info for {domain}: {summary}"));
                Ok(())
            }
        }
    }

    async fn record_gone(
        &self,
        domain: &str,
        why: &str,
        report: &mut SyncReport,
    ) -> Result<(), StoreError> {
        let committed = self
            .lifecycle()
            .commit_with_retry(domain, None, |current, now| {
                let Some(current) = current else {
                    return Step::Skip(false);
                };
                // Our own registration or transfer is absent until done.
                if !held_by_account(current) {
                    return Step::Skip(false);
                }
                let to = gone_status(current, now);
                let reason = format!(
                    "InterNetX's domain info no longer lists {domain} (E0105), checked because {why}: {}",
                    match to {
                        Status::Deleted => "deleted after its cancelation",
                        _ => "transferred to another registrar or removed from the account",
                    }
                );
                let mut t = Transition::of(current, now);
                t.left_account(to, reason.clone()).log(LogEntry::new(
                    now,
                    action::SYNC_CHECKED,
                    Outcome::Error,
                    reason,
                ));
                Step::write(t, true)
            })
            .await?;
        if matches!(committed, Committed::Written(true, _)) {
            report.gone += 1;
        }
        Ok(())
    }
}

enum Listed {
    Recorded { new_drift: bool, will_lapse: bool },
    Unknown,
}

/// Domain writes a page keeps in flight at once.
const WRITES_IN_FLIGHT: usize = 8;

impl SyncReport {
    fn count(&mut self, outcome: Option<Listed>) {
        match outcome {
            Some(Listed::Recorded {
                new_drift,
                will_lapse,
            }) => {
                self.recorded += 1;
                self.drift += usize::from(new_drift);
                self.will_lapse += usize::from(will_lapse);
            }
            Some(Listed::Unknown) => self.unknown += 1,
            None => {}
        }
    }
}

/// The item with InterNetX's data on it; back to `Registered` if the table
/// had given the domain up; a `sync.drift` line when a new difference shows
/// (and whether one did).
fn listed(current: &DomainRecord, data: &DomainData, now: OffsetDateTime) -> (Transition, bool) {
    let mut t = Transition::of(current, now);
    let mut drift = None;
    t.edit(|r| drift = record_data(r, data, now));
    if matches!(current.status(), Status::TransferredAway | Status::Deleted) {
        t.back_in_account().log(LogEntry::new(
            now,
            action::SYNC_CHECKED,
            Outcome::Ok,
            format!("{} is in the InterNetX account again", current.domain),
        ));
    }
    let new_drift = drift.is_some() && drift != current.portfolio.drift;
    if new_drift {
        if let Some(line) = &drift {
            t.log(LogEntry::new(
                now,
                action::SYNC_DRIFT,
                Outcome::Error,
                format!("{} differs from InterNetX: {line}", current.domain),
            ));
        }
    }
    t.edit(|r| r.portfolio.drift = drift);
    // A new registry hold: is it the owner's verification? The next run asks.
    if t.record().portfolio.hold == Some(true) && current.portfolio.hold != Some(true) {
        t.hint(VERIFICATION_HINT);
    }
    (t, new_drift)
}
