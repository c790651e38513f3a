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

fn queued(domain: &str, state: NoticeState, claimed_at: Option<OffsetDateTime>) -> QueuedNotice {
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
            verification: None,
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
