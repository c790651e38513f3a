//! Status mails through SES (moto), once per transition, never with
//! secrets, never in the way of a status change; none when disabled.

use adapters::StatusMailConfig;
use e2e::{event, text, Options, World, STATUS_MAIL_FROM};
use serde_json::{json, Value};

const CUSTOMER: &str = "billing@customer.example";

fn notify_config(w: &World, from: &str) -> StatusMailConfig {
    StatusMailConfig {
        domain_table: w.config.domain_table.clone(),
        from: from.into(),
        configuration_set: None,
        batch: 200,
        max_attempts: 5,
        stale_after: time::Duration::minutes(15),
    }
}

fn order_with_address() -> Value {
    let mut order = event("order-paid.json");
    order["detail"]["account"]["email"] = json!(CUSTOMER);
    order["detail"]["account"]["language"] = json!("de");
    order
}

#[tokio::test]
async fn each_final_status_is_mailed_once_in_the_accounts_language() {
    let w = World::start_with(Options {
        status_mails: true,
        ..Options::default()
    })
    .await;
    assert!(
        w.stack.outputs.contains_key("StatusMailsFunctionArn"),
        "the template deploys the function when enabled"
    );
    w.send(&order_with_address()).await.unwrap();
    w.wait_for_status("example.de", "Registered").await;
    w.wait_for_status("example.com", "Registered").await;
    assert_eq!(
        text(&w.domain("-invalid-.de").await.unwrap(), "status"),
        "Error"
    );
    assert_eq!(
        text(&w.domain("example.de").await.unwrap(), "notify_email"),
        CUSTOMER
    );

    let app = adapters::wiring::status_mails(&notify_config(&w, STATUS_MAIL_FROM), &w.aws);
    let report = status_mails::handle(&app, 200).await.unwrap();
    assert_eq!(report["sent"], 3, "{report}");
    let again = status_mails::handle(&app, 200).await.unwrap();
    assert_eq!(again["sent"], 0, "a second run sends nothing: {again}");

    assert_eq!(w.moto.sent_mail_count().await, 3);
    let notices: Vec<_> = w
        .scan()
        .await
        .into_iter()
        .filter(|i| text(i, "sk") == "NOTICE")
        .collect();
    assert_eq!(notices.len(), 3);
    for notice in &notices {
        assert_eq!(text(notice, "state"), "sent");
        assert_eq!(text(notice, "to"), CUSTOMER);
        assert_eq!(text(notice, "language"), "de");
        assert!(!notice.contains_key("notice_pk"), "left the waiting index");
    }
    let failed = notices
        .iter()
        .find(|n| text(n, "domain") == "-invalid-.de")
        .expect("the refused item is mailed too");
    assert_eq!(text(failed, "status"), "Error");
    assert!(!text(failed, "reason").is_empty());
    for notice in &notices {
        for value in notice.values() {
            let value = format!("{value:?}");
            assert!(!value.contains("X7#k2"), "no auth code: {value}");
            assert!(!value.contains(e2e::GATEWAY_PASSWORD));
        }
    }

    let log = w.log("example.de").await;
    let sent = log
        .iter()
        .find(|e| text(e, "action") == "notice.sent")
        .expect("notice.sent in the action log");
    assert!(text(sent, "message").contains("b***@customer.example"));
    assert!(!text(sent, "message").contains(CUSTOMER), "address masked");
}

#[tokio::test]
async fn a_refused_mail_is_logged_and_leaves_the_status_alone() {
    let w = World::start_with(Options {
        status_mails: true,
        ..Options::default()
    })
    .await;
    w.send(&order_with_address()).await.unwrap();
    w.wait_for_status("example.de", "Registered").await;
    w.wait_for_status("example.com", "Registered").await;

    // A sender SES has not verified: SES refuses, for good.
    let app =
        adapters::wiring::status_mails(&notify_config(&w, "noreply@unverified.example"), &w.aws);
    let report = status_mails::handle(&app, 200).await.unwrap();
    assert_eq!(report["failed"], 3, "{report}");
    assert_eq!(w.moto.sent_mail_count().await, 0);
    assert_eq!(
        text(&w.domain("example.de").await.unwrap(), "status"),
        "Registered"
    );
    let log = w.log("example.de").await;
    let failed = log
        .iter()
        .find(|e| text(e, "action") == "notice.failed")
        .expect("notice.failed");
    assert_eq!(text(failed, "outcome"), "error");
    assert!(text(failed, "message").contains("given up"), "{failed:?}");

    // Given up means given up: a run with a good sender sends nothing old.
    let good = adapters::wiring::status_mails(&notify_config(&w, STATUS_MAIL_FROM), &w.aws);
    assert_eq!(status_mails::handle(&good, 200).await.unwrap()["sent"], 0);
}

#[tokio::test]
async fn nothing_is_queued_or_deployed_when_disabled() {
    let w = World::start().await;
    assert!(!w.stack.outputs.contains_key("StatusMailsFunctionArn"));
    w.send(&order_with_address()).await.unwrap();
    w.wait_for_status("example.de", "Registered").await;
    let notices = w
        .scan()
        .await
        .into_iter()
        .filter(|i| text(i, "sk") == "NOTICE")
        .count();
    assert_eq!(notices, 0);
    let app = adapters::wiring::status_mails(&notify_config(&w, STATUS_MAIL_FROM), &w.aws);
    assert_eq!(status_mails::handle(&app, 200).await.unwrap()["sent"], 0);
    assert_eq!(w.moto.sent_mail_count().await, 0);
}
