//! Event parsing: the contract's samples, and what is refused.
use super::*;
use serde_json::json;

#[test]
fn an_unusable_notification_address_or_language_never_refuses_the_order() {
    let detail = json!({"order_id": "O-1",
        "account": {"id": "C", "kind": "customer", "email": "not an address", "language": "klingon"},
        "items": []});
    let InboundEvent::OrderPaid(order) = parse_event("OrderPaid", &detail).unwrap() else {
        unreachable!()
    };
    assert_eq!(order.account.email, None);
    assert_eq!(order.account.language, None);
    let detail = json!({"order_id": "O-2",
        "account": {"id": "C", "kind": "customer", "email": " a@b.example ", "language": "de-DE"},
        "items": []});
    let InboundEvent::OrderPaid(order) = parse_event("OrderPaid", &detail).unwrap() else {
        unreachable!()
    };
    assert_eq!(order.account.email.as_deref(), Some("a@b.example"));
    assert_eq!(
        order.account.language,
        Some(crate::status_mail::Language::De)
    );
}

#[test]
fn parses_the_contract_example_item_by_item() {
    let detail = json!({
        "order_id": "ORD-1001",
        "account": {"id": "CUST-42", "kind": "customer"},
        "items": [
            {"item_id": "ORD-1001-1", "type": "domain_registration", "domain": "example.de",
             "period_years": 1, "contacts": {}, "nameservers": []},
            {"item_id": "ORD-1001-2", "type": "domain_transfer", "domain": "example.com", "auth_code": "x"},
            {"item_id": "ORD-1001-3", "type": "hosting_plan"},
            {"item_id": "ORD-1001-4", "type": "domain_registration", "domain": "a.de", "period_years": "one"},
            "garbage",
            {"item_id": 7, "type": "domain_registration"}
        ],
        "unknown_field": true
    });
    let InboundEvent::OrderPaid(order) = parse_event("OrderPaid", &detail).unwrap() else {
        panic!("expected OrderPaid")
    };
    assert_eq!(order.account.kind, AccountKind::Customer);
    assert!(matches!(
        &order.items[0],
        OrderItem::Domain {
            operation: Operation::Register,
            ..
        }
    ));
    assert!(matches!(
        &order.items[1],
        OrderItem::Domain {
            operation: Operation::Transfer,
            ..
        }
    ));
    assert!(matches!(&order.items[2], OrderItem::Other { .. }));
    assert!(
        matches!(&order.items[3], OrderItem::Invalid { reason, domain: Some(d), .. } if reason.contains("period_years") && d == "a.de")
    );
    assert!(matches!(&order.items[4], OrderItem::Invalid { item_id, .. } if item_id == "#5"));
    assert!(matches!(&order.items[5], OrderItem::Invalid { item_id, .. } if item_id == "7"));
}

#[test]
fn refuses_events_without_their_identity() {
    assert!(parse_event("OrderPaid", &json!({"items": []})).is_err());
    assert!(parse_event(
        "OrderPaid",
        &json!({"order_id": "A#B", "account": {"id": "x", "kind": "customer"}, "items": []})
    )
    .is_err());
    assert!(parse_event("OrderPaid", &json!({"order_id": 5})).is_err());
    let customer_without_order = json!({"request_id": "R1", "operation": "register",
        "account": {"id": "C", "kind": "customer"}, "domain": "x.de"});
    let err = parse_event("DomainRequested", &customer_without_order).unwrap_err();
    assert!(err.0.contains("order_id is required"), "{err}");
    assert!(parse_event("Nope", &json!({})).is_err());
}

/// Security review L1: a numeric auth code was echoed into the reason (and
/// so into `last_error`, the log and the customer's status mail).
#[test]
fn a_malformed_auth_code_is_never_echoed() {
    let order = json!({"order_id": "O-1", "account": {"id": "C-1", "kind": "customer"},
        "items": [{"item_id": "I-1", "type": "domain_transfer", "domain": "x.de", "auth_code": 83726154}]});
    let InboundEvent::OrderPaid(order) = parse_event("OrderPaid", &order).unwrap() else {
        unreachable!("an OrderPaid")
    };
    let OrderItem::Invalid { reason, .. } = &order.items[0] else {
        panic!("invalid item expected: {:?}", order.items[0])
    };
    assert!(!reason.contains("83726154"), "{reason}");
    assert!(reason.contains("auth_code"), "{reason}");
}
