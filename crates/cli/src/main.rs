//! `internetx-bridge`: the operator's view of the domain table.
//!
//! Works against the real table (AWS credentials and `AWS_ENDPOINT_URL` as
//! usual; `--table` or `DOMAIN_TABLE`). Each command is a module of
//! [`commands`]; errors are one line on stderr and a non-zero exit.

mod commands;
mod context;
mod error;
mod operator;
mod progress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use commands::*;
use context::Context;
use error::CliError;

#[derive(Parser)]
#[command(
    name = "internetx-bridge",
    about = "Operate the InterNetX bridge's domain table"
)]
struct Cli {
    /// The domain table.
    #[arg(long, env = "DOMAIN_TABLE", global = true)]
    table: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List domains: status, registered tick, operation, last change, last error.
    Domains(domains::Args),
    /// One domain and its action log in time order.
    Show(show::Args),
    /// Re-submit an Error domain's last operation with a new ctid. Refused
    /// when InterNetX may already have the domain, unless --force: then
    /// InterNetX is asked first (domain info) and the retry goes only if it
    /// does not list the domain. An operation whose outcome is unknown (its
    /// answer lost, given up) goes again only with --force --no-job: you
    /// checked InterNetX's job list and it has no job for the last ctid
    /// (domain info does not list a transfer that still runs). Needs the
    /// gateway's configuration (as the domain-events function: INTERNETX_*,
    /// REPLY_*).
    Retry(retry::Args),
    /// Answer an outgoing transfer another registrar asked for: `ack` lets
    /// the domain go, `nack` refuses it (with --reason, the nack_reason:
    /// 1 fraud, 2 udrp, 3 court-order, 4 identity-dispute, 5 non-payment,
    /// 6 written-objection — the number or the name).
    /// Sent only while the domain is Registered with nothing in flight;
    /// needs the gateway's configuration (as `retry`).
    TransferOut(transfer_out::Args),
    /// Inspect or re-drive the dead-letter queue's events.
    Dlq(dlq::Args),
    /// Settle a domain by hand, with a log entry naming who and why.
    Resolve(resolve::Args),
    /// Run the protocol audit's open questions against InterNetX's demo
    /// system and write every exchange (password removed) as a fixture
    /// file. Registers and cancels throw-away domains: refuses the live
    /// gateway. The password comes from INTERNETX_PASSWORD only.
    Probe(probe::ProbeArgs),
    /// Compare the table with the InterNetX account (as the scheduled sync
    /// function does): dates, drift, domains gone. Runs until a sweep is
    /// complete, or `--runs` runs.
    Sync(sync::Args),
    /// Adopt the domains the InterNetX account holds and the table does not
    /// know, under one account. Dry run unless --apply.
    Import(import::Args),
    /// Seal every kept auth code again under the current sealing key, so
    /// an older key (the reply-token secret of a stack deployed before the
    /// sealing key) can be dropped. Dry run unless --apply.
    Reseal(reseal::Args),
    /// Check a deployed stack before the first order: configuration and
    /// secrets, the InterNetX login, the reply domain in SES, the active
    /// receipt rule set, the MX record, the bucket notification, empty
    /// dead-letter queues. One line each, with the fix; changes nothing.
    Doctor(doctor::DoctorArgs),
    /// The domain manager's screens in a browser, on loopback
    /// (http://127.0.0.1:8765/): the domain list, each domain with its
    /// action log, and `retry` behind a confirmation; `--read-only` shows
    /// no action. With the operator's credentials, as every command.
    Console(console::Args),
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("internetx-bridge: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        // The probe talks to InterNetX's demo system alone: no table, no AWS.
        Command::Probe(args) => Ok(probe::command(args).await?),
        command => with_table(Context::load(cli.table).await, command).await,
    }
}

async fn with_table(ctx: Context, command: Command) -> Result<(), CliError> {
    ctx.table()?;
    match command {
        Command::Domains(args) => domains::run(&ctx, args).await,
        Command::Show(args) => show::run(&ctx, args).await,
        Command::Retry(args) => retry::run(&ctx, args).await,
        Command::TransferOut(args) => transfer_out::run(&ctx, args).await,
        Command::Dlq(args) => dlq::run(&ctx, args).await,
        Command::Resolve(args) => resolve::run(&ctx, args).await,
        Command::Sync(args) => sync::run(&ctx, args).await,
        Command::Import(args) => import::run(&ctx, args).await,
        Command::Reseal(args) => reseal::run(&ctx, args).await,
        Command::Doctor(args) => Ok(doctor::command(&ctx.aws, ctx.table()?, args).await?),
        Command::Probe(args) => Ok(probe::command(args).await?),
        Command::Console(args) => console::run(ctx, args).await,
    }
}
