//! How long an invocation may still run, so a function stops taking new
//! work in time instead of being killed between sending a request and
//! recording its answer (security review M5).

use std::time::{Duration, Instant};

/// The longest one gateway request can take with the default client
/// settings (`internetx::client::worst_case`: every attempt its longest
/// start wait and full answer timeout, the longest backoff before each
/// retry): 208 s. A configured client reports its own
/// ([`Gateway::worst_case`](crate::ports::Gateway::worst_case)).
pub const GATEWAY_WORST_CASE: Duration = internetx::client::worst_case(
    internetx::client::DEFAULT_TIMEOUT,
    internetx::client::DEFAULT_RETRIES,
);

/// The longest recording an answer can take: the answer write's attempts
/// (`dispatch::ANSWER_WRITE_ATTEMPTS`, pauses of 1 + 2 + 4 + 8 + 8 s), each
/// a commit that may itself wait out a busy table (about 5 s), with time to
/// spare for the calls.
pub const ANSWER_RECORD_WORST_CASE: Duration = Duration::from_secs(60);

/// What one request needs before the deadline: sent, answered and recorded
/// — never killed between sending and recording (security review M5, N6).
pub const fn request_budget(gateway_worst_case: Duration) -> Duration {
    gateway_worst_case.saturating_add(ANSWER_RECORD_WORST_CASE)
}

tokio::task_local! {
    static INVOCATION: Deadline;
}

/// Runs `work` with `deadline` as the invocation's: every request it sends
/// checks it just before sending ([`current`]), however deep in a workflow.
pub async fn within<F: std::future::Future>(deadline: Deadline, work: F) -> F::Output {
    INVOCATION.scope(deadline, work).await
}

/// The deadline of the invocation this task runs in ([`within`]), or none.
pub fn current() -> Deadline {
    INVOCATION.try_with(|d| *d).unwrap_or_default()
}

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

    /// The review's count (N6): four attempts of a full 30 s answer, three
    /// 20 s backoffs, and each attempt's wait for a start.
    #[test]
    fn the_worst_case_counts_every_attempt_and_wait() {
        let attempts = 4 * 30 + 3 * 20;
        let starts = 4 * (2 + 5);
        assert_eq!(GATEWAY_WORST_CASE, Duration::from_secs(attempts + starts));
        assert_eq!(
            internetx::client::ClientConfig::new("https://x").worst_case(),
            GATEWAY_WORST_CASE
        );
        assert_eq!(request_budget(GATEWAY_WORST_CASE), Duration::from_secs(268));
    }

    #[tokio::test]
    async fn the_invocation_deadline_reaches_the_work_it_runs() {
        assert!(current().remaining().is_none());
        let inside = within(Deadline::after(Duration::from_secs(60)), async {
            current().remaining()
        })
        .await;
        assert!(inside.is_some_and(|left| left <= Duration::from_secs(60)));
        assert!(current().remaining().is_none(), "only inside its scope");
    }
}
