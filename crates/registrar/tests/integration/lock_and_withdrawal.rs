//! Transfer lock and cancellation withdrawal (issue 17, items 2 and 3), and
//! the owner-verification resend (issue 29 §3), through the same claim →
//! send → record cycle as every change.

use registrar::event::parse_event;
use registrar::ports::DomainStore;
use registrar::report::ItemOutcome;
use registrar::testing::{
    in_flight_record, registrar, reply_address, seed, MemoryStore, ScriptedGateway, TestClock,
};
use registrar::workflows::inbound_mail::MailOutcome;
use registrar::{DomainRecord, Operation, Registrar, Status};
use serde_json::json;

type App = Registrar<MemoryStore, ScriptedGateway, TestClock>;

fn record(domain: &str, status: Status) -> DomainRecord {
    let at = time::macros::datetime!(2026-11-01 09:00 UTC);
    let mut r = in_flight_record(domain, Operation::Register, "ib-old", at);
    r = registrar::lifecycle::settled_as(r, status);
    r.account_id = "CUST-1".into();
    r.account_kind = registrar::AccountKind::Customer;
    r
}

async fn app_with(records: Vec<DomainRecord>) -> App {
    let app = registrar(ScriptedGateway::default());
    for r in records {
        app.store.commit(&seed(r, None)).await.unwrap();
    }
    app
}

async fn event(
    app: &App,
    kind: &str,
    id: &str,
    domain: &str,
    extra: serde_json::Value,
) -> (ItemOutcome, Option<String>) {
    let mut detail = json!({"request_id": id, "domain": domain, "account": {"id": "CUST-1", "kind": "customer"}});
    if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    let report = app.handle(&parse_event(kind, &detail).unwrap()).await;
    (report.items[0].outcome, report.items[0].reason.clone())
}

/// InterNetX's result mail for the domain's ctid, to its reply address.
async fn result_mail(app: &App, domain: &str, code: &str) -> MailOutcome {
    let ctid = app
        .store
        .domain(domain)
        .unwrap()
        .ctid()
        .expect("in flight")
        .to_owned();
    let inbound = registrar::testing::inbound(&app.store);
    let raw = registrar::testing::via_ses(&format!(
        "From: AutoDNS <robot@autodns.com>\r\nTo: {}\r\nSubject: x\r\nContent-Type: text/xml\r\n\r\n\
         <response><result><data><message><id>1</id><job><ctid>{ctid}</ctid><status><type>{kind}</type><code>{code}</code><text>Done.</text></status>\
         <domain><name>{domain}</name></domain></job></message></data></result></response>",
        reply_address().for_ctid(&ctid),
        kind = if code.starts_with('E') { "error" } else { "success" },
    ));
    inbound
        .handle(&format!("inbound/{domain}-{code}"), raw.as_bytes())
        .await
        .unwrap()
        .outcome
}

#[tokio::test]
async fn a_lock_goes_out_once_and_counts_when_internetx_confirms_it() {
    let app = app_with(vec![record("locked.com", Status::Registered)]).await;
    let locked = json!({"locked": true});
    let (outcome, _) = event(
        &app,
        "TransferLockChangeRequested",
        "REQ-L1",
        "locked.com",
        locked.clone(),
    )
    .await;
    assert_eq!(outcome, ItemOutcome::Accepted);
    let sent = app.gateway.operations();
    assert_eq!(sent.len(), 1);
    assert!(
        matches!(&sent[0].kind, internetx::TaskKind::RegistryStatus { status, .. } if status == "LOCK")
    );
    let r = app.store.domain("locked.com").unwrap();
    assert_eq!(
        (r.status(), r.portfolio.requested_lock, r.portfolio.locked),
        (Status::Updating, Some(true), None)
    );

    // Redelivered: nothing sent again.
    let (again, _) = event(
        &app,
        "TransferLockChangeRequested",
        "REQ-L1",
        "locked.com",
        locked,
    )
    .await;
    assert_eq!(again, ItemOutcome::Duplicate);
    // Another change meanwhile: refused, nothing sent.
    let (racing, reason) = event(
        &app,
        "CancellationRequested",
        "REQ-C9",
        "locked.com",
        json!({}),
    )
    .await;
    assert_eq!(racing, ItemOutcome::Refused, "{reason:?}");
    assert_eq!(app.gateway.operations().len(), 1);

    assert_eq!(
        result_mail(&app, "locked.com", "S0102002").await,
        MailOutcome::Applied
    );
    let r = app.store.domain("locked.com").unwrap();
    assert_eq!(
        (r.status(), r.portfolio.locked, r.portfolio.requested_lock),
        (Status::Registered, Some(true), None)
    );
}

#[tokio::test]
async fn a_country_code_domain_is_refused_before_anything_is_sent() {
    let app = app_with(vec![record("locked.de", Status::Registered)]).await;
    let (outcome, reason) = event(
        &app,
        "TransferLockChangeRequested",
        "REQ-L2",
        "locked.de",
        json!({"locked": true}),
    )
    .await;
    assert_eq!(outcome, ItemOutcome::Invalid);
    assert!(reason.unwrap().contains("only for gTLDs"));
    assert!(app.gateway.seen().is_empty());
    assert_eq!(
        app.store.domain("locked.de").unwrap().status(),
        Status::Registered
    );
    assert!(app.store.actions("locked.de").contains(&"request.rejected"));
    let (bad, reason) = event(
        &app,
        "TransferLockChangeRequested",
        "REQ-L3",
        "locked.de",
        json!({"locked": "yes"}),
    )
    .await;
    assert_eq!(bad, ItemOutcome::Invalid, "{reason:?}");
}

#[tokio::test]
async fn a_withdrawal_needs_the_cancelation_and_returns_the_domain_to_registered() {
    let mut cancelled = record("paid-late.com", Status::Cancelled);
    cancelled.operation = Operation::Cancel;
    cancelled.portfolio.cancel_at = Some("2027-03-01T12:00:00Z".into());
    let app = app_with(vec![
        cancelled,
        record("never-cancelled.com", Status::Registered),
    ])
    .await;

    let (refused, reason) = event(
        &app,
        "CancellationWithdrawn",
        "REQ-W0",
        "never-cancelled.com",
        json!({}),
    )
    .await;
    assert_eq!(refused, ItemOutcome::Refused);
    assert!(reason.unwrap().contains("needs Cancelled"));

    let (outcome, _) = event(
        &app,
        "CancellationWithdrawn",
        "REQ-W1",
        "paid-late.com",
        json!({}),
    )
    .await;
    assert_eq!(outcome, ItemOutcome::Accepted);
    assert!(matches!(
        app.gateway.operations()[0].kind,
        internetx::TaskKind::CancelationDelete { .. }
    ));
    assert_eq!(
        app.store.domain("paid-late.com").unwrap().status(),
        Status::Updating
    );
    assert_eq!(
        result_mail(&app, "paid-late.com", "S0103103").await,
        MailOutcome::Applied
    );
    let r = app.store.domain("paid-late.com").unwrap();
    assert_eq!(
        (r.status(), r.portfolio.cancel_at.clone()),
        (Status::Registered, None)
    );
    assert_eq!(r.operation, Operation::WithdrawCancel);
}

/// A lock change InterNetX refuses changed nothing: the domain stays
/// `Registered` with the reason, and the next change goes out (security
/// review N11; before, `Error` refused every later change).
#[tokio::test]
async fn a_refused_lock_change_leaves_the_domain_registered_and_changeable() {
    let app = app_with(vec![record("refused.com", Status::Registered)]).await;
    let (outcome, _) = event(
        &app,
        "TransferLockChangeRequested",
        "REQ-L7",
        "refused.com",
        json!({"locked": true}),
    )
    .await;
    assert_eq!(outcome, ItemOutcome::Accepted);
    assert_eq!(
        result_mail(&app, "refused.com", "E0102002").await,
        MailOutcome::Applied
    );
    let r = app.store.domain("refused.com").unwrap();
    assert_eq!(
        (r.status(), r.registered(), r.portfolio.requested_lock),
        (Status::Registered, true, None)
    );
    assert!(r.last_error.is_some());
    let (next, reason) = event(
        &app,
        "NameserversChangeRequested",
        "REQ-N7",
        "refused.com",
        json!({"nameservers": [{"name": "ns1.example.net"}, {"name": "ns2.example.net"}]}),
    )
    .await;
    assert_eq!(next, ItemOutcome::Accepted, "{reason:?}");
    assert_eq!(app.gateway.operations().len(), 2);
}

/// A withdrawal InterNetX refuses leaves the cancelation as it was:
/// `Cancelled`, `cancel_at` kept, the reason in `last_error`.
#[tokio::test]
async fn a_refused_withdrawal_leaves_the_domain_cancelled() {
    let mut cancelled = record("still-going.com", Status::Cancelled);
    cancelled.operation = Operation::Cancel;
    cancelled.portfolio.cancel_at = Some("2027-03-01T12:00:00Z".into());
    let app = app_with(vec![cancelled]).await;
    let (outcome, _) = event(
        &app,
        "CancellationWithdrawn",
        "REQ-W7",
        "still-going.com",
        json!({}),
    )
    .await;
    assert_eq!(outcome, ItemOutcome::Accepted);
    assert_eq!(
        result_mail(&app, "still-going.com", "E0103103").await,
        MailOutcome::Applied
    );
    let r = app.store.domain("still-going.com").unwrap();
    assert_eq!(
        (r.status(), r.portfolio.cancel_at.as_deref(), r.ctid()),
        (Status::Cancelled, Some("2027-03-01T12:00:00Z"), None)
    );
    assert!(r.last_error.is_some());
}

#[tokio::test]
async fn a_verification_resend_goes_out_once_per_handle_every_15_minutes() {
    use internetx::TaskKind;
    use registrar::record::Verification;
    let owned = |domain: &str, handle: Option<&str>, state: Option<Verification>| {
        let mut r = record(domain, Status::Registered);
        r.portfolio.owner_handle = handle.map(str::to_owned);
        r.portfolio.owner_verification = state;
        r
    };
    let app = app_with(vec![
        owned("first.com", Some("H-1"), Some(Verification::Pending)),
        owned("second.com", Some("H-1"), Some(Verification::Failed)),
        owned("done.com", Some("H-2"), Some(Verification::Verified)),
        owned("unasked.com", Some("H-3"), None),
        owned("nohandle.com", None, Some(Verification::Pending)),
    ])
    .await;
    let resends = |app: &App| {
        app.gateway
            .operations()
            .into_iter()
            .filter_map(|t| match t.kind {
                TaskKind::VerificationResend { handle, domain } => Some((handle, domain)),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let resend = |id: &'static str, domain: &'static str| {
        let app = &app;
        async move { event(app, "VerificationResendRequested", id, domain, json!({})).await }
    };
    // Another customer's request is refused and holds nothing.
    let stranger = json!({"account": {"id": "CUST-9", "kind": "customer"}});
    let (outcome, reason) = event(
        &app,
        "VerificationResendRequested",
        "REQ-R0",
        "first.com",
        stranger,
    )
    .await;
    assert_eq!(outcome, ItemOutcome::Refused);
    assert!(reason.unwrap_or_default().contains("another account"));
    let (outcome, _) = resend("REQ-R1", "first.com").await;
    assert_eq!(outcome, ItemOutcome::Accepted);
    assert_eq!(
        resend("REQ-R1", "first.com").await.0,
        ItemOutcome::Duplicate
    );
    assert_eq!(resends(&app), [("H-1".to_owned(), "first.com".to_owned())]);
    // The same handle through another of its domains waits 15 minutes.
    let (outcome, reason) = resend("REQ-R2", "second.com").await;
    assert_eq!(outcome, ItemOutcome::Refused);
    assert!(reason.unwrap_or_default().contains("15 minutes"));
    assert_eq!(
        app.store.domain("second.com").unwrap().status(),
        Status::Registered
    );
    app.clock.advance(time::Duration::minutes(16));
    assert_eq!(
        resend("REQ-R3", "second.com").await.0,
        ItemOutcome::Accepted
    );
    assert_eq!(resends(&app).len(), 2);
    // Nothing to resend, or nothing to resend it for: refused with why.
    for (id, domain, why) in [
        ("REQ-R4", "done.com", "verified already"),
        ("REQ-R5", "unasked.com", "asks no verification"),
        ("REQ-R6", "nohandle.com", "no owner handle"),
    ] {
        let (outcome, reason) = resend(id, domain).await;
        assert_eq!(outcome, ItemOutcome::Refused, "{domain}");
        assert!(
            reason.as_deref().unwrap_or_default().contains(why),
            "{reason:?}"
        );
        assert!(app.store.actions(domain).contains(&"request.rejected"));
    }
    assert_eq!(resends(&app).len(), 2, "refusals send nothing");
}
