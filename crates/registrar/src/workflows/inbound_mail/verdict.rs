//! What became of a mail (its S3 tag and the reason beside it), and the
//! mail function's limits.

/// The S3 tag a processed mail gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MailOutcome {
    Ignored,
    Failed,
    Quarantined,
    Duplicate,
    Applied,
}

impl MailOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            MailOutcome::Applied => "applied",
            MailOutcome::Duplicate => "duplicate",
            MailOutcome::Ignored => "ignored",
            MailOutcome::Quarantined => "quarantined",
            MailOutcome::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone)]
pub struct MailVerdict {
    pub outcome: MailOutcome,
    /// One line: what was done and why.
    pub reason: String,
    pub domains: Vec<String>,
}

impl MailVerdict {
    /// A mail that cannot be applied, for good.
    pub fn failed(reason: impl Into<String>) -> Self {
        Self::new(MailOutcome::Failed, reason)
    }

    pub(super) fn new(outcome: MailOutcome, reason: impl Into<String>) -> Self {
        Self {
            outcome,
            reason: reason.into(),
            domains: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct InboundConfig {
    /// Mails larger than this are not parsed.
    pub max_bytes: u64,
    /// Allowed senders (`robot@autodns.com` or `@autodns.com`); empty: any.
    pub allowed_senders: Vec<String>,
}

impl Default for InboundConfig {
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            allowed_senders: Vec::new(),
        }
    }
}
