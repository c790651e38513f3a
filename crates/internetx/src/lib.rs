//! The InterNetX (AutoDNS) XML gateway protocol, with no AWS in it.
//!
//! What we rely on is collected in the project's design notes (INTERNETX.md):
//! requests are one `<task>` per `<request>`, `ctid` and `reply_to` inside the
//! task, answers carry `result/status/{code,text,type}` plus any number of
//! `result/msg` details, and the final result of an asynchronous task comes
//! later as a job message (`response/result/data/message/job`) by e-mail.
//!
//! * [`request`] builds the XML (every text escaped by quick-xml's writer),
//! * [`response`] parses the gateway's immediate answer,
//! * [`tree`] is the small, hardened XML reader both use (no DTD, no entity
//!   expansion, bounded depth),
//! * [`client`] posts a request over HTTPS with connect and overall timeouts.

pub mod authinfo;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod https;
pub mod mail;
pub mod nack_reason;
pub mod notification;
pub mod redact;
pub mod request;
pub mod response;
pub mod tree;
pub mod verification;

#[cfg(feature = "client")]
pub use client::{Exchange, GatewayClient, GatewayError};
pub use nack_reason::{NackReason, UnknownNackReason};
pub use request::{
    Contact, ContactKind, ContactRef, Credentials, DomainOrder, DomainUpdate, Envelope, Nameserver,
    Protection, Secret, Subuser, Task, TaskKind, TransferOutAnswer,
};
pub use response::{Answer, AnswerKind, DomainData, Message, ProtocolError, StatusInfo};

/// An error with all its sources, on one line (SDK and HTTP errors hide the
/// useful part in their sources).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
