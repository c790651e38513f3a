//! A dead-letter queue's message, read again: an event `domain-events`
//! failed on, or a message of the item queue `order-items` failed on.

use serde_json::Value;

use super::{parse_envelope, EventError, InboundEvent};
use crate::request::QueuedItem;

/// A message of a dead-letter queue, read again.
#[derive(Debug)]
pub enum DeadLetter {
    /// An EventBridge event that `domain-events` failed on.
    Event {
        detail_type: String,
        event: Result<Box<InboundEvent>, EventError>,
    },
    /// A message of the item queue that `order-items` failed on.
    Items(Vec<QueuedItem>),
}

/// What a dead-letter message holds.
pub fn parse_dead_letter(body: &str) -> DeadLetter {
    if let Ok(items) = serde_json::from_str::<Vec<QueuedItem>>(body) {
        return DeadLetter::Items(items);
    }
    let (detail_type, event) = parse_envelope(&serde_json::from_str(body).unwrap_or(Value::Null));
    DeadLetter::Event {
        detail_type,
        event: event.map(Box::new),
    }
}
