//! The events of CONTRACT.md §1, parsed leniently enough that one bad item
//! never hides the others: an order's items are parsed one by one.

use serde_json::Value;

use crate::record::AccountKind;
use crate::request::{Account, DomainRequestInput};
use crate::status::Operation;
use crate::text::clip;

mod account;
mod dead_letter;

use account::{account, id_field, valid_id};
pub use dead_letter::{parse_dead_letter, DeadLetter};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EventError(pub String);

#[derive(Debug, Clone)]
pub enum InboundEvent {
    OrderPaid(OrderPaid),
    DomainRequested(DomainRequested),
    Change(ChangeRequested),
}

impl InboundEvent {
    /// The event's own id: the order or the request.
    pub fn reference(&self) -> &str {
        match self {
            InboundEvent::OrderPaid(o) => &o.order_id,
            InboundEvent::DomainRequested(r) => &r.request_id,
            InboundEvent::Change(c) => &c.request_id,
        }
    }
}

/// `NameserversChangeRequested`, `ContactsChangeRequested`,
/// `CancellationRequested`, `TransferLockChangeRequested`,
/// `CancellationWithdrawn`, `AuthCodeRequested` or
/// `VerificationResendRequested` for a domain of the table.
#[derive(Debug, Clone)]
pub struct ChangeRequested {
    pub request_id: String,
    /// Who asks: a customer may change only its own domains.
    pub account: Account,
    pub domain: String,
    pub operation: Operation,
    /// The change's own fields, or why they cannot be read (logged on the
    /// domain, which the event names).
    pub change: Result<ChangeInput, String>,
}

#[derive(Debug, Clone)]
pub enum ChangeInput {
    Nameservers(Vec<crate::nameserver::NameserverInput>),
    Contacts(crate::contact::ContactsInput),
    Cancel,
    /// `TransferLockChangeRequested`: `locked`.
    Lock(bool),
    /// `CancellationWithdrawn`.
    WithdrawCancel,
    /// `VerificationResendRequested`.
    ResendVerification,
    /// `AuthCodeRequested`, with where the code goes (`send_to`).
    AuthCode {
        delivery: AuthDelivery,
    },
    /// The answer to an outgoing transfer: from the sync's transfer-out
    /// policy or the operator's `internetx-bridge transfer-out`, never from
    /// an event of the control center.
    TransferOut(internetx::TransferOutAnswer),
}

/// Where an auth code goes (`AuthCodeRequested`'s `send_to`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthDelivery {
    /// `customer` (default): to the account by status mail (`0113001`).
    #[default]
    Customer,
    /// `owner`: InterNetX mails it to the domain's owner (`0113005`).
    Owner,
    /// `post`: an AuthInfo2 the registry sends to the owner (`0113003`;
    /// DE, EU, NO, BE — DENIC by post). For `.be` it is the only way, and
    /// every request goes so.
    Post,
}

#[derive(Debug, Clone)]
pub struct OrderPaid {
    pub order_id: String,
    pub account: Account,
    pub items: Vec<OrderItem>,
}

/// One order item: a domain item parsed, or why it could not be.
#[derive(Debug, Clone)]
pub enum OrderItem {
    Domain {
        item_id: String,
        operation: Operation,
        input: DomainRequestInput,
    },
    /// Not a domain item (`hosting_plan`, …): ignored.
    Other { item_id: String, kind: String },
    Invalid {
        item_id: String,
        domain: Option<String>,
        reason: String,
    },
}

impl OrderItem {
    pub fn id(&self) -> &str {
        match self {
            OrderItem::Domain { item_id, .. }
            | OrderItem::Other { item_id, .. }
            | OrderItem::Invalid { item_id, .. } => item_id,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DomainRequested {
    pub request_id: String,
    pub operation: Operation,
    pub account: Account,
    pub order_id: Option<String>,
    pub input: DomainRequestInput,
}

/// Limits that keep a hostile event from costing more than a real one.
pub(crate) const MAX_ID_LEN: usize = 128;
const MAX_ITEMS: usize = 5_000;

/// An EventBridge event (the whole envelope): its `detail-type` (clipped,
/// for logs) and the event, or why it cannot be read.
pub fn parse_envelope(event: &Value) -> (String, Result<InboundEvent, EventError>) {
    let detail_type: String = event
        .get("detail-type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .chars()
        .take(80)
        .collect();
    let detail = event.get("detail").unwrap_or(&Value::Null);
    let parsed = parse_event(&detail_type, detail);
    (detail_type, parsed)
}

/// Parses an event by its `detail-type`.
pub fn parse_event(detail_type: &str, detail: &Value) -> Result<InboundEvent, EventError> {
    match detail_type {
        "OrderPaid" => parse_order_paid(detail).map(InboundEvent::OrderPaid),
        "DomainRequested" => parse_domain_requested(detail).map(InboundEvent::DomainRequested),
        "NameserversChangeRequested" => {
            parse_change(detail, Operation::UpdateNameservers).map(InboundEvent::Change)
        }
        "ContactsChangeRequested" => {
            parse_change(detail, Operation::UpdateContacts).map(InboundEvent::Change)
        }
        "CancellationRequested" => {
            parse_change(detail, Operation::Cancel).map(InboundEvent::Change)
        }
        "TransferLockChangeRequested" => {
            parse_change(detail, Operation::ChangeLock).map(InboundEvent::Change)
        }
        "CancellationWithdrawn" => {
            parse_change(detail, Operation::WithdrawCancel).map(InboundEvent::Change)
        }
        "AuthCodeRequested" => parse_change(detail, Operation::AuthCode).map(InboundEvent::Change),
        "VerificationResendRequested" => {
            parse_change(detail, Operation::ResendVerification).map(InboundEvent::Change)
        }
        other => Err(EventError(format!(
            "unsupported event type {:?}",
            clip(other, 60)
        ))),
    }
}

fn parse_order_paid(detail: &Value) -> Result<OrderPaid, EventError> {
    let order_id = id_field(detail, "order_id")?;
    let account = account(detail)?;
    let items = detail
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            EventError(format!(
                "OrderPaid {order_id}: items is missing or not a list"
            ))
        })?;
    if items.len() > MAX_ITEMS {
        return Err(EventError(format!(
            "OrderPaid {order_id}: {} items; at most {MAX_ITEMS} are accepted in one event",
            items.len()
        )));
    }
    let items = items
        .iter()
        .enumerate()
        .map(|(i, item)| parse_item(i, item))
        .collect();
    Ok(OrderPaid {
        order_id,
        account,
        items,
    })
}

fn parse_item(index: usize, item: &Value) -> OrderItem {
    let item_id = match item.get("item_id") {
        Some(Value::String(s)) if valid_id(s) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => format!("#{}", index + 1),
    };
    let domain = item
        .get("domain")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let invalid = |reason: String| OrderItem::Invalid {
        item_id: item_id.clone(),
        domain: domain.clone(),
        reason,
    };
    if !item.is_object() {
        return invalid("order item is not an object".into());
    }
    if !matches!(item.get("item_id"), Some(Value::String(s)) if valid_id(s)) {
        return invalid("item_id is missing or not a usable id".into());
    }
    let kind = match item.get("type").and_then(Value::as_str) {
        Some(kind) => kind,
        None => return invalid("type is missing or not a string".into()),
    };
    let operation = match kind {
        "domain_registration" => Operation::Register,
        "domain_transfer" => Operation::Transfer,
        other => {
            return OrderItem::Other {
                item_id,
                kind: clip(other, 60),
            }
        }
    };
    match deserialize_input(item) {
        Ok(input) => OrderItem::Domain {
            item_id,
            operation,
            input,
        },
        Err(e) => invalid(format!("order item is malformed: {e}")),
    }
}

fn parse_domain_requested(detail: &Value) -> Result<DomainRequested, EventError> {
    let request_id = id_field(detail, "request_id")?;
    let fail = |msg: String| EventError(format!("DomainRequested {request_id}: {msg}"));
    let operation = match detail.get("operation").and_then(Value::as_str) {
        Some("register") => Operation::Register,
        Some("transfer") => Operation::Transfer,
        Some(other) => {
            return Err(fail(format!(
                "operation {:?} is not register or transfer",
                clip(other, 40)
            )))
        }
        None => return Err(fail("operation is missing".into())),
    };
    let account = account(detail).map_err(|e| fail(e.0))?;
    let order_id = match detail.get("order_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if valid_id(s) => Some(s.clone()),
        Some(_) => return Err(fail("order_id is not a usable id".into())),
    };
    if account.kind == AccountKind::Customer && order_id.is_none() {
        return Err(fail("order_id is required for a customer account".into()));
    }
    let input = deserialize_input(detail).map_err(|e| fail(format!("malformed: {e}")))?;
    Ok(DomainRequested {
        request_id,
        operation,
        account,
        order_id,
        input,
    })
}

fn parse_change(detail: &Value, operation: Operation) -> Result<ChangeRequested, EventError> {
    let request_id = id_field(detail, "request_id")?;
    let account = account(detail).map_err(|e| EventError(format!("{request_id}: {}", e.0)))?;
    let domain = match detail.get("domain") {
        Some(Value::String(d)) if !d.trim().is_empty() => d.clone(),
        _ => {
            return Err(EventError(format!(
                "{request_id}: domain is missing or not a string"
            )))
        }
    };
    let field = |name: &str| detail.get(name).filter(|v| !v.is_null());
    let change = match operation {
        Operation::UpdateNameservers => match field("nameservers") {
            None => Err("nameservers is missing".to_owned()),
            Some(v) => serde_path_to_error::deserialize(v)
                .map(ChangeInput::Nameservers)
                .map_err(|e| {
                    format!(
                        "nameservers{}: {}",
                        path_suffix(e.path()),
                        clip(&e.into_inner().to_string(), 200)
                    )
                }),
        },
        Operation::UpdateContacts => match field("contacts") {
            None => Err("contacts is missing".to_owned()),
            Some(v) => serde_path_to_error::deserialize(v)
                .map(ChangeInput::Contacts)
                .map_err(|e| {
                    format!(
                        "contacts{}: {}",
                        path_suffix(e.path()),
                        clip(&e.into_inner().to_string(), 200)
                    )
                }),
        },
        Operation::ChangeLock => match field("locked") {
            Some(Value::Bool(locked)) => Ok(ChangeInput::Lock(*locked)),
            Some(_) => Err("locked is not true or false".to_owned()),
            None => Err("locked is missing".to_owned()),
        },
        Operation::WithdrawCancel => Ok(ChangeInput::WithdrawCancel),
        Operation::ResendVerification => Ok(ChangeInput::ResendVerification),
        Operation::AuthCode => match field("send_to").map(|v| v.as_str()) {
            None | Some(Some("customer")) => Ok(AuthDelivery::Customer),
            Some(Some("owner")) => Ok(AuthDelivery::Owner),
            Some(Some("post")) => Ok(AuthDelivery::Post),
            Some(_) => Err("send_to is not \"customer\", \"owner\" or \"post\"".to_owned()),
        }
        .map(|delivery| ChangeInput::AuthCode { delivery }),
        _ => Ok(ChangeInput::Cancel),
    };
    Ok(ChangeRequested {
        request_id,
        account,
        domain,
        operation,
        change,
    })
}

fn path_suffix(path: &serde_path_to_error::Path) -> String {
    match path.to_string() {
        p if p == "." => String::new(),
        p if p.starts_with('[') => p,
        p => format!(".{p}"),
    }
}

/// Deserialises a request's fields, naming the field that is wrong.
fn deserialize_input(value: &Value) -> Result<DomainRequestInput, String> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        // serde's message quotes the value ("invalid type: integer
        // `83726154`"); an auth code's value must never reach a log, the
        // table or a status mail (security review L1).
        if path.starts_with("auth_code") {
            return format!("{path}: must be a string");
        }
        format!("{path}: {}", clip(&e.into_inner().to_string(), 200))
    })
}

#[cfg(test)]
mod tests;
