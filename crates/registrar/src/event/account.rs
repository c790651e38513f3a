//! The `account` of an event and the ids that become parts of table keys.

use serde::Deserialize;
use serde_json::Value;

use super::{EventError, MAX_ID_LEN};
use crate::record::AccountKind;
use crate::request::Account;
use crate::text::clip;

#[derive(Deserialize)]
struct AccountInput {
    id: String,
    kind: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

pub(super) fn account(detail: &Value) -> Result<Account, EventError> {
    let input = detail
        .get("account")
        .ok_or_else(|| EventError("account is missing".into()))
        .and_then(|a| {
            AccountInput::deserialize(a).map_err(|e| {
                EventError(format!(
                    "account is malformed: {}",
                    clip(&e.to_string(), 200)
                ))
            })
        })?;
    if !valid_id(&input.id) {
        return Err(EventError("account.id is not a usable id".into()));
    }
    let kind = input.kind.parse::<AccountKind>().map_err(|_| {
        EventError(format!(
            "account.kind {:?} is not provider or customer",
            clip(&input.kind, 40)
        ))
    })?;
    // Only status mails use these: an unusable value costs the customer
    // their mail, never the order (it is logged and dropped).
    let email = input
        .email
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
        .and_then(|e| {
            let usable = crate::status_mail::valid_email(&e);
            if !usable {
                tracing::warn!(account = %input.id, email = %clip(&e, 60), "account.email is not a usable address; no status mails");
            }
            usable.then_some(e)
        });
    let language = input.language.and_then(|l| match l.parse::<crate::status_mail::Language>() {
        Ok(language) => Some(language),
        Err(e) => {
            tracing::warn!(account = %input.id, "account.language: {}; status mails in English", clip(&e, 80));
            None
        }
    });
    Ok(Account {
        id: input.id,
        kind,
        email,
        language,
    })
}

pub(super) fn id_field(detail: &Value, field: &str) -> Result<String, EventError> {
    match detail.get(field) {
        Some(Value::String(s)) if valid_id(s) => Ok(s.clone()),
        Some(Value::String(_)) => Err(EventError(format!(
            "{field} must be 1 to {MAX_ID_LEN} printable characters without '#'"
        ))),
        Some(_) => Err(EventError(format!("{field} is not a string"))),
        None => Err(EventError(format!("{field} is missing"))),
    }
}

/// Ids become parts of table keys: printable, bounded, no key separator.
pub(super) fn valid_id(id: &str) -> bool {
    !id.trim().is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.contains('#')
        && id.chars().all(|c| !c.is_control())
}
