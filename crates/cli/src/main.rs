//! `internetx-bridge`: the operator's view of the domain table.
//!
//! Works against the real table (AWS credentials and `AWS_ENDPOINT_URL` as
//! usual; `--table` or `DOMAIN_TABLE`). Errors are one line on stderr and a
//! non-zero exit.

mod operator;

use std::process::ExitCode;

use adapters::dynamo::record_from_item;
use adapters::DynamoStore;
use aws_sdk_dynamodb::types::AttributeValue;
use clap::{Parser, Subcommand};
use registrar::ports::DomainStore;
use registrar::record::{timestamp, DomainRecord};
use registrar::{DomainName, Status};
use serde_json::json;
use time::OffsetDateTime;

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
    Domains {
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        account: Option<String>,
        /// Only operations in flight for longer than this (`6h`, `30m`, `2d`).
        #[arg(long)]
        pending_longer_than: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One domain and its action log in time order.
    Show {
        domain: String,
        #[arg(long)]
        json: bool,
    },
    /// Settle a domain by hand, with a log entry naming who and why.
    Resolve {
        domain: String,
        /// Registered, Error or Cancelled.
        #[arg(long = "as")]
        target: String,
        #[arg(long)]
        reason: String,
        /// Who settles it (default: $USER).
        #[arg(long, env = "USER", default_value = "operator")]
        operator: String,
    },
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

async fn run(cli: Cli) -> Result<(), String> {
    let table = cli
        .table
        .ok_or("no table: pass --table or set DOMAIN_TABLE")?;
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&aws), table);
    match cli.command {
        Command::Domains {
            status,
            account,
            pending_longer_than,
            json,
        } => {
            let status = status
                .map(|s| s.parse::<Status>().map_err(|e| e.to_string()))
                .transpose()?;
            let older_than = pending_longer_than
                .map(|age| operator::parse_age(&age))
                .transpose()?
                .map(|secs| timestamp(OffsetDateTime::now_utc() - time::Duration::seconds(secs)));
            let mut domains = all_domains(&store).await?;
            domains.retain(|d| {
                status.is_none_or(|s| d.status == s)
                    && account.as_deref().is_none_or(|a| d.account_id == a)
                    && older_than.as_deref().is_none_or(|limit| {
                        d.status.in_flight()
                            && d.operation_started_at.as_deref().is_some_and(|t| t < limit)
                    })
            });
            domains.sort_by(|a, b| a.domain.cmp(&b.domain));
            if json {
                let rows: Vec<_> = domains.iter().map(domain_json).collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&rows).unwrap_or_default()
                );
            } else {
                println!(
                    "{:<30} {:<16} {:<3} {:<18} {:<20} last error",
                    "domain", "status", "reg", "operation", "updated"
                );
                for d in &domains {
                    println!(
                        "{:<30} {:<16} {:<3} {:<18} {:<20} {}",
                        d.domain_unicode,
                        d.status,
                        if d.registered { "✓" } else { "" },
                        d.operation,
                        d.updated_at.get(..19).unwrap_or(&d.updated_at),
                        d.last_error.as_deref().unwrap_or("")
                    );
                }
                println!("({} domain(s))", domains.len());
            }
        }
        Command::Show { domain, json } => {
            let name = DomainName::parse(&domain).map_err(|e| e.to_string())?;
            let record = store
                .load(name.ascii())
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{name} is not in the domain table"))?;
            let log = store.log(name.ascii()).await.map_err(|e| e.to_string())?;
            let text = |item: &std::collections::HashMap<String, AttributeValue>, k: &str| {
                item.get(k)
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_default()
            };
            if json {
                let entries: Vec<_> = log
                    .iter()
                    .map(|e| {
                        json!({"at": text(e, "at"), "action": text(e, "action"), "outcome": text(e, "outcome"),
                               "message": text(e, "message"), "ctid": text(e, "ctid"), "code": text(e, "code"), "s3_key": text(e, "s3_key")})
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"domain": domain_json(&record), "log": entries})
                    )
                    .unwrap_or_default()
                );
            } else {
                println!("{} ({})", record.domain_unicode, record.domain);
                println!(
                    "  status      {}{}",
                    record.status,
                    if record.registered {
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
                if let Some(ctid) = &record.ctid {
                    println!(
                        "  in flight   ctid {ctid} since {}",
                        record.operation_started_at.as_deref().unwrap_or("?")
                    );
                }
                if let Some(error) = &record.last_error {
                    println!("  last error  {error}");
                }
                if !record.nameservers.is_empty() {
                    println!("  nameservers {}", record.nameservers.join(", "));
                }
                println!("\n  action log");
                for e in &log {
                    let code = text(e, "code");
                    println!(
                        "  {}  {:<24} {:<7} {}{}",
                        text(e, "at"),
                        text(e, "action"),
                        text(e, "outcome"),
                        text(e, "message"),
                        if code.is_empty() {
                            String::new()
                        } else {
                            format!("  [{code}]")
                        }
                    );
                }
            }
        }
        Command::Resolve {
            domain,
            target,
            reason,
            operator,
        } => {
            let name = DomainName::parse(&domain).map_err(|e| e.to_string())?;
            let target: Status = target
                .parse()
                .map_err(|e: registrar::status::UnknownName| e.to_string())?;
            let current = store
                .load(name.ascii())
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("{name} is not in the domain table"))?;
            let change = operator::resolve(
                &current,
                target,
                &operator,
                &reason,
                OffsetDateTime::now_utc(),
            )?;
            store.commit(&change).await.map_err(|e| match e {
                registrar::ports::StoreError::Conflict => {
                    format!("{name} changed meanwhile; look again with `show {name}`")
                }
                other => other.to_string(),
            })?;
            println!(
                "{name}: {} → {target} (logged as operator.resolved by {operator})",
                current.status
            );
        }
    }
    Ok(())
}

async fn all_domains(store: &DynamoStore) -> Result<Vec<DomainRecord>, String> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let page = store
            .client()
            .scan()
            .table_name(store.table())
            .filter_expression("sk = :domain")
            .expression_attribute_values(":domain", AttributeValue::S("DOMAIN".into()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| internetx::error_chain(&e))?;
        for item in page.items.unwrap_or_default() {
            out.push(record_from_item(&item).map_err(|e| e.to_string())?);
        }
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(out),
        }
    }
}

fn domain_json(d: &DomainRecord) -> serde_json::Value {
    json!({
        "domain": d.domain, "domain_unicode": d.domain_unicode, "status": d.status.as_str(),
        "registered": d.registered, "operation": d.operation.as_str(), "account_id": d.account_id,
        "updated_at": d.updated_at, "ctid": d.ctid, "last_error": d.last_error,
        "operation_started_at": d.operation_started_at, "nameservers": d.nameservers,
    })
}
