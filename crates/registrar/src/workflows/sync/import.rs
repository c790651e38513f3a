//! `internetx-bridge import`: adopts the domains the InterNetX account holds
//! and the table does not know, under one account, as they are.

use std::collections::HashSet;

use internetx::DomainData;

use super::record_data;
use crate::lifecycle::{Committed, Step, Transition};
use crate::log::{action, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, Gateway, PortfolioStore, StoreError};
use crate::record::{AccountKind, DomainRecord};
use crate::status::Operation;
use crate::workflows::Registrar;
use crate::DomainName;

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub requests: usize,
    pub listed: usize,
    /// Already in the table: never touched.
    pub known: usize,
    /// Adopted (or, in a dry run, to be adopted).
    pub adopted: Vec<String>,
    /// Unknown to the table but not among the domains asked for: left out.
    pub outside: usize,
    /// Listed with a status other than success (a job still runs or
    /// failed): not adopted, `name (status)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unfinished: Vec<String>,
    pub problems: Vec<String>,
    /// How many domains the account holds, as the list's summary says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl<S: DomainStore + PortfolioStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// Walks the whole domain list; with `apply`, writes an item for each
    /// domain the table lacks (`Registered`, operation `import`, a
    /// `domain.imported` line). An item that exists — also one written by a
    /// concurrent import — is left as it is, so a second run adopts nothing.
    pub async fn import(
        &self,
        account_id: &str,
        account_kind: AccountKind,
        page: u64,
        apply: bool,
    ) -> Result<ImportReport, StoreError> {
        self.import_watched(account_id, account_kind, None, page, apply, &mut |_| {})
            .await
    }

    /// [`Registrar::import`] of the domains in `only` (ASCII names; all
    /// when `None`), telling `progress` the report so far after every page
    /// (the CLI's progress bar). A customer account gets only the domains
    /// named for it: adopting the whole unimported portfolio under one
    /// customer would give that customer control of every domain in it
    /// (security review N18).
    pub async fn import_watched(
        &self,
        account_id: &str,
        account_kind: AccountKind,
        only: Option<&HashSet<String>>,
        page: u64,
        apply: bool,
        progress: &mut (dyn FnMut(&ImportReport) + Send),
    ) -> Result<ImportReport, StoreError> {
        let mut report = ImportReport::default();
        if account_kind == AccountKind::Customer && only.is_none() {
            report.problems.push(format!(
                "nothing imported: a customer account ({account_id}) gets only the domains named for it (a list of domains), never the whole account's"
            ));
            return Ok(report);
        }
        let mut offset = 0;
        loop {
            report.requests += 1;
            let domains = match self.list_page(offset, page).await {
                Ok((domains, total)) => {
                    report.total = total.or(report.total);
                    domains
                }
                Err(problem) => {
                    report.problems.push(problem);
                    return Ok(report);
                }
            };
            report.listed += domains.len();
            let names: Vec<String> = domains.iter().map(|d| d.name.clone()).collect();
            let known: HashSet<String> = self
                .store
                .load_many(&names)
                .await?
                .into_iter()
                .map(|r| r.domain)
                .collect();
            let mut missing = Vec::new();
            for data in &domains {
                match DomainName::parse(&data.name) {
                    Ok(name) if known.contains(name.ascii()) => report.known += 1,
                    Ok(name) if only.is_some_and(|only| !only.contains(name.ascii())) => {
                        report.outside += 1
                    }
                    // Only a finished domain is adopted as `Registered`: a
                    // job that still runs or failed is not one yet (a
                    // production list reads `status == "SUCCESS"`). A list
                    // that leaves the status out is taken as it is.
                    Ok(name)
                        if data
                            .status
                            .as_deref()
                            .is_some_and(|s| !s.eq_ignore_ascii_case("success")) =>
                    {
                        report.unfinished.push(format!(
                            "{} ({})",
                            name.ascii(),
                            data.status.as_deref().unwrap_or_default()
                        ))
                    }
                    Ok(name) => missing.push((name, data)),
                    Err(_) => report
                        .problems
                        .push(format!("{:?} is not a domain name", data.name)),
                }
            }
            if !apply {
                report
                    .adopted
                    .extend(missing.iter().map(|(name, _)| name.ascii().to_owned()));
            } else {
                use futures_util::stream::{self, StreamExt, TryStreamExt};
                let outcomes: Vec<(String, bool)> = stream::iter(missing)
                    .map(|(name, data)| async move {
                        let adopted = self.adopt(&name, data, account_id, account_kind).await?;
                        Ok::<_, StoreError>((name.ascii().to_owned(), adopted))
                    })
                    .buffered(8)
                    .try_collect()
                    .await?;
                for (name, adopted) in outcomes {
                    if adopted {
                        report.adopted.push(name);
                    } else {
                        report.known += 1;
                    }
                }
            }
            progress(&report);
            match super::next_offset(offset, page, domains.len(), report.total) {
                Some(next) => offset = next,
                None => return Ok(report),
            }
        }
    }

    async fn adopt(
        &self,
        name: &DomainName,
        data: &DomainData,
        account_id: &str,
        account_kind: AccountKind,
    ) -> Result<bool, StoreError> {
        let committed = self
            .lifecycle()
            // Written on the assumption that it is new (no read first): an
            // existing item fails the condition, is read, and is left alone.
            .commit_with_retry(name.ascii(), Some(None), |current, now| {
                if current.is_some() {
                    return Step::Skip(false);
                }
                let fresh = || {
                    DomainRecord::new(
                        name.ascii(),
                        name.unicode(),
                        Operation::Import,
                        account_id,
                        account_kind,
                        now,
                    )
                };
                let mut t = Transition::of_or_new(None, now, fresh);
                t.imported()
                    .edit(|r| {
                        r.nameservers = data.nameservers.clone();
                        record_data(r, data, now);
                    })
                    .log(LogEntry::new(
                        now,
                        action::DOMAIN_IMPORTED,
                        Outcome::Ok,
                        format!(
                            "{name} adopted from the InterNetX account for account {account_id} (import)"
                        ),
                    ));
                Step::write(t, true)
            })
            .await?;
        Ok(matches!(committed, Committed::Written(true, _)))
    }
}
