//! Reconciliation (`reconcile`): the safety net under the result mails
//! (INTERNETX.md, "Delivery channels"). Operations in flight longer than a
//! threshold — the mail was lost or is late, or the gateway's answer never
//! came — are checked against InterNetX's domain info (`0105`) and settled:
//!
//! | evidence | operation | result |
//! |---|---|---|
//! | InterNetX lists the domain with `status` success | registration, transfer | `Registered` |
//! | it lists the domain with another status (a job still running) | registration, transfer | waits |
//! | it lists the requested name servers | name-server change | `Registered` |
//! | it shows a cancelation for the domain | cancellation | `Cancelled` |
//! | no evidence after `give_up` | any | `Error`, with what is known and what the operator can do |
//! | otherwise | any | left waiting (function log only) |
//!
//! Nothing is ever sent again from here. `E0105` does not prove that
//! InterNetX never received a request — a transfer in progress, or a
//! registration a registry creates slowly, is not in domain info until it is
//! done (protocol audit D2) — and InterNetX documents no inquiry that would
//! prove a job does not exist. So an operation whose outcome is unknown
//! waits for its mail or domain info, and past `give_up` an operator decides
//! (`internetx-bridge retry --force` or `resolve`), with the evidence in the
//! log. Every settlement is one conditional commit on the version read, so
//! two overlapping runs cannot both act.

use internetx::{AnswerKind, DomainData, GatewayError, Task, TaskKind};
use time::{Duration, OffsetDateTime};

use crate::deadline::{request_budget, Deadline};
use crate::lifecycle::{Attempt, Transition};
use crate::log::action::RECONCILE_CHECKED;
use crate::log::{parse_timestamp, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, Gateway, StoreError};
use crate::record::DomainRecord;
use crate::request::new_ctid;
use crate::status::Operation;
use crate::workflows::sync::Pending;
use crate::workflows::Registrar;

/// What InterNetX's domain info says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presence {
    Listed(DomainData),
    /// `E0105`: InterNetX does not have the domain.
    Absent,
    /// Any other answer (authorisation, syntax): no evidence either way.
    Unclear(String),
}

/// Asks InterNetX about `domain` (`0105`).
pub async fn domain_info<G: Gateway>(gateway: &G, domain: &str) -> Result<Presence, GatewayError> {
    let task = Task {
        kind: TaskKind::DomainInfo {
            name: domain.to_owned(),
        },
        ctid: new_ctid(),
        reply_to: None,
    };
    let answer = gateway.send(&task).await?.answer;
    Ok(match answer.status.kind {
        AnswerKind::Success => Presence::Listed(answer.domain.clone().unwrap_or(DomainData {
            name: domain.to_owned(),
            ..DomainData::default()
        })),
        AnswerKind::Error if answer.status.code == "E0105" => Presence::Absent,
        _ => Presence::Unclear(answer.summary()),
    })
}

#[derive(Debug, Clone, Copy)]
pub struct ReconcilePolicy {
    /// Operations in flight at least this long are checked.
    pub after: Duration,
    /// Without evidence after this long, the operation ends in `Error`.
    pub give_up: Duration,
    /// Still waiting after this long counts as stuck (an alarm's metric).
    pub stuck_after: Duration,
    /// Domains per run.
    pub batch: usize,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReconcileReport {
    pub checked: usize,
    pub settled: usize,
    pub given_up: usize,
    pub waiting: usize,
    /// Of those waiting, how many have been in flight for `stuck_after` or
    /// longer.
    pub stuck: usize,
    /// Another writer changed the domain meanwhile, or InterNetX could not
    /// be asked: left for the next run.
    pub skipped: usize,
}

enum Verdict {
    Done(String),
    GiveUp(String),
    Wait(String),
}

impl<S: DomainStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// One reconciliation run; it stops asking InterNetX once another
    /// domain info might not finish before `deadline` (the rest is left for
    /// the next run, counted as skipped).
    pub async fn reconcile(
        &self,
        policy: ReconcilePolicy,
        deadline: Deadline,
    ) -> Result<ReconcileReport, StoreError> {
        let now = self.clock.now();
        let mut report = ReconcileReport::default();
        let mut due = Vec::new();
        for (from, before) in due_windows(now, policy) {
            let room = policy.batch - due.len();
            if room == 0 {
                break;
            }
            due.extend(self.store.in_flight(from, before, room).await?);
        }
        let budget = request_budget(self.gateway.worst_case());
        for listed in due {
            if !deadline.leaves(budget) {
                report.skipped += 1;
                continue;
            }
            // The index lags behind the table: decide on the item itself.
            let Some(current) = self.store.load(&listed.domain).await? else {
                continue;
            };
            if !current.status().in_flight() || current.ctid() != listed.ctid() {
                report.skipped += 1;
                continue;
            }
            report.checked += 1;
            let presence = match domain_info(&self.gateway, &current.domain).await {
                Ok(presence) => presence,
                Err(e) => {
                    tracing::warn!(domain = %current.domain, error = %e, "reconciliation could not ask InterNetX; next run");
                    report.skipped += 1;
                    continue;
                }
            };
            // An answer to an outgoing transfer leaves no trace in domain
            // info while the domain stays: Transfer-Out Info says whether
            // the transfer is still pending (protocol audit D22).
            let answered = if current.operation == Operation::AnswerTransferOut
                && matches!(presence, Presence::Listed(_))
            {
                match self.transfer_out_pending(&current.domain).await {
                    Pending::No(summary) => Some(summary),
                    Pending::Yes | Pending::Unknown(_) => None,
                }
            } else {
                None
            };
            let age = started(&current).map_or(Duration::ZERO, |at| now - at);
            let verdict = match answered {
                Some(summary) => Verdict::Done(format!(
                    "no result mail for the transfer-out answer of {} yet; InterNetX lists the domain and shows no outgoing transfer pending any more ({summary}): the answer was taken",
                    current.domain
                )),
                None => self.verdict(&current, &presence, age, policy),
            };
            match verdict {
                Verdict::Wait(why) => {
                    tracing::info!(domain = %current.domain, ctid = current.ctid().unwrap_or(""), "{why}");
                    report.waiting += 1;
                    if age >= policy.stuck_after {
                        report.stuck += 1;
                    }
                }
                Verdict::Done(why) => {
                    if self.settle(&current, Outcome::Ok, why).await? {
                        report.settled += 1;
                    } else {
                        report.skipped += 1;
                    }
                }
                Verdict::GiveUp(why) => {
                    if self.settle(&current, Outcome::Error, why).await? {
                        report.given_up += 1;
                    } else {
                        report.skipped += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    fn verdict(
        &self,
        current: &DomainRecord,
        presence: &Presence,
        age: Duration,
        policy: ReconcilePolicy,
    ) -> Verdict {
        let domain = &current.domain;
        let noun = current.operation.noun();
        let hours = age.whole_minutes() as f64 / 60.0;
        let waited = format!("no result mail for the {noun} of {domain} after {hours:.1} h");
        match (current.operation, presence) {
            (Operation::Register | Operation::Transfer, Presence::Listed(data)) if data.is_done() => {
                Verdict::Done(format!(
                    "{waited}; InterNetX lists the domain in this account with status success (domain info S0105): {noun} complete"
                ))
            }
            (Operation::UpdateNameservers, Presence::Listed(data))
                if current
                    .requested_nameservers
                    .as_deref()
                    .is_some_and(|wanted| same_nameservers(wanted, &data.nameservers)) =>
            {
                Verdict::Done(format!(
                    "{waited}; InterNetX shows the requested name servers ({}): change complete",
                    data.nameservers.join(", ")
                ))
            }
            (Operation::Cancel, Presence::Listed(data)) if data.cancelation.is_some() => {
                Verdict::Done(format!(
                    "{waited}; InterNetX shows a cancelation for the domain ({}): cancellation complete",
                    data.cancelation.as_deref().unwrap_or_default()
                ))
            }
            (Operation::WithdrawCancel, Presence::Listed(data)) if data.cancelation.is_none() => {
                Verdict::Done(format!(
                    "{waited}; InterNetX lists the domain without a cancelation: withdrawal complete"
                ))
            }
            (Operation::ChangeLock, Presence::Listed(data))
                if data.locked().is_some() && data.locked() == current.portfolio.requested_lock =>
            {
                Verdict::Done(format!(
                    "{waited}; InterNetX shows the registry status {}: lock change complete",
                    data.registry_status.as_deref().unwrap_or_default()
                ))
            }
            // A resend changes nothing at the registry, and holding the
            // domain in `Updating` would block every change for a week:
            // done, and the sync's verification check (asked for by the
            // settlement) shows whether the mail went.
            (Operation::ResendVerification, Presence::Listed(_)) => Verdict::Done(format!(
                "{waited}; a verification resend changes nothing at the registry: settled, and the next sync asks 0344 whether the mail went"
            )),
            // After an answer the domain can only leave by that transfer:
            // gone means InterNetX took the answer (the next sync records
            // the domain as transferred away).
            (Operation::AnswerTransferOut, Presence::Absent) => Verdict::Done(format!(
                "{waited}; InterNetX no longer lists the domain (E0105): the outgoing transfer went ahead, so the answer was taken"
            )),
            _ if age >= policy.give_up => {
                let evidence = match presence {
                    Presence::Listed(data) if current.operation == Operation::UpdateNameservers => format!(
                        "InterNetX still shows the name servers {}",
                        data.nameservers.join(", ")
                    ),
                    Presence::Listed(data) if current.operation == Operation::Cancel => {
                        "InterNetX lists the domain without a cancelation".into()
                    }
                    Presence::Listed(data) => format!(
                        "InterNetX lists the domain with status {}",
                        data.status.as_deref().unwrap_or("unknown")
                    ),
                    Presence::Absent => "InterNetX does not list the domain (E0105)".into(),
                    Presence::Unclear(summary) => format!("domain info was inconclusive: {summary}"),
                };
                Verdict::GiveUp(format!(
                    "{waited}, given up: {}; {evidence}. Not sent again (InterNetX may have it). Check InterNetX's job list, then `internetx-bridge resolve`, or `retry --force --no-job` if it has no job for this ctid",
                    acknowledgement(current)
                ))
            }
            (_, Presence::Absent) => Verdict::Wait(format!(
                "{waited}; InterNetX does not list the domain yet (E0105 also while a job runs): still waiting, never sent again"
            )),
            _ => Verdict::Wait(format!("{waited}; no evidence yet, still waiting")),
        }
    }

    /// Commits a settlement found by reconciliation (`Ok`: done, else
    /// given up); `false` when another writer (a late mail, an overlapping
    /// run) got there first.
    async fn settle(
        &self,
        current: &DomainRecord,
        outcome: Outcome,
        why: String,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let ctid = current.ctid();
        let mut t = Transition::of(current, now);
        match outcome {
            Outcome::Ok => {
                tracing::info!(domain = %current.domain, ctid, "{why}");
                t.succeed();
            }
            _ => {
                tracing::error!(domain = %current.domain, ctid, "{why}");
                t.give_up(why.clone());
            }
        }
        t.log(LogEntry::new(now, RECONCILE_CHECKED, outcome, why).ctid(ctid))
            .status_note(ctid, None);
        Ok(matches!(
            self.lifecycle().commit(t).await?,
            Attempt::Written(_)
        ))
    }
}

/// Where a run looks, as `[from, before)` ranges of send times: everything
/// sent before `now - after`, but starting at a random point of the waiting
/// window and wrapping round. Operations that wait legitimately (a transfer
/// takes days) would otherwise fill every batch with the oldest ones, and
/// an operation whose mail was lost behind them would never be looked at;
/// this way each is checked in a fair share of runs, without writing down
/// which were checked.
fn due_windows(
    now: OffsetDateTime,
    policy: ReconcilePolicy,
) -> [(Option<OffsetDateTime>, OffsetDateTime); 2] {
    let before = now - policy.after;
    let span = (policy.give_up - policy.after).whole_seconds().max(0);
    let pivot = before - Duration::seconds(rand::random_range(0..=span));
    [(Some(pivot), before), (None, pivot)]
}

/// What InterNetX showed of the operation in flight.
fn acknowledgement(current: &DomainRecord) -> String {
    match (&current.stid, &current.acknowledged_at) {
        (Some(stid), _) => format!("InterNetX had accepted it (stid {stid})"),
        (None, Some(at)) => format!("InterNetX reported on it (mail at {at})"),
        (None, None) => "InterNetX never acknowledged it (its answer was lost)".into(),
    }
}

fn started(record: &DomainRecord) -> Option<OffsetDateTime> {
    parse_timestamp(record.operation_started_at.as_deref()?)
}

fn same_nameservers(wanted: &[String], listed: &[String]) -> bool {
    let norm = |v: &[String]| {
        let mut v: Vec<String> = v
            .iter()
            .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
            .collect();
        v.sort();
        v.dedup();
        v
    };
    norm(wanted) == norm(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covered(
        windows: &[(Option<OffsetDateTime>, OffsetDateTime); 2],
        at: OffsetDateTime,
    ) -> usize {
        windows
            .iter()
            .filter(|(from, before)| from.is_none_or(|from| at >= from) && at < *before)
            .count()
    }

    /// Whatever the random pivot, every operation sent before the threshold
    /// is in exactly one window, and none sent after it.
    #[test]
    fn the_windows_cover_what_is_due_once() {
        let now = time::macros::datetime!(2026-11-29 12:00 UTC);
        let policy = ReconcilePolicy {
            after: Duration::hours(1),
            give_up: Duration::days(7),
            stuck_after: Duration::days(2),
            batch: 10,
        };
        for _ in 0..200 {
            let windows = due_windows(now, policy);
            for age in [
                Duration::hours(1) + Duration::microseconds(1),
                Duration::hours(2),
                Duration::days(3),
                Duration::days(7),
                Duration::days(30),
            ] {
                assert_eq!(covered(&windows, now - age), 1, "{age}");
            }
            assert_eq!(covered(&windows, now - Duration::minutes(59)), 0);
            assert_eq!(covered(&windows, now - Duration::hours(1)), 0);
        }
    }
}
