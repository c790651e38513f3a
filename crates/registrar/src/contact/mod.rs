//! Contacts as the events give them, validated into InterNetX contact blocks.

use internetx::{Contact, ContactKind, ContactRef, Protection};
use serde::{Deserialize, Serialize};

use crate::text::{clip, is_clean};

mod extension;
mod phone;

pub use extension::ExtensionInput;
pub use phone::phone_number;

/// Longest alias we send: no limit is documented (protocol audit D17), and
/// a domain name alone may be 253 characters.
pub const MAX_ALIAS: usize = 64;

/// A contact in an event: a full contact, or `{"handle": "<id>"}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct ContactInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handle: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressInput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fax: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Registry-specific fields, sent as InterNetX's `<extension>` block.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<ExtensionInput>,
}

/// Address lines: an array, or one string.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum AddressInput {
    Lines(Vec<String>),
    One(String),
}

/// The four contact slots of a domain.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct ContactsInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Box<ContactInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<Box<ContactInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tech: Option<Box<ContactInput>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<Box<ContactInput>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{slot} contact: {problem}")]
pub struct ContactError {
    pub slot: &'static str,
    pub problem: String,
}

/// Validated contact slots, ready for a domain request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contacts {
    pub owner: Option<ContactRef>,
    pub admin: Option<ContactRef>,
    pub tech: Option<ContactRef>,
    pub zone: Option<ContactRef>,
}

impl Contacts {
    /// Slot → handle id or our alias, for the domain item.
    pub fn slots(&self) -> std::collections::BTreeMap<String, String> {
        [
            ("owner", &self.owner),
            ("admin", &self.admin),
            ("tech", &self.tech),
            ("zone", &self.zone),
        ]
        .into_iter()
        .filter_map(|(slot, c)| {
            let value = match c.as_ref()? {
                ContactRef::Handle(id) => id.clone(),
                ContactRef::Inline(contact) => contact.alias.clone(),
            };
            Some((slot.to_owned(), value))
        })
        .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.owner.is_none() && self.admin.is_none() && self.tech.is_none() && self.zone.is_none()
    }
}

impl ContactInput {
    /// `{}` stands for "not given".
    pub fn is_empty(&self) -> bool {
        *self == ContactInput::default()
    }
}

impl ContactsInput {
    /// Validates every given slot; `alias_base` names our handles
    /// (e.g. the domain) so InterNetX can reuse them on a retry.
    pub fn validate(
        &self,
        alias_base: &str,
        protection: Protection,
    ) -> Result<Contacts, ContactError> {
        let slot = |name: &'static str, input: &Option<Box<ContactInput>>| {
            input
                .as_ref()
                .filter(|c| !c.is_empty())
                .map(|c| validate_contact(name, c, alias_base, protection))
                .transpose()
        };
        Ok(Contacts {
            owner: slot("owner", &self.owner)?,
            admin: slot("admin", &self.admin)?,
            tech: slot("tech", &self.tech)?,
            zone: slot("zone", &self.zone)?,
        })
    }

    pub fn is_empty(&self) -> bool {
        [&self.owner, &self.admin, &self.tech, &self.zone]
            .iter()
            .all(|c| c.as_ref().is_none_or(|c| c.is_empty()))
    }
}

fn validate_contact(
    slot: &'static str,
    input: &ContactInput,
    alias_base: &str,
    protection: Protection,
) -> Result<ContactRef, ContactError> {
    let fail = |problem: String| ContactError { slot, problem };
    if let Some(handle) = &input.handle {
        let handle = handle.trim();
        if handle.is_empty()
            || handle.len() > 64
            || !handle
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(fail(format!(
                "handle {:?} is not a valid handle id",
                clip(handle, 80)
            )));
        }
        return Ok(ContactRef::Handle(handle.to_owned()));
    }
    let text = |field: &'static str,
                value: &Option<String>,
                max: usize|
     -> Result<Option<String>, ContactError> {
        match value.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) if !is_clean(v) => Err(fail(format!("{field} contains control characters"))),
            Some(v) if v.chars().count() > max => {
                Err(fail(format!("{field} is longer than {max} characters")))
            }
            Some(v) => Ok(Some(v.to_owned())),
        }
    };
    let required = |field: &'static str, value: &Option<String>, max: usize| {
        text(field, value, max)?.ok_or_else(|| fail(format!("{field} is missing")))
    };
    let kind = match input.kind.as_deref().map(|k| k.trim().to_ascii_lowercase()) {
        None => None,
        Some(k) if k.is_empty() => None,
        Some(k) if k == "person" => Some(ContactKind::Person),
        Some(k) if k == "org" || k == "organization" => Some(ContactKind::Org),
        Some(k) if k == "role" => Some(ContactKind::Role),
        Some(k) => {
            return Err(fail(format!(
                "kind {:?} is not one of person, org, role",
                clip(&k, 40)
            )))
        }
    };
    let organization = text("organization", &input.organization, 128)?;
    let kind = kind.unwrap_or(if organization.is_some() {
        ContactKind::Org
    } else {
        ContactKind::Person
    });
    if kind == ContactKind::Org && organization.is_none() {
        return Err(fail("organization is required for kind org".into()));
    }
    let address: Vec<String> = match &input.address {
        None => Vec::new(),
        Some(AddressInput::One(line)) => vec![line.clone()],
        Some(AddressInput::Lines(lines)) => lines.clone(),
    }
    .into_iter()
    .map(|l| l.trim().to_owned())
    .filter(|l| !l.is_empty())
    .collect();
    if address.is_empty() {
        return Err(fail("address is missing".into()));
    }
    if address.len() > 3 {
        return Err(fail("address has more than 3 lines".into()));
    }
    for line in &address {
        if !is_clean(line) || line.chars().count() > 128 {
            return Err(fail(
                "an address line is too long or contains control characters".into(),
            ));
        }
    }
    let country_input = required("country", &input.country, 64)?;
    let country = crate::country::normalise(&country_input).ok_or_else(|| {
        fail(format!(
            "country {:?} is not an ISO 3166-1 alpha-2 code",
            clip(&country_input, 40)
        ))
    })?;
    let phone = phone_number(&required("phone", &input.phone, 40)?)
        .map_err(|p| fail(format!("phone {p}")))?;
    let fax = text("fax", &input.fax, 40)?
        .map(|f| phone_number(&f).map_err(|p| fail(format!("fax {p}"))))
        .transpose()?;
    let email = email(&required("email", &input.email, 254)?).map_err(fail)?;
    let first_name = required("first_name", &input.first_name, 64)?;
    let last_name = required("last_name", &input.last_name, 64)?;
    let extension = input
        .extension
        .as_ref()
        .map(ExtensionInput::validate)
        .transpose()
        .map_err(|p| fail(format!("extension {p}")))?
        .unwrap_or_default();
    Ok(ContactRef::Inline(Box::new(Contact {
        alias: alias(slot, alias_base),
        kind,
        first_name,
        last_name,
        organization,
        address,
        postal_code: required("postal_code", &input.postal_code, 16)?,
        city: required("city", &input.city, 64)?,
        state: text("state", &input.state, 64)?,
        country,
        phone,
        fax,
        email,
        protection,
        extension,
    })))
}

/// `ib-<slot>-<domain>`, the same for every request about the domain; a
/// name too long for [`MAX_ALIAS`] keeps its start and gains a hash of the
/// whole, so it stays stable and distinct.
pub fn alias(slot: &str, base: &str) -> String {
    use sha2::{Digest, Sha256};
    let full = format!("ib-{slot}-{base}");
    if full.len() <= MAX_ALIAS {
        return full;
    }
    let digest = Sha256::digest(base.as_bytes());
    let hash: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
    let keep = MAX_ALIAS - hash.len() - 1;
    let mut cut = full[..keep].to_owned();
    while !full.is_char_boundary(cut.len()) {
        cut.pop();
    }
    format!("{}-{hash}", cut.trim_end_matches(['-', '.']))
}

fn email(input: &str) -> Result<String, String> {
    let shown = clip(input, 80);
    let (local, domain) = input
        .rsplit_once('@')
        .ok_or_else(|| format!("email {shown:?} has no @"))?;
    let ok_local = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..");
    if !ok_local {
        return Err(format!("email {shown:?} has an invalid local part"));
    }
    let domain = crate::DomainName::parse(domain)
        .map_err(|_| format!("email {shown:?} has an invalid domain"))?;
    Ok(format!("{local}@{}", domain.ascii()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> ContactInput {
        serde_json::from_value(serde_json::json!({
            "kind": "org", "first_name": "Hans", "last_name": "Müller",
            "organization": "Müller & <Söhne>", "address": ["Hauptstr. 1"],
            "postal_code": "10115", "city": "Berlin", "country": "de",
            "phone": "+49 30 1234567", "email": "hans@example.de"
        }))
        .unwrap()
    }

    #[test]
    fn validates_a_full_contact() {
        let contacts = ContactsInput {
            owner: Some(Box::new(full())),
            ..Default::default()
        };
        let v = contacts
            .validate("example.de", Protection::Limited)
            .unwrap();
        let ContactRef::Inline(c) = v.owner.unwrap() else {
            panic!("expected inline contact")
        };
        assert_eq!(c.kind, ContactKind::Org);
        assert_eq!(c.country, "DE");
        assert_eq!(c.phone, "+49-30-1234567");
        assert_eq!(c.alias, "ib-owner-example.de");
        assert!(v.admin.is_none());
    }

    #[test]
    fn aliases_are_bounded_stable_and_distinct() {
        assert_eq!(alias("owner", "example.de"), "ib-owner-example.de");
        let long_a = format!("{}.com", "a".repeat(200));
        let long_b = format!("{}b.com", "a".repeat(199));
        let a = alias("admin", &long_a);
        assert!(a.len() <= MAX_ALIAS, "{a}");
        assert_eq!(a, alias("admin", &long_a));
        assert_ne!(a, alias("admin", &long_b));
        assert!(a.starts_with("ib-admin-aaaa"), "{a}");
    }

    #[test]
    fn sends_protection_and_extension() {
        let mut c = full();
        c.extension = Some(ExtensionInput(
            [("idnumber".to_owned(), "X-1".to_owned())]
                .into_iter()
                .collect(),
        ));
        let v = ContactsInput {
            owner: Some(Box::new(c)),
            ..Default::default()
        }
        .validate("x.de", Protection::All)
        .unwrap();
        let Some(ContactRef::Inline(c)) = v.owner else {
            panic!()
        };
        assert_eq!(c.protection, Protection::All);
        assert_eq!(c.extension, [("idnumber".to_owned(), "X-1".to_owned())]);
    }

    #[test]
    fn names_the_missing_or_bad_field() {
        let mut c = full();
        c.country = Some("Germany".into());
        let err = ContactsInput {
            owner: Some(Box::new(c)),
            ..Default::default()
        }
        .validate("x.de", Protection::Limited)
        .unwrap_err();
        assert_eq!(err.slot, "owner");
        assert!(err.problem.contains("country"), "{err}");

        let mut c = full();
        c.email = Some("not-an-email".into());
        let err = ContactsInput {
            admin: Some(Box::new(c)),
            ..Default::default()
        }
        .validate("x.de", Protection::Limited)
        .unwrap_err();
        assert!(err.to_string().starts_with("admin contact: email"), "{err}");

        let mut c = full();
        c.organization = None;
        let err = ContactsInput {
            owner: Some(Box::new(c)),
            ..Default::default()
        }
        .validate("x.de", Protection::Limited)
        .unwrap_err();
        assert!(err.problem.contains("organization"), "{err}");
    }

    #[test]
    fn accepts_handles_and_treats_empty_as_absent() {
        let input: ContactsInput = serde_json::from_value(serde_json::json!({
            "owner": {"handle": "12345"}, "admin": {}
        }))
        .unwrap();
        let v = input.validate("x.de", Protection::Limited).unwrap();
        assert_eq!(v.owner, Some(ContactRef::Handle("12345".into())));
        assert_eq!(v.admin, None);
        let bad: ContactsInput =
            serde_json::from_value(serde_json::json!({"owner": {"handle": "<x>"}})).unwrap();
        assert!(bad.validate("x.de", Protection::Limited).is_err());
    }
}
