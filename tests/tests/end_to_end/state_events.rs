//! The storefront's events (CONTRACT.md §5, issue 29) through moto's
//! EventBridge: a rule on the stack's bus forwards `internetx-bridge`
//! events to a queue the test reads, as a storefront would subscribe.

use std::collections::HashMap;

use e2e::{event, text, World};
use registrar::deadline::Deadline;
use serde_json::Value;

/// The storefront's own bus. The stack publishes on `EventBusName` by
/// default, where moto also runs the stack's schedule rules on every event
/// put (it treats a rule without a pattern as matching all, and their Lambda
/// targets need Docker): EventBridge matches a schedule rule to no event.
/// So here the storefront has a bus of its own, as `StateEventBusName`
/// allows, and the bus the stack names is checked against the template.
const STOREFRONT_BUS: &str = "storefront";

/// A queue subscribed to the storefront's bus.
async fn subscribe(w: &World) -> (aws_sdk_sqs::Client, String) {
    assert_eq!(w.stack.output("StateEventBusName"), "default");
    let bus = STOREFRONT_BUS;
    let sqs = aws_sdk_sqs::Client::new(&w.aws);
    let url = sqs
        .create_queue()
        .queue_name("storefront-events")
        .send()
        .await
        .expect("queue")
        .queue_url
        .expect("url");
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("attributes")
        .attributes
        .and_then(|a| {
            a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                .cloned()
        })
        .expect("arn");
    let events = aws_sdk_eventbridge::Client::new(&w.aws);
    events
        .create_event_bus()
        .name(bus)
        .send()
        .await
        .expect("bus");
    events
        .put_rule()
        .name("storefront-listens")
        .event_bus_name(bus)
        .event_pattern(r#"{"source": ["internetx-bridge"], "detail-type": ["DomainStateChanged"]}"#)
        .send()
        .await
        .expect("rule");
    events
        .put_targets()
        .rule("storefront-listens")
        .event_bus_name(bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("queue")
                .arn(arn)
                .build()
                .expect("target"),
        )
        .send()
        .await
        .expect("target");
    (sqs, url)
}

/// Every message on the queue now, as the events they carry.
async fn received(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let batch = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("receive")
            .messages
            .unwrap_or_default();
        if batch.is_empty() {
            return out;
        }
        for m in batch {
            out.push(serde_json::from_str(m.body().unwrap_or("null")).expect("an event"));
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("delete");
        }
    }
}

async fn publish(w: &World) -> Value {
    let mut config =
        adapters::PublishConfig::from_env(&w.env).expect("publish-events' configuration");
    assert_eq!(config.event_bus, "default", "the stack's EVENT_BUS_NAME");
    config.event_bus = STOREFRONT_BUS.into();
    let app = adapters::wiring::publish_events(&config, &w.aws);
    publish_events::handle(&app, Deadline::none(), &adapters::metrics::Metrics::off())
        .await
        .expect("a publish run")
}

#[tokio::test]
async fn an_orders_outcomes_reach_the_bus_once_each_in_the_contracts_shape() {
    let w = World::start().await;
    let (sqs, url) = subscribe(&w).await;
    w.send(&event("order-paid.json")).await.unwrap();
    w.wait_for_status("example.de", "Registered").await;
    w.wait_for_status("example.com", "Registered").await;
    let report = publish(&w).await;
    assert_eq!(report["published"], 3, "{report}: {}", e2e::captured_logs());
    let events = received(&sqs, &url).await;
    let by_domain: HashMap<String, &Value> = events
        .iter()
        .map(|e| (e["detail"]["domain"].as_str().unwrap_or("").to_owned(), e))
        .collect();
    assert_eq!(events.len(), 3, "{events:#?}");
    for domain in ["example.de", "example.com"] {
        let e = by_domain[domain];
        assert_eq!(e["source"], "internetx-bridge");
        assert_eq!(e["detail-type"], "DomainStateChanged");
        let d = &e["detail"];
        let item = w.domain(domain).await.unwrap();
        assert_eq!(
            d["event_id"],
            format!("{domain}#{}", text(&item, "version"))
        );
        assert_eq!(d["status_to"], "Registered");
        let from = d["status_from"].as_str().unwrap_or_default();
        assert!(["Registering", "Transferring"].contains(&from), "{d}");
        assert_eq!(d["cause"], "mail");
        assert_eq!(d["account"]["id"], text(&item, "account_id"));
        assert_eq!(d["order_id"], text(&item, "order_id"));
        assert!(
            d["reason"].as_str().unwrap().contains("→ Registered"),
            "{d}"
        );
        for key in [
            "expires_at",
            "payable_at",
            "cancel_at",
            "locked",
            "autorenew",
            "owner_verification",
            "hold",
        ] {
            assert!(d.get(key).is_some(), "{key} missing: {d}");
        }
    }
    let invalid = &by_domain["-invalid-.de"]["detail"];
    assert_eq!(invalid["status_to"], "Error");
    assert_eq!(invalid["cause"], "event");
    // Nothing an event carries is a secret.
    let all = serde_json::to_string(&events).unwrap();
    assert!(
        !all.contains("authinfo") && !all.contains(e2e::GATEWAY_PASSWORD),
        "{all}"
    );

    // Redelivered, the order changes nothing and owes nothing; a second
    // run publishes nothing.
    w.send(&event("order-paid.json")).await.unwrap();
    assert_eq!(publish(&w).await["published"], 0);
    assert!(received(&sqs, &url).await.is_empty());
}
