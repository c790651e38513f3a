//! The storefront's event bus (EventBridge `PutEvents`): the
//! `DomainStateChanged` events of CONTRACT.md §5.

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use registrar::ports::EventBus;
use registrar::state_event::{StateEvent, DETAIL_TYPE, SOURCE};

#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus: String,
}

impl EventBridgeBus {
    /// `bus`: the bus name or ARN (`EVENT_BUS_NAME`).
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }
}

impl EventBus for EventBridgeBus {
    async fn publish(&self, events: &[StateEvent]) -> Result<Vec<Result<(), String>>, String> {
        let mut entries = Vec::with_capacity(events.len());
        for event in events {
            let detail = serde_json::to_string(event).map_err(|e| e.to_string())?;
            entries.push(
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus)
                    .source(SOURCE)
                    .detail_type(DETAIL_TYPE)
                    .detail(detail)
                    .build(),
            );
        }
        let out = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| format!("PutEvents: {}", internetx::error_chain(&e)))?;
        // One result per entry, in order; an entry with an error code was
        // not taken.
        let results = out.entries();
        Ok((0..events.len())
            .map(|i| match results.get(i) {
                Some(r) if r.error_code().is_none() && r.event_id().is_some() => Ok(()),
                Some(r) => Err(format!(
                    "{}: {}",
                    r.error_code().unwrap_or("no event id"),
                    r.error_message().unwrap_or("")
                )),
                None => Err("PutEvents answered no result for it".to_owned()),
            })
            .collect())
    }
}
