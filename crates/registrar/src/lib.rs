//! The domain model and workflows of the InterNetX bridge.
//!
//! # Layout
//! - Validated input, parsed once at the edge: [`event`], [`DomainName`],
//!   [`contact`], [`nameserver`], [`request`], completed from the
//!   provider's [`defaults`].
//! - The domain table's contents: [`record`] (the domain item), [`log`]
//!   (the action log), [`status`] (statuses and the one policy table,
//!   [`Status::allows`]).
//! - [`lifecycle`]: the only writer of a domain's status, version,
//!   `registered`, ctid, status-mail notice and storefront event
//!   ([`state_event`]), and the one
//!   read → decide → commit loop.
//! - [`dispatch`]: one gateway request, claim → send → record the answer.
//! - [`workflows`]: one file per function's job (order, order items,
//!   change, inbound mail, reconcile, retry/resolve, status mails).
//! - [`ports`]: every trait the workflows use to reach the world;
//!   [`testing`] (feature `test-util`): in-memory doubles of each.
//! - [`status_mail`] (texts), [`reply_address`] (tokenised reply-to),
//!   [`seal`] (auth codes at rest), [`report`] (what a workflow answers).

pub mod contact;
mod country;
pub mod deadline;
pub mod defaults;
pub mod dispatch;
pub mod domain_name;
pub mod event;
pub mod lifecycle;
pub mod log;
pub mod nameserver;
pub mod ports;
pub mod record;
pub mod reply_address;
pub mod report;
pub mod request;
pub mod seal;
pub mod state_event;
pub mod status;
pub mod status_mail;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;
pub mod text;
pub mod workflows;

pub use domain_name::{DomainName, DomainNameError};
pub use log::{LogEntry, Outcome};
pub use record::{AccountKind, DomainRecord};
pub use status::{Operation, Status};
pub use workflows::Registrar;
