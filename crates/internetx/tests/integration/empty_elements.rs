//! D21 (protocol audit, round 3): InterNetX writes unset fields as empty
//! elements — `<authinfo></authinfo>` in a domain inquiry (tillkahlbrock's
//! `DomainInquire_response.xml`), `<title></title>`, `<remarks></remarks>`,
//! `<extension/>` in the official contact job notification
//! (https://help.internetx.com/display/APIXMLEN/Domain+contact+job+notifications),
//! `<value></value>` in the official AuthInfo1 "exists" answer. An empty
//! element is no value: an empty `<cancelation/>` is no cancelation, an
//! empty `<transfer/>` in a notification no outgoing transfer. (On
//! b12f8b7 the first two were read as a cancelation.)

use internetx::notification::{parse_notification_document, Notification};
use internetx::response::parse_answer;

fn listed(domain_block: &str) -> internetx::DomainData {
    let xml = format!(
        "<response><result><data><summary>1</summary><domain><name>example.com</name>\
         <expire>2027-11-29 10:00:00</expire>{domain_block}</domain></data>\
         <status><code>S0105</code><text>Domain data was inquired successfully.</text><type>success</type></status>\
         </result></response>"
    );
    let answer = parse_answer(&xml).expect("a domain list answer");
    answer.domains.into_iter().next().expect("one domain")
}

#[test]
fn an_empty_cancelation_is_no_cancelation() {
    for empty in [
        "<cancelation/>",
        "<cancelation></cancelation>",
        "<cancelation>\n  </cancelation>",
        "<cancelation><type></type><execdate/></cancelation>",
    ] {
        let d = listed(empty);
        assert_eq!(d.cancelation, None, "{empty}");
        // The other fields are read as ever.
        assert!(d.expires.is_some(), "{empty}");
    }
    for (set, expected) in [
        (
            "<cancelation><type>delete</type><execdate>expire</execdate></cancelation>",
            "delete",
        ),
        (
            "<cancelation><status>PENDING</status></cancelation>",
            "pending",
        ),
        (
            "<cancelation><execdate>expire</execdate></cancelation>",
            "present",
        ),
    ] {
        assert_eq!(listed(set).cancelation.as_deref(), Some(expected), "{set}");
    }
}

#[test]
fn empty_fields_are_absent_not_blank_values() {
    let d = listed(
        "<payable></payable><registry_status/><autorenew></autorenew><authinfo></authinfo>\
         <nserver><name></name></nserver><status/>",
    );
    assert_eq!(d.payable, None);
    assert_eq!(d.registry_status, None);
    assert_eq!(d.locked(), None);
    assert_eq!(d.autorenew, None);
    assert!(d.nameservers.is_empty());
    assert_eq!(d.status, None);
}

fn event_kind(notify_body: &str) -> String {
    let xml = format!(
        "<response><result><data><summary>1</summary><message><id>1005491836</id>\
         <notify>{notify_body}</notify></message></data></result></response>"
    );
    let notes = parse_notification_document(&xml).expect("a notification");
    match notes.as_slice() {
        [Notification::Event(e)] => e.kind.clone(),
        other => panic!("not one event: {other:?}"),
    }
}

#[test]
fn an_empty_transfer_block_reports_no_transfer() {
    // The published transfer_start sample has a filled <transfer> block:
    // that is an outgoing transfer to look at.
    assert_eq!(
        event_kind(
            "<domain><name>example.com</name></domain>\
             <transfer><gaining_registrar>greg</gaining_registrar></transfer>"
        ),
        "transfer"
    );
    // Empty, it says nothing; nor does an empty field beside the name.
    assert_ne!(
        event_kind("<domain><name>example.com</name></domain><transfer/>"),
        "transfer"
    );
    assert_eq!(
        event_kind("<domain><name>example.com</name><authinfo></authinfo></domain>"),
        "unknown"
    );
    assert_eq!(
        event_kind(
            "<domain><name>example.com</name><registry_status>ACTIVE</registry_status></domain>"
        ),
        "domain_update"
    );
}
