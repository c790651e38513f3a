//! `order-items`: the item queue's consumer. Each message holds up to ten
//! domain items of a paid order (queued by `domain-events`); each goes
//! through the same claim → send → reply cycle as any request, paced by the
//! rate limit all instances share (the gateway's 3 requests per second per
//! IP).
//!
//! Outcome rules (partial batch responses): an item that was handled — sent,
//! refused, rejected, or already claimed by an earlier delivery — is done.
//! A message with an item that hit a transient failure (table unavailable),
//! or that cannot be read, is reported as a batch item failure: SQS
//! delivers it again (its items already done are claimed and do nothing),
//! and after `maxReceiveCount` it rests in the dead-letter queue, kept for
//! `internetx-bridge dlq replay`.

use adapters::failure::FunctionError;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::stream::{self, StreamExt};
use registrar::deadline::{request_budget, within, Deadline};
use registrar::ports::{Clock, DomainStore, Gateway};
use registrar::request::QueuedItem;
use registrar::Registrar;

/// Items of one message in progress at once; the shared limit sets the
/// pace, this only overlaps the table writes of one item with the wait of
/// another.
const IN_PARALLEL: usize = 4;

/// Items `domain-events` puts in one message.
const MAX_ITEMS_PER_MESSAGE: usize = 10;

/// Handles a batch; a message is only started while its worst case fits
/// before `deadline` — the others go back to the queue untouched, so no
/// invocation is killed between sending a request and recording its answer.
pub async fn handle<S: DomainStore, G: Gateway, C: Clock>(
    app: &Registrar<S, G, C>,
    event: SqsEvent,
    deadline: Deadline,
) -> Result<SqsBatchResponse, FunctionError> {
    // The worst case of one message: its items in waves of `IN_PARALLEL`,
    // each wave as long as one request can take (10 items: 3 waves).
    let message_worst_case = request_budget(app.gateway.worst_case())
        .saturating_mul(MAX_ITEMS_PER_MESSAGE.div_ceil(IN_PARALLEL) as u32);
    let mut failures = Vec::new();
    for message in &event.records {
        if !deadline.leaves(message_worst_case) {
            let id = message.message_id.clone().unwrap_or_default();
            tracing::info!(message_id = %id, "too close to the deadline: left for the next delivery");
            failures.push(failure(&id));
            continue;
        }
        if let Err(id) = within(deadline, one(app, message)).await {
            failures.push(failure(&id));
        }
    }
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    Ok(response)
}

fn failure(id: &str) -> BatchItemFailure {
    let mut f = BatchItemFailure::default();
    f.item_identifier = id.to_owned();
    f
}

/// Handles one message; `Err(message id)` when it must come again.
async fn one<S: DomainStore, G: Gateway, C: Clock>(
    app: &Registrar<S, G, C>,
    message: &SqsMessage,
) -> Result<(), String> {
    let id = message.message_id.clone().unwrap_or_default();
    let body = message.body.as_deref().unwrap_or_default();
    let items: Vec<QueuedItem> = match serde_json::from_str(body) {
        Ok(items) => items,
        Err(e) => {
            tracing::error!(message_id = %id, error = %e, "item message unreadable; left for the dead-letter queue");
            return Err(id);
        }
    };
    let results: Vec<bool> = stream::iter(items)
        .map(|item| {
            let id = id.clone();
            async move { item_done(app, &id, &item).await }
        })
        .buffer_unordered(IN_PARALLEL)
        .collect()
        .await;
    if results.iter().all(|done| *done) {
        Ok(())
    } else {
        Err(id)
    }
}

/// Whether the item is done with (sent, refused, or sent before).
async fn item_done<S: DomainStore, G: Gateway, C: Clock>(
    app: &Registrar<S, G, C>,
    message_id: &str,
    item: &QueuedItem,
) -> bool {
    match app.queued_item(item).await {
        Ok(Ok(report)) => {
            tracing::info!(item = %item.key(), outcome = ?report.outcome, domain = report.domain.as_deref().unwrap_or(""), "order item handled");
            true
        }
        Ok(Err(bad)) => {
            tracing::error!(message_id, error = %bad, "item unusable; its message is left for the dead-letter queue");
            false
        }
        Err(e) => {
            tracing::warn!(item = %item.key(), error = %e, "order item not handled now; SQS delivers its message again");
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use registrar::event::{parse_event, InboundEvent};
    use registrar::testing::{registrar, ScriptedGateway, VecItemQueue};
    use registrar::Status;
    use serde_json::json;

    fn batch(messages: Vec<SqsMessage>) -> SqsEvent {
        let mut event = SqsEvent::default();
        event.records = messages;
        event
    }

    fn message(id: &str, body: String) -> SqsMessage {
        let mut m = SqsMessage::default();
        m.message_id = Some(id.into());
        m.body = Some(body);
        m
    }

    /// Queues an order's items the way `domain-events` does.
    async fn queued(domains: &[&str]) -> Vec<QueuedItem> {
        let items: Vec<_> = domains
            .iter()
            .enumerate()
            .map(|(i, d)| json!({"item_id": format!("I-{i}"), "type": "domain_transfer", "domain": d, "auth_code": "A-1", "contacts": {"owner": {"handle": "OWN-1"}}}))
            .collect();
        let InboundEvent::OrderPaid(order) = parse_event(
            "OrderPaid",
            &json!({"order_id": "ORD-Q", "account": {"id": "C-1", "kind": "customer"}, "items": items}),
        )
        .unwrap() else {
            unreachable!("an OrderPaid")
        };
        let queue = VecItemQueue::default();
        registrar(ScriptedGateway::default())
            .order_paid_queued(&order, &queue)
            .await;
        queue.queued()
    }

    #[tokio::test]
    async fn only_the_message_that_must_come_again_is_reported() {
        let app = registrar(ScriptedGateway::default());
        let good = serde_json::to_string(&queued(&["one.de", "two.de"]).await).unwrap();
        let event = batch(vec![
            message("m-good", good.clone()),
            message("m-junk", "not json".into()),
        ]);
        let response = handle(&app, event, Deadline::none()).await.unwrap();
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["m-junk"]);
        assert_eq!(
            app.store.domain("one.de").unwrap().status(),
            Status::Transferring
        );
        assert_eq!(app.gateway.operations().len(), 2);

        // Delivered again: its items are claimed, nothing is sent twice.
        let again = handle(&app, batch(vec![message("m-good", good)]), Deadline::none())
            .await
            .unwrap();
        assert!(again.batch_item_failures.is_empty());
        assert_eq!(app.gateway.operations().len(), 2);
    }

    #[tokio::test]
    async fn messages_that_might_not_finish_before_the_deadline_wait() {
        let app = registrar(ScriptedGateway::default());
        let body = serde_json::to_string(&queued(&["later.de"]).await).unwrap();
        let soon = Deadline::after(std::time::Duration::from_secs(120));
        let response = handle(&app, batch(vec![message("m-1", body)]), soon)
            .await
            .unwrap();
        assert_eq!(response.batch_item_failures.len(), 1);
        assert!(app.gateway.seen().is_empty(), "nothing started");
    }

    #[tokio::test]
    async fn a_table_outage_sends_the_message_back() {
        let app = registrar(ScriptedGateway::default());
        let body = serde_json::to_string(&queued(&["late.de"]).await).unwrap();
        app.store.fail_next_commits(1);
        let response = handle(&app, batch(vec![message("m-1", body)]), Deadline::none())
            .await
            .unwrap();
        assert_eq!(response.batch_item_failures.len(), 1);
        assert!(app.gateway.seen().is_empty());
    }
}
