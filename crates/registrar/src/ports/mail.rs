//! The ports of the mail that goes out and comes in: the status-mail queue,
//! the mailer, and the bucket SES stores received mail in.

use std::future::Future;

use time::OffsetDateTime;

use super::StoreError;
use crate::log::LogEntry;
use crate::status_mail::{StatusMail, StatusNotice};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeState {
    Pending,
    Sending,
}

/// A status mail as the queue holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedNotice {
    pub notice: StatusNotice,
    pub state: NoticeState,
    pub attempts: u32,
    pub claimed_at: Option<OffsetDateTime>,
}

/// How a notice ends (or goes back to waiting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeEnd {
    Sent {
        message_id: String,
    },
    /// Back to `pending` for the next run.
    Retry {
        reason: String,
    },
    Failed {
        reason: String,
    },
    /// A claim abandoned mid-send: whether the mail went out is unknown.
    Unknown,
}

/// The status mails owed, written by state changes (see [`Change::notice`]).
pub trait NoticeQueue: Send + Sync {
    /// Notices waiting or claimed, oldest first, at most `limit`.
    fn waiting(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<QueuedNotice>, StoreError>> + Send;
    /// `pending` → `sending`; `Err(Conflict)` when another run has it.
    fn claim(
        &self,
        notice: &QueuedNotice,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Ends the claim (or the stale claim) with its log entry, in one write.
    fn finish(
        &self,
        notice: &QueuedNotice,
        end: &NoticeEnd,
        log: &LogEntry,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A borrowed queue is a queue: the sender and a writer can share a store.
impl<Q: NoticeQueue> NoticeQueue for &Q {
    fn waiting(
        &self,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<QueuedNotice>, StoreError>> + Send {
        (**self).waiting(limit)
    }
    fn claim(
        &self,
        notice: &QueuedNotice,
        at: OffsetDateTime,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).claim(notice, at)
    }
    fn finish(
        &self,
        notice: &QueuedNotice,
        end: &NoticeEnd,
        log: &LogEntry,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        (**self).finish(notice, end, log)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct MailError {
    pub message: String,
    /// A refusal that will not change (address rejected, sender not verified).
    pub permanent: bool,
}

pub trait Mailer: Send + Sync {
    /// Sends a plain-text mail; the provider's message id.
    fn send(
        &self,
        to: &str,
        mail: &StatusMail,
    ) -> impl Future<Output = Result<String, MailError>> + Send;
}

/// Where received mails are kept (the S3 mail bucket): read, then tagged
/// with their outcome; never deleted or rewritten.
pub trait MailStore: Send + Sync {
    /// The mail's bytes, but not its body when it is larger than `max_bytes`.
    fn read(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<StoredMail, MailboxError>> + Send;
    /// Sets `outcome=<value>` on the mail.
    fn tag(
        &self,
        bucket: &str,
        key: &str,
        outcome: &str,
    ) -> impl Future<Output = Result<(), MailboxError>> + Send;
}

/// A stored mail: its bytes, or only its size when it is above the limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredMail {
    Bytes(Vec<u8>),
    TooLarge(u64),
}

#[derive(Debug, thiserror::Error)]
pub enum MailboxError {
    /// Gone (deleted by hand or by the lifecycle rule): nothing to do.
    #[error("mail s3://{bucket}/{key} does not exist")]
    Missing { bucket: String, key: String },
    /// Worth a retry.
    #[error("mail bucket unavailable: {0}")]
    Unavailable(String),
}
