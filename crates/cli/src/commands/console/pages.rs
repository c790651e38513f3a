//! The console's pages, server-rendered with maud: every value written
//! into them is escaped by the template language (hostile text — domain
//! names, registry messages, mail texts — reads as text); no script.

use std::collections::BTreeMap;

use maud::{html, Markup, DOCTYPE};
use registrar::{DomainRecord, LogEntry, Status};
use time::UtcOffset;

/// The stylesheet (`/style.css`): the CSP allows styles from the console
/// only, never inline. Readable at a phone's width; status colours with
/// the word beside them (never colour alone).
pub const STYLE: &str = "
body{font-family:system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff;line-height:1.4}
header,main,footer{padding:0.75rem 1rem;max-width:80rem;margin:auto}
header{border-bottom:1px solid #ccc} header a{margin-right:1rem}
a{color:#0645ad} a:focus,button:focus,input:focus,select:focus{outline:3px solid #1a5fb4;outline-offset:2px}
table{border-collapse:collapse;width:100%} th,td{text-align:left;padding:0.3rem 0.5rem;border-bottom:1px solid #ddd;vertical-align:top}
.status{font-weight:600;padding:0 0.3rem;border-radius:3px}
.s-Registered{background:#d7f5dd;color:#0b4f1c} .s-Error{background:#fbdada;color:#7a0c0c}
.s-Cancelled,.s-TransferredAway,.s-Deleted{background:#e6e6e6;color:#333}
.s-AwaitingPayment{background:#fff1c7;color:#5c4400}
.s-Registering,.s-Transferring,.s-Updating,.s-Cancelling{background:#dbe9ff;color:#0b3a7a}
.counts span{margin-right:1rem} form.filter label{margin-right:0.75rem}
pre{white-space:pre-wrap;word-break:break-all;background:#f5f5f5;padding:0.5rem}
.notice{padding:0.5rem;border:1px solid #999;background:#f8f8f8}
button{font-size:1rem;padding:0.3rem 0.8rem}
@media (max-width:40rem){th.wide,td.wide{display:none}}
";

/// The page around `body`.
pub fn layout(title: &str, read_only: bool, zone: UtcOffset, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · InterNetX bridge" }
                link rel="stylesheet" href="/style.css";
            }
            body {
                header {
                    nav aria-label="main" {
                        a href="/" { "Domains" }
                        a href="/attention" { "Attention" }
                    }
                }
                main { (body) }
                footer {
                    small {
                        "Times in UTC" (zone_words(zone)) "."
                        @if read_only { " Read-only: no action is offered." }
                    }
                }
            }
        }
    }
}

fn zone_words(zone: UtcOffset) -> String {
    if zone == UtcOffset::UTC {
        String::new()
    } else {
        let (h, m, _) = zone.as_hms();
        format!(
            "{}{:02}:{:02}",
            if zone.is_negative() { '-' } else { '+' },
            h.abs(),
            m.abs()
        )
    }
}

/// An RFC 3339 time in the operator's zone; what cannot be read as written.
pub fn local(at: &str, zone: UtcOffset) -> String {
    match registrar::log::parse_timestamp(at) {
        Some(t) => {
            let t = t.to_offset(zone);
            format!(
                "{} {:02}:{:02}:{:02}",
                t.date(),
                t.hour(),
                t.minute(),
                t.second()
            )
        }
        None => at.to_owned(),
    }
}

pub fn status_badge(status: Status) -> Markup {
    html! { span class={"status s-" (status.as_str())} { (status.as_str()) } }
}

fn tick(registered: bool) -> Markup {
    html! {
        @if registered { span aria-label="registered" { "✓" } } @else { span aria-label="not registered" { "–" } }
    }
}

/// What the list shows: the filter, the counts, one page and the next.
pub struct ListView<'a> {
    pub counts: &'a BTreeMap<String, usize>,
    pub domains: &'a [DomainRecord],
    pub status: Option<&'a str>,
    pub account: Option<&'a str>,
    pub name: Option<&'a str>,
    pub next: Option<String>,
    pub zone: UtcOffset,
}

fn query(view: &ListView, after: Option<&str>) -> String {
    let mut parts = Vec::new();
    let enc = |v: &str| percent_encode(v);
    if let Some(s) = view.status {
        parts.push(format!("status={}", enc(s)));
    }
    if let Some(a) = view.account {
        parts.push(format!("account={}", enc(a)));
    }
    if let Some(n) = view.name {
        parts.push(format!("q={}", enc(n)));
    }
    if let Some(a) = after {
        parts.push(format!("after={}", enc(a)));
    }
    format!("/?{}", parts.join("&"))
}

/// Everything but RFC 3986's unreserved characters, percent-encoded.
const NOT_UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A value for a URL path segment or query.
pub fn percent_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, NOT_UNRESERVED).to_string()
}

pub fn domain_list(view: &ListView) -> Markup {
    let total: usize = view.counts.values().sum();
    html! {
        h1 { "Domains" }
        p class="counts" aria-label="domains per status" {
            span { (total) " in all" }
            @for (status, n) in view.counts {
                span { a href={"/?status=" (percent_encode(status))} { (status) } ": " (n) }
            }
        }
        form class="filter" method="get" action="/" {
            label { "Status " select name="status" {
                option value="" { "any" }
                @for status in Status::ALL {
                    option value=(status.as_str()) selected[view.status == Some(status.as_str())] { (status.as_str()) }
                }
            } }
            label { "Account " input name="account" value=(view.account.unwrap_or_default()) size="12"; }
            label { "Name " input type="search" name="q" value=(view.name.unwrap_or_default()) size="16"; }
            button type="submit" { "Show" }
        }
        table {
            thead { tr {
                th scope="col" { "Domain" }
                th scope="col" { "Status" }
                th scope="col" { "Registered" }
                th scope="col" class="wide" { "Account" }
                th scope="col" class="wide" { "Last operation" }
                th scope="col" class="wide" { "Updated" }
                th scope="col" { "Last error" }
            } }
            tbody {
                @for d in view.domains {
                    tr {
                        td {
                            a href={"/domain/" (percent_encode(&d.domain))} { (d.domain_unicode) }
                            @if d.domain_unicode != d.domain { br; small { (d.domain) } }
                        }
                        td { (status_badge(d.status())) }
                        td { (tick(d.registered())) }
                        td class="wide" { (d.account_id) }
                        td class="wide" { (d.operation.as_str()) }
                        td class="wide" { (local(&d.updated_at, view.zone)) }
                        td { (first_line(d.last_error.as_deref().unwrap_or_default())) }
                    }
                }
            }
        }
        @if view.domains.is_empty() { p { "No domain matches." } }
        @if let Some(next) = &view.next {
            p { a href=(query(view, Some(next))) rel="next" { "Next page" } }
        }
    }
}

fn first_line(text: &str) -> String {
    registrar::text::printable(text.lines().next().unwrap_or_default(), 200)
}

/// The domain page: its attributes in plain words, its actions, its log.
pub struct DomainView<'a> {
    pub record: &'a DomainRecord,
    pub log: &'a [LogEntry],
    pub newest_first: bool,
    pub read_only: bool,
    pub zone: UtcOffset,
    /// The actions this domain offers: the path under its page, and what
    /// the link says.
    pub actions: Vec<(&'static str, String)>,
}

pub fn domain_page(view: &DomainView) -> Markup {
    let r = view.record;
    let p = &r.portfolio;
    let when = |at: &Option<String>| at.as_deref().map(|a| local(a, view.zone));
    let yes_no = |v: Option<bool>| v.map(|b| if b { "yes" } else { "no" }.to_owned());
    let rows: Vec<(&str, Option<String>)> = vec![
        ("ASCII name", Some(r.domain.clone())),
        (
            "Account",
            Some(format!("{} ({})", r.account_id, r.account_kind.as_str())),
        ),
        ("Order", r.order_id.clone()),
        ("Last operation", Some(r.operation.as_str().to_owned())),
        ("Request", r.request_ref.clone()),
        ("Operation in flight since", when(&r.operation_started_at)),
        ("ctid in flight", r.ctid().map(str::to_owned)),
        ("Last ctid", r.last_ctid.clone()),
        ("Server transaction id", r.stid.clone()),
        ("Job id", r.job_id.clone()),
        ("Accepted by InterNetX at", when(&r.acknowledged_at)),
        ("Outcome unknown since", when(&r.outcome_unknown_since)),
        ("Last error", r.last_error.clone()),
        (
            "Name servers",
            (!r.nameservers.is_empty()).then(|| r.nameservers.join(", ")),
        ),
        (
            "Contacts",
            (!r.contacts.is_empty()).then(|| {
                r.contacts
                    .iter()
                    .map(|(slot, handle)| format!("{slot}: {handle}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        ),
        ("Status mails to", r.notify_email.clone()),
        ("Expires", when(&p.expires_at)),
        ("Payable", when(&p.payable_at)),
        ("Cancelled, effective", when(&p.cancel_at)),
        ("Transfer lock", yes_no(p.locked)),
        ("Registry status", p.registry_status.clone()),
        ("Renewed by InterNetX", yes_no(p.autorenew)),
        ("Differs from InterNetX", p.drift.clone()),
        ("Owner handle", p.owner_handle.clone()),
        (
            "Owner verification",
            p.owner_verification.map(|v| v.as_str().to_owned()),
        ),
        ("Verify by", when(&p.verification_deadline)),
        ("Verification mail to", p.verification_email.clone()),
        ("Held by the registry", yes_no(p.hold)),
        ("Last synced", when(&p.synced_at)),
        ("Created", Some(local(&r.created_at, view.zone))),
        ("Updated", Some(local(&r.updated_at, view.zone))),
    ];
    let mut log: Vec<&LogEntry> = view.log.iter().collect();
    if view.newest_first {
        log.reverse();
    }
    let path = format!("/domain/{}", percent_encode(&r.domain));
    html! {
        h1 { (r.domain_unicode) " " (status_badge(r.status())) " " (tick(r.registered())) }
        table aria-label="attributes" {
            tbody {
                @for (label, value) in &rows {
                    @if let Some(value) = value {
                        tr { th scope="row" { (label) } td { (value) } }
                    }
                }
            }
        }
        @if !view.read_only && !view.actions.is_empty() {
            h2 { "Actions" }
            ul class="actions" {
                @for (action, label) in &view.actions {
                    li { a href={(path) "/" (action)} { (label) } " — asks for confirmation first." }
                }
            }
        }
        h2 { "Action log" }
        p {
            @if view.newest_first {
                "Newest first · " a href={(path) "?order=oldest"} { "oldest first" }
            } @else {
                a href=(path) { "newest first" } " · Oldest first"
            }
        }
        ol class="log" reversed[view.newest_first] {
            @for entry in log {
                li {
                    strong { (local(&registrar::log::timestamp(entry.at), view.zone)) " " (entry.action) }
                    " (" (entry.outcome.as_str()) ") "
                    (entry.message)
                    @if let Some(code) = &entry.code { " · code " (code) }
                    @if let Some(ctid) = &entry.ctid { " · ctid " (ctid) }
                    @for (what, xml) in [("request", &entry.request_xml), ("answer", &entry.response_xml)] {
                        @if let Some(xml) = xml {
                            details {
                                summary { "Stored " (what) " XML (redacted)" }
                                pre { (internetx::redact::redact(xml)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The confirmation of an action: what will happen, and the form that
/// does it (its own `fields` and `buttons` beside the session's token).
pub fn confirm(
    title: &str,
    what: &str,
    form: (&str, &str),
    fields: Markup,
    buttons: Markup,
    back: &str,
) -> Markup {
    let (action, csrf) = form;
    html! {
        h1 { (title) }
        p class="notice" { (what) }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(csrf);
            (fields)
            p {
                (buttons)
                " "
                a href=(back) { "Cancel" }
            }
        }
    }
}

/// The one button of a confirmation.
pub fn yes(title: &str) -> Markup {
    html! { button type="submit" { "Yes, " (title.to_lowercase()) } }
}

/// `resolve`'s fields: the status to settle on and why.
pub fn resolve_fields(targets: &[Status]) -> Markup {
    html! {
        p { label { "Settle as " select name="target" required {
            @for status in targets { option value=(status.as_str()) { (status.as_str()) } }
        } } }
        p { label { "Why (logged with your name) " br;
            textarea name="reason" rows="3" cols="40" required {}
        } }
    }
}

/// `transfer-out`'s fields: ack, or nack with one of InterNetX's reasons.
pub fn transfer_out_fields() -> Markup {
    html! {
        fieldset {
            legend { "Answer" }
            p { label { input type="radio" name="answer" value="ack" required; " Acknowledge: let the domain go" } }
            p { label { input type="radio" name="answer" value="nack"; " Refuse (nack), because of " }
                select name="reason" aria-label="nack reason" {
                    @for reason in internetx::NackReason::ALL {
                        option value=(reason.name()) { (reason.number()) " (" (reason.name()) ")" }
                    }
                }
            }
        }
    }
}

/// The result of an action, or why it did not happen.
pub fn outcome(title: &str, message: &str, back: &str) -> Markup {
    html! {
        h1 { (title) }
        p class="notice" role="status" { (message) }
        p { a href=(back) {
            @if back == "/" { "Back to the domains" }
            @else if back.starts_with("/domain/") { "Back to the domain" }
            @else { "Back" }
        } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_written_as_text() {
        let page = outcome(
            "<script>alert(1)</script>",
            "\"><img src=x onerror=alert(1)>",
            "/",
        )
        .into_string();
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<img"), "{page}");
        assert!(
            page.contains("&lt;script&gt;") && page.contains("&quot;&gt;&lt;img"),
            "{page}"
        );
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(percent_encode("müller.de&x=1"), "m%C3%BCller.de%26x%3D1");
    }
}
