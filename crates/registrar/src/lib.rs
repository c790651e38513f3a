//! The domain model and workflows of the InterNetX bridge.
//!
//! Events are parsed and validated at the edge ([`event`], [`DomainName`],
//! [`contact`], [`nameserver`]); the status machine lives in [`status`]; the
//! workflows ([`submit`]) talk to the world only through the ports in
//! [`ports`], so they run the same against DynamoDB or in memory.

pub mod change;
pub mod contact;
mod country;
pub mod domain_name;
pub mod event;
pub mod fanout;
pub mod inbound;
pub mod memory;
pub mod nameserver;
pub mod notice;
pub mod notify;
pub mod ports;
pub mod reconcile;
pub mod record;
pub mod reply;
pub mod request;
pub mod retry;
pub mod seal;
pub mod status;
pub mod submit;
mod text;

pub use domain_name::{DomainName, DomainNameError};
pub use record::{AccountKind, DomainRecord, LogEntry, Outcome};
pub use status::{Operation, Status};
