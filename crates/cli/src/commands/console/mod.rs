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

mod guard;
mod pages;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use adapters::{DomainFilter, DynamoStore};
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use rand::RngCore;
use registrar::ports::DomainStore;
use registrar::{DomainName, Status};
use time::UtcOffset;

use crate::context::Context;
use crate::error::CliError;
use guard::Session;

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
        .route("/domain/{name}/retry", get(confirm_retry).post(retry))
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
    };
    page(&console, &record.domain_unicode, pages::domain_page(&view))
}

async fn confirm_retry(
    State(console): State<Arc<Console>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
) -> Response {
    if console.read_only {
        return failure(&console, StatusCode::FORBIDDEN, "The console is read-only.");
    }
    let Ok(name) = DomainName::parse(&name) else {
        return failure(
            &console,
            StatusCode::NOT_FOUND,
            "That is not a domain name.",
        );
    };
    let record = match load(&console, name.ascii()).await {
        Ok(record) => record,
        Err(refused) => return refused,
    };
    let back = format!("/domain/{}", pages::percent_encode(name.ascii()));
    let what = format!(
        "{} is {}. Its last {} goes to InterNetX again with a new ctid — as `internetx-bridge retry {}` does: only if InterNetX cannot have it already; otherwise it is refused with the reason, and nothing is sent. \"Ask InterNetX first\" is `retry --force`: domain info is asked, and the retry goes only if InterNetX does not list the domain.",
        record.domain_unicode,
        record.status(),
        record.operation.noun(),
        name.ascii()
    );
    let csrf = guard::csrf_token(&console.key, &session.0);
    page(
        &console,
        "Retry",
        pages::confirm("Retry", &what, &format!("{back}/retry"), &csrf, &back),
    )
}

#[derive(serde::Deserialize)]
struct ActionForm {
    #[serde(default)]
    csrf: String,
    /// `retry --force`: InterNetX's domain info is asked first.
    #[serde(default)]
    force: Option<String>,
}

async fn retry(
    State(console): State<Arc<Console>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
    Form(form): Form<ActionForm>,
) -> Response {
    if !guard::csrf_valid(&console.key, &session.0, &form.csrf) {
        return guard::forged();
    }
    if console.read_only {
        return failure(&console, StatusCode::FORBIDDEN, "The console is read-only.");
    }
    let Ok(name) = DomainName::parse(&name) else {
        return failure(
            &console,
            StatusCode::NOT_FOUND,
            "That is not a domain name.",
        );
    };
    let back = format!("/domain/{}", pages::percent_encode(name.ascii()));
    let app = match console
        .gateway
        .get_or_try_init(|| console.ctx.gateway_app(true))
        .await
    {
        Ok(app) => app,
        Err(e) => {
            return failure(
                &console,
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("the gateway's configuration is incomplete: {e}"),
            )
        }
    };
    let force = form.force.is_some();
    let message = match super::retry::retry(app, &name, force, false).await {
        Ok((checked, report)) => {
            let line = crate::operator::item_line(&name, &report);
            checked.map_or(line.clone(), |checked| format!("{checked}. {line}"))
        }
        Err(e) => format!("Not retried: {e}"),
    };
    eprintln!("console: retry {name}: {message}");
    page(&console, "Retry", pages::outcome("Retry", &message, &back))
}
