//! `internetx-bridge reseal`: every auth code a domain item keeps
//! (`pending_auth_code`, for a payment or a retry) sealed again under the
//! current sealing key. A value sealed under an older key — the reply-token
//! secret of stacks deployed before the sealing key existed, or a rotated
//! key — stays openable by whoever holds that key; once a run finds none
//! left, the older key can be dropped from the opening keys (security
//! review N14).

use crate::lifecycle::{Committed, Step, Transition};
use crate::log::{action, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, PortfolioStore, StoreError};
use crate::workflows::Registrar;

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ResealReport {
    /// Items that keep a sealed auth code.
    pub checked: usize,
    /// Sealed again (or, in a dry run, to be).
    pub resealed: Vec<String>,
    /// Sealed under a key this process does not have: left as they are.
    pub unopenable: Vec<String>,
}

impl<S: DomainStore + PortfolioStore, G, C: Clock> Registrar<S, G, C> {
    /// One pass over the items that keep a sealed auth code; with `apply`,
    /// each one not under the current key is sealed again (a conditional
    /// write: an item that changed meanwhile is left for the next pass).
    pub async fn reseal(&self, apply: bool) -> Result<ResealReport, StoreError> {
        let current = format!("v2:{}:", self.sealer.key_id());
        let mut report = ResealReport::default();
        for record in self.store.sealed(usize::MAX).await? {
            report.checked += 1;
            let Some(sealed) = record.pending_auth_code.clone() else {
                continue;
            };
            if sealed.starts_with(&current) {
                continue;
            }
            let Ok(plain) = self.sealer.open(&sealed) else {
                report.unopenable.push(record.domain.clone());
                continue;
            };
            let domain = record.domain.clone();
            if !apply {
                report.resealed.push(domain);
                continue;
            }
            let resealed = self.sealer.seal(&plain);
            let key_id = self.sealer.key_id().to_owned();
            let committed = self
                .lifecycle()
                .commit_with_retry(&domain, Some(Some(record)), |current, now| {
                    let Some(current) = current else {
                        return Step::Skip(false);
                    };
                    if current.pending_auth_code.as_deref() != Some(sealed.as_str()) {
                        return Step::Skip(false);
                    }
                    let mut t = Transition::of(current, now);
                    t.edit(|r| r.pending_auth_code = Some(resealed.clone()))
                        .log(LogEntry::new(
                            now,
                            action::OPERATOR_RESEALED,
                            Outcome::Ok,
                            format!(
                            "the kept auth code of {} sealed again under the sealing key {key_id}",
                            current.domain
                        ),
                        ));
                    Step::write(t, true)
                })
                .await?;
            if matches!(committed, Committed::Written(true, _)) {
                report.resealed.push(domain);
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use crate::ports::DomainStore;
    use crate::seal::Sealer;
    use crate::testing::{in_flight_record, registrar, seed, ScriptedGateway};
    use crate::{Operation, Status};

    #[tokio::test]
    async fn a_code_under_an_older_key_is_sealed_again_under_the_current_one() {
        let old = Sealer::new(b"the reply-token secret of an old stack");
        let mut app = registrar(ScriptedGateway::default());
        app.sealer =
            Sealer::new(b"the sealing key").also_opening(b"the reply-token secret of an old stack");
        let at = time::macros::datetime!(2026-11-01 09:00 UTC);
        let mut r = in_flight_record("old.de", Operation::Transfer, "ib-1", at);
        r = crate::lifecycle::settled_as(r, Status::Error);
        r.pending_auth_code = Some(old.seal("code-1234"));
        app.store.commit(&seed(r, None)).await.unwrap();
        let mut fresh = in_flight_record("new.de", Operation::Transfer, "ib-2", at);
        fresh.pending_auth_code = Some(app.sealer.seal("code-5678"));
        app.store.commit(&seed(fresh, None)).await.unwrap();

        let dry = app.reseal(false).await.unwrap();
        assert_eq!(
            (dry.checked, dry.resealed.clone()),
            (2, vec!["old.de".to_owned()])
        );
        assert!(
            app.store
                .domain("old.de")
                .unwrap()
                .pending_auth_code
                .unwrap()
                .starts_with("v2:")
                && old
                    .open(
                        &app.store
                            .domain("old.de")
                            .unwrap()
                            .pending_auth_code
                            .unwrap()
                    )
                    .is_ok(),
            "a dry run writes nothing"
        );

        let done = app.reseal(true).await.unwrap();
        assert_eq!(done.resealed, ["old.de"]);
        let kept = app
            .store
            .domain("old.de")
            .unwrap()
            .pending_auth_code
            .unwrap();
        assert!(old.open(&kept).is_err(), "the old key opens it no more");
        assert_eq!(
            Sealer::new(b"the sealing key").open(&kept).unwrap(),
            "code-1234"
        );
        assert!(!format!("{:?}", app.store.log("old.de")).contains("code-1234"));
        assert_eq!(
            app.store.actions("old.de").last(),
            Some(&"operator.resealed")
        );
        assert!(
            app.reseal(true).await.unwrap().resealed.is_empty(),
            "a second pass finds none"
        );
    }
}
