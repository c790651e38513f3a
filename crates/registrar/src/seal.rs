//! Sealing secrets (auth codes) that must wait in the table for a payment.
//!
//! AES-256-GCM under a key derived from the configured secret; the stored
//! form is `v1:<base64(nonce | ciphertext)>`, never the auth code itself.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sealed value cannot be opened (wrong key or damaged)")]
pub struct UnsealError;

impl Sealer {
    pub fn new(secret: &[u8]) -> Self {
        let key = crate::reply_address::derive(secret, b"internetx-bridge seal v1");
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)),
        }
    }

    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("AES-GCM encryption of a short text cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("v1:{}", STANDARD.encode(bytes))
    }

    pub fn open(&self, sealed: &str) -> Result<String, UnsealError> {
        let bytes = sealed
            .strip_prefix("v1:")
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > 12)
            .ok_or(UnsealError)?;
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| UnsealError)?;
        String::from_utf8(plain).map_err(|_| UnsealError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_without_showing_the_secret() {
        let s = Sealer::new(b"0123456789abcdef-secret");
        let sealed = s.seal("X7#k2<&>");
        assert!(!sealed.contains("X7#k2"));
        assert_eq!(s.open(&sealed).unwrap(), "X7#k2<&>");
        assert_ne!(sealed, s.seal("X7#k2<&>"), "nonce must differ");
        assert!(Sealer::new(b"another-secret-16b").open(&sealed).is_err());
        assert!(s.open("v1:AAAA").is_err());
        assert!(s.open("garbage").is_err());
    }
}
