//! Which auth-code procedure a TLD has at InterNetX. AuthInfo2 (`0113003`,
//! the registry sends the code to the owner) "can be performed for the TLDs
//! DE, EU, NO, BE. For .BE, the AuthInfo can only be requested in this way"
//! (https://help.internetx.com/x/cY9QAg).

/// The TLDs AuthInfo2 is offered for.
pub const AUTHINFO2_TLDS: [&str; 4] = ["de", "eu", "no", "be"];

fn tld(domain: &str) -> String {
    domain
        .trim_end_matches('.')
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Whether `domain`'s TLD has AuthInfo2.
pub fn offers_authinfo2(domain: &str) -> bool {
    AUTHINFO2_TLDS.contains(&tld(domain).as_str())
}

/// Whether AuthInfo2 is the only way to a code for `domain` (`.be`).
pub fn only_authinfo2(domain: &str) -> bool {
    tld(domain) == "be"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authinfo2_is_for_de_eu_no_and_be_and_alone_for_be() {
        for d in ["a.de", "b.EU", "c.no", "d.be", "e.be."] {
            assert!(offers_authinfo2(d), "{d}");
        }
        for d in ["a.com", "b.at", "c.nl", "de.com"] {
            assert!(!offers_authinfo2(d), "{d}");
        }
        assert!(only_authinfo2("shop.be"));
        assert!(!only_authinfo2("shop.de"));
    }
}
