//! A registration or transfer request, from whichever event it came.

use internetx::{ContactRef, DomainOrder, Nameserver, Secret, Task, TaskKind};
use serde::{Deserialize, Serialize};

use crate::contact::{Contacts, ContactsInput};
use crate::nameserver::{validate_nameservers, NameserverInput};
use crate::record::AccountKind;
use crate::status::Operation;
use crate::text::is_clean;
use crate::DomainName;

/// The fields of a domain request as they arrive (an order item or the
/// detail of `DomainRequested`). Also the form kept while awaiting payment,
/// then always without the auth code.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct DomainRequestInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_years: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contacts: Option<ContactsInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nameservers: Option<Vec<NameserverInput>>,
}

impl DomainRequestInput {
    /// Fills what this input leaves out from an earlier one (the request
    /// that waited for payment), field by field.
    pub fn or_from(mut self, earlier: DomainRequestInput) -> Self {
        if self.period_years.is_none() {
            self.period_years = earlier.period_years;
        }
        if self
            .auth_code
            .as_deref()
            .is_none_or(|a| a.trim().is_empty())
        {
            self.auth_code = earlier.auth_code;
        }
        if self.contacts.as_ref().is_none_or(ContactsInput::is_empty) {
            self.contacts = earlier.contacts;
        }
        if self.nameservers.as_ref().is_none_or(Vec::is_empty) {
            self.nameservers = earlier.nameservers;
        }
        self
    }
}

/// Where a request came from; its key makes redelivery harmless.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    OrderItem { order_id: String, item_id: String },
    Request { request_id: String },
}

impl Source {
    pub fn key(&self) -> String {
        match self {
            Source::OrderItem { order_id, item_id } => format!("ORDER#{order_id}#ITEM#{item_id}"),
            Source::Request { request_id } => format!("REQUEST#{request_id}"),
        }
    }

    /// "order ORD-1 item ORD-1-2" / "request REQ-7", for log lines.
    pub fn describe(&self) -> String {
        match self {
            Source::OrderItem { order_id, item_id } => format!("order {order_id} item {item_id}"),
            Source::Request { request_id } => format!("request {request_id}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub kind: AccountKind,
    /// Notification address for status mails (`account.email`), checked.
    pub email: Option<String>,
    pub language: Option<crate::notice::Language>,
}

/// A validated registration or transfer: past this point every value is valid.
#[derive(Debug, Clone)]
pub struct DomainRequest {
    pub source: Source,
    pub operation: Operation,
    pub domain: DomainName,
    pub account: Account,
    pub order_id: Option<String>,
    pub period_years: Option<u8>,
    pub auth_code: Option<Secret>,
    pub contacts: Contacts,
    pub nameservers: Vec<Nameserver>,
    /// The input without its auth code, kept while awaiting payment.
    pub input: DomainRequestInput,
}

impl DomainRequest {
    pub fn validate(
        source: Source,
        operation: Operation,
        account: Account,
        order_id: Option<String>,
        domain: DomainName,
        mut input: DomainRequestInput,
    ) -> Result<Self, String> {
        let contacts = input
            .contacts
            .clone()
            .unwrap_or_default()
            .validate(domain.ascii())
            .map_err(|e| e.to_string())?;
        let auth_code = input
            .auth_code
            .take()
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        match operation {
            Operation::Register if contacts.owner.is_none() => {
                return Err("owner contact is missing".into())
            }
            Operation::Transfer if auth_code.is_none() => {
                return Err("auth_code is missing (a transfer needs the domain's auth code)".into())
            }
            _ => {}
        }
        if let Some(code) = &auth_code {
            if code.chars().count() > 256 || !is_clean(code) {
                return Err(
                    "auth_code is longer than 256 characters or contains control characters".into(),
                );
            }
        }
        if let Some(period) = input.period_years {
            if !(1..=10).contains(&period) {
                return Err(format!("period_years {period} is not between 1 and 10"));
            }
        }
        let nameservers =
            validate_nameservers(&domain, input.nameservers.as_deref().unwrap_or_default(), 0)?;
        Ok(Self {
            source,
            operation,
            account,
            order_id,
            period_years: input.period_years,
            auth_code: auth_code.map(Secret::new),
            contacts,
            nameservers,
            domain,
            input,
        })
    }

    /// The gateway task: registration (`0101`) or transfer (`0104`). Missing
    /// admin/tech/zone contacts default to the owner, as registries need them.
    pub fn task(&self, ctid: &str, reply_to: Option<String>) -> Task {
        let owner = self.contacts.owner.clone();
        let or_owner = |c: &Option<ContactRef>| c.clone().or_else(|| owner.clone());
        let order = DomainOrder {
            name: self.domain.ascii().to_owned(),
            owner: owner.clone(),
            admin: or_owner(&self.contacts.admin),
            tech: or_owner(&self.contacts.tech),
            zone: or_owner(&self.contacts.zone),
            nameservers: self.nameservers.clone(),
            period_years: self.period_years,
        };
        let kind = match (&self.operation, &self.auth_code) {
            (Operation::Transfer, Some(code)) => TaskKind::DomainTransfer {
                order,
                auth_code: code.clone(),
            },
            _ => TaskKind::DomainCreate(order),
        };
        Task {
            kind,
            ctid: ctid.to_owned(),
            reply_to,
        }
    }
}
