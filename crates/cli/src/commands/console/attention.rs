//! The Attention page: what an operator should look at — domains in
//! `Error`, stuck in flight past the alarm's threshold, differing from
//! InterNetX, not renewed by InterNetX, held by the registry — with the
//! dead-letter queue (and its replay) and the latest quarantined mails,
//! by their tags only (a mail's body never reaches a page).

use std::sync::Arc;

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use maud::{html, Markup};
use registrar::ports::DomainStore;
use registrar::workflows::sync::held_by_account;
use registrar::{DomainRecord, Status};
use time::{OffsetDateTime, UtcOffset};

use super::actions::{read_only, refused};
use super::guard::{self, Session};
use super::{failure, page, pages, Console};
use crate::commands::dlq;

/// Domains read for the page's sections, at most.
const FLAGGED: usize = 500;
/// Stuck domains shown, at most (oldest first).
const STUCK: usize = 100;
/// The newest mails whose tags are read, and the quarantined ones shown.
const MAILS_LOOKED_AT: usize = 200;
const MAILS_SHOWN: usize = 20;

/// One section's rows, or why it could not be read.
type Section<T> = Result<Vec<T>, String>;

pub async fn attention(State(console): State<Arc<Console>>) -> Response {
    let now = OffsetDateTime::now_utc();
    let flagged = console
        .store
        .attention(FLAGGED)
        .await
        .map_err(|e| format!("the domain table could not be read: {e}"));
    let stuck = console
        .store
        .in_flight(None, now - console.stuck_after, STUCK)
        .await
        .map_err(|e| format!("the in-flight index could not be read: {e}"));
    let dead = match &console.queue {
        Some(queue) => Some(
            dlq::visit(queue, None)
                .await
                .map_err(|e| format!("the dead-letter queue could not be read: {e}")),
        ),
        None => None,
    };
    let mails = match &console.mail {
        Some(mail) => Some(
            mail.mailbox
                .latest_tagged(
                    &mail.bucket,
                    &mail.prefix,
                    "quarantined",
                    MAILS_LOOKED_AT,
                    MAILS_SHOWN,
                )
                .await
                .map_err(|e| format!("the mail bucket could not be read: {e}")),
        ),
        None => None,
    };
    let body = html! {
        h1 { "Attention" }
        (sections(&console, flagged, stuck))
        h2 id="dead-letters" { "Dead-letter queue" }
        (dead_letters(&console, dead))
        h2 id="quarantined" { "Quarantined mails" }
        (quarantined(&console, mails))
    };
    page(&console, "Attention", body)
}

/// A domain's rows of the flagged sections, by what flags it.
fn sections(
    console: &Console,
    flagged: Section<DomainRecord>,
    stuck: Section<DomainRecord>,
) -> Markup {
    let zone = console.zone;
    let when = |at: &Option<String>| {
        at.as_deref()
            .map(|a| pages::local(a, zone))
            .unwrap_or_else(|| "?".into())
    };
    let first = |text: &Option<String>| {
        registrar::text::printable(
            text.as_deref()
                .unwrap_or_default()
                .lines()
                .next()
                .unwrap_or_default(),
            200,
        )
    };
    let pick = |keep: &dyn Fn(&DomainRecord) -> bool, detail: &dyn Fn(&DomainRecord) -> String| {
        flagged
            .as_ref()
            .map(|all| {
                all.iter()
                    .filter(|d| keep(d))
                    .map(|d| (d.clone(), detail(d)))
                    .collect::<Vec<_>>()
            })
            .map_err(String::clone)
    };
    let errors = pick(&|d| d.status() == Status::Error, &|d| first(&d.last_error));
    let drift = pick(&|d| d.portfolio.drift.is_some(), &|d| {
        first(&d.portfolio.drift)
    });
    let lapsing = pick(
        &|d| {
            held_by_account(d)
                && (d.portfolio.autorenew == Some(false) || d.portfolio.cancel_at.is_some())
        },
        &|d| {
            format!(
                "expires {}{}",
                when(&d.portfolio.expires_at),
                d.portfolio
                    .cancel_at
                    .as_ref()
                    .map(|c| format!(", cancelled effective {}", pages::local(c, zone)))
                    .unwrap_or_default()
            )
        },
    );
    let held = pick(&|d| d.portfolio.hold == Some(true), &|d| {
        format!(
            "registry status {}; owner verification {}",
            d.portfolio.registry_status.as_deref().unwrap_or("?"),
            d.portfolio
                .owner_verification
                .map_or("unknown", |v| v.as_str())
        )
    });
    let stuck = stuck.map(|all| {
        all.into_iter()
            .map(|d| {
                let detail = format!(
                    "{} in flight since {}",
                    d.operation.noun(),
                    when(&d.operation_started_at)
                );
                (d, detail)
            })
            .collect::<Vec<_>>()
    });
    let hours = console.stuck_after.whole_hours();
    html! {
        (section("error", "In Error", "Each one's action log says why.", errors, zone))
        (section("stuck", &format!("In flight longer than {hours} h"), "The StuckDomains alarm's threshold (RECONCILE_STUCK_HOURS); reconciliation settles them.", stuck, zone))
        (section("drift", "Differing from InterNetX", "The last sync found the table and InterNetX apart.", drift, zone))
        (section("lapsing", "Not renewed by InterNetX", "Cancelled, or renewal turned off at InterNetX: the domain lapses at its expiry.", lapsing, zone))
        (section("hold", "Held by the registry", "Usually an owner verification not done in time.", held, zone))
    }
}

fn section(
    id: &str,
    title: &str,
    why: &str,
    rows: Section<(DomainRecord, String)>,
    zone: UtcOffset,
) -> Markup {
    html! {
        section aria-labelledby={"h-" (id)} {
            h2 id={"h-" (id)} { (title) }
            p { small { (why) } }
            @match rows {
                Err(problem) => { p class="notice" role="alert" { (problem) } }
                Ok(rows) if rows.is_empty() => { p { "None." } }
                Ok(rows) => {
                    table id=(id) {
                        thead { tr {
                            th scope="col" { "Domain" }
                            th scope="col" { "Status" }
                            th scope="col" { "Why" }
                            th scope="col" class="wide" { "Updated" }
                        } }
                        tbody {
                            @for (d, detail) in &rows {
                                tr {
                                    td { a href={"/domain/" (pages::percent_encode(&d.domain))} { (d.domain_unicode) } }
                                    td { (pages::status_badge(d.status())) }
                                    td { (detail) }
                                    td class="wide" { (pages::local(&d.updated_at, zone)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn dead_letters(console: &Console, dead: Option<Result<Vec<String>, String>>) -> Markup {
    html! {
        @match dead {
            None => { p { "No queue given: start the console with --queue-url or DLQ_URL (the stack output DeadLetterQueueUrl)." } }
            Some(Err(problem)) => { p class="notice" role="alert" { (problem) } }
            Some(Ok(lines)) => {
                @let (count, letters) = lines.split_last().map_or(("", &[][..]), |(c, l)| (c.as_str(), l));
                @if letters.is_empty() { p { "Empty." } } @else {
                    ol id="dead-letters-list" { @for line in letters { li { (line.trim_start()) } } }
                    p { (count) "." }
                    @if !console.read_only {
                        p { a href="/dead-letters/replay" { "Replay them" } " — asks for confirmation first." }
                    }
                }
            }
        }
    }
}

fn quarantined(console: &Console, mails: Option<Section<adapters::mailbox::TaggedMail>>) -> Markup {
    html! {
        @match mails {
            None => { p { "No mail bucket given: start the console with MAIL_BUCKET set (and INBOUND_PREFIX, if not inbound/)." } }
            Some(Err(problem)) => { p class="notice" role="alert" { (problem) } }
            Some(Ok(mails)) if mails.is_empty() => {
                p { "None among the newest " (MAILS_LOOKED_AT) " mails." }
            }
            Some(Ok(mails)) => {
                p { small { "The mail function kept these and tagged them outcome=quarantined: not from InterNetX's senders, or not matching the request they name. Their bodies stay in the bucket." } }
                table id="quarantined-mails" {
                    thead { tr {
                        th scope="col" { "Key" }
                        th scope="col" { "Stored" }
                        th scope="col" class="wide" { "Size" }
                        th scope="col" { "Tag" }
                    } }
                    tbody {
                        @for mail in &mails {
                            tr {
                                td { code { (mail.key) } }
                                td { (mail.stored_at.map(|t| pages::local(&registrar::log::timestamp(t), console.zone)).unwrap_or_else(|| "?".into())) }
                                td class="wide" { (mail.size) " bytes" }
                                td { "outcome=" (mail.outcome) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn confirm_replay(
    State(console): State<Arc<Console>>,
    Extension(session): Extension<Session>,
) -> Response {
    if let Some(refused) = read_only(&console) {
        return refused;
    }
    if console.queue.is_none() {
        return failure(
            &console,
            StatusCode::NOT_FOUND,
            "No dead-letter queue was given.",
        );
    }
    let csrf = guard::csrf_token(&console.key, &session.0);
    page(
        &console,
        "Replay",
        pages::confirm(
            "Replay",
            "Every event in the dead-letter queue runs through its workflow again — as `internetx-bridge dlq replay` does: those handled leave the queue, the others stay with the reason shown. Events and mails are safe to handle twice: a request already sent is not sent again.",
            ("/dead-letters/replay", &csrf),
            html! {},
            pages::yes("Replay"),
            "/attention",
        ),
    )
}

#[derive(serde::Deserialize)]
pub struct ReplayForm {
    #[serde(default)]
    csrf: String,
}

pub async fn replay(
    State(console): State<Arc<Console>>,
    Extension(session): Extension<Session>,
    Form(form): Form<ReplayForm>,
) -> Response {
    if let Some(refused) = refused(&console, &session, &form.csrf) {
        return refused;
    }
    let Some(queue) = &console.queue else {
        return failure(
            &console,
            StatusCode::NOT_FOUND,
            "No dead-letter queue was given.",
        );
    };
    let replayer = match console
        .replayer
        .get_or_try_init(|| dlq::Replayer::new(&console.ctx))
        .await
    {
        Ok(replayer) => replayer,
        Err(e) => {
            return failure(
                &console,
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("the gateway's configuration is incomplete: {e}"),
            )
        }
    };
    let body = match dlq::visit(queue, Some(replayer)).await {
        Ok(lines) => {
            for line in &lines {
                eprintln!("console: dlq replay: {line}");
            }
            html! {
                h1 { "Replay" }
                ol class="notice" role="status" { @for line in &lines { li { (line.trim_start()) } } }
                p { a href="/attention" { "Back to Attention" } }
            }
        }
        Err(e) => pages::outcome(
            "Replay",
            &format!("The queue could not be read: {e}"),
            "/attention",
        ),
    };
    page(&console, "Replay", body)
}
