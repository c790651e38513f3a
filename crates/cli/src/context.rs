//! What every command may need, built only when it asks: the AWS
//! configuration, the domain table, and the registrar as the gateway
//! functions have it.

use adapters::wiring::GatewayRegistrar;
use adapters::DynamoStore;
use aws_config::SdkConfig;

use crate::error::CliError;

pub struct Context {
    pub aws: SdkConfig,
    table: Option<String>,
}

impl Context {
    pub async fn load(table: Option<String>) -> Self {
        Self {
            aws: adapters::aws::load().await,
            table,
        }
    }

    pub fn table(&self) -> Result<&str, CliError> {
        self.table
            .as_deref()
            .ok_or_else(|| CliError::Usage("no table: pass --table or set DOMAIN_TABLE".into()))
    }

    pub fn store(&self) -> Result<DynamoStore, CliError> {
        Ok(adapters::wiring::operator_store(self.table()?, &self.aws))
    }

    /// The registrar as the gateway functions have it; `seals` for a
    /// command that may seal an auth code (`retry`, `dlq replay`), which
    /// then needs the sealing key (`SEALING_SECRET` or
    /// `SEALING_SECRET_SECRET`).
    pub async fn gateway_app(&self, seals: bool) -> Result<GatewayRegistrar, CliError> {
        let config = adapters::Config::from_env(&adapters::config::ProcessEnv, &self.aws).await?;
        if seals {
            config.require_sealing().map_err(|e| {
                CliError::Usage(format!(
                    "{e}: this command may seal an auth code, and only under the sealing key"
                ))
            })?;
        }
        Ok(adapters::wiring::registrar(
            &config,
            &self.aws,
            &adapters::metrics::Metrics::off(),
            registrar::state_event::Cause::Operator,
        )?)
    }
}
