//! Status mails through SES (moto), once per transition, never with
//! secrets, never in the way of a status change; none when disabled.

use e2e::{event, text, Options, World, STATUS_MAIL_FROM};
use serde_json::{json, Value};

const CUSTOMER: &str = "billing@customer.example";

fn order_with_address() -> Value {
    let mut order = event("order-paid.json");
    order["detail"]["account"]["email"] = json!(CUSTOMER);
    order["detail"]["account"]["language"] = json!("de");
    order
}

/// A world with status mails on, the order with a notification address
/// settled, and the status-mails function.
async fn mailed_order() -> (World, adapters::wiring::StatusMails) {
    let w = World::start_with(Options {
        status_mails: true,
        ..Options::default()
    })
    .await;
    w.send(&order_with_address()).await.unwrap();
    w.wait_for_status("example.de", "Registered").await;
    w.wait_for_status("example.com", "Registered").await;
    let app = adapters::wiring::status_mails(
        &w.status_mail_config(STATUS_MAIL_FROM),
        &w.aws,
        Some(e2e::opening_sealer()),
    );
    (w, app)
}

#[tokio::test]
async fn each_final_status_is_mailed_once_in_the_accounts_language() {
    let (w, app) = mailed_order().await;
    assert!(
        w.stack.outputs.contains_key("StatusMailsFunctionArn"),
        "the template deploys the function when enabled"
    );
    assert_eq!(
        text(&w.domain("-invalid-.de").await.unwrap(), "status"),
        "Error"
    );
    assert_eq!(
        text(&w.domain("example.de").await.unwrap(), "notify_email"),
        CUSTOMER
    );
    let report = e2e::status_mail_run(&app, 200).await;
    assert_eq!(report["sent"], 3, "{report}");
    let again = e2e::status_mail_run(&app, 200).await;
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
    let app = adapters::wiring::status_mails(
        &w.status_mail_config("noreply@unverified.example"),
        &w.aws,
        Some(e2e::opening_sealer()),
    );
    let report = e2e::status_mail_run(&app, 200).await;
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
    let good = adapters::wiring::status_mails(
        &w.status_mail_config(STATUS_MAIL_FROM),
        &w.aws,
        Some(e2e::opening_sealer()),
    );
    assert_eq!(e2e::status_mail_run(&good, 200).await["sent"], 0);
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
    let app = adapters::wiring::status_mails(
        &w.status_mail_config(STATUS_MAIL_FROM),
        &w.aws,
        Some(e2e::opening_sealer()),
    );
    assert_eq!(e2e::status_mail_run(&app, 200).await["sent"], 0);
    assert_eq!(w.moto.sent_mail_count().await, 0);
}

/// An auth code reaches the customer only in the status mail.
/// Through the simulator and SES (moto): the code is in no table item
/// (sealed in the notice until it is sent, then gone), no log, no CLI
/// output; a second request gets InterNetX's existing code back
/// (EF011316) the same way.
#[tokio::test]
async fn an_auth_code_goes_to_the_customer_by_status_mail_only() {
    let (w, app) = mailed_order().await;
    e2e::status_mail_run(&app, 200).await;
    let before = w.moto.sent_mail_count().await;

    let mut ask = event("auth-code-requested.json");
    let out = w.send(&ask).await.unwrap();
    assert_eq!(out["items"][0]["outcome"], "completed", "{out}");
    let issued = w.simulator.tasks_with_code("0113001");
    assert_eq!(issued.len(), 1);
    let d = w.domain("example.de").await.unwrap();
    assert_eq!(text(&d, "operation"), "auth_code");
    assert!(d.contains_key("auth_code_expires_at"));

    // The only place the code is, before the mail: sealed in the notice.
    let scan = format!("{:?}", w.scan().await);
    assert!(
        scan.contains("sealed_auth_code"),
        "the notice carries it sealed"
    );
    assert!(
        !scan.contains("&<Auth>") && !scan.contains("&amp;&lt;Auth"),
        "the code in clear: {scan}"
    );
    let sent = e2e::status_mail_run(&app, 200).await;
    assert_eq!(sent["sent"], 1, "{sent}");
    assert_eq!(w.moto.sent_mail_count().await, before + 1);
    let scan = format!("{:?}", w.scan().await);
    assert!(
        !scan.contains("sealed_auth_code"),
        "dropped once the mail went out"
    );

    // Asked again: InterNetX returns the existing code; mailed again.
    ask["detail"]["request_id"] = json!("REQ-89");
    let out = w.send(&ask).await.unwrap();
    assert_eq!(out["items"][0]["outcome"], "completed", "{out}");
    let log = w.log("example.de").await;
    assert!(log.iter().any(|e| text(e, "message").contains("EF011316")));
    assert_eq!(e2e::status_mail_run(&app, 200).await["sent"], 1);

    let (ok, show, _) = w.cli(&["show", "example.de"]).await;
    assert!(
        ok && show.contains("auth code") && !show.contains("&<Auth>"),
        "{show}"
    );
    assert!(!e2e::captured_logs().contains("&<Auth>"));
}
