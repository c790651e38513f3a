//! `console`: the domain manager's screens, served on loopback with the
//! operator's own AWS credentials and the stack's configuration exactly as
//! the other commands use them (issue 30). Nothing is deployed: the
//! console is a process on the operator's machine.
//!
//! Every page is server-rendered HTML without script; every request passes
//! [`guard`] (the `Host` check against DNS rebinding, the CSP and the
//! session), and every state change is a POST carrying its session's CSRF
//! token, confirmed on a page of its own first and carried out by the same
//! workflow as the CLI's command.

mod actions;
mod attention;
mod guard;
mod pages;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use adapters::{DomainFilter, DynamoStore};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use rand::RngCore;
use registrar::ports::DomainStore;
use registrar::{DomainName, Status};
use time::UtcOffset;

use crate::context::Context;
use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    /// Where to listen. Anything but a loopback address exposes the table
    /// and its actions to the network: allowed only with a warning.
    #[arg(long, default_value = "127.0.0.1:8765")]
    bind: SocketAddr,
    /// Another host name the console answers to (behind an SSH tunnel of
    /// another port, say), as `name:port`.
    #[arg(long = "allow-host")]
    allow_hosts: Vec<String>,
    /// Show, never act: every action is hidden and refused.
    #[arg(long)]
    read_only: bool,
    /// The operator's time zone as an offset from UTC (`+01:00`).
    #[arg(long, default_value = "+00:00", value_parser = parse_offset)]
    utc_offset: UtcOffset,
    /// Domains per page.
    #[arg(long, default_value_t = 50)]
    page: usize,
    /// The dead-letter queue the Attention page lists and replays (the
    /// stack output DeadLetterQueueUrl).
    #[arg(long, env = "DLQ_URL")]
    queue_url: Option<String>,
    /// The mail bucket whose quarantined mails the Attention page lists.
    #[arg(long, env = "MAIL_BUCKET")]
    mail_bucket: Option<String>,
    #[arg(long, env = "INBOUND_PREFIX", default_value = "inbound/")]
    inbound_prefix: String,
    /// Who the console's settlements are logged as (default: $USER).
    #[arg(long, env = "USER", default_value = "operator")]
    operator: String,
}

fn parse_offset(value: &str) -> Result<UtcOffset, String> {
    let format = time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
    UtcOffset::parse(value, format)
        .map_err(|e| format!("{value:?} is not an offset like +01:00: {e}"))
}

/// What the handlers share.
pub struct Console {
    ctx: Context,
    store: DynamoStore,
    read_only: bool,
    hosts: Vec<String>,
    /// The key of this process's CSRF tokens (a restart ends every session).
    key: [u8; 32],
    zone: UtcOffset,
    page: usize,
    /// Counts per status, read at most once a minute.
    counts: Mutex<Option<(Instant, BTreeMap<String, usize>)>>,
    /// The registrar actions go through, built (configuration and secrets
    /// read) on the first action, not on every one.
    gateway: tokio::sync::OnceCell<adapters::wiring::GatewayRegistrar>,
    /// What a dead-letter replay runs through, built likewise.
    replayer: tokio::sync::OnceCell<super::dlq::Replayer>,
    queue: Option<adapters::queue::DeadLetterQueue>,
    mail: Option<MailBucket>,
    /// From when an operation in flight is stuck (the alarm's threshold).
    stuck_after: time::Duration,
    /// Logged as who settled a domain, with "(console)".
    operator: String,
}

/// Where the quarantined mails are.
struct MailBucket {
    mailbox: adapters::mailbox::Mailbox,
    bucket: String,
    prefix: String,
}

const COUNTS_FOR: Duration = Duration::from_secs(60);

pub async fn run(ctx: Context, args: Args) -> Result<(), CliError> {
    if !args.bind.ip().is_loopback() {
        eprintln!(
            "WARNING: the console listens on {}, not a loopback address: anyone who reaches it sees the domain table{}",
            args.bind,
            if args.read_only { "" } else { " and can act on it" }
        );
    }
    let store = ctx.store()?;
    let stuck_after =
        adapters::config::reconcile_policy(&adapters::config::ProcessEnv)?.stuck_after;
    let queue = args
        .queue_url
        .filter(|url| !url.is_empty())
        .map(|url| super::dlq::queue(&ctx, url));
    let mail = args
        .mail_bucket
        .filter(|bucket| !bucket.is_empty())
        .map(|bucket| MailBucket {
            mailbox: adapters::mailbox::Mailbox::new(adapters::wiring::s3_client(
                &ctx.aws,
                adapters::config::s3_force_path_style(&adapters::config::ProcessEnv),
            )),
            bucket,
            prefix: args.inbound_prefix.clone(),
        });
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let console = Arc::new(Console {
        hosts: guard::allowed_hosts(args.bind, &args.allow_hosts),
        store,
        ctx,
        read_only: args.read_only,
        key,
        zone: args.utc_offset,
        page: args.page.clamp(1, 500),
        counts: Mutex::new(None),
        gateway: tokio::sync::OnceCell::new(),
        replayer: tokio::sync::OnceCell::new(),
        queue,
        mail,
        stuck_after,
        operator: format!("{} (console)", args.operator),
    });
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| CliError::Failed(format!("cannot listen on {}: {e}", args.bind)))?;
    println!(
        "console: http://{}/ ({}; Ctrl-C stops it)",
        args.bind,
        if args.read_only {
            "read-only"
        } else {
            "actions need confirmation"
        }
    );
    axum::serve(listener, router(console))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| CliError::Failed(format!("the console stopped: {e}")))
}

fn router(console: Arc<Console>) -> Router {
    Router::new()
        .route("/", get(list))
        .route("/style.css", get(style))
        .route("/domain/{name}", get(domain))
        .route("/attention", get(attention::attention))
        .route(
            "/dead-letters/replay",
            get(attention::confirm_replay).post(attention::replay),
        )
        .route(
            "/domain/{name}/retry",
            get(actions::confirm_retry).post(actions::retry),
        )
        .route(
            "/domain/{name}/resolve",
            get(actions::confirm_resolve).post(actions::resolve),
        )
        .route(
            "/domain/{name}/transfer-out",
            get(actions::confirm_transfer_out).post(actions::transfer_out),
        )
        .layer(axum::middleware::from_fn_with_state(
            console.clone(),
            guard::guard,
        ))
        .with_state(console)
}

fn page(console: &Console, title: &str, body: maud::Markup) -> Response {
    Html(pages::layout(title, console.read_only, console.zone, body).into_string()).into_response()
}

fn failure(console: &Console, status: StatusCode, message: &str) -> Response {
    let mut response = page(
        console,
        "Not possible",
        pages::outcome("Not possible", message, "/"),
    );
    *response.status_mut() = status;
    response
}

async fn style() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        pages::STYLE,
    )
        .into_response()
}

#[derive(serde::Deserialize)]
struct ListQuery {
    status: Option<String>,
    account: Option<String>,
    q: Option<String>,
    after: Option<String>,
}

fn filled(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

async fn list(State(console): State<Arc<Console>>, Query(q): Query<ListQuery>) -> Response {
    let status = filled(&q.status).filter(|s| s.parse::<Status>().is_ok());
    let filter = DomainFilter {
        status: status.clone(),
        account: filled(&q.account),
        name: filled(&q.q),
    };
    let after = filled(&q.after);
    let (domains, next) = match console
        .store
        .domains_page(&filter, after.as_deref(), console.page)
        .await
    {
        Ok(found) => found,
        Err(e) => {
            return failure(
                &console,
                StatusCode::BAD_GATEWAY,
                &format!("the domain table could not be read: {e}"),
            )
        }
    };
    let counts = match counts(&console).await {
        Ok(counts) => counts,
        Err(e) => {
            return failure(
                &console,
                StatusCode::BAD_GATEWAY,
                &format!("the domain table could not be counted: {e}"),
            )
        }
    };
    let view = pages::ListView {
        counts: &counts,
        domains: &domains,
        status: status.as_deref(),
        account: filter.account.as_deref(),
        name: filter.name.as_deref(),
        next,
        zone: console.zone,
    };
    page(&console, "Domains", pages::domain_list(&view))
}

async fn counts(
    console: &Console,
) -> Result<BTreeMap<String, usize>, registrar::ports::StoreError> {
    if let Some((at, counts)) = console
        .counts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
    {
        if at.elapsed() < COUNTS_FOR {
            return Ok(counts.clone());
        }
    }
    let counts = console.store.status_counts().await?;
    *console.counts.lock().unwrap_or_else(|e| e.into_inner()) =
        Some((Instant::now(), counts.clone()));
    Ok(counts)
}

/// The domain item, or the page that says why there is none.
async fn load(console: &Console, name: &str) -> Result<registrar::DomainRecord, Response> {
    match console.store.load(name).await {
        Ok(Some(record)) => Ok(record),
        Ok(None) => Err(failure(
            console,
            StatusCode::NOT_FOUND,
            &format!("{name} is not in the domain table."),
        )),
        Err(e) => Err(failure(
            console,
            StatusCode::BAD_GATEWAY,
            &format!("the domain table could not be read: {e}"),
        )),
    }
}

#[derive(serde::Deserialize)]
struct DomainQuery {
    order: Option<String>,
}

async fn domain(
    State(console): State<Arc<Console>>,
    Path(name): Path<String>,
    Query(q): Query<DomainQuery>,
) -> Response {
    // An invalid order item keys its item by the name as given (lower
    // case): its page shows why it was refused.
    let name = DomainName::parse(&name)
        .map(|n| n.ascii().to_owned())
        .unwrap_or_else(|_| name.trim().to_lowercase());
    let record = match load(&console, &name).await {
        Ok(record) => record,
        Err(refused) => return refused,
    };
    let log = match console.store.log(&name).await {
        Ok(log) => log,
        Err(e) => {
            return failure(
                &console,
                StatusCode::BAD_GATEWAY,
                &format!("the action log could not be read: {e}"),
            )
        }
    };
    let view = pages::DomainView {
        record: &record,
        log: &log,
        newest_first: q.order.as_deref() != Some("oldest"),
        read_only: console.read_only,
        zone: console.zone,
        actions: actions::offered(&record, &log, time::OffsetDateTime::now_utc()),
    };
    page(&console, &record.domain_unicode, pages::domain_page(&view))
}
