//! The owner's ICANN contact verification, as InterNetX runs it.
//!
//! Sources:
//! - ICANN's 2013 RAA (Whois Accuracy Program Specification): a gTLD
//!   registrar verifies the registrant's e-mail address after a
//!   registration, a transfer in and a registrant change, within 15 days,
//!   or suspends the domain.
//! - InterNetX's OCVAL event page (help.internetx.com/x/mABHB): the
//!   `ocval_reminder` event 5 days before the 15-day window ends, then
//!   `domain_deactivation_warning` with `<reason>ocval</reason>`,
//!   `<deactivation>` and `<domain><name>`; the domain is then HOLD, and
//!   ACTIVE again once the owner is verified.
//! - Contact Verification Info / Create / Resend (0344 / 0341 / 0349), as
//!   shared/reviews/peers-and-demand.md §4 records the help pages:
//!   `domains[].status` (`NOT_SET`, `SUCCESS`, …), `deactivation` per
//!   domain, `verificationMails[].status` (`PENDING`, …), the body
//!   `<handle_verification><handle><id>`.
//!
//! Not published, so offered as variants: the XML spelling of the info
//! answer (snake case by default, the help page's camel case with
//! [`Scenario::CamelCaseVerification`]); the words besides `NOT_SET` and
//! `SUCCESS` (here `PENDING`, and `FAILED` once the window closed); the
//! answers' codes and texts (ours); the refusal of a resend for a verified
//! or unknown handle (ours).

use std::collections::{BTreeSet, HashMap};

use internetx::tree::Element;
use time::{Duration, OffsetDateTime, UtcOffset};

use crate::answer::Answer;
use crate::registry::Registry;
use crate::{Scenario, SimulatorConfig};

/// ICANN's window to verify in.
pub const WINDOW: Duration = Duration::days(15);

/// One handle's verification.
#[derive(Debug, Clone)]
pub struct OwnerVerification {
    pub status: &'static str,
    pub deadline: OffsetDateTime,
    pub email: String,
    /// The mails sent: status, address, when.
    pub mails: Vec<(&'static str, String, OffsetDateTime)>,
    pub domains: BTreeSet<String>,
    pub resends: usize,
    /// The registry holds its domains (the window closed unverified); only
    /// a verification lifts it, not a resend.
    pub held: bool,
}

/// The verification state of the account: per handle, and each domain's
/// owner handle.
#[derive(Debug, Default)]
pub struct Verifications {
    pub by_handle: HashMap<String, OwnerVerification>,
    pub owners: HashMap<String, String>,
}

impl Verifications {
    /// The owner handle of a domain, if the account knows it.
    pub fn owner(&self, domain: &str) -> Option<&str> {
        self.owners.get(domain).map(String::as_str)
    }

    /// A new owner of a gTLD (registration, transfer, owner change): its
    /// handle (the `ownerc` id, or one created for an inline contact) and
    /// a verification started unless that handle is verified already.
    pub fn new_owner(&mut self, domain: &str, ownerc: Option<&Element>) {
        let handle = match ownerc.map(|o| o.text.trim()).filter(|t| !t.is_empty()) {
            Some(id) => id.to_owned(),
            None => format!("sim-{}", 23_238_400 + self.owners.len()),
        };
        self.owners.insert(domain.to_owned(), handle.clone());
        if !is_gtld(domain) {
            return;
        }
        let email = ownerc
            .and_then(|o| o.text_at(&["email"]))
            .map_or_else(|| format!("owner@{domain}"), str::to_owned);
        let now = OffsetDateTime::now_utc();
        let entry = self
            .by_handle
            .entry(handle)
            .or_insert_with(|| OwnerVerification {
                status: "PENDING",
                deadline: now + WINDOW,
                email: email.clone(),
                mails: vec![("PENDING", email, now)],
                domains: BTreeSet::new(),
                resends: 0,
                held: false,
            });
        entry.domains.insert(domain.to_owned());
    }

    /// The handle's verification for one of its domains.
    pub fn of_domain(&mut self, domain: &str) -> Option<&mut OwnerVerification> {
        let handle = self.owners.get(domain)?.clone();
        self.by_handle.get_mut(&handle)
    }
}

/// Whether a registry status of the domain is held for its owner.
pub fn on_hold(registered: &Registry, domain: &str) -> bool {
    registered
        .verifications
        .owners
        .get(domain)
        .and_then(|h| registered.verifications.by_handle.get(h))
        .is_some_and(|v| v.held)
}

fn is_gtld(name: &str) -> bool {
    name.rsplit('.').next().is_none_or(|tld| tld.len() != 2)
}

/// The XML form of a date: German time, no zone (CET; the simulator does
/// not switch to summer time).
pub fn xml_date(at: OffsetDateTime) -> String {
    let cet = at.to_offset(UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC));
    format!(
        "{} {:02}:{:02}:{:02}",
        cet.date(),
        cet.hour(),
        cet.minute(),
        cet.second()
    )
}

fn handle_of(task: &Element) -> String {
    task.text_at(&["handle_verification", "handle", "id"])
        .unwrap_or_default()
        .to_owned()
}

fn unknown(code: &str, handle: &str) -> Answer {
    Answer::error(
        &format!("E{code}"),
        "Contact verification failed.",
        Some(("handle", handle)),
        "EF04010 Handle not found.",
    )
}

/// `0344`: where the handle's verification stands.
pub fn info(config: &SimulatorConfig, task: &Element, registered: &Registry) -> Answer {
    let handle = handle_of(task);
    if !registered
        .verifications
        .owners
        .values()
        .any(|h| *h == handle)
    {
        return unknown("0344", &handle);
    }
    let mut answer = Answer::success(
        "S0344",
        "Contact verification inquired successfully.",
        Some(("handle", &handle)),
    );
    let Some(v) = registered.verifications.by_handle.get(&handle) else {
        answer.data = format!(
            "<handle_verification><handle><id>{handle}</id></handle><status>NOT_SET</status></handle_verification>"
        );
        return answer;
    };
    let camel = v
        .domains
        .iter()
        .any(|d| config.scenario(d) == Scenario::CamelCaseVerification);
    let deactivation = xml_date(v.deadline);
    let domains: String = v
        .domains
        .iter()
        .map(|d| {
            let when = if v.status == "SUCCESS" {
                String::new()
            } else {
                format!("<deactivation>{deactivation}</deactivation>")
            };
            let body = format!("<name>{d}</name><status>{}</status>{when}", v.status);
            if camel {
                format!("<domains>{body}</domains>")
            } else {
                format!("<domain>{body}</domain>")
            }
        })
        .collect();
    let mails: String = v
        .mails
        .iter()
        .map(|(status, email, sent)| {
            let body = format!(
                "<status>{status}</status><email>{email}</email><sent>{}</sent>",
                xml_date(*sent)
            );
            if camel {
                format!("<verificationMails>{body}</verificationMails>")
            } else {
                format!("<verification_mail>{body}</verification_mail>")
            }
        })
        .collect();
    answer.data = if camel {
        format!(
            "<handleVerification><status>{}</status>{domains}{mails}</handleVerification>",
            v.status
        )
    } else {
        format!(
            "<handle_verification><handle><id>{handle}</id></handle><status>{}</status><domains>{domains}</domains><verification_mails>{mails}</verification_mails></handle_verification>",
            v.status
        )
    };
    answer
}

/// `0349`: the verification mail again (a new 15-day window for a failed
/// one); `0341`: a verification started for a handle that has none.
pub fn resend_or_start(code: &str, task: &Element, registered: &mut Registry) -> Answer {
    let handle = handle_of(task);
    let domains: BTreeSet<String> = registered
        .verifications
        .owners
        .iter()
        .filter(|(_, h)| **h == handle)
        .map(|(d, _)| d.clone())
        .collect();
    if domains.is_empty() {
        return unknown(code, &handle);
    }
    let now = OffsetDateTime::now_utc();
    let v = registered
        .verifications
        .by_handle
        .entry(handle.clone())
        .or_insert_with(|| OwnerVerification {
            status: "PENDING",
            deadline: now + WINDOW,
            email: format!("owner@{}", domains.first().map_or("", String::as_str)),
            mails: Vec::new(),
            domains: domains.clone(),
            resends: 0,
            held: false,
        });
    if v.status == "SUCCESS" {
        return Answer::error(
            &format!("E{code}"),
            "Contact verification failed.",
            Some(("handle", &handle)),
            "EF04011 The contact is verified already.",
        );
    }
    if v.status == "FAILED" {
        v.status = "PENDING";
        v.deadline = now + WINDOW;
    }
    if code == "0349" {
        v.resends += 1;
    }
    v.mails.push(("PENDING", v.email.clone(), now));
    Answer::success(
        &format!("S{code}"),
        if code == "0349" {
            "The verification mail was sent again."
        } else {
            "The contact verification was started."
        },
        Some(("handle", &handle)),
    )
}

/// The `domain_deactivation_warning` event's document (the OCVAL page's
/// fields) or, without a deactivation, the `ocval_reminder`.
pub fn event_xml(kind: &str, domain: &str, deactivation: &str, message_id: &str) -> String {
    let reason = if kind == "domain_deactivation_warning" {
        format!("<reason>ocval</reason><deactivation>{deactivation}</deactivation>")
    } else {
        String::new()
    };
    crate::portfolio::notify_xml(Some(kind), &reason, domain, message_id)
}
