//! What an operator does by hand (CLI `retry` and `resolve`), decided like
//! every other state change.
//!
//! `retry`: a domain in `Error` gets its last operation again, with a new
//! ctid, through the same claim → send → answer cycle. Refused when
//! InterNetX may already have the domain (it accepted the last request,
//! `stid` recorded) unless the caller checked first (domain info) and says
//! so; refused for changes, whose data the control center holds.
//!
//! `resolve`: an operation in flight, or a domain in `Error`, is settled as
//! `Registered`, `Cancelled` or `Error`, with a log entry naming who and why.

use time::OffsetDateTime;

use crate::lifecycle::{Attempt, Lifecycle, Transition};
use crate::log::{action, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, Gateway, StoreError};
use crate::record::DomainRecord;
use crate::report::ItemReport;
use crate::request::{stored_request, Source};
use crate::status::{Operation, Status};
use crate::workflows::change::ChangeRequest;
use crate::workflows::order::{Payment, Unknown};
use crate::workflows::Registrar;
use crate::DomainName;

/// Why an operator's request was not carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// What the caller found out at InterNetX before retrying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Absence {
    /// Nothing.
    Unchecked,
    /// Domain info does not list the domain (`E0105`). That is no proof
    /// that InterNetX has no job for it: a running transfer, or a slow
    /// registration, is not listed either (protocol audit D1).
    Checked,
    /// The operator looked at InterNetX's job list and found no job for
    /// the last ctid (CLI `retry --force --no-job`): the only evidence that
    /// lets an operation of unknown outcome go out again.
    NoJobConfirmed,
}

/// The outcome of an operator's request: done, or refused with why.
pub type OperatorResult<T> = Result<Result<T, Refused>, StoreError>;

impl<S: DomainStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// Retries `domain`'s last operation.
    pub async fn retry(&self, domain: &DomainName, absence: Absence) -> OperatorResult<ItemReport> {
        let refuse = |why: String| Ok(Err(Refused(why)));
        let Some(current) = self.store.load(domain.ascii()).await? else {
            return refuse(format!("{domain} is not in the domain table"));
        };
        if current.status() != Status::Error {
            return refuse(format!(
                "{domain} is {}: only a domain in Error is retried",
                current.status()
            ));
        }
        let shown = current
            .stid
            .as_deref()
            .map(|stid| {
                format!(
                    "accepted the last {} of {domain} (stid {stid})",
                    current.operation.noun()
                )
            })
            .or_else(|| {
                current.acknowledged_at.as_deref().map(|at| {
                    format!(
                        "reported on the last {} of {domain} ({at})",
                        current.operation.noun()
                    )
                })
            });
        if let (Some(since), false) = (
            current.outcome_unknown_since.as_deref(),
            absence == Absence::NoJobConfirmed,
        ) {
            return refuse(format!(
                "the outcome of the last {} of {domain} is unknown (since {since}, ctid {}): InterNetX may hold it, and domain info does not show a job that still runs. \
                 Check InterNetX's job list for that ctid; if there is none, `retry {domain} --force --no-job`; if it is there, `resolve`",
                current.operation.noun(),
                current.last_ctid.as_deref().unwrap_or("unknown")
            ));
        }
        if let (Some(shown), Absence::Unchecked) = (shown, absence) {
            return refuse(format!(
                "InterNetX {shown} and may already have it; \
                 retry with --force, which asks InterNetX first"
            ));
        }
        let source = Source::Request {
            request_id: format!("retry-{}", ulid::Ulid::new()),
        };
        match current.operation {
            Operation::Register | Operation::Transfer => {
                match stored_request(&current, domain, source, &self.sealer, &self.defaults) {
                    Ok(request) => self
                        .submit(
                            request,
                            Payment::Paid,
                            Some(current),
                            match absence {
                                Absence::NoJobConfirmed => Unknown::NoJobConfirmed,
                                _ => Unknown::Refuse,
                            },
                        )
                        .await
                        .map(Ok),
                    Err(problem) => refuse(problem),
                }
            }
            Operation::Cancel => {
                let request = ChangeRequest {
                    source,
                    domain: domain.clone(),
                    operation: Operation::Cancel,
                    nameservers: None,
                    contacts: None,
                    locked: None,
                    auth_delivery: crate::event::AuthDelivery::Customer,
                    transfer_answer: None,
                    handle: None,
                };
                match self.dispatcher().send(Some(&current), &request).await? {
                    Some(report) => Ok(Ok(report)),
                    None => refuse(format!("{domain} changed meanwhile; look again")),
                }
            }
            Operation::UpdateNameservers
            | Operation::UpdateContacts
            | Operation::ChangeLock
            | Operation::WithdrawCancel
            | Operation::AuthCode
            | Operation::ResendVerification => refuse(format!(
                "the failed {} of {domain} is not retried here: send it again from the control center",
                current.operation.noun()
            )),
            Operation::AnswerTransferOut => refuse(format!(
                "the transfer-out answer of {domain} is not retried here: answer again with `internetx-bridge transfer-out {domain} ack|nack` while InterNetX still waits for it"
            )),
            Operation::Import => refuse(format!(
                "{domain} was imported: there is no request of ours to retry"
            )),
        }
    }
}

/// The settlement by hand of `current` as `target`, or why it is refused.
pub fn resolution(
    current: &DomainRecord,
    target: Status,
    operator: &str,
    reason: &str,
    now: OffsetDateTime,
) -> Result<Transition, Refused> {
    let refuse = |why: String| Err(Refused(why));
    if !matches!(
        target,
        Status::Registered | Status::Error | Status::Cancelled
    ) {
        return refuse(format!(
            "--as must be Registered, Error or Cancelled, not {target}"
        ));
    }
    if reason.trim().is_empty() {
        return refuse("--reason must say why".into());
    }
    if !(current.status().in_flight() || current.status() == Status::Error) {
        return refuse(format!(
            "{} is {}: only a domain with an operation in flight or in Error is settled by hand",
            current.domain,
            current.status()
        ));
    }
    if target == Status::Cancelled && current.operation != Operation::Cancel {
        return refuse(format!("{} has no cancellation to settle", current.domain));
    }
    let outcome = if target == Status::Error {
        Outcome::Error
    } else {
        Outcome::Ok
    };
    let message = format!(
        "{}: {} → {target} resolved by hand by {operator}: {reason}",
        current.domain,
        current.status()
    );
    let entry =
        LogEntry::new(now, action::OPERATOR_RESOLVED, outcome, message).ctid(current.ctid());
    let mut t = Transition::of(current, now);
    t.resolve(target, format!("resolved by {operator}: {reason}"), entry);
    Ok(t)
}

/// Settles `domain` by hand; the status it had.
pub async fn resolve<S: DomainStore, C: Clock>(
    lifecycle: &Lifecycle<'_, S, C>,
    domain: &DomainName,
    target: Status,
    operator: &str,
    reason: &str,
) -> OperatorResult<Status> {
    let Some(current) = lifecycle.store.load(domain.ascii()).await? else {
        return Ok(Err(Refused(format!("{domain} is not in the domain table"))));
    };
    let transition = match resolution(&current, target, operator, reason, lifecycle.now()) {
        Ok(transition) => transition,
        Err(refused) => return Ok(Err(refused)),
    };
    Ok(match lifecycle.commit(transition).await? {
        Attempt::Written(_) => Ok(current.status()),
        Attempt::Conflict | Attempt::AlreadyClaimed => Err(Refused(format!(
            "{domain} changed meanwhile; look again with `show {domain}`"
        ))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::NoticePolicy;
    use crate::state_event::Cause;
    use crate::testing::in_flight_record;

    fn at() -> OffsetDateTime {
        time::macros::datetime!(2026-11-29 12:00 UTC)
    }

    #[test]
    fn resolves_only_what_is_open() {
        let flying = in_flight_record("x.de", Operation::Register, "ib-1", at());
        let t = resolution(
            &flying,
            Status::Registered,
            "ops",
            "confirmed in AutoDNS",
            at(),
        )
        .unwrap();
        let change = t
            .into_change(NoticePolicy::default(), Cause::Operator)
            .unwrap();
        assert_eq!(change.record().status(), Status::Registered);
        assert_eq!(change.record().last_ctid.as_deref(), Some("ib-1"));
        assert!(change.log()[0]
            .message
            .contains("by ops: confirmed in AutoDNS"));
        assert_eq!(change.log()[0].ctid.as_deref(), Some("ib-1"));
        let done = change.record().clone();
        assert!(resolution(&done, Status::Error, "ops", "x", at()).is_err());
        assert!(resolution(&flying, Status::Error, "ops", " ", at()).is_err());
        assert!(resolution(&flying, Status::Updating, "ops", "x", at()).is_err());
        assert!(resolution(&flying, Status::Cancelled, "ops", "x", at()).is_err());
    }

    #[test]
    fn a_domain_in_error_can_be_confirmed_by_hand() {
        let flying = in_flight_record("x.de", Operation::Register, "ib-1", at());
        let failed = resolution(&flying, Status::Error, "ops", "refused", at())
            .unwrap()
            .into_change(NoticePolicy::default(), Cause::Operator)
            .unwrap()
            .record()
            .clone();
        assert_eq!(failed.status(), Status::Error);
        let confirmed = resolution(&failed, Status::Registered, "ops", "it is ours", at())
            .unwrap()
            .into_change(NoticePolicy::default(), Cause::Operator)
            .unwrap();
        assert_eq!(confirmed.record().status(), Status::Registered);
        assert!(confirmed.record().registered());
    }
}
