//! The owner's ICANN verification (issue 29 §3) against moto and the
//! simulator: a gTLD registration → the sync asks `0344` (pending, one
//! mail with the deadline and address) → the OCVAL reminder (a hint, no
//! mail) → the window closes (HOLD, one mail) → the customer's resend
//! (`0349` once, however often it is delivered) → verified (one mail).

use std::time::Duration;

use e2e::{event, flag, text, Options, World};
use internetx_simulator::Scenario;
use registrar::workflows::sync::{SyncPolicy, TransferOutPolicy};
use serde_json::{json, Value};

const CUSTOMER: &str = "billing@customer.example";

/// Hints only: the checks registrations and registry events asked for.
fn hints_only() -> SyncPolicy {
    SyncPolicy {
        page: 100,
        pages_per_run: 0,
        checks_per_run: 20,
        transfer_out: TransferOutPolicy::Operator,
    }
}

fn resend(request_id: &str, account: &str) -> Value {
    let mut e = event("verification-resend-requested.json");
    e["detail"]["request_id"] = json!(request_id);
    e["detail"]["account"]["id"] = json!(account);
    e
}

/// Waits until the mail function handled the simulator's latest mail (an
/// event of the same domain within the hour is logged once: N2).
async fn wait_for_latest_mail(w: &World) {
    let key = w
        .simulator
        .mails()
        .last()
        .cloned()
        .expect("a mail was sent");
    for _ in 0..100 {
        if w.mail_tag(&key).await.is_some() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the mail {key} was not handled");
}

/// The verification notices of a domain, oldest first.
async fn verification_news(w: &World, domain: &str) -> Vec<String> {
    let mut notices: Vec<(u64, String)> = w
        .scan()
        .await
        .into_iter()
        .filter(|i| text(i, "sk") == "NOTICE" && text(i, "domain") == domain)
        .filter(|i| i.contains_key("verification_news"))
        .map(|i| {
            let version = text(&i, "version").parse().unwrap_or(0);
            (version, text(&i, "verification_news"))
        })
        .collect();
    notices.sort();
    notices.into_iter().map(|(_, news)| news).collect()
}

#[tokio::test]
async fn register_pending_reminder_hold_resend_verified_mails_three_times_and_resends_once() {
    // example.com answers 0344 in the help page's camel-case spelling.
    let w = World::start_with(Options {
        status_mails: true,
        scenarios: vec![("example.com".into(), Scenario::CamelCaseVerification)],
        ..Options::default()
    })
    .await;
    let mut order = event("order-paid.json");
    order["detail"]["account"]["email"] = json!(CUSTOMER);
    w.send(&order).await.unwrap();
    w.wait_for_status("example.com", "Registered").await;
    w.wait_for_status("example.de", "Registered").await;
    let handle = w
        .simulator
        .owner_handle("example.com")
        .expect("an owner handle");

    // The registration asked for a check: the sync finds it pending.
    let run = w.sync(hints_only()).await;
    assert_eq!(run["verifications"], 1, "only the gTLD's owner: {run}");
    let item = w.domain("example.com").await.unwrap();
    assert_eq!(text(&item, "owner_verification"), "pending");
    assert_eq!(text(&item, "owner_handle"), handle);
    assert!(
        text(&item, "verification_deadline").ends_with('Z'),
        "{item:?}"
    );
    assert!(text(&item, "verification_email").contains('@'), "{item:?}");
    assert!(!flag(&item, "hold"));
    let lines: Vec<String> = w
        .log("example.com")
        .await
        .iter()
        .filter(|e| text(e, "action") == "sync.verification")
        .map(|e| text(e, "message"))
        .collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("pending") && lines[0].contains(&handle),
        "{lines:?}"
    );
    assert!(
        !w.domain("example.de")
            .await
            .unwrap()
            .contains_key("owner_verification"),
        "a ccTLD owner is not asked for"
    );
    assert_eq!(verification_news(&w, "example.com").await, ["pending"]);

    // The reminder is a hint: asked again, still pending, no mail.
    w.simulator.verification_reminder("example.com").await;
    wait_for_latest_mail(&w).await;
    assert!(
        w.log("example.com")
            .await
            .iter()
            .any(|e| text(e, "message").contains("registry event ocval_reminder")),
        "logged as a registry event"
    );
    let run = w.sync(hints_only()).await;
    assert_eq!(run["verifications"], 1, "{run}");
    assert_eq!(verification_news(&w, "example.com").await, ["pending"]);

    // The window closed: HOLD and failed, one mail.
    w.simulator.deactivate_unverified("example.com").await;
    wait_for_latest_mail(&w).await;
    w.sync(hints_only()).await;
    let item = w.domain("example.com").await.unwrap();
    assert!(flag(&item, "hold"), "{item:?}");
    assert_eq!(text(&item, "owner_verification"), "failed");
    assert_eq!(text(&item, "status"), "Registered", "the status stays");
    assert_eq!(
        verification_news(&w, "example.com").await,
        ["pending", "hold"]
    );

    // Another customer cannot ask; the owner's request, delivered three
    // times, sends one 0349; a second request within 15 minutes is refused.
    let foreign = w.send(&resend("REQ-V0", "CUST-99")).await.unwrap();
    assert!(foreign.to_string().contains("another account"), "{foreign}");
    for _ in 0..3 {
        w.send(&resend("REQ-V1", "CUST-42")).await.unwrap();
    }
    assert_eq!(w.simulator.verification_resends("example.com"), 1);
    let again = w.send(&resend("REQ-V2", "CUST-42")).await.unwrap();
    assert!(again.to_string().contains("15 minutes"), "{again}");
    assert_eq!(w.simulator.verification_resends("example.com"), 1);
    let item = w.domain("example.com").await.unwrap();
    assert_eq!(text(&item, "status"), "Registered");
    assert_eq!(
        w.simulator.tasks_with_code("0349").len(),
        1,
        "one resend reached InterNetX"
    );

    // The resend asked for a check: pending again (no mail), still held.
    w.sync(hints_only()).await;
    let item = w.domain("example.com").await.unwrap();
    assert_eq!(text(&item, "owner_verification"), "pending");
    assert!(flag(&item, "hold"));
    assert_eq!(
        verification_news(&w, "example.com").await,
        ["pending", "hold"]
    );

    // The owner clicks: verified, the hold lifted, one mail.
    w.simulator.verify_owner("example.com");
    w.sync(hints_only()).await;
    let item = w.domain("example.com").await.unwrap();
    assert_eq!(text(&item, "owner_verification"), "verified");
    assert!(!flag(&item, "hold"));
    assert!(!item.contains_key("verification_deadline"), "{item:?}");
    assert_eq!(
        verification_news(&w, "example.com").await,
        ["pending", "hold", "verified"]
    );
    let settled = w.sync(hints_only()).await;
    assert_eq!(
        settled["verifications"], 0,
        "settled: no more asking: {settled}"
    );

    // A verified domain refuses a resend with its reason, sending nothing.
    let verified = w.send(&resend("REQ-V3", "CUST-42")).await.unwrap();
    assert!(
        verified.to_string().contains("verified already"),
        "{verified}"
    );
    assert_eq!(w.simulator.tasks_with_code("0349").len(), 1);

    // A forged deactivation warning changes nothing: only a hint, and
    // InterNetX's 0344 still says verified.
    let forged = "From: AutoDNS <robot@autodns.com>\r\nTo: internetx@inbound.example.net\r\nSubject: x\r\nContent-Type: text/xml\r\n\r\n\
        <response><result><data><message><id>9</id><notify><type>domain_deactivation_warning</type><reason>ocval</reason><deactivation>2026-12-08 10:00:00</deactivation><domain><name>example.com</name></domain></notify></message></data></result></response>";
    let before = w.domain("example.com").await.unwrap();
    w.deliver_mail("inbound/forged-ocval", forged.as_bytes())
        .await
        .unwrap();
    assert_eq!(w.domain("example.com").await.unwrap(), before);
    w.sync(hints_only()).await;
    let after = w.domain("example.com").await.unwrap();
    assert_eq!(text(&after, "owner_verification"), "verified");
    assert!(!flag(&after, "hold"));

    // Exactly three verification mails reach SES, besides the order's
    // three status mails (two registered, one invalid item); refusals and
    // the resend itself mail nothing.
    let app = adapters::wiring::status_mails(
        &w.status_mail_config(e2e::STATUS_MAIL_FROM),
        &w.aws,
        Some(e2e::opening_sealer()),
    );
    let report = e2e::status_mail_run(&app, 200).await;
    assert_eq!(
        verification_news(&w, "example.com").await,
        ["pending", "hold", "verified"]
    );
    assert_eq!(report["sent"], 6, "{report}");
    assert_eq!(w.moto.sent_mail_count().await, 6);
}
