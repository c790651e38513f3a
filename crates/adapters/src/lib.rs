//! AWS adapters of the InterNetX bridge: the DynamoDB domain store,
//! configuration (environment variables and secrets, read once at cold
//! start) and logging setup shared by the functions.

pub mod bridge;
pub mod config;
pub mod dynamo;
pub mod limiter;
pub mod mailbox;
pub mod notices;
pub mod queue;
pub mod ses;
pub mod telemetry;

pub use bridge::{bridge, Bridge};
pub use config::{Config, ConfigError, MailConfig, StatusMailConfig};
pub use dynamo::DynamoStore;
