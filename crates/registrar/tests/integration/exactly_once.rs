//! Reconciliation against InterNetX as it documents itself (protocol audit
//! D1, D2, D10; security review H1, L4): a domain whose transfer still runs
//! is not in domain info (`E0105`), a listed domain is done only with
//! `status` success, a cancelation shows in domain info — and nothing is
//! ever sent twice.

use internetx::TaskKind;
use registrar::deadline::Deadline;
use registrar::event::parse_event;
use registrar::testing::{registrar, MemoryStore, Script, ScriptedGateway, TestClock};
use registrar::workflows::inbound_mail::MailOutcome;
use registrar::workflows::reconcile::ReconcilePolicy;
use registrar::{Registrar, Status};
use serde_json::json;
use time::Duration;

type App = Registrar<MemoryStore, ScriptedGateway, TestClock>;

const POLICY: ReconcilePolicy = ReconcilePolicy {
    after: Duration::hours(1),
    give_up: Duration::days(7),
    stuck_after: Duration::days(2),
    batch: 10,
};

fn owner() -> serde_json::Value {
    json!({"kind": "person", "first_name": "Erika", "last_name": "Muster", "address": ["Heidestr. 17"],
           "postal_code": "51147", "city": "Köln", "country": "DE", "phone": "+49 221 1234567",
           "email": "erika@example.de"})
}

async fn request(app: &App, operation: &str, domain: &str) {
    let event = parse_event(
        "DomainRequested",
        &json!({"request_id": format!("REQ-{domain}"), "operation": operation,
                "account": {"id": "PROV-1", "kind": "provider"}, "domain": domain, "auth_code": "A-1",
                "contacts": {"owner": owner()},
                "nameservers": [{"name": "ns1.provider.net"}, {"name": "ns2.provider.net"}]}),
    )
    .unwrap();
    app.handle(&event).await;
}

fn sent(app: &App, code: &str) -> usize {
    app.gateway
        .operations()
        .iter()
        .filter(|t| t.kind.code() == code)
        .count()
}

/// A result mail for the ctid in flight on `domain`, to its reply address.
async fn result_mail(app: &App, domain: &str, code: &str, kind: &str) -> MailOutcome {
    let record = app.store.domain(domain).unwrap();
    let ctid = record
        .ctid()
        .or(record.last_ctid.as_deref())
        .unwrap()
        .to_owned();
    let raw = registrar::testing::via_ses(&format!(
        "From: robot@autodns.com\r\nTo: {}\r\nSubject: result\r\nContent-Type: text/xml\r\n\r\n\
         <response><result><data><message><job><ctid>{ctid}</ctid><status><code>{code}</code>\
         <text>x</text><type>{kind}</type></status><domain><name>{domain}</name></domain></job>\
         </message></data></result></response>",
        app.reply.for_ctid(&ctid)
    ));
    let inbound = registrar::testing::inbound(&app.store);
    inbound
        .handle(&format!("inbound/{domain}-{code}"), raw.as_bytes())
        .await
        .unwrap()
        .outcome
}

#[tokio::test]
async fn a_transfer_whose_answer_was_lost_is_never_sent_twice() {
    let app = registrar(ScriptedGateway::default().script("moving.com", Script::NoAnswer));
    request(&app, "transfer", "moving.com").await;
    // InterNetX's intermediate S0104 arrives: proof it has the job.
    assert_eq!(
        result_mail(&app, "moving.com", "S0104", "success").await,
        MailOutcome::Applied
    );
    assert!(app
        .store
        .domain("moving.com")
        .unwrap()
        .acknowledged_at
        .is_some());
    // Hours later, still not in domain info (E0105 while the transfer runs).
    app.clock.advance(Duration::hours(3));
    let report = app.reconcile(POLICY, Deadline::none()).await.unwrap();
    assert_eq!((report.checked, report.waiting), (1, 1));
    assert_eq!(sent(&app, "0104"), 1, "never sent twice");
    // Days later the registry finishes: the genuine final mail settles it.
    app.clock.advance(Duration::days(3));
    assert_eq!(
        result_mail(&app, "moving.com", "S0104001", "success").await,
        MailOutcome::Applied
    );
    assert_eq!(
        app.store.domain("moving.com").unwrap().status(),
        Status::Registered
    );
    assert_eq!(sent(&app, "0104"), 1);
}

#[tokio::test]
async fn an_unacknowledged_registration_is_left_to_an_operator_not_resent() {
    let app = registrar(ScriptedGateway::default().script("slow.de", Script::NoAnswer));
    request(&app, "register", "slow.de").await;
    app.clock.advance(Duration::hours(2));
    app.reconcile(POLICY, Deadline::none()).await.unwrap();
    assert_eq!(sent(&app, "0101"), 1);
    assert_eq!(
        app.store.domain("slow.de").unwrap().status(),
        Status::Registering
    );
    app.clock.advance(Duration::days(8));
    let report = app.reconcile(POLICY, Deadline::none()).await.unwrap();
    assert_eq!(report.given_up, 1);
    let record = app.store.domain("slow.de").unwrap();
    assert_eq!(record.status(), Status::Error);
    let why = record.last_error.unwrap();
    assert!(
        why.contains("never acknowledged") && why.contains("Not sent again"),
        "{why}"
    );
    assert!(why.contains("retry --force"), "{why}");
    assert_eq!(sent(&app, "0101"), 1, "nothing sent twice, ever");
}

#[tokio::test]
async fn listed_is_done_only_with_status_success() {
    let app = registrar(ScriptedGateway::default());
    request(&app, "register", "creating.de").await;
    app.gateway.list_as("creating.de", "running", None);
    app.clock.advance(Duration::hours(2));
    app.reconcile(POLICY, Deadline::none()).await.unwrap();
    assert_eq!(
        app.store.domain("creating.de").unwrap().status(),
        Status::Registering
    );
    app.gateway.list("creating.de");
    app.reconcile(POLICY, Deadline::none()).await.unwrap();
    assert_eq!(
        app.store.domain("creating.de").unwrap().status(),
        Status::Registered
    );
}

#[tokio::test]
async fn a_cancel_without_its_mail_settles_from_the_cancelation_in_domain_info() {
    let app = registrar(ScriptedGateway::default());
    request(&app, "register", "leaving.de").await;
    result_mail(&app, "leaving.de", "S0101", "success").await;
    let cancel = parse_event(
        "CancellationRequested",
        &json!({"request_id": "REQ-C", "domain": "leaving.de", "account": {"id": "PROV-1", "kind": "provider"}}),
    )
    .unwrap();
    app.handle(&cancel).await;
    assert_eq!(
        app.store.domain("leaving.de").unwrap().status(),
        Status::Cancelling
    );
    app.gateway.list_as("leaving.de", "success", None);
    app.clock.advance(Duration::hours(2));
    app.reconcile(POLICY, Deadline::none()).await.unwrap();
    assert_eq!(
        app.store.domain("leaving.de").unwrap().status(),
        Status::Cancelling
    );
    app.gateway.list_as("leaving.de", "success", Some("delete"));
    app.reconcile(POLICY, Deadline::none()).await.unwrap();
    assert_eq!(
        app.store.domain("leaving.de").unwrap().status(),
        Status::Cancelled
    );
    let cancels = app
        .gateway
        .operations()
        .iter()
        .filter(|t| matches!(t.kind, TaskKind::CancelationAtExpiry { .. }))
        .count();
    assert_eq!(cancels, 1);
}

#[tokio::test]
async fn a_late_final_mail_that_contradicts_the_settlement_reopens_the_domain() {
    let app = registrar(ScriptedGateway::default());
    request(&app, "transfer", "contested.com").await;
    app.gateway.list("contested.com");
    app.clock.advance(Duration::hours(2));
    app.reconcile(POLICY, Deadline::none()).await.unwrap();
    assert_eq!(
        app.store.domain("contested.com").unwrap().status(),
        Status::Registered
    );
    assert_eq!(
        result_mail(&app, "contested.com", "E0104001", "error").await,
        MailOutcome::Applied
    );
    let record = app.store.domain("contested.com").unwrap();
    assert_eq!(record.status(), Status::Error);
    assert!(record.last_error.unwrap().contains("re-opened"));
    // The same mail again changes nothing more.
    assert_eq!(
        result_mail(&app, "contested.com", "E0104001", "error").await,
        MailOutcome::Duplicate
    );
}

/// A function killed between sending a request and recording its answer
/// (simulated by every try of the answer's write failing): the claim is
/// there, the answer not; nothing is ever sent again, and the mail settles it.
#[tokio::test]
async fn a_request_whose_answer_was_never_recorded_is_not_sent_again() {
    let app = registrar(ScriptedGateway::default());
    app.store
        .fail_commits_after(1, registrar::dispatch::ANSWER_WRITE_ATTEMPTS as usize);
    request(&app, "register", "killed.de").await;
    let record = app.store.domain("killed.de").unwrap();
    assert_eq!(record.status(), Status::Registering);
    assert!(record.stid.is_none(), "the answer was never recorded");
    assert!(!app.store.actions("killed.de").contains(&"gateway.replied"));
    app.clock.advance(Duration::hours(2));
    app.reconcile(POLICY, Deadline::none()).await.unwrap();
    assert_eq!(sent(&app, "0101"), 1, "not sent again");
    assert_eq!(
        result_mail(&app, "killed.de", "S0101", "success").await,
        MailOutcome::Applied
    );
    assert_eq!(
        app.store.domain("killed.de").unwrap().status(),
        Status::Registered
    );
}
