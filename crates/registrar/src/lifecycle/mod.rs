//! The life cycle of a domain item: the only writer of its `status`,
//! `version`, `registered` flag, `ctid`, of the status mail a change owes
//! and of the storefront event it owes ([`crate::state_event`]).
//!
//! A workflow reads the item, decides what should happen (its policy), and
//! describes it as a [`Transition`]: the state move (`send`, `await_payment`,
//! `accepted`, `acknowledged`, `succeed`, `fail`, `reject`, `resolve`), the other fields it
//! edits, its log entries and the claim of the event that caused it.
//! [`Transition::into_change`] checks the move against [`Status::allows`]
//! (the one policy table), bumps the version, adds the `status.changed`
//! entry, the status-mail notice and the storefront event, and yields the one [`Change`] a store
//! writes atomically — or, when nothing on the item changes (a refusal, a
//! hint), a log-only change that checks the version but leaves the item as
//! it is. [`Lifecycle::commit_with_retry`] is the one read → decide →
//! commit loop: a lost race reloads the item and decides again.

use time::OffsetDateTime;

mod commit;
mod portfolio;
mod state;

pub use commit::{Attempt, Committed, Lifecycle, Step, MAX_ATTEMPTS};
pub use state::LifeState;

use crate::log::{action, timestamp, LogEntry, Outcome};
use crate::ports::Change;
use crate::record::DomainRecord;
use crate::state_event::{self, Cause};
pub use crate::status::TransitionRefused;
use crate::status::{Operation, Status};
use crate::status_mail::StatusNotice;

/// Whether state changes queue status mails (`STATUS_MAILS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoticePolicy {
    pub enabled: bool,
}

/// One intended change of a domain item, built on the version read.
#[derive(Debug, Clone)]
pub struct Transition {
    before: Option<DomainRecord>,
    record: DomainRecord,
    now: OffsetDateTime,
    log: Vec<LogEntry>,
    claim: Option<String>,
    status_ctid: Option<String>,
    status_s3_key: Option<String>,
    /// The operator's own entry names the move; no `status.changed` beside it.
    by_operator: bool,
    /// A registry event's kind: a domain-info check is asked for.
    hint: Option<String>,
}

impl Transition {
    /// A change of the item as read.
    pub fn of(current: &DomainRecord, now: OffsetDateTime) -> Self {
        Self::new(Some(current.clone()), current.clone(), now)
    }

    /// A change of the item as read, or of `fresh()` when there is none yet
    /// (a new item: its status is whatever the transition moves it to).
    pub fn of_or_new(
        current: Option<&DomainRecord>,
        now: OffsetDateTime,
        fresh: impl FnOnce() -> DomainRecord,
    ) -> Self {
        match current {
            Some(current) => Self::of(current, now),
            None => {
                let mut record = fresh();
                record.life_mut().version = 0;
                Self::new(None, record, now)
            }
        }
    }

    fn new(before: Option<DomainRecord>, record: DomainRecord, now: OffsetDateTime) -> Self {
        Self {
            before,
            record,
            now,
            log: Vec::new(),
            claim: None,
            status_ctid: None,
            status_s3_key: None,
            by_operator: false,
            hint: None,
        }
    }

    pub fn record(&self) -> &DomainRecord {
        &self.record
    }

    /// Edits anything but the life cycle's own fields (status, version,
    /// `registered`, ctid), which the compiler keeps out of reach.
    pub fn edit(&mut self, edit: impl FnOnce(&mut DomainRecord)) -> &mut Self {
        edit(&mut self.record);
        self
    }

    pub fn log(&mut self, entry: LogEntry) -> &mut Self {
        self.log.push(entry);
        self
    }

    /// Marks the event as handled in the same write.
    pub fn claim(&mut self, key: impl Into<String>) -> &mut Self {
        self.claim = Some(key.into());
        self
    }

    /// The ctid (and mail) the `status.changed` entry names.
    pub fn status_note(&mut self, ctid: Option<&str>, s3_key: Option<&str>) -> &mut Self {
        self.status_ctid = ctid.map(str::to_owned);
        self.status_s3_key = s3_key.map(str::to_owned);
        self
    }

    /// `operation` claimed under a fresh `ctid`: its pending status, sent now.
    /// A registration or transfer starts unregistered; a change keeps the tick.
    pub fn send(&mut self, operation: Operation, ctid: &str, request_ref: &str) -> &mut Self {
        let r = &mut self.record;
        r.life_mut().status = operation.pending_status();
        r.operation = operation;
        if matches!(operation, Operation::Register | Operation::Transfer) {
            r.life_mut().registered = false;
        }
        r.life_mut().ctid = Some(ctid.to_owned());
        r.operation_started_at = Some(timestamp(self.now));
        r.request_ref = Some(request_ref.to_owned());
        r.last_error = None;
        r.stid = None;
        r.job_id = None;
        r.acknowledged_at = None;
        r.outcome_unknown_since = None;
        self.status_ctid = Some(ctid.to_owned());
        self
    }

    /// Recorded, not sent: the order is not paid yet.
    pub fn await_payment(&mut self) -> &mut Self {
        let r = &mut self.record;
        r.life_mut().status = Status::AwaitingPayment;
        r.life_mut().registered = false;
        r.life_mut().ctid = None;
        self
    }

    /// The gateway accepted the operation in flight (`N…`): InterNetX has it.
    pub fn accepted(&mut self) -> &mut Self {
        self.record.life_mut().registered = true;
        self.acknowledged()
    }

    /// InterNetX showed it has the operation in flight (an answer, or an
    /// authenticated mail about it): it is never sent again.
    pub fn acknowledged(&mut self) -> &mut Self {
        if self.record.acknowledged_at.is_none() {
            self.record.acknowledged_at = Some(timestamp(self.now));
        }
        self
    }

    /// The operation in flight succeeded: its final status, what a change
    /// requested becomes what the domain has, the ctid is retired.
    pub fn succeed(&mut self) -> &mut Self {
        let r = &mut self.record;
        if let Some(ns) = r.requested_nameservers.take() {
            r.nameservers = ns;
        }
        let mut new_owner = matches!(r.operation, Operation::Register | Operation::Transfer);
        if let Some(contacts) = r.requested_contacts.take() {
            new_owner |= contacts.contains_key("owner");
            r.contacts.extend(contacts);
        }
        // ICANN has a gTLD's new owner verified (InterNetX mails them), and
        // a resend restarts the wait: the next sync asks where it stands.
        let verifies = new_owner || r.operation == Operation::ResendVerification;
        if verifies && crate::defaults::is_gtld_name(&r.domain) {
            self.hint = Some(crate::workflows::sync::VERIFICATION_HINT.to_owned());
        }
        let r = &mut self.record;
        if let Some(locked) = r.portfolio.requested_lock.take() {
            r.portfolio.locked = Some(locked);
        }
        if r.operation == Operation::WithdrawCancel {
            r.portfolio.cancel_at = None;
        }
        r.life_mut().status = r.operation.done_status();
        r.life_mut().registered = true;
        r.last_ctid = r.life_mut().ctid.take().or(r.last_ctid.take());
        r.last_error = None;
        r.outcome_unknown_since = None;
        // Done: the auth code is not needed for a retry any more.
        r.pending_auth_code = None;
        self
    }

    /// The operation in flight failed: its failed status (`Error`, see
    /// [`Operation::failed_status`]) with the reason; a failed registration
    /// or transfer leaves the domain unregistered, a failed change leaves it
    /// as it was.
    pub fn fail(&mut self, reason: String) -> &mut Self {
        let r = &mut self.record;
        r.requested_nameservers = None;
        r.requested_contacts = None;
        r.portfolio.requested_lock = None;
        r.life_mut().status = r.operation.failed_status();
        if matches!(r.operation, Operation::Register | Operation::Transfer) {
            r.life_mut().registered = false;
        }
        r.last_ctid = r.life_mut().ctid.take().or(r.last_ctid.take());
        // A transfer-out answer InterNetX does not take (nothing pending:
        // the report behind it was stale or forged) says nothing about the
        // domain, which stays healthy: the refusal is in its log only
        // (security review N10).
        if r.operation != Operation::AnswerTransferOut {
            r.last_error = Some(reason);
        }
        self
    }

    /// The operation in flight ends in `Error` without InterNetX's word
    /// (reconciliation gave up, or an operator settled it as `Error`):
    /// InterNetX may still hold it, so it is marked as of unknown outcome
    /// and never sent again until an operator confirms it is not there.
    pub fn give_up(&mut self, reason: String) -> &mut Self {
        let unknown_since = self.record.operation_started_at.clone();
        self.fail(reason);
        self.record.outcome_unknown_since = unknown_since.or_else(|| Some(timestamp(self.now)));
        self
    }

    /// A request that could not be sent at all (invalid): the domain shows
    /// it as `Error` with nothing in flight.
    pub fn reject(&mut self, operation: Operation, reason: String, request_ref: &str) -> &mut Self {
        let r = &mut self.record;
        r.life_mut().status = Status::Error;
        r.life_mut().registered = false;
        r.operation = operation;
        r.last_error = Some(reason);
        r.life_mut().ctid = None;
        r.request_ref = Some(request_ref.to_owned());
        r.pending_request = None;
        r.pending_auth_code = None;
        self
    }

    /// An operator settles the domain by hand; `entry` is their log line,
    /// which names the move itself.
    pub fn resolve(&mut self, target: Status, reason: String, mut entry: LogEntry) -> &mut Self {
        let from = self.record.status();
        match target {
            Status::Error if from.in_flight() => self.give_up(reason),
            Status::Error => self.fail(reason),
            _ => self.succeed(),
        };
        self.record.life_mut().status = target;
        entry.status_from = Some(from.to_string());
        entry.status_to = Some(target.to_string());
        self.by_operator = true;
        self.log(entry)
    }

    /// The one write: checked against [`Status::allows`], version bumped,
    /// the `status.changed` entry and the status mail added.
    pub fn into_change(
        self,
        notices: NoticePolicy,
        cause: Cause,
    ) -> Result<Change, TransitionRefused> {
        let Transition {
            before,
            mut record,
            now,
            mut log,
            claim,
            status_ctid,
            status_s3_key,
            by_operator,
            hint,
        } = self;
        let from = before.as_ref().map(|b| b.status());
        // Nothing on the item changes: only the log grows, and the item is
        // left alone (no version bump), so what only hints or refuses never
        // stands in the way of a writer that acts.
        if before.as_ref().is_some_and(|b| *b == record) {
            return Ok(Change {
                expected_version: before.as_ref().map(|b| b.version()),
                record,
                log,
                claim,
                notice: None,
                event: None,
                writes_item: false,
                hint,
            });
        }
        if from != Some(record.status()) && !Status::allows(from, record.status()) {
            return Err(TransitionRefused {
                domain: record.domain.clone(),
                from,
                to: record.status(),
            });
        }
        record.life_mut().version = before.as_ref().map_or(1, |b| b.version() + 1);
        record.updated_at = timestamp(now);
        if !by_operator {
            log.extend(status_entry(
                from,
                &record,
                now,
                status_ctid.as_deref(),
                status_s3_key.as_deref(),
            ));
        }
        let notice = notices
            .enabled
            .then(|| {
                owed_notice(&record, &log).or_else(|| verification_notice(before.as_ref(), &record))
            })
            .flatten();
        // An issued auth code travels in the notice only, never on the item.
        record.issued_auth_code = None;
        let event = state_event::owed(before.as_ref(), &record, cause, &log);
        Ok(Change {
            expected_version: before.as_ref().map(|b| b.version()),
            record,
            log,
            claim,
            notice,
            event,
            writes_item: true,
            hint,
        })
    }
}

/// A `status.changed` entry when the status differs (or the item is new).
fn status_entry(
    from: Option<Status>,
    after: &DomainRecord,
    now: OffsetDateTime,
    ctid: Option<&str>,
    s3_key: Option<&str>,
) -> Option<LogEntry> {
    if from == Some(after.status()) {
        return None;
    }
    let from_text = from.map_or("(new)".to_owned(), |s| s.to_string());
    let mut message = format!("{}: {from_text} → {}", after.domain, after.status());
    if let Some(reason) = after
        .last_error
        .as_deref()
        .filter(|_| after.status() == Status::Error)
    {
        message.push_str(&format!(" ({reason})"));
    }
    let outcome = if after.status() == Status::Error {
        Outcome::Error
    } else {
        Outcome::Ok
    };
    let mut entry = LogEntry::new(now, action::STATUS_CHANGED, outcome, message).ctid(ctid);
    entry.status_from = from.map(|s| s.to_string());
    entry.status_to = Some(after.status().to_string());
    entry.s3_key = s3_key.map(str::to_owned);
    // Keep entries of one change in order even within one microsecond.
    entry.at = now + time::Duration::microseconds(1);
    Some(entry)
}

/// The status mail a change owes: it moves a domain with a notification
/// address into a final status. Every status move carries a log entry naming
/// both ends (`status.changed` or `operator.resolved`), which is what tells a
/// transition from a rewrite.
fn owed_notice(record: &DomainRecord, log: &[LogEntry]) -> Option<StatusNotice> {
    if !matches!(
        record.status(),
        Status::Registered
            | Status::Cancelled
            | Status::Error
            | Status::TransferredAway
            | Status::Deleted
    ) {
        return None;
    }
    // The provider's answer to an outgoing transfer is not news for the
    // customer; the domain leaving is (`TransferredAway`).
    // Nor is a verification mail sent again at the customer's request:
    // the verification's own mails tell what follows.
    let resent = record.operation == Operation::ResendVerification && record.last_error.is_none();
    if (record.operation == Operation::AnswerTransferOut || resent)
        && record.status() == Status::Registered
    {
        return None;
    }
    let to = record.notify_email.clone()?;
    let moved = log.iter().any(|entry| {
        entry.status_to.as_deref() == Some(record.status().as_str())
            && entry.status_from.as_deref() != entry.status_to.as_deref()
    });
    if !moved {
        return None;
    }
    Some(StatusNotice {
        domain: record.domain.clone(),
        domain_unicode: record.domain_unicode.clone(),
        status: record.status(),
        operation: record.operation,
        to,
        language: notice_language(record),
        // A refused auth code, lock change or withdrawal leaves the domain
        // `Registered` with the reason: still a failure to tell.
        reason: record.last_error.clone().filter(|_| {
            record.status() == Status::Error || record.operation.refusal_changes_nothing()
        }),
        version: record.version(),
        sealed_auth_code: record.issued_auth_code.clone(),
        verification: None,
    })
}

/// The account's language for its mails (English unless it asked otherwise).
fn notice_language(record: &DomainRecord) -> crate::status_mail::Language {
    record
        .notify_language
        .as_deref()
        .and_then(|l| l.parse().ok())
        .unwrap_or_default()
}

/// The mail a change of the owner's verification owes, one per state the
/// customer must know of: a verification started (from none, or after an
/// earlier one was done: an owner change), the registry's hold, verified
/// after being pending or failed. A failed verification is told by the
/// hold that follows it; a resend the customer asked for is not news.
fn verification_notice(
    before: Option<&DomainRecord>,
    record: &DomainRecord,
) -> Option<StatusNotice> {
    use crate::record::Verification;
    use crate::status_mail::VerificationNews;
    let before = before?;
    let (was, is) = (&before.portfolio, &record.portfolio);
    let held = |p: &crate::record::Portfolio| p.hold == Some(true);
    let news = if held(is) && !held(was) {
        VerificationNews::Hold
    } else {
        match (was.owner_verification, is.owner_verification) {
            (None | Some(Verification::Verified), Some(Verification::Pending)) => {
                VerificationNews::Pending {
                    deadline: is.verification_deadline.clone(),
                    address: is.verification_email.clone(),
                }
            }
            (Some(Verification::Pending | Verification::Failed), Some(Verification::Verified)) => {
                VerificationNews::Verified
            }
            _ => return None,
        }
    };
    Some(StatusNotice {
        domain: record.domain.clone(),
        domain_unicode: record.domain_unicode.clone(),
        status: record.status(),
        operation: record.operation,
        to: record.notify_email.clone()?,
        language: notice_language(record),
        reason: None,
        version: record.version(),
        sealed_auth_code: None,
        verification: Some(news),
    })
}

#[cfg(any(test, feature = "test-util"))]
mod seeding;
#[cfg(any(test, feature = "test-util"))]
pub use seeding::{in_flight_record, seed, settled_as};

#[cfg(test)]
mod tests;
