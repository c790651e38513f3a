//! What one operation costs in AWS and gateway requests, counted
//! by an interceptor on the DynamoDB client of the functions' real store
//! (against moto) and by the simulator's record. Targets: one DynamoDB
//! transaction per state change, one gateway request per operation.
//! Prints the counts (bench/README.md quotes them).

use std::collections::BTreeMap;

use e2e::calls::Calls;
use e2e::{event, text, Delivery, Options, World};
use registrar::event::parse_event;

fn writes(calls: &BTreeMap<String, usize>) -> usize {
    ["PutItem", "UpdateItem", "DeleteItem", "other"]
        .iter()
        .map(|op| calls.get(*op).copied().unwrap_or(0))
        .sum()
}

#[tokio::test]
async fn one_transaction_per_state_change_and_one_request_per_operation() {
    let w = World::start_with(Options {
        deliver: Delivery::Nobody,
        ..Options::default()
    })
    .await;
    let calls = Calls::default();
    let mut events =
        adapters::wiring::domain_events(&w.config, &w.aws, &adapters::metrics::Metrics::off())
            .unwrap();
    events.registrar.store = calls.store(&w);
    let mut mail = adapters::wiring::inbound_mail(&w.mail_config, &w.aws).unwrap();
    mail.inbound.store = calls.store(&w);

    // A registration: claimed (→ Registering), answered (accepted).
    let request = event("domain-requested-provider.json");
    let parsed = parse_event("DomainRequested", &request["detail"]).unwrap();
    events.registrar.handle(&parsed).await;
    let submit = calls.take();
    let domain = "provider-example.net";
    let changes = w
        .log(domain)
        .await
        .iter()
        .filter(|e| ["request.sent", "gateway.replied"].contains(&text(e, "action").as_str()))
        .count();
    assert_eq!(changes, 2);
    assert_eq!(submit.get("TransactWriteItems"), Some(&2), "{submit:?}");
    assert_eq!(
        writes(&submit),
        0,
        "no write outside the transactions: {submit:?}"
    );
    assert_eq!(w.simulator.domain_tasks().len(), 1, "one gateway request");

    // Its result mail: one state change (→ Registered), one transaction.
    let key = w.first_mail_key().await;
    let raw = w.mail_bytes(&key).await;
    let verdict = mail.inbound.handle(&key, &raw).await.unwrap();
    assert_eq!(verdict.outcome.as_str(), "applied");
    let settle = calls.take();
    assert_eq!(settle.get("TransactWriteItems"), Some(&1), "{settle:?}");
    assert_eq!(writes(&settle), 0, "{settle:?}");
    assert_eq!(
        text(&w.domain(domain).await.unwrap(), "status"),
        "Registered"
    );
    // A name-server change: claimed (→ Updating), answered; its mail.
    let change = event("nameservers-change-requested.json");
    let parsed = parse_event("NameserversChangeRequested", &change["detail"]).unwrap();
    events.registrar.handle(&parsed).await;
    let update = calls.take();
    assert_eq!(update.get("TransactWriteItems"), Some(&2), "{update:?}");
    assert_eq!(writes(&update), 0, "{update:?}");
    assert_eq!(w.simulator.tasks_with_code("0102").len(), 1);
    let mut waited = 0;
    while w.simulator.mails().len() < 2 && waited < 100 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        waited += 1;
    }
    let key = w.simulator.mails().last().unwrap().clone();
    let raw = w.mail_bytes(&key).await;
    mail.inbound.handle(&key, &raw).await.unwrap();
    let settled = calls.take();
    assert_eq!(settled.get("TransactWriteItems"), Some(&1), "{settled:?}");
    assert_eq!(
        text(&w.domain(domain).await.unwrap(), "status"),
        "Registered"
    );

    // The shared rate limit: one slot per gateway request.
    let slots = w
        .scan()
        .await
        .iter()
        .filter(|i| text(i, "pk").starts_with("RATE#"))
        .count();
    assert_eq!(slots, 2);
    eprintln!(
        "registration: {submit:?} for 2 state changes, 1 gateway request; \
         result mail: {settle:?} for 1 state change; name-server change: {update:?} \
         for 2 state changes, 1 gateway request; its mail: {settled:?}; {slots} rate slots"
    );
}
