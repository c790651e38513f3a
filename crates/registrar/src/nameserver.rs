//! Name servers as events give them, validated (host names, glue addresses).

use std::net::{Ipv4Addr, Ipv6Addr};

use internetx::Nameserver;
use serde::{Deserialize, Serialize};

use crate::domain_name::check_ascii;
use crate::text::clip;
use crate::DomainName;

#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
pub struct NameserverInput {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<Addresses>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<Addresses>,
}

/// One address or a list of them.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Addresses {
    One(String),
    Many(Vec<String>),
}

impl Addresses {
    fn list(&self) -> Vec<&str> {
        match self {
            Addresses::One(a) => vec![a.as_str()],
            Addresses::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

pub const MAX_NAMESERVERS: usize = 13;

/// Validates a name-server set for `domain`: host names, no duplicates, at
/// most 13, glue (IPv4 or IPv6) required for hosts inside the domain and
/// dropped for hosts outside it, where registries refuse it.
pub fn validate_nameservers(
    domain: &DomainName,
    input: &[NameserverInput],
    min: usize,
) -> Result<Vec<Nameserver>, String> {
    if input.len() > MAX_NAMESERVERS {
        return Err(format!(
            "{} name servers given; at most {MAX_NAMESERVERS} are allowed",
            input.len()
        ));
    }
    if input.len() < min {
        return Err(format!(
            "{} name server(s) given; at least {min} are required",
            input.len()
        ));
    }
    let mut out: Vec<Nameserver> = Vec::with_capacity(input.len());
    for ns in input {
        let raw = ns.name.trim();
        let name = raw.strip_suffix('.').unwrap_or(raw).to_ascii_lowercase();
        let name = if name.is_ascii() {
            name
        } else {
            DomainName::parse(&name)
                .map_err(|e| format!("name server {:?}: {e}", clip(raw, 80)))?
                .ascii()
                .to_owned()
        };
        check_ascii(&name).map_err(|e| format!("name server {:?}: {e}", clip(raw, 80)))?;
        if out.iter().any(|o| o.name == name) {
            return Err(format!("name server {name} is listed twice"));
        }
        let ipv4 = parse_all::<Ipv4Addr>(&name, "IPv4", ns.ipv4.as_ref())?;
        let ipv6 = parse_all::<Ipv6Addr>(&name, "IPv6", ns.ipv6.as_ref())?;
        let in_zone = domain.contains_host(&name);
        if in_zone && ipv4.is_empty() && ipv6.is_empty() {
            return Err(format!(
                "name server {name} lies inside {domain} and needs a glue address (ipv4 or ipv6)"
            ));
        }
        let (ipv4, ipv6) = if in_zone {
            (ipv4, ipv6)
        } else {
            (vec![], vec![])
        };
        out.push(Nameserver { name, ipv4, ipv6 });
    }
    Ok(out)
}

fn parse_all<T: std::str::FromStr + ToString>(
    host: &str,
    family: &str,
    input: Option<&Addresses>,
) -> Result<Vec<String>, String> {
    input
        .map(Addresses::list)
        .unwrap_or_default()
        .into_iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            a.trim().parse::<T>().map(|ip| ip.to_string()).map_err(|_| {
                format!(
                    "name server {host}: {:?} is not an {family} address",
                    clip(a, 60)
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(v: serde_json::Value) -> Vec<NameserverInput> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn keeps_glue_only_inside_the_zone() {
        let d = DomainName::parse("example.de").unwrap();
        let out = validate_nameservers(
            &d,
            &ns(serde_json::json!([
                {"name": "NS1.Provider.NET.", "ipv4": "192.0.2.1"},
                {"name": "ns.example.de", "ipv4": "192.0.2.53", "ipv6": ["2001:db8::53"]}
            ])),
            1,
        )
        .unwrap();
        assert_eq!(out[0].name, "ns1.provider.net");
        assert!(out[0].ipv4.is_empty());
        assert_eq!(out[1].ipv4, vec!["192.0.2.53"]);
        assert_eq!(out[1].ipv6, vec!["2001:db8::53"]);
    }

    #[test]
    fn refuses_bad_sets() {
        let d = DomainName::parse("example.de").unwrap();
        let check = |v| validate_nameservers(&d, &ns(v), 2).unwrap_err();
        assert!(
            check(serde_json::json!([{"name": "ns.example.de"}, {"name": "a.b.net"}]))
                .contains("glue")
        );
        assert!(
            check(serde_json::json!([{"name": "a.b.net"}, {"name": "A.b.net"}])).contains("twice")
        );
        assert!(check(serde_json::json!([{"name": "a.b.net"}])).contains("at least 2"));
        assert!(
            check(serde_json::json!([{"name": "bad host.net"}, {"name": "a.b.net"}]))
                .contains("bad host")
        );
        assert!(check(
            serde_json::json!([{"name": "ns.example.de", "ipv4": "999.1.1.1"}, {"name": "a.b.net"}])
        )
        .contains("IPv4"));
        let many: Vec<_> = (0..14)
            .map(|i| serde_json::json!({"name": format!("ns{i}.b.net")}))
            .collect();
        assert!(check(serde_json::Value::Array(many)).contains("at most 13"));
    }
}
