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

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::stream::{self, StreamExt};
use lambda_runtime::Error;
use registrar::fanout::QueuedItem;

/// Items of one message in progress at once; the shared limit sets the
/// pace, this only overlaps the table writes of one item with the wait of
/// another.
const IN_PARALLEL: usize = 4;

pub async fn handle(app: &adapters::Bridge, event: SqsEvent) -> Result<SqsBatchResponse, Error> {
    let mut failures = Vec::new();
    for message in &event.records {
        if let Err(id) = one(app, message).await {
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
async fn one(app: &adapters::Bridge, message: &SqsMessage) -> Result<(), String> {
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
async fn item_done(app: &adapters::Bridge, message_id: &str, item: &QueuedItem) -> bool {
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
