//! The queued status mails (`status-mails`): claim → send → record, one notice at a
//! time, so each mail goes out once even when two runs overlap.
//!
//! A notice is claimed (`pending` → `sending`) before the mail is sent and
//! marked `sent` with a log entry afterwards. A send that fails returns it
//! to `pending` (retried next run) until `max_attempts`, then it is `failed`.
//! A claim left in `sending` by a run that died mid-way is never resent
//! (the mail may have gone out): after `stale_after` it is closed as
//! `unknown`, with a log entry. None of this touches the domain item, so a
//! failing mail service never holds up a status change.

use time::Duration;

use crate::deadline::Deadline;
use crate::log::action::{NOTICE_FAILED, NOTICE_SENT};
use crate::log::{LogEntry, Outcome};
use crate::ports::{Clock, Mailer, NoticeEnd, NoticeQueue, NoticeState, QueuedNotice, StoreError};

pub struct Notifier<Q, M, C> {
    pub queue: Q,
    pub mailer: M,
    pub clock: C,
    pub max_attempts: u32,
    pub stale_after: Duration,
    /// Opens the auth code a notice carries sealed (`AuthCodeRequested`).
    pub sealer: Option<crate::seal::Sealer>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NotifyReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub unknown: usize,
    /// Claimed by another run, or still fresh in `sending`.
    pub skipped: usize,
}

impl<Q: NoticeQueue, M: Mailer, C: Clock> Notifier<Q, M, C> {
    /// Works through at most `limit` notices.
    pub async fn run(&self, limit: usize) -> Result<NotifyReport, StoreError> {
        self.run_within(limit, Deadline::none()).await
    }

    /// Works through at most `limit` notices, claiming one only while its
    /// send and both writes fit before `deadline`: a run killed mid-send
    /// leaves its notice `unknown`, never resent — and an auth code in it
    /// never mailed (security review N12). The rest waits for the next run.
    pub async fn run_within(
        &self,
        limit: usize,
        deadline: Deadline,
    ) -> Result<NotifyReport, StoreError> {
        let mut report = NotifyReport::default();
        for queued in self.queue.waiting(limit).await? {
            if !deadline.leaves(ONE_NOTICE_WORST_CASE) {
                report.skipped += 1;
                continue;
            }
            let now = self.clock.now();
            if queued.state == NoticeState::Sending {
                let stale = queued
                    .claimed_at
                    .is_none_or(|at| now - at >= self.stale_after);
                if stale {
                    self.end(&queued, NoticeEnd::Unknown, &mut report).await?;
                } else {
                    report.skipped += 1;
                }
                continue;
            }
            match self.queue.claim(&queued, now).await {
                Ok(()) => {}
                Err(StoreError::Conflict) => {
                    report.skipped += 1;
                    continue;
                }
                Err(other) => return Err(other),
            }
            let claimed = QueuedNotice {
                state: NoticeState::Sending,
                claimed_at: Some(now),
                ..queued
            };
            let code = match &claimed.notice.sealed_auth_code {
                None => Ok(None),
                Some(sealed) => self
                    .sealer
                    .as_ref()
                    .and_then(|sealer| sealer.open(sealed).ok())
                    .map(Some)
                    .ok_or(
                        "the auth code it carries could not be opened (no or another sealing key)",
                    ),
            };
            let code = match code {
                Ok(code) => code,
                Err(reason) => {
                    let end = NoticeEnd::Failed {
                        reason: reason.to_owned(),
                    };
                    self.end(&claimed, end, &mut report).await?;
                    continue;
                }
            };
            let mail = claimed.notice.compose_with(code.as_deref());
            // The mail service's error texts may quote the recipient: they
            // are stored and logged masked, as every address is here.
            let end = match self.mailer.send(&claimed.notice.to, &mail).await {
                Ok(message_id) => NoticeEnd::Sent { message_id },
                Err(e) if e.permanent || claimed.attempts + 1 >= self.max_attempts => {
                    NoticeEnd::Failed {
                        reason: mask_addresses(&e.message),
                    }
                }
                Err(e) => NoticeEnd::Retry {
                    reason: mask_addresses(&e.message),
                },
            };
            self.end(&claimed, end, &mut report).await?;
        }
        Ok(report)
    }

    async fn end(
        &self,
        queued: &QueuedNotice,
        end: NoticeEnd,
        report: &mut NotifyReport,
    ) -> Result<(), StoreError> {
        let notice = &queued.notice;
        let what = format!(
            "status mail for {} → {} to {}",
            notice.domain,
            notice.status,
            mask(&notice.to)
        );
        let (action, outcome, message) = match &end {
            NoticeEnd::Sent { message_id } => {
                report.sent += 1;
                (
                    NOTICE_SENT,
                    Outcome::Ok,
                    format!("{what} sent (message id {message_id})"),
                )
            }
            NoticeEnd::Retry { reason } => {
                report.retrying += 1;
                (
                    NOTICE_FAILED,
                    Outcome::Error,
                    format!(
                        "{what} not sent (attempt {}), will retry: {reason}",
                        queued.attempts + 1
                    ),
                )
            }
            NoticeEnd::Failed { reason } => {
                report.failed += 1;
                (
                    NOTICE_FAILED,
                    Outcome::Error,
                    format!(
                        "{what} not sent after {} attempt(s), given up: {reason}",
                        queued.attempts + 1
                    ),
                )
            }
            NoticeEnd::Unknown => {
                report.unknown += 1;
                (
                    NOTICE_FAILED,
                    Outcome::Ignored,
                    format!("{what}: a run stopped while sending it; not resent, as it may have gone out"),
                )
            }
        };
        match outcome {
            Outcome::Ok => tracing::info!(domain = %notice.domain, "{message}"),
            _ => tracing::warn!(domain = %notice.domain, "{message}"),
        }
        let log = LogEntry::new(self.clock.now(), action, outcome, message);
        match self.queue.finish(queued, &end, &log).await {
            Err(StoreError::Conflict) => {
                tracing::warn!(domain = %notice.domain, "status mail claim changed under this run; left to its owner");
                Ok(())
            }
            other => other,
        }
    }
}

/// `c***@example.net`: enough for an operator to recognise the address
/// without writing a customer's full address into every log line.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// Every address in `text` masked ([`mask`]); the rest as it was.
pub fn mask_addresses(text: &str) -> String {
    let in_address = |c: char| c.is_alphanumeric() || ".-_+@%=~".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let address = word
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty());
        if address {
            out.push_str(&mask(word));
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if in_address(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// The longest one notice can take: its send (SES's client gives up after
/// 30 s, its retries included: `adapters::ses::SEND_WORST_CASE`) and the
/// claim and the end written.
pub const ONE_NOTICE_WORST_CASE: std::time::Duration = std::time::Duration::from_secs(45);

#[cfg(test)]
mod tests;
