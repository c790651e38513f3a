//! Domain names, validated once at the edge.

use std::fmt;

/// A registrable domain name: lower-case ASCII (punycode for IDN), with its
/// Unicode form kept for display.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName {
    ascii: String,
    unicode: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainNameError {
    #[error("domain name is empty")]
    Empty,
    #[error("domain name {0:?} is not a valid internationalised name")]
    Idna(String),
    #[error("domain name {name:?} is {len} characters long; at most 253 are allowed")]
    TooLong { name: String, len: usize },
    #[error("domain name {0:?} needs at least a name and a top-level domain")]
    SingleLabel(String),
    #[error("domain name {name:?} has an empty label")]
    EmptyLabel { name: String },
    #[error("domain name {name:?} has the label {label:?} longer than 63 characters")]
    LabelTooLong { name: String, label: String },
    #[error(
        "domain name {name:?} has the label {label:?} with a character other than a-z, 0-9 or '-'"
    )]
    BadCharacter { name: String, label: String },
    #[error("domain name {name:?} has the label {label:?} starting or ending with '-'")]
    Hyphen { name: String, label: String },
    #[error("domain name {name:?} has a numeric top-level domain")]
    NumericTld { name: String },
}

impl DomainName {
    /// Parses what a storefront or operator typed: trims, drops one trailing
    /// dot, lower-cases, converts IDN to punycode and checks the label rules.
    pub fn parse(input: &str) -> Result<Self, DomainNameError> {
        let trimmed = input.trim();
        let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
        if trimmed.is_empty() {
            return Err(DomainNameError::Empty);
        }
        let shown = crate::text::clip(trimmed, 300);
        if trimmed.chars().count() > 253 {
            return Err(DomainNameError::TooLong {
                name: shown,
                len: trimmed.chars().count(),
            });
        }
        let ascii = if trimmed.is_ascii() {
            trimmed.to_ascii_lowercase()
        } else {
            idna::domain_to_ascii_strict(trimmed)
                .map_err(|_| DomainNameError::Idna(shown.clone()))?
        };
        check_ascii(&ascii)?;
        let (unicode, result) = idna::domain_to_unicode(&ascii);
        if result.is_err() {
            return Err(DomainNameError::Idna(shown));
        }
        Ok(Self { ascii, unicode })
    }

    pub fn ascii(&self) -> &str {
        &self.ascii
    }

    pub fn unicode(&self) -> &str {
        &self.unicode
    }

    /// Whether `host` is this domain or lies below it (then it needs glue).
    pub fn contains_host(&self, host: &str) -> bool {
        host == self.ascii || host.ends_with(&format!(".{}", self.ascii))
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ascii)
    }
}

/// Host-name rules (LDH labels), shared with name-server names.
pub(crate) fn check_ascii(name: &str) -> Result<(), DomainNameError> {
    if name.len() > 253 {
        return Err(DomainNameError::TooLong {
            name: crate::text::clip(name, 300),
            len: name.len(),
        });
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err(DomainNameError::SingleLabel(name.to_owned()));
    }
    for label in &labels {
        let err_label = || (name.to_owned(), crate::text::clip(label, 80));
        if label.is_empty() {
            return Err(DomainNameError::EmptyLabel {
                name: name.to_owned(),
            });
        }
        if label.len() > 63 {
            let (name, label) = err_label();
            return Err(DomainNameError::LabelTooLong { name, label });
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            let (name, label) = err_label();
            return Err(DomainNameError::BadCharacter { name, label });
        }
        if label.starts_with('-') || label.ends_with('-') {
            let (name, label) = err_label();
            return Err(DomainNameError::Hyphen { name, label });
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(DomainNameError::NumericTld {
            name: name.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_trailing_dot_and_idn() {
        let d = DomainName::parse(" Example.DE. ").unwrap();
        assert_eq!(d.ascii(), "example.de");
        let idn = DomainName::parse("Müller-Söhne.de").unwrap();
        assert_eq!(idn.ascii(), "xn--mller-shne-kcb9d.de");
        assert_eq!(idn.unicode(), "müller-söhne.de");
        let puny = DomainName::parse("xn--mller-shne-kcb9d.de").unwrap();
        assert_eq!(puny.unicode(), "müller-söhne.de");
    }

    #[test]
    fn refuses_bad_names() {
        for bad in [
            "",
            ".",
            "example",
            "exa mple.de",
            "exa_mple.de",
            "-example.de",
            "example-.de",
            "example..de",
            "example.123",
            "a<b>.de",
            "exam\u{0}ple.de",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long = format!("{}.de", "a".repeat(64));
        assert!(matches!(
            DomainName::parse(&long),
            Err(DomainNameError::LabelTooLong { .. })
        ));
        let huge = "a.".repeat(150) + "de";
        assert!(matches!(
            DomainName::parse(&huge),
            Err(DomainNameError::TooLong { .. })
        ));
    }

    #[test]
    fn knows_in_zone_hosts() {
        let d = DomainName::parse("example.de").unwrap();
        assert!(d.contains_host("ns.example.de"));
        assert!(!d.contains_host("ns.otherexample.de"));
    }
}
