//! Outgoing transfers (issue 17, item 4) against moto and the simulator:
//! InterNetX's `transfer_start` mail asks for a check, the sync answers per
//! the provider's policy (`0106002` ack, nack while locked, or the operator
//! with `internetx-bridge transfer-out`), the answer's result mail settles
//! it, and an acknowledged domain is found gone by the next sweep.

use std::time::Duration;

use e2e::{event, text, Options, World};
use internetx_simulator::Scenario;
use registrar::workflows::sync::{SyncPolicy, TransferOutPolicy};
use serde_json::Value;

pub(crate) fn policy(transfer_out: TransferOutPolicy) -> SyncPolicy {
    SyncPolicy {
        page: 100,
        pages_per_run: 0,
        checks_per_run: 20,
        transfer_out,
    }
}

/// Waits until the mail function has turned the event mails into hints
/// (one `mail.received` line on each domain).
pub(crate) async fn wait_for_event_lines(w: &World, domains: &[&str]) {
    for _ in 0..100 {
        let mut all = true;
        for domain in domains {
            all &= w.log(domain).await.iter().any(|e| {
                text(e, "action") == "mail.received"
                    && text(e, "message").contains("registry event transfer")
            });
        }
        if all {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the transfer_start mails of {domains:?} were not handled");
}

pub(crate) fn answered(w: &World, domain: &str) -> Vec<String> {
    w.simulator
        .requests()
        .into_iter()
        .filter(|r| r.code.as_deref() == Some("0106002") && r.domain.as_deref() == Some(domain))
        .map(|r| r.answered)
        .collect()
}

fn transfers_out(run: &Value) -> Vec<(String, String)> {
    run["transfers_out"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|i| {
            (
                i["domain"].as_str().unwrap_or_default().to_owned(),
                i["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_outgoing_transfer_is_answered_by_policy_or_by_the_operator() {
    // `0106002` is answered `N0106`, then the mail (Processing Transfer-Out
    // Jobs); undocumented variants: quick.com's answer is done at once,
    // asked.com's comes as `N0106002` with a job id; kept.com's nack ends
    // with the documented `E0106` (D22).
    let w = World::start_with(Options {
        scenarios: vec![
            ("quick.com".into(), Scenario::TransferOutAnsweredAtOnce),
            ("asked.com".into(), Scenario::TransferOutJobAnswer),
        ],
        fail_async: vec!["kept.com/0106002".into()],
        ..Options::default()
    })
    .await;
    let names = [
        "goes.com",
        "quick.com",
        "stale.com",
        "kept.com",
        "asked.com",
    ];
    w.simulator.seed_domains(names.map(str::to_owned));
    let (ok, _, err) = w.cli(&["import", "--account", "PROV-1", "--apply"]).await;
    assert!(ok, "{err}");

    // Ack: a genuine transfer_start, delivered twice (SES redelivers), and
    // a forged one for a domain nobody asked for.
    w.simulator.start_transfer_out("goes.com", "greg").await;
    let key = w.first_mail_key().await;
    let raw = w.mail_bytes(&key).await;
    w.deliver_mail(&key, &raw).await.unwrap();
    let forged = "From: AutoDNS <robot@autodns.com>\r\nTo: internetx@inbound.example.net\r\nSubject: x\r\nContent-Type: text/xml\r\n\r\n\
        <response><result><data><message><id>1</id><notify><domain><name>stale.com</name></domain><transfer><gaining_registrar>evil</gaining_registrar></transfer></notify></message></data></result></response>";
    w.deliver_mail("inbound/forged-transfer", forged.as_bytes())
        .await
        .unwrap();
    w.simulator.start_transfer_out("quick.com", "greg").await;
    wait_for_event_lines(&w, &["goes.com", "quick.com", "stale.com"]).await;
    let run = w.sync(policy(TransferOutPolicy::Ack)).await;
    let mut outcomes = transfers_out(&run);
    outcomes.sort();
    assert_eq!(
        outcomes,
        [
            ("goes.com".to_owned(), "accepted".to_owned()),
            ("quick.com".to_owned(), "completed".to_owned()),
            ("stale.com".to_owned(), "refused".to_owned())
        ],
        "{run}"
    );
    assert_eq!(answered(&w, "goes.com"), ["N0106"]);
    // The forged report is checked with InterNetX (0106001), which shows no
    // transfer pending: nothing is answered, and nobody is asked to.
    assert!(answered(&w, "stale.com").is_empty());
    assert_eq!(
        w.simulator
            .tasks_with_code("0106001")
            .iter()
            .filter(|r| r.domain.as_deref() == Some("stale.com"))
            .count(),
        1
    );
    let stale = w.domain("stale.com").await.unwrap();
    assert_eq!(
        text(&stale, "status"),
        "Registered",
        "a forged report changes nothing"
    );
    assert!(text(&stale, "last_error").is_empty(), "{stale:?}");
    assert!(
        w.log("stale.com").await.iter().any(|e| {
            text(e, "action") == "sync.transfer_out" && text(e, "message").contains("none pending")
        }),
        "the check's answer is logged"
    );
    // The answer's result mail settles it; InterNetX lets the domain go and
    // the next sweep finds it gone. Nothing was answered twice.
    w.wait_for_status("goes.com", "Registered").await;
    assert!(!w.simulator.holds("goes.com"));
    w.sync(SyncPolicy {
        pages_per_run: 3,
        ..policy(TransferOutPolicy::Ack)
    })
    .await;
    w.wait_for_status("goes.com", "TransferredAway").await;
    w.wait_for_status("quick.com", "TransferredAway").await;
    assert_eq!(answered(&w, "goes.com").len(), 1);
    assert_eq!(answered(&w, "quick.com"), ["S0106002"]);

    // Nack while locked: the lock set through the control center first.
    let mut lock = event("transfer-lock-change-requested.json");
    lock["detail"]["domain"] = "kept.com".into();
    w.send(&lock).await.unwrap();
    let kept = w.wait_for_status("kept.com", "Registered").await;
    assert_eq!(text(&kept, "locked"), "true", "{kept:?}");
    w.simulator.start_transfer_out("kept.com", "greg").await;
    wait_for_event_lines(&w, &["kept.com"]).await;
    let nack = TransferOutPolicy::NackWhileLocked {
        reason: internetx::NackReason::WrittenObjection,
    };
    w.sync(policy(nack)).await;
    assert_eq!(answered(&w, "kept.com"), ["N0106"]);
    let sent = w
        .simulator
        .requests()
        .into_iter()
        .find(|r| r.code.as_deref() == Some("0106002") && r.domain.as_deref() == Some("kept.com"))
        .unwrap();
    assert!(
        sent.xml.contains("<type>nack</type>") && sent.xml.contains("<nack_reason>6</nack_reason>"),
        "{}",
        sent.xml
    );
    let kept = w.wait_for_status("kept.com", "Registered").await;
    assert!(w.simulator.holds("kept.com") && !w.simulator.transfer_out_pending("kept.com"));
    // E0106 after the nack: the domain stayed, as the nack asked — no
    // failure in the log or in last_error.
    assert!(text(&kept, "last_error").is_empty(), "{kept:?}");
    let ended = w.log("kept.com").await;
    assert!(
        ended.iter().any(|e| text(e, "outcome") == "ok"
            && text(e, "message").contains("E0106")
            && text(e, "message").contains("intended end of a nack")),
        "{ended:?}"
    );
    assert!(
        !ended
            .iter()
            .any(|e| text(e, "message").contains("transfer-out answer of kept.com failed")),
        "{ended:?}"
    );

    // The operator's call: the sync only logs, the CLI answers.
    w.simulator.start_transfer_out("asked.com", "greg").await;
    wait_for_event_lines(&w, &["asked.com"]).await;
    let run = w.sync(policy(TransferOutPolicy::Operator)).await;
    assert_eq!(
        transfers_out(&run),
        [("asked.com".to_owned(), "refused".to_owned())]
    );
    assert!(answered(&w, "asked.com").is_empty());
    assert!(w
        .log("asked.com")
        .await
        .iter()
        .any(|e| text(e, "action") == "sync.transfer_out"
            && text(e, "message").contains("internetx-bridge transfer-out asked.com")));
    let (ok, out, err) = w.cli(&["transfer-out", "asked.com", "nack"]).await;
    assert!(!ok && err.contains("--reason"), "{out}{err}");
    // A text reason InterNetX would refuse is refused before sending (D19).
    let (ok, out, err) = w
        .cli(&[
            "transfer-out",
            "asked.com",
            "nack",
            "--reason",
            "holder objects",
        ])
        .await;
    assert!(!ok && err.contains("1 (fraud)"), "{out}{err}");
    assert!(answered(&w, "asked.com").is_empty());
    let (ok, out, err) = w
        .cli(&["transfer-out", "asked.com", "nack", "--reason", "fraud"])
        .await;
    assert!(ok && out.contains("accepted"), "{out}{err}");
    assert_eq!(answered(&w, "asked.com"), ["N0106002"]);
    w.wait_for_status("asked.com", "Registered").await;
    assert!(!w.simulator.transfer_out_pending("asked.com"));
    // Nothing pending any more: InterNetX refuses, the CLI says so.
    let (ok, _, err) = w.cli(&["transfer-out", "asked.com", "ack"]).await;
    assert!(!ok && err.contains("rejected"), "{err}");
    assert!(w.simulator.holds("asked.com"));
    assert_eq!(
        text(&w.domain("asked.com").await.unwrap(), "status"),
        "Registered"
    );
}
