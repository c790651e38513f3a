//! `publish-events`: runs on a schedule and publishes the storefront's
//! `DomainStateChanged` events (CONTRACT.md §5) that state changes wrote to
//! the outbox (`OUTBOX#…` items). The event's content does not matter.
//!
//! An event the bus refuses waits for the next run, and so do its domain's
//! later ones; only a table outage fails the run. Each run reports how long
//! the oldest event still waits (`OutboxAge`), which the template alarms on.

use adapters::failure::FunctionError;
use adapters::metrics::{name, Metrics, Unit};
use registrar::deadline::Deadline;
use registrar::ports::{Clock, EventBus, Outbox};
use registrar::workflows::publish_events::Publisher;
use serde_json::Value;

pub async fn handle<O: Outbox, B: EventBus, C: Clock>(
    app: &Publisher<O, B, C>,
    deadline: Deadline,
    metrics: &Metrics,
) -> Result<Value, FunctionError> {
    let report = app.run_within(deadline).await?;
    let age = report.oldest_waiting_seconds.unwrap_or(0);
    if report.refused > 0 {
        tracing::warn!(
            published = report.published,
            refused = report.refused,
            oldest_waiting_seconds = age,
            "storefront events: {} refused by the bus, sent again next run",
            report.refused
        );
    } else {
        tracing::info!(
            published = report.published,
            oldest_waiting_seconds = age,
            "storefront events"
        );
    }
    metrics.put(&[], &[(name::OUTBOX_AGE, age as f64, Unit::Seconds)]);
    let report = serde_json::to_value(report)?;
    metrics.report(name::STATE_EVENTS, "Outcome", &report);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use registrar::event::parse_event;
    use registrar::testing::{
        registrar, MemoryStore, RecordingBus, Script, ScriptedGateway, TestClock,
    };

    /// The sample provider registration, refused: one event (into `Error`) owed.
    async fn one_event_owed() -> MemoryStore {
        let app = registrar(ScriptedGateway::answering(Script::Refuse));
        let sample: serde_json::Value = serde_json::from_str(include_str!(
            "../../../events/domain-requested-provider.json"
        ))
        .unwrap();
        let event = parse_event("DomainRequested", &sample["detail"]).unwrap();
        app.handle(&event).await;
        app.store
    }

    #[tokio::test]
    async fn the_owed_event_goes_out_once_and_the_age_is_measured() {
        let app = Publisher {
            outbox: one_event_owed().await,
            bus: RecordingBus::default(),
            clock: TestClock::default(),
        };
        let metrics = Metrics::capture("publish-events");
        let out = handle(&app, Deadline::none(), &metrics).await.unwrap();
        assert_eq!(out["published"], 1);
        let sent = app.bus.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].status_to, "Error");
        assert_eq!(sent[0].status_from.as_deref(), Some("Registering"));
        assert_eq!(
            sent[0].event_id,
            format!("provider-example.net#{}", sent[0].version)
        );
        metrics.flush(None);
        let lines = metrics.lines().join("\n");
        assert!(lines.contains("OutboxAge"), "{lines}");
        let again = handle(&app, Deadline::none(), &Metrics::off())
            .await
            .unwrap();
        assert_eq!(again["published"], 0);
    }

    #[tokio::test]
    async fn a_refusing_bus_does_not_fail_the_run_and_reports_the_age() {
        let app = Publisher {
            outbox: one_event_owed().await,
            bus: RecordingBus::default(),
            clock: TestClock::default(),
        };
        *app.bus.failing.lock().unwrap() = true;
        let out = handle(&app, Deadline::none(), &Metrics::off())
            .await
            .expect("the run succeeds");
        assert_eq!(out["refused"], 1);
        assert!(out["oldest_waiting_seconds"].as_i64().is_some());
        assert_eq!(app.outbox.unpublished().len(), 1, "kept for the next run");
    }
}
