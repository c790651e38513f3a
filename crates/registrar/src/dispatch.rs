//! One gateway request: claim → send → record the answer, whichever
//! workflow asks for it (order, change, reconciliation, retry).
//!
//! Claim first, then act: the domain item moves to its pending status, with
//! a fresh ctid and the event marked as handled, in one transaction *before*
//! the request is posted. A redelivered event then finds its claim and does
//! nothing; a concurrent one loses the version check and is refused; and a
//! crash after posting leaves a ctid that reconciliation can look up.

use internetx::{AnswerKind, Exchange, GatewayError, TaskKind, TransferOutAnswer};
use time::OffsetDateTime;

use crate::lifecycle::{Attempt, Committed, Lifecycle, Step, Transition};
use crate::log::{action, timestamp, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, Gateway, StoreError};
use crate::record::DomainRecord;
use crate::reply_address::ReplyAddress;
use crate::report::{ItemOutcome, ItemReport};
use crate::request::{new_ctid, DomainRequest, Source};
use crate::seal::Sealer;
use crate::status::Operation;
use crate::text::clip;
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
            .ctid(existing.ctid.as_deref())
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
        let mut reply =
            GatewayReply::from_result(request.operation(), request.domain(), ctid, result);
        if reply.outcome == ItemOutcome::Rejected {
            if let TaskKind::TransferOutAnswer {
                answer: TransferOutAnswer::Nack { reason },
                ..
            } = &task.kind
            {
                reply.refused_nack(request.domain(), *reason);
            }
        }
        let issued = reply
            .issued
            .as_ref()
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
                tracing::info!(domain = %request.domain(), ctid, outcome = ?reply.outcome, reason = reply.reason.as_deref().unwrap_or(""), "gateway answer recorded");
                Ok(ItemReport::of(
                    request.source(),
                    request.domain().ascii(),
                    reply.outcome,
                    Some(ctid.to_owned()),
                    reply.reason.clone(),
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

/// The gateway's answer, reduced to what changes the domain item.
struct GatewayReply {
    outcome: ItemOutcome,
    reason: Option<String>,
    code: Option<String>,
    text: Option<String>,
    stid: Option<String>,
    job_id: Option<String>,
    request_xml: Option<String>,
    response_xml: Option<String>,
    message: String,
    /// No answer document: logged as `gateway.failed`.
    no_answer: bool,
    /// An auth code InterNetX issued (or returned, as existing) for the
    /// customer: sealed before it goes anywhere.
    issued: Option<internetx::Secret>,
}

impl GatewayReply {
    /// A nack InterNetX does not take leaves the transfer pending, and a
    /// gTLD registry acknowledges it at its deadline: the domain would
    /// leave unless someone answers again. Said where the operator looks
    /// (the log line and `last_error`'s place in the report); the
    /// `GatewayRequests` metric of `transfer_out_nack` with `Outcome=error`
    /// raises the template's alarm.
    fn refused_nack(&mut self, domain: &DomainName, reason: internetx::NackReason) {
        let warning = format!(
            "; the nack (reason {reason}) was NOT accepted, so the outgoing transfer of {domain} is still pending and the registry acknowledges it at its deadline (gTLDs): answer again with `internetx-bridge transfer-out {domain} nack --reason <1-6>` or ask InterNetX's support before then"
        );
        self.message.push_str(&warning);
        if let Some(r) = self.reason.as_mut() {
            r.push_str(&warning);
        }
        tracing::error!(domain = %domain, reason = %reason, "a transfer-out nack was refused: the transfer stays pending and may be acknowledged at its deadline");
    }

    fn from_result(
        operation: Operation,
        domain: &DomainName,
        ctid: &str,
        result: Result<Exchange, GatewayError>,
    ) -> Self {
        let what = format!("{} of {}", operation.noun(), domain);
        let mut reply = GatewayReply {
            outcome: ItemOutcome::Accepted,
            reason: None,
            code: None,
            text: None,
            stid: None,
            job_id: None,
            request_xml: None,
            response_xml: None,
            message: String::new(),
            no_answer: false,
            issued: None,
        };
        match result {
            Ok(exchange) => {
                let answer = &exchange.answer;
                let status = answer.deciding_status();
                reply.code = Some(status.code.clone());
                reply.text = Some(status.text.clone());
                reply.stid = answer.stid.clone();
                reply.job_id = answer.job_id.clone();
                // Redacted again here, whatever the transport did: what is
                // stored must never hold a password, token or auth code.
                reply.request_xml = Some(internetx::redact::redact(&exchange.request_xml));
                reply.response_xml = Some(internetx::redact::redact(&exchange.response_xml));
                let authinfo = (operation == Operation::AuthCode)
                    .then_some(status.object.as_ref())
                    .flatten()
                    .filter(|o| o.kind.eq_ignore_ascii_case("authinfo") && !o.value.is_empty())
                    .map(|o| internetx::Secret::new(o.value.clone()));
                // An auth code that exists already comes back with an
                // error: E0113001 / EF011316 and the code itself.
                let existing = authinfo.is_some()
                    && !answer.accepted()
                    && answer.messages.iter().any(|m| m.code == "EF011316");
                if authinfo.is_some() && (answer.accepted() || existing) {
                    reply.issued = authinfo;
                }
                if existing {
                    reply.outcome = ItemOutcome::Completed;
                    reply.message = format!(
                        "InterNetX already held an auth code for {domain} and returned it ({} EF011316); it goes to the customer by status mail, sealed",
                        status.code
                    );
                } else if !answer.accepted() {
                    let reason = format!("InterNetX rejected the {what}: {}", answer.summary());
                    reply.outcome = ItemOutcome::Rejected;
                    reply.message = reason.clone();
                    reply.reason = Some(reason);
                } else if status.kind == AnswerKind::Success {
                    reply.outcome = ItemOutcome::Completed;
                    reply.message = format!(
                        "InterNetX completed the {what} at once: {} {}",
                        status.code, status.text
                    );
                } else {
                    reply.message = format!(
                        "InterNetX accepted the {what}: {} {}; the result follows by mail (ctid {ctid})",
                        status.code, status.text
                    );
                }
                if !exchange.retried.is_empty() {
                    reply.message.push_str(&format!(
                        " (after {} refusal(s) before processing, retried: {})",
                        exchange.retried.len(),
                        exchange.retried.join(", ")
                    ));
                }
            }
            Err(err) => {
                if let GatewayError::Protocol {
                    request_xml,
                    response_xml,
                    ..
                } = &err
                {
                    reply.request_xml = Some(internetx::redact::redact(request_xml));
                    reply.response_xml =
                        Some(clip(&internetx::redact::redact(response_xml), 20_000));
                }
                // An HTTP error page stays in the log entry (redacted), never
                // in the reason, which reaches `last_error` and the customer's
                // status mail (security review L5).
                let summary = match &err {
                    GatewayError::Http { status, body, .. } => {
                        reply.code = Some(format!("HTTP {status}"));
                        reply.response_xml = Some(clip(&internetx::redact::redact(body), 20_000));
                        format!("InterNetX gateway answered HTTP {status}")
                    }
                    other => other.to_string(),
                };
                let reason = if err.is_safe_to_resend() {
                    reply.outcome = ItemOutcome::Failed;
                    format!("{what} not sent: {summary}")
                } else {
                    reply.outcome = ItemOutcome::Unknown;
                    format!(
                        "outcome of the {what} is unknown: {summary}; not resent (that could order twice), reconciliation will settle it (ctid {ctid})"
                    )
                };
                reply.message = reason.clone();
                reply.reason = Some(reason);
                reply.no_answer = true;
            }
        }
        reply
    }

    /// The answer applied to the domain item. When the item has moved on
    /// from this ctid (the mail came first), only the log entry is added.
    fn transition(
        &self,
        current: &DomainRecord,
        ctid: &str,
        issued: Option<String>,
        now: OffsetDateTime,
    ) -> Transition {
        let mut t = Transition::of(current, now);
        let action = if self.no_answer {
            action::GATEWAY_FAILED
        } else {
            action::GATEWAY_REPLIED
        };
        let outcome = match self.outcome {
            ItemOutcome::Accepted | ItemOutcome::Completed => Outcome::Ok,
            _ => Outcome::Error,
        };
        let mut message = self.message.clone();
        if current.ctid.as_deref() == Some(ctid) {
            t.edit(|record| {
                if self.stid.is_some() {
                    record.stid = self.stid.clone();
                }
                if self.job_id.is_some() {
                    record.job_id = self.job_id.clone();
                }
            });
            match self.outcome {
                ItemOutcome::Accepted => {
                    t.accepted();
                }
                ItemOutcome::Completed => {
                    if issued.is_some() {
                        // The code itself rides in the status mail's notice
                        // only. A validity is known for .de alone: DENIC caps
                        // an AuthInfo at 30 days (docs.denic.de
                        // CREATE-AUTHINFO1); InterNetX's 30 days apply to
                        // codes of a PREACK cancelation, and nothing is
                        // published for gTLDs (protocol audit D24).
                        let de = current.domain.rsplit('.').next() == Some("de");
                        t.edit(|record| {
                            record.issued_auth_code = issued;
                            record.portfolio.auth_code_expires_at =
                                de.then(|| timestamp(now + time::Duration::days(30)));
                        });
                    }
                    t.succeed();
                }
                ItemOutcome::Rejected | ItemOutcome::Failed => {
                    t.fail(self.reason.clone().unwrap_or_default());
                }
                _ => {}
            }
        } else {
            message.push_str(&format!(
                " (the domain had already moved on to {}; status left as is)",
                current.status
            ));
        }
        let mut entry = LogEntry::new(now, action, outcome, message).ctid(Some(ctid));
        entry.stid = self.stid.clone();
        entry.code = self.code.clone();
        entry.text = self.text.clone();
        entry.request_xml = self.request_xml.clone();
        entry.response_xml = self.response_xml.clone();
        t.log(entry).status_note(Some(ctid), None);
        t
    }
}
