//! The XML we build, compared element by element with documents written
//! after INTERNETX.md's examples, and the answer forms it documents parsed.

use std::path::Path;

use internetx::response::{parse_answer, AnswerKind, ProtocolError};
use internetx::tree::{self, Element, XmlError};
use internetx::{
    Contact, ContactKind, ContactRef, Credentials, DomainOrder, Envelope, Nameserver, Secret,
    Subuser, Task, TaskKind,
};

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Element names, order and (trimmed) text must agree at every level.
fn assert_same_tree(built: &Element, expected: &Element, path: &str) {
    let here = format!("{path}/{}", expected.name);
    assert_eq!(built.name, expected.name, "element name at {here}");
    assert_eq!(built.text.trim(), expected.text.trim(), "text of {here}");
    let names = |e: &Element| {
        e.children
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(built), names(expected), "children of {here}");
    for (b, e) in built.children.iter().zip(&expected.children) {
        assert_same_tree(b, e, &here);
    }
}

fn envelope() -> Envelope {
    Envelope::new(Credentials {
        user: "api-user".into(),
        password: Secret::new("secret"),
        context: "4".into(),
    })
}

#[test]
fn registration_envelope_matches_internetx_md() {
    let task = Task {
        kind: TaskKind::DomainCreate(DomainOrder {
            name: "example.de".into(),
            owner: Some(ContactRef::Handle("4711".into())),
            admin: Some(ContactRef::Handle("4711".into())),
            tech: Some(ContactRef::Handle("4712".into())),
            zone: Some(ContactRef::Handle("4712".into())),
            nameservers: vec![
                Nameserver {
                    name: "ns1.provider.net".into(),
                    ipv4: vec![],
                    ipv6: vec![],
                },
                Nameserver {
                    name: "ns.example.de".into(),
                    ipv4: vec!["192.0.2.53".into()],
                    ipv6: vec!["2001:db8::53".into()],
                },
            ],
            period_years: Some(1),
            confirm_owner_consent: false,
        }),
        ctid: "ib-01JD0000000000000000000000".into(),
        reply_to: Some("internetx+TOKEN@inbound.example.net".into()),
    };
    let built = tree::parse(&task.to_xml(&envelope())).unwrap();
    let expected = tree::parse(&fixture("envelope-internetx-md.xml")).unwrap();
    assert_same_tree(&built, &expected, "");
}

#[test]
fn create_plus_puts_escaped_contacts_inline() {
    let contact = Contact {
        alias: "ib-owner-xn--mller-shne-kcb9d.de".into(),
        kind: ContactKind::Org,
        first_name: "Hans".into(),
        last_name: "Müller".into(),
        organization: Some("Müller & <Söhne>".into()),
        address: vec!["Hauptstraße 1".into(), "Hinterhaus".into()],
        postal_code: "10115".into(),
        city: "Berlin".into(),
        state: None,
        country: "DE".into(),
        phone: "+49-30-1234567".into(),
        fax: Some("+49-30-1234568".into()),
        email: "hans@example.de".into(),
        protection: internetx::Protection::Limited,
        extension: vec![("idnumber".into(), "HRB 1234".into())],
    };
    let mut env = envelope();
    env.owner = Some(Subuser {
        user: "subuser".into(),
        context: "4".into(),
    });
    let task = Task {
        kind: TaskKind::DomainCreate(DomainOrder {
            name: "xn--mller-shne-kcb9d.de".into(),
            owner: Some(ContactRef::Inline(Box::new(contact))),
            admin: Some(ContactRef::Handle("4711".into())),
            tech: None,
            zone: None,
            nameservers: vec![Nameserver {
                name: "ns1.provider.net".into(),
                ipv4: vec![],
                ipv6: vec![],
            }],
            period_years: None,
            confirm_owner_consent: false,
        }),
        ctid: "ib-2".into(),
        reply_to: Some("internetx+abc@inbound.example.net".into()),
    };
    let xml = task.to_xml(&env);
    assert!(
        xml.contains("<organization>Müller &amp; &lt;Söhne&gt;</organization>"),
        "{xml}"
    );
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    assert!(!xml.starts_with('\u{feff}'));
    let expected = tree::parse(&fixture("domain-create-plus.xml")).unwrap();
    assert_same_tree(&tree::parse(&xml).unwrap(), &expected, "");
}

#[test]
fn transfer_carries_any_auth_code_escaped() {
    let task = Task {
        kind: TaskKind::DomainTransfer {
            order: DomainOrder {
                name: "example.com".into(),
                owner: None,
                admin: None,
                tech: None,
                zone: None,
                nameservers: vec![],
                period_years: None,
                confirm_owner_consent: true,
            },
            auth_code: Secret::new("X7#k2<&>\"'"),
        },
        ctid: "ib-3".into(),
        reply_to: None,
    };
    let xml = task.to_xml(&envelope());
    let built = tree::parse(&xml).unwrap();
    assert_eq!(
        built.text_at(&["task", "domain", "authinfo"]),
        Some("X7#k2<&>\"'")
    );
    assert_same_tree(
        &built,
        &tree::parse(&fixture("domain-transfer.xml")).unwrap(),
        "",
    );
    let redacted = internetx::redact::redact(&xml);
    assert!(
        !redacted.contains("X7#k2") && !redacted.contains(">secret<"),
        "{redacted}"
    );
}

#[test]
fn parses_the_recorded_demo_answers() {
    let error = parse_answer(&fixture("answer-error-demo.xml")).unwrap();
    assert!(!error.accepted());
    assert_eq!(error.status.code, "E0201");
    assert_eq!(error.status.kind, AnswerKind::Error);
    assert_eq!(error.messages[0].code, "EF02019");
    assert_eq!(error.stid.as_deref(), Some("20150618-app1-demo-638"));
    assert_eq!(
        error.summary(),
        "EF02019 Duplicate zone entry. (E0201 Zone could not be recorded on the nameserver.)"
    );
    assert_eq!(error.status.object.as_ref().unwrap().value, "example.com");

    let ok = parse_answer(&fixture("answer-success-demo.xml")).unwrap();
    assert!(ok.accepted());
    assert_eq!(ok.status.kind, AnswerKind::Success);
}

#[test]
fn parses_notify_with_job_id_and_without_type() {
    let job = parse_answer(&fixture("answer-notify-0102-job.xml")).unwrap();
    assert_eq!(job.status.kind, AnswerKind::Notify);
    assert_eq!(job.job_id.as_deref(), Some("4295210826"));
    assert_eq!(
        job.status.text,
        "Domain-Aktualisierung erfolgreich gestartet"
    );

    let contact = parse_answer(&fixture("answer-notify-0301-no-type.xml")).unwrap();
    assert_eq!(contact.status.kind, AnswerKind::Notify);
    assert_eq!(contact.status.object.unwrap().value, "9926612");
    assert!(contact.stid.is_none());
}

#[test]
fn keeps_every_message_and_every_status() {
    let nested = parse_answer(&fixture("answer-nested-messages.xml")).unwrap();
    let codes: Vec<_> = nested.messages.iter().map(|m| m.code.as_str()).collect();
    assert_eq!(codes, ["EF01090", "EF03010", "MSG01055"]);
    assert_eq!(nested.errors().count(), 2);

    let two = parse_answer(&fixture("answer-two-results.xml")).unwrap();
    assert_eq!(two.status.code, "N0101");
    assert_eq!(two.more_statuses.len(), 1);
    assert!(
        !two.accepted(),
        "an error in any result refuses the request"
    );
    assert_eq!(two.deciding_status().code, "E0301");
}

#[test]
fn unusable_answers_are_typed_errors() {
    assert_eq!(
        parse_answer(&fixture("answer-no-status.xml")),
        Err(ProtocolError::NoStatus)
    );
    assert!(matches!(
        parse_answer(&fixture("answer-unknown-type.xml")),
        Err(ProtocolError::UnknownStatusType { .. })
    ));
    assert_eq!(
        parse_answer(&fixture("answer-html.xml")),
        Err(ProtocolError::UnexpectedRoot("html".into()))
    );
    assert!(matches!(
        parse_answer(&fixture("answer-truncated.xml")),
        Err(ProtocolError::Xml(XmlError::Malformed(_)))
    ));
    assert_eq!(
        parse_answer(&fixture("answer-entity-bomb.xml")),
        Err(ProtocolError::Xml(XmlError::Doctype))
    );
    assert_eq!(
        parse_answer(&fixture("answer-external-entity.xml")),
        Err(ProtocolError::Xml(XmlError::UnknownEntity("xxe".into())))
    );
    assert!(parse_answer("").is_err());
    assert!(parse_answer("\u{feff}<response/>").is_err());
}

#[test]
fn reads_the_domain_of_a_domain_info_answer() {
    let info = parse_answer(&fixture("answer-domain-info.xml")).unwrap();
    let domain = info.domain.expect("data/domain");
    assert_eq!(domain.name, "example.com");
    assert_eq!(domain.nameservers, ["ns1.provider.net", "ns.example.com"]);

    let missing = parse_answer(&fixture("answer-domain-info-missing.xml")).unwrap();
    assert!(missing.domain.is_none());
    assert_eq!(missing.status.code, "E0105");
    assert_eq!(missing.messages[0].code, "EF01050");
}

#[test]
fn verification_tasks_name_the_handle_inside_handle_verification() {
    use internetx::verification::VerificationState;
    let task = |kind| Task {
        kind,
        ctid: "ctid-1".into(),
        reply_to: None,
    };
    let resend = task(TaskKind::VerificationResend {
        handle: "23238415".into(),
        domain: "example.com".into(),
    });
    let built = tree::parse(&resend.to_xml(&envelope())).expect("built XML parses");
    let expected = tree::parse(&fixture("verification-resend-0349.xml")).expect("fixture parses");
    assert_same_tree(&built, &expected, "");
    // Info and create carry the same body under their own codes; the
    // domain is ours to correlate, never sent.
    for (kind, code) in [
        (
            TaskKind::VerificationInfo {
                handle: "23238415".into(),
                domain: "example.com".into(),
            },
            "0344",
        ),
        (
            TaskKind::VerificationStart {
                handle: "23238415".into(),
                domain: "example.com".into(),
            },
            "0341",
        ),
    ] {
        let xml = task(kind).to_xml(&envelope());
        let root = tree::parse(&xml).expect("built XML parses");
        assert_eq!(root.text_at(&["task", "code"]), Some(code));
        assert_eq!(
            root.text_at(&["task", "handle_verification", "handle", "id"]),
            Some("23238415")
        );
        assert!(!xml.contains("example.com"), "{xml}");
    }

    let pending = parse_answer(&fixture("answer-verification-info-pending.xml")).expect("parses");
    let v = pending.verification.expect("a handle_verification");
    assert_eq!(v.state_for("example.com"), Some(VerificationState::Pending));
    assert_eq!(v.state_for("other.net"), Some(VerificationState::Verified));
    // Dates in the XML form are German time.
    assert_eq!(v.deadline_for("example.com"), Some("2026-12-17T14:29:00Z"));
    assert_eq!(v.address(), Some("owner@owner.example"));

    let camel = parse_answer(&fixture("answer-verification-info-camel.xml")).expect("parses");
    let v = camel.verification.expect("the camel-case spelling too");
    assert_eq!(
        v.state_for("example.com"),
        Some(VerificationState::Verified)
    );
    assert_eq!(v.address(), Some("owner@owner.example"));
    assert_eq!(v.deadline_for("example.com"), None);
    // An answer without the block has none.
    let info = parse_answer(&fixture("answer-domain-info.xml")).expect("parses");
    assert!(info.verification.is_none());
}
