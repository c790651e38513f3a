//! The operator actions of a domain's page — `retry` (and `retry
//! --force`), `resolve` and `transfer-out ack|nack` — each a confirmation
//! page (GET) saying what will happen, then a POST carrying the session's
//! CSRF token, carried out by the CLI command's own function.

use std::sync::Arc;

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use maud::html;
use registrar::log::action;
use registrar::{DomainName, DomainRecord, LogEntry, Status};
use time::OffsetDateTime;

use super::guard::{self, Session};
use super::{failure, load, page, pages, Console};
use crate::operator::{item_line, transfer_out_answer};

/// The statuses `resolve` settles on.
const RESOLVE_AS: [Status; 3] = [Status::Registered, Status::Error, Status::Cancelled];

/// How long after InterNetX reported an outgoing transfer the page offers
/// to answer it: a gTLD transfer is acknowledged by itself after five days.
const TRANSFER_OUT_WINDOW: time::Duration = time::Duration::days(5);

/// What the domain's page offers, as the CLI would accept it: a retry in
/// `Error`, a settlement while in flight or in `Error`, and an answer while
/// an outgoing transfer reported in the last five days may be pending.
pub fn offered(
    record: &DomainRecord,
    log: &[LogEntry],
    now: OffsetDateTime,
) -> Vec<(&'static str, String)> {
    let status = record.status();
    let mut actions = Vec::new();
    if status == Status::Error {
        actions.push(("retry", format!("Retry the {}", record.operation.noun())));
    }
    if status == Status::Error || status.in_flight() {
        actions.push(("resolve", "Settle it by hand (resolve)".to_owned()));
    }
    let reported = log
        .iter()
        .any(|e| e.action == action::SYNC_TRANSFER_OUT && now - e.at < TRANSFER_OUT_WINDOW);
    if status == Status::Registered && reported {
        actions.push((
            "transfer-out",
            "Answer the outgoing transfer (ack or nack)".to_owned(),
        ));
    }
    actions
}

/// The domain an action's path names, or the page that refuses it.
fn domain_of(console: &Console, name: &str) -> Result<DomainName, Box<Response>> {
    DomainName::parse(name).map_err(|_| {
        Box::new(failure(
            console,
            StatusCode::NOT_FOUND,
            "That is not a domain name.",
        ))
    })
}

/// The refusal of a read-only console's actions.
pub(super) fn read_only(console: &Console) -> Option<Response> {
    console
        .read_only
        .then(|| failure(console, StatusCode::FORBIDDEN, "The console is read-only."))
}

/// Why a POST may not go ahead: only with its session's token, on a
/// console that acts.
pub(super) fn refused(console: &Console, session: &Session, csrf: &str) -> Option<Response> {
    if !guard::csrf_valid(&console.key, &session.0, csrf) {
        return Some(guard::forged());
    }
    read_only(console)
}

/// The domain a POST acts on, once its token and the console allow it.
fn acting(
    console: &Console,
    session: &Session,
    csrf: &str,
    name: &str,
) -> Result<DomainName, Box<Response>> {
    if let Some(refusal) = refused(console, session, csrf) {
        return Err(Box::new(refusal));
    }
    domain_of(console, name)
}

/// The domain's page, where an action's outcome links back to.
fn back(name: &DomainName) -> String {
    format!("/domain/{}", pages::percent_encode(name.ascii()))
}

/// The confirmation of `action` on the domain `name`: what `what` says
/// will happen, with the action's own fields and buttons.
async fn confirmation(
    console: &Console,
    session: &Session,
    name: &str,
    title: &str,
    action: &str,
    form: impl FnOnce(&DomainRecord, &DomainName) -> (String, maud::Markup, maud::Markup),
) -> Response {
    if let Some(refused) = read_only(console) {
        return refused;
    }
    let name = match domain_of(console, name) {
        Ok(name) => name,
        Err(refused) => return *refused,
    };
    let record = match load(console, name.ascii()).await {
        Ok(record) => record,
        Err(refused) => return refused,
    };
    let back = back(&name);
    let (what, fields, buttons) = form(&record, &name);
    let csrf = guard::csrf_token(&console.key, &session.0);
    page(
        console,
        title,
        pages::confirm(
            title,
            &what,
            (&format!("{back}/{action}"), &csrf),
            fields,
            buttons,
            &back,
        ),
    )
}

fn done(console: &Console, title: &str, name: &DomainName, message: &str) -> Response {
    eprintln!("console: {} {name}: {message}", title.to_lowercase());
    page(console, title, pages::outcome(title, message, &back(name)))
}

async fn gateway(console: &Console) -> Result<&adapters::wiring::GatewayRegistrar, Response> {
    console
        .gateway
        .get_or_try_init(|| console.ctx.gateway_app(true))
        .await
        .map_err(|e| {
            failure(
                console,
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("the gateway's configuration is incomplete: {e}"),
            )
        })
}

pub async fn confirm_retry(
    State(console): State<Arc<Console>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
) -> Response {
    confirmation(&console, &session, &name, "Retry", "retry", |record, name| {
        let what = format!(
            "{} is {}. Its last {} goes to InterNetX again with a new ctid — as `internetx-bridge retry {}` does: only if InterNetX cannot have it already; otherwise it is refused with the reason, and nothing is sent. \"Ask InterNetX first\" is `retry --force`: domain info is asked, and the retry goes only if InterNetX does not list the domain.",
            record.domain_unicode,
            record.status(),
            record.operation.noun(),
            name.ascii()
        );
        let buttons = html! {
            (pages::yes("Retry"))
            " "
            button type="submit" name="force" value="1" { "Ask InterNetX first, then retry" }
        };
        (what, html! {}, buttons)
    })
    .await
}

#[derive(serde::Deserialize)]
pub struct RetryForm {
    #[serde(default)]
    csrf: String,
    /// `retry --force`: InterNetX's domain info is asked first.
    #[serde(default)]
    force: Option<String>,
}

pub async fn retry(
    State(console): State<Arc<Console>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
    Form(form): Form<RetryForm>,
) -> Response {
    let name = match acting(&console, &session, &form.csrf, &name) {
        Ok(name) => name,
        Err(refused) => return *refused,
    };
    let app = match gateway(&console).await {
        Ok(app) => app,
        Err(refused) => return refused,
    };
    let message = match super::super::retry::retry(app, &name, form.force.is_some(), false).await {
        Ok((checked, report)) => {
            let line = item_line(&name, &report);
            checked.map_or(line.clone(), |checked| format!("{checked}. {line}"))
        }
        Err(e) => format!("Not retried: {e}"),
    };
    done(&console, "Retry", &name, &message)
}

pub async fn confirm_resolve(
    State(console): State<Arc<Console>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
) -> Response {
    let operator = console.operator.clone();
    confirmation(&console, &session, &name, "Resolve", "resolve", |record, name| {
        let what = format!(
            "{} is {} ({}). Settling it by hand sets the status you choose without asking InterNetX, logs operator.resolved with your name ({operator}) and the reason, and sends the customer the status mail that status owes — as `internetx-bridge resolve {} --as <status> --reason <why>` does. Only a domain in flight or in Error is settled; Cancelled only settles a cancellation.",
            record.domain_unicode,
            record.status(),
            record.operation.noun(),
            name.ascii()
        );
        (what, pages::resolve_fields(&RESOLVE_AS), pages::yes("Resolve"))
    })
    .await
}

#[derive(serde::Deserialize)]
pub struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    reason: String,
}

pub async fn resolve(
    State(console): State<Arc<Console>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
    Form(form): Form<ResolveForm>,
) -> Response {
    let name = match acting(&console, &session, &form.csrf, &name) {
        Ok(name) => name,
        Err(refused) => return *refused,
    };
    let message = match form.target.parse::<Status>() {
        Ok(target) if RESOLVE_AS.contains(&target) => {
            match super::super::resolve::resolve(
                &console.store,
                &name,
                target,
                &console.operator,
                &form.reason,
            )
            .await
            {
                Ok(before) => format!(
                    "{name}: {before} → {target} (logged as operator.resolved by {})",
                    console.operator
                ),
                Err(e) => format!("Not resolved: {e}"),
            }
        }
        _ => "Not resolved: settle as Registered, Error or Cancelled".to_owned(),
    };
    done(&console, "Resolve", &name, &message)
}

pub async fn confirm_transfer_out(
    State(console): State<Arc<Console>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
) -> Response {
    confirmation(
        &console,
        &session,
        &name,
        "Answer the transfer",
        "transfer-out",
        |record, name| {
            let what = format!(
                "Another registrar asked for {} ({}). Your answer goes to InterNetX at once — as `internetx-bridge transfer-out {} ack|nack --reason <reason>` does: an ack lets the domain go, a nack refuses the transfer for one of InterNetX's reasons. InterNetX refuses an answer when no transfer is pending, and the page says so. Without an answer InterNetX decides at its deadline (gTLDs: acknowledged).",
                record.domain_unicode,
                record.status(),
                name.ascii()
            );
            (what, pages::transfer_out_fields(), pages::yes("Send the answer"))
        },
    )
    .await
}

#[derive(serde::Deserialize)]
pub struct TransferOutForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    answer: String,
    /// The nack's reason (the form always sends one; an ack ignores it).
    #[serde(default)]
    reason: Option<String>,
}

pub async fn transfer_out(
    State(console): State<Arc<Console>>,
    Extension(session): Extension<Session>,
    Path(name): Path<String>,
    Form(form): Form<TransferOutForm>,
) -> Response {
    let name = match acting(&console, &session, &form.csrf, &name) {
        Ok(name) => name,
        Err(refused) => return *refused,
    };
    let reason = form.reason.filter(|_| form.answer == "nack");
    let message = match transfer_out_answer(&form.answer, reason) {
        Err(e) => format!("Not answered: {e}"),
        Ok(answer) => match gateway(&console).await {
            Err(refused) => return refused,
            Ok(app) => {
                match super::super::transfer_out::answer_transfer_out(app, &name, answer).await {
                    Ok(line) => line,
                    Err(e) => format!("Not answered: {e}"),
                }
            }
        },
    };
    done(&console, "Answer the transfer", &name, &message)
}

#[cfg(test)]
mod tests {
    use registrar::log::Outcome;
    use registrar::testing::{in_flight_record, settled_as};
    use registrar::Operation;

    use super::*;

    fn at() -> OffsetDateTime {
        time::macros::datetime!(2026-12-07 12:00 UTC)
    }

    fn paths(record: &DomainRecord, log: &[LogEntry]) -> Vec<&'static str> {
        offered(record, log, at())
            .into_iter()
            .map(|(path, _)| path)
            .collect()
    }

    #[test]
    fn a_domain_offers_what_the_cli_would_accept() {
        let flying = in_flight_record("x.de", Operation::Register, "ib-1", at());
        assert_eq!(paths(&flying, &[]), ["resolve"]);
        let failed = settled_as(flying.clone(), Status::Error);
        assert_eq!(paths(&failed, &[]), ["retry", "resolve"]);
        let registered = settled_as(flying, Status::Registered);
        assert!(paths(&registered, &[]).is_empty());
        let reported = |days| {
            LogEntry::new(
                at() - time::Duration::days(days),
                action::SYNC_TRANSFER_OUT,
                Outcome::Ignored,
                "a registry event reported an outgoing transfer".into(),
            )
        };
        assert_eq!(paths(&registered, &[reported(1)]), ["transfer-out"]);
        assert!(
            paths(&registered, &[reported(6)]).is_empty(),
            "past InterNetX's five days"
        );
    }
}
