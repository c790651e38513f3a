//! Mail from anyone (security review H3, M1): without a reply token a mail
//! can only hint — it never changes a domain item, writes at most one
//! bounded, printable log line per domain and hour, and costs little
//! however it is built.

use std::time::Instant;

use registrar::ports::DomainStore;
use registrar::testing::{in_flight_record, seed, MemoryStore, TestClock};
use registrar::workflows::inbound_mail::{Inbound, MailOutcome};
use registrar::Operation;

async fn inbound() -> Inbound<MemoryStore, TestClock> {
    let store = MemoryStore::default();
    let at = time::macros::datetime!(2026-11-29 09:00 UTC);
    let record = in_flight_record("victim.de", Operation::Register, "ib-1", at);
    store.commit(&seed(record, None)).await.unwrap();
    registrar::testing::inbound(store)
}

fn mail(body: &str) -> Vec<u8> {
    format!(
        "From: attacker@evil.example\r\nTo: nobody@inbound.example.net\r\nSubject: x\r\nContent-Type: text/xml\r\n\r\n{body}"
    )
    .into_bytes()
}

#[tokio::test]
async fn registry_events_without_a_token_never_change_the_domain() {
    let inbound = inbound().await;
    let before = inbound.store.domain("victim.de").unwrap();
    let escape = "domain_away&#27;[2J&#27;]52;c;QUFBQQ==&#7;";
    let messages: String = (0..2_000)
        .map(|_| format!("<message><notify><domain><name>victim.de</name></domain><type>{escape}</type></notify></message>"))
        .collect();
    let raw = mail(&format!(
        "<response><result><data>{messages}</data></result></response>"
    ));
    let verdict = inbound.handle("inbound/evil-1", &raw).await.unwrap();
    assert_eq!(verdict.outcome, MailOutcome::Ignored);
    assert!(
        verdict.reason.contains("only the first 16"),
        "{}",
        verdict.reason
    );
    // And a second such mail in the same hour adds nothing either.
    inbound.handle("inbound/evil-2", &raw).await.unwrap();

    assert_eq!(
        inbound.store.domain("victim.de").unwrap(),
        before,
        "item untouched"
    );
    let log = inbound.store.log("victim.de");
    assert_eq!(log.len(), 1, "one line per domain and hour");
    let line = &log[0];
    assert!(!line.message.contains('\u{1b}') && !line.message.contains('\u{7}'));
    assert!(!line.code.as_deref().unwrap_or_default().contains('\u{1b}'));
    assert!(line.message.len() < 300, "{}", line.message);
}

#[tokio::test]
async fn a_flood_of_ctids_and_recipients_is_checked_in_bounded_time() {
    let inbound = inbound().await;
    let recipients: String = (0..5_000)
        .map(|i| format!("To: internetx+{i:032x}@inbound.example.net\r\n"))
        .collect();
    let transactions: String = (0..5_000)
        .map(|i| format!("\ttransaction: ib-{i}\n"))
        .collect();
    let raw = format!(
        "From: attacker@evil.example\r\n{recipients}Subject: x\r\n\r\n<system>\n\tuser: x\n\ttask: 0101\n\tstatus: S0101 [done]\n{transactions}</system>\n"
    );
    let started = Instant::now();
    let verdict = inbound
        .handle("inbound/flood", raw.as_bytes())
        .await
        .unwrap();
    assert!(started.elapsed().as_secs() < 5, "{:?}", started.elapsed());
    assert_ne!(verdict.outcome, MailOutcome::Applied);
    assert_eq!(inbound.store.commits(), 1, "only the seed was written");
}

/// Security review L3: the sender allow-list goes by SES's SPF/DKIM
/// verdicts, not by the `From:` a sender writes.
#[tokio::test]
async fn the_sender_allow_list_trusts_ses_verdicts_not_from() {
    let mut inbound = inbound().await;
    inbound.config.allowed_senders = vec!["@autodns.com".into()];
    let spoofed =
        "From: robot@autodns.com\r\nTo: nobody@inbound.example.net\r\nSubject: x\r\n\r\nhello";
    let verdict = inbound
        .handle("inbound/spoofed", spoofed.as_bytes())
        .await
        .unwrap();
    assert_eq!(verdict.outcome, MailOutcome::Quarantined);
    assert!(
        verdict.reason.contains("did not authenticate"),
        "{}",
        verdict.reason
    );

    let genuine = format!(
        "Authentication-Results: amazonses.com; spf=pass (spfCheck: ok) client-ip=1.2.3.4; envelope-from=robot@autodns.com; dkim=pass header.i=@autodns.com;\r\n{spoofed}"
    );
    let verdict = inbound
        .handle("inbound/genuine", genuine.as_bytes())
        .await
        .unwrap();
    assert!(!verdict.reason.contains("allow list"), "{}", verdict.reason);
}
