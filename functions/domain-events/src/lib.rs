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
//! With an item queue (`ITEM_QUEUE_URL`), the domain items of an `OrderPaid`
//! go to it and `order-items` sends them at the gateway's pace; the rest is
//! handled here.

use adapters::failure::FunctionError;
use adapters::metrics::{name, Metrics};
use registrar::event::{parse_envelope, InboundEvent};
use registrar::ports::{Clock, DomainStore, Gateway, ItemQueue};
use registrar::report::Report;
use registrar::Registrar;
use serde_json::{json, Value};

/// Handles one EventBridge event (the full envelope).
pub async fn handle<S, G, C, Q>(
    registrar: &Registrar<S, G, C>,
    queue: Option<&Q>,
    event: Value,
    metrics: &Metrics,
) -> Result<Value, FunctionError>
where
    S: DomainStore,
    G: Gateway,
    C: Clock,
    Q: ItemQueue,
{
    let (detail_type, parsed) = parse_envelope(&event);
    let parsed = parsed.map_err(|e| {
        tracing::error!(detail_type, error = %e, "event not processed: cannot be read");
        FunctionError::non_retryable(format!("{detail_type} event not processed: {e}"))
    })?;
    let report = match (&parsed, queue) {
        (InboundEvent::OrderPaid(order), Some(queue)) => {
            registrar.order_paid_queued(order, queue).await
        }
        _ => registrar.handle(&parsed).await,
    };
    for item in &report.items {
        metrics.count(name::ITEMS, &[("Outcome", item.outcome.as_str())], 1);
    }
    respond(&detail_type, parsed.reference(), report)
}

fn respond(detail_type: &str, reference: &str, report: Report) -> Result<Value, FunctionError> {
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
        return Err(FunctionError::retryable(format!(
            "{detail_type} {reference}: {} item(s) hit a transient error and will be retried: {}",
            report.transient.len(),
            report.transient.join("; ")
        )));
    }
    let failed: Vec<_> = report.failed().cloned().collect();
    Ok(json!({
        "event": detail_type,
        "reference": reference,
        "items": report.items,
        "failed": failed,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use registrar::testing::{registrar, Script, ScriptedGateway, VecItemQueue};
    use registrar::Status;

    fn event(detail_type: &str, detail: Value) -> Value {
        json!({"detail-type": detail_type, "source": "control-center", "detail": detail})
    }

    fn provider_registration(request_id: &str, domain: &str) -> Value {
        event(
            "DomainRequested",
            json!({"request_id": request_id, "operation": "register",
                   "account": {"id": "PROV-1", "kind": "provider"}, "domain": domain,
                   "contacts": {"owner": {"kind": "person", "first_name": "Erika", "last_name": "Muster",
                       "address": ["Heidestr. 17"], "postal_code": "51147", "city": "Köln",
                       "country": "DE", "phone": "+49 221 1234567", "email": "erika@example.de"}},
                   "nameservers": [{"name": "ns1.provider.net"}, {"name": "ns2.provider.net"}]}),
        )
    }

    const NO_QUEUE: Option<&VecItemQueue> = None;

    #[tokio::test]
    async fn a_refusal_by_internetx_is_answered_not_retried() {
        let app = registrar(ScriptedGateway::answering(Script::Refuse));
        let out = handle(
            &app,
            NO_QUEUE,
            provider_registration("REQ-1", "taken.de"),
            &Metrics::off(),
        )
        .await
        .expect("a permanent failure does not fail the invocation");
        assert_eq!(out["failed"][0]["outcome"], "rejected");
        assert_eq!(
            app.store.domain("taken.de").unwrap().status(),
            Status::Error
        );
    }

    #[tokio::test]
    async fn a_table_outage_fails_the_invocation_so_lambda_retries() {
        let app = registrar(ScriptedGateway::default());
        app.store.fail_next_commits(1);
        let err = handle(
            &app,
            NO_QUEUE,
            provider_registration("REQ-2", "later.de"),
            &Metrics::off(),
        )
        .await
        .expect_err("a transient failure fails the invocation");
        assert!(err.to_string().contains("will be retried"), "{err}");
        assert!(app.gateway.seen().is_empty(), "nothing was sent");
        // The retry goes through, once.
        handle(
            &app,
            NO_QUEUE,
            provider_registration("REQ-2", "later.de"),
            &Metrics::off(),
        )
        .await
        .unwrap();
        assert_eq!(app.gateway.seen().len(), 1);
    }

    #[tokio::test]
    async fn an_unreadable_event_fails_so_it_reaches_the_dead_letter_queue() {
        let app = registrar(ScriptedGateway::default());
        let err = handle(
            &app,
            NO_QUEUE,
            event("OrderPaid", json!({"items": 7})),
            &Metrics::off(),
        )
        .await
        .unwrap_err();
        assert!(
            err.to_string().contains("OrderPaid event not processed"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_unavailable_item_queue_fails_the_invocation_so_it_comes_again() {
        let app = registrar(ScriptedGateway::default());
        let queue = VecItemQueue {
            failing: true,
            ..VecItemQueue::default()
        };
        let order = event(
            "OrderPaid",
            json!({"order_id": "ORD-2", "account": {"id": "C-1", "kind": "customer"},
                   "items": [{"item_id": "I-1", "type": "domain_transfer", "domain": "later.de", "auth_code": "A-1"}]}),
        );
        let err = handle(&app, Some(&queue), order, &Metrics::off())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("not queued"), "{err}");
        assert!(app.gateway.seen().is_empty());
    }

    #[tokio::test]
    async fn with_an_item_queue_domain_items_are_queued_not_sent() {
        let app = registrar(ScriptedGateway::default());
        let queue = VecItemQueue::default();
        let order = event(
            "OrderPaid",
            json!({"order_id": "ORD-1", "account": {"id": "C-1", "kind": "customer"},
                   "items": [{"item_id": "I-1", "type": "domain_transfer", "domain": "moving.de", "auth_code": "A-1"},
                             {"item_id": "I-2", "type": "hosting_plan"}]}),
        );
        let out = handle(&app, Some(&queue), order, &Metrics::off())
            .await
            .unwrap();
        assert_eq!(out["items"][0]["outcome"], "ignored");
        assert_eq!(out["items"][1]["outcome"], "queued");
        let queued = queue.queued();
        assert_eq!(queued.len(), 1);
        assert!(
            queued[0].input.auth_code.is_none(),
            "auth code sealed, not in clear"
        );
        assert!(app.gateway.seen().is_empty());
    }
}
