//! The registrar's workflows wired to DynamoDB and the InterNetX gateway, as
//! `domain-events`, `reconcile` and the operator CLI all run them.

use aws_config::SdkConfig;
use internetx::client::ClientConfig;
use internetx::{Credentials, Envelope, GatewayClient};
use registrar::ports::SystemClock;
use registrar::reply::ReplyAddress;
use registrar::seal::Sealer;
use registrar::submit::Submitter;

use std::sync::Arc;

use crate::limiter::SharedRateLimit;
use crate::{Config, ConfigError, DynamoStore};

pub type Bridge = Submitter<DynamoStore, GatewayClient, SystemClock>;

/// Builds the clients once, at cold start.
pub fn bridge(config: &Config, aws: &SdkConfig) -> Result<Bridge, ConfigError> {
    let envelope = Envelope::new(Credentials {
        user: config.internetx_user.clone(),
        password: config.internetx_password.clone(),
        context: config.internetx_context.clone(),
    });
    let client_config = ClientConfig {
        url: config.internetx_url.clone(),
        connect_timeout: config.gateway_connect_timeout,
        timeout: config.gateway_timeout,
        max_requests_per_second: config.gateway_rate,
        ..ClientConfig::new(config.internetx_url.clone())
    };
    let secret = config.reply_token_secret.expose().as_bytes();
    let dynamo = aws_sdk_dynamodb::Client::new(aws);
    // The gateway counts per source IP: every instance of every function
    // shares one limit.
    let shared_limit =
        SharedRateLimit::new(dynamo.clone(), &config.domain_table, config.gateway_rate);
    Ok(Submitter {
        store: DynamoStore::new(dynamo, &config.domain_table)
            .with_status_notices(config.status_mails),
        gateway: GatewayClient::new(client_config, envelope)
            .map_err(|e| ConfigError::Invalid {
                name: "INTERNETX_URL",
                problem: internetx::error_chain(&e),
            })?
            .with_throttle(Arc::new(shared_limit)),
        clock: SystemClock,
        reply: ReplyAddress::new(&config.reply_to_address, secret).map_err(|e| {
            ConfigError::Invalid {
                name: "REPLY_TO_ADDRESS",
                problem: e.to_string(),
            }
        })?,
        sealer: Sealer::new(secret),
    })
}
