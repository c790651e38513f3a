//! `reconcile`: runs on a schedule and settles operations that have been in
//! flight too long (result mail lost or late, gateway answer never came) by
//! asking InterNetX — see `registrar::workflows::reconcile` for the rules and
//! `adapters::config::reconcile_policy` for the settings.

use adapters::failure::FunctionError;
use adapters::metrics::{name, Metrics};
use registrar::deadline::Deadline;
use registrar::ports::{Clock, DomainStore, Gateway};
use registrar::workflows::reconcile::ReconcilePolicy;
use registrar::Registrar;
use serde_json::Value;

/// One run, ending before `deadline` (the invocation's).
pub async fn handle<S: DomainStore, G: Gateway, C: Clock>(
    app: &Registrar<S, G, C>,
    policy: ReconcilePolicy,
    deadline: Deadline,
    metrics: &Metrics,
) -> Result<Value, FunctionError> {
    let report = app.reconcile(policy, deadline).await?;
    tracing::info!(
        seconds_left = deadline.remaining().map(|d| d.as_secs()),
        checked = report.checked,
        settled = report.settled,
        given_up = report.given_up,
        waiting = report.waiting,
        skipped = report.skipped,
        stuck = report.stuck,
        "reconciliation run"
    );
    metrics.count(name::STUCK_DOMAINS, &[], report.stuck);
    let report = serde_json::to_value(report)?;
    metrics.report(name::RECONCILE_ACTIONS, "Action", &report);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use registrar::ports::DomainStore;
    use registrar::testing::{in_flight_record, registrar, seed, ScriptedGateway};
    use registrar::{Operation, Status};
    use time::Duration;

    #[tokio::test]
    async fn a_run_settles_what_internetx_lists_and_reports_it() {
        let app = registrar(ScriptedGateway::default());
        let sent = time::macros::datetime!(2026-11-29 09:00 UTC);
        for domain in ["listed.de", "waiting.de"] {
            let mut record =
                in_flight_record(domain, Operation::Register, &format!("ib-{domain}"), sent);
            // InterNetX accepted both: absence alone is no reason to resend.
            record.stid = Some(format!("stid-{domain}"));
            app.store.commit(&seed(record, None)).await.unwrap();
        }
        app.gateway.list("listed.de");
        let policy = ReconcilePolicy {
            after: Duration::hours(1),
            give_up: Duration::days(7),
            stuck_after: Duration::ZERO,
            batch: 10,
        };
        let metrics = Metrics::capture("reconcile");
        let out = handle(&app, policy, Deadline::none(), &metrics)
            .await
            .unwrap();
        assert_eq!(out["checked"], 2);
        assert_eq!(out["settled"], 1);
        assert_eq!(
            app.store.domain("listed.de").unwrap().status(),
            Status::Registered
        );
        assert_eq!(
            app.store.domain("waiting.de").unwrap().status(),
            Status::Registering
        );
        // The run's counts as metrics: one document per action, and how many
        // domains wait past `stuck_after` (zero here: the one waiting).
        let lines: Vec<Value> = metrics
            .lines()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let settled = lines
            .iter()
            .find(|l| l["Action"] == "settled")
            .expect("a settled count");
        assert_eq!(settled["ReconcileActions"], 1.0);
        assert_eq!(settled["Function"], "reconcile");
        let stuck = lines
            .iter()
            .find(|l| l.get("StuckDomains").is_some())
            .expect("a stuck count");
        assert_eq!(stuck["StuckDomains"], 1.0);
    }

    /// Security review M5: a run that could be killed before recording an
    /// answer does not start asking.
    #[tokio::test]
    async fn a_run_near_its_deadline_leaves_the_rest_for_the_next() {
        let app = registrar(ScriptedGateway::default());
        let sent = time::macros::datetime!(2026-11-29 09:00 UTC);
        let record = in_flight_record("later.de", Operation::Register, "ib-1", sent);
        app.store.commit(&seed(record, None)).await.unwrap();
        let policy = ReconcilePolicy {
            after: Duration::hours(1),
            give_up: Duration::days(7),
            stuck_after: Duration::days(2),
            batch: 10,
        };
        let soon = Deadline::after(std::time::Duration::from_secs(30));
        let out = handle(&app, policy, soon, &Metrics::off()).await.unwrap();
        assert_eq!(
            (out["checked"].as_u64(), out["skipped"].as_u64()),
            (Some(0), Some(1))
        );
        assert!(app.gateway.seen().is_empty());
    }
}
