//! The owner's ICANN verification, asked with Contact Verification Info
//! (`0344`) when something says it may have moved: a gTLD registration,
//! transfer or owner change just succeeded (the life cycle asks), a
//! registry event about it arrived (`ocval_reminder`,
//! `domain_deactivation_warning`: mail from anyone, so only a hint), or the
//! registry put the domain on hold. While it is unsettled (pending, failed,
//! on hold) every sync run asks again; only InterNetX's answer is recorded.

use internetx::verification::{HandleVerification, VerificationState};
use internetx::{AnswerKind, Task, TaskKind};

use crate::lifecycle::{Committed, Step, Transition};
use crate::log::{action, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, Gateway, PortfolioStore, StoreError};
use crate::record::{DomainRecord, Portfolio, Verification};
use crate::request::new_ctid;
use crate::workflows::Registrar;

use super::SyncReport;

/// The hint the life cycle and the sync leave for a verification check.
pub const VERIFICATION_HINT: &str = "owner_verification";

/// Whether a hint's kind asks for the owner's verification besides domain
/// info: ours, or a registry event of the OCVAL process.
pub fn asks_verification(kind: &str) -> bool {
    let kind = kind.to_ascii_lowercase();
    kind == VERIFICATION_HINT
        || kind.contains("ocval")
        || kind.contains("verification")
        || kind.contains("deactivation")
}

/// The handle a verification is asked for: InterNetX's `ownerc` as domain
/// info showed it, else the owner handle the bridge sent.
pub fn owner_handle(record: &DomainRecord) -> Option<&str> {
    record
        .portfolio
        .owner_handle
        .as_deref()
        .or_else(|| record.contacts.get("owner").map(String::as_str))
        .filter(|h| !h.trim().is_empty())
}

/// Whether the sync must keep asking: not verified yet, or held.
pub fn unsettled(p: &Portfolio) -> bool {
    matches!(
        p.owner_verification,
        Some(Verification::Pending | Verification::Failed)
    ) || p.hold == Some(true)
}

impl From<VerificationState> for Verification {
    fn from(state: VerificationState) -> Self {
        match state {
            VerificationState::Pending => Verification::Pending,
            VerificationState::Verified => Verification::Verified,
            VerificationState::Failed => Verification::Failed,
        }
    }
}

/// What one `0344` answer says of one domain's owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Seen {
    state: Option<Verification>,
    deadline: Option<String>,
    address: Option<String>,
}

impl Seen {
    fn of(answer: Option<&HandleVerification>, domain: &str) -> Self {
        let Some(v) = answer else {
            return Self::default();
        };
        Self {
            state: v.state_for(domain).map(Verification::from),
            deadline: v.deadline_for(domain).map(str::to_owned),
            address: v.address().map(str::to_owned),
        }
    }

    /// InterNetX's word goes; no state (`NOT_SET`) leaves the item as it is.
    fn apply(&self, p: &mut Portfolio) {
        let Some(state) = self.state else {
            return;
        };
        p.owner_verification = Some(state);
        p.verification_deadline = match state {
            Verification::Verified => None,
            _ => self.deadline.clone().or(p.verification_deadline.take()),
        };
        p.verification_email = self.address.clone().or(p.verification_email.take());
    }

    fn describe(&self, domain: &str, handle: &str, p: &Portfolio) -> String {
        let state = p.owner_verification.map_or("unknown", Verification::as_str);
        let mut line =
            format!("the owner verification of {domain} (handle {handle}) is {state} at InterNetX");
        if let Some(deadline) = &p.verification_deadline {
            line.push_str(&format!(", to be verified by {deadline}"));
        }
        if let Some(address) = &p.verification_email {
            line.push_str(&format!(", verification mail to {address}"));
        }
        if p.hold == Some(true) {
            line.push_str("; the registry holds the domain until then");
        }
        line
    }
}

impl<S: DomainStore + PortfolioStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// Asks `0344` for the domain's owner and records what it shows: one
    /// `sync.verification` entry when it changed, and the hint again while
    /// it is unsettled. `false`: InterNetX could not be asked (the hint
    /// stays for the next run).
    pub(super) async fn verification_check(
        &self,
        domain: &str,
        report: &mut SyncReport,
    ) -> Result<bool, StoreError> {
        let Some(record) = self.store.load(domain).await? else {
            return Ok(true);
        };
        let Some(handle) = owner_handle(&record).map(str::to_owned) else {
            report.problems.push(format!(
                "{domain}: no owner handle is known to ask its verification for (domain info showed no ownerc)"
            ));
            return Ok(true);
        };
        report.requests += 1;
        let task = Task {
            kind: TaskKind::VerificationInfo {
                handle: handle.clone(),
                domain: domain.to_owned(),
            },
            ctid: new_ctid(),
            reply_to: None,
        };
        let what = format!("contact verification info (0344) for {domain}, handle {handle}");
        let answer = match self.gateway.send(&task).await {
            Ok(exchange) if exchange.answer.status.kind == AnswerKind::Success => exchange.answer,
            Ok(exchange) => {
                report
                    .problems
                    .push(format!("{what} was refused: {}", exchange.answer.summary()));
                return Ok(true);
            }
            Err(e) => {
                report.problems.push(format!("{what} failed: {e}"));
                return Ok(false);
            }
        };
        let seen = Seen::of(answer.verification.as_ref(), domain);
        let committed = self
            .lifecycle()
            .commit_with_retry(domain, None, |current, now| {
                let Some(current) = current else {
                    return Step::Skip(None);
                };
                let mut t = Transition::of(current, now);
                t.edit(|r| seen.apply(&mut r.portfolio));
                let after = t.record().portfolio.clone();
                let changed = after != current.portfolio;
                let line = changed.then(|| seen.describe(domain, &handle, &after));
                if let Some(line) = &line {
                    let outcome = match after.owner_verification {
                        Some(Verification::Failed) => Outcome::Error,
                        _ if after.hold == Some(true) => Outcome::Error,
                        _ => Outcome::Ok,
                    };
                    t.log(LogEntry::new(
                        now,
                        action::SYNC_VERIFICATION,
                        outcome,
                        line.clone(),
                    ));
                }
                if unsettled(&after) {
                    t.hint(VERIFICATION_HINT);
                }
                Step::write(t, line)
            })
            .await?;
        report.verifications += 1;
        if let Committed::Written(Some(line), _) = committed {
            tracing::info!(domain, handle = %handle, action = action::SYNC_VERIFICATION, "{line}");
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ocval_events_and_our_own_hint_ask_for_the_verification() {
        for kind in [
            VERIFICATION_HINT,
            "ocval_reminder",
            "domain_deactivation_warning",
            "OCVAL",
        ] {
            assert!(asks_verification(kind), "{kind}");
        }
        for kind in ["domain_away", "transfer_start", "registry"] {
            assert!(!asks_verification(kind), "{kind}");
        }
    }

    #[test]
    fn internetx_word_is_recorded_and_not_set_changes_nothing() {
        let mut p = Portfolio {
            verification_deadline: Some("2026-12-17T14:29:00Z".into()),
            ..Portfolio::default()
        };
        Seen::default().apply(&mut p);
        assert_eq!(p.owner_verification, None);
        let pending = Seen {
            state: Some(Verification::Pending),
            deadline: None,
            address: Some("o@x.example".into()),
        };
        pending.apply(&mut p);
        assert_eq!(p.owner_verification, Some(Verification::Pending));
        assert_eq!(
            p.verification_deadline.as_deref(),
            Some("2026-12-17T14:29:00Z"),
            "a deadline not shown again stays"
        );
        assert!(unsettled(&p));
        Seen {
            state: Some(Verification::Verified),
            ..Seen::default()
        }
        .apply(&mut p);
        assert_eq!(p.verification_deadline, None);
        assert_eq!(p.verification_email.as_deref(), Some("o@x.example"));
        assert!(!unsettled(&p));
        p.hold = Some(true);
        assert!(unsettled(&p));
    }
}
