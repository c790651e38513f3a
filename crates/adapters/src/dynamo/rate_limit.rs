//! The gateway's rate limit (3 requests per second per source IP), shared by
//! every instance of every function through the domain table.
//!
//! Time is cut into slots of `(1 s + margin) / limit`; a request may start
//! only in a slot it has claimed, and a slot is claimed by one conditional
//! put (`pk = RATE#<slot number>`, `attribute_not_exists`), so it holds one
//! request at most, whichever instance made it. Any one second then touches
//! at most `limit` slots: at most `limit` starts per second. The margin keeps
//! that true when network jitter moves starts a little. Slot items expire
//! through the table's TTL (`expires_at`).
//!
//! One write per request and no read: instances racing for a slot lose
//! cheaply and take the next one.

use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::Client;
use internetx::client::Throttle;

/// What the window adds to the gateway's second.
pub const MARGIN: Duration = Duration::from_millis(100);
const MAX_ATTEMPTS: u64 = 500;

#[derive(Debug, Clone)]
pub struct SharedRateLimit {
    client: Client,
    table: String,
    /// Slot length in microseconds.
    slot_us: u64,
}

impl SharedRateLimit {
    /// `per_second` requests per second (at least one).
    pub fn new(client: Client, table: impl Into<String>, per_second: f64) -> Self {
        let limit = per_second.floor().max(1.0) as u64;
        Self {
            client,
            table: table.into(),
            slot_us: slot_length_us(limit),
        }
    }

    /// Claims the first free slot from now on; how long until it begins.
    async fn claim(&self) -> Result<Duration, String> {
        let now = now_us();
        let mut slot = now / self.slot_us;
        for _ in 0..MAX_ATTEMPTS {
            let begins = slot * self.slot_us;
            let expires = begins / 1_000_000 + 3_600;
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(super::layout::rate_slot_item(slot, expires)))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await;
            match result {
                Ok(_) => return Ok(Duration::from_micros(begins.saturating_sub(now_us()))),
                Err(SdkError::ServiceError(e))
                    if e.err().is_conditional_check_failed_exception() =>
                {
                    // Taken; the clock may have moved past it meanwhile.
                    slot = (slot + 1).max(now_us() / self.slot_us);
                }
                Err(e) => return Err(internetx::error_chain(&e)),
            }
        }
        Err(format!(
            "no free slot after {MAX_ATTEMPTS} attempts (too many instances at once)"
        ))
    }
}

impl Throttle for SharedRateLimit {
    fn acquire(
        &self,
    ) -> Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            let wait = self.claim().await?;
            tokio::time::sleep(wait).await;
            Ok(())
        })
    }
}

/// Slots short enough for `limit` per second, long enough that one second
/// (any second) touches at most `limit` of them.
fn slot_length_us(limit: u64) -> u64 {
    (1_000_000 + MARGIN.as_micros() as u64).div_ceil(limit)
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One start per slot, at its worst place (the start of the first, the
    /// end of each later one): a second never holds more than `limit`.
    #[test]
    fn any_second_touches_at_most_limit_slots() {
        for limit in [1u64, 2, 3, 10, 200] {
            let slot = slot_length_us(limit);
            // A second starting just before a slot boundary touches
            // floor(1 s / slot) + 1 slots.
            let touched = 1_000_000 / slot + 1;
            assert!(touched <= limit, "{limit}: {touched} slots in a second");
            // And the budget is not wasted: over 90% of the limit is usable.
            assert!(
                1_000_000 / slot >= limit * 9 / 10,
                "{limit}: slots too long"
            );
        }
    }
}
