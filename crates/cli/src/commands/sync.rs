//! `sync`: the table compared with the InterNetX account, as the
//! scheduled sync function does it, until a sweep is complete.

use registrar::deadline::Deadline;
use registrar::workflows::sync::SyncPolicy;

use crate::context::Context;
use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    /// Runs at most (each: registry events' checks, then list pages).
    #[arg(long, default_value_t = 1_000)]
    runs: usize,
    /// Domain-list pages per run.
    #[arg(long, default_value_t = 10)]
    pages: usize,
    /// Domains per list page.
    #[arg(long, default_value_t = 100)]
    page: u64,
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let app = ctx.gateway_app(false).await?;
    // Reported outgoing transfers are answered as the deployed sync
    // function would (TRANSFER_OUT_POLICY, from its environment).
    let policy = SyncPolicy {
        page: args.page,
        pages_per_run: args.pages,
        checks_per_run: 20,
        transfer_out: adapters::config::transfer_out_policy(&adapters::config::ProcessEnv)?,
    };
    let mut runs = Vec::new();
    let mut progress = crate::progress::Progress::new("sync");
    let mut listed = 0;
    for run in 1..=args.runs {
        progress.update(listed, None, &format!("domains listed, run {run}"));
        let report = app.sync(policy.clone(), Deadline::none()).await?;
        listed += report.listed as u64;
        progress.clear();
        if !args.json {
            println!(
                "run {run}: {} request(s), {} listed, {} recorded, {} not in the table, {} drift, {} gone, {} event check(s), {} owner verification(s){}",
                report.requests,
                report.listed,
                report.recorded,
                report.unknown,
                report.drift,
                report.gone,
                report.hints,
                report.verifications,
                if report.sweep_completed { "; sweep complete" } else { "" }
            );
            if report.will_lapse > 0 {
                println!(
                    "  {} registered domain(s) InterNetX will let lapse at expiry (autorenew off, not cancelled): internetx-bridge domains --drift",
                    report.will_lapse
                );
            }
            for item in &report.transfers_out {
                println!(
                    "  outgoing transfer of {}: {}{}",
                    item.domain.as_deref().unwrap_or("?"),
                    item.outcome.as_str(),
                    item.reason
                        .as_deref()
                        .map(|r| format!(": {}", registrar::text::printable(r, 300)))
                        .unwrap_or_default()
                );
            }
            for problem in &report.problems {
                println!("  {}", registrar::text::printable(problem, 500));
            }
        }
        let done = report.sweep_completed || !report.problems.is_empty();
        runs.push(report);
        if done {
            break;
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&runs).unwrap_or_default()
        );
    }
    Ok(())
}
