//! `internetx-bridge`: the operator's view of the domain table.
//!
//! Works against the real table (AWS credentials and `AWS_ENDPOINT_URL` as
//! usual; `--table` or `DOMAIN_TABLE`). Errors are one line on stderr and a
//! non-zero exit.

mod doctor;
mod operator;
mod portfolio;
mod probe;
mod progress;

use std::process::ExitCode;

use adapters::wiring::GatewayRegistrar;
use clap::{Parser, Subcommand};
use registrar::event::{parse_dead_letter, DeadLetter};
use registrar::lifecycle::{Lifecycle, NoticePolicy};
use registrar::log::timestamp;
use registrar::ports::{DomainStore, SystemClock};
use registrar::text::printable;
use registrar::workflows::retry::{resolve, Absence};
use registrar::{DomainName, DomainRecord, LogEntry, Status};
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
        /// Only domains expiring within this (`30d`), by InterNetX's dates.
        #[arg(long)]
        expiring: Option<String>,
        /// Only domains whose last sync found them differing from InterNetX.
        #[arg(long)]
        drift: bool,
        #[arg(long)]
        json: bool,
    },
    /// One domain and its action log in time order.
    Show {
        domain: String,
        #[arg(long)]
        json: bool,
    },
    /// Re-submit an Error domain's last operation with a new ctid. Refused
    /// when InterNetX may already have the domain, unless --force: then
    /// InterNetX is asked first (domain info) and the retry goes only if it
    /// does not list the domain. An operation whose outcome is unknown (its
    /// answer lost, given up) goes again only with --force --no-job: you
    /// checked InterNetX's job list and it has no job for the last ctid
    /// (domain info does not list a transfer that still runs). Needs the
    /// gateway's configuration (as the domain-events function: INTERNETX_*,
    /// REPLY_*).
    Retry {
        domain: String,
        #[arg(long)]
        force: bool,
        /// With --force: InterNetX's job list shows no job for the last ctid.
        #[arg(long, requires = "force")]
        no_job: bool,
    },
    /// Answer an outgoing transfer another registrar asked for: `ack` lets
    /// the domain go, `nack` refuses it (with --reason, the nack_reason:
    /// 1 fraud, 2 udrp, 3 court-order, 4 identity-dispute, 5 non-payment,
    /// 6 written-objection — the number or the name).
    /// Sent only while the domain is Registered with nothing in flight;
    /// needs the gateway's configuration (as `retry`).
    TransferOut {
        domain: String,
        /// `ack` or `nack`.
        answer: String,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Inspect or re-drive the dead-letter queue's events.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
        /// The queue (the stack output DeadLetterQueueUrl).
        #[arg(long, env = "DLQ_URL", global = true)]
        queue_url: Option<String>,
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
    /// Run the protocol audit's open questions against InterNetX's demo
    /// system and write every exchange (password removed) as a fixture
    /// file. Registers and cancels throw-away domains: refuses the live
    /// gateway. The password comes from INTERNETX_PASSWORD only.
    Probe(probe::ProbeArgs),
    /// Compare the table with the InterNetX account (as the scheduled sync
    /// function does): dates, drift, domains gone. Runs until a sweep is
    /// complete, or `--runs` runs.
    Sync(portfolio::SyncArgs),
    /// Adopt the domains the InterNetX account holds and the table does not
    /// know, under one account. Dry run unless --apply.
    Import(portfolio::ImportArgs),
    /// Seal every kept auth code again under the current sealing key, so
    /// an older key (the reply-token secret of a stack deployed before the
    /// sealing key) can be dropped. Dry run unless --apply.
    Reseal {
        #[arg(long)]
        apply: bool,
    },
    /// Check a deployed stack before the first order: configuration and
    /// secrets, the InterNetX login, the reply domain in SES, the active
    /// receipt rule set, the MX record, the bucket notification, empty
    /// dead-letter queues. One line each, with the fix; changes nothing.
    Doctor(doctor::DoctorArgs),
}

#[derive(Subcommand)]
enum DlqAction {
    /// What waits in the queue: one line per event.
    List,
    /// Run each event through the domain-events workflow again; events that
    /// succeed leave the queue, the others stay with the reason printed.
    Replay,
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
    if let Command::Probe(args) = cli.command {
        return probe::command(args).await;
    }
    let table = cli
        .table
        .ok_or("no table: pass --table or set DOMAIN_TABLE")?;
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    // A hand-made settlement owes the customer the same status mail.
    let notices = NoticePolicy {
        enabled: adapters::config::status_mails(&adapters::config::ProcessEnv)
            .map_err(|e| e.to_string())?,
    };
    let store = adapters::wiring::operator_store(&table, &aws);
    match cli.command {
        // Needs no table; run before the table is looked for.
        Command::Probe(_) => return Err("probe is run on its own".into()),
        Command::Sync(args) => portfolio::sync(gateway_app(&aws, false).await?, args).await?,
        Command::Import(args) => portfolio::import(gateway_app(&aws, false).await?, args).await?,
        Command::Reseal { apply } => {
            let report = gateway_app(&aws, true)
                .await?
                .reseal(apply)
                .await
                .map_err(|e| e.to_string())?;
            let verb = if apply {
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
        }
        Command::Doctor(args) => doctor::command(&aws, &table, args).await?,
        Command::Domains {
            status,
            account,
            pending_longer_than,
            expiring,
            drift,
            json,
        } => {
            let expiring_before = expiring
                .map(|age| operator::parse_age(&age))
                .transpose()?
                .map(|secs| timestamp(OffsetDateTime::now_utc() + time::Duration::seconds(secs)));
            let status = status
                .map(|s| s.parse::<Status>().map_err(|e| e.to_string()))
                .transpose()?;
            let older_than = pending_longer_than
                .map(|age| operator::parse_age(&age))
                .transpose()?
                .map(|secs| timestamp(OffsetDateTime::now_utc() - time::Duration::seconds(secs)));
            let mut domains = store.domains().await.map_err(|e| e.to_string())?;
            domains.retain(|d| {
                status.is_none_or(|s| d.status == s)
                    && account.as_deref().is_none_or(|a| d.account_id == a)
                    && older_than.as_deref().is_none_or(|limit| {
                        d.status.in_flight()
                            && d.operation_started_at.as_deref().is_some_and(|t| t < limit)
                    })
                    && expiring_before.as_deref().is_none_or(|limit| {
                        registrar::workflows::sync::held_by_account(d)
                            && d.portfolio.expires_at.as_deref().is_some_and(|t| t < limit)
                    })
                    && (!drift || d.portfolio.drift.is_some())
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
                        printable(d.last_error.as_deref().unwrap_or(""), 2_000)
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
            if json {
                let entries: Vec<_> = log.iter().map(log_json).collect();
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
                    println!("  last error  {}", printable(error, 2_000));
                }
                if !record.nameservers.is_empty() {
                    println!("  nameservers {}", record.nameservers.join(", "));
                }
                operator::print_portfolio(&record.portfolio);
                println!("\n  action log");
                for e in &log {
                    println!(
                        "  {}  {:<24} {:<7} {}{}",
                        timestamp(e.at),
                        e.action,
                        e.outcome,
                        // Stored text may come from outside: no escape
                        // sequence reaches the operator's terminal.
                        printable(&e.message, 2_000),
                        e.code
                            .as_deref()
                            .map(|code| format!("  [{}]", printable(code, 60)))
                            .unwrap_or_default()
                    );
                }
            }
        }
        Command::Retry {
            domain,
            force,
            no_job,
        } => {
            let name = DomainName::parse(&domain).map_err(|e| e.to_string())?;
            let app = gateway_app(&aws, true).await?;
            if force {
                use registrar::workflows::reconcile::{domain_info, Presence};
                match domain_info(&app.gateway, name.ascii())
                    .await
                    .map_err(|e| format!("asking InterNetX about {name}: {e}"))?
                {
                    Presence::Listed(_) => {
                        return Err(format!(
                            "InterNetX lists {name} (domain info S0105): do not retry; resolve it as Registered instead"
                        ))
                    }
                    Presence::Unclear(answer) => {
                        return Err(format!(
                            "InterNetX's domain info for {name} is inconclusive ({answer}): not retried"
                        ))
                    }
                    Presence::Absent => println!("InterNetX does not list {name} (E0105); retrying"),
                }
            }
            let absence = match (force, no_job) {
                (true, true) => Absence::NoJobConfirmed,
                (true, false) => Absence::Checked,
                _ => Absence::Unchecked,
            };
            let report = app
                .retry(&name, absence)
                .await
                .map_err(|e| e.to_string())?
                .map_err(|refused| refused.to_string())?;
            println!("{}", operator::item_line(&name, &report));
        }
        Command::TransferOut {
            domain,
            answer,
            reason,
        } => {
            let name = DomainName::parse(&domain).map_err(|e| e.to_string())?;
            let answer = operator::transfer_out_answer(&answer, reason)?;
            let app = gateway_app(&aws, false).await?;
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
            let line = operator::item_line(&name, item);
            if item.outcome.is_failure() || item.ctid.is_none() {
                return Err(line);
            }
            println!("{line}");
        }
        Command::Dlq { action, queue_url } => {
            let queue = queue_url.ok_or("no queue: pass --queue-url or set DLQ_URL")?;
            let sqs = aws_sdk_sqs::Client::new(&aws);
            let app = match action {
                DlqAction::Replay => Some(Replayer {
                    registrar: gateway_app(&aws, true).await?,
                    // Failed mails (S3 events) need the mail function's
                    // configuration; without it only they are left alone.
                    mail: match adapters::MailConfig::from_env(&adapters::config::ProcessEnv, &aws)
                        .await
                    {
                        Ok(config) => {
                            adapters::wiring::inbound_mail(&config, &aws).map_err(|e| e.to_string())
                        }
                        Err(e) => Err(e.to_string()),
                    },
                }),
                DlqAction::List => None,
            };
            let mut seen = 0;
            let mut listed = Vec::new();
            loop {
                let batch = sqs
                    .receive_message()
                    .queue_url(&queue)
                    .max_number_of_messages(10)
                    .visibility_timeout(60)
                    .send()
                    .await
                    .map_err(|e| internetx::error_chain(&e))?;
                let messages = batch.messages.unwrap_or_default();
                if messages.is_empty() {
                    break;
                }
                for message in messages {
                    seen += 1;
                    let body = message.body.clone().unwrap_or_default();
                    let event: serde_json::Value =
                        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
                    let kind = match event["detail-type"].as_str() {
                        Some(kind) => kind.to_owned(),
                        None if event[0]["item_id"].is_string() => format!(
                            "{} order item(s) of {}",
                            event.as_array().map_or(0, Vec::len),
                            event[0]["order_id"].as_str().unwrap_or("")
                        ),
                        None if !s3_objects(&event).is_empty() => format!(
                            "mail {}",
                            s3_objects(&event)
                                .iter()
                                .map(|(_, key)| key.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                        None => "(not an event)".into(),
                    };
                    let label = format!(
                        "{} {}",
                        kind,
                        event["id"]
                            .as_str()
                            .unwrap_or(message.message_id.as_deref().unwrap_or(""))
                    );
                    let Some(app) = &app else {
                        println!("{seen:>4}  {label}");
                        listed.extend(message.receipt_handle.clone());
                        continue;
                    };
                    match replay(app, &body).await {
                        Ok(failed) => {
                            sqs.delete_message()
                                .queue_url(&queue)
                                .set_receipt_handle(message.receipt_handle.clone())
                                .send()
                                .await
                                .map_err(|e| internetx::error_chain(&e))?;
                            println!("{seen:>4}  {label}: replayed ({failed} item(s) failed, see their action logs)");
                        }
                        Err(e) => {
                            println!("{seen:>4}  {label}: still failing, left in the queue: {e}")
                        }
                    }
                }
            }
            // Listing only looked: the messages are visible again at once.
            for handle in listed {
                sqs.change_message_visibility()
                    .queue_url(&queue)
                    .receipt_handle(handle)
                    .visibility_timeout(0)
                    .send()
                    .await
                    .map_err(|e| internetx::error_chain(&e))?;
            }
            println!("{seen} message(s)");
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
            let lifecycle = Lifecycle {
                store: &store,
                clock: &SystemClock,
                notices,
            };
            let before = resolve(&lifecycle, &name, target, &operator, &reason)
                .await
                .map_err(|e| e.to_string())?
                .map_err(|refused| refused.to_string())?;
            println!("{name}: {before} → {target} (logged as operator.resolved by {operator})");
        }
    }
    Ok(())
}

/// The registrar with its gateway, configured like the functions.
/// The registrar as the gateway functions have it; `seals` for a command
/// that may seal an auth code (`retry`, `dlq replay`), which then needs the
/// sealing key (`SEALING_SECRET` or `SEALING_SECRET_SECRET`).
async fn gateway_app(aws: &aws_config::SdkConfig, seals: bool) -> Result<GatewayRegistrar, String> {
    let config = adapters::Config::from_env(&adapters::config::ProcessEnv, aws)
        .await
        .map_err(|e| e.to_string())?;
    if seals {
        config.require_sealing().map_err(|e| {
            format!("{e}: this command may seal an auth code, and only under the sealing key")
        })?;
    }
    adapters::wiring::registrar(&config, aws, &adapters::metrics::Metrics::off())
        .map_err(|e| e.to_string())
}

/// What `dlq replay` runs dead letters through.
struct Replayer {
    registrar: GatewayRegistrar,
    mail: Result<adapters::wiring::InboundMail, String>,
}

/// The `(bucket, key)` of each record of an S3 event (a mail whose handling
/// failed twice), keys decoded.
fn s3_objects(event: &serde_json::Value) -> Vec<(String, String)> {
    event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let bucket = r["s3"]["bucket"]["name"].as_str()?;
            let key = r["s3"]["object"]["key"].as_str()?;
            Some((bucket.to_owned(), adapters::mailbox::decode_s3_key(key)))
        })
        .collect()
}

/// A dead letter handled again; how many of its items failed for good.
async fn replay(app: &Replayer, body: &str) -> Result<usize, String> {
    let event: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let mails = s3_objects(&event);
    if mails.is_empty() {
        let letter: DeadLetter = parse_dead_letter(body);
        return app
            .registrar
            .replay(&letter)
            .await
            .map(|report| report.failed().count());
    }
    let mail = app
        .mail
        .as_ref()
        .map_err(|e| format!("failed mails need the mail function's configuration: {e}"))?;
    let mut failed = 0;
    for (bucket, key) in mails {
        if bucket != mail.bucket || !key.starts_with(&mail.prefix) {
            return Err(format!(
                "s3://{bucket}/{key} is not in the mail bucket's inbound prefix"
            ));
        }
        if let Some(verdict) = mail
            .inbound
            .handle_stored(&mail.mailbox, &bucket, &key)
            .await?
        {
            println!(
                "        {key}: {} ({})",
                verdict.outcome.as_str(),
                printable(&verdict.reason, 300)
            );
            failed += usize::from(matches!(verdict.outcome.as_str(), "failed" | "quarantined"));
        }
    }
    Ok(failed)
}

fn log_json(e: &LogEntry) -> serde_json::Value {
    json!({"at": timestamp(e.at), "action": e.action, "outcome": e.outcome.as_str(),
           "message": e.message, "ctid": e.ctid.as_deref().unwrap_or(""),
           "code": e.code.as_deref().unwrap_or(""), "s3_key": e.s3_key.as_deref().unwrap_or("")})
}

fn domain_json(d: &DomainRecord) -> serde_json::Value {
    json!({
        "domain": d.domain, "domain_unicode": d.domain_unicode, "status": d.status.as_str(),
        "registered": d.registered, "operation": d.operation.as_str(), "account_id": d.account_id,
        "updated_at": d.updated_at, "ctid": d.ctid, "last_error": d.last_error,
        "operation_started_at": d.operation_started_at, "nameservers": d.nameservers,
        "expires_at": d.portfolio.expires_at, "payable_at": d.portfolio.payable_at,
        "cancel_at": d.portfolio.cancel_at, "synced_at": d.portfolio.synced_at,
        "locked": d.portfolio.locked, "drift": d.portfolio.drift,
        "auth_code_expires_at": d.portfolio.auth_code_expires_at,
    })
}
