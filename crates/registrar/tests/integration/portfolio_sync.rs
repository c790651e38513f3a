//! The portfolio sync against in-memory ports (issue 16): bounded runs that
//! resume, dates and drift recorded, domains gone from the account found by
//! domain info, registry events only as triggers of that check, import.

use registrar::deadline::Deadline;
use registrar::lifecycle::NoticePolicy;
use registrar::ports::DomainStore;
use registrar::record::AccountKind;
use registrar::testing::{
    in_flight_record, registrar, seed, MemoryStore, ScriptedGateway, TestClock,
};
use registrar::workflows::inbound_mail::{Inbound, MailOutcome};
use registrar::workflows::sync::{SyncPolicy, TransferOutPolicy};
use registrar::{DomainRecord, Operation, Registrar, Status};

type App = Registrar<MemoryStore, ScriptedGateway, TestClock>;

const POLICY: SyncPolicy = SyncPolicy {
    page: 10,
    pages_per_run: 2,
    checks_per_run: 5,
    transfer_out: TransferOutPolicy::Operator,
};

fn registered(domain: &str) -> DomainRecord {
    let at = time::macros::datetime!(2026-11-01 09:00 UTC);
    let mut record = in_flight_record(domain, Operation::Register, "ib-x", at);
    record = registrar::lifecycle::settled_as(record, Status::Registered);
    record.notify_email = Some("owner@customer.example".into());
    record
}

async fn app_with(domains: &[&str], listed: &[&str]) -> App {
    let app = registrar(ScriptedGateway::default());
    for d in domains {
        app.store.commit(&seed(registered(d), None)).await.unwrap();
    }
    for d in listed {
        app.gateway.list(d);
    }
    app
}

#[tokio::test]
async fn runs_resume_where_the_last_stopped_and_date_every_domain() {
    let names: Vec<String> = (0..25).map(|i| format!("d{i:02}.com")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let app = app_with(&refs, &refs).await;
    let first = app.sync(POLICY, Deadline::none()).await.unwrap();
    assert_eq!(
        (first.requests, first.recorded, first.sweep_completed),
        (2, 20, false)
    );
    let second = app.sync(POLICY, Deadline::none()).await.unwrap();
    assert_eq!((second.recorded, second.gone), (5, 0));
    assert!(second.sweep_completed, "{second:?}");
    for name in &names {
        let r = app.store.domain(name).unwrap();
        assert_eq!(
            r.portfolio.expires_at.as_deref(),
            Some("2027-03-01T11:00:00Z"),
            "{name}"
        );
        assert_eq!(
            r.portfolio.payable_at.as_deref(),
            Some("2027-02-15T11:00:00Z")
        );
        assert!(r.portfolio.synced_at.is_some());
        assert_eq!(r.status(), Status::Registered);
    }
    // A new sweep starts from the top.
    let third = app.sync(POLICY, Deadline::none()).await.unwrap();
    assert_eq!(third.recorded, 20);
}

#[tokio::test]
async fn a_domain_missing_from_the_list_is_checked_and_found_gone() {
    let app = app_with(
        &["kept.com", "away.com", "ending.com", "mine-running.com"],
        &["kept.com"],
    )
    .await;
    let mut cancelled = registered("ending.com");
    cancelled = registrar::lifecycle::settled_as(cancelled, Status::Cancelled);
    cancelled.portfolio.cancel_at = Some("2026-11-15T00:00:00Z".into());
    let current = app.store.domain("ending.com").unwrap();
    app.store
        .commit(&seed(cancelled, Some(current.version())))
        .await
        .unwrap();
    let at = time::macros::datetime!(2026-11-29 09:00 UTC);
    let running = in_flight_record("mine-running.com", Operation::Transfer, "ib-r", at);
    let current = app.store.domain("mine-running.com").unwrap();
    app.store
        .commit(&seed(running, Some(current.version())))
        .await
        .unwrap();

    let report = app.sync(POLICY, Deadline::none()).await.unwrap();
    assert!(report.sweep_completed, "{report:?}");
    assert_eq!(report.gone, 2);
    assert_eq!(
        app.store.domain("away.com").unwrap().status(),
        Status::TransferredAway
    );
    assert_eq!(
        app.store.domain("ending.com").unwrap().status(),
        Status::Deleted
    );
    assert_eq!(
        app.store.domain("mine-running.com").unwrap().status(),
        Status::Transferring,
        "our own transfer is absent until done, never 'gone'"
    );
    let line = app
        .store
        .log("away.com")
        .into_iter()
        .find(|e| e.action == "sync.checked")
        .unwrap();
    assert!(
        line.message.contains("E0105") && line.message.contains("transferred"),
        "{}",
        line.message
    );
    let notices: Vec<Status> = app
        .store
        .notices()
        .iter()
        .map(|n| n.notice.status)
        .collect();
    assert!(
        notices.contains(&Status::TransferredAway) && notices.contains(&Status::Deleted),
        "{notices:?}"
    );
}

#[tokio::test]
async fn drift_is_recorded_once_with_its_cancel_date() {
    let app = app_with(&["cancelled-elsewhere.com"], &[]).await;
    app.gateway
        .list_as("cancelled-elsewhere.com", "success", Some("delete"));
    app.sync(POLICY, Deadline::none()).await.unwrap();
    let r = app.store.domain("cancelled-elsewhere.com").unwrap();
    assert_eq!(
        r.portfolio.cancel_at.as_deref(),
        Some("2027-03-01T11:00:00Z")
    );
    assert!(
        r.portfolio.drift.as_deref().unwrap().contains("never sent"),
        "{:?}",
        r.portfolio.drift
    );
    assert_eq!(
        r.status(),
        Status::Registered,
        "drift is reported, not acted on"
    );
    app.sync(POLICY, Deadline::none()).await.unwrap();
    app.sync(POLICY, Deadline::none()).await.unwrap();
    let drift_lines = app
        .store
        .log("cancelled-elsewhere.com")
        .iter()
        .filter(|e| e.action == "sync.drift")
        .count();
    assert_eq!(drift_lines, 1, "the same drift is said once");
}

fn event_mail(domain: &str) -> Vec<u8> {
    format!(
        "From: AutoDNS <robot@autodns.com>\r\nTo: internetx@inbound.example.net\r\nSubject: x\r\nContent-Type: text/xml\r\n\r\n\
         <response><result><data><message><id>9</id><notify><type>domain_away</type><domain><name>{domain}</name></domain></notify></message></data></result></response>"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_registry_event_only_asks_for_a_check_and_the_check_decides() {
    let app = app_with(
        &["forged.com", "really-away.com"],
        &["forged.com", "really-away.com"],
    )
    .await;
    let inbound = Inbound {
        notices: NoticePolicy { enabled: true },
        ..registrar::testing::inbound(&app.store)
    };
    for domain in ["forged.com", "really-away.com"] {
        let verdict = inbound
            .handle(&format!("inbound/{domain}"), &event_mail(domain))
            .await
            .unwrap();
        assert_eq!(verdict.outcome, MailOutcome::Ignored);
        assert_eq!(
            app.store.domain(domain).unwrap().status(),
            Status::Registered,
            "the mail itself changes nothing"
        );
    }
    assert_eq!(app.store.pending_hints().len(), 2);
    // InterNetX: only one of them really left.
    app.gateway.unlist("really-away.com");
    let report = app
        .sync(
            SyncPolicy {
                pages_per_run: 0,
                ..POLICY
            },
            Deadline::none(),
        )
        .await
        .unwrap();
    assert_eq!((report.hints, report.gone), (2, 1));
    assert_eq!(
        app.store.domain("forged.com").unwrap().status(),
        Status::Registered
    );
    assert_eq!(
        app.store.domain("really-away.com").unwrap().status(),
        Status::TransferredAway
    );
    assert!(app.store.pending_hints().is_empty());
}

#[tokio::test]
async fn import_adopts_what_the_table_lacks_once_and_a_dry_run_writes_nothing() {
    let app = app_with(&["known.com"], &["known.com", "new-a.com", "new-b.com"]).await;
    let before = app.store.domain("known.com").unwrap();
    let dry = app
        .import("PROV-1", AccountKind::Provider, 2, false)
        .await
        .unwrap();
    assert_eq!(dry.adopted, ["new-a.com", "new-b.com"]);
    assert!(app.store.domain("new-a.com").is_none());
    let applied = app
        .import("PROV-1", AccountKind::Provider, 2, true)
        .await
        .unwrap();
    assert_eq!((applied.adopted.len(), applied.known), (2, 1));
    let adopted = app.store.domain("new-b.com").unwrap();
    assert_eq!(
        (adopted.status(), adopted.operation),
        (Status::Registered, Operation::Import)
    );
    assert_eq!(adopted.account_id, "PROV-1");
    assert_eq!(
        adopted.portfolio.expires_at.as_deref(),
        Some("2027-03-01T11:00:00Z")
    );
    assert_eq!(
        app.store.actions("new-b.com"),
        ["domain.imported", "status.changed"]
    );
    assert_eq!(
        app.store.domain("known.com").unwrap(),
        before,
        "never touches a known domain"
    );
    let again = app
        .import("PROV-1", AccountKind::Provider, 2, true)
        .await
        .unwrap();
    assert!(again.adopted.is_empty() && again.known == 3, "{again:?}");
}

/// N18: a customer gets only the domains named for it; on b12f8b7 one
/// `import --kind customer` adopted the whole unimported portfolio.
#[tokio::test]
async fn a_customer_import_adopts_only_the_domains_named_for_it() {
    let app = app_with(&[], &["mine.com", "theirs.com", "other.com"]).await;
    let whole = app
        .import("CUST-1", AccountKind::Customer, 2, true)
        .await
        .unwrap();
    assert!(whole.adopted.is_empty(), "{whole:?}");
    assert!(whole.problems[0].contains("only the domains named"));
    assert_eq!(whole.requests, 0, "InterNetX not even asked");
    assert!(app.store.domain("mine.com").is_none());

    let only: std::collections::HashSet<String> = ["mine.com".to_owned()].into();
    let named = app
        .import_watched(
            "CUST-1",
            AccountKind::Customer,
            Some(&only),
            2,
            true,
            &mut |_| {},
        )
        .await
        .unwrap();
    assert_eq!((named.adopted.len(), named.outside), (1, 2), "{named:?}");
    assert_eq!(app.store.domain("mine.com").unwrap().account_id, "CUST-1");
    assert!(app.store.domain("theirs.com").is_none());
}

/// D23: import adopts only finished domains (a list asks for `status`; a job
/// that still runs or failed is no `Registered` domain yet). On b12f8b7 a
/// listed domain was adopted whatever its status.
#[tokio::test]
async fn import_adopts_only_domains_whose_job_is_done() {
    let app = app_with(&[], &["done.com"]).await;
    app.gateway.list_as("running.com", "running", None);
    app.gateway.list_as("failed.com", "failed", None);
    let report = app
        .import("PROV-1", AccountKind::Provider, 10, true)
        .await
        .unwrap();
    assert_eq!(report.adopted, ["done.com"]);
    assert_eq!(
        report.unfinished,
        ["failed.com (failed)", "running.com (running)"]
    );
    assert!(app.store.domain("running.com").is_none());
    let asked = app.gateway.seen();
    let xml = asked[0].to_xml(&internetx::Envelope::new(internetx::Credentials {
        user: "u".into(),
        password: internetx::Secret::new("p"),
        context: "4".into(),
    }));
    assert!(xml.contains("<key>status</key>"), "{xml}");
}

/// D23: a gateway that caps a page below the `limit` asked (none is
/// documented) neither ends the import after one page nor makes the sweep
/// take the rest for absent: the list's `summary` says where it ends. On
/// b12f8b7 a short page ended both.
#[tokio::test]
async fn a_capped_list_is_read_to_its_end() {
    let names: Vec<String> = (0..7).map(|i| format!("c{i}.com")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let app = app_with(&[], &refs).await;
    app.gateway.cap_list(3);
    let report = app
        .import("PROV-1", AccountKind::Provider, 10, true)
        .await
        .unwrap();
    assert_eq!(report.adopted.len(), 7, "{report:?}");
    assert_eq!(report.requests, 3);
    let run = app
        .sync(
            SyncPolicy {
                page: 10,
                pages_per_run: 10,
                ..POLICY
            },
            Deadline::none(),
        )
        .await
        .unwrap();
    assert!(run.sweep_completed, "{run:?}");
    assert_eq!((run.recorded, run.gone), (7, 0), "{run:?}");
    assert!(
        app.gateway
            .seen()
            .iter()
            .all(|t| !matches!(t.kind, internetx::TaskKind::DomainInfo { .. })),
        "no domain was checked one by one as absent"
    );
}

/// Sweeps until one completes.
async fn sweep(app: &App, policy: &SyncPolicy) {
    for _ in 0..100 {
        if app
            .sync(policy.clone(), Deadline::none())
            .await
            .unwrap()
            .sweep_completed
        {
            return;
        }
    }
    panic!("no sweep completed");
}

/// Issue 29 §1: a sweep of a 2,500-domain account owes one storefront
/// event per domain that changed (25 drifted, 5 vanished) and no other;
/// the next sweep, with nothing changed, owes none.
#[tokio::test]
async fn a_sweep_owes_one_event_per_changed_domain_and_the_next_none() {
    use registrar::testing::RecordingBus;
    use registrar::workflows::publish_events::Publisher;
    let names: Vec<String> = (0..2_500).map(|i| format!("d{i:04}.com")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut app = app_with(&refs, &refs).await;
    app.cause = registrar::state_event::Cause::Sync;
    let policy = SyncPolicy {
        page: 100,
        pages_per_run: 30,
        checks_per_run: 50,
        transfer_out: TransferOutPolicy::Operator,
    };
    let publisher = Publisher {
        outbox: &app.store,
        bus: RecordingBus::default(),
        clock: TestClock::default(),
    };
    let published = || async { publisher.run_within(Deadline::none()).await.unwrap() };
    // The first sweep dates every domain: each learns its expiry.
    sweep(&app, &policy).await;
    assert_eq!(published().await.published, 2_500);
    for name in &names[..25] {
        app.gateway.list_as(name, "success", Some("delete"));
    }
    for name in &names[25..30] {
        app.gateway.unlist(name);
    }
    sweep(&app, &policy).await;
    let report = published().await;
    assert_eq!(report.published, 30, "25 drifted and 5 vanished domains");
    let sent = publisher.bus.sent();
    let last: Vec<_> = sent[sent.len() - 30..].to_vec();
    assert_eq!(
        last.iter()
            .filter(|e| e.status_to == "TransferredAway")
            .count(),
        5
    );
    assert!(last
        .iter()
        .filter(|e| e.status_to == "Registered")
        .all(|e| e.cancel_at.is_some() && e.cause == registrar::state_event::Cause::Sync));
    sweep(&app, &policy).await;
    assert_eq!(published().await.published, 0, "nothing changed");
}

#[tokio::test]
async fn an_owner_verification_check_internetx_could_not_answer_is_asked_again() {
    let mut owned = registered("owned.com");
    owned.portfolio.owner_handle = Some("H-7".into());
    let app = registrar(ScriptedGateway::default());
    app.store.commit(&seed(owned, None)).await.unwrap();
    app.gateway.list("owned.com");
    let inbound = registrar::testing::inbound(&app.store);
    let reminder = String::from_utf8(event_mail("owned.com"))
        .unwrap()
        .replace("domain_away", "ocval_reminder");
    inbound
        .handle("inbound/ocval", reminder.as_bytes())
        .await
        .unwrap();
    let hints_only = SyncPolicy {
        pages_per_run: 0,
        ..POLICY
    };
    app.gateway
        .answer_code("owned.com", "0344", registrar::testing::Script::Unreachable);
    let report = app
        .sync(hints_only.clone(), Deadline::none())
        .await
        .unwrap();
    assert_eq!((report.hints, report.verifications), (0, 0), "{report:?}");
    assert!(report
        .problems
        .iter()
        .any(|p| p.contains("0344") && p.contains("H-7")));
    assert_eq!(app.store.pending_hints().len(), 1, "kept for the next run");
    // Answered (here refused): the check is done, the hint gone.
    app.gateway
        .answer_code("owned.com", "0344", registrar::testing::Script::Refuse);
    let report = app.sync(hints_only, Deadline::none()).await.unwrap();
    assert_eq!(report.hints, 1, "{report:?}");
    assert!(app.store.pending_hints().is_empty());
    let asked: Vec<_> = app
        .gateway
        .seen()
        .into_iter()
        .filter(|t| t.kind.code() == "0344")
        .collect();
    assert_eq!(asked.len(), 2);
}
