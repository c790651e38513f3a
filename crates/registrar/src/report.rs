//! What a workflow reports about each item or request it handled: the
//! vocabulary of the functions' answers and the CLI.

use serde::Serialize;

use crate::request::Source;
use crate::DomainName;

/// What happened to one item or request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// InterNetX accepted it; the result follows by mail.
    Accepted,
    /// InterNetX completed it at once.
    Completed,
    AwaitingPayment,
    /// Handled before: nothing done.
    Duplicate,
    /// Not sent: the domain's state does not allow it (see the action log).
    Refused,
    /// Not sent: the item is invalid.
    Invalid,
    /// InterNetX refused it.
    Rejected,
    /// Sent, but no answer came back: reconciliation settles it.
    Unknown,
    /// Not sent: the gateway could not be reached.
    Failed,
    /// Not a domain item.
    Ignored,
    /// Handed to the item queue; its consumer sends it.
    Queued,
}

impl ItemOutcome {
    /// The name the functions' answers use (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemOutcome::Accepted => "accepted",
            ItemOutcome::Completed => "completed",
            ItemOutcome::AwaitingPayment => "awaiting_payment",
            ItemOutcome::Duplicate => "duplicate",
            ItemOutcome::Refused => "refused",
            ItemOutcome::Invalid => "invalid",
            ItemOutcome::Rejected => "rejected",
            ItemOutcome::Unknown => "unknown",
            ItemOutcome::Failed => "failed",
            ItemOutcome::Ignored => "ignored",
            ItemOutcome::Queued => "queued",
        }
    }

    /// Whether the item ended in an error a caller should hear about.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            ItemOutcome::Refused
                | ItemOutcome::Invalid
                | ItemOutcome::Rejected
                | ItemOutcome::Failed
                | ItemOutcome::Unknown
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ItemReport {
    pub item: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    pub outcome: ItemOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ItemReport {
    /// The report on `source`'s request for `domain`.
    pub fn of(
        source: &Source,
        domain: &str,
        outcome: ItemOutcome,
        ctid: Option<String>,
        reason: Option<String>,
    ) -> Self {
        Self {
            item: source.label().to_owned(),
            domain: Some(domain.to_owned()),
            outcome,
            ctid,
            reason,
        }
    }

    /// The event was handled before: nothing done.
    pub fn duplicate(source: &Source, domain: &DomainName) -> Self {
        tracing::info!(domain = %domain, request = %source.key(), "event handled before; nothing to do");
        Self::of(source, domain.ascii(), ItemOutcome::Duplicate, None, None)
    }
}

/// The result of one event. `transient` holds store errors that make the
/// invocation fail so that Lambda retries; the items done are not redone.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub items: Vec<ItemReport>,
    #[serde(skip)]
    pub transient: Vec<String>,
}

impl Report {
    pub fn failed(&self) -> impl Iterator<Item = &ItemReport> {
        self.items.iter().filter(|i| i.outcome.is_failure())
    }

    /// Adds an item's result; a store error is kept as transient.
    pub fn push<E: std::fmt::Display>(&mut self, result: Result<ItemReport, E>, item: &str) {
        match result {
            Ok(item_report) => self.items.push(item_report),
            Err(e) => {
                tracing::error!(item, error = %e, "item not processed; the event will be retried");
                self.transient.push(format!("{item}: {e}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ItemOutcome::*;

    #[test]
    fn outcome_names_are_the_serialised_ones() {
        for outcome in [
            Accepted,
            Completed,
            AwaitingPayment,
            Duplicate,
            Refused,
            Invalid,
            Rejected,
            Unknown,
            Failed,
            Ignored,
            Queued,
        ] {
            assert_eq!(serde_json::to_value(outcome).unwrap(), outcome.as_str());
        }
    }
}
