//! Every mail of `events/mail/` through the mail function: the right tag,
//! and only the genuine ones change a domain.

use e2e::{events_dir, text, World};
use registrar::ports::DomainStore;
use registrar::testing;
use registrar::{DomainRecord, Operation, Status};
use serde_json::Value;

fn seeded(domain: &str, operation: Operation, ctid: &str) -> DomainRecord {
    testing::in_flight_record(domain, operation, ctid, time::OffsetDateTime::now_utc())
}

#[tokio::test]
async fn every_corpus_mail_gets_its_outcome() {
    let w = World::without_mail().await;
    let dir = events_dir().join("mail");
    let manifest: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest.len() >= 15);
    for entry in &manifest {
        if let Some(seed) = entry["seed"].as_object() {
            let op: Operation = seed["operation"].as_str().unwrap().parse().unwrap();
            let record = seeded(
                seed["domain"].as_str().unwrap(),
                op,
                seed["ctid"].as_str().unwrap(),
            );
            w.store.commit(&testing::seed(record, None)).await.unwrap();
        }
    }
    let mut problems = Vec::new();
    for entry in &manifest {
        let file = entry["file"].as_str().unwrap();
        let raw = std::fs::read(dir.join(file)).unwrap();
        let key = format!("inbound/corpus/{file}");
        let answer = w
            .deliver_mail(&key, &raw)
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let tag = w.mail_tag(&key).await.unwrap_or_default();
        if tag != entry["expect_tag"].as_str().unwrap() {
            problems.push(format!(
                "{file}: tag {tag}, expected {} ({answer})",
                entry["expect_tag"]
            ));
        }
        if let (Some(seed), Some(expected)) =
            (entry["seed"].as_object(), entry["expect_status"].as_str())
        {
            let domain = seed["domain"].as_str().unwrap();
            let status = text(&w.domain(domain).await.unwrap(), "status");
            if status != expected {
                problems.push(format!("{file}: {domain} is {status}, expected {expected}"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");

    // The failed registration names the registry's reason.
    let two = w.domain("corpus-two.de").await.unwrap();
    assert!(text(&two, "last_error").contains("owner contact rejected"));
    // The registry event is in the domain's log, not acted on.
    let log = w.log("corpus-twelve.com").await;
    assert!(log
        .iter()
        .any(|e| text(e, "action") == "mail.received" && text(e, "outcome") == "ignored"));
    // Quarantined mails wrote nothing to the domain's log.
    assert!(w.log("corpus-six.de").await.is_empty());
    // Only a genuine mail that moved a domain owes the storefront an event
    // (issue 29): forged, tokenless and foreign mails publish nothing.
    let moved: Vec<&str> = manifest
        .iter()
        .filter(|e| e["expect_tag"] == "applied")
        .filter_map(|e| {
            let domain = e["seed"]["domain"].as_str()?;
            let pending = e["seed"]["operation"]
                .as_str()?
                .parse::<Operation>()
                .ok()?
                .pending_status();
            (e["expect_status"].as_str()? != pending.as_str()).then_some(domain)
        })
        .collect();
    let owed: Vec<String> = w
        .scan()
        .await
        .iter()
        .filter(|i| text(i, "pk").starts_with("OUTBOX#"))
        .map(|i| text(i, "domain"))
        .collect();
    assert!(!owed.is_empty());
    for domain in &owed {
        assert!(
            moved.contains(&domain.as_str()),
            "{domain} owes an event: {moved:?}"
        );
    }
    assert_eq!(
        Status::Registering.as_str(),
        text(&w.domain("corpus-eight.de").await.unwrap(), "status")
    );
}

#[tokio::test]
async fn a_mail_above_the_size_limit_is_not_parsed() {
    let w = World::without_mail().await;
    let mut raw =
        std::fs::read(events_dir().join("mail/registration-success-inline-qp.eml")).unwrap();
    raw.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024 + 1));
    let answer = w.deliver_mail("inbound/huge.eml", &raw).await.unwrap();
    assert_eq!(answer["mails"][0]["outcome"], "failed");
    assert!(answer["mails"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("not parsed"));
    assert_eq!(
        w.mail_tag("inbound/huge.eml").await.as_deref(),
        Some("failed")
    );
}

#[tokio::test]
async fn objects_outside_the_inbound_prefix_or_bucket_are_left_alone() {
    let w = World::without_mail().await;
    let raw = std::fs::read(events_dir().join("mail/not-internetx.eml")).unwrap();
    let answer = w.deliver_mail("elsewhere/x.eml", &raw).await.unwrap();
    assert_eq!(answer["mails"].as_array().unwrap().len(), 0);
    assert_eq!(w.mail_tag("elsewhere/x.eml").await, None);
    let foreign = internetx_simulator::mailer::s3_event("other-bucket", "inbound/x.eml", 1);
    let answer = w.run_mail_event(foreign).await.unwrap();
    assert_eq!(answer["mails"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn keys_are_url_decoded() {
    let w = World::without_mail().await;
    let raw = std::fs::read(events_dir().join("mail/not-internetx.eml")).unwrap();
    let answer = w
        .deliver_mail("inbound/with space+plus.eml", &raw)
        .await
        .unwrap();
    assert_eq!(answer["mails"][0]["key"], "inbound/with space+plus.eml");
    assert_eq!(
        w.mail_tag("inbound/with space+plus.eml").await.as_deref(),
        Some("ignored")
    );
}
