//! Order items and requests that cannot be sent as they are: their reason
//! goes on the domain's log (and `Error`, when the domain has nothing better
//! to show), the event is marked as handled.

use crate::lifecycle::{Committed, Step, Transition};
use crate::log::{action, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, Gateway, StoreError};
use crate::record::DomainRecord;
use crate::report::{ItemOutcome, ItemReport};
use crate::request::{new_domain_record, Account, Source};
use crate::status::Operation;
use crate::text::{clip, is_clean};
use crate::workflows::Registrar;
use crate::DomainName;

/// How much of an invalid request's reason is kept (the log line is bounded).
const MAX_REASON_CHARS: usize = 600;

impl<S: DomainStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// An item whose domain name is itself unusable: recorded under the
    /// name as given when it can key an item, else only in the function log.
    pub(super) async fn reject_invalid(
        &self,
        source: &Source,
        account: &Account,
        order_id: Option<&str>,
        operation: Option<Operation>,
        raw_domain: Option<&str>,
        reason: &str,
    ) -> Result<ItemReport, StoreError> {
        let Some(shown) = raw_domain.and_then(presentable_name) else {
            tracing::error!(request = %source.key(), reason, "invalid item, no usable domain name: not recorded in the table");
            return Ok(ItemReport {
                item: source.label().to_owned(),
                domain: raw_domain.map(|d| clip(d, 80)),
                outcome: ItemOutcome::Invalid,
                ctid: None,
                reason: Some(reason.to_owned()),
            });
        };
        if self.store.request_claimed(&source.key()).await? {
            return Ok(ItemReport::of(
                source,
                &shown,
                ItemOutcome::Duplicate,
                None,
                None,
            ));
        }
        let current = self.store.load(&shown).await?;
        let key = DomainKey {
            unicode: shown.clone(),
            ascii: shown,
        };
        self.record_invalid(
            source,
            account,
            order_id,
            operation.unwrap_or(Operation::Register),
            &key,
            reason,
            current,
        )
        .await
    }

    /// Writes an invalid request to the domain's log (and `Error`, when the
    /// domain has nothing better to show), marking the event as handled.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record_invalid(
        &self,
        source: &Source,
        account: &Account,
        order_id: Option<&str>,
        operation: Operation,
        domain: &DomainKey,
        reason: &str,
        current: Option<DomainRecord>,
    ) -> Result<ItemReport, StoreError> {
        let key = source.key();
        let message = clip(
            &format!(
                "{} of {} for {} not sent: {reason}",
                operation.noun(),
                domain.ascii,
                source.describe()
            ),
            MAX_REASON_CHARS,
        );
        tracing::error!(domain = %domain.ascii, request = %key, reason, "invalid request");
        let committed = self
            .lifecycle()
            .commit_with_retry(&domain.ascii, Some(current), |current, now| {
                let mut t = Transition::of_or_new(current, now, || {
                    new_domain_record(
                        &domain.ascii,
                        &domain.unicode,
                        operation,
                        account,
                        order_id,
                        now,
                    )
                });
                // An existing domain only hears of it: whoever owns it and
                // whatever is in flight stays as it is (CONTRACT.md,
                // Ownership). Only a domain the table does not know yet is
                // created, in `Error`, so the operator sees it.
                if current.is_none() {
                    t.reject(operation, message.clone(), &key);
                }
                t.claim(key.clone()).log(
                    LogEntry::new(
                        now,
                        action::REQUEST_REJECTED,
                        Outcome::Error,
                        message.clone(),
                    )
                    .request_ref(&key),
                );
                Step::write(t, ())
            })
            .await?;
        let outcome = match committed {
            Committed::AlreadyClaimed => ItemOutcome::Duplicate,
            _ => ItemOutcome::Invalid,
        };
        let reason = (outcome == ItemOutcome::Invalid).then(|| reason.to_owned());
        Ok(ItemReport::of(source, &domain.ascii, outcome, None, reason))
    }
}

/// The string that keys a domain item: a valid name, or an invalid one that
/// is still presentable, so the operator sees the error where they look.
pub(super) struct DomainKey {
    ascii: String,
    unicode: String,
}

impl From<&DomainName> for DomainKey {
    fn from(name: &DomainName) -> Self {
        Self {
            ascii: name.ascii().to_owned(),
            unicode: name.unicode().to_owned(),
        }
    }
}

/// An invalid name that can still key a domain item: lower-cased,
/// printable, bounded.
fn presentable_name(raw: &str) -> Option<String> {
    let name = raw.trim().trim_end_matches('.').to_lowercase();
    (!name.is_empty()
        && name.chars().count() <= 253
        && is_clean(&name)
        && !name.contains(char::is_whitespace)
        && !name.contains('#'))
    .then_some(name)
}
