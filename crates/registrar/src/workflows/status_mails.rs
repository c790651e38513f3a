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
mod tests {
    use super::*;
    use crate::ports::{MailError, Mailer};
    use crate::status::{Operation, Status};
    use crate::status_mail::{Language, StatusMail, StatusNotice};
    use std::sync::Mutex;
    use time::OffsetDateTime;

    #[derive(Default)]
    struct Queue {
        items: Mutex<Vec<QueuedNotice>>,
        ends: Mutex<Vec<(String, NoticeEnd, LogEntry)>>,
        steal_claims: bool,
    }

    impl NoticeQueue for Queue {
        async fn waiting(&self, limit: usize) -> Result<Vec<QueuedNotice>, StoreError> {
            Ok(self
                .items
                .lock()
                .unwrap()
                .iter()
                .take(limit)
                .cloned()
                .collect())
        }
        async fn claim(&self, n: &QueuedNotice, at: OffsetDateTime) -> Result<(), StoreError> {
            if self.steal_claims {
                return Err(StoreError::Conflict);
            }
            let mut items = self.items.lock().unwrap();
            let item = items
                .iter_mut()
                .find(|q| q.notice == n.notice && q.state == NoticeState::Pending)
                .ok_or(StoreError::Conflict)?;
            item.state = NoticeState::Sending;
            item.claimed_at = Some(at);
            Ok(())
        }
        async fn finish(
            &self,
            n: &QueuedNotice,
            end: &NoticeEnd,
            log: &LogEntry,
        ) -> Result<(), StoreError> {
            let mut items = self.items.lock().unwrap();
            let pos = items
                .iter()
                .position(|q| q.notice == n.notice)
                .ok_or(StoreError::Conflict)?;
            if let NoticeEnd::Retry { .. } = end {
                items[pos].state = NoticeState::Pending;
                items[pos].attempts += 1;
            } else {
                items.remove(pos);
            }
            self.ends
                .lock()
                .unwrap()
                .push((n.notice.domain.clone(), end.clone(), log.clone()));
            Ok(())
        }
    }

    impl Queue {
        fn holding(items: Vec<QueuedNotice>) -> Self {
            Self {
                items: Mutex::new(items),
                ..Self::default()
            }
        }
    }

    struct Mail {
        fail: Option<bool>,
        sent: Mutex<Vec<(String, StatusMail)>>,
    }

    impl Mailer for Mail {
        async fn send(&self, to: &str, mail: &StatusMail) -> Result<String, MailError> {
            if let Some(permanent) = self.fail {
                return Err(MailError {
                    message: format!("MessageRejected: Address blacklisted: <{to}>"),
                    permanent,
                });
            }
            self.sent.lock().unwrap().push((to.into(), mail.clone()));
            Ok("msg-1".into())
        }
    }

    struct Fixed(OffsetDateTime);
    impl Clock for Fixed {
        fn now(&self) -> OffsetDateTime {
            self.0
        }
    }

    fn queued(
        domain: &str,
        state: NoticeState,
        claimed_at: Option<OffsetDateTime>,
    ) -> QueuedNotice {
        QueuedNotice {
            notice: StatusNotice {
                domain: domain.into(),
                domain_unicode: domain.into(),
                status: Status::Registered,
                operation: Operation::Register,
                to: "customer@example.net".into(),
                language: Language::En,
                reason: None,
                version: 3,
                sealed_auth_code: None,
            },
            state,
            attempts: 0,
            claimed_at,
        }
    }

    fn notifier(queue: Queue, fail: Option<bool>) -> Notifier<Queue, Mail, Fixed> {
        Notifier {
            queue,
            mailer: Mail {
                fail,
                sent: Mutex::default(),
            },
            clock: Fixed(time::macros::datetime!(2026-11-29 12:00 UTC)),
            max_attempts: 2,
            stale_after: Duration::minutes(15),
            sealer: Some(crate::seal::Sealer::new(crate::testing::SECRET)),
        }
    }

    #[tokio::test]
    async fn each_notice_is_sent_once_with_a_log_entry() {
        let queue = Queue::holding(vec![queued("a.de", NoticeState::Pending, None)]);
        let n = notifier(queue, None);
        assert_eq!(n.run(10).await.unwrap().sent, 1);
        assert_eq!(
            n.run(10).await.unwrap(),
            NotifyReport::default(),
            "nothing left"
        );
        let sent = n.mailer.sent.lock().unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].1.subject, "a.de is registered");
        let ends = n.queue.ends.lock().unwrap();
        assert_eq!(ends[0].2.action, NOTICE_SENT);
        assert!(
            ends[0].2.message.contains("c***@example.net"),
            "{}",
            ends[0].2.message
        );
        assert!(!ends[0].2.message.contains("customer@"));
    }

    /// N12: the service's error text quoting the recipient is stored and
    /// logged masked.
    #[tokio::test]
    async fn a_refusal_quoting_the_address_is_kept_masked() {
        let queue = Queue::holding(vec![queued("a.de", NoticeState::Pending, None)]);
        let n = notifier(queue, Some(true));
        assert_eq!(n.run(10).await.unwrap().failed, 1);
        let ends = n.queue.ends.lock().unwrap();
        let NoticeEnd::Failed { reason } = &ends[0].1 else {
            panic!("{:?}", ends[0].1)
        };
        assert_eq!(
            reason,
            "MessageRejected: Address blacklisted: <c***@example.net>"
        );
        assert!(
            !ends[0].2.message.contains("customer@"),
            "{}",
            ends[0].2.message
        );
        assert_eq!(
            mask_addresses("no address @ all; x@"),
            "no address @ all; x@"
        );
    }

    /// N12: a notice is claimed only while its send fits before the
    /// deadline; the rest waits, untouched, for the next run.
    #[tokio::test]
    async fn no_notice_is_claimed_that_cannot_be_sent_in_time() {
        let queue = Queue::holding(vec![
            queued("a.de", NoticeState::Pending, None),
            queued("b.de", NoticeState::Pending, None),
        ]);
        let n = notifier(queue, None);
        let short = Deadline::after(std::time::Duration::from_secs(30));
        let report = n.run_within(10, short).await.unwrap();
        assert_eq!((report.sent, report.skipped), (0, 2));
        assert!(n.mailer.sent.lock().unwrap().is_empty());
        assert!(n.queue.ends.lock().unwrap().is_empty(), "nothing claimed");
        assert_eq!(n.run(10).await.unwrap().sent, 2);
    }

    #[tokio::test]
    async fn a_failing_send_is_retried_then_given_up_and_permanent_refusals_at_once() {
        let queue = Queue::holding(vec![queued("a.de", NoticeState::Pending, None)]);
        let n = notifier(queue, Some(false));
        assert_eq!(n.run(10).await.unwrap().retrying, 1);
        assert_eq!(n.run(10).await.unwrap().failed, 1, "max_attempts 2");
        assert_eq!(n.run(10).await.unwrap(), NotifyReport::default());

        let queue = Queue::holding(vec![queued("b.de", NoticeState::Pending, None)]);
        let n = notifier(queue, Some(true));
        assert_eq!(n.run(10).await.unwrap().failed, 1);
        let ends = n.queue.ends.lock().unwrap();
        assert!(ends[0].2.message.contains("given up: MessageRejected"));
    }

    #[tokio::test]
    async fn a_claim_held_elsewhere_is_skipped_and_a_stale_one_never_resent() {
        let now = time::macros::datetime!(2026-11-29 12:00 UTC);
        let queue = Queue {
            steal_claims: true,
            ..Queue::default()
        };
        {
            let mut items = queue.items.lock().unwrap();
            items.push(queued("raced.de", NoticeState::Pending, None));
            items.push(queued(
                "fresh.de",
                NoticeState::Sending,
                Some(now - Duration::minutes(1)),
            ));
            items.push(queued(
                "stale.de",
                NoticeState::Sending,
                Some(now - Duration::hours(1)),
            ));
        }
        let n = notifier(queue, None);
        let report = n.run(10).await.unwrap();
        assert_eq!((report.skipped, report.unknown, report.sent), (2, 1, 0));
        assert!(n.mailer.sent.lock().unwrap().is_empty());
        let ends = n.queue.ends.lock().unwrap();
        assert_eq!(ends.len(), 1);
        assert_eq!(ends[0].0, "stale.de");
        assert_eq!(ends[0].1, NoticeEnd::Unknown);
    }
}
