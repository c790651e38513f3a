//! The storefront events (`publish-events`, CONTRACT.md §5): every event
//! the outbox holds goes out on the bus at least once, each under its
//! stable `event_id`, and a domain's events in version order.
//!
//! An event is marked published only after the bus took it, so a run that
//! dies between the two sends it again (same id) next time; nothing else
//! is sent twice. Each round takes the earliest unpublished event of each
//! waiting domain, read consistently, so a later version never goes out
//! before an earlier one; a domain whose event the bus refused waits
//! whole until the next run.

use std::collections::HashSet;
use std::time::Duration;

use crate::deadline::Deadline;
use crate::ports::{Clock, EventBus, Outbox, StoreError};

/// How many waiting events one round looks at.
pub const ROUND: usize = 100;
/// A round's worst case: its reads, the bus calls and the marks.
const ROUND_WORST_CASE: Duration = Duration::from_secs(20);

pub struct Publisher<O, B, C> {
    pub outbox: O,
    pub bus: B,
    pub clock: C,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PublishReport {
    pub published: usize,
    /// Refused by the bus this run: sent again next run.
    pub refused: usize,
    /// Age in seconds of the oldest event still waiting after the run.
    pub oldest_waiting_seconds: Option<i64>,
}

impl<O: Outbox, B: EventBus, C: Clock> Publisher<O, B, C> {
    /// Publishes what waits, round by round, while a round fits before
    /// `deadline`. Only a table outage fails the run.
    pub async fn run_within(&self, deadline: Deadline) -> Result<PublishReport, StoreError> {
        let mut report = PublishReport::default();
        // Domains that wait for the next run: an event refused, or the
        // index still listing what is published.
        let mut held: HashSet<String> = HashSet::new();
        while deadline.leaves(ROUND_WORST_CASE) {
            let mut batch = Vec::new();
            let mut this_round = HashSet::new();
            for waiting in self.outbox.waiting(ROUND + held.len()).await? {
                if held.contains(&waiting.domain) || !this_round.insert(waiting.domain.clone()) {
                    continue;
                }
                match self.outbox.earliest(&waiting.domain).await {
                    Ok(Some(event)) => batch.push(event),
                    Ok(None) => {
                        held.insert(waiting.domain);
                    }
                    // Later versions must not overtake it: the domain
                    // waits, the others go on.
                    Err(StoreError::Malformed(why)) => {
                        tracing::error!(domain = %waiting.domain, "storefront event of {} unreadable, the domain's events wait: {why}", waiting.domain);
                        held.insert(waiting.domain);
                    }
                    Err(other) => return Err(other),
                }
            }
            if batch.is_empty() {
                break;
            }
            for chunk in batch.chunks(B::MAX_BATCH) {
                let results = match self.bus.publish(chunk).await {
                    Ok(results) => results,
                    Err(why) => vec![Err(why); chunk.len()],
                };
                for (event, result) in chunk.iter().zip(results) {
                    match result {
                        Ok(()) => {
                            self.outbox.published(event, self.clock.now()).await?;
                            report.published += 1;
                        }
                        Err(why) => {
                            tracing::warn!(domain = %event.domain, event_id = %event.event_id, "DomainStateChanged {} not published, sent again next run: {why}", event.event_id);
                            held.insert(event.domain.clone());
                            report.refused += 1;
                        }
                    }
                }
            }
        }
        let now = self.clock.now();
        report.oldest_waiting_seconds = self
            .outbox
            .waiting(1)
            .await?
            .first()
            .map(|w| (now - w.since).whole_seconds().max(0));
        Ok(report)
    }
}

#[cfg(test)]
mod tests;
