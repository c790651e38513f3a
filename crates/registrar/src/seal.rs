//! Sealing secrets (auth codes) that must wait in the table for a payment,
//! travel in the item queue, or stay for a retry.
//!
//! AES-256-GCM under a key derived from the sealing secret (`SEALING_SECRET`,
//! separate from the reply-token secret, so the internet-facing mail function
//! holds no key that opens auth codes). The stored form is
//! `v2:<key id>:<base64(nonce | ciphertext)>`, never the auth code itself; the
//! key id names the key, so a rotated secret keeps opening what the previous
//! one sealed (`v1:` values, sealed before key ids, are tried with every key).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

#[derive(Clone)]
pub struct Sealer {
    /// The key that seals, then the ones that only open, each with its id.
    keys: Vec<(String, Aes256Gcm)>,
    /// The signing keys, in the same order (same secrets, another label).
    signing: Vec<(String, Vec<u8>)>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sealed value cannot be opened (wrong key or damaged)")]
pub struct UnsealError;

fn signing_key(secret: &[u8]) -> Vec<u8> {
    crate::reply_address::derive(secret, b"internetx-bridge queue signature v1")
}

fn key(secret: &[u8]) -> (String, Aes256Gcm) {
    let key = crate::reply_address::derive(secret, b"internetx-bridge seal v1");
    let id = hex::encode(&crate::reply_address::derive(&key, b"internetx-bridge key id")[..4]);
    (id, Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key)))
}

impl Sealer {
    /// Seals under `secret`.
    pub fn new(secret: &[u8]) -> Self {
        let sealing = key(secret);
        Self {
            signing: vec![(sealing.0.clone(), signing_key(secret))],
            keys: vec![sealing],
        }
    }

    /// Also opens what `secret` sealed (a previous secret, after rotation).
    pub fn also_opening(mut self, secret: &[u8]) -> Self {
        let previous = key(secret);
        if self.keys.iter().all(|(id, _)| *id != previous.0) {
            self.signing.push((previous.0.clone(), signing_key(secret)));
            self.keys.push(previous);
        }
        self
    }

    /// `<key id>:<HMAC-SHA256>` of `data` under the sealing key: what the
    /// item queue's messages carry, so that only a process holding the key
    /// (`domain-events`) can put an order item there (security review N4).
    pub fn sign(&self, data: &[u8]) -> String {
        let (id, key) = &self.signing[0];
        format!(
            "{id}:{}",
            hex::encode(crate::reply_address::derive(key, data))
        )
    }

    /// Whether `signature` is [`Sealer::sign`]'s of `data` under a key this
    /// sealer holds (the sealing key or one that only opens).
    pub fn verify(&self, data: &[u8], signature: &str) -> bool {
        use hmac::Mac;
        let Some((id, mac)) = signature.split_once(':') else {
            return false;
        };
        let Ok(mac) = hex::decode(mac) else {
            return false;
        };
        self.signing
            .iter()
            .filter(|(k, _)| k == id)
            .any(|(_, key)| {
                let mut check = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
                    .expect("HMAC takes any key length");
                check.update(data);
                check.verify_slice(&mac).is_ok()
            })
    }

    /// The id of the key that seals.
    pub fn key_id(&self) -> &str {
        &self.keys[0].0
    }

    pub fn seal(&self, plain: &str) -> String {
        let (id, cipher) = &self.keys[0];
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("AES-GCM encryption of a short text cannot fail");
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("v2:{id}:{}", STANDARD.encode(bytes))
    }

    pub fn open(&self, sealed: &str) -> Result<String, UnsealError> {
        let (candidates, body): (Vec<&Aes256Gcm>, &str) =
            if let Some(rest) = sealed.strip_prefix("v2:") {
                let (id, body) = rest.split_once(':').ok_or(UnsealError)?;
                let key = self
                    .keys
                    .iter()
                    .find(|(k, _)| k == id)
                    .map(|(_, c)| c)
                    .ok_or(UnsealError)?;
                (vec![key], body)
            } else if let Some(body) = sealed.strip_prefix("v1:") {
                (self.keys.iter().map(|(_, c)| c).collect(), body)
            } else {
                return Err(UnsealError);
            };
        let bytes = STANDARD
            .decode(body)
            .ok()
            .filter(|b| b.len() > 12)
            .ok_or(UnsealError)?;
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = candidates
            .into_iter()
            .find_map(|cipher| cipher.decrypt(Nonce::from_slice(nonce), ciphertext).ok())
            .ok_or(UnsealError)?;
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
        assert!(sealed.starts_with(&format!("v2:{}:", s.key_id())));
    }

    #[test]
    fn a_rotated_secret_still_opens_what_the_previous_one_sealed() {
        let old = Sealer::new(b"the-reply-token-secret-16");
        let sealed_before = old.seal("Auth-1");
        let new =
            Sealer::new(b"a-separate-sealing-secret").also_opening(b"the-reply-token-secret-16");
        assert_ne!(new.key_id(), old.key_id());
        assert_eq!(new.open(&sealed_before).unwrap(), "Auth-1");
        let sealed_now = new.seal("Auth-2");
        assert!(sealed_now.starts_with(&format!("v2:{}:", new.key_id())));
        assert!(
            old.open(&sealed_now).is_err(),
            "the old key cannot open new values"
        );
        // A value sealed before key ids existed.
        let body = sealed_before.splitn(3, ':').nth(2).unwrap();
        assert_eq!(new.open(&format!("v1:{body}")).unwrap(), "Auth-1");
    }
}
