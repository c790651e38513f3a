//! Tokenised reply addresses: proof that a result mail answers our request.
//!
//! Each request's `reply_to` is `local+<token>@domain`, the token an HMAC of
//! the request's ctid under a secret only this system knows. A mail that
//! arrives on an address whose token does not match the ctid it reports was
//! not caused by us and may change nothing.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Token length in hex digits (128 bits): lower-case hex survives any
/// case folding of the local part.
const TOKEN_HEX: usize = 32;

#[derive(Clone)]
pub struct ReplyAddress {
    local: String,
    domain: String,
    key: Vec<u8>,
}

impl std::fmt::Debug for ReplyAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReplyAddress({}@{}, key ***)", self.local, self.domain)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyAddressError {
    #[error("REPLY_TO_ADDRESS {0:?} is not an address like internetx@inbound.example.net")]
    NotAnAddress(String),
    #[error("REPLY_TO_ADDRESS {0:?} must not contain '+' (the token is added after it)")]
    HasPlus(String),
    #[error("the reply-token secret must be at least 16 bytes long")]
    WeakSecret,
}

impl ReplyAddress {
    pub fn new(base: &str, secret: &[u8]) -> Result<Self, ReplyAddressError> {
        let (local, domain) = base
            .trim()
            .rsplit_once('@')
            .filter(|(l, d)| !l.is_empty() && d.contains('.'))
            .ok_or_else(|| ReplyAddressError::NotAnAddress(base.to_owned()))?;
        if local.contains('+') {
            return Err(ReplyAddressError::HasPlus(base.to_owned()));
        }
        if secret.len() < 16 {
            return Err(ReplyAddressError::WeakSecret);
        }
        Ok(Self {
            local: local.to_ascii_lowercase(),
            domain: domain.to_ascii_lowercase(),
            key: derive(secret, b"internetx-bridge reply token v1"),
        })
    }

    /// The `reply_to` for the request with this ctid.
    pub fn for_ctid(&self, ctid: &str) -> String {
        format!("{}+{}@{}", self.local, self.token(ctid), self.domain)
    }

    /// Whether `address` is the reply address we issued for `ctid`.
    pub fn verify(&self, address: &str, ctid: &str) -> bool {
        let Some((local, domain)) = address.trim().rsplit_once('@') else {
            return false;
        };
        let Some((base, token)) = local.split_once('+') else {
            return false;
        };
        if !base.eq_ignore_ascii_case(&self.local) || !domain.eq_ignore_ascii_case(&self.domain) {
            return false;
        }
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(ctid.as_bytes());
        // verify_truncated_left compares in constant time.
        token.len() == TOKEN_HEX
            && hex::decode(token.to_ascii_lowercase())
                .is_ok_and(|bytes| mac.verify_truncated_left(&bytes).is_ok())
    }

    fn token(&self, ctid: &str) -> String {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(ctid.as_bytes());
        let full = hex::encode(mac.finalize().into_bytes());
        full[..TOKEN_HEX].to_owned()
    }
}

/// A sub-key for one purpose, so one configured secret serves several.
pub(crate) fn derive(secret: &[u8], label: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(label);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> ReplyAddress {
        ReplyAddress::new("internetx@inbound.example.net", b"0123456789abcdef-secret").unwrap()
    }

    #[test]
    fn issues_and_verifies_tokens_per_ctid() {
        let a = addr();
        let reply = a.for_ctid("ib-1");
        assert!(reply.starts_with("internetx+"));
        assert!(reply.ends_with("@inbound.example.net"));
        assert!(a.verify(&reply, "ib-1"));
        assert!(a.verify(&reply.to_uppercase(), "ib-1"));
        assert!(!a.verify(&reply, "ib-2"));
        assert!(!a.verify("internetx@inbound.example.net", "ib-1"));
        let other =
            ReplyAddress::new("internetx@inbound.example.net", b"another-secret-of-16").unwrap();
        assert!(!a.verify(&other.for_ctid("ib-1"), "ib-1"));
    }

    #[test]
    fn refuses_bad_configuration() {
        assert!(ReplyAddress::new("no-at-sign", b"0123456789abcdef").is_err());
        assert!(ReplyAddress::new("a+b@x.net", b"0123456789abcdef").is_err());
        assert!(ReplyAddress::new("a@x.net", b"short").is_err());
    }
}
