//! `domains`: the table, one line per domain, filtered.

use registrar::text::printable;
use registrar::{DomainRecord, Status};
use time::OffsetDateTime;

use crate::context::Context;
use crate::error::CliError;
use crate::operator::{domain_json, parse_age};

#[derive(clap::Args)]
pub struct Args {
    #[arg(long)]
    status: Option<String>,
    #[arg(long)]
    account: Option<String>,
    /// Only operations in flight for longer than this (`6h`, `30m`, `2d`).
    #[arg(long)]
    pending_longer_than: Option<String>,
    /// Only domains expiring within this (`30d`), by InterNetX's dates.
    #[arg(long)]
    expiring: Option<String>,
    /// Only domains whose last sync found them differing from InterNetX.
    #[arg(long)]
    drift: bool,
    #[arg(long)]
    json: bool,
}

/// Which domains the arguments ask for.
struct Filter {
    status: Option<Status>,
    account: Option<String>,
    in_flight_before: Option<OffsetDateTime>,
    expiring_before: Option<OffsetDateTime>,
    drift: bool,
}

impl Filter {
    fn from_args(args: &Args, now: OffsetDateTime) -> Result<Self, CliError> {
        let age = |text: &Option<String>| {
            text.as_deref()
                .map(parse_age)
                .transpose()
                .map(|secs| secs.map(time::Duration::seconds))
        };
        Ok(Self {
            status: args
                .status
                .as_deref()
                .map(str::parse::<Status>)
                .transpose()
                .map_err(|e| CliError::Usage(e.to_string()))?,
            account: args.account.clone(),
            in_flight_before: age(&args.pending_longer_than)
                .map_err(CliError::Usage)?
                .map(|d| now - d),
            expiring_before: age(&args.expiring)
                .map_err(CliError::Usage)?
                .map(|d| now + d),
            drift: args.drift,
        })
    }

    fn keeps(&self, d: &DomainRecord) -> bool {
        // Stored times are RFC 3339 strings; compared as times, not text.
        let before = |stored: Option<&str>, limit: OffsetDateTime| {
            stored
                .and_then(registrar::log::parse_timestamp)
                .is_some_and(|t| t < limit)
        };
        self.status.is_none_or(|s| d.status() == s)
            && self.account.as_deref().is_none_or(|a| d.account_id == a)
            && self.in_flight_before.is_none_or(|limit| {
                d.status().in_flight() && before(d.operation_started_at.as_deref(), limit)
            })
            && self.expiring_before.is_none_or(|limit| {
                registrar::workflows::sync::held_by_account(d)
                    && before(d.portfolio.expires_at.as_deref(), limit)
            })
            && (!self.drift || d.portfolio.drift.is_some())
    }
}

pub async fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let filter = Filter::from_args(&args, OffsetDateTime::now_utc())?;
    let mut domains = ctx.store()?.domains().await?;
    domains.retain(|d| filter.keeps(d));
    domains.sort_by(|a, b| a.domain.cmp(&b.domain));
    if args.json {
        let rows: Vec<_> = domains.iter().map(domain_json).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&rows).unwrap_or_default()
        );
        return Ok(());
    }
    println!(
        "{:<30} {:<16} {:<3} {:<18} {:<20} last error",
        "domain", "status", "reg", "operation", "updated"
    );
    for d in &domains {
        println!(
            "{:<30} {:<16} {:<3} {:<18} {:<20} {}",
            d.domain_unicode,
            d.status(),
            if d.registered() { "✓" } else { "" },
            d.operation,
            d.updated_at.get(..19).unwrap_or(&d.updated_at),
            printable(d.last_error.as_deref().unwrap_or(""), 2_000)
        );
    }
    println!("({} domain(s))", domains.len());
    Ok(())
}
