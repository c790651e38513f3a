//! Registrations and transfers go out complete — four contacts, at least two
//! name servers, the owner's consent for gTLDs — taken from the item or the
//! provider's defaults, or are refused before anything is sent (issue 14,
//! protocol audit D3–D5).

use internetx::{ContactRef, Protection, TaskKind};
use registrar::defaults::RequestDefaults;
use registrar::event::parse_event;
use registrar::report::ItemOutcome;
use registrar::testing::{registrar, MemoryStore, ScriptedGateway, TestClock};
use registrar::{Registrar, Status};
use serde_json::{json, Value};

type TestRegistrar = Registrar<MemoryStore, ScriptedGateway, TestClock>;

fn owner() -> Value {
    json!({"kind": "person", "first_name": "Erika", "last_name": "Mustermann",
           "address": ["Heidestr. 17"], "postal_code": "51147", "city": "Köln",
           "country": "DE", "phone": "+1 (555) 123-4567", "email": "erika@example.de",
           "extension": {"birthday": "1970-01-01", "idnumber": "X-1"}})
}

fn with_defaults(defaults: RequestDefaults) -> TestRegistrar {
    let mut r = registrar(ScriptedGateway::default());
    r.defaults = defaults;
    r
}

async fn order(r: &TestRegistrar, items: Value) -> Vec<(ItemOutcome, Option<String>)> {
    let detail =
        json!({"order_id": "O-1", "account": {"id": "C-1", "kind": "customer"}, "items": items});
    let report = r.handle(&parse_event("OrderPaid", &detail).unwrap()).await;
    report
        .items
        .iter()
        .map(|i| (i.outcome, i.reason.clone()))
        .collect()
}

fn domain_of(task: &internetx::Task) -> &internetx::DomainOrder {
    match &task.kind {
        TaskKind::DomainCreate(order) | TaskKind::DomainTransfer { order, .. } => order,
        other => panic!("not a create or transfer: {other:?}"),
    }
}

#[tokio::test]
async fn without_defaults_an_incomplete_item_is_refused_before_anything_is_sent() {
    let r = with_defaults(RequestDefaults::default());
    let outcomes = order(
        &r,
        json!([
            {"item_id": "1", "type": "domain_registration", "domain": "no-ns.de", "contacts": {"owner": owner()}},
            {"item_id": "2", "type": "domain_transfer", "domain": "no-owner.com", "auth_code": "A-1",
             "nameservers": [{"name": "ns1.x.net"}, {"name": "ns2.x.net"}]},
            {"item_id": "3", "type": "domain_registration", "domain": "one-ns.de", "contacts": {"owner": owner()},
             "nameservers": [{"name": "ns1.x.net"}]}
        ]),
    )
    .await;
    assert!(r.gateway.seen().is_empty(), "{:?}", r.gateway.seen());
    assert!(
        outcomes.iter().all(|(o, _)| *o == ItemOutcome::Invalid),
        "{outcomes:?}"
    );
    let reasons: Vec<String> = outcomes.into_iter().map(|(_, r)| r.unwrap()).collect();
    assert!(reasons[0].contains("DEFAULT_NAMESERVERS"), "{}", reasons[0]);
    assert!(
        reasons[1].contains("owner contact is missing"),
        "{}",
        reasons[1]
    );
    assert!(reasons[2].contains("at least 2"), "{}", reasons[2]);
    let error = r.store.domain("no-owner.com").unwrap();
    assert_eq!(error.status(), Status::Error);
    assert!(error.last_error.unwrap().contains("owner"));
}

#[tokio::test]
async fn defaults_fill_the_gaps_and_the_log_names_them() {
    let r = with_defaults(RequestDefaults {
        nameservers: vec!["ns1.provider.net".into(), "ns2.provider.net".into()],
        tech: Some("TECH-1".into()),
        zone: Some("ZONE-1".into()),
        admin: None,
        protection: Protection::All,
    });
    let outcomes = order(
        &r,
        json!([{"item_id": "1", "type": "domain_transfer", "domain": "moving.com", "auth_code": "A-1",
                "contacts": {"owner": owner()}}]),
    )
    .await;
    assert_eq!(outcomes[0].0, ItemOutcome::Accepted, "{outcomes:?}");
    let task = &r.gateway.seen()[0];
    let order = domain_of(task);
    let names: Vec<&str> = order.nameservers.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["ns1.provider.net", "ns2.provider.net"]);
    assert_eq!(order.tech, Some(ContactRef::Handle("TECH-1".into())));
    assert_eq!(order.zone, Some(ContactRef::Handle("ZONE-1".into())));
    assert_eq!(order.admin, order.owner, "admin falls back to the owner");
    let Some(ContactRef::Inline(owner)) = &order.owner else {
        panic!("owner sent in full")
    };
    assert_eq!(owner.protection, Protection::All);
    assert_eq!(owner.phone, "+1-555-1234567");
    assert_eq!(
        owner.extension,
        [
            ("idnumber".to_owned(), "X-1".to_owned()),
            ("birthday".to_owned(), "1970-01-01".to_owned())
        ]
    );
    assert!(
        order.confirm_owner_consent,
        ".com is a gTLD with an owner block"
    );
    let sent = r
        .store
        .log("moving.com")
        .into_iter()
        .find(|e| e.action == "request.sent")
        .unwrap();
    assert!(
        sent.message.contains(
            "from the provider defaults: tech handle TECH-1, zone handle ZONE-1, admin copied from the owner, name servers ns1.provider.net, ns2.provider.net"
        ),
        "{}",
        sent.message
    );
}

#[tokio::test]
async fn owner_consent_for_every_gtld_owner_block_or_handle() {
    let r = with_defaults(registrar::testing::defaults());
    let ns = json!([{"name": "ns1.x.net"}, {"name": "ns2.x.net"}]);
    order(
        &r,
        json!([
            {"item_id": "1", "type": "domain_registration", "domain": "block.de", "contacts": {"owner": owner()}, "nameservers": ns},
            {"item_id": "2", "type": "domain_registration", "domain": "block.shop", "contacts": {"owner": owner()}, "nameservers": ns},
            {"item_id": "3", "type": "domain_registration", "domain": "handle.com", "contacts": {"owner": {"handle": "OWN-1"}}, "nameservers": ns}
        ]),
    )
    .await;
    let consent: Vec<(String, bool)> = r
        .gateway
        .seen()
        .iter()
        .map(|t| {
            (
                domain_of(t).name.clone(),
                domain_of(t).confirm_owner_consent,
            )
        })
        .collect();
    assert_eq!(
        consent,
        [
            ("block.de".to_owned(), false),
            ("block.shop".to_owned(), true),
            ("handle.com".to_owned(), true)
        ]
    );
    let log = r.store.log("block.de");
    let sent = log.iter().find(|e| e.action == "request.sent").unwrap();
    assert!(
        !sent.message.contains("name servers"),
        "the item's own: {}",
        sent.message
    );
}
