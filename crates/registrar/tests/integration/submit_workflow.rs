//! The order workflow against in-memory ports.

use internetx::TaskKind;
use registrar::event::{parse_event, InboundEvent};
use registrar::report::{ItemOutcome, Report};
use registrar::testing::{
    registrar, MemoryStore, Script, ScriptedGateway, TestClock, VecItemQueue,
};
use registrar::{Outcome, Registrar, Status};
use serde_json::{json, Value};

type TestRegistrar = Registrar<MemoryStore, ScriptedGateway, TestClock>;

fn submitter(gateway: ScriptedGateway) -> TestRegistrar {
    registrar(gateway)
}

fn owner() -> Value {
    json!({"kind": "person", "first_name": "Erika", "last_name": "Mustermann",
           "address": ["Heidestr. 17"], "postal_code": "51147", "city": "Köln",
           "country": "DE", "phone": "+49 221 1234567", "email": "erika@example.de"})
}

async fn run(s: &TestRegistrar, detail_type: &str, detail: Value) -> Report {
    s.handle(&parse_event(detail_type, &detail).unwrap()).await
}

fn order() -> Value {
    json!({
        "order_id": "ORD-1", "account": {"id": "CUST-1", "kind": "customer"},
        "items": [
            {"item_id": "ORD-1-1", "type": "domain_registration", "domain": "Example.DE",
             "period_years": 1, "contacts": {"owner": owner()},
             "nameservers": [{"name": "ns1.provider.net"}, {"name": "ns2.provider.net"}]},
            {"item_id": "ORD-1-2", "type": "domain_transfer", "domain": "example.com", "auth_code": "X7#k2<&>",
             "contacts": {"owner": {"handle": "OWN-7"}}},
            {"item_id": "ORD-1-3", "type": "domain_registration", "domain": "bad_name.de", "contacts": {"owner": owner()}},
            {"item_id": "ORD-1-4", "type": "hosting_plan"}
        ]
    })
}

#[tokio::test]
async fn a_paid_order_sends_each_valid_item_once_and_fails_the_bad_one_alone() {
    let s = submitter(ScriptedGateway::default());
    let report = run(&s, "OrderPaid", order()).await;
    let outcomes: Vec<_> = report.items.iter().map(|i| i.outcome).collect();
    assert_eq!(
        outcomes,
        [
            ItemOutcome::Accepted,
            ItemOutcome::Accepted,
            ItemOutcome::Invalid,
            ItemOutcome::Ignored
        ]
    );
    assert_eq!(s.gateway.seen().len(), 2);

    let de = s.store.domain("example.de").unwrap();
    assert_eq!(de.status(), Status::Registering);
    assert!(de.registered());
    let ctid = de.ctid().map(str::to_owned).unwrap();
    let task = &s.gateway.seen()[0];
    assert_eq!(task.ctid, ctid);
    assert!(s.reply.verify(task.reply_to.as_deref().unwrap(), &ctid));
    let actions: Vec<_> = s.store.log("example.de").iter().map(|e| e.action).collect();
    assert_eq!(
        actions,
        ["request.sent", "status.changed", "gateway.replied"]
    );

    let com = s.store.domain("example.com").unwrap();
    assert_eq!(com.status(), Status::Transferring);
    assert!(com.registered());

    let bad = s.store.domain("bad_name.de").unwrap();
    assert_eq!(bad.status(), Status::Error);
    assert!(bad.last_error.unwrap().contains("bad_name"));
    assert_eq!(report.failed().count(), 1);

    // Redelivery: nothing sent, nothing written.
    let commits = s.store.commits();
    let again = run(&s, "OrderPaid", order()).await;
    assert!(again
        .items
        .iter()
        .all(|i| matches!(i.outcome, ItemOutcome::Duplicate | ItemOutcome::Ignored)));
    assert_eq!(s.gateway.seen().len(), 2);
    assert_eq!(s.store.commits(), commits);
    assert_eq!(s.store.log("example.de").len(), 3);
}

#[tokio::test]
async fn a_gateway_rejection_puts_the_domain_in_error_with_its_codes() {
    let s = submitter(ScriptedGateway::default().script("example.de", Script::Refuse));
    run(&s, "OrderPaid", order()).await;
    let de = s.store.domain("example.de").unwrap();
    assert_eq!(de.status(), Status::Error);
    assert!(!de.registered());
    assert!(de.ctid().is_none());
    let reason = de.last_error.unwrap();
    assert!(
        reason.contains("EF01012") && reason.contains("E0101"),
        "{reason}"
    );
    let log = s.store.log("example.de");
    let reply = log.iter().find(|e| e.action == "gateway.replied").unwrap();
    assert_eq!(reply.outcome, Outcome::Error);
    assert_eq!(reply.code.as_deref(), Some("E0101"));
    assert!(log
        .iter()
        .any(|e| e.action == "status.changed" && e.status_to.as_deref() == Some("Error")));
}

fn customer_request(id: &str, operation: &str, domain: &str) -> Value {
    json!({"request_id": id, "operation": operation, "account": {"id": "CUST-9", "kind": "customer"},
           "order_id": "ORD-9", "domain": domain, "auth_code": "secret-auth-1",
           "contacts": {"owner": owner()}, "nameservers": []})
}

fn paid(domain: &str, kind: &str) -> Value {
    json!({"order_id": "ORD-9", "account": {"id": "CUST-9", "kind": "customer"},
           "items": [{"item_id": "ORD-9-1", "type": kind, "domain": domain}]})
}

#[tokio::test]
async fn a_customer_request_waits_for_payment_then_goes_out_with_its_own_data() {
    let s = submitter(ScriptedGateway::default());
    let r = run(
        &s,
        "DomainRequested",
        customer_request("REQ-1", "transfer", "wait.de"),
    )
    .await;
    assert_eq!(r.items[0].outcome, ItemOutcome::AwaitingPayment);
    let waiting = s.store.domain("wait.de").unwrap();
    assert_eq!(waiting.status(), Status::AwaitingPayment);
    assert!(s.gateway.seen().is_empty());
    assert!(
        !format!("{waiting:?}").contains("secret-auth-1"),
        "auth code stored in clear"
    );

    let r = run(&s, "OrderPaid", paid("wait.de", "domain_transfer")).await;
    assert_eq!(
        r.items[0].outcome,
        ItemOutcome::Accepted,
        "{:?}",
        r.items[0]
    );
    let seen = s.gateway.seen();
    assert_eq!(seen.len(), 1);
    let TaskKind::DomainTransfer { order, auth_code } = &seen[0].kind else {
        panic!("expected a transfer")
    };
    assert_eq!(auth_code.expose(), "secret-auth-1");
    assert!(
        order.owner.is_some(),
        "the waiting request's contacts are used"
    );
    assert_eq!(
        s.store.domain("wait.de").unwrap().status(),
        Status::Transferring
    );
}

#[tokio::test]
async fn a_customer_request_after_its_payment_goes_out_once() {
    let s = submitter(ScriptedGateway::default());
    // The order item alone lacks the owner: it fails, and the request brings it.
    let r = run(&s, "OrderPaid", paid("late.de", "domain_registration")).await;
    assert_eq!(r.items[0].outcome, ItemOutcome::Invalid);
    let r = run(
        &s,
        "DomainRequested",
        customer_request("REQ-2", "register", "late.de"),
    )
    .await;
    assert_eq!(
        r.items[0].outcome,
        ItemOutcome::Accepted,
        "{:?}",
        r.items[0]
    );
    assert_eq!(s.gateway.seen().len(), 1);
    let d = s.store.domain("late.de").unwrap();
    assert_eq!(d.status(), Status::Registering);
    assert!(d.registered());
}

#[tokio::test]
async fn a_domain_in_flight_is_not_sent_again_and_says_why() {
    let s = submitter(ScriptedGateway::default());
    let provider = |id: &str| {
        json!({"request_id": id, "operation": "register", "account": {"id": "PROV", "kind": "provider"},
               "domain": "busy.de", "contacts": {"owner": owner()}})
    };
    run(&s, "DomainRequested", provider("REQ-A")).await;
    let r = run(&s, "DomainRequested", provider("REQ-B")).await;
    assert_eq!(r.items[0].outcome, ItemOutcome::Refused);
    assert_eq!(s.gateway.seen().len(), 1);
    let log = s.store.log("busy.de");
    let refusal = log.iter().find(|e| e.action == "request.rejected").unwrap();
    assert!(refusal.message.contains("in flight"), "{}", refusal.message);
    // The refusal itself is not repeated on redelivery.
    run(&s, "DomainRequested", provider("REQ-B")).await;
    assert_eq!(s.store.log("busy.de").len(), log.len());
}

#[tokio::test]
async fn transport_failures_are_told_apart() {
    let s = submitter(ScriptedGateway::answering(Script::Unreachable));
    run(&s, "OrderPaid", order()).await;
    let d = s.store.domain("example.de").unwrap();
    assert_eq!(d.status(), Status::Error);
    assert!(d.last_error.unwrap().contains("not sent"));

    let s = submitter(ScriptedGateway::answering(Script::NoAnswer));
    let r = run(&s, "OrderPaid", order()).await;
    assert_eq!(r.items[0].outcome, ItemOutcome::Unknown);
    let d = s.store.domain("example.de").unwrap();
    assert_eq!(d.status(), Status::Registering);
    assert!(!d.registered());
    assert!(d.ctid().is_some(), "the ctid stays for reconciliation");
    assert!(s
        .store
        .log("example.de")
        .iter()
        .any(|e| e.action == "gateway.failed"));
}

#[tokio::test]
async fn hostile_items_are_refused_one_by_one_and_the_rest_goes_on() {
    let s = submitter(ScriptedGateway::default());
    let long = format!("{}.de", "a".repeat(300));
    let mut items = vec![
        json!({"item_id": "H-1", "type": "domain_registration", "domain": long, "contacts": {"owner": owner()}}),
        json!({"item_id": "H-2", "type": "domain_registration", "domain": "ctl\u{7}char.de", "contacts": {"owner": owner()}}),
        json!({"item_id": "H-3", "type": "domain_registration", "domain": "<x>&amp;.de", "contacts": {"owner": owner()}}),
        json!({"item_id": "H-4", "type": "domain_registration", "domain": ["not", "a", "string"]}),
        json!({"item_id": "H-5", "type": "domain_registration", "domain": "ok-after-all.de",
               "contacts": {"owner": {"first_name": "A\u{0}B", "last_name": "x"}}}),
        json!({"item_id": "H-6", "type": "domain_transfer", "domain": "xfer.de", "auth_code": "a\u{1b}b"}),
        json!({"item_id": "H-7", "type": "domain_registration", "domain": "glue.de", "contacts": {"owner": owner()},
               "nameservers": (0..500).map(|i| json!({"name": format!("ns{i}.x.net")})).collect::<Vec<_>>()}),
        json!({"item_id": "H-8", "type": 7}),
        json!(null),
    ];
    items.push(
        json!({"item_id": "GOOD", "type": "domain_registration", "domain": "Fine-Domain.DE.",
                      "contacts": {"owner": owner()}}),
    );
    let detail =
        json!({"order_id": "ORD-H", "account": {"id": "C", "kind": "customer"}, "items": items});
    let report = run(&s, "OrderPaid", detail).await;
    let outcome = |item: &str| {
        report
            .items
            .iter()
            .find(|i| i.item == item)
            .map(|i| i.outcome)
    };
    for bad in ["H-1", "H-2", "H-3", "H-4", "H-5", "H-6", "H-7", "H-8", "#9"] {
        assert_eq!(
            outcome(bad),
            Some(ItemOutcome::Invalid),
            "{bad}: {:?}",
            report.items
        );
    }
    assert_eq!(outcome("GOOD"), Some(ItemOutcome::Accepted));
    let seen = s.gateway.seen();
    assert_eq!(seen.len(), 1, "only the good item reached the gateway");
    assert_eq!(seen[0].kind.domain_name(), "fine-domain.de");
    for item in report.failed() {
        let reason = item.reason.as_deref().unwrap_or_default();
        assert!(!reason.is_empty() && reason.len() < 600, "{reason}");
    }

    // Too many items: the event itself is refused, nothing is written.
    let huge: Vec<_> = (0..5_001)
        .map(|i| json!({"item_id": format!("I-{i}"), "type": "hosting_plan"}))
        .collect();
    let err = parse_event(
        "OrderPaid",
        &json!({"order_id": "ORD-BIG", "account": {"id": "C", "kind": "customer"}, "items": huge}),
    )
    .unwrap_err();
    assert!(err.0.contains("at most 5000"), "{err}");
}

/// Security review H2: a paid order pays only for its own account, and an
/// invalid item never touches another account's domain.
#[tokio::test]
async fn another_accounts_paid_order_pays_for_nothing() {
    let s = submitter(ScriptedGateway::default());
    // P's order is paid; its items wait in the queue, nothing sent yet.
    let InboundEvent::OrderPaid(order) =
        parse_event("OrderPaid", &paid("queued.de", "domain_registration")).unwrap()
    else {
        unreachable!("an OrderPaid")
    };
    s.order_paid_queued(&order, &VecItemQueue::default()).await;
    // Q names P's paid order for the same domain.
    let mut request = customer_request("REQ-Q", "register", "queued.de");
    request["account"] = json!({"id": "CUST-Q", "kind": "customer"});
    let r = run(&s, "DomainRequested", request).await;
    assert_eq!(r.items[0].outcome, ItemOutcome::AwaitingPayment);
    assert!(s.gateway.seen().is_empty());
}

#[tokio::test]
async fn an_invalid_item_only_adds_one_line_to_an_existing_domain() {
    let s = submitter(ScriptedGateway::default());
    run(&s, "OrderPaid", order()).await;
    let before = s.store.domain("example.de").unwrap();
    let bad = json!({"order_id": "ORD-X", "account": {"id": "CUST-X", "kind": "customer"},
                     "items": [{"item_id": "X-1", "type": "domain_registration", "domain": "example.de"}]});
    let r = run(&s, "OrderPaid", bad).await;
    assert_eq!(r.items[0].outcome, ItemOutcome::Invalid);
    assert_eq!(
        s.store.domain("example.de").unwrap(),
        before,
        "item untouched"
    );
    let log = s.store.log("example.de");
    let last = log.last().unwrap();
    assert_eq!(last.action, "request.rejected");
    assert!(last.message.contains("ORD-X"), "{}", last.message);
}

/// Security review L7: an oversized item fails alone before it is queued;
/// the others are queued.
#[tokio::test]
async fn an_oversized_item_fails_alone_before_the_queue() {
    let s = submitter(ScriptedGateway::default());
    let detail = json!({"order_id": "ORD-Q", "account": {"id": "C-1", "kind": "customer"},
    "items": [
        {"item_id": "Q-1", "type": "domain_transfer", "domain": "huge.de", "auth_code": "A".repeat(190_000)},
        {"item_id": "Q-2", "type": "domain_transfer", "domain": "fine.de", "auth_code": "A-1"}
    ]});
    let InboundEvent::OrderPaid(order) = parse_event("OrderPaid", &detail).unwrap() else {
        unreachable!("an OrderPaid")
    };
    let queue = VecItemQueue::default();
    let report = s.order_paid_queued(&order, &queue).await;
    let outcome = |id: &str| {
        report
            .items
            .iter()
            .find(|i| i.item == id)
            .map(|i| i.outcome)
    };
    assert_eq!(outcome("Q-1"), Some(ItemOutcome::Invalid));
    assert_eq!(outcome("Q-2"), Some(ItemOutcome::Queued));
    assert_eq!(queue.queued().len(), 1);
    assert!(report.transient.is_empty());
}
