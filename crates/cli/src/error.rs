//! What a command fails with: one line on stderr and a non-zero exit, the
//! cause kept typed until it is printed.

use registrar::ports::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The arguments or the environment do not say enough.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Config(#[from] adapters::config::ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The bridge declined, with its reason: a guard, not a fault.
    #[error(transparent)]
    Refused(#[from] registrar::workflows::retry::Refused),
    #[error(transparent)]
    DomainName(#[from] registrar::domain_name::DomainNameError),
    /// Anything else a command reports as one line.
    #[error("{0}")]
    Failed(String),
}

impl From<String> for CliError {
    fn from(line: String) -> Self {
        CliError::Failed(line)
    }
}

impl From<&str> for CliError {
    fn from(line: &str) -> Self {
        CliError::Failed(line.to_owned())
    }
}
