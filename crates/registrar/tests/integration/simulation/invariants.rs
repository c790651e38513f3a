//! The guarantees, checked after every step and once a history has settled.
//!
//! 1. exactly once: InterNetX never gets a second create or transfer for a
//!    domain it holds or runs a job for, nor one ctid twice (the model
//!    counts), and no request is claimed under two ctids;
//! 2. ownership: an event from a customer changes no item and sends nothing
//!    for a domain bound to another account (CONTRACT.md §1), and a paid
//!    request is never refused for a name nobody holds;
//! 3. unauthenticated input (forged mail, `<notify>` floods, hostile MIME,
//!    messages put on the item queue) changes no item and sends nothing;
//! 4. no panic, no abort (a panic fails the test with the seed);
//! 5. every status move is one `Status::allows` permits; the version only
//!    grows, and every change of an item bumps it;
//! 6. (settled) nothing waits in flight; `Registered`/`Cancelled` only for
//!    what InterNetX holds, `TransferredAway`/`Deleted` only for what it
//!    does not; `Error` always says why;
//! 7. no password, auth code or reply token in clear on any item, log
//!    entry or status mail — except an issued auth code in the status mail
//!    to the domain's binding owner — and status mails go to the binding
//!    owner only;
//! 8. a request that changes nothing when refused (auth code, lock,
//!    withdrawal, transfer-out answer) never leaves its domain in `Error`
//!    (security review N11), and a refused transfer-out answer — a forged
//!    report can cause one — never rewrites `last_error` (N10);
//! 9. the storefront's events (CONTRACT.md §5): one per version at most,
//!    under `<domain>#<version>`, never with a secret, and what the latest
//!    event of a domain in a final status says is what its item says — so
//!    a storefront that applies each event it gets is never left behind
//!    (and unauthenticated input, which writes no item, publishes nothing).

use std::collections::{BTreeMap, BTreeSet};

use registrar::reply_address::ReplyAddress;
use registrar::report::{ItemOutcome, Report};
use registrar::status_mail::StatusMail;
use registrar::testing::MemoryStore;
use registrar::{DomainRecord, Operation, Status};

use crate::simulation::model::{Model, PASSWORD};
use crate::simulation::world::{email_of, Account};

/// Who caused a step.
#[derive(Debug, Clone, Copy)]
pub enum Input {
    Event(Account),
    Unauthenticated,
    Trusted,
}

pub struct Before {
    pub records: BTreeMap<String, DomainRecord>,
    pub tasks: usize,
    pub input: Input,
}

#[derive(Default)]
pub struct Check {
    /// Auth codes the events carried.
    pub secrets: Vec<String>,
    claimed: BTreeMap<String, BTreeSet<String>>,
    notices_seen: BTreeSet<(String, u64)>,
    log_seen: BTreeMap<String, usize>,
    mails_seen: usize,
    events_seen: usize,
}

/// Whether ownership of `r` binds (CONTRACT.md §1): InterNetX accepted its
/// registration or transfer for that account, or it was imported; a name
/// that left the account binds no more.
pub fn bound(r: &DomainRecord) -> bool {
    (r.registered() || r.operation == Operation::Import)
        && !matches!(r.status(), Status::TransferredAway | Status::Deleted)
}

impl Check {
    pub fn after_step(
        &mut self,
        before: &Before,
        after: &BTreeMap<String, DomainRecord>,
        mem: &MemoryStore,
        model: &Model,
        reply: &ReplyAddress,
        mails: &[(String, StatusMail)],
    ) -> Result<(), String> {
        let st = model.lock();
        if let Some(double) = st.doubles.first() {
            return Err(format!(
                "1 (exactly once): InterNetX received a double submission: {double}"
            ));
        }
        let tasks = st.operations - before.tasks;
        let issued = st.issued_codes.clone();
        let model_ctids: Vec<String> = st.ctids.iter().cloned().collect();
        drop(st);
        for (name, now) in after {
            let was = before.records.get(name);
            // 5: moves and versions.
            if let Some(was) = was {
                if now.version() < was.version() {
                    return Err(format!(
                        "5: {name}'s version went back from {} to {}",
                        was.version(),
                        now.version()
                    ));
                }
                if now.version() == was.version() && now != was {
                    return Err(format!(
                        "5: {name} changed without a version bump: {was:?} → {now:?}"
                    ));
                }
                if now.status() != was.status() && !Status::allows(Some(was.status()), now.status())
                {
                    return Err(format!(
                        "5: {name} moved {} → {}, which Status::allows refuses",
                        was.status(),
                        now.status()
                    ));
                }
            } else if !Status::allows(None, now.status()) {
                return Err(format!("5: {name} was created as {}", now.status()));
            }
            // 2: another account's bound domain.
            if let (Input::Event(account), Some(was)) = (before.input, was) {
                if account.kind == "customer"
                    && bound(was)
                    && was.account_id != account.id
                    && now != was
                {
                    return Err(format!(
                        "2 (ownership): {} changed {name}, bound to {}: {was:?} → {now:?}",
                        account.id, was.account_id
                    ));
                }
            }
            // 8: refusals that change nothing (an operator may still settle
            // such a request as `Error` by hand: `resolve --as Error`).
            let resolved_by_hand = mem
                .log(name)
                .iter()
                .rev()
                .find(|e| e.action != "status.changed")
                .is_some_and(|e| e.action == "operator.resolved");
            if now.status() == Status::Error
                && was.is_none_or(|was| was.status() != Status::Error)
                && now.operation.refusal_changes_nothing()
                && !resolved_by_hand
            {
                return Err(format!(
                    "8 (refusal changes nothing): {name} is in Error after a {}: {:?}",
                    now.operation.noun(),
                    now.last_error
                ));
            }
            if let Some(was) = was {
                if now.operation == Operation::AnswerTransferOut
                    && matches!(now.status(), Status::Registered | Status::Cancelled)
                    && now.last_error.is_some()
                    && now.last_error != was.last_error
                {
                    return Err(format!(
                        "8 (refusal changes nothing): {name}'s transfer-out answer rewrote last_error: {:?} → {:?}",
                        was.last_error, now.last_error
                    ));
                }
            }
            // 3: unauthenticated input.
            if matches!(before.input, Input::Unauthenticated) && Some(now) != was {
                return Err(format!(
                    "3 (unauthenticated input): {name} changed: {was:?} → {now:?}"
                ));
            }
        }
        if matches!(before.input, Input::Unauthenticated) && tasks > 0 {
            return Err(format!(
                "3 (unauthenticated input): {tasks} request(s) went to InterNetX"
            ));
        }
        if let Input::Event(account) = before.input {
            if account.kind == "customer" && tasks > 0 {
                // Every request sent must be for a domain the account may act on.
                for (name, was) in &before.records {
                    let now = after.get(name);
                    if bound(was)
                        && was.account_id != account.id
                        && now.map(|n| n.version()) != Some(was.version())
                    {
                        return Err(format!(
                            "2 (ownership): {} caused a request for {name}, bound to {}",
                            account.id, was.account_id
                        ));
                    }
                }
            }
        }
        // 1: one ctid per claimed request (log entries new since the last step).
        let mut new_entries = BTreeMap::new();
        for name in after.keys() {
            let log = mem.log(name);
            let seen = self.log_seen.insert(name.clone(), log.len()).unwrap_or(0);
            new_entries.insert(name.clone(), log[seen.min(log.len())..].to_vec());
        }
        for entries in new_entries.values() {
            for entry in entries {
                if entry.action != "request.sent" {
                    continue;
                }
                if let (Some(r), Some(c)) = (&entry.request_ref, &entry.ctid) {
                    let ctids = self.claimed.entry(r.clone()).or_default();
                    ctids.insert(c.clone());
                    if ctids.len() > 1 {
                        return Err(format!(
                            "1 (exactly once): request {r} was claimed under {ctids:?}"
                        ));
                    }
                }
            }
        }
        // 7: secrets.
        let mut secrets: Vec<(String, &str)> = self
            .secrets
            .iter()
            .map(|s| (s.clone(), "an event's auth code"))
            .collect();
        secrets.extend(issued.iter().map(|s| (s.clone(), "an issued auth code")));
        secrets.push((PASSWORD.to_owned(), "the gateway password"));
        for ctid in &model_ctids {
            let address = reply.for_ctid(ctid);
            if let Some(token) = address
                .split_once('+')
                .and_then(|(_, t)| t.split_once('@'))
                .map(|(t, _)| t.to_owned())
            {
                secrets.push((token, "a reply token"));
            }
        }
        for (name, record) in after {
            let text = format!("{record:?}");
            let log = format!("{:?}", new_entries.get(name));
            for (secret, what) in &secrets {
                if text.contains(secret.as_str()) {
                    return Err(format!("7 (secrets): {what} in clear on {name}'s item"));
                }
                if log.contains(secret.as_str()) {
                    return Err(format!(
                        "7 (secrets): {what} in clear in {name}'s action log"
                    ));
                }
            }
        }
        // 7 and 2: notices owed, and mails sent, to the binding owner only.
        for queued in mem.notices() {
            let n = &queued.notice;
            if !self.notices_seen.insert((n.domain.clone(), n.version)) {
                continue;
            }
            let Some(record) = after.get(&n.domain).filter(|r| r.version() == n.version) else {
                continue;
            };
            if Some(n.to.as_str()) != email_of(&record.account_id) {
                return Err(format!(
                    "2 (ownership): a status mail for {} owed to {}, not its owner {}",
                    n.domain, n.to, record.account_id
                ));
            }
            if n.sealed_auth_code.is_some() && !bound(record) {
                return Err(format!(
                    "2 (ownership): an auth code for {} owed to {}, whose ownership does not bind",
                    n.domain, n.to
                ));
            }
        }
        for (to, mail) in &mails[self.mails_seen..] {
            for (secret, what) in &secrets {
                let allowed = *what == "an issued auth code";
                if mail.body.contains(secret.as_str()) && !allowed {
                    return Err(format!("7 (secrets): {what} in a status mail to {to}"));
                }
            }
        }
        self.mails_seen = mails.len();
        // 3 and 9: what proves nothing publishes nothing.
        let events = mem.outbox().len();
        if matches!(before.input, Input::Unauthenticated) && events != self.events_seen {
            return Err(format!(
                "3/9: unauthenticated input owed the storefront {} event(s)",
                events - self.events_seen.min(events)
            ));
        }
        self.events_seen = events;
        storefront_mirrors_the_table(after, mem, &secrets)
    }
}

/// 9: the outbox against the items.
fn storefront_mirrors_the_table(
    after: &BTreeMap<String, DomainRecord>,
    mem: &MemoryStore,
    secrets: &[(String, &str)],
) -> Result<(), String> {
    let mut latest: BTreeMap<&str, &registrar::state_event::StateEvent> = BTreeMap::new();
    let events = mem.outbox();
    for e in &events {
        if e.event_id != format!("{}#{}", e.domain, e.version) {
            return Err(format!(
                "9: event id {} for version {}",
                e.event_id, e.version
            ));
        }
        let text = serde_json::to_string(e).unwrap_or_default();
        for (secret, what) in secrets {
            if text.contains(secret.as_str()) {
                return Err(format!("9 (secrets): {what} in event {}", e.event_id));
            }
        }
        latest.insert(&e.domain, e);
    }
    for (name, r) in after {
        let finale = matches!(
            r.status(),
            Status::Registered
                | Status::Error
                | Status::Cancelled
                | Status::TransferredAway
                | Status::Deleted
        );
        if !finale {
            continue;
        }
        let Some(e) = latest.get(name.as_str()) else {
            return Err(format!(
                "9: {name} is {} and the storefront was never told",
                r.status()
            ));
        };
        let p = &r.portfolio;
        let told = (
            e.status_to.as_str(),
            &e.expires_at,
            &e.cancel_at,
            e.locked,
            e.hold,
        );
        let is = (
            r.status().as_str(),
            &p.expires_at,
            &p.cancel_at,
            p.locked,
            p.hold.unwrap_or(false),
        );
        if told != is || e.version > r.version() {
            return Err(format!(
                "9: the storefront last heard {told:?} (v{}) of {name}, which is {is:?} (v{})",
                e.version,
                r.version()
            ));
        }
    }
    Ok(())
}

/// 2: a paid order item or a provider request for a name nobody holds is
/// never refused because another account asked for it first.
pub fn binding(before: &Before, report: &Report) -> Result<(), String> {
    let Input::Event(account) = before.input else {
        return Ok(());
    };
    for item in &report.items {
        let (Some(domain), ItemOutcome::Refused) = (&item.domain, item.outcome) else {
            continue;
        };
        let reason = item.reason.as_deref().unwrap_or("");
        let was = before.records.get(domain);
        let free = was.is_none_or(|r| !bound(r) && !r.status().in_flight());
        let for_ownership = reason.contains("belongs to another account")
            || reason.contains("awaits payment for account");
        let paid = account.kind == "provider" || item.item.contains("ORD-");
        if free && for_ownership && paid && was.is_some_and(|r| r.account_id != account.id) {
            return Err(format!(
                "2 (ownership binds late): {} was refused {domain}, which no account holds: {reason}",
                account.id
            ));
        }
    }
    Ok(())
}

/// 6: once faults stop and everything ran its course.
pub fn settled(records: &BTreeMap<String, DomainRecord>, model: &Model) -> Result<(), String> {
    let st = model.lock();
    for (name, r) in records {
        let held = st.held.get(name);
        let problem = match r.status() {
            s if s.in_flight() => Some(format!("still {s} after the history settled")),
            Status::Registered if held.is_none() => {
                Some("Registered, but InterNetX does not hold it".into())
            }
            Status::Cancelled if held != Some(&true) => {
                Some("Cancelled, but InterNetX has no cancelation".into())
            }
            Status::TransferredAway | Status::Deleted if held.is_some() => {
                Some(format!("{}, but InterNetX holds it", r.status()))
            }
            Status::Error if r.last_error.as_deref().is_none_or(str::is_empty) => {
                Some("Error without a reason".into())
            }
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(format!("6 (liveness): {name}: {problem} ({r:?})"));
        }
    }
    Ok(())
}
