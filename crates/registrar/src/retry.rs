//! An operator's retry of a domain in `Error`: its last operation, sent again
//! with a new ctid, through the same claim → send → reply cycle.
//!
//! Refused when InterNetX may already have the domain (it accepted the last
//! request, `stid` recorded) unless the caller checked first (domain info)
//! and says so; refused for changes, whose data the control center holds.

use crate::change::ChangeRequest;
use crate::ports::{Clock, DomainStore, Gateway, StoreError};
use crate::record::DomainRecord;
use crate::request::{Account, DomainRequest, Source};
use crate::status::{Operation, Status};
use crate::submit::{stored_input, ItemReport, Submitter};
use crate::DomainName;

impl<S, G, C> Submitter<S, G, C> {
    /// The registration or transfer kept on the domain item, as a request
    /// from `source` (auth code unsealed), or why there is none.
    pub(crate) fn stored_request(
        &self,
        current: &DomainRecord,
        domain: &DomainName,
        source: Source,
    ) -> Result<DomainRequest, String> {
        let input = stored_input(current, &self.sealer).ok_or_else(|| {
            format!(
                "{domain} has no stored request to retry; send it again from the storefront or control center"
            )
        })?;
        let account = Account {
            id: current.account_id.clone(),
            kind: current.account_kind,
            email: current.notify_email.clone(),
            language: current
                .notify_language
                .as_deref()
                .and_then(|l| l.parse().ok()),
        };
        DomainRequest::validate(
            source,
            current.operation,
            account,
            current.order_id.clone(),
            domain.clone(),
            input,
        )
        .map_err(|problem| format!("the stored request is not valid: {problem}"))
    }
}

/// Why a retry was not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RetryRefused(pub String);

impl<S: DomainStore, G: Gateway, C: Clock> Submitter<S, G, C> {
    /// Retries `domain`'s last operation. `checked_absent`: the caller asked
    /// InterNetX and it does not list the domain.
    pub async fn retry(
        &self,
        domain: &DomainName,
        checked_absent: bool,
    ) -> Result<Result<ItemReport, RetryRefused>, StoreError> {
        let refuse = |why: String| Ok(Err(RetryRefused(why)));
        let Some(current) = self.store.load(domain.ascii()).await? else {
            return refuse(format!("{domain} is not in the domain table"));
        };
        if current.status != Status::Error {
            return refuse(format!(
                "{domain} is {}: only a domain in Error is retried",
                current.status
            ));
        }
        if let (Some(stid), false) = (&current.stid, checked_absent) {
            return refuse(format!(
                "InterNetX accepted the last {} of {domain} (stid {stid}) and may already have it; \
                 retry with --force, which asks InterNetX first",
                current.operation.noun()
            ));
        }
        let source = Source::Request {
            request_id: format!("retry-{}", ulid::Ulid::new()),
        };
        match current.operation {
            Operation::Register | Operation::Transfer => {
                let request = match self.stored_request(&current, domain, source) {
                    Ok(request) => request,
                    Err(problem) => return refuse(problem),
                };
                self.submit(request, true, Some(current)).await.map(Ok)
            }
            Operation::Cancel => {
                let request = ChangeRequest {
                    source,
                    domain: domain.clone(),
                    operation: Operation::Cancel,
                    nameservers: None,
                    contacts: None,
                };
                match self.send(Some(&current), &request).await? {
                    Some(report) => Ok(Ok(report)),
                    None => refuse(format!("{domain} changed meanwhile; look again")),
                }
            }
            Operation::UpdateNameservers | Operation::UpdateContacts => refuse(format!(
                "the failed {} of {domain} is not retried here: send it again from the control center",
                current.operation.noun()
            )),
        }
    }
}
