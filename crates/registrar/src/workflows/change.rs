//! Changes to a registered domain (`domain-events`): name servers, contacts, cancellation.
//!
//! Allowed only while the domain is `Registered` with nothing in flight; a
//! change for a domain in any other state is refused with a
//! `request.rejected` entry saying why (not queued: the operator sees at once
//! that the change did not happen, and the control center can send it again).
//! A redelivered change event is sent once (its claim).

use internetx::{Answer, DomainUpdate, Nameserver, Protection, Task, TaskKind, TransferOutAnswer};
use time::OffsetDateTime;

use crate::contact::Contacts;
use crate::defaults::is_gtld;
use crate::dispatch::{claim, refusal, Outgoing, Planned, Reading, Verdict};
use crate::event::{AuthDelivery, ChangeInput, ChangeRequested};
use crate::lifecycle::{Committed, Step};
use crate::log::Outcome;
use crate::nameserver::validate_nameservers;
use crate::ports::{Clock, DomainStore, Gateway, StoreError};
use crate::record::{AccountKind, DomainRecord};
use crate::report::{ItemOutcome, ItemReport, Report};
use crate::request::Source;
use crate::seal::Sealer;
use crate::status::{Operation, Status};
use crate::workflows::order::foreign;
use crate::workflows::Registrar;
use crate::DomainName;

/// A validated change.
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    pub source: Source,
    pub domain: DomainName,
    pub operation: Operation,
    pub nameservers: Option<Vec<Nameserver>>,
    pub contacts: Option<Contacts>,
    /// The transfer lock asked for (`TransferLockChangeRequested`).
    pub locked: Option<bool>,
    /// Where `AuthCodeRequested`'s code goes.
    pub auth_delivery: AuthDelivery,
    /// The answer to an outgoing transfer (`Operation::AnswerTransferOut`).
    pub transfer_answer: Option<TransferOutAnswer>,
    /// The owner handle a verification resend is for (read from the item).
    pub handle: Option<String>,
}

impl ChangeRequest {
    fn validate(
        event: &ChangeRequested,
        domain: DomainName,
        protection: Protection,
    ) -> Result<Self, String> {
        let source = Source::Request {
            request_id: event.request_id.clone(),
        };
        let change = event.change.clone()?;
        let locked = match change {
            ChangeInput::Lock(locked) => Some(locked),
            _ => None,
        };
        let auth_delivery = match change {
            // For .be InterNetX has AuthInfo2 alone (D20): whatever was
            // asked, the registry sends the code to the owner.
            ChangeInput::AuthCode { .. } if internetx::authinfo::only_authinfo2(domain.ascii()) => {
                AuthDelivery::Post
            }
            ChangeInput::AuthCode { delivery } => delivery,
            _ => AuthDelivery::default(),
        };
        let transfer_answer = match &change {
            ChangeInput::TransferOut(answer) => Some(answer.clone()),
            _ => None,
        };
        let (nameservers, contacts) = match change {
            ChangeInput::Nameservers(input) => {
                (Some(validate_nameservers(&domain, &input, 2)?), None)
            }
            ChangeInput::Contacts(input) => {
                let contacts = input
                    .validate(domain.ascii(), protection)
                    .map_err(|e| e.to_string())?;
                if contacts.is_empty() {
                    return Err("contacts names none of owner, admin, tech, zone".into());
                }
                (None, Some(contacts))
            }
            ChangeInput::AuthCode {
                delivery: AuthDelivery::Post,
            } if !internetx::authinfo::offers_authinfo2(domain.ascii()) => {
                return Err(format!(
                    "{domain}: InterNetX offers an AuthInfo2 (the registry sends the code to the owner) only for .{}; ask with \"send_to\": \"customer\" or \"owner\"",
                    internetx::authinfo::AUTHINFO2_TLDS.join(", .")
                ))
            }
            ChangeInput::Cancel
            | ChangeInput::WithdrawCancel
            | ChangeInput::AuthCode { .. }
            | ChangeInput::ResendVerification => (None, None),
            ChangeInput::Lock(_) if !is_gtld(&domain) => {
                return Err(format!(
                    "{domain} has no registry transfer lock to change: InterNetX sets one only for gTLDs (Domain Status Update)"
                ))
            }
            ChangeInput::Lock(_) => (None, None),
            ChangeInput::TransferOut(_) => (None, None),
        };
        Ok(Self {
            source,
            domain,
            operation: event.operation,
            nameservers,
            contacts,
            locked,
            auth_delivery,
            transfer_answer,
            handle: None,
        })
    }
}

impl Outgoing for ChangeRequest {
    fn source(&self) -> &Source {
        &self.source
    }
    fn interpret(&self, answer: &Answer, general: Reading) -> Reading {
        if self.operation == Operation::AuthCode {
            auth_code_reading(&self.domain, answer, general)
        } else {
            general
        }
    }
    /// A nack InterNetX does not take leaves the transfer pending, and a
    /// gTLD registry acknowledges it at its deadline: the domain would
    /// leave unless someone answers again. Said where the operator looks
    /// (the log line and `last_error`); the `GatewayRequests` metric of
    /// `transfer_out_nack` with `Outcome=error` raises the template's alarm.
    fn rejection_warning(&self) -> Option<String> {
        let Some(TransferOutAnswer::Nack { reason }) = &self.transfer_answer else {
            return None;
        };
        if self.operation != Operation::AnswerTransferOut {
            return None;
        }
        let domain = &self.domain;
        tracing::error!(domain = %domain, reason = %reason, "a transfer-out nack was refused: the transfer stays pending and may be acknowledged at its deadline");
        Some(format!(
            "; the nack (reason {reason}) was NOT accepted, so the outgoing transfer of {domain} is still pending and the registry acknowledges it at its deadline (gTLDs): answer again with `internetx-bridge transfer-out {domain} nack --reason <1-6>` or ask InterNetX's support before then"
        ))
    }
    fn domain(&self) -> &DomainName {
        &self.domain
    }
    fn operation(&self) -> Operation {
        self.operation
    }
    fn task(&self, ctid: &str, reply_to: Option<String>) -> Task {
        let name = self.domain.ascii().to_owned();
        let kind = match self.operation {
            Operation::Cancel => TaskKind::CancelationAtExpiry { name },
            Operation::WithdrawCancel => TaskKind::CancelationDelete { name },
            Operation::AuthCode => match self.auth_delivery {
                AuthDelivery::Customer => TaskKind::AuthInfoCreate { name },
                AuthDelivery::Owner => TaskKind::AuthInfoToOwner { name },
                AuthDelivery::Post => TaskKind::AuthInfo2 { name },
            },
            Operation::AnswerTransferOut => TaskKind::TransferOutAnswer {
                name,
                // `validate` always sets it; were it missing, a nack keeps
                // the domain where an ack would give it away unasked.
                answer: self
                    .transfer_answer
                    .clone()
                    .unwrap_or(TransferOutAnswer::Nack {
                        reason: internetx::NackReason::WrittenObjection,
                    }),
            },
            Operation::ResendVerification => TaskKind::VerificationResend {
                // `change` refuses a resend without a handle before this.
                handle: self.handle.clone().unwrap_or_default(),
                domain: name,
            },
            Operation::ChangeLock => TaskKind::RegistryStatus {
                name,
                status: if self.locked == Some(true) {
                    "LOCK"
                } else {
                    "ACTIVE"
                }
                .to_owned(),
            },
            _ => {
                let c = self.contacts.clone();
                let slot = |pick: fn(&Contacts) -> &Option<internetx::ContactRef>| {
                    c.as_ref().and_then(|c| pick(c).clone())
                };
                TaskKind::DomainUpdate(DomainUpdate {
                    name,
                    owner: slot(|c| &c.owner),
                    admin: slot(|c| &c.admin),
                    tech: slot(|c| &c.tech),
                    zone: slot(|c| &c.zone),
                    nameservers: self.nameservers.clone(),
                    // gTLD owner changes need the owner's consent confirmed (ICANN).
                    confirm_owner_consent: c.as_ref().is_some_and(|c| c.owner.is_some()),
                })
            }
        };
        Task {
            kind,
            ctid: ctid.to_owned(),
            reply_to,
        }
    }
    /// Changes are only sent for a domain in the table; this never writes.
    fn new_record(&self, now: OffsetDateTime) -> DomainRecord {
        DomainRecord::new(
            self.domain.ascii(),
            self.domain.unicode(),
            self.operation,
            "",
            AccountKind::Provider,
            now,
        )
    }
    fn prepare(&self, record: &mut DomainRecord, _sealer: &Sealer) {
        record.requested_nameservers = self
            .nameservers
            .as_ref()
            .map(|ns| ns.iter().map(|n| n.name.clone()).collect());
        record.requested_contacts = self.contacts.as_ref().map(Contacts::slots);
        record.portfolio.requested_lock = self.locked;
    }
}

impl<S: DomainStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// A name-server, contact or cancellation request from the control center.
    pub async fn change_requested(&self, event: &ChangeRequested) -> Report {
        let mut report = Report::default();
        report.push(self.change(event).await, &event.request_id);
        report
    }

    async fn change(&self, event: &ChangeRequested) -> Result<ItemReport, StoreError> {
        let source = Source::Request {
            request_id: event.request_id.clone(),
        };
        let what = event.operation.noun();
        let unsent = |outcome, reason: String| ItemReport {
            item: event.request_id.clone(),
            domain: Some(event.domain.clone()),
            outcome,
            ctid: None,
            reason: Some(reason),
        };
        let domain = match DomainName::parse(&event.domain) {
            Ok(domain) => domain,
            Err(e) => {
                tracing::error!(request_id = %event.request_id, error = %e, "change for an invalid domain name");
                return Ok(unsent(ItemOutcome::Invalid, e.to_string()));
            }
        };
        if self.store.request_claimed(&source.key()).await? {
            return Ok(unsent(ItemOutcome::Duplicate, "handled before".into()));
        }
        let mut validated =
            ChangeRequest::validate(event, domain.clone(), self.defaults.protection);
        let mut resent_until = None;
        if let Ok(request) = validated.as_mut() {
            if request.operation == Operation::ResendVerification {
                (request.handle, resent_until) =
                    self.resend_window(event, &source, &domain).await?;
            }
        }
        let committed = self
            .lifecycle()
            .commit_with_retry(domain.ascii(), None, |current, now| {
                let Some(current) = current else {
                    let reason = format!(
                        "{what} of {domain} for request {} not sent: the domain is not managed here",
                        event.request_id
                    );
                    tracing::error!(domain = %domain, request_id = %event.request_id, "{reason}");
                    return Step::Skip(Planned::Refuse(ItemOutcome::Refused, reason));
                };
                if let Some(reason) = foreign(current, &event.account, &source, &format!("{what} of {domain}")) {
                    return refusal(current, &source, Outcome::Error, reason, now);
                }
                // The binding owner's own event may carry its address
                // (CONTRACT.md §1): status mails (and an auth code) go
                // there from now on. Another account's address never does.
                let addressed;
                let current = match &event.account.email {
                    Some(email)
                        if event.account.id == current.account_id
                            && current.notify_email.as_deref() != Some(email.as_str()) =>
                    {
                        let mut copy = current.clone();
                        copy.notify_email = Some(email.clone());
                        copy.notify_language = event
                            .account
                            .language
                            .map(|l| l.as_str().to_owned())
                            .or_else(|| current.notify_language.clone());
                        addressed = copy;
                        &addressed
                    }
                    _ => current,
                };
                let request = match &validated {
                    Ok(request) => request,
                    Err(problem) => {
                        let reason = format!(
                            "{what} of {domain} for request {} not sent: {problem}",
                            event.request_id
                        );
                        return match refusal(current, &source, Outcome::Error, reason, now) {
                            Step::Write(t, Planned::Refuse(_, reason)) => {
                                Step::Write(t, Planned::Refuse(ItemOutcome::Invalid, reason))
                            }
                            other => other,
                        };
                    }
                };
                // Changes need a registered domain with nothing in flight:
                // the control center's policy, stricter than the life cycle's.
                // A withdrawal needs the cancelation InterNetX confirmed.
                let needed = match event.operation {
                    Operation::WithdrawCancel => Status::Cancelled,
                    _ => Status::Registered,
                };
                // The code reaches the customer only by status mail.
                if event.operation == Operation::AuthCode
                    && request.auth_delivery == AuthDelivery::Customer
                {
                    let unreachable = if !self.notices.enabled {
                        Some("status mails are disabled (STATUS_MAILS)")
                    } else if current.notify_email.is_none() {
                        Some("the account has no notification address (account.email)")
                    } else {
                        None
                    };
                    if let Some(why) = unreachable {
                        let reason = format!(
                            "{what} of {domain} for request {} not sent: the auth code can reach the customer only by status mail, and {why}; ask with \"send_to\": \"owner\" to have InterNetX send it to the owner (or \"post\" for an AuthInfo2 of .de, .eu, .no)",
                            event.request_id
                        );
                        return refusal(current, &source, Outcome::Error, reason, now);
                    }
                }
                if event.operation == Operation::ResendVerification {
                    let refused = resend_refusal(current).or_else(|| {
                        resent_until.as_ref().map(|until| format!(
                            "the owner's verification mail for handle {} was sent again less than 15 minutes ago; InterNetX is asked at most once per handle every 15 minutes: ask again after {until}",
                            request.handle.as_deref().unwrap_or_default()
                        ))
                    });
                    if let Some(why) = refused {
                        let reason = format!("{what} of {domain} for request {} not sent: {why}", event.request_id);
                        return refusal(current, &source, Outcome::Error, reason, now);
                    }
                }
                if current.status() == needed && current.ctid().is_none() {
                    return claim(Some(current), request, &self.sealer, now);
                }
                let state = match (&current.ctid(), current.status().in_flight()) {
                    (Some(ctid), true) => format!(
                        "a {} is in flight (status {}, ctid {ctid})",
                        current.operation.noun(),
                        current.status()
                    ),
                    _ => format!(
                        "the domain is {}, and a {what} needs {needed}",
                        current.status()
                    ),
                };
                let reason = format!(
                    "{what} of {domain} for request {} not sent: {state}",
                    event.request_id
                );
                refusal(current, &source, Outcome::Error, reason, now)
            })
            .await?;
        match (&validated, committed) {
            (Ok(request), committed) => self.dispatcher().carry_out(committed, request).await,
            (Err(_), Committed::Written(Planned::Refuse(outcome, reason), _))
            | (Err(_), Committed::Skipped(Planned::Refuse(outcome, reason))) => {
                Ok(unsent(outcome, reason))
            }
            (Err(_), _) => Ok(unsent(ItemOutcome::Duplicate, "handled before".into())),
        }
    }
}

/// How long one verification resend keeps the next one of the same
/// owner handle back (CONTRACT.md §1).
const RESEND_INTERVAL: time::Duration = time::Duration::minutes(15);

/// Why a verification resend is not sent whatever else holds: nothing to
/// resend, or no handle to send it for.
fn resend_refusal(current: &DomainRecord) -> Option<String> {
    use crate::record::Verification;
    let handle = crate::workflows::sync::owner_handle(current);
    match (current.portfolio.owner_verification, handle) {
        (_, None) => Some("no owner handle is known for it (the sync records InterNetX's ownerc; run `internetx-bridge sync`)".into()),
        (Some(Verification::Verified), Some(handle)) => Some(format!(
            "the owner (handle {handle}) is verified already: there is nothing to send again"
        )),
        (None, Some(handle)) => Some(format!(
            "InterNetX asks no verification of its owner (handle {handle}) as far as the last check knows"
        )),
        (Some(Verification::Pending | Verification::Failed), Some(_)) => None,
    }
}

impl<S: DomainStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// The owner handle a resend is for, and — when this request may send
    /// one — the 15 minutes it holds for that handle; `Some(until)` when an
    /// earlier resend holds them still. Held only for a request that would
    /// be sent: another account's request, or one refused anyway, must not
    /// keep the owner's own resend back.
    async fn resend_window(
        &self,
        event: &ChangeRequested,
        source: &Source,
        domain: &DomainName,
    ) -> Result<(Option<String>, Option<String>), StoreError> {
        let Some(current) = self.store.load(domain.ascii()).await? else {
            return Ok((None, None));
        };
        let handle = crate::workflows::sync::owner_handle(&current).map(str::to_owned);
        let sendable = current.status() == Status::Registered
            && current.ctid().is_none()
            && resend_refusal(&current).is_none()
            && foreign(&current, &event.account, source, "").is_none();
        let Some(key) = handle.as_ref().filter(|_| sendable) else {
            return Ok((handle, None));
        };
        let now = self.clock.now();
        let held = self
            .store
            .hold_until(
                &format!("RESEND#{key}"),
                &crate::log::timestamp(now),
                &crate::log::timestamp(now + RESEND_INTERVAL),
            )
            .await?;
        Ok((handle, held))
    }
}

/// An auth-code answer: the code InterNetX issued rides on the `authinfo`
/// object of its status. One that exists already comes back with an error
/// (`E0113001` / `EF011316`) and the code itself: done all the same.
fn auth_code_reading(domain: &DomainName, answer: &Answer, general: Reading) -> Reading {
    let status = answer.deciding_status();
    let Some(code) = status
        .object
        .as_ref()
        .filter(|o| o.kind.eq_ignore_ascii_case("authinfo") && !o.value.is_empty())
        .map(|o| internetx::Secret::new(o.value.clone()))
    else {
        return general;
    };
    if !answer.accepted() && answer.messages.iter().any(|m| m.code == "EF011316") {
        return Reading {
            verdict: Verdict::Completed { issued: Some(code) },
            message: format!(
                "InterNetX already held an auth code for {domain} and returned it ({} EF011316); it goes to the customer by status mail, sealed",
                status.code
            ),
        };
    }
    match general.verdict {
        Verdict::Completed { .. } => Reading {
            verdict: Verdict::Completed { issued: Some(code) },
            message: general.message,
        },
        _ => general,
    }
}
