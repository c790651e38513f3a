//! `transfer-out`: the operator's answer to an outgoing transfer.

use adapters::wiring::GatewayRegistrar;
use internetx::TransferOutAnswer;
use registrar::log::timestamp;
use registrar::DomainName;
use time::OffsetDateTime;

use crate::context::Context;
use crate::error::CliError;
use crate::operator::{item_line, transfer_out_answer};

#[derive(clap::Args)]
pub struct Args {
    domain: String,
    /// `ack` or `nack`.
    answer: String,
    #[arg(long)]
    reason: Option<String>,
}

pub async fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let name = DomainName::parse(&args.domain)?;
    let answer = transfer_out_answer(&args.answer, args.reason).map_err(CliError::Usage)?;
    let app = ctx.gateway_app(false).await?;
    println!("{}", answer_transfer_out(&app, &name, answer).await?);
    Ok(())
}

/// The answer as the CLI and the console send it, through the change
/// cycle; its one-line outcome, or an error when it was not sent.
pub async fn answer_transfer_out(
    app: &GatewayRegistrar,
    name: &DomainName,
    answer: TransferOutAnswer,
) -> Result<String, CliError> {
    let request_id = format!(
        "cli-transfer-out-{}:{}:{}",
        answer.as_xml(),
        name.ascii(),
        timestamp(OffsetDateTime::now_utc())
    );
    let report = app
        .answer_transfer_out(name.ascii(), answer, request_id)
        .await;
    let item = report.items.first().ok_or("nothing was done")?;
    let line = item_line(name, item);
    if item.outcome.is_failure() || item.ctid.is_none() {
        return Err(CliError::Failed(line));
    }
    Ok(line)
}
