//! Doubles of the item queue, the mailer and the mail bucket.

use std::collections::HashMap;
use std::sync::Mutex;

use super::lock;
use crate::ports::{
    EventBus, ItemQueue, MailError, MailStore, MailboxError, Mailer, StoreError, StoredMail,
};
use crate::request::QueuedItem;
use crate::state_event::StateEvent;
use crate::status_mail::StatusMail;

/// Records the events the bus took; refuses the event ids in `refusing`,
/// and fails whole calls while `failing` is set.
#[derive(Debug, Default)]
pub struct RecordingBus {
    pub refusing: Mutex<Vec<String>>,
    pub failing: Mutex<bool>,
    sent: Mutex<Vec<StateEvent>>,
    calls: Mutex<usize>,
}

impl RecordingBus {
    /// Every event the bus took, in the order it took them.
    pub fn sent(&self) -> Vec<StateEvent> {
        lock(&self.sent).clone()
    }

    pub fn calls(&self) -> usize {
        *lock(&self.calls)
    }
}

impl EventBus for RecordingBus {
    async fn publish(&self, events: &[StateEvent]) -> Result<Vec<Result<(), String>>, String> {
        *lock(&self.calls) += 1;
        assert!(
            events.len() <= Self::MAX_BATCH,
            "PutEvents takes at most 10"
        );
        if *lock(&self.failing) {
            return Err("bus unavailable".into());
        }
        let refusing = lock(&self.refusing).clone();
        Ok(events
            .iter()
            .map(|e| {
                if refusing.contains(&e.event_id) {
                    Err("InternalFailure".to_owned())
                } else {
                    lock(&self.sent).push(e.clone());
                    Ok(())
                }
            })
            .collect())
    }
}

/// Records the items queued; fails while `failing` is set.
#[derive(Debug, Default)]
pub struct VecItemQueue {
    pub items: Mutex<Vec<QueuedItem>>,
    pub failing: bool,
}

impl VecItemQueue {
    pub fn queued(&self) -> Vec<QueuedItem> {
        lock(&self.items).clone()
    }
}

impl ItemQueue for VecItemQueue {
    async fn enqueue(&self, items: &[QueuedItem]) -> Result<(), StoreError> {
        if self.failing {
            return Err(StoreError::Unavailable("item queue unavailable".into()));
        }
        lock(&self.items).extend_from_slice(items);
        Ok(())
    }
}

/// Records the mails sent; `fail`: every send fails (`Some(true)`: for good).
#[derive(Debug, Default)]
pub struct RecordingMailer {
    pub fail: Option<bool>,
    sent: Mutex<Vec<(String, StatusMail)>>,
}

impl RecordingMailer {
    pub fn failing(permanent: bool) -> Self {
        Self {
            fail: Some(permanent),
            ..Self::default()
        }
    }

    pub fn sent(&self) -> Vec<(String, StatusMail)> {
        lock(&self.sent).clone()
    }
}

impl Mailer for RecordingMailer {
    async fn send(&self, to: &str, mail: &StatusMail) -> Result<String, MailError> {
        if let Some(permanent) = self.fail {
            return Err(MailError {
                message: "Throttling".into(),
                permanent,
            });
        }
        let mut sent = lock(&self.sent);
        sent.push((to.to_owned(), mail.clone()));
        Ok(format!("msg-{}", sent.len()))
    }
}

/// A mail bucket in memory: mails by `(bucket, key)` and the tags set.
#[derive(Debug, Default)]
pub struct MemoryMailbox {
    mails: Mutex<HashMap<(String, String), Vec<u8>>>,
    tags: Mutex<HashMap<(String, String), String>>,
}

impl MemoryMailbox {
    pub fn put(&self, bucket: &str, key: &str, raw: &[u8]) {
        lock(&self.mails).insert((bucket.to_owned(), key.to_owned()), raw.to_vec());
    }

    /// The `outcome` tag of a mail, once set.
    pub fn tag_of(&self, bucket: &str, key: &str) -> Option<String> {
        lock(&self.tags)
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned()
    }
}

impl MailStore for MemoryMailbox {
    async fn read(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> Result<StoredMail, MailboxError> {
        let mails = lock(&self.mails);
        let raw = mails
            .get(&(bucket.to_owned(), key.to_owned()))
            .ok_or_else(|| MailboxError::Missing {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
            })?;
        Ok(if raw.len() as u64 > max_bytes {
            StoredMail::TooLarge(raw.len() as u64)
        } else {
            StoredMail::Bytes(raw.clone())
        })
    }

    async fn tag(&self, bucket: &str, key: &str, outcome: &str) -> Result<(), MailboxError> {
        lock(&self.tags).insert((bucket.to_owned(), key.to_owned()), outcome.to_owned());
        Ok(())
    }
}
