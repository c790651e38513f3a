//! `retry`: an `Error` domain's last operation sent again with a new ctid,
//! only when InterNetX cannot already have it.

use adapters::wiring::GatewayRegistrar;
use registrar::report::ItemReport;
use registrar::workflows::reconcile::{domain_info, Presence};
use registrar::workflows::retry::Absence;
use registrar::DomainName;

use crate::context::Context;
use crate::error::CliError;
use crate::operator::item_line;

#[derive(clap::Args)]
pub struct Args {
    domain: String,
    #[arg(long)]
    force: bool,
    /// With --force: InterNetX's job list shows no job for the last ctid.
    #[arg(long, requires = "force")]
    no_job: bool,
}

pub async fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let name = DomainName::parse(&args.domain)?;
    let app = ctx.gateway_app(true).await?;
    let (checked, report) = retry(&app, &name, args.force, args.no_job).await?;
    if let Some(checked) = checked {
        println!("{checked}");
    }
    println!("{}", item_line(&name, &report));
    Ok(())
}

/// The retry as the CLI and the console make it: with `force`, InterNetX's
/// domain info is asked first and the retry goes only if it does not list
/// the domain (what it said is the first value). A refusal is an error
/// with its reason.
pub async fn retry(
    app: &GatewayRegistrar,
    name: &DomainName,
    force: bool,
    no_job: bool,
) -> Result<(Option<String>, ItemReport), CliError> {
    let mut checked = None;
    if force {
        let presence = domain_info(&app.gateway, name.ascii())
            .await
            .map_err(|e| format!("asking InterNetX about {name}: {e}"))?;
        match presence {
            Presence::Listed(_) => {
                return Err(format!(
                    "InterNetX lists {name} (domain info S0105): do not retry; resolve it as Registered instead"
                )
                .into())
            }
            Presence::Unclear(answer) => {
                return Err(format!(
                    "InterNetX's domain info for {name} is inconclusive ({answer}): not retried"
                )
                .into())
            }
            Presence::Absent => {
                checked = Some(format!("InterNetX does not list {name} (E0105); retrying"))
            }
        }
    }
    let absence = match (force, no_job) {
        (true, true) => Absence::NoJobConfirmed,
        (true, false) => Absence::Checked,
        _ => Absence::Unchecked,
    };
    let report = app.retry(name, absence).await??;
    Ok((checked, report))
}
