//! Registry events (`domain_away`, `transfer_start`, …): mail from anyone,
//! so only a hint — the sync's next run checks the domain with domain info
//! and acts on what that shows (`workflows::sync`).

use internetx::notification::RegistryEvent;

use super::{with_domain, written, Inbound, MailOutcome, MailVerdict};
use crate::lifecycle::{Committed, Step, Transition};
use crate::log::{action, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, StoreError};
use crate::text::printable;
use crate::DomainName;

impl<S: DomainStore, C: Clock> Inbound<S, C> {
    /// A registry event (no ctid of ours, no reply token: anyone can send
    /// one) only hints. It never changes the domain item: one log line on
    /// the domain at most per domain and hour (the claim), its text made
    /// printable and bounded; domain info is the truth.
    pub(super) async fn log_event(
        &self,
        s3_key: &str,
        hour: &str,
        event: &RegistryEvent,
    ) -> Result<MailVerdict, StoreError> {
        let kind = printable(&event.kind, 60);
        let named = event.domain.as_deref().map(|d| printable(d, 80));
        let reason = format!(
            "registry event {kind} for {}: logged, a domain-info check asked for",
            named.as_deref().unwrap_or("an unnamed domain")
        );
        let Some(domain) = event
            .domain
            .as_deref()
            .and_then(|d| DomainName::parse(d).ok())
        else {
            return Ok(MailVerdict::new(MailOutcome::Ignored, reason));
        };
        let domain = domain.ascii().to_owned();
        let claim = format!("EVENT#{domain}#{hour}");
        // A plain read first: a flood of forged events for one domain
        // costs one write an hour, not one transaction each (N2).
        if self.store.request_claimed(&claim).await? {
            return Ok(with_domain(already_logged(&reason, &domain), &domain));
        }
        let committed = self
            .lifecycle()
            .commit_with_retry(&domain, None, |current, now| {
                let Some(current) = current else {
                    return Step::Skip(MailVerdict::new(
                        MailOutcome::Ignored,
                        format!("{reason} (domain unknown here)"),
                    ));
                };
                let mut entry = LogEntry::new(
                    now,
                    action::MAIL_RECEIVED,
                    Outcome::Ignored,
                    format!("a mail reported the registry event {kind} for {domain}; not acted on until domain info confirms it (checked on the next sync run)"),
                );
                entry.s3_key = Some(s3_key.to_owned());
                entry.code = Some(kind.clone());
                let mut t = Transition::of(current, now);
                t.log(entry).claim(claim.clone()).hint(kind.clone());
                Step::write(t, MailVerdict::new(MailOutcome::Ignored, reason.clone()))
            })
            .await?;
        let verdict = match committed {
            Committed::AlreadyClaimed => already_logged(&reason, &domain),
            other => written(other, s3_key),
        };
        Ok(with_domain(verdict, &domain))
    }
}

fn already_logged(reason: &str, domain: &str) -> MailVerdict {
    MailVerdict::new(
        MailOutcome::Ignored,
        format!("{reason} (an event for {domain} was logged this hour already)"),
    )
}
