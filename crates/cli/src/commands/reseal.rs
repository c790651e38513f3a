//! `reseal`: every kept auth code sealed again under the current key.

use crate::context::Context;
use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    apply: bool,
}

pub async fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let report = ctx.gateway_app(true).await?.reseal(args.apply).await?;
    let verb = if args.apply {
        "sealed again"
    } else {
        "to seal again (dry run; --apply writes)"
    };
    for domain in &report.resealed {
        println!("{domain}");
    }
    println!(
        "{} kept auth code(s), {} {verb}, {} under a key this configuration does not hold",
        report.checked,
        report.resealed.len(),
        report.unopenable.len()
    );
    for domain in &report.unopenable {
        println!("  not opened: {domain}");
    }
    Ok(())
}
