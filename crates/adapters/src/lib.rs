//! AWS adapters of the InterNetX bridge: the DynamoDB domain store,
//! configuration (environment variables and secrets, read once at cold
//! start) and logging setup shared by the functions.

pub mod config;
pub mod dynamo;
pub mod mailbox;
pub mod telemetry;

pub use config::{Config, ConfigError, MailConfig};
pub use dynamo::DynamoStore;
