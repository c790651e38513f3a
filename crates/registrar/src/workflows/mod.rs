//! The workflows, one file per function's job, so a behaviour is found by
//! the name of the function that runs it:
//!
//! | file | function | what |
//! |---|---|---|
//! | [`order`] | `domain-events` | `OrderPaid`, `DomainRequested`: registrations and transfers, payment, invalid items |
//! | [`order_items`] | `order-items` | the queued domain items of large orders |
//! | [`change`] | `domain-events` | name-server, contact and cancellation requests |
//! | [`inbound_mail`] | `inbound-mail` | result mails: authenticate, correlate, apply once |
//! | [`reconcile`] | `reconcile` | operations in flight too long, checked against InterNetX |
//! | [`retry`] | CLI `retry`, `resolve` | an operator's retry or settlement by hand |
//! | [`status_mails`] | `status-mails` | the queued status mails, sent once |
//! | [`sync`] | `sync`, CLI `sync`, `import` | the whole portfolio: dates, drift, domains gone, registry events checked |
//!
//! Every state change goes through [`crate::lifecycle`]; every gateway
//! request through [`crate::dispatch`].

pub mod change;
pub mod inbound_mail;
pub mod order;
pub mod order_items;
pub mod publish_events;
pub mod reconcile;
pub mod reseal;
pub mod retry;
pub mod status_mails;
pub mod sync;

use crate::defaults::RequestDefaults;
use crate::dispatch::Dispatcher;
use crate::event::{DeadLetter, InboundEvent};
use crate::lifecycle::{Lifecycle, NoticePolicy};
use crate::ports::{Clock, DomainStore, Gateway};
use crate::reply_address::ReplyAddress;
use crate::report::Report;
use crate::seal::Sealer;
use crate::state_event::Cause;

/// The registrar: the workflows that talk to InterNetX, over their ports.
pub struct Registrar<S, G, C> {
    pub store: S,
    pub gateway: G,
    pub clock: C,
    pub reply: ReplyAddress,
    pub sealer: Sealer,
    pub notices: NoticePolicy,
    /// What registrations and transfers take when an item leaves it out.
    pub defaults: RequestDefaults,
    /// How long an unpaid request holds its name (CONTRACT.md §1: it then
    /// expires, and any request takes the name).
    pub payment_window: time::Duration,
    /// What this registrar's changes are caused by (the function or the
    /// operator running it), as their storefront events say.
    pub cause: Cause,
}

impl<S, G, C> Registrar<S, G, C> {
    pub(crate) fn lifecycle(&self) -> Lifecycle<'_, S, C> {
        Lifecycle {
            store: &self.store,
            clock: &self.clock,
            notices: self.notices,
            cause: self.cause,
        }
    }

    pub(crate) fn dispatcher(&self) -> Dispatcher<'_, S, G, C> {
        Dispatcher {
            lifecycle: self.lifecycle(),
            gateway: &self.gateway,
            reply: &self.reply,
            sealer: &self.sealer,
        }
    }
}

impl<S: DomainStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// Any event of CONTRACT.md §1, by its kind.
    pub async fn handle(&self, event: &InboundEvent) -> Report {
        match event {
            InboundEvent::OrderPaid(order) => {
                tracing::info!(order_id = %order.order_id, items = order.items.len(), "OrderPaid received");
                self.order_paid(order).await
            }
            InboundEvent::DomainRequested(request) => {
                tracing::info!(request_id = %request.request_id, operation = %request.operation, "DomainRequested received");
                self.domain_requested(request).await
            }
            InboundEvent::Change(change) => {
                tracing::info!(request_id = %change.request_id, domain = %change.domain, operation = %change.operation, "change requested");
                self.change_requested(change).await
            }
        }
    }
}

impl<S: DomainStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// A dead letter handled again (CLI `dlq replay`): the report, or why it
    /// still fails (it then stays in the queue).
    pub async fn replay(&self, letter: &DeadLetter) -> Result<Report, String> {
        match letter {
            DeadLetter::Items(items) => {
                let mut report = Report::default();
                for item in items {
                    match self.queued_item(item).await {
                        Ok(Ok(done)) => report.items.push(done),
                        Ok(Err(bad)) => return Err(bad.to_string()),
                        Err(e) => return Err(format!("{}: {e}", item.key())),
                    }
                }
                Ok(report)
            }
            DeadLetter::Event {
                detail_type,
                event: Err(e),
            } => Err(format!("{detail_type} event cannot be read: {e}")),
            DeadLetter::Event {
                detail_type,
                event: Ok(event),
            } => {
                let report = self.handle(event).await;
                if report.transient.is_empty() {
                    Ok(report)
                } else {
                    Err(format!(
                        "{detail_type} {}: {}",
                        event.reference(),
                        report.transient.join("; ")
                    ))
                }
            }
        }
    }
}
