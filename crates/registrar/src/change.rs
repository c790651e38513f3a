//! Changes to a registered domain: name servers, contacts, cancellation.
//!
//! Allowed only while the domain is `Registered` with nothing in flight; a
//! change for a domain in any other state is refused with a
//! `request.rejected` entry saying why (not queued: the operator sees at once
//! that the change did not happen, and the control center can send it again).
//! A redelivered change event is sent once (its claim).

use internetx::{DomainUpdate, Nameserver, Task, TaskKind};
use time::OffsetDateTime;

use crate::contact::Contacts;
use crate::event::{ChangeInput, ChangeRequested};
use crate::nameserver::validate_nameservers;
use crate::ports::{Clock, DomainStore, Gateway, StoreError};
use crate::record::{DomainRecord, Outcome};
use crate::request::Source;
use crate::status::{Operation, Status};
use crate::submit::{ItemOutcome, ItemReport, Outgoing, Report, Submitter};
use crate::DomainName;

/// A validated change.
#[derive(Debug, Clone)]
pub struct ChangeRequest {
    pub source: Source,
    pub domain: DomainName,
    pub operation: Operation,
    pub nameservers: Option<Vec<Nameserver>>,
    pub contacts: Option<Contacts>,
}

impl ChangeRequest {
    fn validate(event: &ChangeRequested, domain: DomainName) -> Result<Self, String> {
        let source = Source::Request {
            request_id: event.request_id.clone(),
        };
        let change = event.change.clone()?;
        let (nameservers, contacts) = match change {
            ChangeInput::Nameservers(input) => {
                (Some(validate_nameservers(&domain, &input, 2)?), None)
            }
            ChangeInput::Contacts(input) => {
                let contacts = input.validate(domain.ascii()).map_err(|e| e.to_string())?;
                if contacts.is_empty() {
                    return Err("contacts names none of owner, admin, tech, zone".into());
                }
                (None, Some(contacts))
            }
            ChangeInput::Cancel => (None, None),
        };
        Ok(Self {
            source,
            domain,
            operation: event.operation,
            nameservers,
            contacts,
        })
    }
}

impl Outgoing for ChangeRequest {
    fn source(&self) -> &Source {
        &self.source
    }
    fn domain(&self) -> &DomainName {
        &self.domain
    }
    fn operation(&self) -> Operation {
        self.operation
    }
    fn task(&self, ctid: &str, reply_to: Option<String>) -> Task {
        let name = self.domain.ascii().to_owned();
        let kind = match self.operation {
            Operation::Cancel => TaskKind::CancelationAtExpiry { name },
            _ => {
                let c = self.contacts.clone();
                let slot = |pick: fn(&Contacts) -> &Option<internetx::ContactRef>| {
                    c.as_ref().and_then(|c| pick(c).clone())
                };
                TaskKind::DomainUpdate(DomainUpdate {
                    name,
                    owner: slot(|c| &c.owner),
                    admin: slot(|c| &c.admin),
                    tech: slot(|c| &c.tech),
                    zone: slot(|c| &c.zone),
                    nameservers: self.nameservers.clone(),
                    // gTLD owner changes need the owner's consent confirmed (ICANN).
                    confirm_owner_consent: c.as_ref().is_some_and(|c| c.owner.is_some()),
                })
            }
        };
        Task {
            kind,
            ctid: ctid.to_owned(),
            reply_to,
        }
    }
    fn claim(&self, current: Option<&DomainRecord>, _now: OffsetDateTime) -> DomainRecord {
        let mut record = current
            .cloned()
            .expect("a change is only sent for an existing domain");
        record.requested_nameservers = self
            .nameservers
            .as_ref()
            .map(|ns| ns.iter().map(|n| n.name.clone()).collect());
        record.requested_contacts = self.contacts.as_ref().map(Contacts::slots);
        record
    }
}

const MAX_ATTEMPTS: usize = 5;

impl<S: DomainStore, G: Gateway, C: Clock> Submitter<S, G, C> {
    /// A name-server, contact or cancellation request from the control center.
    pub async fn change_requested(&self, event: &ChangeRequested) -> Report {
        let mut report = Report::default();
        match self.change(event).await {
            Ok(item) => report.items.push(item),
            Err(e) => {
                tracing::error!(request_id = %event.request_id, error = %e, "change not processed; the event will be retried");
                report.transient.push(format!("{}: {e}", event.request_id));
            }
        }
        report
    }

    async fn change(&self, event: &ChangeRequested) -> Result<ItemReport, StoreError> {
        let source = Source::Request {
            request_id: event.request_id.clone(),
        };
        let what = event.operation.noun();
        let unsent = |outcome, reason: String| ItemReport {
            item: event.request_id.clone(),
            domain: Some(event.domain.clone()),
            outcome,
            ctid: None,
            reason: Some(reason),
        };
        let domain = match DomainName::parse(&event.domain) {
            Ok(domain) => domain,
            Err(e) => {
                tracing::error!(request_id = %event.request_id, error = %e, "change for an invalid domain name");
                return Ok(unsent(ItemOutcome::Invalid, e.to_string()));
            }
        };
        if self.store.request_claimed(&source.key()).await? {
            return Ok(unsent(ItemOutcome::Duplicate, "handled before".into()));
        }
        for _ in 0..MAX_ATTEMPTS {
            let Some(current) = self.store.load(domain.ascii()).await? else {
                let reason = format!(
                    "{what} of {domain} for request {} not sent: the domain is not managed here",
                    event.request_id
                );
                tracing::error!(domain = %domain, request_id = %event.request_id, "{reason}");
                return Ok(unsent(ItemOutcome::Refused, reason));
            };
            let request = match ChangeRequest::validate(event, domain.clone()) {
                Ok(request) => request,
                Err(problem) => {
                    let reason = format!(
                        "{what} of {domain} for request {} not sent: {problem}",
                        event.request_id
                    );
                    match self
                        .refuse(&current, &source, &domain, Outcome::Error, reason)
                        .await?
                    {
                        Some(mut item) => {
                            item.outcome = ItemOutcome::Invalid;
                            return Ok(item);
                        }
                        None => continue,
                    }
                }
            };
            let result = if current.status == Status::Registered && current.ctid.is_none() {
                self.send(Some(&current), &request).await?
            } else {
                let state = match (&current.ctid, current.status.in_flight()) {
                    (Some(ctid), true) => format!(
                        "a {} is in flight (status {}, ctid {ctid})",
                        current.operation.noun(),
                        current.status
                    ),
                    _ => format!(
                        "the domain is {}, and changes need Registered",
                        current.status
                    ),
                };
                let reason = format!(
                    "{what} of {domain} for request {} not sent: {state}",
                    event.request_id
                );
                self.refuse(&current, &source, &domain, Outcome::Error, reason)
                    .await?
            };
            if let Some(item) = result {
                return Ok(item);
            }
        }
        Err(StoreError::Unavailable(format!("{domain} kept changing")))
    }
}
