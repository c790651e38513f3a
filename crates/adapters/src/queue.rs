//! The item queue (SQS): domain items of large orders, up to
//! [`ITEMS_PER_MESSAGE`] per message (a JSON array), ten messages per call.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use registrar::ports::ItemQueue;
use registrar::ports::StoreError;
use registrar::request::QueuedItem;

#[derive(Debug, Clone)]
pub struct SqsItemQueue {
    client: Client,
    url: String,
}

impl SqsItemQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }
}

/// SQS takes at most ten messages per call.
const BATCH: usize = 10;
/// Items per message: a 1,000-item order is 100 messages, 10 calls. At the
/// gateway's pace one message is a few seconds of work; a message stays
/// far under SQS's 256 KiB (an item with full contacts is about 2 KiB).
pub const ITEMS_PER_MESSAGE: usize = 10;

impl ItemQueue for SqsItemQueue {
    async fn enqueue(&self, items: &[QueuedItem]) -> Result<(), StoreError> {
        let messages: Vec<&[QueuedItem]> = items.chunks(ITEMS_PER_MESSAGE).collect();
        for chunk in messages.chunks(BATCH) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, group) in chunk.iter().enumerate() {
                let body = serde_json::to_string(group)
                    .map_err(|e| StoreError::Malformed(e.to_string()))?;
                entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| StoreError::Malformed(e.to_string()))?,
                );
            }
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| StoreError::Unavailable(internetx::error_chain(&e)))?;
            if let Some(failed) = out.failed.first() {
                return Err(StoreError::Unavailable(format!(
                    "SQS refused {} of {} message(s): {} {}",
                    out.failed.len(),
                    chunk.len(),
                    failed.code,
                    failed.message.as_deref().unwrap_or("")
                )));
            }
        }
        Ok(())
    }
}

/// A dead-letter queue as an operator works through it: a batch at a time,
/// each message hidden while it is looked at, then deleted once handled or
/// made visible again at once.
#[derive(Debug, Clone)]
pub struct DeadLetterQueue {
    client: Client,
    url: String,
}

/// One message of a dead-letter queue.
#[derive(Debug, Clone)]
pub struct DeadLetterMessage {
    pub body: String,
    pub message_id: Option<String>,
    receipt_handle: Option<String>,
}

/// How long a received message stays hidden from other readers: long enough
/// to replay one batch.
const LOOK_SECONDS: i32 = 60;

impl DeadLetterQueue {
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// Up to ten messages not yet received; empty at the end of the queue.
    pub async fn receive(&self) -> Result<Vec<DeadLetterMessage>, StoreError> {
        let batch = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(BATCH as i32)
            .visibility_timeout(LOOK_SECONDS)
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(internetx::error_chain(&e)))?;
        Ok(batch
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|m| DeadLetterMessage {
                body: m.body.unwrap_or_default(),
                message_id: m.message_id,
                receipt_handle: m.receipt_handle,
            })
            .collect())
    }

    /// Handled: gone from the queue.
    pub async fn delete(&self, message: &DeadLetterMessage) -> Result<(), StoreError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .set_receipt_handle(message.receipt_handle.clone())
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(internetx::error_chain(&e)))?;
        Ok(())
    }

    /// Only looked at: visible again at once.
    pub async fn release(&self, message: &DeadLetterMessage) -> Result<(), StoreError> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .set_receipt_handle(message.receipt_handle.clone())
            .visibility_timeout(0)
            .send()
            .await
            .map_err(|e| StoreError::Unavailable(internetx::error_chain(&e)))?;
        Ok(())
    }
}
