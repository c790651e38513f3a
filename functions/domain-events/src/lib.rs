//! `domain-events`: the EventBridge entry point. `OrderPaid`,
//! `DomainRequested` and the change events (`NameserversChangeRequested`,
//! `ContactsChangeRequested`, `CancellationRequested`) become InterNetX
//! requests through the registrar's workflows.
//!
//! Outcome rules: every item's result is in the returned report and in its
//! domain's action log. Items that failed for good (invalid, refused,
//! rejected by InterNetX) do not fail the invocation. A store outage does:
//! Lambda retries, and the claims make the items already done a no-op. An
//! event that cannot be read at all fails too, so that it ends in the
//! dead-letter queue instead of vanishing.
//!
//! With `ITEM_QUEUE_URL` set, the domain items of an `OrderPaid` go to the
//! item queue and `order-items` sends them at the gateway's pace; the rest
//! is handled here.

use adapters::queue::SqsItemQueue;
use adapters::Config;
use aws_config::SdkConfig;
use lambda_runtime::Error;
use registrar::event::{parse_event, InboundEvent};
use registrar::fanout::QueuedItem;
use registrar::submit::Report;
use serde_json::{json, Value};

pub struct App {
    pub bridge: adapters::Bridge,
    pub queue: Option<SqsItemQueue>,
}

/// Builds the clients once, at cold start.
pub fn build(config: &Config, aws: &SdkConfig) -> Result<App, Error> {
    Ok(App {
        bridge: adapters::bridge(config, aws)?,
        queue: config
            .item_queue_url
            .as_ref()
            .map(|url| SqsItemQueue::new(aws_sdk_sqs::Client::new(aws), url)),
    })
}

/// A dead letter again: an EventBridge event, or a message of the item queue.
pub async fn replay(app: &App, body: &str) -> Result<Value, Error> {
    if let Ok(items) = serde_json::from_str::<Vec<QueuedItem>>(body) {
        let mut report = Report::default();
        for item in &items {
            match app.bridge.queued_item(item).await? {
                Ok(done) => report.items.push(done),
                Err(bad) => return Err(bad.into()),
            }
        }
        return respond("QueuedItems", &format!("{} item(s)", items.len()), report);
    }
    handle(app, serde_json::from_str(body).unwrap_or(Value::Null)).await
}

/// Handles one EventBridge event (the full envelope).
pub async fn handle(app: &App, event: Value) -> Result<Value, Error> {
    let detail_type: String = event
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(80)
        .collect();
    let detail_type = detail_type.as_str();
    let detail = event.get("detail").cloned().unwrap_or(Value::Null);
    let parsed = parse_event(detail_type, &detail).map_err(|e| {
        tracing::error!(detail_type, error = %e, "event not processed: cannot be read");
        Error::from(format!("{detail_type} event not processed: {e}"))
    })?;
    let report = match (&parsed, &app.queue) {
        (InboundEvent::OrderPaid(order), Some(queue)) => {
            app.bridge.order_paid_with(order, Some(queue)).await
        }
        _ => app.bridge.handle(&parsed).await,
    };
    respond(detail_type, parsed.reference(), report)
}

fn respond(detail_type: &str, reference: &str, report: Report) -> Result<Value, Error> {
    for failed in report.failed() {
        tracing::warn!(
            event = detail_type,
            reference,
            item = %failed.item,
            domain = failed.domain.as_deref().unwrap_or(""),
            outcome = ?failed.outcome,
            reason = failed.reason.as_deref().unwrap_or(""),
            "item failed"
        );
    }
    if !report.transient.is_empty() {
        return Err(format!(
            "{detail_type} {reference}: {} item(s) hit a transient error and will be retried: {}",
            report.transient.len(),
            report.transient.join("; ")
        )
        .into());
    }
    let failed: Vec<_> = report.failed().cloned().collect();
    Ok(json!({
        "event": detail_type,
        "reference": reference,
        "items": report.items,
        "failed": failed,
    }))
}
