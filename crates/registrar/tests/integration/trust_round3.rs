//! Security review 3 (main at b12f8b7), the review's proof tests inverted:
//! each of these passed while its defect was present and fails on b12f8b7.

use registrar::deadline::Deadline;
use registrar::event::{parse_dead_letter, parse_event};
use registrar::report::ItemOutcome;
use registrar::testing::{registrar, MemoryStore, Script, ScriptedGateway, TestClock};
use registrar::workflows::inbound_mail::MailOutcome;
use registrar::workflows::reconcile::ReconcilePolicy;
use registrar::workflows::retry::Absence;
use registrar::{DomainName, Registrar, Status};
use serde_json::{json, Value};
use time::Duration;

type App = Registrar<MemoryStore, ScriptedGateway, TestClock>;

const POLICY: ReconcilePolicy = ReconcilePolicy {
    after: Duration::hours(1),
    give_up: Duration::days(7),
    stuck_after: Duration::days(2),
    batch: 10,
};

fn owner() -> Value {
    json!({"kind": "person", "first_name": "Erika", "last_name": "Muster", "address": ["Heidestr. 17"],
           "postal_code": "51147", "city": "Köln", "country": "DE", "phone": "+49 221 1234567",
           "email": "erika@example.de"})
}

fn account(id: &str, kind: &str, email: &str) -> Value {
    json!({"id": id, "kind": kind, "email": email})
}

async fn send(app: &App, kind: &str, detail: Value) -> registrar::report::ItemReport {
    let event = parse_event(kind, &detail).unwrap();
    app.handle(&event).await.items.remove(0)
}

async fn domain_requested(
    app: &App,
    id: &str,
    acct: Value,
    order: Option<&str>,
    contacts: Value,
) -> registrar::report::ItemReport {
    let mut detail = json!({"request_id": id, "operation": "register", "account": acct,
        "domain": "brand.de", "contacts": contacts});
    if let Some(order) = order {
        detail["order_id"] = json!(order);
    }
    send(app, "DomainRequested", detail).await
}

async fn paid_order(app: &App, order: &str, acct: Value) -> registrar::report::ItemReport {
    send(
        app,
        "OrderPaid",
        json!({"order_id": order, "account": acct, "items": [
            {"item_id": format!("{order}-1"), "type": "domain_registration", "domain": "brand.de",
             "contacts": {"owner": owner()}}]}),
    )
    .await
}

/// A genuine result mail for the domain's ctid, to its reply address.
async fn result_mail(app: &App, domain: &str, code: &str) -> MailOutcome {
    let record = app.store.domain(domain).unwrap();
    let ctid = record
        .ctid()
        .or(record.last_ctid.as_deref())
        .unwrap()
        .to_owned();
    mail_naming(app, domain, &ctid, &ctid, code).await
}

/// A mail to the reply address of `token_ctid` whose job names `named_ctid`.
async fn mail_naming(
    app: &App,
    domain: &str,
    token_ctid: &str,
    named_ctid: &str,
    code: &str,
) -> MailOutcome {
    let raw = registrar::testing::via_ses(&format!(
        "From: robot@autodns.com\r\nTo: {}\r\nSubject: result\r\nContent-Type: text/xml\r\n\r\n\
         <response><result><data><message><job><ctid>{named_ctid}</ctid><status><code>{code}</code>\
         <text>x</text><type>success</type></status><domain><name>{domain}</name></domain></job>\
         </message></data></result></response>",
        app.reply.for_ctid(token_ctid)
    ));
    registrar::testing::inbound(&app.store)
        .handle(
            &format!("inbound/{domain}-{code}-{named_ctid}"),
            raw.as_bytes(),
        )
        .await
        .unwrap()
        .outcome
}

/// N1: an invalid request reserves nothing; B's paid order registers the
/// name for B, and A gets nothing of it — not its mails, not its auth code.
#[tokio::test]
async fn n1_an_invalid_request_reserves_nothing() {
    let app = registrar(ScriptedGateway::default());
    let a = account("CUST-A", "customer", "mallory@a.example");
    let b = account("CUST-B", "customer", "bob@b.example");
    let invalid = domain_requested(&app, "REQ-A", a.clone(), Some("ORD-NEVER"), json!({})).await;
    assert_eq!(invalid.outcome, ItemOutcome::Invalid);
    let out = paid_order(&app, "ORD-B", b).await;
    assert_eq!(out.outcome, ItemOutcome::Accepted, "{out:?}");
    assert_eq!(
        result_mail(&app, "brand.de", "S0101").await,
        MailOutcome::Applied
    );
    let live = app.store.domain("brand.de").unwrap();
    assert_eq!(
        (live.status(), live.account_id.as_str()),
        (Status::Registered, "CUST-B")
    );
    assert_eq!(live.notify_email.as_deref(), Some("bob@b.example"));
    assert!(app
        .store
        .actions("brand.de")
        .contains(&"request.superseded"));
    let code = send(
        &app,
        "AuthCodeRequested",
        json!({"request_id": "REQ-A2", "domain": "brand.de", "account": a}),
    )
    .await;
    assert_eq!(code.outcome, ItemOutcome::Refused, "{code:?}");
    // A heard of its own invalid request (version 1), of nothing after.
    assert!(app
        .store
        .notices()
        .iter()
        .all(|n| n.notice.to == "bob@b.example" || n.notice.version == 1));
}

/// N1: an unpaid request no longer blocks the provider (or a paid order),
/// and the requester's later payment is refused with a clear reason.
#[tokio::test]
async fn n1_an_unpaid_request_blocks_nobody() {
    let app = registrar(ScriptedGateway::default());
    let a = account("CUST-A", "customer", "mallory@a.example");
    let waiting = domain_requested(
        &app,
        "REQ-A",
        a.clone(),
        Some("ORD-A"),
        json!({"owner": owner()}),
    )
    .await;
    assert_eq!(waiting.outcome, ItemOutcome::AwaitingPayment);
    let provider = domain_requested(
        &app,
        "REQ-P",
        account("PROV-1", "provider", "ops@p.example"),
        None,
        json!({"owner": owner()}),
    )
    .await;
    assert_eq!(provider.outcome, ItemOutcome::Accepted, "{provider:?}");
    assert_eq!(app.store.domain("brand.de").unwrap().account_id, "PROV-1");
    let late = paid_order(&app, "ORD-A", a).await;
    assert_eq!(late.outcome, ItemOutcome::Refused, "{late:?}");
}

/// N1: an unpaid request of another customer waits; past the payment
/// window it expires and any request takes the name.
#[tokio::test]
async fn n1_an_unpaid_request_expires() {
    let app = registrar(ScriptedGateway::default());
    let a = account("CUST-A", "customer", "a@a.example");
    let b = account("CUST-B", "customer", "b@b.example");
    domain_requested(&app, "REQ-A", a, Some("ORD-A"), json!({"owner": owner()})).await;
    let early = domain_requested(
        &app,
        "REQ-B",
        b.clone(),
        Some("ORD-B"),
        json!({"owner": owner()}),
    )
    .await;
    assert_eq!(early.outcome, ItemOutcome::Refused, "{early:?}");
    app.clock.advance(Duration::days(31));
    let later =
        domain_requested(&app, "REQ-B2", b, Some("ORD-B2"), json!({"owner": owner()})).await;
    assert_eq!(later.outcome, ItemOutcome::AwaitingPayment, "{later:?}");
    let record = app.store.domain("brand.de").unwrap();
    assert_eq!(record.account_id, "CUST-B");
    assert!(app
        .store
        .log("brand.de")
        .iter()
        .any(|e| e.action == "request.superseded" && e.message.contains("expired")));
}

/// CONTRACT.md §4: a mail to the genuine reply address of the request in
/// flight whose job names another ctid is never applied.
#[tokio::test]
async fn a_result_naming_another_ctid_than_its_token_is_quarantined() {
    let app = registrar(ScriptedGateway::default());
    domain_requested(
        &app,
        "REQ-P",
        account("PROV-1", "provider", "ops@p.example"),
        None,
        json!({"owner": owner()}),
    )
    .await;
    let ctid = app
        .store
        .domain("brand.de")
        .unwrap()
        .ctid()
        .unwrap()
        .to_owned();
    let outcome = mail_naming(
        &app,
        "brand.de",
        &ctid,
        "ib-01SOMEONEELSE000000000000",
        "S0101",
    )
    .await;
    assert_eq!(outcome, MailOutcome::Quarantined);
    assert_eq!(
        app.store.domain("brand.de").unwrap().status(),
        Status::Registering
    );
    assert_eq!(
        result_mail(&app, "brand.de", "S0101").await,
        MailOutcome::Applied
    );
}

/// N5: an operation whose answer was lost is not sent again by `retry`, nor
/// by `retry --force` on domain info's E0105 (a running transfer is not
/// listed); only the operator's confirmation that InterNetX has no job.
#[tokio::test]
async fn n5_a_retry_never_resends_an_operation_of_unknown_outcome() {
    let app = registrar(ScriptedGateway::default().script("brand.de", Script::NoAnswer));
    domain_requested(
        &app,
        "REQ-P",
        account("PROV-1", "provider", "ops@p.example"),
        None,
        json!({"owner": owner()}),
    )
    .await;
    app.clock.advance(Duration::days(8));
    assert_eq!(
        app.reconcile(POLICY, Deadline::none())
            .await
            .unwrap()
            .given_up,
        1
    );
    let name = DomainName::parse("brand.de").unwrap();
    for absence in [Absence::Unchecked, Absence::Checked] {
        let refused = app.retry(&name, absence).await.unwrap().unwrap_err();
        assert!(refused.0.contains("--no-job"), "{refused}");
    }
    // Nor does a new order send it while the outcome is unknown.
    let again = paid_order(&app, "ORD-X", account("CUST-B", "customer", "b@b.example")).await;
    assert_eq!(again.outcome, ItemOutcome::Refused, "{again:?}");
    let sent = |app: &App| {
        app.gateway
            .operations()
            .iter()
            .filter(|t| t.kind.code() == "0101")
            .count()
    };
    assert_eq!(sent(&app), 1);
    app.retry(&name, Absence::NoJobConfirmed)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sent(&app), 2, "the operator's confirmation lets it go");
}

/// N4: a message put on the item queue (or the dead-letter queue) by anyone
/// but `domain-events` is not sent as a paid order.
#[tokio::test]
async fn n4_a_forged_queued_item_is_refused() {
    let app = registrar(ScriptedGateway::default());
    let body = json!([{"order_id": "FORGED", "item_id": "F-1", "account_id": "PROV-1",
        "account_kind": "provider", "operation": "register",
        "input": {"domain": "forged.de", "contacts": {"owner": owner()}}}])
    .to_string();
    assert!(app.replay(&parse_dead_letter(&body)).await.is_err());
    assert!(app.gateway.operations().is_empty());
    assert!(app.store.domain("forged.de").is_none());
}

/// N2: DynamoDB cancels a transaction that collides with another
/// (`TransactionConflict`) and the SDK does not retry it. An auth code's
/// answer cannot be fetched again, so its write waits for the table; on
/// b12f8b7 the answer was dropped and the domain stayed `Updating`.
#[tokio::test]
async fn n2_a_busy_table_never_costs_the_answer() {
    let app = registrar(ScriptedGateway::default());
    let at = time::macros::datetime!(2026-11-01 09:00 UTC);
    let mut r = registrar::testing::in_flight_record(
        "busy.com",
        registrar::Operation::Register,
        "ib-old",
        at,
    );
    r = registrar::lifecycle::settled_as(r, Status::Registered);
    r.notify_email = Some("owner@customer.example".into());
    registrar::ports::DomainStore::commit(&app.store, &registrar::testing::seed(r, None))
        .await
        .unwrap();
    // The claim and the answer's write collide a few times each, and the
    // table is away for the answer's first write besides.
    app.store.busy_next_commits(5);
    app.store.fail_commits_after(1, 2);
    let report = send(
        &app,
        "AuthCodeRequested",
        json!({"request_id": "REQ-B1", "domain": "busy.com",
               "account": {"id": "PROVIDER", "kind": "provider"}}),
    )
    .await;
    assert_eq!(
        report.outcome,
        ItemOutcome::Completed,
        "{:?}",
        report.reason
    );
    let r = app.store.domain("busy.com").unwrap();
    assert_eq!(r.status(), Status::Registered);
    assert!(r.issued_auth_code.is_none());
    assert!(app.store.notices()[0].notice.sealed_auth_code.is_some());
    assert_eq!(app.gateway.seen().len(), 1, "sent once");

    // Collisions alone, on every write of a change: retried, not failed.
    app.store.busy_next_commits(3);
    let report = send(
        &app,
        "TransferLockChangeRequested",
        json!({"request_id": "REQ-B2", "domain": "busy.com", "locked": true,
               "account": {"id": "PROVIDER", "kind": "provider"}}),
    )
    .await;
    assert_eq!(report.outcome, ItemOutcome::Accepted, "{:?}", report.reason);
    assert_eq!(
        app.store.domain("busy.com").unwrap().status(),
        Status::Updating
    );
}

/// N2: a registry event never holds the domain item in a transaction, and
/// a flood of them costs one write an hour: on b12f8b7, 10 forged mails
/// of 16 events each ran 160 transactions against the item.
#[tokio::test]
async fn n2_forged_registry_events_never_hold_the_domain_item() {
    let app = registrar(ScriptedGateway::default());
    let at = time::macros::datetime!(2026-11-01 09:00 UTC);
    let r = registrar::testing::in_flight_record(
        "victim.de",
        registrar::Operation::Register,
        "ib-1",
        at,
    );
    registrar::ports::DomainStore::commit(&app.store, &registrar::testing::seed(r, None))
        .await
        .unwrap();
    let before = app.store.commits();
    let events: String = (0..16)
        .map(|_| "<message><notify><domain><name>victim.de</name></domain><type>domain_away</type></notify></message>")
        .collect();
    let raw = registrar::testing::via_ses(&format!(
        "From: x@evil.example\r\nTo: a@inbound.example.net\r\nSubject: x\r\nContent-Type: text/xml\r\n\r\n\
         <response><result><data>{events}</data></result></response>"
    ));
    // Every transaction that holds an item collides meanwhile: the hint
    // holds none, so it lands all the same.
    app.store.busy_next_commits(1_000);
    for i in 0..10 {
        registrar::testing::inbound(&app.store)
            .handle(&format!("inbound/forged-{i}"), raw.as_bytes())
            .await
            .unwrap();
    }
    app.store.busy_next_commits(0);
    assert_eq!(app.store.commits() - before, 1, "one write for the hour");
    assert_eq!(app.store.log("victim.de").len(), 1);
}

/// N6: a request is sent only while the invocation can wait it out and
/// record the answer; otherwise it is not sent at all (on b12f8b7 nothing
/// checked, and an instance killed after sending lost the answer).
#[tokio::test]
async fn n6_a_request_that_cannot_be_waited_out_is_not_sent() {
    let app = registrar(ScriptedGateway::default());
    let provider = account("PROVIDER", "provider", "ops@provider.example");
    // 200 s left: less than one request's 268 s.
    let short = Deadline::after(std::time::Duration::from_secs(200));
    let report = registrar::deadline::within(
        short,
        domain_requested(&app, "REQ-D1", provider, None, json!({"owner": owner()})),
    )
    .await;
    assert!(app.gateway.seen().is_empty(), "nothing sent");
    assert_eq!(report.outcome, ItemOutcome::Failed);
    let r = app.store.domain("brand.de").unwrap();
    assert_eq!(r.status(), Status::Error);
    let reason = r.last_error.unwrap_or_default();
    assert!(
        reason.contains("not sent") && reason.contains("268 s"),
        "{reason}"
    );

    // Nothing was sent, so the operator's retry sends it, once.
    let long = Deadline::after(std::time::Duration::from_secs(600));
    let name = DomainName::parse("brand.de").unwrap();
    let report = registrar::deadline::within(long, app.retry(&name, Absence::Unchecked))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.outcome, ItemOutcome::Accepted, "{:?}", report.reason);
    assert_eq!(app.gateway.seen().len(), 1, "sent once");
}
