//! Where every reqwest client of the workspace starts (the gateway client,
//! the signed AWS calls, the simulator's and the tests' own): reqwest is
//! built without a TLS crypto provider of its own (`rustls-no-provider`, see
//! the workspace's Cargo.toml), and one it has not been given makes it panic
//! when a client is built.

use std::sync::Once;

/// A reqwest client builder whose TLS runs on ring, the provider the AWS
/// SDK's HTTPS client is given too (`adapters::aws`), installed as the
/// process's rustls default once.
pub fn client_builder() -> reqwest::ClientBuilder {
    static RING: Once = Once::new();
    RING.call_once(|| {
        // An error means a provider is installed already; this workspace
        // compiles no other, so that one is ring too.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    reqwest::Client::builder()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_client_builds_with_ring_as_the_provider() {
        assert!(super::client_builder().build().is_ok());
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }
}
