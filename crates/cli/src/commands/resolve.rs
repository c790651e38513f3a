//! `resolve`: a domain settled by hand, logged with who and why.

use registrar::lifecycle::{Lifecycle, NoticePolicy};
use registrar::ports::SystemClock;
use registrar::{DomainName, Status};

use adapters::DynamoStore;

use crate::context::Context;
use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    domain: String,
    /// Registered, Error or Cancelled.
    #[arg(long = "as")]
    target: String,
    #[arg(long)]
    reason: String,
    /// Who settles it (default: $USER).
    #[arg(long, env = "USER", default_value = "operator")]
    operator: String,
}

pub async fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let name = DomainName::parse(&args.domain)?;
    let target: Status = args
        .target
        .parse()
        .map_err(|e: registrar::status::UnknownName| CliError::Usage(e.to_string()))?;
    let before = resolve(&ctx.store()?, &name, target, &args.operator, &args.reason).await?;
    println!(
        "{name}: {before} → {target} (logged as operator.resolved by {})",
        args.operator
    );
    Ok(())
}

/// The settlement as the CLI and the console make it; the status the
/// domain had. A refusal is an error with its reason.
pub async fn resolve(
    store: &DynamoStore,
    name: &DomainName,
    target: Status,
    operator: &str,
    reason: &str,
) -> Result<Status, CliError> {
    let lifecycle = Lifecycle {
        store,
        clock: &SystemClock,
        // A hand-made settlement owes the customer the same status mail.
        notices: NoticePolicy {
            enabled: adapters::config::status_mails(&adapters::config::ProcessEnv)?,
        },
        cause: registrar::state_event::Cause::Operator,
    };
    Ok(registrar::workflows::retry::resolve(&lifecycle, name, target, operator, reason).await??)
}
