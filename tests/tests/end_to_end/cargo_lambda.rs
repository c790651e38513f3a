//! The functions as Lambda runs them: `cargo lambda watch` serves both
//! binaries (configured only through their environment), events go in through
//! `cargo lambda invoke --data-file events/…`, and the simulator invokes the
//! mail function through the same Invoke API when its result mail is stored.

use std::time::Duration;

use e2e::lambda::{workspace_root, LambdaWatch};
use e2e::{flag, text, Delivery, Options, World, METRICS_NAMESPACE};
use serde_json::{json, Value};

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
        let d = w.wait_for_cold_status(domain, "Registered").await;
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
    observable(&watch.output());

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
    // The Invoke API's answer names the class of the failure: an event
    // that cannot be read will never succeed (issue 27).
    let answer = internetx::https::client_builder()
        .build()
        .expect("a client")
        .post(watch.invoke_url("domain-events"))
        .header("content-type", "application/json")
        .body(event.to_string())
        .send()
        .await
        .expect("the invoke API answers");
    let raw = answer.text().await.expect("an answer");
    let body: Value = serde_json::from_str(&raw).expect("a JSON error document");
    assert_eq!(body["errorType"], "NonRetryable", "{body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap_or_default()
            .contains("items"),
        "{body}"
    );
    watch.stop().await;
}

/// What the registrations and their mails left for CloudWatch: metric
/// lines in the embedded metric format with the names and dimensions the
/// template's dashboard and alarms read, and JSON log lines with the
/// domain, the ctid and the Lambda request id as fields.
fn observable(output: &str) {
    let lines: Vec<Value> = output
        .lines()
        .filter_map(|l| serde_json::from_str(l.trim()).ok())
        .collect();
    let metric = |function: &str, name: &str| -> Vec<&Value> {
        lines
            .iter()
            .filter(|l| l["Function"] == function && l.get(name).is_some())
            .collect()
    };
    let directive = |line: &Value| line["_aws"]["CloudWatchMetrics"][0].clone();

    let requests = metric("domain-events", "GatewayRequests");
    let register = requests
        .iter()
        .find(|l| l["Operation"] == "register")
        .unwrap_or_else(|| panic!("no registration measured in {output}"));
    assert!(
        ["notify", "success"].contains(&register["Outcome"].as_str().unwrap()),
        "{register}"
    );
    // One sample is a number, several an array (EMF takes both).
    let samples = |v: &Value| -> Vec<f64> {
        match v {
            Value::Array(all) => all.iter().filter_map(Value::as_f64).collect(),
            one => one.as_f64().into_iter().collect(),
        }
    };
    let latencies = samples(&register["GatewayLatency"]);
    assert!(
        !latencies.is_empty() && latencies.iter().all(|ms| *ms > 0.0),
        "{register}"
    );
    let d = directive(register);
    assert_eq!(d["Namespace"], METRICS_NAMESPACE);
    assert_eq!(
        d["Dimensions"],
        json!([["Function", "Operation", "Outcome"]])
    );
    assert_eq!(
        d["Metrics"],
        // By name.
        json!([{"Name": "GatewayLatency", "Unit": "Milliseconds"},
               {"Name": "GatewayRequests", "Unit": "Count"}])
    );
    assert!(register["_aws"]["Timestamp"].as_u64().is_some());

    let waits = metric("domain-events", "RateLimitWait");
    assert!(!waits.is_empty(), "every request waits for its slot");
    assert_eq!(directive(waits[0])["Dimensions"], json!([["Function"]]));

    let items = metric("domain-events", "Items");
    assert!(
        items.iter().any(|l| l["Outcome"] == "accepted"),
        "{items:?}"
    );

    let mails = metric("inbound-mail", "Mails");
    let applied: f64 = mails
        .iter()
        .filter(|l| l["Outcome"] == "applied")
        .map(|l| l["Mails"].as_f64().unwrap_or(0.0))
        .sum();
    assert!(applied >= 2.0, "two result mails applied: {mails:?}");
    // Measured through the invocation, printed once when it ends, with
    // the request id that finds its log lines.
    assert!(
        mails.iter().all(|l| l["RequestId"].is_string()),
        "{mails:?}"
    );
    assert_eq!(
        directive(mails[0])["Dimensions"],
        json!([["Function", "Outcome"]])
    );

    let claimed = lines
        .iter()
        .find(|l| l["message"] == "request claimed, sending to InterNetX")
        .unwrap_or_else(|| panic!("no JSON log line of a claimed request in {output}"));
    assert!(
        claimed["domain"].is_string() && claimed["ctid"].is_string(),
        "{claimed}"
    );
    assert!(claimed["span"]["requestId"].is_string(), "{claimed}");
}
