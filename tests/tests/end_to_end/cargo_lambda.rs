//! The functions as Lambda runs them: `cargo lambda watch` serves both
//! binaries (configured only through their environment), events go in through
//! `cargo lambda invoke --data-file events/…`, and the simulator invokes the
//! mail function through the same Invoke API when its result mail is stored.

use std::time::Duration;

use e2e::lambda::{workspace_root, LambdaWatch};
use e2e::{flag, text, Delivery, Options, World};

#[tokio::test]
async fn order_paid_to_registered_through_cargo_lambda() {
    let port = LambdaWatch::port();
    let w = World::start_with(Options {
        mail_delay: Duration::from_millis(200),
        deliver: Delivery::Invoke(LambdaWatch::invoke_url_at(port, "inbound-mail")),
        ..Options::default()
    })
    .await;
    let watch = LambdaWatch::start(port, &w.function_env(), true).await;
    let events = workspace_root().join("events");

    let answer = watch
        .invoke_file("domain-events", &events.join("order-paid.json"))
        .await
        .expect("domain-events answers");
    assert_eq!(answer["failed"].as_array().unwrap().len(), 1, "{answer}");
    for domain in ["example.de", "example.com"] {
        let d = w.wait_for_status(domain, "Registered").await;
        assert!(flag(&d, "registered"), "{domain}");
        let log = w.log(domain).await;
        assert!(
            log.iter().any(|e| text(e, "action") == "mail.received"),
            "{domain}"
        );
    }
    for key in w.simulator.mails() {
        assert_eq!(w.mail_tag(&key).await.as_deref(), Some("applied"), "{key}");
    }

    let refused = watch
        .invoke_file(
            "domain-events",
            &events.join("domain-requested-transfer-refused.json"),
        )
        .await
        .unwrap();
    assert_eq!(refused["items"][0]["outcome"], "accepted");
    let d = w.wait_for_status("refused-transfer.com", "Error").await;
    assert!(text(&d, "last_error").contains("NACK"));

    // Name-server change, then cancellation, of a registered domain.
    watch
        .invoke_file(
            "domain-events",
            &events.join("domain-requested-provider.json"),
        )
        .await
        .unwrap();
    w.wait_for_status("provider-example.net", "Registered")
        .await;
    let ns = watch
        .invoke_file(
            "domain-events",
            &events.join("nameservers-change-requested.json"),
        )
        .await
        .unwrap();
    assert_eq!(ns["items"][0]["outcome"], "accepted", "{ns}");
    let log_has = |log: &[e2e::Item], code: &str| log.iter().any(|e| text(e, "code") == code);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !log_has(&w.log("provider-example.net").await, "S0102") {
        assert!(
            std::time::Instant::now() < deadline,
            "no S0102 result mail applied"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let d = w
        .wait_for_status("provider-example.net", "Registered")
        .await;
    assert!(
        matches!(d.get("nameservers"), Some(aws_sdk_dynamodb::types::AttributeValue::L(l)) if l.len() == 3)
    );
    watch
        .invoke_file("domain-events", &events.join("cancellation-requested.json"))
        .await
        .unwrap();
    w.wait_for_status("provider-example.net", "Cancelled").await;

    // An unreadable event fails the invocation (for the dead-letter queue).
    let mut event = e2e::event("order-paid.json");
    event["detail"]["items"] = serde_json::json!("not a list");
    let file = std::env::temp_dir().join(format!("broken-order-{port}.json"));
    std::fs::write(&file, event.to_string()).unwrap();
    let broken = watch.invoke_file("domain-events", &file).await;
    let _ = std::fs::remove_file(&file);
    let err = broken.expect_err("the invocation fails");
    assert!(err.contains("items"), "{err}");
    watch.stop().await;
}
