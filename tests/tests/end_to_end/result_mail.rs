//! The simulator's result mails, stored in moto's S3 the
//! way SES does, bring domains to their final status through the mail
//! function.

use std::time::Duration;

use e2e::{event, flag, text, Delivery, Options, World};
use internetx_simulator::MailFormat;
use serde_json::json;

fn actions(log: &[e2e::Item]) -> Vec<String> {
    log.iter().map(|e| text(e, "action")).collect()
}

#[tokio::test]
async fn result_mails_settle_registration_and_transfer() {
    let w = World::start().await;
    w.send(&event("order-paid.json")).await.unwrap();

    let de = w.wait_for_status("example.de", "Registered").await;
    assert!(flag(&de, "registered"));
    assert!(!de.contains_key("ctid"), "no ctid once settled");
    let log = w.log("example.de").await;
    let mail = log
        .iter()
        .find(|e| text(e, "action") == "mail.received")
        .expect("mail.received");
    let key = text(mail, "s3_key");
    assert!(key.starts_with("inbound/"), "{key}");
    assert_eq!(text(mail, "code"), "S0101");
    let changed = log.last().unwrap();
    assert_eq!(text(changed, "action"), "status.changed");
    assert_eq!(text(changed, "status_to"), "Registered");
    assert_eq!(text(changed, "s3_key"), key);
    assert_eq!(w.mail_tag(&key).await.as_deref(), Some("applied"));

    // A transfer: the intermediate S0104 is logged, only S0104001 settles.
    let com = w.wait_for_status("example.com", "Registered").await;
    assert!(flag(&com, "registered"));
    let log = w.log("example.com").await;
    let mails: Vec<_> = log
        .iter()
        .filter(|e| text(e, "action") == "mail.received")
        .collect();
    assert_eq!(mails.len(), 2, "{:?}", actions(&log));
    assert_eq!(text(mails[0], "code"), "S0104");
    assert!(text(mails[0], "message").contains("waiting for the final result"));
    assert_eq!(text(mails[1], "code"), "S0104001");
}

#[tokio::test]
async fn an_asynchronous_failure_ends_in_error_with_the_registry_reason() {
    let w = World::start().await;
    let mut transfer = event("domain-requested-transfer-provider.json");
    transfer["detail"]["domain"] = json!("refused-transfer.com");
    w.send(&transfer).await.unwrap();
    let d = w.wait_for_status("refused-transfer.com", "Error").await;
    assert!(!flag(&d, "registered"));
    let reason = text(&d, "last_error");
    assert!(
        reason.contains("E0104001") && reason.contains("NACK"),
        "{reason}"
    );
    let log = w.log("refused-transfer.com").await;
    let failed = log.iter().find(|e| text(e, "code") == "E0104001").unwrap();
    assert_eq!(text(failed, "outcome"), "error");
}

#[tokio::test]
async fn attachment_and_standard_formats_apply_too() {
    for format in [MailFormat::XmlAttachment, MailFormat::Standard] {
        let w = World::start_with(Options {
            mail_format: Some(format),
            ..Options::default()
        })
        .await;
        w.send(&event("domain-requested-provider.json"))
            .await
            .unwrap();
        let d = w
            .wait_for_status("provider-example.net", "Registered")
            .await;
        assert!(flag(&d, "registered"), "{format:?}");
    }
}

/// A provider registration whose result mail is stored but not yet handed
/// to the mail function: the test does that itself.
async fn registration_with_one_mail() -> (World, String) {
    let w = World::start_with(Options {
        deliver: Delivery::Nobody,
        ..Options::default()
    })
    .await;
    w.send(&event("domain-requested-provider.json"))
        .await
        .unwrap();
    let key = w.first_mail_key().await;
    (w, key)
}

#[tokio::test]
async fn the_same_s3_event_twice_changes_nothing_the_second_time() {
    let (w, key) = registration_with_one_mail().await;
    let size = 1;
    let s3_event = internetx_simulator::mailer::s3_event(&w.mail_bucket, &key, size);
    let first = w.run_mail_event(s3_event.clone()).await.unwrap();
    assert_eq!(first["mails"][0]["outcome"], "applied", "{first}");
    let before = w.scan().await;
    let second = w.run_mail_event(s3_event).await.unwrap();
    assert_eq!(second["mails"][0]["outcome"], "duplicate", "{second}");
    assert_eq!(w.scan().await, before);
    assert_eq!(w.mail_tag(&key).await.as_deref(), Some("duplicate"));
}

#[tokio::test]
async fn a_result_mail_before_the_gateway_answer_still_applies() {
    let w = World::start_with(Options {
        mail_delay: Duration::ZERO,
        answer_delay: Duration::from_millis(1500),
        ..Options::default()
    })
    .await;
    w.send(&event("domain-requested-provider.json"))
        .await
        .unwrap();
    let d = w
        .wait_for_status("provider-example.net", "Registered")
        .await;
    assert!(flag(&d, "registered"));
    let log = w.log("provider-example.net").await;
    let order = actions(&log);
    let mail_at = order.iter().position(|a| a == "mail.received").unwrap();
    let reply_at = order.iter().position(|a| a == "gateway.replied").unwrap();
    assert!(mail_at < reply_at, "the mail came first here: {order:?}");
    assert!(text(&log[reply_at], "message").contains("already moved on"));
}

#[tokio::test]
async fn the_same_result_mailed_twice_applies_once() {
    let (w, key) = registration_with_one_mail().await;
    let raw = w.mail_bytes(&key).await;
    let first = w.deliver_mail("inbound/copy-1", &raw).await.unwrap();
    assert_eq!(first["mails"][0]["outcome"], "applied");
    let log_len = w.log("provider-example.net").await.len();
    let second = w.deliver_mail("inbound/copy-2", &raw).await.unwrap();
    assert_eq!(second["mails"][0]["outcome"], "duplicate", "{second}");
    assert_eq!(w.log("provider-example.net").await.len(), log_len);
    assert_eq!(
        w.mail_tag("inbound/copy-2").await.as_deref(),
        Some("duplicate")
    );
}
