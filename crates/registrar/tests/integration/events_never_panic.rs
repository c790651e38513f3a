//! Event parsing and submission on hostile input: arbitrary JSON for every
//! event type, and the sample order with one field of one item replaced by
//! something hostile (wrong type, control characters, XML metacharacters,
//! huge strings and arrays). Properties: never a panic; the untouched items
//! are still sent; the touched item is sent or refused alone, with a reason;
//! every request that goes out is well-formed XML that names the item's own
//! domain.
//!
//! Cases: proptest's `PROPTEST_CASES` (the test command sets 16,384).

use proptest::prelude::*;
use registrar::event::{parse_event, InboundEvent};
use registrar::report::ItemOutcome;
use registrar::testing::{registrar, MemoryStore, ScriptedGateway, TestClock};
use registrar::Registrar;
use serde_json::{json, Value};

const TYPES: [&str; 8] = [
    "OrderPaid",
    "DomainRequested",
    "NameserversChangeRequested",
    "ContactsChangeRequested",
    "CancellationRequested",
    "TransferLockChangeRequested",
    "CancellationWithdrawn",
    "AuthCodeRequested",
];

/// The scripted gateway checks that every request is well-formed XML
/// naming its own domain.
fn submitter() -> Registrar<MemoryStore, ScriptedGateway, TestClock> {
    registrar(ScriptedGateway::default())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        hostile_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Names the parsers look for, and others.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "order_id",
            "account",
            "id",
            "kind",
            "items",
            "item_id",
            "type",
            "domain",
            "period_years",
            "auth_code",
            "contacts",
            "owner",
            "admin",
            "nameservers",
            "name",
            "ipv4",
            "ipv6",
            "request_id",
            "operation",
            "handle",
            "email",
            "phone",
            "country",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,12}",
    ]
}

fn hostile_string() -> impl Strategy<Value = String> {
    prop_oneof![
        ".*",
        Just("<![CDATA[x]]>&amp;<!DOCTYPE x [<!ENTITY e \"boom\">]>&e;".to_owned()),
        Just("a\u{0}b\u{7}c\r\nd\u{202e}".to_owned()),
        Just("x".repeat(5_000)),
        Just("Example.DE.".to_owned()),
        Just("xn--.de".to_owned()),
        Just("müller-söhne.de".to_owned()),
        Just(format!("{}.de", "a".repeat(300))),
        Just("+49.301234567".to_owned()),
        Just("DROP TABLE; --".to_owned()),
    ]
}

fn sample_order() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/order-paid.json");
    let event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    event["detail"].clone()
}

/// Every JSON pointer to a scalar or container under `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(v, format!("{at}/{k}"), out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #[test]
    fn arbitrary_events_never_panic(kind in prop::sample::select(TYPES.to_vec()), detail in json_value()) {
        if let Ok(event) = parse_event(kind, &detail) {
            runtime().block_on(submitter().handle(&event));
        }
    }

    #[test]
    fn one_hostile_field_touches_only_its_own_item(choice in any::<prop::sample::Index>(), value in json_value()) {
        let mut order = sample_order();
        let mut paths = Vec::new();
        pointers(&order["items"][0], "/items/0".into(), &mut paths);
        let path = choice.get(&paths).clone();
        *order.pointer_mut(&path).unwrap() = value;

        let event = parse_event("OrderPaid", &order).expect("order-level fields are untouched");
        let InboundEvent::OrderPaid(_) = &event else { unreachable!() };
        let s = submitter();
        let report = runtime().block_on(s.handle(&event));
        // The untouched transfer (item 2) is always sent.
        let transfer = report.items.iter().find(|i| i.item == "ORD-1001-2").expect("item 2 reported");
        prop_assert_eq!(transfer.outcome, ItemOutcome::Accepted);
        // The touched item: sent, or refused with a reason.
        if let Some(first) = report.items.iter().find(|i| i.item != "ORD-1001-2" && i.item != "ORD-1001-3") {
            match first.outcome {
                ItemOutcome::Accepted | ItemOutcome::Ignored => {}
                _ => prop_assert!(first.reason.as_deref().is_some_and(|r| !r.is_empty()), "{:?}", first),
            }
        }
        prop_assert!(report.transient.is_empty());
        let sent: Vec<String> = s
            .gateway
            .seen()
            .iter()
            .map(|t| t.kind.domain_name().to_owned())
            .collect();
        prop_assert!(sent.iter().filter(|d| *d == "example.com").count() == 1);
    }
}

#[test]
fn a_huge_array_of_items_is_refused_whole() {
    let mut order = sample_order();
    let item = order["items"][0].clone();
    order["items"] = Value::Array(vec![item; 5_001]);
    let err = parse_event("OrderPaid", &order).unwrap_err();
    assert!(err.to_string().contains("5000"), "{err}");
}
