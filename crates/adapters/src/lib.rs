//! AWS adapters of the InterNetX bridge: the DynamoDB domain table (store,
//! status-mail queue, shared gateway rate limit, operator reads), the S3
//! mailbox, SES for status mails, SQS for the item queue, EventBridge for
//! the storefront's events, configuration
//! (environment variables and secrets, read once at cold start), logging,
//! metrics,
//! and [`wiring`], the one composition root.

pub mod aws;
pub mod bus;
pub mod config;
pub mod dynamo;
pub mod failure;
pub mod mailbox;
pub mod metrics;
pub mod queue;
pub mod ses;
pub mod signed;
pub mod ssm;
pub mod telemetry;
pub mod wiring;

pub use config::{Config, ConfigError, MailConfig, PublishConfig, StatusMailConfig};
pub use dynamo::{DomainFilter, DynamoStore};
