//! The fault matrix. One paid order whose every domain meets a different
//! fault of the gateway or of the mail; after the mails, reconciliation and
//! (where the outcome stayed unknown) an operator's retry, every domain is
//! in its right final status, InterNetX processed exactly one registration
//! per item, reconciliation itself never sent anything, and every fault left
//! an action-log entry that says what happened.

use std::time::Duration;

use e2e::{event, text, Options, World};
use internetx_simulator::Fault;
use registrar::workflows::reconcile::ReconcilePolicy;
use registrar::workflows::retry::Absence;
use serde_json::{json, Value};

struct Case {
    domain: &'static str,
    faults: Vec<Fault>,
    /// Settled by the mail alone, before reconciliation.
    by_mail: bool,
    status: &'static str,
    /// An action that must be in the domain's log.
    logged: &'static str,
    /// …whose message contains this.
    saying: &'static str,
}

fn cases() -> Vec<Case> {
    use Fault::*;
    let case = |domain, faults, by_mail, status, logged, saying| Case {
        domain,
        faults,
        by_mail,
        status,
        logged,
        saying,
    };
    vec![
        case(
            "slow-answer.de",
            // Long enough that the result mail (sent 20 ms after the
            // request) is applied first even with six tests on two cores
            // (1.5 s was not always), and within the world's gateway
            // timeout.
            vec![Slow(Duration::from_millis(3500))],
            true,
            "Registered",
            "gateway.replied",
            "already moved on to Registered",
        ),
        case(
            "timeout-after-accept.de",
            vec![TimeoutAfterAccept],
            true,
            "Registered",
            "gateway.failed",
            "outcome of the registration",
        ),
        case(
            "lost-answer-and-mail.de",
            vec![TimeoutAfterAccept, MailNever],
            false,
            "Registered",
            "reconcile.checked",
            "lists the domain",
        ),
        // Never processed, but the bridge cannot know: it never resends;
        // past the deadline an operator retries (see below).
        case(
            "reset-before.de",
            vec![ResetBeforeProcessing],
            false,
            "Registered",
            "reconcile.checked",
            "never acknowledged",
        ),
        case(
            "reset-after.de",
            vec![ResetAfterProcessing, MailNever],
            false,
            "Registered",
            "reconcile.checked",
            "lists the domain",
        ),
        case(
            "http-500.de",
            vec![ServerError],
            false,
            "Registered",
            "reconcile.checked",
            "never acknowledged",
        ),
        case(
            "http-503.de",
            vec![Unavailable { times: 2 }],
            true,
            "Registered",
            "gateway.replied",
            "after 2 refusal(s) before processing, retried: HTTP 503, HTTP 503",
        ),
        case(
            "malformed-answer.de",
            vec![MalformedAnswer],
            true,
            "Registered",
            "gateway.failed",
            "outcome of the registration",
        ),
        case(
            "mail-never.de",
            vec![MailNever],
            false,
            "Registered",
            "reconcile.checked",
            "lists the domain",
        ),
        case(
            "mail-twice.de",
            vec![MailTwice],
            true,
            "Registered",
            "mail.received",
            "confirmed",
        ),
        case(
            "mail-wrong-domain.de",
            vec![MailWrongDomain],
            false,
            "Registered",
            "mail.received",
            "names other-mail-wrong-domain.de",
        ),
        // Accepted, then the registry refuses, and the mail saying so is lost:
        // no evidence ever comes; given up after the deadline.
        case(
            "registry-refuses.de",
            vec![MailNever],
            false,
            "Error",
            "reconcile.checked",
            "given up",
        ),
    ]
}

fn order(cases: &[Case]) -> Value {
    let mut order = event("order-paid.json");
    let template = order["detail"]["items"][0].clone();
    let items: Vec<Value> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut item = template.clone();
            item["item_id"] = json!(format!("FAULT-{i}"));
            item["domain"] = json!(c.domain);
            item
        })
        .collect();
    order["detail"]["order_id"] = json!("ORD-FAULTS");
    order["detail"]["items"] = json!(items);
    order
}

#[tokio::test]
async fn every_fault_ends_in_the_right_status_without_a_second_registration() {
    let cases = cases();
    let w = World::start_with(Options {
        faults: cases
            .iter()
            .flat_map(|c| c.faults.iter().map(|f| (c.domain.to_owned(), f.clone())))
            .collect(),
        gateway_timeout: Duration::from_secs(5),
        ..Options::default()
    })
    .await;
    w.send(&order(&cases)).await.unwrap();
    for case in cases.iter().filter(|c| c.by_mail) {
        w.wait_for_status(case.domain, case.status).await;
    }

    // Two overlapping runs: whatever one settles, the other leaves alone;
    // neither sends anything.
    let policy = ReconcilePolicy {
        after: time::Duration::ZERO,
        give_up: time::Duration::hours(1),
        stuck_after: time::Duration::days(2),
        batch: 100,
    };
    let requests = w.simulator.tasks_with_code("0101").len();
    let (a, b) = tokio::join!(w.reconcile(policy), w.reconcile(policy));
    assert_eq!(
        w.simulator.tasks_with_code("0101").len(),
        requests,
        "reconciliation never sends: {a} {b}"
    );
    let unknown = ["reset-before.de", "http-500.de"];
    for case in cases
        .iter()
        .filter(|c| c.status == "Registered" && !unknown.contains(&c.domain))
    {
        w.wait_for_status(case.domain, "Registered").await;
    }
    for waiting in ["registry-refuses.de", "reset-before.de", "http-500.de"] {
        let d = w.domain(waiting).await.unwrap();
        assert_eq!(
            text(&d, "status"),
            "Registering",
            "{waiting}: no evidence yet: waits"
        );
    }

    // Past the deadline, what has no evidence is given up, for an operator.
    let late = w
        .reconcile(ReconcilePolicy {
            give_up: time::Duration::ZERO,
            stuck_after: time::Duration::days(2),
            ..policy
        })
        .await;
    assert_eq!(late["given_up"], 3, "{late}");
    // The operator checked at InterNetX (nothing there) and retries: sent
    // once more, processed once in all.
    for domain in unknown {
        assert_eq!(w.simulator.processed(domain, "0101"), 0, "{domain}");
        let name = registrar::DomainName::parse(domain).unwrap();
        w.app
            .registrar
            .retry(&name, Absence::NoJobConfirmed)
            .await
            .unwrap()
            .unwrap();
        w.wait_for_status(domain, "Registered").await;
    }

    for case in &cases {
        let d = w.domain(case.domain).await.unwrap();
        assert_eq!(text(&d, "status"), case.status, "{}", case.domain);
        assert_eq!(
            w.simulator.processed(case.domain, "0101"),
            1,
            "{}: InterNetX processed each registration exactly once",
            case.domain
        );
        let log = w.log(case.domain).await;
        assert!(
            log.iter()
                .any(|e| text(e, "action") == case.logged
                    && text(e, "message").contains(case.saying)),
            "{}: no {} entry saying {:?}: {:#?}",
            case.domain,
            case.logged,
            case.saying,
            log.iter()
                .map(|e| format!("{} {}", text(e, "action"), text(e, "message")))
                .collect::<Vec<_>>()
        );
    }
    // Retried ones: the first request never reached processing.
    for domain in ["reset-before.de", "http-500.de"] {
        let requests: Vec<_> = w
            .simulator
            .tasks_with_code("0101")
            .into_iter()
            .filter(|r| r.domain.as_deref() == Some(domain))
            .map(|r| r.answered)
            .collect();
        assert_eq!(requests.len(), 2, "{domain}: {requests:?}");
        assert_eq!(w.simulator.processed(domain, "0101"), 1);
    }
    // 503 twice, then accepted: three requests, one processed.
    assert_eq!(
        w.simulator
            .tasks_with_code("0101")
            .iter()
            .filter(|r| r.domain.as_deref() == Some("http-503.de"))
            .count(),
        3
    );
    // The repeated mail is a duplicate, the stray one ignored.
    let twice = w.log("mail-twice.de").await;
    assert_eq!(
        twice
            .iter()
            .filter(|e| text(e, "action") == "mail.received")
            .count(),
        1,
        "the copy is not applied twice"
    );
}

/// The rows that follow InterNetX's documented behaviour rather than our
/// assumptions (simulator v2): a transfer runs for "days" absent from domain
/// info, a registry creates slowly, a cancel's mail comes only at expiry, a
/// late final mail contradicts a settlement, a forced retry meets the job
/// still running. In every row InterNetX started each job exactly once and
/// the domain ends in the status InterNetX's own state implies.
#[tokio::test]
async fn documented_behaviour_never_doubles_a_job_and_ends_where_internetx_is() {
    use internetx_simulator::Scenario;
    let w = World::start_with(Options {
        faults: vec![
            ("lost-transfer.com".into(), Fault::TimeoutAfterAccept),
            ("lost-transfer.com".into(), Fault::RegistryPending),
            ("slow-create.de".into(), Fault::TimeoutAfterAccept),
            ("slow-create.de".into(), Fault::RegistryPending),
            ("registry-refuses.de".into(), Fault::RegistryPending),
            ("twice-asked.com".into(), Fault::TimeoutAfterAccept),
            ("twice-asked.com".into(), Fault::RegistryPending),
        ],
        scenarios: vec![
            ("slow-create.de".into(), Scenario::CreateAbsent),
            ("leaving.de".into(), Scenario::CancelMailAtExpiry),
        ],
        gateway_timeout: Duration::from_secs(2),
        ..Options::default()
    })
    .await;
    let transfer = |domain: &str| {
        let mut t = event("domain-requested-transfer-provider.json");
        t["detail"]["request_id"] = json!(format!("REQ-{domain}"));
        t["detail"]["domain"] = json!(domain);
        t
    };
    let register = |domain: &str| {
        let mut r = event("domain-requested-provider.json");
        r["detail"]["request_id"] = json!(format!("REQ-{domain}"));
        r["detail"]["domain"] = json!(domain);
        r
    };
    w.send(&transfer("lost-transfer.com")).await.unwrap();
    w.send(&transfer("twice-asked.com")).await.unwrap();
    for domain in ["slow-create.de", "registry-refuses.de", "leaving.de"] {
        w.send(&register(domain)).await.unwrap();
    }
    w.wait_for_status("leaving.de", "Registered").await;
    let mut cancel = event("cancellation-requested.json");
    cancel["detail"]["domain"] = json!("leaving.de");
    w.send(&cancel).await.unwrap();
    // The lost transfer's intermediate S0104 arrives: InterNetX has it.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !w
        .log("lost-transfer.com")
        .await
        .iter()
        .any(|e| text(e, "code") == "S0104")
    {
        assert!(std::time::Instant::now() < deadline, "no S0104 mail");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Reconciliation: E0105 for the running transfer and the slow create —
    // they wait, nothing is sent; the cancel settles from domain info.
    let policy = ReconcilePolicy {
        after: time::Duration::ZERO,
        give_up: time::Duration::hours(1),
        stuck_after: time::Duration::days(2),
        batch: 100,
    };
    let operations = || {
        w.simulator
            .domain_tasks()
            .iter()
            .filter(|r| r.code.as_deref() != Some("0105"))
            .count()
    };
    let requests = operations();
    let run = w.reconcile(policy).await;
    assert_eq!(
        operations(),
        requests,
        "reconciliation sends nothing: {run}"
    );
    for waiting in ["lost-transfer.com", "slow-create.de", "registry-refuses.de"] {
        let d = w.domain(waiting).await.unwrap();
        assert!(
            text(&d, "status").ends_with("ing"),
            "{waiting} waits: {d:?}"
        );
    }
    w.wait_for_status("leaving.de", "Cancelled").await;

    // The registry finishes: the genuine final mails settle them.
    w.simulator.release("lost-transfer.com").await;
    w.simulator.release("slow-create.de").await;
    w.wait_for_status("lost-transfer.com", "Registered").await;
    w.wait_for_status("slow-create.de", "Registered").await;

    // An operator settles the slow failing one by hand as Registered; the
    // registry's late E0101 contradicts it and re-opens the domain.
    let name = registrar::DomainName::parse("registry-refuses.de").unwrap();
    let lifecycle = registrar::lifecycle::Lifecycle {
        store: &w.store,
        clock: &registrar::ports::SystemClock,
        notices: registrar::lifecycle::NoticePolicy::default(),
        cause: registrar::state_event::Cause::Operator,
    };
    registrar::workflows::retry::resolve(
        &lifecycle,
        &name,
        registrar::Status::Registered,
        "ops",
        "looked fine in AutoDNS",
    )
    .await
    .unwrap()
    .unwrap();
    w.simulator.release("registry-refuses.de").await;
    let reopened = w.wait_for_status("registry-refuses.de", "Error").await;
    assert!(
        text(&reopened, "last_error").contains("re-opened"),
        "{reopened:?}"
    );

    // The transfer whose answer was lost and whose registry step takes
    // "days" is given up; the operator forces a retry, which InterNetX
    // refuses as a duplicate of the job still running; when that job
    // completes, its genuine final mail brings the domain to Registered.
    let late = w
        .reconcile(ReconcilePolicy {
            give_up: time::Duration::ZERO,
            stuck_after: time::Duration::days(2),
            ..policy
        })
        .await;
    assert_eq!(late["given_up"], 1, "{late}");
    let twice = registrar::DomainName::parse("twice-asked.com").unwrap();
    let retried = w
        .app
        .registrar
        .retry(&twice, Absence::NoJobConfirmed)
        .await
        .unwrap()
        .unwrap();
    assert!(
        retried
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("EF01030"),
        "{retried:?}"
    );
    assert_eq!(
        text(&w.domain("twice-asked.com").await.unwrap(), "status"),
        "Error"
    );
    // The job completes: its genuine final mail (for the first ctid)
    // re-opens the domain left in Error. (This once read the status right
    // after the release and expected Error: it passed only while the mail
    // had not been handled yet, and failed when a loaded machine handled
    // it first.)
    w.simulator.release("twice-asked.com").await;
    let _ = w.reconcile(policy).await;
    let done = w.wait_for_status("twice-asked.com", "Registered").await;
    assert_eq!(text(&done, "operation"), "transfer");

    for (domain, code) in [
        ("lost-transfer.com", "0104"),
        ("twice-asked.com", "0104"),
        ("slow-create.de", "0101"),
        ("registry-refuses.de", "0101"),
        ("leaving.de", "0103101"),
    ] {
        assert_eq!(
            w.simulator.jobs_started(domain, code),
            1,
            "{domain}: InterNetX started {code} exactly once"
        );
    }
}
