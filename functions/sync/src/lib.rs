//! `sync`: runs on a schedule and keeps the table true for the whole
//! InterNetX account — see `registrar::workflows::sync` for what a run does
//! and `adapters::config::sync_policy` for the settings.

use adapters::failure::FunctionError;
use adapters::metrics::{name, Metrics};
use registrar::deadline::Deadline;
use registrar::ports::{Clock, DomainStore, Gateway, PortfolioStore};
use registrar::workflows::sync::SyncPolicy;
use registrar::Registrar;
use serde_json::Value;

/// One run, ending before `deadline` (the invocation's).
pub async fn handle<S: DomainStore + PortfolioStore, G: Gateway, C: Clock>(
    app: &Registrar<S, G, C>,
    policy: SyncPolicy,
    deadline: Deadline,
    metrics: &Metrics,
) -> Result<Value, FunctionError> {
    let report = app.sync(policy, deadline).await?;
    tracing::info!(
        requests = report.requests,
        listed = report.listed,
        recorded = report.recorded,
        unknown = report.unknown,
        drift = report.drift,
        will_lapse = report.will_lapse,
        gone = report.gone,
        hints = report.hints,
        verifications = report.verifications,
        sweep_completed = report.sweep_completed,
        problems = ?report.problems,
        "sync run"
    );
    if report.will_lapse > 0 {
        tracing::warn!(
            will_lapse = report.will_lapse,
            "InterNetX will let registered domains lapse at their expiry (autorenew off, not cancelled); their drift lines name them: internetx-bridge domains --drift"
        );
    }
    metrics.count(name::WILL_LAPSE, &[], report.will_lapse);
    let report = serde_json::to_value(report)?;
    metrics.report(name::SYNC_ACTIONS, "Action", &report);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use registrar::testing::{registrar, ScriptedGateway};

    #[tokio::test]
    async fn a_run_reports_what_it_listed_and_what_the_table_lacks() {
        let app = registrar(ScriptedGateway::default());
        app.gateway.list("unknown-here.com");
        let policy = SyncPolicy {
            page: 10,
            pages_per_run: 1,
            checks_per_run: 5,
            ..SyncPolicy::default()
        };
        let out = handle(&app, policy, Deadline::none(), &Metrics::off())
            .await
            .unwrap();
        assert_eq!(out["requests"], 1);
        assert_eq!(out["listed"], 1);
        assert_eq!(
            out["unknown"], 1,
            "in the account, not in the table: for import"
        );
        assert_eq!(out["problems"].as_array().unwrap().len(), 0);
    }
}
