//! The order policy: whether a valid request is sent, waits for payment, or
//! is refused, given what the table holds for its domain and who asks.
//!
//! Ownership binds late (CONTRACT.md §1): only a domain held for an account
//! (see [`DomainRecord::ownership_binds`]) is closed to other customers. An
//! unpaid or never-sent request of another account gives way to a paid
//! order item or a provider's request, and to anyone's once it has waited
//! for payment longer than the payment window.

use time::OffsetDateTime;

use crate::log::{parse_timestamp, Outcome};
use crate::record::{AccountKind, DomainRecord};
use crate::request::{Account, DomainRequest, Source};
use crate::status::Status;

use super::Payment;

/// What the order workflow decides for a valid request on the item read.
pub(super) enum Decision<'a> {
    /// Send it; `supersedes` is the earlier request of another account it
    /// takes the name from, when there is one.
    Send {
        supersedes: Option<Superseded>,
    },
    AwaitPayment {
        supersedes: Option<Superseded>,
    },
    Refuse {
        existing: &'a DomainRecord,
        outcome: Outcome,
        reason: String,
    },
}

/// What a domain whose last operation has an unknown outcome allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unknown {
    /// Nothing goes out for it: InterNetX may hold that operation.
    Refuse,
    /// An operator saw InterNetX's job list without a job for it.
    NoJobConfirmed,
}

/// The earlier request that gives way, and why it may.
pub(super) struct Superseded {
    pub account_id: String,
    pub request_ref: Option<String>,
    pub expired: bool,
}

/// Why `account` may not act on `existing`, if it may not: a customer acts
/// only on its own bound domains; a provider on any (CONTRACT.md,
/// Ownership). The reason names the asking account's reference, never the owner.
pub(crate) fn foreign(
    existing: &DomainRecord,
    account: &Account,
    source: &Source,
    what: &str,
) -> Option<String> {
    (account.kind == AccountKind::Customer
        && existing.account_id != account.id
        && existing.ownership_binds())
    .then(|| {
        format!(
            "{what} for {} (account {}) not sent: the domain belongs to another account",
            source.describe(),
            account.id
        )
    })
}

/// Whether an unbound item of another account gives way to `request`.
fn gives_way(
    existing: &DomainRecord,
    request: &DomainRequest,
    paid: Payment,
    expired: bool,
) -> bool {
    let strong = paid == Payment::Paid || request.account.kind == AccountKind::Provider;
    match existing.status() {
        // Waiting for a payment that may never come reserves nothing
        // against a paid order, a provider, or anyone once expired.
        Status::AwaitingPayment => strong || expired,
        // A request that never reached InterNetX, or a name that left the
        // account: free for anyone.
        Status::Error | Status::TransferredAway | Status::Deleted => true,
        _ => false,
    }
}

/// The order policy for a valid request: send it, park it until payment,
/// or refuse it, given what the table holds for its domain.
pub(super) fn decide<'a>(
    current: Option<&'a DomainRecord>,
    request: &DomainRequest,
    paid: Payment,
    unknown: Unknown,
    window: time::Duration,
    now: OffsetDateTime,
) -> Decision<'a> {
    let target = match paid {
        Payment::Paid => request.operation.pending_status(),
        Payment::Unpaid => Status::AwaitingPayment,
    };
    let go = |supersedes| match paid {
        Payment::Paid => Decision::Send { supersedes },
        Payment::Unpaid => Decision::AwaitPayment { supersedes },
    };
    let Some(existing) = current else {
        return go(None);
    };
    let what = format!("{} of {}", request.operation.noun(), request.domain);
    let refuse = |reason: String| Decision::Refuse {
        existing,
        outcome: Outcome::Error,
        reason,
    };
    if let Some(since) = existing
        .outcome_unknown_since
        .as_deref()
        .filter(|_| existing.status() == Status::Error && unknown == Unknown::Refuse)
    {
        return refuse(format!(
            "{what} for {} not sent: InterNetX may still hold the last {} of the domain (its outcome is unknown since {since}); an operator checks at InterNetX and resolves it first",
            request.source.describe(),
            existing.operation.noun()
        ));
    }
    if let Some(reason) = foreign(existing, &request.account, &request.source, &what) {
        return refuse(reason);
    }
    let mut supersedes = None;
    if existing.account_id != request.account.id && !existing.ownership_binds() {
        let expired = existing.status() == Status::AwaitingPayment
            && parse_timestamp(&existing.updated_at).is_some_and(|at| now - at >= window);
        if !gives_way(existing, request, paid, expired) {
            return refuse(match existing.status() {
                Status::AwaitingPayment => format!(
                    "{what} for {} not sent: another account's request awaits payment for it; a paid order takes the name",
                    request.source.describe()
                ),
                status => format!(
                    "{what} for {} not sent: another account's {} is in flight (status {status})",
                    request.source.describe(),
                    existing.operation.noun()
                ),
            });
        }
        supersedes = Some(Superseded {
            account_id: existing.account_id.clone(),
            request_ref: existing.request_ref.clone(),
            expired,
        });
    }
    if existing.ownership_binds() && !existing.status().in_flight() {
        // InterNetX holds the domain for the account: a new registration or
        // transfer would be a second order of it. A cancelled domain is
        // kept by withdrawing the cancelation; one in `Error` after a
        // failed change is still held.
        let keep =
            match existing.status() {
                Status::Cancelled => format!(
                "until its cancelation takes effect ({}); send CancellationWithdrawn to keep it",
                existing.portfolio.cancel_at.as_deref().unwrap_or("at expiry")
            ),
                status => format!("(status {status})"),
            };
        return refuse(format!(
            "{what} for {} not sent: InterNetX holds the domain for this account {keep}",
            request.source.describe()
        ));
    }
    if Status::allows(Some(existing.status()), target) {
        return go(supersedes);
    }
    let same_order = existing.order_id.is_some() && existing.order_id == request.order_id;
    let outcome = if same_order && existing.operation == request.operation {
        Outcome::Ignored
    } else {
        Outcome::Error
    };
    let state = if existing.status().in_flight() {
        format!(
            "a {} is in flight (status {}, ctid {})",
            existing.operation.noun(),
            existing.status(),
            existing.ctid().unwrap_or("unknown")
        )
    } else {
        format!("the domain is {}", existing.status())
    };
    let reason = if outcome == Outcome::Ignored {
        format!(
            "{what} for {} not sent again: already handled for order {}; {state}",
            request.source.describe(),
            existing.order_id.as_deref().unwrap_or("?")
        )
    } else {
        format!("{what} for {} not sent: {state}", request.source.describe())
    };
    Decision::Refuse {
        existing,
        outcome,
        reason,
    }
}
