//! Trust boundaries end to end (moto + simulator): accounts own their
//! domains, and a mail without a reply token can only hint.

use std::time::{Duration, Instant};

use e2e::{event, text, Delivery, Item, Options, World};
use serde_json::{json, Value};

fn owner() -> Value {
    event("order-paid.json")["detail"]["items"][0]["contacts"]["owner"].clone()
}

fn order(order_id: &str, account: &str, items: Vec<Value>) -> Value {
    json!({"detail-type": "OrderPaid", "source": "storefront",
           "detail": {"order_id": order_id, "account": {"id": account, "kind": "customer"}, "items": items}})
}

fn registration(item_id: &str, domain: &str, with_owner: bool) -> Value {
    let mut item = json!({"item_id": item_id, "type": "domain_registration", "domain": domain,
                          "nameservers": [{"name": "ns1.provider.net"}, {"name": "ns2.provider.net"}]});
    if with_owner {
        item["contacts"] = json!({"owner": owner()});
    }
    item
}

/// What of a domain item another account must never change.
fn kept(item: &Item) -> Vec<String> {
    [
        "status",
        "version",
        "ctid",
        "account_id",
        "registered",
        "pending_auth_code",
        "pending_request",
        "last_error",
        "order_id",
    ]
    .iter()
    .map(|k| format!("{k}={}", text(item, k)))
    .collect()
}

/// The stored result mail the simulator wrote for `domain`.
async fn mail_for(w: &World, domain: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        for key in w.simulator.mails() {
            if String::from_utf8_lossy(&w.mail_bytes(&key).await).contains(domain) {
                return key;
            }
        }
        assert!(Instant::now() < deadline, "no result mail for {domain}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn another_customer_cannot_touch_a_domain_in_flight_registered_or_in_error() {
    let w = World::start_with(Options {
        deliver: Delivery::Nobody,
        ..Options::default()
    })
    .await;
    // Customer A: one registration in flight, one registered, one refused
    // (Error), one transfer in flight with its sealed auth code.
    let mut transfer = json!({"item_id": "A-4", "type": "domain_transfer", "domain": "a-moving.com",
                              "auth_code": "A-secret-1", "contacts": {"owner": owner()},
                              "nameservers": [{"name": "ns1.provider.net"}, {"name": "ns2.provider.net"}]});
    transfer["period_years"] = json!(1);
    w.send(&order(
        "ORD-A",
        "CUST-A",
        vec![
            registration("A-1", "a-flight.de", true),
            registration("A-2", "a-done.de", true),
            registration("A-3", "taken.de", true),
            transfer,
        ],
    ))
    .await
    .unwrap();
    let done = mail_for(&w, "a-done.de").await;
    w.run_mail_event(internetx_simulator::mailer::s3_event(
        &w.mail_bucket,
        &done,
        1,
    ))
    .await
    .unwrap();
    assert_eq!(
        text(&w.domain("a-done.de").await.unwrap(), "status"),
        "Registered"
    );
    assert_eq!(
        text(&w.domain("taken.de").await.unwrap(), "status"),
        "Error"
    );
    // Bound to A: the registry has them, or InterNetX accepted them.
    // (`taken.de` never was: see the end.)
    let domains = ["a-flight.de", "a-done.de", "a-moving.com"];
    let mut before = Vec::new();
    for d in domains {
        before.push(kept(&w.domain(d).await.unwrap()));
    }
    let tasks = w.simulator.domain_tasks().len();

    // Customer B: invalid items, valid items and changes for each of them.
    let mut items = Vec::new();
    for (i, d) in domains.iter().enumerate() {
        items.push(registration(&format!("B-bad-{i}"), d, false));
        items.push(registration(&format!("B-good-{i}"), d, true));
    }
    let answer = w.send(&order("ORD-B", "CUST-B", items)).await.unwrap();
    for (i, d) in domains.iter().enumerate() {
        let mut change = event("nameservers-change-requested.json");
        change["detail"]["request_id"] = json!(format!("REQ-B-{i}"));
        change["detail"]["domain"] = json!(d);
        change["detail"]["account"] = json!({"id": "CUST-B", "kind": "customer"});
        let out = w.send(&change).await.unwrap();
        assert_eq!(out["items"][0]["outcome"], "refused", "{out}");
        assert!(
            out["items"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("belongs to another account"),
            "{out}"
        );
    }
    let good: Vec<_> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["item"].as_str().unwrap().starts_with("B-good"))
        .collect();
    assert!(good.iter().all(|i| i["outcome"] == "refused"), "{answer}");

    for (d, was) in domains.iter().zip(&before) {
        assert_eq!(&kept(&w.domain(d).await.unwrap()), was, "{d} changed");
        let rejected: Vec<_> = w
            .log(d)
            .await
            .into_iter()
            .filter(|e| text(e, "action") == "request.rejected")
            .collect();
        assert_eq!(rejected.len(), 3, "{d}: one line per event of B");
        assert!(rejected.iter().all(|e| text(e, "message").len() < 700));
        assert!(
            rejected
                .iter()
                .any(|e| text(e, "message").contains("CUST-B")),
            "the log names the other account's reference"
        );
    }
    assert_eq!(
        w.simulator.domain_tasks().len(),
        tasks,
        "nothing of B was sent"
    );

    // A's refused registration reserved nothing (CONTRACT.md §1): B's paid
    // item for it goes to InterNetX, and the log names A's request.
    let out = w
        .send(&order(
            "ORD-B2",
            "CUST-B",
            vec![registration("B-taken", "taken.de", true)],
        ))
        .await
        .unwrap();
    assert_ne!(out["items"][0]["outcome"], "refused", "{out}");
    assert!(w
        .log("taken.de")
        .await
        .iter()
        .any(|e| text(e, "action") == "request.superseded"));

    // A's genuine result still applies.
    let flight = mail_for(&w, "a-flight.de").await;
    let out = w
        .run_mail_event(internetx_simulator::mailer::s3_event(
            &w.mail_bucket,
            &flight,
            1,
        ))
        .await
        .unwrap();
    assert_eq!(out["mails"][0]["outcome"], "applied", "{out}");
    assert_eq!(
        text(&w.domain("a-flight.de").await.unwrap(), "status"),
        "Registered"
    );
}

/// Issue 25 / security review N1: a request that paid for nothing reserves
/// nothing. Customer A's unpaid request and customer B's invalid request
/// for a free name, then B's paid order registers it for B; A's payment
/// afterwards is refused with a clear reason, and no status mail of the
/// domain is ever owed to A.
#[tokio::test]
async fn an_unpaid_or_invalid_request_cannot_squat_a_name() {
    let w = World::start_with(Options {
        status_mails: true,
        ..Options::default()
    })
    .await;
    let a = json!({"id": "CUST-A", "kind": "customer", "email": "anna@a.example"});
    let b = json!({"id": "CUST-B", "kind": "customer", "email": "bert@b.example"});
    let request = |id: &str, account: &Value, order: &str, contacts: Value| {
        json!({"detail-type": "DomainRequested", "source": "control-center",
               "detail": {"request_id": id, "operation": "register", "account": account,
                          "order_id": order, "domain": "squat.de", "contacts": contacts,
                          "nameservers": [{"name": "ns1.provider.net"}, {"name": "ns2.provider.net"}]}})
    };
    let out = w
        .send(&request("REQ-A", &a, "ORD-A", json!({"owner": owner()})))
        .await
        .unwrap();
    assert_eq!(out["items"][0]["outcome"], "awaiting_payment", "{out}");
    let out = w
        .send(&request("REQ-B", &b, "ORD-B0", json!({})))
        .await
        .unwrap();
    assert_eq!(out["items"][0]["outcome"], "invalid", "{out}");
    let item = w.domain("squat.de").await.unwrap();
    assert_eq!(
        text(&item, "status"),
        "AwaitingPayment",
        "B's invalid request changed nothing"
    );

    let mut paid = order(
        "ORD-B",
        "CUST-B",
        vec![registration("B-1", "squat.de", true)],
    );
    paid["detail"]["account"] = b.clone();
    let out = w.send(&paid).await.unwrap();
    assert!(
        ["accepted", "queued"].contains(&out["items"][0]["outcome"].as_str().unwrap_or("")),
        "B's paid order goes out: {out}"
    );
    let item = w.wait_for_status("squat.de", "Registered").await;
    assert_eq!(text(&item, "account_id"), "CUST-B");
    assert_eq!(text(&item, "notify_email"), "bert@b.example");
    let log = w.log("squat.de").await;
    let superseded: Vec<_> = log
        .iter()
        .filter(|e| text(e, "action") == "request.superseded")
        .collect();
    assert_eq!(superseded.len(), 1, "{log:?}");
    assert!(text(superseded[0], "message").contains("REQUEST#REQ-A"));

    let mut late = order(
        "ORD-A",
        "CUST-A",
        vec![registration("A-1", "squat.de", true)],
    );
    late["detail"]["account"] = a.clone();
    let out = w.send(&late).await.unwrap();
    let refused = serde_json::to_string(&out).unwrap();
    assert!(
        refused.contains("refused") && refused.contains("belongs to another account"),
        "{out}"
    );
    assert_eq!(
        text(&w.domain("squat.de").await.unwrap(), "account_id"),
        "CUST-B"
    );
    // Every status mail of the domain is owed to B, none to A.
    let notices: Vec<_> = w
        .scan()
        .await
        .into_iter()
        .filter(|i| text(i, "pk").starts_with("NOTICE#squat.de#"))
        .collect();
    assert!(!notices.is_empty(), "the registration owes B a status mail");
    assert!(
        notices.iter().all(|n| text(n, "to") == "bert@b.example"),
        "{notices:?}"
    );
    assert_eq!(w.simulator.processed("squat.de", "0101"), 1);
}
