//! The order policy: whether a valid request is sent, waits for payment, or
//! is refused, given what the table holds for its domain and who asks.

use crate::log::Outcome;
use crate::record::{AccountKind, DomainRecord};
use crate::request::{Account, DomainRequest, Source};
use crate::status::Status;

use super::Payment;

/// What the order workflow decides for a valid request on the item read.
pub(super) enum Decision<'a> {
    Send,
    AwaitPayment,
    Refuse {
        existing: &'a DomainRecord,
        outcome: Outcome,
        reason: String,
    },
}

/// Why `account` may not act on `existing`, if it may not: a customer acts
/// only on its own domains; a provider on any (CONTRACT.md, Ownership). The
/// reason names the asking account's reference, never the owner.
pub(crate) fn foreign(
    existing: &DomainRecord,
    account: &Account,
    source: &Source,
    what: &str,
) -> Option<String> {
    (account.kind == AccountKind::Customer && existing.account_id != account.id).then(|| {
        format!(
            "{what} for {} (account {}) not sent: the domain belongs to another account",
            source.describe(),
            account.id
        )
    })
}

/// The order policy for a valid request: send it, park it until payment,
/// or refuse it, given what the table holds for its domain.
pub(super) fn decide<'a>(
    current: Option<&'a DomainRecord>,
    request: &DomainRequest,
    paid: Payment,
) -> Decision<'a> {
    let target = match paid {
        Payment::Paid => request.operation.pending_status(),
        Payment::Unpaid => Status::AwaitingPayment,
    };
    let go = match paid {
        Payment::Paid => Decision::Send,
        Payment::Unpaid => Decision::AwaitPayment,
    };
    let Some(existing) = current else {
        return go;
    };
    let what = format!("{} of {}", request.operation.noun(), request.domain);
    if let Some(reason) = foreign(existing, &request.account, &request.source, &what) {
        return Decision::Refuse {
            existing,
            outcome: Outcome::Error,
            reason,
        };
    }
    if existing.status == Status::AwaitingPayment && existing.account_id != request.account.id {
        return Decision::Refuse {
            existing,
            outcome: Outcome::Error,
            reason: format!(
                "{what} for {} not sent: the domain awaits payment for account {}",
                request.source.describe(),
                existing.account_id
            ),
        };
    }
    if Status::allows(Some(existing.status), target) {
        return go;
    }
    let same_order = existing.order_id.is_some() && existing.order_id == request.order_id;
    let outcome = if same_order && existing.operation == request.operation {
        Outcome::Ignored
    } else {
        Outcome::Error
    };
    let state = if existing.status.in_flight() {
        format!(
            "a {} is in flight (status {}, ctid {})",
            existing.operation.noun(),
            existing.status,
            existing.ctid.as_deref().unwrap_or("unknown")
        )
    } else {
        format!("the domain is {}", existing.status)
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
