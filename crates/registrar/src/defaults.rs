//! The provider's defaults for what a registration or transfer leaves out.
//!
//! Every official create and transfer example carries four contacts and at
//! least two name servers (protocol audit D3, D4); a registry may refuse a
//! request without them. So a request goes out complete or not at all:
//! what an item omits comes from these defaults (and the action log says
//! so), and what neither gives is refused before anything is sent.

use internetx::{ContactRef, Nameserver, Protection};

use crate::contact::Contacts;
use crate::nameserver::{validate_nameservers, NameserverInput};
use crate::DomainName;

/// Name servers a registration or transfer needs.
pub const MIN_NAMESERVERS: usize = 2;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestDefaults {
    /// `DEFAULT_NAMESERVERS`: used when an item gives none.
    pub nameservers: Vec<String>,
    /// `DEFAULT_ADMIN_HANDLE`, `DEFAULT_TECH_HANDLE`, `DEFAULT_ZONE_HANDLE`.
    pub admin: Option<String>,
    pub tech: Option<String>,
    pub zone: Option<String>,
    /// `CONTACT_PROTECTION`: `<protection>` of every contact sent in full.
    pub protection: Protection,
}

/// What a request took from the defaults, for the action log.
pub type DefaultsUsed = Vec<String>;

impl RequestDefaults {
    /// The name servers to send: the item's (at least two), or the
    /// defaults when it gives none. One alone is a mistake, not a gap.
    pub fn nameservers(
        &self,
        domain: &DomainName,
        given: &[NameserverInput],
        used: &mut DefaultsUsed,
    ) -> Result<Vec<Nameserver>, String> {
        if !given.is_empty() {
            return validate_nameservers(domain, given, MIN_NAMESERVERS);
        }
        if self.nameservers.len() < MIN_NAMESERVERS {
            return Err(format!(
                "no name servers given, and no default set is configured (DEFAULT_NAMESERVERS needs at least {MIN_NAMESERVERS}); InterNetX's examples always send at least {MIN_NAMESERVERS}"
            ));
        }
        let defaults: Vec<NameserverInput> = self
            .nameservers
            .iter()
            .map(|name| NameserverInput {
                name: name.clone(),
                ipv4: None,
                ipv6: None,
            })
            .collect();
        let out = validate_nameservers(domain, &defaults, MIN_NAMESERVERS)
            .map_err(|e| format!("the default name servers do not suit {domain}: {e}"))?;
        used.push(format!("name servers {}", self.nameservers.join(", ")));
        Ok(out)
    }

    /// All four contacts: the item's, then the configured handle, then the
    /// owner (registries need each slot filled). The owner itself has no
    /// default: it is the customer.
    pub fn contacts(&self, given: Contacts, used: &mut DefaultsUsed) -> Result<Contacts, String> {
        let owner = given
            .owner
            .clone()
            .ok_or("owner contact is missing (InterNetX's examples always send the owner)")?;
        let mut copied = Vec::new();
        let mut fill = |slot: &'static str, mine: Option<ContactRef>, default: &Option<String>| {
            mine.unwrap_or_else(|| match default {
                Some(handle) => {
                    used.push(format!("{slot} handle {handle}"));
                    ContactRef::Handle(handle.clone())
                }
                None => {
                    copied.push(slot);
                    owner.clone()
                }
            })
        };
        let contacts = Contacts {
            admin: Some(fill("admin", given.admin, &self.admin)),
            tech: Some(fill("tech", given.tech, &self.tech)),
            zone: Some(fill("zone", given.zone, &self.zone)),
            owner: Some(owner),
        };
        if !copied.is_empty() {
            used.push(format!("{} copied from the owner", copied.join(", ")));
        }
        Ok(contacts)
    }
}

/// gTLDs need `confirm_owner_consent` when owner data is given (Domain
/// Object page). Rule used: a top-level label of two ASCII letters is a
/// ccTLD; every other TLD (including IDN TLDs, for which sending the
/// consent only confirms what the request does anyway) counts as a gTLD.
pub fn is_gtld(domain: &DomainName) -> bool {
    is_gtld_name(domain.ascii())
}

/// [`is_gtld`] of an ASCII name already checked (a domain item's).
pub fn is_gtld_name(ascii: &str) -> bool {
    let tld = ascii.rsplit('.').next().unwrap_or_default();
    !(tld.len() == 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domain(name: &str) -> DomainName {
        DomainName::parse(name).unwrap()
    }

    #[test]
    fn gtlds_are_every_tld_but_two_letter_country_codes() {
        assert!(is_gtld(&domain("example.com")));
        assert!(is_gtld(&domain("example.shop")));
        assert!(!is_gtld(&domain("example.de")));
        assert!(!is_gtld(&domain("example.co.uk")));
    }

    #[test]
    fn name_servers_from_the_item_or_the_defaults_never_mixed() {
        let defaults = RequestDefaults {
            nameservers: vec!["ns1.provider.net".into(), "ns2.provider.net".into()],
            ..RequestDefaults::default()
        };
        let mut used = Vec::new();
        let ns = defaults
            .nameservers(&domain("x.de"), &[], &mut used)
            .unwrap();
        assert_eq!(ns.len(), 2);
        assert_eq!(used, ["name servers ns1.provider.net, ns2.provider.net"]);
        let one = [NameserverInput {
            name: "ns1.other.net".into(),
            ipv4: None,
            ipv6: None,
        }];
        let err = defaults
            .nameservers(&domain("x.de"), &one, &mut Vec::new())
            .unwrap_err();
        assert!(err.contains("at least 2"), "{err}");
        let err = RequestDefaults::default()
            .nameservers(&domain("x.de"), &[], &mut Vec::new())
            .unwrap_err();
        assert!(err.contains("DEFAULT_NAMESERVERS"), "{err}");
    }

    #[test]
    fn contacts_take_handles_then_the_owner_and_never_invent_an_owner() {
        let owner = ContactRef::Handle("OWN-1".into());
        let given = Contacts {
            owner: Some(owner.clone()),
            admin: None,
            tech: None,
            zone: None,
        };
        let defaults = RequestDefaults {
            tech: Some("TECH-9".into()),
            ..RequestDefaults::default()
        };
        let mut used = Vec::new();
        let filled = defaults.contacts(given.clone(), &mut used).unwrap();
        assert_eq!(filled.admin, Some(owner.clone()));
        assert_eq!(filled.tech, Some(ContactRef::Handle("TECH-9".into())));
        assert_eq!(filled.zone, Some(owner));
        assert_eq!(
            used,
            ["tech handle TECH-9", "admin, zone copied from the owner"]
        );
        let no_owner = Contacts {
            owner: None,
            ..given
        };
        assert!(defaults.contacts(no_owner, &mut Vec::new()).is_err());
    }
}
