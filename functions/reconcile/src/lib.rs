//! `reconcile`: runs on a schedule and settles operations that have been in
//! flight too long (result mail lost or late, gateway answer never came) by
//! asking InterNetX — see `registrar::reconcile` for the rules.
//!
//! `RECONCILE_AFTER_MINUTES` (default 60): how long an operation may wait
//! for its mail before it is checked. `RECONCILE_GIVE_UP_HOURS` (default
//! 168, transfers can take days): when an operation without evidence ends in
//! `Error`. `RECONCILE_BATCH` (default 50): domains per run, so a run stays
//! well inside its timeout at the gateway's pace.

use adapters::config::{bounded, ConfigError, Env};
use lambda_runtime::Error;
use registrar::reconcile::ReconcilePolicy;
use serde_json::Value;
use time::Duration;

pub fn policy(env: &impl Env) -> Result<ReconcilePolicy, ConfigError> {
    let minutes = bounded(env, "RECONCILE_AFTER_MINUTES", 60, 0..=100_000)?;
    let hours = bounded(env, "RECONCILE_GIVE_UP_HOURS", 168, 0..=10_000)?;
    let (after, give_up) = (
        Duration::minutes(minutes as i64),
        Duration::hours(hours as i64),
    );
    if give_up < after {
        return Err(ConfigError::Invalid {
            name: "RECONCILE_GIVE_UP_HOURS",
            problem: "is shorter than RECONCILE_AFTER_MINUTES".into(),
        });
    }
    Ok(ReconcilePolicy {
        after,
        give_up,
        batch: bounded(env, "RECONCILE_BATCH", 50, 1..=1_000)? as usize,
    })
}

pub async fn handle(app: &adapters::Bridge, policy: ReconcilePolicy) -> Result<Value, Error> {
    let report = app.reconcile(policy).await?;
    tracing::info!(
        checked = report.checked,
        settled = report.settled,
        resent = report.resent,
        given_up = report.given_up,
        waiting = report.waiting,
        skipped = report.skipped,
        "reconciliation run"
    );
    Ok(serde_json::to_value(report)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let p = policy(&[("X", "1")]).unwrap();
        assert_eq!(
            (p.after, p.give_up, p.batch),
            (Duration::hours(1), Duration::days(7), 50)
        );
        assert!(policy(&[("RECONCILE_BATCH", "many")]).is_err());
        let err = policy(&[("RECONCILE_GIVE_UP_HOURS", "0")]).unwrap_err();
        assert!(err.to_string().contains("RECONCILE_GIVE_UP_HOURS"), "{err}");
    }
}
