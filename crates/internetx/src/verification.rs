//! The owner's ICANN contact verification: what Contact Verification Info
//! (`0344`) answers of one handle.
//!
//! Sources: the task codes and field names are InterNetX's help pages
//! Contact Verification Create (0341), Contact Verification Info (0344)
//! and Contact Verification Resend (0349, `<handle_verification><handle>
//! <id>`), as shared/reviews/peers-and-demand.md §4 records them: per
//! domain a `status` (`NOT_SET`, `SUCCESS`, …) and its `deactivation`
//! date, per verification mail a `status` (`PENDING`, …). The pages name
//! the fields in the JSON spelling (`verificationMails`); the XML spelling
//! is not published, so both `verification_mails`/`verification_mail` and
//! `verificationMails`/`verificationMail` are read (the simulator offers
//! both, `Scenario::CamelCaseVerification`). The OCVAL event page
//! (help.internetx.com/x/mABHB) gives the window: 15 days, a reminder 5
//! days before its end, then the domain's deactivation (HOLD).

use crate::response::utc_timestamp;
use crate::tree::Element;

/// Where one handle's verification stands, as `0344` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandleVerification {
    /// The handle's verification status word (upper-case), when the answer
    /// gives one for the handle as a whole.
    pub status: Option<String>,
    /// Each domain the verification is for.
    pub domains: Vec<VerifiedDomain>,
    /// The verification mails InterNetX sent, oldest first.
    pub mails: Vec<VerificationMail>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifiedDomain {
    pub name: String,
    /// `NOT_SET`, `PENDING`, `SUCCESS`, `FAILED`, … (upper-case).
    pub status: Option<String>,
    /// When the domain is (or was) deactivated without a verification, as
    /// RFC 3339 UTC.
    pub deactivation: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerificationMail {
    /// `PENDING`, `SENT`, `VERIFIED`, … (upper-case).
    pub status: Option<String>,
    /// The address the mail went to.
    pub email: Option<String>,
    pub sent: Option<String>,
}

/// Where a verification stands, in the three words of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerificationState {
    Pending,
    Verified,
    Failed,
}

impl HandleVerification {
    /// The state for `domain`: its own entry's status, else the handle's.
    /// `None` when InterNetX asks nothing of this owner (`NOT_SET`, no
    /// entry) or says a word not known here.
    pub fn state_for(&self, domain: &str) -> Option<VerificationState> {
        let own = self
            .domains
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(domain))
            .and_then(|d| d.status.as_deref());
        own.or(self.status.as_deref()).and_then(state_of)
    }

    /// The date by which `domain`'s owner must be verified.
    pub fn deadline_for(&self, domain: &str) -> Option<&str> {
        self.domains
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(domain))
            .or_else(|| self.domains.iter().find(|d| d.deactivation.is_some()))
            .and_then(|d| d.deactivation.as_deref())
    }

    /// The address the latest verification mail went to.
    pub fn address(&self) -> Option<&str> {
        self.mails.iter().rev().find_map(|m| m.email.as_deref())
    }
}

/// A status word in the contract's terms. The published words are
/// `NOT_SET` and `SUCCESS`; the others are the plausible ones of an
/// ICANN verification (pending until the link is clicked, failed once the
/// window closed).
fn state_of(word: &str) -> Option<VerificationState> {
    match word.trim().to_ascii_uppercase().replace('-', "_").as_str() {
        "SUCCESS" | "VERIFIED" | "DONE" => Some(VerificationState::Verified),
        "PENDING" | "IN_PROGRESS" | "RUNNING" | "SENT" | "REMINDED" | "NOT_VERIFIED" => {
            Some(VerificationState::Pending)
        }
        "FAILED" | "FAILURE" | "EXPIRED" | "DEACTIVATED" | "TIMEOUT" => {
            Some(VerificationState::Failed)
        }
        _ => None,
    }
}

/// `result/data/handle_verification` (or its camel-case spelling), if the
/// answer has one.
pub(crate) fn parse(data: &Element) -> Option<HandleVerification> {
    let block = data
        .child("handle_verification")
        .or_else(|| data.child("handleVerification"))?;
    let upper = |e: &Element, key: &str| {
        e.text_at(&[key])
            .map(|s| s.trim().to_ascii_uppercase())
            .filter(|s| !s.is_empty())
    };
    let date = |e: &Element, key: &str| e.text_at(&[key]).and_then(utc_timestamp);
    let domains = either(block, "domains", "domains", "domain", "domain")
        .filter_map(|d| {
            let name = d
                .text_at(&["name"])
                .or_else(|| d.text_at(&[]))
                .map(|n| n.trim().to_ascii_lowercase())
                .filter(|n| !n.is_empty())?;
            Some(VerifiedDomain {
                name,
                status: upper(d, "status"),
                deactivation: date(d, "deactivation"),
            })
        })
        .collect();
    let mails = either(
        block,
        "verification_mails",
        "verificationMails",
        "verification_mail",
        "verificationMail",
    )
    .map(|m| VerificationMail {
        status: upper(m, "status"),
        email: m
            .text_at(&["email"])
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        sent: date(m, "sent").or_else(|| date(m, "created")),
    })
    .collect();
    Some(HandleVerification {
        status: upper(block, "status"),
        domains,
        mails,
    })
}

/// The entries of a list, in either spelling: wrapped
/// (`<domains><domain>…`) or repeated bare (`<domains>…</domains><domains>…`).
fn either<'a>(
    block: &'a Element,
    snake_list: &'a str,
    camel_list: &'a str,
    snake_one: &'a str,
    camel_one: &'a str,
) -> impl Iterator<Item = &'a Element> + 'a {
    block
        .children
        .iter()
        .filter(move |c| c.name == snake_list || c.name == camel_list)
        .flat_map(move |list| {
            let wrapped: Vec<&Element> = list
                .children
                .iter()
                .filter(|c| c.name == snake_one || c.name == camel_one)
                .collect();
            if wrapped.is_empty() {
                vec![list]
            } else {
                wrapped
            }
        })
        .chain(
            block
                .children
                .iter()
                .filter(move |c| c.name == snake_one || c.name == camel_one),
        )
}
