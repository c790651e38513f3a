//! One gateway request: claim → send → record the answer, whichever
//! workflow asks for it (order, change, reconciliation, retry).
//!
//! Claim first, then act: the domain item moves to its pending status, with
//! a fresh ctid and the event marked as handled, in one transaction *before*
//! the request is posted. A redelivered event then finds its claim and does
//! nothing; a concurrent one loses the version check and is refused; and a
//! crash after posting leaves a ctid that reconciliation can look up.

mod reply;

use internetx::{Answer, GatewayError};
use time::OffsetDateTime;

use reply::GatewayReply;
pub use reply::{Reading, Verdict};

use crate::lifecycle::{Attempt, Committed, Lifecycle, Step, Transition};
use crate::log::{action, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, Gateway, StoreError};
use crate::record::DomainRecord;
use crate::reply_address::ReplyAddress;
use crate::report::{ItemOutcome, ItemReport};
use crate::request::{new_ctid, DomainRequest, Source};
use crate::seal::Sealer;
use crate::status::Operation;
use crate::DomainName;

/// A request on its way to the gateway: what the claim, send and answer
/// steps need, whichever operation it is.
pub trait Outgoing: Sync {
    fn source(&self) -> &Source;
    fn domain(&self) -> &DomainName;
    fn operation(&self) -> Operation;
    fn task(&self, ctid: &str, reply_to: Option<String>) -> internetx::Task;
    /// The domain item this request creates when there is none yet.
    fn new_record(&self, now: OffsetDateTime) -> DomainRecord;
    /// What this request sets on the domain item besides the claim itself
    /// (and what a retry of it needs kept there).
    fn prepare(&self, record: &mut DomainRecord, sealer: &Sealer);
    /// What the request took from the provider's defaults, named in the
    /// `request.sent` line.
    fn defaults_used(&self) -> &[String] {
        &[]
    }
    /// What the answer means for this request, given the reading every
    /// request shares: only a request whose answer carries more (an auth
    /// code) reads it again.
    fn interpret(&self, _answer: &Answer, general: Reading) -> Reading {
        general
    }
    /// What a rejection must add for the operator beyond InterNetX's reason.
    fn rejection_warning(&self) -> Option<String> {
        None
    }
}

impl Outgoing for DomainRequest {
    fn source(&self) -> &Source {
        &self.source
    }
    fn domain(&self) -> &DomainName {
        &self.domain
    }
    fn operation(&self) -> Operation {
        self.operation
    }
    fn task(&self, ctid: &str, reply_to: Option<String>) -> internetx::Task {
        DomainRequest::task(self, ctid, reply_to)
    }
    fn new_record(&self, now: OffsetDateTime) -> DomainRecord {
        self.fresh_record(now)
    }
    fn prepare(&self, record: &mut DomainRecord, sealer: &Sealer) {
        self.adopt(record, sealer);
        record.nameservers = self.nameservers.iter().map(|n| n.name.clone()).collect();
        record.contacts = self.contacts.slots();
        record.requested_nameservers = None;
        record.requested_contacts = None;
    }
    fn defaults_used(&self) -> &[String] {
        &self.defaults_used
    }
}

/// What a workflow decided to do with a request, committed before anything
/// is posted.
#[derive(Debug, Clone)]
pub enum Planned {
    /// Claimed under this ctid: post it now.
    Send(String),
    /// Recorded, waiting for payment.
    Await,
    /// Not sent, with the report's outcome and why.
    Refuse(ItemOutcome, String),
}

/// The claim of `request` on the item read: pending status, fresh ctid, the
/// event marked as handled, `request.sent` logged.
pub fn claim(
    current: Option<&DomainRecord>,
    request: &impl Outgoing,
    sealer: &Sealer,
    now: OffsetDateTime,
) -> Step<Planned> {
    let ctid = new_ctid();
    let key = request.source().key();
    let mut t = Transition::of_or_new(current, now, || request.new_record(now));
    t.edit(|record| request.prepare(record, sealer))
        .send(request.operation(), &ctid, &key)
        .claim(key.clone())
        .log(
            LogEntry::new(
                now,
                action::REQUEST_SENT,
                Outcome::Ok,
                format!(
                    "{} of {} sent to InterNetX for {} (ctid {ctid}){}",
                    request.operation().noun(),
                    request.domain(),
                    request.source().describe(),
                    match request.defaults_used() {
                        [] => String::new(),
                        used => format!("; from the provider defaults: {}", used.join(", ")),
                    }
                ),
            )
            .ctid(Some(&ctid))
            .request_ref(&key),
        );
    Step::write(t, Planned::Send(ctid))
}

/// Why a request is not sent, logged on the domain with the event marked
/// as handled. `Ignored`: a repeat of what is already done.
pub fn refusal(
    existing: &DomainRecord,
    source: &Source,
    outcome: Outcome,
    reason: String,
    now: OffsetDateTime,
) -> Step<Planned> {
    let key = source.key();
    tracing::warn!(domain = %existing.domain, request = %key, %reason, "request not sent");
    let mut t = Transition::of(existing, now);
    t.claim(key.clone()).log(
        LogEntry::new(now, action::REQUEST_REJECTED, outcome, reason.clone())
            .ctid(existing.ctid())
            .request_ref(&key),
    );
    let reported = if outcome == Outcome::Ignored {
        ItemOutcome::Duplicate
    } else {
        ItemOutcome::Refused
    };
    Step::write(t, Planned::Refuse(reported, reason))
}

/// What sending needs: the life cycle, the gateway, the reply address the
/// result mail comes back to, and the sealer for what a retry keeps.
pub struct Dispatcher<'a, S, G, C> {
    pub lifecycle: Lifecycle<'a, S, C>,
    pub gateway: &'a G,
    pub reply: &'a ReplyAddress,
    pub sealer: &'a Sealer,
}

impl<S: DomainStore, G: Gateway, C: Clock> Dispatcher<'_, S, G, C> {
    /// Carries out what was committed for `request`: posts a claimed
    /// request and records the answer, or reports why it was not sent.
    pub async fn carry_out(
        &self,
        committed: Committed<Planned>,
        request: &impl Outgoing,
    ) -> Result<ItemReport, StoreError> {
        let report = |outcome, reason| {
            ItemReport::of(
                request.source(),
                request.domain().ascii(),
                outcome,
                None,
                reason,
            )
        };
        Ok(match committed {
            Committed::AlreadyClaimed => ItemReport::duplicate(request.source(), request.domain()),
            Committed::Written(Planned::Send(ctid), record) => {
                return self.post(*record, request, &ctid).await
            }
            Committed::Written(Planned::Await, _) | Committed::Skipped(Planned::Await) => {
                report(ItemOutcome::AwaitingPayment, None)
            }
            Committed::Written(Planned::Refuse(outcome, reason), _)
            | Committed::Skipped(Planned::Refuse(outcome, reason)) => report(outcome, Some(reason)),
            Committed::Skipped(Planned::Send(_)) => {
                report(ItemOutcome::Refused, Some("nothing was claimed".into()))
            }
        })
    }

    /// Claims the domain for `request` on the item read and sends it, in one
    /// attempt. `None`: the domain changed since it was read.
    pub async fn send(
        &self,
        current: Option<&DomainRecord>,
        request: &impl Outgoing,
    ) -> Result<Option<ItemReport>, StoreError> {
        let Step::Write(transition, Planned::Send(ctid)) =
            claim(current, request, self.sealer, self.lifecycle.now())
        else {
            return Ok(None);
        };
        match self.lifecycle.commit(*transition).await? {
            Attempt::Written(record) => self.post(*record, request, &ctid).await.map(Some),
            Attempt::Conflict => Ok(None),
            Attempt::AlreadyClaimed => Ok(Some(ItemReport::duplicate(
                request.source(),
                request.domain(),
            ))),
        }
    }

    /// Posts the claimed request and stores the answer on the domain item.
    async fn post(
        &self,
        claimed: DomainRecord,
        request: &impl Outgoing,
        ctid: &str,
    ) -> Result<ItemReport, StoreError> {
        tracing::info!(domain = %request.domain(), ctid, request = %request.source().key(), operation = %request.operation(), "request claimed, sending to InterNetX");
        let task = request.task(ctid, Some(self.reply.for_ctid(ctid)));
        let budget = crate::deadline::request_budget(self.gateway.worst_case());
        // Checked after the claim, right before sending: an invocation killed
        // between sending and recording would lose the answer, so a request
        // that cannot be waited out is not sent at all, and so may be sent
        // again (security review N6).
        let result = if crate::deadline::current().leaves(budget) {
            self.gateway.send(&task).await
        } else {
            Err(GatewayError::NotSent(format!(
                "the invocation had less than the {} s one request may take left",
                budget.as_secs()
            )))
        };
        let reply = GatewayReply::read(request, ctid, &result);
        let issued = reply
            .verdict
            .issued()
            .map(|code| self.sealer.seal(code.expose()));
        // The result mail (or an operator) may get there first: the answer
        // is then applied to the fresh item. An answer cannot be fetched
        // again (an auth code above all), so a table that is briefly away
        // is waited for rather than the answer dropped (security review N2).
        let mut known = Some(Some(claimed));
        let mut tries = 0;
        let committed = loop {
            let written = self
                .lifecycle
                .commit_with_retry(request.domain().ascii(), known.take(), |current, now| {
                    match current {
                        Some(current) => {
                            Step::write(reply.transition(current, ctid, issued.clone(), now), ())
                        }
                        None => Step::Skip(()),
                    }
                })
                .await;
            match written {
                Err(e) if e.is_transient() && tries + 1 < ANSWER_WRITE_ATTEMPTS => {
                    tracing::warn!(domain = %request.domain(), ctid, error = %e, attempt = tries, "gateway answer not recorded yet, trying again");
                    self.lifecycle
                        .clock
                        .pause(std::time::Duration::from_secs(1 << tries.min(3)))
                        .await;
                    tries += 1;
                }
                Err(e) => {
                    tracing::error!(domain = %request.domain(), ctid, error = %e, "gateway answer lost: the domain stays in flight until its result mail or reconciliation");
                    return Err(e);
                }
                Ok(committed) => break committed,
            }
        };
        match committed {
            Committed::Written((), _) => {
                let reason = reply.verdict.reason().map(str::to_owned);
                tracing::info!(domain = %request.domain(), ctid, outcome = ?reply.verdict.outcome(), reason = reason.as_deref().unwrap_or(""), "gateway answer recorded");
                Ok(ItemReport::of(
                    request.source(),
                    request.domain().ascii(),
                    reply.verdict.outcome(),
                    Some(ctid.to_owned()),
                    reason,
                ))
            }
            _ => Err(StoreError::Malformed(format!(
                "{} vanished before the gateway answer (ctid {ctid}) was recorded",
                request.domain()
            ))),
        }
    }
}

/// How often the write of a gateway answer is tried when the table is
/// away (1 + 2 + 4 + 8 + 8 s of pauses, about 23 s, between six tries).
pub const ANSWER_WRITE_ATTEMPTS: u32 = 6;
