//! A registration or transfer request, from whichever event it came: as it
//! arrives, validated, queued (an order item on the item queue) and kept on
//! the domain item for a later retry.

use internetx::{DomainOrder, Nameserver, Secret, Task, TaskKind};
use serde::{Deserialize, Serialize};

use crate::contact::{Contacts, ContactsInput};
use crate::defaults::{is_gtld, DefaultsUsed, RequestDefaults};
use crate::nameserver::NameserverInput;
use crate::record::{AccountKind, DomainRecord};
use crate::seal::Sealer;
use crate::status::Operation;
use crate::status_mail::Language;
use crate::text::is_clean;
use crate::DomainName;

/// The fields of a domain request as they arrive (an order item or the
/// detail of `DomainRequested`). Also the form kept while awaiting payment,
/// then always without the auth code.
#[derive(Clone, Default, Deserialize, Serialize, PartialEq)]
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

/// Written by hand so the auth code never reaches a log line, whatever
/// level a log filter lets through (security review L9).
impl std::fmt::Debug for DomainRequestInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainRequestInput")
            .field("domain", &self.domain)
            .field("period_years", &self.period_years)
            .field("auth_code", &self.auth_code.as_ref().map(|_| "***"))
            .field("contacts", &self.contacts)
            .field("nameservers", &self.nameservers)
            .finish()
    }
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

    /// The item or request id, as reports name it.
    pub fn label(&self) -> &str {
        match self {
            Source::OrderItem { item_id, .. } => item_id,
            Source::Request { request_id } => request_id,
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
    pub language: Option<crate::status_mail::Language>,
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
    /// All four slots, completed from the provider's defaults.
    pub contacts: Contacts,
    /// At least two, the item's or the provider's defaults.
    pub nameservers: Vec<Nameserver>,
    /// What came from the defaults, for the action log (empty: nothing).
    pub defaults_used: DefaultsUsed,
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
        defaults: &RequestDefaults,
    ) -> Result<Self, String> {
        let contacts = input
            .contacts
            .clone()
            .unwrap_or_default()
            .validate(domain.ascii(), defaults.protection)
            .map_err(|e| e.to_string())?;
        let auth_code = input
            .auth_code
            .take()
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        if operation == Operation::Transfer && auth_code.is_none() {
            return Err("auth_code is missing (a transfer needs the domain's auth code)".into());
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
        let mut defaults_used = DefaultsUsed::new();
        let contacts = defaults.contacts(contacts, &mut defaults_used)?;
        let nameservers = defaults.nameservers(
            &domain,
            input.nameservers.as_deref().unwrap_or_default(),
            &mut defaults_used,
        )?;
        Ok(Self {
            source,
            operation,
            account,
            order_id,
            period_years: input.period_years,
            auth_code: auth_code.map(Secret::new),
            contacts,
            nameservers,
            defaults_used,
            domain,
            input,
        })
    }

    /// The gateway task: registration (`0101`) or transfer (`0104`), with
    /// `confirm_owner_consent` whenever a gTLD's owner goes out, as a
    /// block or as an existing handle (protocol audit D5): the Domain
    /// Object page asks for it "when owner data is given", and both the
    /// official JSON transfer example and a production client
    /// (sourcedesk's `transferDomain()`) send it on every transfer.
    pub fn task(&self, ctid: &str, reply_to: Option<String>) -> Task {
        let order = DomainOrder {
            name: self.domain.ascii().to_owned(),
            owner: self.contacts.owner.clone(),
            admin: self.contacts.admin.clone(),
            tech: self.contacts.tech.clone(),
            zone: self.contacts.zone.clone(),
            nameservers: self.nameservers.clone(),
            period_years: self.period_years,
            confirm_owner_consent: self.contacts.owner.is_some() && is_gtld(&self.domain),
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

/// One domain item of a paid order, as a queue message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedItem {
    pub order_id: String,
    pub item_id: String,
    pub account_id: String,
    pub account_kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub operation: String,
    /// The item without its auth code.
    pub input: DomainRequestInput,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_auth_code: Option<String>,
    /// [`Sealer::sign`] over the rest: the queue carries only what
    /// `domain-events` put there (an unsigned or altered item is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

impl QueuedItem {
    pub fn new(
        order_id: &str,
        account: &Account,
        item_id: &str,
        operation: Operation,
        input: &DomainRequestInput,
        sealer: &Sealer,
    ) -> Self {
        let mut input = input.clone();
        let sealed_auth_code = input.auth_code.take().map(|code| sealer.seal(&code));
        let mut item = Self {
            order_id: order_id.to_owned(),
            item_id: item_id.to_owned(),
            account_id: account.id.clone(),
            account_kind: account.kind.as_str().to_owned(),
            email: account.email.clone(),
            language: account.language.map(|l| l.as_str().to_owned()),
            operation: operation.as_str().to_owned(),
            input,
            sealed_auth_code,
            signature: None,
        };
        item.signature = Some(sealer.sign(&item.signed_bytes()));
        item
    }

    /// Why the item cannot travel in the item queue, if it cannot: ten items
    /// share one message of at most 256 KiB, so each may take a tenth.
    pub fn too_large(&self) -> Option<String> {
        let size = serde_json::to_string(self).map_or(usize::MAX, |s| s.len());
        (size > MAX_QUEUED_ITEM_BYTES).then(|| {
            format!(
                "the item is {size} bytes; an order item may have at most {MAX_QUEUED_ITEM_BYTES}"
            )
        })
    }

    /// What the signature covers: the item as serialised, without it.
    fn signed_bytes(&self) -> Vec<u8> {
        let unsigned = Self {
            signature: None,
            ..self.clone()
        };
        serde_json::to_vec(&unsigned).unwrap_or_default()
    }

    /// Whether `domain-events` signed this item as it is.
    pub fn signed_by(&self, sealer: &Sealer) -> bool {
        self.signature
            .as_deref()
            .is_some_and(|s| sealer.verify(&self.signed_bytes(), s))
    }

    /// The claim key of the order item: what makes a redelivery harmless.
    pub fn key(&self) -> String {
        self.source().key()
    }

    pub fn source(&self) -> Source {
        Source::OrderItem {
            order_id: self.order_id.clone(),
            item_id: self.item_id.clone(),
        }
    }
}

impl DomainRequest {
    /// The domain item this request creates when there is none yet (its
    /// status is the life cycle's to set).
    pub fn fresh_record(&self, now: time::OffsetDateTime) -> DomainRecord {
        new_domain_record(
            self.domain.ascii(),
            self.domain.unicode(),
            self.operation,
            &self.account,
            self.order_id.as_deref(),
            now,
        )
    }

    /// What this request says about the domain (operation, order, where
    /// status mails go), and the request kept for a retry with its auth code
    /// sealed. The owner stays the account that first ordered the domain
    /// (CONTRACT.md, Ownership): a provider acting on a customer's domain
    /// does not take it over.
    pub fn adopt(&self, record: &mut DomainRecord, sealer: &Sealer) {
        record.operation = self.operation;
        let owner = record.account_id == self.account.id;
        if let (Some(email), true) = (&self.account.email, owner) {
            record.notify_email = Some(email.clone());
            record.notify_language = self.account.language.map(|l| l.as_str().to_owned());
        }
        record.order_id = self.order_id.clone().or(record.order_id.take());
        record.last_error = None;
        record.request_ref = Some(self.source.key());
        record.stid = None;
        record.job_id = None;
        record.pending_request = serde_json::to_string(&self.input).ok();
        record.pending_auth_code = self.auth_code.as_ref().map(|a| sealer.seal(a.expose()));
    }
}

/// A domain item not yet written, owned by `account`.
pub fn new_domain_record(
    ascii: &str,
    unicode: &str,
    operation: Operation,
    account: &Account,
    order_id: Option<&str>,
    now: time::OffsetDateTime,
) -> DomainRecord {
    let mut record = DomainRecord::new(ascii, unicode, operation, &account.id, account.kind, now);
    record.order_id = order_id.map(str::to_owned);
    record.notify_email = account.email.clone();
    record.notify_language = account.language.map(|l| l.as_str().to_owned());
    record
}

/// The largest order item the item queue carries.
pub const MAX_QUEUED_ITEM_BYTES: usize = 24 * 1024;

/// A new client transaction id: ours, unique, sortable by time.
pub fn new_ctid() -> String {
    format!("ib-{}", ulid::Ulid::new())
}

/// The registration or transfer request kept on the domain item (auth code
/// unsealed).
pub fn stored_input(record: &DomainRecord, sealer: &Sealer) -> Option<DomainRequestInput> {
    let mut input: DomainRequestInput =
        serde_json::from_str(record.pending_request.as_deref()?).ok()?;
    input.auth_code = record
        .pending_auth_code
        .as_deref()
        .and_then(|sealed| sealer.open(sealed).ok());
    Some(input)
}

/// The registration or transfer kept on the domain item, as a request from
/// `source` (auth code unsealed), or why there is none.
pub fn stored_request(
    current: &DomainRecord,
    domain: &DomainName,
    source: Source,
    sealer: &Sealer,
    defaults: &RequestDefaults,
) -> Result<DomainRequest, String> {
    let input = stored_input(current, sealer).ok_or_else(|| {
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
            .and_then(|l| l.parse::<Language>().ok()),
    };
    DomainRequest::validate(
        source,
        current.operation,
        account,
        current.order_id.clone(),
        domain.clone(),
        input,
        defaults,
    )
    .map_err(|problem| format!("the stored request is not valid: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_an_auth_code() {
        let input = DomainRequestInput {
            domain: Some("x.de".into()),
            auth_code: Some("Auth-S3cr3t".into()),
            ..DomainRequestInput::default()
        };
        let shown = format!("{input:?}");
        assert!(
            !shown.contains("S3cr3t") && shown.contains("***"),
            "{shown}"
        );
        let sealer = Sealer::new(b"test-secret-0123456789");
        let account = Account {
            id: "C-1".into(),
            kind: AccountKind::Customer,
            email: None,
            language: None,
        };
        let queued = QueuedItem::new("O-1", &account, "I-1", Operation::Transfer, &input, &sealer);
        assert!(!format!("{queued:?}").contains("S3cr3t"));
        assert!(!serde_json::to_string(&queued).unwrap().contains("S3cr3t"));
    }
}
