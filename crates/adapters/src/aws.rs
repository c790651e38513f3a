//! The AWS SDK's configuration as every deployable loads it. The SDK crates
//! are built without their default HTTPS client (aws-lc, see the
//! workspace's Cargo.toml), so the client is named here: the SDK's own
//! hyper and rustls client on ring.

use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The SDK's HTTPS client (connection pool, trust store, timeouts as the
/// SDK sets them) with rustls on ring.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// `aws_config::defaults` (environment, profile, container and instance
/// credentials, region) with [`https_client`].
pub fn defaults() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(https_client())
}

/// What `aws_config::load_defaults` loads, with [`https_client`].
pub async fn load() -> SdkConfig {
    defaults().load().await
}
