//! `AuthCodeRequested` (issue 17, item 1): the code InterNetX issues goes to
//! the customer only in the status mail, sealed on its way there, and
//! nowhere else in clear — not on the item, in a log entry, or a report.

use registrar::event::parse_event;
use registrar::ports::{Clock, DomainStore};
use registrar::report::ItemOutcome;
use registrar::seal::Sealer;
use registrar::testing::{
    in_flight_record, registrar, seed, MemoryStore, RecordingMailer, ScriptedGateway, TestClock,
    SCRIPTED_AUTH_CODE, SECRET,
};
use registrar::workflows::status_mails::Notifier;
use registrar::{DomainRecord, Operation, Registrar, Status};
use serde_json::json;

type App = Registrar<MemoryStore, ScriptedGateway, TestClock>;

fn registered(domain: &str, email: Option<&str>) -> DomainRecord {
    let at = time::macros::datetime!(2026-11-01 09:00 UTC);
    let mut r = in_flight_record(domain, Operation::Register, "ib-old", at);
    r = registrar::lifecycle::settled_as(r, Status::Registered);
    r.notify_email = email.map(str::to_owned);
    r
}

async fn ask(
    app: &App,
    id: &str,
    domain: &str,
    extra: serde_json::Value,
) -> (ItemOutcome, Option<String>) {
    let mut detail = json!({"request_id": id, "domain": domain, "account": {"id": "PROVIDER", "kind": "provider"}});
    if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    let report = app
        .handle(&parse_event("AuthCodeRequested", &detail).unwrap())
        .await;
    (report.items[0].outcome, report.items[0].reason.clone())
}

#[tokio::test]
async fn the_code_reaches_only_the_status_mail_and_only_sealed_before_it() {
    let app = registrar(ScriptedGateway::default());
    app.store
        .commit(&seed(
            registered("leaving.com", Some("owner@customer.example")),
            None,
        ))
        .await
        .unwrap();
    let (outcome, _) = ask(&app, "REQ-A1", "leaving.com", json!({})).await;
    assert_eq!(outcome, ItemOutcome::Completed);
    assert!(matches!(
        app.gateway.operations()[0].kind,
        internetx::TaskKind::AuthInfoCreate { .. }
    ));
    let r = app.store.domain("leaving.com").unwrap();
    assert_eq!(
        (r.status(), r.operation),
        (Status::Registered, Operation::AuthCode)
    );
    // D24: no validity is published for a .com code; none is claimed.
    assert!(r.portfolio.auth_code_expires_at.is_none());
    assert!(r.issued_auth_code.is_none(), "never on the item");

    // Nowhere in clear: item, log, notice.
    let everywhere = format!("{r:?} {:?}", app.store.log("leaving.com"));
    assert!(!everywhere.contains(SCRIPTED_AUTH_CODE), "{everywhere}");
    let notices = app.store.notices();
    let sealed = notices[0]
        .notice
        .sealed_auth_code
        .clone()
        .expect("sealed in the notice");
    assert!(!sealed.contains(SCRIPTED_AUTH_CODE));
    assert_eq!(
        Sealer::new(SECRET).open(&sealed).unwrap(),
        SCRIPTED_AUTH_CODE
    );

    // The status mail carries it.
    let notifier = Notifier {
        queue: &app.store,
        mailer: RecordingMailer::default(),
        clock: TestClock::default(),
        max_attempts: 3,
        stale_after: time::Duration::minutes(15),
        sealer: Some(Sealer::new(SECRET)),
    };
    assert_eq!(notifier.run(10).await.unwrap().sent, 1);
    let (to, mail) = &notifier.mailer.sent()[0];
    assert_eq!(to, "owner@customer.example");
    assert_eq!(mail.subject, "leaving.com: your auth code");
    assert!(
        mail.body.contains(SCRIPTED_AUTH_CODE) && mail.body.contains("30 days"),
        "{}",
        mail.body
    );

    // Redelivered: nothing sent again.
    let (again, _) = ask(&app, "REQ-A1", "leaving.com", json!({})).await;
    assert_eq!(again, ItemOutcome::Duplicate);
    assert_eq!(app.gateway.operations().len(), 1);
}

#[tokio::test]
async fn without_a_way_to_the_customer_the_request_is_refused_before_sending() {
    let app = registrar(ScriptedGateway::default());
    app.store
        .commit(&seed(registered("no-mail.com", None), None))
        .await
        .unwrap();
    let (outcome, reason) = ask(&app, "REQ-A2", "no-mail.com", json!({})).await;
    assert_eq!(outcome, ItemOutcome::Refused);
    assert!(reason.unwrap().contains("only by status mail"));
    assert!(app.gateway.seen().is_empty());
    // InterNetX may send it to the owner itself instead.
    let (outcome, _) = ask(&app, "REQ-A3", "no-mail.com", json!({"send_to": "owner"})).await;
    assert_eq!(outcome, ItemOutcome::Accepted);
    assert!(matches!(
        app.gateway.operations()[0].kind,
        internetx::TaskKind::AuthInfoToOwner { .. }
    ));
    let (bad, _) = ask(
        &app,
        "REQ-A4",
        "no-mail.com",
        json!({"send_to": "everyone"}),
    )
    .await;
    assert_eq!(bad, ItemOutcome::Invalid);
}

/// AuthInfo2 (`0113003`): the registry sends it to the owner, so it needs
/// no way to the customer and nothing is sealed. Offered for DE, EU, NO and
/// BE (https://help.internetx.com/x/cY9QAg); for .be it is the only way,
/// so every .be request goes so (D20: on b12f8b7 a .be request went out as
/// the AuthInfo1 InterNetX refuses for .be, and "post" was refused for all
/// but .de); other TLDs are refused before anything is sent.
#[tokio::test]
async fn an_authinfo2_goes_out_for_its_four_tlds_and_alone_for_be() {
    let app = registrar(ScriptedGateway::default());
    for domain in [
        "posted.de",
        "posted.eu",
        "posted.no",
        "shop.be",
        "posted.com",
    ] {
        app.store
            .commit(&seed(registered(domain, None), None))
            .await
            .unwrap();
    }
    for (i, domain) in ["posted.de", "posted.eu", "posted.no"].iter().enumerate() {
        let (outcome, reason) = ask(
            &app,
            &format!("REQ-P{i}"),
            domain,
            json!({"send_to": "post"}),
        )
        .await;
        assert_eq!(outcome, ItemOutcome::Accepted, "{domain}: {reason:?}");
    }
    // .be, asked for the customer (the default): AuthInfo2 all the same,
    // with no status mail needed (the registry writes to the owner).
    let (outcome, reason) = ask(&app, "REQ-PB", "shop.be", json!({})).await;
    assert_eq!(outcome, ItemOutcome::Accepted, "{reason:?}");
    let sent = app.gateway.operations();
    assert_eq!(sent.len(), 4);
    assert!(sent
        .iter()
        .all(|t| matches!(t.kind, internetx::TaskKind::AuthInfo2 { .. })));
    assert!(
        app.store.notices().is_empty(),
        "nothing sealed, nothing mailed"
    );

    let (outcome, reason) = ask(&app, "REQ-P9", "posted.com", json!({"send_to": "post"})).await;
    assert_eq!(outcome, ItemOutcome::Invalid);
    assert!(
        reason
            .as_deref()
            .unwrap_or_default()
            .contains(".de, .eu, .no, .be"),
        "{reason:?}"
    );
    assert_eq!(app.gateway.operations().len(), 4, "nothing more sent");
}

#[tokio::test]
async fn internetx_refusing_the_code_leaves_the_domain_registered_and_mails_no_code() {
    let app = registrar(
        ScriptedGateway::default().script("gone.com", registrar::testing::Script::Refuse),
    );
    app.store
        .commit(&seed(
            registered("gone.com", Some("owner@customer.example")),
            None,
        ))
        .await
        .unwrap();
    let (outcome, reason) = ask(&app, "REQ-A5", "gone.com", json!({})).await;
    assert_eq!(outcome, ItemOutcome::Rejected);
    assert!(reason.unwrap().contains("rejected the auth-code request"));
    // A refusal changes nothing at InterNetX: `Error` would block every
    // later change of a healthy domain (security review N11).
    let r = app.store.domain("gone.com").unwrap();
    assert_eq!(r.status(), Status::Registered);
    assert!(r.registered() && r.ctid().is_none());
    assert!(r
        .last_error
        .as_deref()
        .is_some_and(|e| e.contains("rejected")));
    assert!(r.portfolio.auth_code_expires_at.is_none());
    // The customer hears it failed, without a code.
    let notices = app.store.notices();
    assert_eq!(notices.len(), 1);
    let mail = notices[0].notice.compose();
    assert!(
        mail.subject.contains("could not be completed"),
        "{}",
        mail.subject
    );
    assert!(app
        .store
        .notices()
        .iter()
        .all(|n| n.notice.sealed_auth_code.is_none()));
}

/// The binding owner's own event may carry `account.email` (CONTRACT.md
/// §1): the code goes there. On b12f8b7 such a request was refused with
/// "the account has no notification address".
#[tokio::test]
async fn the_owners_own_address_on_the_event_is_used() {
    let app = registrar(ScriptedGateway::default());
    let mut r = registered("own-mail.com", None);
    r.account_id = "CUST-9".into();
    r.account_kind = registrar::AccountKind::Customer;
    app.store.commit(&seed(r, None)).await.unwrap();
    let (outcome, reason) = ask(
        &app,
        "REQ-A9",
        "own-mail.com",
        json!({"account": {"id": "CUST-9", "kind": "customer", "email": "owner@cust9.example"}}),
    )
    .await;
    assert_eq!(outcome, ItemOutcome::Completed, "{reason:?}");
    let notices = app.store.notices();
    assert_eq!(notices.len(), 1);
    assert_eq!(notices[0].notice.to, "owner@cust9.example");
    assert!(notices[0].notice.sealed_auth_code.is_some());
    assert_eq!(
        app.store
            .domain("own-mail.com")
            .unwrap()
            .notify_email
            .as_deref(),
        Some("owner@cust9.example")
    );
}

/// Another account's address is never adopted: a provider acting on a
/// customer's domain does not redirect the customer's mails (or codes).
#[tokio::test]
async fn another_accounts_address_is_never_adopted() {
    let app = registrar(ScriptedGateway::default());
    let mut r = registered("cust-domain.com", Some("owner@cust9.example"));
    r.account_id = "CUST-9".into();
    r.account_kind = registrar::AccountKind::Customer;
    app.store.commit(&seed(r, None)).await.unwrap();
    let (outcome, _) = ask(
        &app,
        "REQ-A10",
        "cust-domain.com",
        json!({"account": {"id": "PROVIDER", "kind": "provider", "email": "ops@provider.example"}}),
    )
    .await;
    assert_eq!(outcome, ItemOutcome::Completed);
    assert_eq!(app.store.notices()[0].notice.to, "owner@cust9.example");
}

/// D24: a .de code is valid for at most 30 days (DENIC); that, and only
/// that, is recorded as its expiry.
#[tokio::test]
async fn only_a_de_code_gets_an_expiry() {
    let app = registrar(ScriptedGateway::default());
    app.store
        .commit(&seed(
            registered("leaving.de", Some("owner@customer.example")),
            None,
        ))
        .await
        .unwrap();
    let (outcome, _) = ask(&app, "REQ-D24", "leaving.de", json!({})).await;
    assert_eq!(outcome, ItemOutcome::Completed);
    let expires = app
        .store
        .domain("leaving.de")
        .unwrap()
        .portfolio
        .auth_code_expires_at
        .expect("a .de code's expiry");
    let expected = app.clock.now() + time::Duration::days(30);
    assert!(
        expires.starts_with(&expected.date().to_string()),
        "{expires}"
    );
}
