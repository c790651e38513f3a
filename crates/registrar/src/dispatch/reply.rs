//! The gateway's answer to one request, read once: what it means for the
//! operation (a [`Verdict`]), what the log keeps of the exchange
//! ([`Evidence`], redacted in one place), and how it moves the domain item.
//! What one operation's answer means beyond the general reading is that
//! operation's own business ([`super::Outgoing::interpret`]).

use internetx::{Answer, AnswerKind, Exchange, GatewayError, Secret};
use time::OffsetDateTime;

use super::Outgoing;
use crate::lifecycle::Transition;
use crate::log::{action, timestamp, LogEntry, Outcome};
use crate::record::DomainRecord;
use crate::report::ItemOutcome;
use crate::text::clip;

/// What the answer means for the operation.
#[derive(Debug)]
pub enum Verdict {
    /// Taken; the result follows by mail.
    Accepted,
    /// Done at once; `issued`: an auth code InterNetX handed out for the
    /// customer, sealed before it goes anywhere.
    Completed { issued: Option<Secret> },
    /// InterNetX refused it, with why.
    Rejected(String),
    /// It never reached InterNetX: safe to send again.
    NotSent(String),
    /// Sent, but no answer came: InterNetX may have it.
    Unknown(String),
}

impl Verdict {
    pub fn outcome(&self) -> ItemOutcome {
        match self {
            Verdict::Accepted => ItemOutcome::Accepted,
            Verdict::Completed { .. } => ItemOutcome::Completed,
            Verdict::Rejected(_) => ItemOutcome::Rejected,
            Verdict::NotSent(_) => ItemOutcome::Failed,
            Verdict::Unknown(_) => ItemOutcome::Unknown,
        }
    }

    /// Why it did not go through; `None` when it did.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Verdict::Rejected(r) | Verdict::NotSent(r) | Verdict::Unknown(r) => Some(r),
            Verdict::Accepted | Verdict::Completed { .. } => None,
        }
    }

    pub fn issued(&self) -> Option<&Secret> {
        match self {
            Verdict::Completed { issued } => issued.as_ref(),
            _ => None,
        }
    }
}

/// An answer read: its verdict and the log line that says it.
#[derive(Debug)]
pub struct Reading {
    pub verdict: Verdict,
    pub message: String,
}

impl Reading {
    /// The reading every operation shares: refused, done at once, or taken
    /// with the result to follow.
    pub fn general(what: &str, ctid: &str, answer: &Answer) -> Self {
        let status = answer.deciding_status();
        if !answer.accepted() {
            let reason = format!("InterNetX rejected the {what}: {}", answer.summary());
            Reading {
                message: reason.clone(),
                verdict: Verdict::Rejected(reason),
            }
        } else if status.kind == AnswerKind::Success {
            Reading {
                verdict: Verdict::Completed { issued: None },
                message: format!(
                    "InterNetX completed the {what} at once: {} {}",
                    status.code, status.text
                ),
            }
        } else {
            Reading {
                verdict: Verdict::Accepted,
                message: format!(
                    "InterNetX accepted the {what}: {} {}; the result follows by mail (ctid {ctid})",
                    status.code, status.text
                ),
            }
        }
    }

    /// No answer document: the request was not sent, or its fate is unknown.
    fn failure(what: &str, ctid: &str, err: &GatewayError) -> Self {
        // An HTTP error page stays in the log entry (redacted), never in the
        // reason, which reaches `last_error` and the customer's status mail
        // (security review L5).
        let summary = match err {
            GatewayError::Http { status, .. } => {
                format!("InterNetX gateway answered HTTP {status}")
            }
            other => other.to_string(),
        };
        let verdict = if err.is_safe_to_resend() {
            Verdict::NotSent(format!("{what} not sent: {summary}"))
        } else {
            Verdict::Unknown(format!(
                "outcome of the {what} is unknown: {summary}; not resent (that could order twice), reconciliation will settle it (ctid {ctid})"
            ))
        };
        Reading {
            message: verdict.reason().unwrap_or_default().to_owned(),
            verdict,
        }
    }
}

/// What the log entry keeps of the exchange. Redacted here, whatever the
/// transport did: what is stored never holds a password, token or auth code.
#[derive(Debug, Default)]
struct Evidence {
    code: Option<String>,
    text: Option<String>,
    stid: Option<String>,
    job_id: Option<String>,
    request_xml: Option<String>,
    response_xml: Option<String>,
}

/// How much of a gateway's reply that is no answer document is kept.
const KEPT_REPLY_BYTES: usize = 20_000;

impl Evidence {
    fn of_exchange(exchange: &Exchange) -> Self {
        let status = exchange.answer.deciding_status();
        Evidence {
            code: Some(status.code.clone()),
            text: Some(status.text.clone()),
            stid: exchange.answer.stid.clone(),
            job_id: exchange.answer.job_id.clone(),
            request_xml: Some(internetx::redact::redact(&exchange.request_xml)),
            response_xml: Some(internetx::redact::redact(&exchange.response_xml)),
        }
    }

    fn of_failure(err: &GatewayError) -> Self {
        let kept = |reply: &str| clip(&internetx::redact::redact(reply), KEPT_REPLY_BYTES);
        match err {
            GatewayError::Protocol {
                request_xml,
                response_xml,
                ..
            } => Evidence {
                request_xml: Some(internetx::redact::redact(request_xml)),
                response_xml: Some(kept(response_xml)),
                ..Evidence::default()
            },
            GatewayError::Http { status, body, .. } => Evidence {
                code: Some(format!("HTTP {status}")),
                response_xml: Some(kept(body)),
                ..Evidence::default()
            },
            _ => Evidence::default(),
        }
    }
}

/// The gateway's answer, reduced to what changes the domain item.
#[derive(Debug)]
pub struct GatewayReply {
    pub verdict: Verdict,
    message: String,
    evidence: Evidence,
}

impl GatewayReply {
    pub fn read(
        request: &impl Outgoing,
        ctid: &str,
        result: &Result<Exchange, GatewayError>,
    ) -> Self {
        let what = format!("{} of {}", request.operation().noun(), request.domain());
        let (reading, evidence) = match result {
            Ok(exchange) => {
                let general = Reading::general(&what, ctid, &exchange.answer);
                let mut reading = request.interpret(&exchange.answer, general);
                if !exchange.retried.is_empty() {
                    reading.message.push_str(&format!(
                        " (after {} refusal(s) before processing, retried: {})",
                        exchange.retried.len(),
                        exchange.retried.join(", ")
                    ));
                }
                (reading, Evidence::of_exchange(exchange))
            }
            Err(err) => (
                Reading::failure(&what, ctid, err),
                Evidence::of_failure(err),
            ),
        };
        let mut reply = GatewayReply {
            verdict: reading.verdict,
            message: reading.message,
            evidence,
        };
        if let Verdict::Rejected(reason) = &mut reply.verdict {
            if let Some(warning) = request.rejection_warning() {
                reason.push_str(&warning);
                reply.message.push_str(&warning);
            }
        }
        reply
    }

    /// The answer applied to the domain item. When the item has moved on
    /// from this ctid (the mail came first), only the log entry is added.
    pub fn transition(
        &self,
        current: &DomainRecord,
        ctid: &str,
        sealed_code: Option<String>,
        now: OffsetDateTime,
    ) -> Transition {
        let mut t = Transition::of(current, now);
        let (action, outcome) = match &self.verdict {
            Verdict::NotSent(_) | Verdict::Unknown(_) => (action::GATEWAY_FAILED, Outcome::Error),
            Verdict::Rejected(_) => (action::GATEWAY_REPLIED, Outcome::Error),
            Verdict::Accepted | Verdict::Completed { .. } => (action::GATEWAY_REPLIED, Outcome::Ok),
        };
        let mut message = self.message.clone();
        if current.ctid() == Some(ctid) {
            let evidence = &self.evidence;
            t.edit(|record| {
                if evidence.stid.is_some() {
                    record.stid = evidence.stid.clone();
                }
                if evidence.job_id.is_some() {
                    record.job_id = evidence.job_id.clone();
                }
            });
            match &self.verdict {
                Verdict::Accepted => {
                    t.accepted();
                }
                Verdict::Completed { .. } => {
                    if sealed_code.is_some() {
                        // The code itself rides in the status mail's notice
                        // only. A validity is known for .de alone: DENIC caps
                        // an AuthInfo at 30 days (docs.denic.de
                        // CREATE-AUTHINFO1); InterNetX's 30 days apply to
                        // codes of a PREACK cancelation, and nothing is
                        // published for gTLDs (protocol audit D24).
                        let de = current.domain.rsplit('.').next() == Some("de");
                        t.edit(|record| {
                            record.issued_auth_code = sealed_code;
                            record.portfolio.auth_code_expires_at =
                                de.then(|| timestamp(now + time::Duration::days(30)));
                        });
                    }
                    t.succeed();
                }
                Verdict::Rejected(reason) | Verdict::NotSent(reason) => {
                    t.fail(reason.clone());
                }
                Verdict::Unknown(_) => {}
            }
        } else {
            message.push_str(&format!(
                " (the domain had already moved on to {}; status left as is)",
                current.status()
            ));
        }
        let evidence = &self.evidence;
        let mut entry = LogEntry::new(now, action, outcome, message).ctid(Some(ctid));
        entry.stid = evidence.stid.clone();
        entry.code = evidence.code.clone();
        entry.text = evidence.text.clone();
        entry.request_xml = evidence.request_xml.clone();
        entry.response_xml = evidence.response_xml.clone();
        t.log(entry).status_note(Some(ctid), None);
        t
    }
}
