//! What the probe asks, in the order it asks: one [`Step`] per exchange,
//! each naming the protocol-audit item its answer settles (round 3,
//! `shared/reviews/protocol-audit.md` §6 and §7; D-numbers from all rounds).
//!
//! Most steps are tasks exactly as the connector sends them — the answer is
//! what production will meet. A few are [`Request::Edited`]: the
//! connector's request with one element changed into a form the connector
//! never sends (a nack with a text reason, `execdate now`, no owner
//! consent), because what InterNetX says to that form is the question.

use internetx::{
    Contact, ContactKind, ContactRef, DomainOrder, DomainUpdate, NackReason, Nameserver,
    Protection, Secret, TaskKind, TransferOutAnswer,
};

/// One planned exchange.
pub struct Step {
    /// Names the files (`NN-<check>.request.xml`) and the manifest entry.
    pub check: &'static str,
    /// The audit items the answer settles (`D19`, `§7.1`, a task code).
    pub audit: &'static str,
    /// What the answer tells, in a sentence.
    pub question: &'static str,
    pub request: Request,
}

pub enum Request {
    /// A task as the connector sends it.
    Task(TaskKind),
    /// The connector's request for `kind` with `from` replaced by `to`.
    Edited {
        kind: TaskKind,
        from: String,
        to: String,
    },
    /// `times` copies of the task started together, unpaced: the rate
    /// limit is the question.
    Burst { kind: TaskKind, times: usize },
}

impl Request {
    pub fn kind(&self) -> &TaskKind {
        match self {
            Request::Task(kind) | Request::Edited { kind, .. } | Request::Burst { kind, .. } => {
                kind
            }
        }
    }

    /// The body to send, given the connector's XML for the task.
    pub fn body(&self, connector_xml: String) -> String {
        match self {
            Request::Edited { from, to, .. } => connector_xml.replacen(from.as_str(), to, 1),
            _ => connector_xml,
        }
    }
}

/// What the plan depends on.
pub struct PlanInput<'a> {
    /// Names the throw-away domains: `<prefix>-<check>.<tld>`.
    pub prefix: &'a str,
    pub nameservers: &'a [String],
    /// A domain the demo account may transfer in, with its auth code.
    pub transfer: Option<&'a (String, Secret)>,
    /// A domain of the demo account with an outgoing transfer pending.
    pub transfer_out: Option<&'a str>,
    /// An existing contact handle of the demo account.
    pub owner_handle: Option<&'a str>,
}

/// The text the connector never sends as `nack_reason` (D19: what does
/// InterNetX answer to it?).
pub const TEXT_NACK_REASON: &str = "The owner objects to the transfer.";

pub fn plan(input: &PlanInput) -> Vec<Step> {
    let domain = |check: &str| format!("{}-{check}.com", input.prefix);
    let ns: Vec<Nameserver> = input
        .nameservers
        .iter()
        .map(|name| Nameserver {
            name: name.clone(),
            ipv4: vec![],
            ipv6: vec![],
        })
        .collect();
    let running = domain("running");
    let running_eu = format!("{}-running.eu", input.prefix);
    let running_be = format!("{}-running.be", input.prefix);
    let code = || Secret::new("probe-auth-code");
    let task = |check, audit, question, kind| Step {
        check,
        audit,
        question,
        request: Request::Task(kind),
    };
    let nack = |name: &str, reason| TaskKind::TransferOutAnswer {
        name: name.to_owned(),
        answer: TransferOutAnswer::Nack { reason },
    };
    let text_nack = |check, audit, question, name: &str| Step {
        check,
        audit,
        question,
        request: Request::Edited {
            kind: nack(name, NackReason::Fraud),
            from: "<nack_reason>1</nack_reason>".into(),
            to: format!("<nack_reason>{TEXT_NACK_REASON}</nack_reason>"),
        },
    };
    let without_consent = |check, audit, question, kind| Step {
        check,
        audit,
        question,
        request: Request::Edited {
            kind,
            from: "<confirm_owner_consent>1</confirm_owner_consent>".into(),
            to: String::new(),
        },
    };
    let named = |name: &str| name.to_owned();

    let mut steps = vec![
        task(
            "create-without-nameservers",
            "D4",
            "Is a 0101 without <nserver> accepted (parked) or refused, and with which code?",
            TaskKind::DomainCreate(order(&domain("no-ns"), Vec::new(), true)),
        ),
        task(
            "transfer-without-contacts",
            "D3",
            "Is a 0104 without contacts and name servers accepted?",
            transfer(order(&domain("transfer-bare"), Vec::new(), false), code()),
        ),
        task(
            "transfer-without-nameservers",
            "D3",
            "Is a 0104 with contacts but without name servers accepted?",
            transfer(order(&domain("transfer-no-ns"), Vec::new(), true), code()),
        ),
        without_consent(
            "create-without-owner-consent",
            "D5",
            "Does a gTLD 0101 with an owner but no confirm_owner_consent get refused, and with which code?",
            TaskKind::DomainCreate(order(&domain("no-consent"), ns.clone(), true)),
        ),
        task(
            "create-complete",
            "D1",
            "The immediate answer to a complete 0101 (N0101 with a job?); its result mail below.",
            TaskKind::DomainCreate(order(&running, ns.clone(), true)),
        ),
        task(
            "info-while-create-runs",
            "D1/D2/D21 §7.2",
            "Domain info while the registration runs: S0105 with which <status>, or E0105? Does a domain without a cancelation carry an empty <cancelation/>?",
            info(&running),
        ),
        task(
            "create-complete-eu",
            "D20 §7.4",
            "A .eu registration, so that AuthInfo2 can be asked for it below.",
            TaskKind::DomainCreate(order(&running_eu, ns.clone(), true)),
        ),
        task(
            "create-complete-be",
            "D20 §7.4",
            "A .be registration, so that AuthInfo1 and AuthInfo2 can be asked for it below.",
            TaskKind::DomainCreate(order(&running_be, ns.clone(), true)),
        ),
    ];
    if let Some((name, auth_code)) = input.transfer {
        steps.push(task(
            "transfer-complete",
            "D2/D11",
            "A complete 0104: its immediate answer, and (mail) its final code for this TLD.",
            transfer(order(name, ns.clone(), true), auth_code.clone()),
        ));
        steps.push(task(
            "info-while-transfer-runs",
            "D2",
            "Domain info while the transfer runs: S0105 with which <status>, or E0105?",
            info(name),
        ));
    }
    if let Some(handle) = input.owner_handle {
        let mut bare = order(&domain("handle-no-consent"), ns.clone(), true);
        bare.owner = Some(ContactRef::Handle(handle.to_owned()));
        steps.push(without_consent(
            "transfer-owner-handle-without-consent",
            "D5",
            "Does a gTLD 0104 whose owner is an existing handle need confirm_owner_consent?",
            transfer(bare, code()),
        ));
        // Owner verification (issue 29 §3): the XML form of 0344's answer
        // is not published, and what 0349 answers for a verified handle.
        let verification = |check, question, kind| task(check, "0344/0349", question, kind);
        steps.extend([
            verification(
                "verification-info",
                "0344 for an existing handle: the XML spelling of handle_verification (domains/status/deactivation, verification mails), and its status words?",
                TaskKind::VerificationInfo {
                    handle: handle.to_owned(),
                    domain: running.clone(),
                },
            ),
            verification(
                "verification-resend",
                "0349 for the same handle: answered at once (S0349) or as a job, and what for a handle that is verified or has no verification?",
                TaskKind::VerificationResend {
                    handle: handle.to_owned(),
                    domain: running.clone(),
                },
            ),
        ]);
    }
    steps.extend([
        task(
            "transfer-out-answer-nothing-pending",
            "0106002",
            "Is 0106002 with a <transfer> object understood? Nothing is pending: which code says so?",
            TaskKind::TransferOutAnswer {
                name: named(&running),
                answer: TransferOutAnswer::Ack,
            },
        ),
        task(
            "transfer-out-info-nothing-pending",
            "D22 §7.1",
            "0106001 in the Transfer object's form: understood? What does 'nothing pending' look like?",
            TaskKind::TransferOutInfo {
                name: named(&running),
            },
        ),
        task(
            "transfer-out-nack-numbered-reason",
            "D19 §7.1",
            "A nack with nack_reason 1, nothing pending: is the reason's form accepted?",
            nack(&running, NackReason::Fraud),
        ),
        text_nack(
            "transfer-out-nack-text-reason",
            "D19 §6.1 §7.1",
            "A nack with a text nack_reason, nothing pending: refused for the reason's form (which code), or only for nothing pending?",
            &running,
        ),
        task(
            "authinfo1-create",
            "D20 §7.4",
            "0113001 on a .com: the code in status/object/value?",
            TaskKind::AuthInfoCreate {
                name: named(&running),
            },
        ),
        task(
            "authinfo1-create-be",
            "D20 §7.4",
            "0113001 on a .be: refused (AuthInfo2 being the way), and with which code?",
            TaskKind::AuthInfoCreate {
                name: named(&running_be),
            },
        ),
        task(
            "authinfo2-eu",
            "D20 §7.4",
            "0113003 on a .eu: S0113003 at once, or a job?",
            TaskKind::AuthInfo2 { name: running_eu },
        ),
        task(
            "authinfo2-be",
            "D20 §7.4",
            "0113003 on a .be: S0113003 at once, or a job?",
            TaskKind::AuthInfo2 {
                name: named(&running_be),
            },
        ),
        task(
            "authinfo-to-owner",
            "D20 §6.2 §7.4",
            "0113005: its answer code; does it need an existing AuthInfo?",
            TaskKind::AuthInfoToOwner {
                name: named(&running),
            },
        ),
        task(
            "registry-lock",
            "0102002 §7.6",
            "0102002 LOCK on a .com: the immediate answer (and the final mail's code).",
            registry_status(&running, "LOCK"),
        ),
        task(
            "registry-unlock",
            "0102002 §7.6",
            "0102002 ACTIVE after LOCK: the immediate answer (and the final mail's code).",
            registry_status(&running, "ACTIVE"),
        ),
        task(
            "update-nameservers",
            "0102",
            "A 0102 with the name-server set alone: the immediate answer and the final code.",
            TaskKind::DomainUpdate(DomainUpdate {
                name: named(&running),
                owner: None,
                admin: None,
                tech: None,
                zone: None,
                nameservers: Some(ns.iter().rev().cloned().collect()),
                confirm_owner_consent: false,
            }),
        ),
        task(
            "update-owner",
            "D15",
            "A 0102 with a new owner (gTLD, with consent): which codes (S0102, 0104010/0104011) answer it?",
            TaskKind::DomainUpdate(DomainUpdate {
                name: named(&running),
                owner: Some(ContactRef::Inline(Box::new(Contact {
                    last_name: "Successor".into(),
                    alias: registrar::contact::alias("owner-new", &running),
                    ..probe_contact("owner", &running)
                }))),
                admin: None,
                tech: None,
                zone: None,
                nameservers: None,
                confirm_owner_consent: true,
            }),
        ),
        task(
            "cancel-at-expiry",
            "D10",
            "0103101 (delete at expire): its immediate answer (N0103101?) and whether a mail follows.",
            TaskKind::CancelationAtExpiry {
                name: named(&running),
            },
        ),
        task(
            "info-with-cancelation",
            "D10/D21 §6.4 §7.2",
            "Domain info with a cancelation at expiry: what is inside <cancelation> (a block, or a status word)?",
            info(&running),
        ),
        task(
            "list-with-our-keys",
            "D21/D23 §6.4 §7.2",
            "A one-page list with the connector's keys and <order> by name: which keys are honoured, is <cancelation/> written empty, what does <summary> say, are the names ascending?",
            TaskKind::DomainList {
                offset: 0,
                limit: 5,
            },
        ),
        task(
            "list-limit-1000",
            "D23 §6.5 §7.3",
            "A list with limit 1000: honoured, capped, or refused?",
            TaskKind::DomainList {
                offset: 0,
                limit: 1_000,
            },
        ),
        task(
            "list-limit-5000",
            "D23 §6.5 §7.3",
            "A list with limit 5000: honoured, capped (to what), or refused (which code)?",
            TaskKind::DomainList {
                offset: 0,
                limit: 5_000,
            },
        ),
        task(
            "cancelation-withdrawal",
            "0103103 §7.5",
            "0103103 with execdate expire, as the connector sends it: its answer code.",
            TaskKind::CancelationDelete {
                name: named(&running),
            },
        ),
        task(
            "cancel-at-expiry-again",
            "0103103 §7.5",
            "A fresh cancelation, for the execdate-now withdrawal below.",
            TaskKind::CancelationAtExpiry {
                name: named(&running),
            },
        ),
        Step {
            check: "cancelation-withdrawal-execdate-now",
            audit: "0103103 §7.5",
            question: "0103103 with execdate now (the official example's form): accepted alike?",
            request: Request::Edited {
                kind: TaskKind::CancelationDelete {
                    name: named(&running),
                },
                from: "<execdate>expire</execdate>".into(),
                to: "<execdate>now</execdate>".into(),
            },
        },
    ]);
    for (check, phone) in [
        ("phone-three-groups", "+1-555-123-4567"),
        ("phone-two-groups", "+1-5551234567"),
    ] {
        let mut order = order(&domain(check), ns.clone(), true);
        set_owner(&mut order, |c| c.phone = phone.to_owned());
        steps.push(task(
            check,
            "D12",
            "Which phone form does InterNetX accept: +CC-AREA-NUMBER, or more groups?",
            TaskKind::DomainCreate(order),
        ));
    }
    let mut long_alias = order(&domain("long-alias"), ns.clone(), true);
    set_owner(&mut long_alias, |c| {
        c.alias = format!("ib-owner-{}", "a".repeat(250))
    });
    steps.push(task(
        "alias-250-characters",
        "D17",
        "Is a 259-character alias accepted, cut, or refused?",
        TaskKind::DomainCreate(long_alias),
    ));
    if let Some(name) = input.transfer_out {
        let pending = TaskKind::TransferOutInfo { name: named(name) };
        steps.extend([
            task(
                "transfer-out-info-pending",
                "D22 §7.1",
                "0106001 with an outgoing transfer pending: what does the answer carry?",
                pending.clone(),
            ),
            Step {
                check: "transfer-out-info-bare-domain",
                audit: "D22 0106001",
                question: "0106001 with the domain as text, as 0106002 writes it, instead of the client library's <domain><name/>: also understood?",
                request: Request::Edited {
                    kind: pending.clone(),
                    from: format!("<domain><name>{}</name></domain>", named(name)),
                    to: format!("<domain>{}</domain>", named(name)),
                },
            },
            text_nack(
                "transfer-out-nack-text-pending",
                "D19 §6.1 §7.1",
                "A nack with a text reason while a transfer is pending: the error code and text.",
                name,
            ),
            task(
                "transfer-out-nack-numbered-pending",
                "D19/D22 §6.3 §7.1",
                "A nack with reason 1 while a transfer is pending: N0106? And (mail) S0106 or E0106, with our ctid and kk_answer?",
                nack(name, NackReason::Fraud),
            ),
            task(
                "transfer-out-info-after-nack",
                "D22 §7.1",
                "0106001 after the nack: still pending, answered, or gone?",
                pending,
            ),
        ]);
    }
    steps.push(Step {
        check: "four-in-one-second",
        audit: "D14",
        question: "Four domain-info requests started together: how does the rate limit answer the excess (HTTP 429/503, an XML error)?",
        request: Request::Burst {
            kind: info(&running),
            times: 4,
        },
    });
    steps
}

/// A registration or transfer body; `contacts`: all four, in full.
fn order(name: &str, nameservers: Vec<Nameserver>, contacts: bool) -> DomainOrder {
    let contact =
        |slot: &str| contacts.then(|| ContactRef::Inline(Box::new(probe_contact(slot, name))));
    DomainOrder {
        name: name.to_owned(),
        owner: contact("owner"),
        admin: contact("admin"),
        tech: contact("tech"),
        zone: contact("zone"),
        nameservers,
        period_years: None,
        confirm_owner_consent: contacts,
    }
}

fn probe_contact(slot: &str, domain: &str) -> Contact {
    Contact {
        alias: registrar::contact::alias(slot, domain),
        kind: ContactKind::Person,
        first_name: "Probe".into(),
        last_name: "Example".into(),
        organization: None,
        address: vec!["Example Street 1".into()],
        postal_code: "10115".into(),
        city: "Berlin".into(),
        state: None,
        country: "DE".into(),
        phone: "+49-30-1234567".into(),
        fax: None,
        email: "probe@example.com".into(),
        protection: Protection::Limited,
        extension: Vec::new(),
    }
}

fn transfer(order: DomainOrder, auth_code: Secret) -> TaskKind {
    TaskKind::DomainTransfer { order, auth_code }
}

fn info(name: &str) -> TaskKind {
    TaskKind::DomainInfo {
        name: name.to_owned(),
    }
}

fn registry_status(name: &str, status: &str) -> TaskKind {
    TaskKind::RegistryStatus {
        name: name.to_owned(),
        status: status.to_owned(),
    }
}

fn set_owner(order: &mut DomainOrder, change: impl FnOnce(&mut Contact)) {
    if let Some(ContactRef::Inline(owner)) = &mut order.owner {
        change(owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use internetx::{Credentials, Envelope, Task};

    fn full_plan() -> Vec<Step> {
        let transfer = ("incoming.com".to_owned(), Secret::new("code"));
        plan(&PlanInput {
            prefix: "t",
            nameservers: &["a.example.net".into(), "b.example.net".into()],
            transfer: Some(&transfer),
            transfer_out: Some("leaving.com"),
            owner_handle: Some("12345"),
        })
    }

    /// Every request type the connector sends is asked at least once.
    #[test]
    fn every_request_type_the_connector_sends_is_asked() {
        let steps = full_plan();
        let codes: std::collections::BTreeSet<&str> =
            steps.iter().map(|s| s.request.kind().code()).collect();
        for code in [
            "0101", "0102", "0102002", "0103101", "0103103", "0104", "0105", "0106001", "0106002",
            "0113001", "0113003", "0113005", "0344", "0349",
        ] {
            assert!(codes.contains(code), "{code} is never asked: {codes:?}");
        }
        assert!(steps
            .iter()
            .any(|s| matches!(s.request.kind(), TaskKind::DomainList { limit: 5_000, .. })));
    }

    /// Each open question of the audit's §6 and each check of its §7 has
    /// an exchange that names it.
    #[test]
    fn every_open_audit_item_has_an_exchange() {
        let steps = full_plan();
        let items = [
            "§6.1", "§6.2", "§6.3", "§6.4", "§6.5", "§7.1", "§7.2", "§7.3", "§7.4", "§7.5", "§7.6",
            "D1", "D3", "D4", "D5", "D10", "D11", "D12", "D14", "D15", "D17", "D19", "D20", "D21",
            "D22", "D23",
        ];
        for item in items {
            assert!(
                steps
                    .iter()
                    .any(|s| s.audit.split([' ', '/']).any(|a| a == item)),
                "{item} has no exchange"
            );
        }
        let mut checks: Vec<&str> = steps.iter().map(|s| s.check).collect();
        checks.sort_unstable();
        let before = checks.len();
        checks.dedup();
        assert_eq!(before, checks.len(), "every check names its own files");
    }

    /// An edited request really differs from the connector's: the element
    /// it changes is where the plan says it is.
    #[test]
    fn every_edit_changes_the_connectors_request() {
        let envelope = Envelope::new(Credentials {
            user: "u".into(),
            password: Secret::new("p"),
            context: "1".into(),
        });
        let mut edited = 0;
        for step in full_plan() {
            let task = Task {
                kind: step.request.kind().clone(),
                ctid: "c".into(),
                reply_to: None,
            };
            let xml = task.to_xml(&envelope);
            if let Request::Edited { from, to, .. } = &step.request {
                assert!(
                    xml.contains(from.as_str()),
                    "{}: {from} not in {xml}",
                    step.check
                );
                let body = step.request.body(xml.clone());
                assert!(
                    !body.contains(from.as_str()) || from == to,
                    "{}",
                    step.check
                );
                assert!(body.contains(to.as_str()), "{}", step.check);
                edited += 1;
            }
        }
        assert_eq!(
            edited, 6,
            "text nack twice, execdate now, two without consent, 0106001 with a bare domain"
        );
    }
}
