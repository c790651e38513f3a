//! `show`: one domain and its action log in time order.

use registrar::log::timestamp;
use registrar::ports::DomainStore;
use registrar::text::printable;
use registrar::{DomainName, DomainRecord, LogEntry};
use serde_json::json;

use crate::context::Context;
use crate::error::CliError;
use crate::operator::{domain_json, log_json, print_portfolio};

#[derive(clap::Args)]
pub struct Args {
    domain: String,
    #[arg(long)]
    json: bool,
}

pub async fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let name = DomainName::parse(&args.domain)?;
    let store = ctx.store()?;
    let record = store
        .load(name.ascii())
        .await?
        .ok_or_else(|| CliError::Failed(format!("{name} is not in the domain table")))?;
    let log = store.log(name.ascii()).await?;
    if args.json {
        let entries: Vec<_> = log.iter().map(log_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"domain": domain_json(&record), "log": entries}))
                .unwrap_or_default()
        );
    } else {
        print_record(&record);
        print_log(&log);
    }
    Ok(())
}

fn print_record(record: &DomainRecord) {
    println!("{} ({})", record.domain_unicode, record.domain);
    println!(
        "  status      {}{}",
        record.status(),
        if record.registered() {
            " ✓ registered"
        } else {
            ""
        }
    );
    println!("  operation   {}", record.operation);
    println!(
        "  account     {} ({})",
        record.account_id,
        record.account_kind.as_str()
    );
    if let Some(order) = &record.order_id {
        println!("  order       {order}");
    }
    if let Some(ctid) = &record.ctid() {
        println!(
            "  in flight   ctid {ctid} since {}",
            record.operation_started_at.as_deref().unwrap_or("?")
        );
    }
    if let Some(error) = &record.last_error {
        println!("  last error  {}", printable(error, 2_000));
    }
    if !record.nameservers.is_empty() {
        println!("  nameservers {}", record.nameservers.join(", "));
    }
    print_portfolio(&record.portfolio);
}

fn print_log(log: &[LogEntry]) {
    println!("\n  action log");
    for e in log {
        println!(
            "  {}  {:<24} {:<7} {}{}",
            timestamp(e.at),
            e.action,
            e.outcome,
            // Stored text may come from outside: no escape sequence
            // reaches the operator's terminal.
            printable(&e.message, 2_000),
            e.code
                .as_deref()
                .map(|code| format!("  [{}]", printable(code, 60)))
                .unwrap_or_default()
        );
    }
}
