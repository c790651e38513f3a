//! How long an invocation may still run, so a function stops taking new
//! work in time instead of being killed between sending a request and
//! recording its answer (security review M5).

use std::time::{Duration, Instant};

/// The longest one gateway request can take with the default client
/// settings: four attempts (three retries, only of refusals that prove
/// nothing was processed) of a 5 s connect timeout, the backoff waits
/// between them capped at 20 s, the last attempt waiting its full 30 s
/// answer timeout, and a few seconds for the shared rate slot:
/// 3 × 5 + 3 × 20 + 30 + 5 = 110 s.
pub const GATEWAY_WORST_CASE: Duration = Duration::from_secs(110);

/// The end of the invocation, if there is one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No limit (tests, the CLI).
    pub fn none() -> Self {
        Self(None)
    }

    /// `remaining` from now.
    pub fn after(remaining: Duration) -> Self {
        Self(Some(Instant::now() + remaining))
    }

    /// Lambda's deadline, in milliseconds since the epoch, read at the start
    /// of an invocation. A deadline already past then is no deadline Lambda
    /// gives (it never invokes a function after its end): an emulator that
    /// leaves it out (0) or gets the unit wrong; the invocation is then run
    /// without one rather than doing nothing.
    pub fn from_epoch_millis(deadline_ms: u64) -> Self {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        if deadline_ms <= now_ms {
            tracing::warn!(
                deadline_ms,
                now_ms,
                "the invocation's deadline is already past: ignored"
            );
            return Self::none();
        }
        Self::after(Duration::from_millis(deadline_ms - now_ms))
    }

    /// The time left, if there is a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.0
            .map(|end| end.saturating_duration_since(Instant::now()))
    }

    /// Whether work that may take `worst` still fits.
    pub fn leaves(&self, worst: Duration) -> bool {
        self.0.is_none_or(|end| Instant::now() + worst <= end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_is_taken_only_while_it_fits() {
        assert!(Deadline::none().leaves(Duration::from_secs(10_000)));
        let d = Deadline::after(Duration::from_secs(60));
        assert!(d.leaves(Duration::from_secs(30)));
        assert!(!d.leaves(GATEWAY_WORST_CASE));
        assert!(
            Deadline::from_epoch_millis(0).remaining().is_none(),
            "a deadline already past is none Lambda gives"
        );
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let lambda = Deadline::from_epoch_millis(now_ms + 60_000);
        assert!(!lambda.leaves(GATEWAY_WORST_CASE));
        assert!(lambda.remaining().unwrap() <= Duration::from_secs(60));
    }
}
