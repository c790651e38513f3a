//! Result mails in (`inbound-mail`): authenticate, correlate by ctid, apply once.
//!
//! A mail may change a domain only if it proves it answers a request we
//! sent: it was delivered to the tokenised `reply_to` we issued for the ctid
//! it reports ([`ReplyAddress::verify`]), SES did not mark it as spam or
//! virus, and (when configured) it comes from an allowed sender. Everything
//! else is kept and tagged, with one log line saying why.

mod correlate;
mod events;
mod settle;
mod verdict;

use internetx::mail::{parse_result_mail, ResultMail};
use internetx::notification::{JobResult, Notification};
use time::OffsetDateTime;

use crate::lifecycle::{Committed, Lifecycle, NoticePolicy, Step, Transition};
use crate::log::timestamp;
use crate::log::{action, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, MailStore, MailboxError, StoreError, StoredMail};
use crate::record::DomainRecord;
use crate::reply_address::ReplyAddress;
use crate::text::{clip, printable};

pub use settle::{answers_task, settlement, Settlement};
use settle::{earlier_request_done, reopen};
pub use verdict::{InboundConfig, MailOutcome, MailVerdict};

/// Messages read per mail: a hostile mail of thousands costs no more.
pub const MAX_NOTIFICATIONS: usize = 16;
/// Ctids per job checked against the reply tokens.
pub const MAX_CTIDS_PER_JOB: usize = 4;
/// Characters of outside text kept per stored field.
const MAX_STORED_CHARS: usize = 500;

pub struct Inbound<S, C> {
    pub store: S,
    pub clock: C,
    pub reply: ReplyAddress,
    pub config: InboundConfig,
    pub notices: NoticePolicy,
}

impl<S: DomainStore, C: Clock> Inbound<S, C> {
    fn lifecycle(&self) -> Lifecycle<'_, S, C> {
        Lifecycle {
            store: &self.store,
            clock: &self.clock,
            notices: self.notices,
            cause: crate::state_event::Cause::Mail,
        }
    }

    /// The verdict for a mail too large to read.
    pub fn oversized(&self, size: u64) -> MailVerdict {
        MailVerdict::new(
            MailOutcome::Failed,
            format!(
                "mail is {size} bytes; mails above {} bytes are not parsed",
                self.config.max_bytes
            ),
        )
    }

    /// Reads one stored mail, handles it and tags it with its outcome.
    /// `Ok(None)`: the mail is gone (nothing to do); `Err`: worth a retry
    /// (the mail stays untagged).
    pub async fn handle_stored(
        &self,
        mailbox: &impl MailStore,
        bucket: &str,
        key: &str,
    ) -> Result<Option<MailVerdict>, String> {
        let verdict = match mailbox.read(bucket, key, self.config.max_bytes).await {
            Ok(StoredMail::Bytes(raw)) => match self.handle(key, &raw).await {
                Ok(verdict) => verdict,
                // Refused the same way every time: kept and marked, not retried.
                Err(e) if !e.is_transient() => MailVerdict::failed(format!("not applied: {e}")),
                Err(e) => return Err(format!("{key}: {e}")),
            },
            Ok(StoredMail::TooLarge(size)) => self.oversized(size),
            Err(MailboxError::Missing { .. }) => {
                tracing::warn!(bucket, key, "mail is gone before it was read: skipped");
                return Ok(None);
            }
            Err(e) => return Err(format!("{key}: {e}")),
        };
        mailbox
            .tag(bucket, key, verdict.outcome.as_str())
            .await
            .map_err(|e| format!("{key}: {e}"))?;
        let outcome = verdict.outcome.as_str();
        match verdict.outcome {
            MailOutcome::Quarantined | MailOutcome::Failed => {
                tracing::warn!(s3_key = %key, outcome, domains = ?verdict.domains, reason = %verdict.reason, "mail not applied")
            }
            _ => {
                tracing::info!(s3_key = %key, outcome, domains = ?verdict.domains, reason = %verdict.reason, "mail handled")
            }
        }
        Ok(Some(verdict))
    }

    /// Handles one stored mail. Errors are transient (the store): the
    /// caller lets the invocation fail so Lambda retries, and tags nothing.
    pub async fn handle(&self, s3_key: &str, raw: &[u8]) -> Result<MailVerdict, StoreError> {
        if raw.len() as u64 > self.config.max_bytes {
            return Ok(self.oversized(raw.len() as u64));
        }
        let mail = match parse_result_mail(raw) {
            Ok(mail) => mail,
            Err(e) => return Ok(MailVerdict::new(MailOutcome::Failed, e.to_string())),
        };
        if let Some(reason) = self.refusal(&mail) {
            return Ok(MailVerdict::new(MailOutcome::Quarantined, reason));
        }
        if mail.notifications.is_empty() {
            return Ok(if mail.unreadable.is_empty() {
                MailVerdict::new(MailOutcome::Ignored, "no InterNetX result in this mail")
            } else {
                MailVerdict::new(
                    MailOutcome::Failed,
                    format!(
                        "InterNetX result unreadable: {}",
                        printable(&mail.unreadable.join("; "), MAX_STORED_CHARS)
                    ),
                )
            });
        }
        let mut verdicts = Vec::new();
        if !mail.unreadable.is_empty() {
            // The readable messages still apply; the others are named.
            verdicts.push(MailVerdict::new(
                MailOutcome::Failed,
                format!(
                    "part of the mail is unreadable: {}",
                    printable(&mail.unreadable.join("; "), MAX_STORED_CHARS)
                ),
            ));
        }
        if mail.notifications.len() > MAX_NOTIFICATIONS {
            verdicts.push(MailVerdict::new(
                MailOutcome::Ignored,
                format!(
                    "{} messages in one mail: only the first {MAX_NOTIFICATIONS} are read",
                    mail.notifications.len()
                ),
            ));
        }
        let hour = timestamp(self.clock.now())[..13].to_owned();
        for (index, notification) in mail
            .notifications
            .iter()
            .take(MAX_NOTIFICATIONS)
            .enumerate()
        {
            let claim = format!("MAIL#{s3_key}#{index}");
            let verdict = match notification {
                Notification::Job(job) => self.apply_job(s3_key, &claim, &mail, job).await?,
                Notification::Event(event) => self.log_event(s3_key, &hour, event).await?,
                Notification::Unreadable { .. } => continue,
            };
            verdicts.push(verdict);
        }
        Ok(combine(verdicts))
    }

    /// Why the mail must not act at all, if it must not.
    fn refusal(&self, mail: &ResultMail) -> Option<String> {
        for (what, verdict) in [("spam", &mail.spam_verdict), ("virus", &mail.virus_verdict)] {
            if verdict
                .as_deref()
                .is_some_and(|v| v.eq_ignore_ascii_case("FAIL"))
            {
                return Some(format!("SES marked the mail as {what} (verdict FAIL)"));
            }
        }
        if !self.config.allowed_senders.is_empty() {
            // SES's own SPF/DKIM verdicts decide, not the `From:` a sender
            // writes: an entry's domain must be one SES authenticated, and
            // an entry with a local part must also be the `From:` address.
            let from = mail.from.as_deref().unwrap_or("");
            let allowed = self.config.allowed_senders.iter().any(|entry| {
                let entry = entry.trim().to_ascii_lowercase();
                let (local, domain) = entry.rsplit_once('@').unwrap_or(("", entry.as_str()));
                let vouched = mail
                    .authenticated_domains
                    .iter()
                    .any(|d| d == domain || d.ends_with(&format!(".{domain}")));
                vouched && (local.is_empty() || from == entry)
            });
            if !allowed {
                return Some(format!(
                    "sender {} is not on the allow list, or SES did not authenticate its domain (SPF/DKIM: {})",
                    printable(from, 100),
                    if mail.authenticated_domains.is_empty() {
                        "none".to_owned()
                    } else {
                        mail.authenticated_domains.join(", ")
                    }
                ));
            }
        }
        None
    }

    async fn apply_job(
        &self,
        s3_key: &str,
        claim: &str,
        mail: &ResultMail,
        job: &JobResult,
    ) -> Result<MailVerdict, StoreError> {
        let by_token = job
            .ctids
            .iter()
            .take(MAX_CTIDS_PER_JOB)
            .find(|c| mail.recipients.iter().any(|r| self.reply.verify(r, c)))
            .cloned();
        if by_token.is_none() {
            if let Some(named) = self.named_ctid(job).await? {
                // CONTRACT.md §4: a job naming a ctid other than the one
                // its reply token was issued for is never applied.
                return Ok(MailVerdict::new(
                    MailOutcome::Quarantined,
                    format!(
                        "the result names ctid {}, but was not delivered to that request's reply address (recipients {}): not applied",
                        printable(&named, 100),
                        clip(&mail.recipients.join(", "), 300)
                    ),
                ));
            }
        }
        let by_server_id = match by_token {
            Some(_) => None,
            None => self.in_flight_ctid(mail, job).await?,
        };
        let Some(ctid) = by_token.as_deref().or(by_server_id.as_deref()) else {
            return Ok(MailVerdict::new(
                MailOutcome::Quarantined,
                format!(
                    "no reply token proves this result answers our request (ctid {}, recipients {})",
                    if job.ctids.is_empty() { "none".to_owned() } else { printable(&job.ctids.join(", "), 200) },
                    clip(&mail.recipients.join(", "), 300)
                ),
            ));
        };
        let Some(domain) = self.store.ctid_domain(ctid).await? else {
            return Ok(MailVerdict::new(
                MailOutcome::Ignored,
                format!("result for ctid {ctid}, which no domain was sent with"),
            ));
        };
        let summary = printable(
            &format!(
                "{} {}{}",
                job.status.code,
                job.status.text,
                match job.details() {
                    d if d.is_empty() => String::new(),
                    d => format!(" ({d})"),
                }
            ),
            MAX_STORED_CHARS,
        );
        let committed = self
            .lifecycle()
            .commit_with_retry(&domain, None, |current, now| {
                let Some(current) = current else {
                    return Step::Skip(MailVerdict::new(
                        MailOutcome::Ignored,
                        format!("result for ctid {ctid}: domain {domain} is gone"),
                    ));
                };
                match self.decide(current, ctid, job, &summary, s3_key, now) {
                    Step::Write(mut t, verdict) => {
                        t.claim(claim);
                        Step::Write(t, verdict)
                    }
                    skip => skip,
                }
            })
            .await?;
        Ok(with_domain(written(committed, s3_key), &domain))
    }

    fn decide(
        &self,
        current: &DomainRecord,
        ctid: &str,
        job: &JobResult,
        summary: &str,
        s3_key: &str,
        now: OffsetDateTime,
    ) -> Step<MailVerdict> {
        let mut t = Transition::of(current, now);
        let noun = current.operation.noun();
        let entry = |outcome: Outcome, message: String| {
            let mut e =
                LogEntry::new(now, action::MAIL_RECEIVED, outcome, message).ctid(Some(ctid));
            e.s3_key = Some(s3_key.to_owned());
            e.code = Some(printable(&job.status.code, 40)).filter(|c| !c.is_empty());
            e.text = Some(printable(&job.status.text, MAX_STORED_CHARS)).filter(|t| !t.is_empty());
            e
        };
        let ignored = |mut t: Transition, reason: String| {
            t.log(entry(Outcome::Ignored, reason.clone()));
            Step::write(t, MailVerdict::new(MailOutcome::Ignored, reason))
        };
        if let Some(named) = job
            .domain
            .as_deref()
            .filter(|d| *d != current.domain && *d != current.domain_unicode)
        {
            return ignored(
                t,
                format!(
                "result mail for ctid {ctid} names {named}, but that ctid belongs to {}: ignored",
                current.domain
            ),
            );
        }
        if current.ctid() != Some(ctid) {
            if current.last_ctid.as_deref() == Some(ctid) {
                if let Some(reopened) = reopen(current, job, summary, &mut t) {
                    t.log(entry(Outcome::Error, reopened.clone()))
                        .status_note(Some(ctid), Some(s3_key));
                    return Step::write(t, MailVerdict::new(MailOutcome::Applied, reopened));
                }
                return Step::Skip(MailVerdict::new(
                    MailOutcome::Duplicate,
                    format!("result for ctid {ctid} was applied before ({summary})"),
                ));
            }
            if let Some(earlier) = earlier_request_done(current, ctid, job, summary, &mut t) {
                t.log(entry(Outcome::Ok, earlier.clone()))
                    .status_note(Some(ctid), Some(s3_key));
                return Step::write(t, MailVerdict::new(MailOutcome::Applied, earlier));
            }
            return ignored(t, format!(
                "result for ctid {ctid} ignored: it is not the operation in flight on {} (status {}, ctid {})",
                current.domain,
                current.status(),
                current.ctid().unwrap_or("none")
            ));
        }
        let domain = &current.domain;
        let (outcome, message) = match settlement(current.operation, job) {
            Settlement::Pending => {
                // An authenticated word about the ctid proves InterNetX has
                // the operation: it is never sent again.
                t.acknowledged().edit(|r| {
                    if r.job_id.is_none() {
                        r.job_id = job.job_id.clone();
                    }
                });
                (
                    Outcome::Ok,
                    format!("InterNetX reported progress on the {noun} of {domain}: {summary}; waiting for the final result"),
                )
            }
            Settlement::Success if settle::transfer_out_ended_in_place(current.operation, job) => {
                t.succeed();
                (
                    Outcome::Ok,
                    format!("InterNetX reports the outgoing transfer of {domain} ended with the domain still here: {summary} (the intended end of a nack; after an ack, the gaining registrar's transfer failed)"),
                )
            }
            Settlement::Success => {
                t.succeed();
                (
                    Outcome::Ok,
                    format!("InterNetX confirmed the {noun} of {domain}: {summary}"),
                )
            }
            Settlement::Failure => {
                let reason = format!("InterNetX reported the {noun} of {domain} failed: {summary}");
                t.fail(reason.clone());
                (Outcome::Error, reason)
            }
        };
        t.log(entry(outcome, message.clone()))
            .status_note(Some(ctid), Some(s3_key));
        Step::write(t, MailVerdict::new(MailOutcome::Applied, message))
    }
}

/// The verdict of a mail's write; a mail claimed before is a duplicate.
fn written(committed: Committed<MailVerdict>, s3_key: &str) -> MailVerdict {
    match committed {
        Committed::Written(verdict, _) | Committed::Skipped(verdict) => verdict,
        Committed::AlreadyClaimed => MailVerdict::new(
            MailOutcome::Duplicate,
            format!("mail {s3_key} was handled before"),
        ),
    }
}

fn with_domain(mut verdict: MailVerdict, domain: &str) -> MailVerdict {
    verdict.domains.push(domain.to_owned());
    verdict
}

/// One tag per mail: the strongest outcome among its messages.
fn combine(verdicts: Vec<MailVerdict>) -> MailVerdict {
    let outcome = verdicts
        .iter()
        .map(|v| v.outcome)
        .max()
        .unwrap_or(MailOutcome::Ignored);
    MailVerdict {
        outcome,
        reason: verdicts
            .iter()
            .map(|v| v.reason.as_str())
            .collect::<Vec<_>>()
            .join(" | "),
        domains: verdicts.into_iter().flat_map(|v| v.domains).collect(),
    }
}

#[cfg(test)]
mod tests;
