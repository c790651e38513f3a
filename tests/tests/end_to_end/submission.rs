//! Events in, InterNetX requests out (simulator), the
//! domain table in moto's DynamoDB.

use e2e::{event, flag, text, World};

fn actions(log: &[e2e::Item]) -> Vec<String> {
    log.iter().map(|e| text(e, "action")).collect()
}

#[tokio::test]
async fn a_paid_order_sends_its_valid_items_once_and_reports_the_bad_one() {
    let w = World::without_mail().await;
    let order = event("order-paid.json");
    let out = w.send(&order).await.expect("the invocation succeeds");

    let de = w.domain("example.de").await.expect("example.de item");
    assert_eq!(text(&de, "status"), "Registering");
    assert!(flag(&de, "registered"));
    assert_eq!(text(&de, "operation"), "register");
    assert_eq!(text(&de, "order_id"), "ORD-1001");
    assert_eq!(text(&de, "account_kind"), "customer");
    assert!(text(&de, "ctid").starts_with("ib-"));
    let com = w.domain("example.com").await.expect("example.com item");
    assert_eq!(text(&com, "status"), "Transferring");
    assert!(flag(&com, "registered"));

    // The invalid item: its own clear error, in the report and the table.
    let failed = out["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{out}");
    assert_eq!(failed[0]["item"], "ORD-1001-3");
    assert!(
        failed[0]["reason"].as_str().unwrap().contains("'-'"),
        "{out}"
    );
    let bad = w
        .domain("-invalid-.de")
        .await
        .expect("the invalid item is recorded");
    assert_eq!(text(&bad, "status"), "Error");
    assert!(text(&bad, "last_error").contains("-invalid-.de"));

    let tasks = w.simulator.domain_tasks();
    assert_eq!(tasks.len(), 2, "exactly two requests reached InterNetX");
    assert_eq!(tasks[0].code.as_deref(), Some("0101"));
    assert_eq!(tasks[1].code.as_deref(), Some("0104"));
    assert_eq!(tasks[0].ctid.as_deref(), Some(text(&de, "ctid").as_str()));
    let reply_to = tasks[0].reply_to.clone().unwrap();
    assert!(reply_to.starts_with("internetx+") && reply_to.ends_with("@inbound.example.net"));
    // The contact with XML metacharacters went out escaped and came through whole.
    assert!(tasks[0]
        .xml
        .contains("<organization>Müller &amp; &lt;Söhne&gt; GmbH</organization>"));
    assert!(tasks[0].xml.contains("<phone>+49-30-1234567</phone>"));

    let log = w.log("example.de").await;
    assert_eq!(
        actions(&log),
        ["request.sent", "status.changed", "gateway.replied"]
    );
    let replied = &log[2];
    assert_eq!(text(replied, "code"), "N0101");
    assert_eq!(text(replied, "outcome"), "ok");
    assert!(text(replied, "request_xml").contains("<password>***</password>"));
    assert!(text(replied, "response_xml").contains("N0101"));

    // Delivered again: the very same table, and no new request.
    let before = w.scan().await;
    let again = w.send(&order).await.expect("the redelivery succeeds");
    assert!(again["failed"].as_array().unwrap().is_empty(), "{again}");
    assert_eq!(
        w.scan().await,
        before,
        "a redelivered event changed the table"
    );
    assert_eq!(w.simulator.domain_tasks().len(), 2);
}

#[tokio::test]
async fn bad_items_fail_alone_each_with_its_reason() {
    let w = World::without_mail().await;
    let out = w.send(&event("order-paid-bad-item.json")).await.unwrap();
    let failed: Vec<(String, String)> = out["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["item"].as_str().unwrap().to_owned(),
                f["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let reason = |item: &str| {
        failed
            .iter()
            .find(|(i, _)| i == item)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    assert!(
        reason("ORD-1002-2").contains("owner contact is missing"),
        "{failed:?}"
    );
    assert!(reason("ORD-1002-3").contains("period_years"), "{failed:?}");
    assert!(reason("ORD-1002-4").contains("country"), "{failed:?}");
    assert!(reason("ORD-1002-5").contains("EF01012"), "{failed:?}");
    assert!(reason("ORD-1002-6").contains("auth_code"), "{failed:?}");
    assert_eq!(failed.len(), 5, "{failed:?}");

    for domain in ["good-example.org", "xn--bcher-mller-thbg.de"] {
        let item = w
            .domain(domain)
            .await
            .unwrap_or_else(|| panic!("{domain} missing"));
        assert_eq!(text(&item, "status"), "Registering", "{domain}");
        assert!(flag(&item, "registered"));
    }
    let idn = w.domain("xn--bcher-mller-thbg.de").await.unwrap();
    assert_eq!(text(&idn, "domain_unicode"), "bücher-müller.de");

    let taken = w.domain("taken.de").await.unwrap();
    assert_eq!(text(&taken, "status"), "Error");
    assert!(!flag(&taken, "registered"));
    let log = w.log("taken.de").await;
    let replied = log
        .iter()
        .find(|e| text(e, "action") == "gateway.replied")
        .expect("gateway.replied");
    assert_eq!(text(replied, "outcome"), "error");
    assert_eq!(text(replied, "code"), "E0101");
    assert!(text(replied, "message").contains("EF01012 The domain is already registered."));
    assert!(text(&taken, "last_error").contains("EF01012"));
    // Only valid items reached the gateway: two good ones and the taken one.
    assert_eq!(w.simulator.domain_tasks().len(), 3);
}

#[tokio::test]
async fn a_provider_request_is_sent_at_once() {
    let w = World::without_mail().await;
    w.send(&event("domain-requested-provider.json"))
        .await
        .unwrap();
    let d = w.domain("provider-example.net").await.unwrap();
    assert_eq!(text(&d, "status"), "Registering");
    assert!(flag(&d, "registered"));
    assert_eq!(text(&d, "account_kind"), "provider");
    assert_eq!(w.simulator.domain_tasks().len(), 1);

    w.send(&event("domain-requested-transfer-provider.json"))
        .await
        .unwrap();
    let t = w.domain("moving-example.com").await.unwrap();
    assert_eq!(text(&t, "status"), "Transferring");
    let tasks = w.simulator.domain_tasks();
    assert!(
        tasks[1]
            .xml
            .contains("<authinfo>Tr4nsfer&quot;Code&apos;&amp;&lt;&gt;</authinfo>"),
        "{}",
        tasks[1].xml
    );
}

#[tokio::test]
async fn a_customer_request_waits_for_its_payment() {
    let w = World::without_mail().await;
    w.send(&event("domain-requested-customer.json"))
        .await
        .unwrap();
    let d = w.domain("customer-example.de").await.unwrap();
    assert_eq!(text(&d, "status"), "AwaitingPayment");
    assert!(!flag(&d, "registered"));
    assert!(
        w.simulator.domain_tasks().is_empty(),
        "nothing is sent before payment"
    );

    w.send(&event("order-paid-customer.json")).await.unwrap();
    let d = w.domain("customer-example.de").await.unwrap();
    assert_eq!(text(&d, "status"), "Registering");
    assert!(flag(&d, "registered"));
    assert_eq!(w.simulator.domain_tasks().len(), 1);
    let log = actions(&w.log("customer-example.de").await);
    assert_eq!(log[0], "request.awaiting_payment");
    assert!(log.contains(&"gateway.replied".to_owned()));
}

#[tokio::test]
async fn a_customer_request_after_its_payment_is_sent_once() {
    let w = World::without_mail().await;
    w.send(&event("order-paid-customer.json")).await.unwrap();
    w.send(&event("domain-requested-customer.json"))
        .await
        .unwrap();
    let d = w.domain("customer-example.de").await.unwrap();
    assert_eq!(text(&d, "status"), "Registering");
    assert!(flag(&d, "registered"));
    assert_eq!(
        w.simulator.domain_tasks().len(),
        1,
        "paid and requested: still one request"
    );
    let log = w.log("customer-example.de").await;
    let note = log
        .iter()
        .find(|e| text(e, "action") == "request.rejected")
        .expect("a log line for REQ-78");
    assert_eq!(text(note, "outcome"), "ignored");
    assert!(text(note, "message").contains("REQ-78"));
}

#[tokio::test]
async fn two_events_for_one_domain_at_once_send_one_request() {
    let w = World::without_mail().await;
    let provider = event("domain-requested-provider.json");
    let mut other = provider.clone();
    other["detail"]["request_id"] = "REQ-77-B".into();
    let (a, b) = tokio::join!(w.send(&provider), w.send(&other));
    a.unwrap();
    b.unwrap();
    assert_eq!(w.simulator.domain_tasks().len(), 1);
    let log = actions(&w.log("provider-example.net").await);
    assert_eq!(
        log.iter().filter(|a| *a == "request.rejected").count(),
        1,
        "{log:?}"
    );
}

#[tokio::test]
async fn an_unreadable_event_fails_the_invocation_for_the_dead_letter_queue() {
    let w = World::without_mail().await;
    let mut broken = event("order-paid.json");
    broken["detail"]["order_id"] = serde_json::json!(42);
    let err = w.send(&broken).await.unwrap_err();
    assert!(err.contains("order_id"), "{err}");
    assert!(w.scan().await.is_empty());
}
