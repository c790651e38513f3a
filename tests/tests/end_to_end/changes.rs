//! Name-server and contact changes and cancellation of
//! a registered domain, each through the simulator and its result mail.

use e2e::{event, flag, text, World};
use serde_json::{json, Value};

async fn registered(w: &World) {
    w.send(&event("domain-requested-provider.json"))
        .await
        .unwrap();
    w.wait_for_status("provider-example.net", "Registered")
        .await;
}

fn strings(item: &e2e::Item, name: &str) -> Vec<String> {
    match item.get(name) {
        Some(aws_sdk_dynamodb::types::AttributeValue::L(list)) => {
            list.iter().filter_map(|v| v.as_s().ok().cloned()).collect()
        }
        _ => vec![],
    }
}

#[tokio::test]
async fn a_name_server_change_is_stored_once_confirmed() {
    let w = World::start().await;
    registered(&w).await;
    let out = w
        .send(&event("nameservers-change-requested.json"))
        .await
        .unwrap();
    assert_eq!(out["items"][0]["outcome"], "accepted", "{out}");
    let d = w
        .wait_for_status("provider-example.net", "Registered")
        .await;
    assert_eq!(
        strings(&d, "nameservers"),
        [
            "ns1.newdns.example",
            "ns2.newdns.example",
            "ns.provider-example.net"
        ]
    );
    assert!(!d.contains_key("requested_nameservers"));
    assert_eq!(text(&d, "operation"), "update_nameservers");
    let update = &w.simulator.tasks_with_code("0102")[0];
    assert!(update.xml.contains("<nserver><name>ns.provider-example.net</name><ip>192.0.2.10</ip><ip6>2001:db8::10</ip6></nserver>"), "{}", update.xml);
    let log = w.log("provider-example.net").await;
    let statuses: Vec<String> = log
        .iter()
        .filter(|e| text(e, "action") == "status.changed")
        .map(|e| text(e, "status_to"))
        .collect();
    assert_eq!(
        statuses,
        ["Registering", "Registered", "Updating", "Registered"]
    );
    assert!(log.iter().any(|e| text(e, "code") == "S0102"));

    // Delivered again: nothing new is sent.
    w.send(&event("nameservers-change-requested.json"))
        .await
        .unwrap();
    assert_eq!(w.simulator.tasks_with_code("0102").len(), 1);
}

#[tokio::test]
async fn a_contact_change_updates_the_stored_handles() {
    let w = World::start().await;
    registered(&w).await;
    w.send(&event("contacts-change-requested.json"))
        .await
        .unwrap();
    let d = w
        .wait_for_status("provider-example.net", "Registered")
        .await;
    let Some(aws_sdk_dynamodb::types::AttributeValue::M(contacts)) = d.get("contacts") else {
        panic!("no contacts on {d:?}")
    };
    assert_eq!(contacts["tech"].as_s().unwrap(), "4711002");
    assert_eq!(
        contacts["admin"].as_s().unwrap(),
        "ib-admin-provider-example.net"
    );
    assert!(contacts.contains_key("owner"), "the owner handle stays");
    let update = &w.simulator.tasks_with_code("0102")[0];
    assert!(
        update
            .xml
            .contains("<lname>O&apos;Brien &amp; Söhne</lname>")
            || update.xml.contains("<lname>O'Brien &amp; Söhne</lname>"),
        "{}",
        update.xml
    );
    assert!(update.xml.contains("<techc>4711002</techc>"));
    assert!(
        !update.xml.contains("confirm_owner_consent"),
        "no owner change, no consent"
    );
}

#[tokio::test]
async fn an_owner_change_confirms_the_owners_consent() {
    let w = World::start().await;
    registered(&w).await;
    let mut change = event("contacts-change-requested.json");
    change["detail"]["contacts"] = json!({"owner": change["detail"]["contacts"]["admin"].clone()});
    w.send(&change).await.unwrap();
    w.wait_for_status("provider-example.net", "Registered")
        .await;
    let update = &w.simulator.tasks_with_code("0102")[0];
    assert!(update
        .xml
        .contains("<confirm_owner_consent>1</confirm_owner_consent>"));
}

#[tokio::test]
async fn a_cancellation_ends_in_cancelled() {
    let w = World::start().await;
    registered(&w).await;
    w.send(&event("cancellation-requested.json")).await.unwrap();
    let d = w.wait_for_status("provider-example.net", "Cancelled").await;
    assert_eq!(text(&d, "operation"), "cancel");
    let cancel = &w.simulator.tasks_with_code("0103101")[0];
    assert!(cancel.xml.contains("<cancelation><domain>provider-example.net</domain><type>delete</type><execdate>expire</execdate></cancelation>"), "{}", cancel.xml);
    // A cancelled domain takes no more changes.
    let out = w
        .send(&event("nameservers-change-requested.json"))
        .await
        .unwrap();
    assert_eq!(out["items"][0]["outcome"], "refused");
}

/// The transfer lock set through the result mail, then a
/// cancelation withdrawn after a late payment; each redelivered, nothing
/// sent twice.
#[tokio::test]
async fn a_lock_is_set_and_a_cancelation_withdrawn_through_internetx() {
    let w = World::start().await;
    registered(&w).await;
    let lock = event("transfer-lock-change-requested.json");
    w.send(&lock).await.unwrap();
    let d = w
        .wait_for_status("provider-example.net", "Registered")
        .await;
    assert!(flag(&d, "locked"), "{d:?}");
    let sent = w.simulator.tasks_with_code("0102002");
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0]
            .xml
            .contains("<registry_status>LOCK</registry_status>"),
        "{}",
        sent[0].xml
    );
    let again = w.send(&lock).await.unwrap();
    assert_eq!(again["items"][0]["outcome"], "duplicate");

    // Withdrawal needs the cancelation.
    let out = w.send(&event("cancellation-withdrawn.json")).await.unwrap();
    assert_eq!(out["items"][0]["outcome"], "refused");
    let mut cancel = event("cancellation-requested.json");
    cancel["detail"]["request_id"] = json!("REQ-86");
    w.send(&cancel).await.unwrap();
    w.wait_for_status("provider-example.net", "Cancelled").await;
    let mut withdraw = event("cancellation-withdrawn.json");
    withdraw["detail"]["request_id"] = json!("REQ-87");
    let out = w.send(&withdraw).await.unwrap();
    assert_eq!(out["items"][0]["outcome"], "completed", "{out}");
    let d = w.domain("provider-example.net").await.unwrap();
    assert_eq!(text(&d, "status"), "Registered");
    assert_eq!(text(&d, "operation"), "withdraw_cancellation");
    assert!(!d.contains_key("cancel_at"));
    assert_eq!(w.simulator.tasks_with_code("0103103").len(), 1);
    let again = w.send(&withdraw).await.unwrap();
    assert_eq!(again["items"][0]["outcome"], "duplicate");
    assert_eq!(w.simulator.tasks_with_code("0103103").len(), 1);
}

/// InterNetX refusing a lock (the registry, by mail) or a
/// withdrawal (the cancelation is gone at InterNetX) ends in `Error` with
/// its reason, and nothing is applied. (The auth-code refusal:
/// `crates/registrar/tests/integration/auth_code.rs`.)
#[tokio::test]
/// A refusal changes nothing at InterNetX: the domain stays as it was
/// (`Registered`, `Cancelled`) with the reason, never `Error` (N11).
async fn internetx_refusing_a_lock_or_a_withdrawal_leaves_the_domain_as_it_was() {
    let w = World::start().await;
    let mut register = event("domain-requested-provider.json");
    register["detail"]["domain"] = json!("lock-refused.com");
    register["detail"]["request_id"] = json!("REQ-LOCK-1");
    w.send(&register).await.unwrap();
    w.wait_for_status("lock-refused.com", "Registered").await;
    let mut lock = event("transfer-lock-change-requested.json");
    lock["detail"]["domain"] = json!("lock-refused.com");
    lock["detail"]["request_id"] = json!("REQ-LOCK-2");
    w.send(&lock).await.unwrap();
    let d = w
        .wait_for("lock-refused.com", "a refused lock", |d| {
            text(d, "status") == "Registered" && text(d, "last_error").contains("E0102002")
        })
        .await;
    assert!(!d.contains_key("locked") && !d.contains_key("requested_lock"));

    registered(&w).await;
    let mut cancel = event("cancellation-requested.json");
    cancel["detail"]["request_id"] = json!("REQ-90");
    w.send(&cancel).await.unwrap();
    w.wait_for_status("provider-example.net", "Cancelled").await;
    // Gone at InterNetX (the table does not know yet): both are refused.
    w.simulator
        .remove_domain("provider-example.net", "domain_away", false)
        .await;
    let mut withdraw = event("cancellation-withdrawn.json");
    withdraw["detail"]["request_id"] = json!("REQ-91");
    let out = w.send(&withdraw).await.unwrap();
    assert_eq!(out["items"][0]["outcome"], "rejected", "{out}");
    let d = w.domain("provider-example.net").await.unwrap();
    assert_eq!(text(&d, "status"), "Cancelled");
    assert!(text(&d, "last_error").contains("E0103103"), "{d:?}");
    assert_eq!(w.simulator.tasks_with_code("0103103").len(), 1);
}

#[tokio::test]
async fn an_asynchronous_failure_of_a_change_is_an_error_with_its_reason() {
    let w = World::start().await;
    let mut register = event("domain-requested-provider.json");
    register["detail"]["domain"] = json!("locked-example.de");
    w.send(&register).await.unwrap();
    w.wait_for_status("locked-example.de", "Registered").await;
    // The simulator accepts its cancellation, then reports it failed.
    let mut cancel = event("cancellation-requested.json");
    cancel["detail"]["domain"] = json!("locked-example.de");
    let out = w.send(&cancel).await.unwrap();
    assert_eq!(out["items"][0]["outcome"], "accepted");
    let d = w.wait_for_status("locked-example.de", "Error").await;
    let reason = text(&d, "last_error");
    assert!(
        reason.contains("E0103101") && reason.contains("domain is locked"),
        "{reason}"
    );
    assert!(
        flag(&d, "registered"),
        "a failed cancellation leaves the domain registered"
    );
}

#[tokio::test]
async fn changes_are_refused_unless_the_domain_is_registered_and_idle() {
    let w = World::without_mail().await;
    w.send(&event("domain-requested-provider.json"))
        .await
        .unwrap();
    // Registering: the registration is still in flight.
    let out = w
        .send(&event("nameservers-change-requested.json"))
        .await
        .unwrap();
    assert_eq!(out["items"][0]["outcome"], "refused", "{out}");
    assert!(out["items"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("in flight"));
    let log = w.log("provider-example.net").await;
    let refused = log
        .iter()
        .find(|e| text(e, "action") == "request.rejected")
        .unwrap();
    assert!(text(refused, "message").contains("REQ-81"));
    assert_eq!(w.simulator.tasks_with_code("0102").len(), 0);

    // A domain this connector does not manage.
    let mut unknown = event("cancellation-requested.json");
    unknown["detail"]["domain"] = json!("not-ours.de");
    let out = w.send(&unknown).await.unwrap();
    assert_eq!(out["items"][0]["outcome"], "refused");
    assert!(w.domain("not-ours.de").await.is_none());
}

#[tokio::test]
async fn racing_changes_send_one_request_and_refuse_the_other_in_the_log() {
    let w = World::start_with(e2e::Options {
        mail_format: None,
        ..e2e::Options::default()
    })
    .await;
    w.send(&event("domain-requested-provider.json"))
        .await
        .unwrap();
    let ctid = text(&w.domain("provider-example.net").await.unwrap(), "ctid");
    // Settle the registration by hand, so both changes meet a Registered domain.
    let (ok, _, err) = w
        .cli(&[
            "resolve",
            "provider-example.net",
            "--as",
            "Registered",
            "--reason",
            "test",
        ])
        .await;
    assert!(ok, "{err} {ctid}");

    let nameservers = event("nameservers-change-requested.json");
    let contacts = event("contacts-change-requested.json");
    let (a, b) = tokio::join!(w.send(&nameservers), w.send(&contacts));
    let outcomes = [
        a.unwrap()["items"][0]["outcome"].clone(),
        b.unwrap()["items"][0]["outcome"].clone(),
    ];
    assert!(
        outcomes.contains(&json!("accepted")) && outcomes.contains(&json!("refused")),
        "exactly one wins: {outcomes:?}"
    );
    assert_eq!(w.simulator.tasks_with_code("0102").len(), 1);
    let log = w.log("provider-example.net").await;
    let refused = log
        .iter()
        .find(|e| text(e, "action") == "request.rejected")
        .expect("the loser is in the action log");
    assert!(
        text(refused, "message").contains("in flight"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn bad_change_requests_are_logged_on_the_domain_and_not_sent() {
    let w = World::start().await;
    registered(&w).await;
    let cases: Vec<(Value, &str)> = vec![
        (json!([{"name": "ns1.only.example"}]), "at least 2"),
        (
            json!([{"name": "a.example"}, {"name": "A.example."}]),
            "twice",
        ),
        (
            json!([{"name": "ns.provider-example.net"}, {"name": "a.example"}]),
            "glue",
        ),
        (json!("not a list"), "nameservers"),
    ];
    for (i, (nameservers, expected)) in cases.into_iter().enumerate() {
        let mut change = event("nameservers-change-requested.json");
        change["detail"]["request_id"] = json!(format!("REQ-BAD-{i}"));
        change["detail"]["nameservers"] = nameservers;
        let out = w.send(&change).await.unwrap();
        assert_eq!(out["items"][0]["outcome"], "invalid", "{out}");
        assert!(
            out["items"][0]["reason"]
                .as_str()
                .unwrap()
                .contains(expected),
            "{out}"
        );
    }
    assert_eq!(w.simulator.tasks_with_code("0102").len(), 0);
    let d = w.domain("provider-example.net").await.unwrap();
    assert_eq!(
        text(&d, "status"),
        "Registered",
        "a refused change leaves the domain alone"
    );
    assert!(flag(&d, "registered"));
    let rejected = w
        .log("provider-example.net")
        .await
        .iter()
        .filter(|e| text(e, "action") == "request.rejected")
        .count();
    assert_eq!(rejected, 4);
}

#[tokio::test]
async fn no_workflow_ever_sends_a_renewal() {
    let w = World::start().await;
    for file in [
        "order-paid.json",
        "order-paid-bad-item.json",
        "domain-requested-provider.json",
        "domain-requested-transfer-provider.json",
        "domain-requested-transfer-refused.json",
        "domain-requested-customer.json",
        "order-paid-customer.json",
    ] {
        w.send(&event(file)).await.unwrap();
    }
    w.wait_for_status("provider-example.net", "Registered")
        .await;
    for file in [
        "nameservers-change-requested.json",
        "contacts-change-requested.json",
    ] {
        w.send(&event(file)).await.unwrap();
        w.wait_for_status("provider-example.net", "Registered")
            .await;
    }
    w.send(&event("cancellation-requested.json")).await.unwrap();
    w.wait_for_status("provider-example.net", "Cancelled").await;
    let requests = w.simulator.requests();
    let codes: std::collections::BTreeSet<String> =
        requests.iter().filter_map(|r| r.code.clone()).collect();
    assert!(
        codes.contains("0101")
            && codes.contains("0104")
            && codes.contains("0102")
            && codes.contains("0103101"),
        "{codes:?}"
    );
    assert!(!codes.contains("0101003"), "a renewal was sent: {codes:?}");
    assert!(requests.iter().all(|r| !r.xml.contains("0101003")));
}

/// A .de auth code by post (AuthInfo2, `0113003`): sent once,
/// settled by InterNetX's answer, no code anywhere; a .be one asked for the
/// customer goes as AuthInfo2 too, the only way InterNetX has for .be (D20);
/// another TLD is refused before anything is sent.
#[tokio::test]
async fn a_de_auth_code_goes_to_the_owner_by_post() {
    let w = World::start().await;
    for (domain, request) in [
        ("post-example.de", "REQ-POST-1"),
        ("post-example.com", "REQ-POST-2"),
        ("post-example.be", "REQ-POST-5"),
    ] {
        let mut register = event("domain-requested-provider.json");
        register["detail"]["domain"] = json!(domain);
        register["detail"]["request_id"] = json!(request);
        w.send(&register).await.unwrap();
        w.wait_for_status(domain, "Registered").await;
    }
    let mut ask = event("auth-code-requested.json");
    ask["detail"]["domain"] = json!("post-example.de");
    ask["detail"]["request_id"] = json!("REQ-POST-3");
    ask["detail"]["send_to"] = json!("post");
    let register = event("domain-requested-provider.json");
    ask["detail"]["account"] = register["detail"]["account"].clone();
    let out = w.send(&ask).await.unwrap();
    assert!(
        ["accepted", "completed"].contains(&out["items"][0]["outcome"].as_str().unwrap()),
        "{out}"
    );
    let d = w.wait_for_status("post-example.de", "Registered").await;
    assert_eq!(text(&d, "operation"), "auth_code");
    assert_eq!(w.simulator.tasks_with_code("0113003").len(), 1);
    assert!(w.simulator.tasks_with_code("0113001").is_empty());
    let again = w.send(&ask).await.unwrap();
    assert_eq!(again["items"][0]["outcome"], "duplicate");

    ask["detail"]["domain"] = json!("post-example.com");
    ask["detail"]["request_id"] = json!("REQ-POST-4");
    let out = w.send(&ask).await.unwrap();
    assert_eq!(out["items"][0]["outcome"], "invalid", "{out}");
    assert!(
        out["items"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("only for .de, .eu, .no, .be"),
        "{out}"
    );
    assert_eq!(w.simulator.tasks_with_code("0113003").len(), 1);

    ask["detail"]["domain"] = json!("post-example.be");
    ask["detail"]["request_id"] = json!("REQ-POST-6");
    ask["detail"]["send_to"] = json!("customer");
    let out = w.send(&ask).await.unwrap();
    assert!(
        ["accepted", "completed"].contains(&out["items"][0]["outcome"].as_str().unwrap()),
        "{out}"
    );
    let d = w.wait_for_status("post-example.be", "Registered").await;
    assert_eq!(text(&d, "last_error"), "", "{d:?}");
    assert_eq!(w.simulator.tasks_with_code("0113003").len(), 2);
    assert!(w.simulator.tasks_with_code("0113001").is_empty());
}
