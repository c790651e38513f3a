//! Large orders: the domain items of an `OrderPaid` go onto a queue, one
//! message each, and a consumer sends them at the gateway's pace. The event
//! handler then takes seconds for a 1,000-item order instead of the minutes
//! the gateway needs, and no invocation runs into its timeout.
//!
//! Nothing is sent twice: a queued item carries its order item's claim key
//! (`ORDER#…#ITEM#…`), so a redelivered message, or the whole order queued
//! again after a retried event, finds the item claimed and does nothing. The
//! auth code travels sealed, never in clear in the queue.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::event::OrderPaid;
use crate::notice::Language;
use crate::ports::{Clock, DomainStore, Gateway, StoreError};
use crate::record::AccountKind;
use crate::request::{Account, DomainRequestInput, Source};
use crate::seal::Sealer;
use crate::status::Operation;
use crate::submit::{ItemReport, Submitter};

/// One domain item of a paid order, as a queue message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedItem {
    pub order_id: String,
    pub item_id: String,
    pub account_id: String,
    pub account_kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub operation: String,
    /// The item without its auth code.
    pub input: DomainRequestInput,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_auth_code: Option<String>,
}

impl QueuedItem {
    pub fn new(
        order: &OrderPaid,
        item_id: &str,
        operation: Operation,
        input: &DomainRequestInput,
        sealer: &Sealer,
    ) -> Self {
        let mut input = input.clone();
        let sealed_auth_code = input.auth_code.take().map(|code| sealer.seal(&code));
        Self {
            order_id: order.order_id.clone(),
            item_id: item_id.to_owned(),
            account_id: order.account.id.clone(),
            account_kind: order.account.kind.as_str().to_owned(),
            email: order.account.email.clone(),
            language: order.account.language.map(|l| l.as_str().to_owned()),
            operation: operation.as_str().to_owned(),
            input,
            sealed_auth_code,
        }
    }

    /// The claim key of the order item: what makes a redelivery harmless.
    pub fn key(&self) -> String {
        self.source().key()
    }

    fn source(&self) -> Source {
        Source::OrderItem {
            order_id: self.order_id.clone(),
            item_id: self.item_id.clone(),
        }
    }
}

/// Where queued items go (SQS in production).
pub trait ItemQueue: Send + Sync {
    fn enqueue(&self, items: &[QueuedItem]) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// No queue: items are sent where the order is handled.
pub struct Inline;

impl ItemQueue for Inline {
    async fn enqueue(&self, _items: &[QueuedItem]) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("no item queue configured".into()))
    }
}

/// Why a message cannot become a request (it is then dropped as poison).
#[derive(Debug, thiserror::Error)]
#[error("queued item {item}: {problem}")]
pub struct BadMessage {
    pub item: String,
    pub problem: String,
}

impl<S: DomainStore, G: Gateway, C: Clock> Submitter<S, G, C> {
    /// Sends one queued order item (the order is paid: it was queued from
    /// `OrderPaid`).
    pub async fn queued_item(
        &self,
        item: &QueuedItem,
    ) -> Result<Result<ItemReport, BadMessage>, StoreError> {
        let bad = |problem: String| {
            Ok(Err(BadMessage {
                item: item.key(),
                problem,
            }))
        };
        let Ok(operation) = item.operation.parse::<Operation>() else {
            return bad(format!("unknown operation {:?}", item.operation));
        };
        let Ok(kind) = item.account_kind.parse::<AccountKind>() else {
            return bad(format!("unknown account kind {:?}", item.account_kind));
        };
        let mut input = item.input.clone();
        if let Some(sealed) = &item.sealed_auth_code {
            match self.sealer.open(sealed) {
                Ok(code) => input.auth_code = Some(code),
                Err(e) => return bad(format!("the auth code cannot be unsealed: {e}")),
            }
        }
        let account = Account {
            id: item.account_id.clone(),
            kind,
            email: item.email.clone(),
            language: item
                .language
                .as_deref()
                .and_then(|l| l.parse::<Language>().ok()),
        };
        self.handle_request(
            item.source(),
            operation,
            &account,
            Some(&item.order_id),
            &input,
            true,
        )
        .await
        .map(Ok)
    }
}
