//! The composition root: one builder per deployable (each function and the
//! CLI), the only place where configuration becomes clients, stores and
//! workflows. Each runs once, at cold start.

use std::sync::Arc;

use aws_config::SdkConfig;
use internetx::client::ClientConfig;
use internetx::{Credentials, Envelope, GatewayClient};
use registrar::lifecycle::NoticePolicy;
use registrar::ports::SystemClock;
use registrar::reply_address::ReplyAddress;
use registrar::seal::Sealer;
use registrar::state_event::Cause;
use registrar::workflows::inbound_mail::{Inbound, InboundConfig};
use registrar::workflows::publish_events::Publisher;
use registrar::workflows::status_mails::Notifier;
use registrar::Registrar;

use crate::bus::EventBridgeBus;
use crate::dynamo::rate_limit::SharedRateLimit;
use crate::mailbox::Mailbox;
use crate::metrics::{Metered, MeteredThrottle, Metrics};
use crate::queue::SqsItemQueue;
use crate::ses::SesMailer;
use crate::{Config, ConfigError, DynamoStore, MailConfig, PublishConfig, StatusMailConfig};

/// The workflows that talk to InterNetX, on DynamoDB and the real gateway
/// (every request measured).
pub type GatewayRegistrar = Registrar<DynamoStore, Metered<GatewayClient>, SystemClock>;

/// `domain-events`: the registrar and, for large orders, the item queue.
pub struct DomainEvents {
    pub registrar: GatewayRegistrar,
    pub queue: Option<SqsItemQueue>,
}

/// `inbound-mail`: the mail workflow and where the mails are.
pub struct InboundMail<S = DynamoStore, C = SystemClock, M = Mailbox> {
    pub inbound: Inbound<S, C>,
    pub mailbox: M,
    /// The mail bucket and the prefix the receipt rule writes under: mails
    /// anywhere else are not read.
    pub bucket: String,
    pub prefix: String,
}

/// `status-mails`.
pub type StatusMails = Notifier<DynamoStore, SesMailer, SystemClock>;

/// The registrar as `domain-events`, `order-items`, `reconcile`, `sync` and
/// the CLI's `retry`, `sync`, `import` and `dlq replay` run it; `metrics`
/// receives each gateway request and each wait for the rate limit; `cause`
/// names who runs it in the storefront events its changes owe.
pub fn registrar(
    config: &Config,
    aws: &SdkConfig,
    metrics: &Metrics,
    cause: Cause,
) -> Result<GatewayRegistrar, ConfigError> {
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
    Ok(Registrar {
        store: DynamoStore::new(dynamo, &config.domain_table),
        gateway: Metered {
            inner: GatewayClient::new(client_config, envelope)
                .map_err(|e| ConfigError::Invalid {
                    name: "INTERNETX_URL",
                    problem: internetx::error_chain(&e),
                })?
                .with_throttle(Arc::new(MeteredThrottle {
                    inner: Arc::new(shared_limit),
                    metrics: metrics.clone(),
                })),
            metrics: metrics.clone(),
        },
        clock: SystemClock,
        reply: reply_address(&config.reply_to_address, secret)?,
        sealer: match &config.sealing_secret {
            Some(sealing) => Sealer::new(sealing.expose().as_bytes()).also_opening(secret),
            // Only a process that never seals gets here (`sync`; the
            // others refuse to start: `Config::require_sealing`).
            None => Sealer::new(secret),
        },
        notices: NoticePolicy {
            enabled: config.status_mails,
        },
        defaults: config.defaults.clone(),
        payment_window: config.payment_window,
        cause,
    })
}

pub fn domain_events(
    config: &Config,
    aws: &SdkConfig,
    metrics: &Metrics,
) -> Result<DomainEvents, ConfigError> {
    Ok(DomainEvents {
        registrar: registrar(config, aws, metrics, Cause::Event)?,
        queue: config
            .item_queue_url
            .as_ref()
            .map(|url| SqsItemQueue::new(aws_sdk_sqs::Client::new(aws), url)),
    })
}

pub fn inbound_mail(config: &MailConfig, aws: &SdkConfig) -> Result<InboundMail, ConfigError> {
    let secret = config.reply_token_secret.expose().as_bytes();
    Ok(InboundMail {
        inbound: Inbound {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.domain_table),
            clock: SystemClock,
            reply: reply_address(&config.reply_to_address, secret)?,
            config: InboundConfig {
                max_bytes: config.max_mail_bytes,
                allowed_senders: config.allowed_senders.clone(),
            },
            notices: NoticePolicy {
                enabled: config.status_mails,
            },
        },
        mailbox: Mailbox::new(s3_client(aws, config.s3_force_path_style)),
        bucket: config.mail_bucket.clone(),
        prefix: config.inbound_prefix.clone(),
    })
}

/// S3, by path for S3-compatible endpoints that serve buckets that way.
pub fn s3_client(aws: &SdkConfig, force_path_style: bool) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(aws)
            .force_path_style(force_path_style)
            .build(),
    )
}

pub fn status_mails(
    config: &StatusMailConfig,
    aws: &SdkConfig,
    sealer: Option<registrar::seal::Sealer>,
) -> StatusMails {
    Notifier {
        queue: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.domain_table),
        mailer: SesMailer::new(aws, &config.from, config.configuration_set.clone()),
        clock: SystemClock,
        max_attempts: config.max_attempts,
        stale_after: config.stale_after,
        sealer,
    }
}

/// The CLI's table-only commands: the store and the life cycle's notice
/// policy (a hand-made settlement owes the same status mail).
pub fn operator_store(table: &str, aws: &SdkConfig) -> DynamoStore {
    DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), table)
}

fn reply_address(address: &str, secret: &[u8]) -> Result<ReplyAddress, ConfigError> {
    ReplyAddress::new(address, secret).map_err(|e| ConfigError::Invalid {
        name: "REPLY_TO_ADDRESS",
        problem: e.to_string(),
    })
}

/// `publish-events`: the storefront events the outbox holds, onto the bus.
pub type PublishEvents = Publisher<DynamoStore, EventBridgeBus, SystemClock>;

pub fn publish_events(config: &PublishConfig, aws: &SdkConfig) -> PublishEvents {
    Publisher {
        outbox: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.domain_table),
        bus: EventBridgeBus::new(aws_sdk_eventbridge::Client::new(aws), &config.event_bus),
        clock: SystemClock,
    }
}
