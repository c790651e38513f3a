//! Status mails owed, as items of the domain table (`NOTICE#<name>#<version>`),
//! and the queue the `status-mails` function works through.
//!
//! A notice waits in the sparse `Notices` index (`notice_pk`/`notice_since`)
//! while `pending` or `sending`; once `sent`, `failed` or `unknown` it leaves
//! the index and stays as a record of what was sent. Claims and ends are
//! conditional on the state read, so two overlapping runs never both send.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use registrar::notice::StatusNotice;
use registrar::notify::{NoticeEnd, NoticeQueue, NoticeState, QueuedNotice};
use registrar::ports::StoreError;
use registrar::record::{parse_timestamp, timestamp, LogEntry};
use time::OffsetDateTime;

use crate::dynamo::{
    log_to_item, malformed, n, opt_s, query_index, req_n, req_s, s, unavailable, DynamoStore,
};

type Item = HashMap<String, AttributeValue>;

pub const NOTICES_INDEX: &str = "Notices";
const WAITING: &str = "WAITING";

pub(crate) fn notice_to_item(notice: &StatusNotice, at: &str) -> Item {
    let mut item = Item::new();
    item.insert("pk".into(), s(notice_pk(&notice.domain, notice.version)));
    item.insert("sk".into(), s("NOTICE"));
    item.insert("domain".into(), s(&notice.domain));
    item.insert("domain_unicode".into(), s(&notice.domain_unicode));
    item.insert("status".into(), s(notice.status.as_str()));
    item.insert("operation".into(), s(notice.operation.as_str()));
    item.insert("to".into(), s(&notice.to));
    item.insert("language".into(), s(notice.language.as_str()));
    item.insert("version".into(), n(notice.version));
    item.insert("state".into(), s("pending"));
    item.insert("attempts".into(), n(0));
    item.insert("created_at".into(), s(at));
    item.insert("notice_pk".into(), s(WAITING));
    item.insert("notice_since".into(), s(format!("{at}#{}", notice.domain)));
    if let Some(reason) = &notice.reason {
        item.insert("reason".into(), s(reason));
    }
    item
}

fn notice_pk(domain: &str, version: u64) -> String {
    format!("NOTICE#{domain}#{version}")
}

fn notice_from_item(item: &Item) -> Result<QueuedNotice, StoreError> {
    let parsed = |name: &str| -> Result<String, StoreError> { req_s(item, name) };
    let bad = |e: registrar::status::UnknownName| StoreError::Malformed(e.to_string());
    let state = match parsed("state")?.as_str() {
        "pending" => NoticeState::Pending,
        "sending" => NoticeState::Sending,
        other => {
            return Err(StoreError::Malformed(format!(
                "notice state {other:?} in the waiting index"
            )))
        }
    };
    Ok(QueuedNotice {
        notice: StatusNotice {
            domain: parsed("domain")?,
            domain_unicode: parsed("domain_unicode")?,
            status: parsed("status")?.parse().map_err(bad)?,
            operation: parsed("operation")?.parse().map_err(bad)?,
            to: parsed("to")?,
            language: opt_s(item, "language")
                .and_then(|l| l.parse().ok())
                .unwrap_or_default(),
            reason: opt_s(item, "reason"),
            version: req_n(item, "version")?,
        },
        state,
        attempts: u32::try_from(req_n(item, "attempts")?).unwrap_or(u32::MAX),
        claimed_at: opt_s(item, "claimed_at").and_then(|t| parse_timestamp(&t)),
    })
}

impl DynamoStore {
    fn notice_key(&self, notice: &StatusNotice) -> Item {
        HashMap::from([
            (
                "pk".to_owned(),
                s(notice_pk(&notice.domain, notice.version)),
            ),
            ("sk".to_owned(), s("NOTICE")),
        ])
    }
}

impl NoticeQueue for DynamoStore {
    async fn waiting(&self, limit: usize) -> Result<Vec<QueuedNotice>, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(NOTICES_INDEX)
            .key_condition_expression("notice_pk = :waiting")
            .expression_attribute_values(":waiting", s(WAITING));
        query_index(query, limit, notice_from_item).await
    }

    async fn claim(&self, queued: &QueuedNotice, at: OffsetDateTime) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(self.notice_key(&queued.notice)))
            .update_expression("SET #state = :sending, claimed_at = :at")
            .condition_expression("#state = :pending AND attempts = :attempts")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":pending", s("pending"))
            .expression_attribute_values(":attempts", n(u64::from(queued.attempts)))
            .expression_attribute_values(":at", s(timestamp(at)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.err().is_conditional_check_failed_exception() => {
                Err(StoreError::Conflict)
            }
            Err(e) => Err(unavailable(e)),
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
            .table_name(self.table())
            .set_key(Some(self.notice_key(&queued.notice)))
            .condition_expression("#state = :sending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", s("sending"))
            .expression_attribute_values(":now", now);
        update = match end {
            NoticeEnd::Sent { message_id } => update
                .update_expression(
                    "SET #state = :sent, message_id = :id, sent_at = :now REMOVE notice_pk, notice_since",
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
                    "SET #state = :failed, last_failure = :why, failed_at = :now ADD attempts :one REMOVE notice_pk, notice_since",
                )
                .expression_attribute_values(":failed", s("failed"))
                .expression_attribute_values(":why", s(reason))
                .expression_attribute_values(":one", n(1)),
            NoticeEnd::Unknown => update
                .update_expression(
                    "SET #state = :unknown, failed_at = :now REMOVE notice_pk, notice_since",
                )
                .expression_attribute_values(":unknown", s("unknown")),
        };
        let log_put = Put::builder()
            .table_name(self.table())
            .set_item(Some(log_to_item(&queued.notice.domain, log)))
            .build()
            .map_err(malformed)?;
        let result = self
            .client()
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

#[cfg(test)]
mod tests {
    use super::*;
    use registrar::notice::Language;
    use registrar::{Operation, Status};

    #[test]
    fn a_notice_item_reads_back_as_the_notice_it_was() {
        let notice = StatusNotice {
            domain: "xn--mller-kva.de".into(),
            domain_unicode: "müller.de".into(),
            status: Status::Error,
            operation: Operation::Transfer,
            to: "c@example.net".into(),
            language: Language::De,
            reason: Some("refused".into()),
            version: 7,
        };
        let item = notice_to_item(&notice, "2026-11-29T10:00:00.000000Z");
        assert_eq!(item["pk"], s("NOTICE#xn--mller-kva.de#7"));
        assert_eq!(item["notice_pk"], s(WAITING));
        let back = notice_from_item(&item).expect("parses");
        assert_eq!(back.notice, notice);
        assert_eq!(back.state, NoticeState::Pending);
        assert_eq!(back.attempts, 0);
    }
}
