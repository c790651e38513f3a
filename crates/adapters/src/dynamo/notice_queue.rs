//! The status mails owed, as items of the domain table
//! (`NOTICE#<name>#<version>`), and the queue `status-mails` works through.
//!
//! A notice waits in the sparse `Notices` index (`notice_pk`/`notice_since`)
//! while `pending` or `sending`; once `sent`, `failed` or `unknown` it leaves
//! the index and stays as a record of what was sent. Claims and ends are
//! conditional on the state read, so two overlapping runs never both send.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use registrar::log::{timestamp, LogEntry};
use registrar::ports::{NoticeEnd, NoticeQueue, QueuedNotice, StoreError};
use time::OffsetDateTime;

use super::item::{malformed, n, query_index, s, unavailable, written};
use super::{layout, DynamoStore, NOTICES_INDEX};

impl NoticeQueue for DynamoStore {
    async fn waiting(&self, limit: usize) -> Result<Vec<QueuedNotice>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(NOTICES_INDEX)
            .key_condition_expression("notice_pk = :waiting")
            .expression_attribute_values(":waiting", layout::notices_waiting());
        query_index(query, limit, layout::notice_from_item).await
    }

    async fn claim(&self, queued: &QueuedNotice, at: OffsetDateTime) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(layout::notice_key(&queued.notice)))
            .update_expression("SET #state = :sending, claimed_at = :at")
            .condition_expression("#state = :pending AND attempts = :attempts")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":attempts", n(u64::from(queued.attempts)))
            .expression_attribute_values(":at", s(timestamp(at)))
            .send()
            .await;
        match written(result)? {
            true => Ok(()),
            false => Err(StoreError::Conflict),
        }
    }

    async fn finish(
        &self,
        queued: &QueuedNotice,
        end: &NoticeEnd,
        log: &LogEntry,
    ) -> Result<(), StoreError> {
        let now = s(timestamp(log.at));
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(layout::notice_key(&queued.notice)))
            .condition_expression("#state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":now", now);
        update = match end {
            NoticeEnd::Sent { message_id } => update
                .update_expression(
                    "SET #state = :sent, message_id = :id, sent_at = :now REMOVE notice_pk, notice_since, sealed_auth_code",
                )
                .expression_attribute_values(":sent", s("sent"))
                .expression_attribute_values(":id", s(message_id)),
            NoticeEnd::Retry { reason } => update
                .update_expression(
                    "SET #state = :pending, last_failure = :why, failed_at = :now ADD attempts :one REMOVE claimed_at",
                )
                .expression_attribute_values(":pending", s("pending"))
                .expression_attribute_values(":why", s(reason))
                .expression_attribute_values(":one", n(1)),
            NoticeEnd::Failed { reason } => update
                .update_expression(
                    "SET #state = :failed, last_failure = :why, failed_at = :now ADD attempts :one REMOVE notice_pk, notice_since, sealed_auth_code",
                )
                .expression_attribute_values(":failed", s("failed"))
                .expression_attribute_values(":why", s(reason))
                .expression_attribute_values(":one", n(1)),
            NoticeEnd::Unknown => update
                .update_expression(
                    "SET #state = :unknown, failed_at = :now REMOVE notice_pk, notice_since, sealed_auth_code",
                )
                .expression_attribute_values(":unknown", s("unknown")),
        };
        let log_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(layout::log_to_item(&queued.notice.domain, log)))
            .build()
            .map_err(malformed)?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .update(update.build().map_err(malformed)?)
                    .build(),
            )
            .transact_items(TransactWriteItem::builder().put(log_put).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if first_condition_failed(e.err()) => {
                Err(StoreError::Conflict)
            }
            Err(e) => Err(unavailable(e)),
        }
    }
}

fn first_condition_failed(err: &TransactWriteItemsError) -> bool {
    match err {
        TransactWriteItemsError::TransactionCanceledException(c) => {
            c.cancellation_reasons
                .as_ref()
                .and_then(|r| r.first())
                .and_then(|r| r.code.as_deref())
                == Some("ConditionalCheckFailed")
        }
        _ => false,
    }
}
