//! Queued order items (`order-items`). Large orders: the domain items of an `OrderPaid` go onto a queue, one
//! message each, and a consumer sends them at the gateway's pace. The event
//! handler then takes seconds for a 1,000-item order instead of the minutes
//! the gateway needs, and no invocation runs into its timeout.
//!
//! Nothing is sent twice: a queued item carries its order item's claim key
//! (`ORDER#…#ITEM#…`), so a redelivered message, or the whole order queued
//! again after a retried event, finds the item claimed and does nothing. The
//! auth code travels sealed, never in clear in the queue.

use crate::ports::{Clock, DomainStore, Gateway, StoreError};
use crate::record::AccountKind;
use crate::report::ItemReport;
use crate::request::{Account, QueuedItem};
use crate::status::Operation;
use crate::status_mail::Language;
use crate::workflows::order::Payment;
use crate::workflows::Registrar;

/// Why a message cannot become a request (it is then dropped as poison).
#[derive(Debug, thiserror::Error)]
#[error("queued item {item}: {problem}")]
pub struct BadMessage {
    pub item: String,
    pub problem: String,
}

impl<S: DomainStore, G: Gateway, C: Clock> Registrar<S, G, C> {
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
        if !item.signed_by(&self.sealer) {
            return bad(
                "not signed by domain-events (or altered since): only the event bus's paid orders are sent; refused".into(),
            );
        }
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
            Payment::Paid,
        )
        .await
        .map(Ok)
    }
}
