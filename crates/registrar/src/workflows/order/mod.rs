//! Registrations and transfers (`domain-events`): an `OrderPaid` sends every
//! paid domain item; a `DomainRequested` from a provider goes out at once, a
//! customer's waits for its order to be paid (either may arrive first). An
//! invalid item fails alone, with its reason on the domain's log; the other
//! items go on.

mod invalid;
mod policy;

use invalid::DomainKey;
pub(crate) use policy::foreign;
pub(crate) use policy::Unknown;
use policy::{decide, Decision, Superseded};

use crate::dispatch::{claim, refusal, Planned};
use crate::event::{DomainRequested, OrderItem, OrderPaid};
use crate::lifecycle::{Step, Transition};
use crate::log::{action, timestamp, LogEntry, Outcome};
use crate::ports::{Clock, DomainStore, Gateway, ItemQueue, PaidOrder, StoreError};
use crate::record::{AccountKind, DomainRecord};
use crate::report::{ItemOutcome, ItemReport, Report};
use crate::request::{
    stored_input, Account, DomainRequest, DomainRequestInput, QueuedItem, Source,
};
use crate::status::{Operation, Status};
use crate::workflows::Registrar;
use crate::DomainName;

/// Whether the order behind a request is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    Paid,
    Unpaid,
}

impl<S: DomainStore, G: Gateway, C: Clock> Registrar<S, G, C> {
    /// `OrderPaid`, every domain item sent here.
    pub async fn order_paid(&self, order: &OrderPaid) -> Report {
        let mut report = Report::default();
        if !self.remember_paid(order, &mut report).await {
            return report;
        }
        for item in &order.items {
            let result = match item {
                OrderItem::Domain {
                    item_id,
                    operation,
                    input,
                } => {
                    self.handle_request(
                        order_source(order, item_id),
                        *operation,
                        &order.account,
                        Some(&order.order_id),
                        input,
                        Payment::Paid,
                    )
                    .await
                }
                other => self.not_a_request(order, other).await,
            };
            report.push(result, item.id());
        }
        report
    }

    /// `OrderPaid`, the domain items handed to `queue`, whose consumer sends
    /// them at the gateway's pace; items that need no gateway call (not a
    /// domain, invalid) are settled here.
    pub async fn order_paid_queued(&self, order: &OrderPaid, queue: &impl ItemQueue) -> Report {
        let mut report = Report::default();
        if !self.remember_paid(order, &mut report).await {
            return report;
        }
        let mut queued = Vec::new();
        for item in &order.items {
            match item {
                OrderItem::Domain {
                    item_id,
                    operation,
                    input,
                } => {
                    let item = QueuedItem::new(
                        &order.order_id,
                        &order.account,
                        item_id,
                        *operation,
                        input,
                        &self.sealer,
                    );
                    // One oversized item would make the whole batch too
                    // large for the queue and fail the order (security
                    // review L7): it fails alone, here.
                    match item.too_large() {
                        None => queued.push(item),
                        Some(reason) => {
                            let source = order_source(order, item_id);
                            let result = self
                                .reject_invalid(
                                    &source,
                                    &order.account,
                                    Some(&order.order_id),
                                    Some(*operation),
                                    input.domain.as_deref(),
                                    &reason,
                                )
                                .await;
                            report.push(result, item_id);
                        }
                    }
                }
                other => report.push(self.not_a_request(order, other).await, other.id()),
            }
        }
        if queued.is_empty() {
            return report;
        }
        match queue.enqueue(&queued).await {
            Ok(()) => report.items.extend(queued.iter().map(|q| ItemReport {
                item: q.item_id.clone(),
                domain: q.input.domain.clone(),
                outcome: ItemOutcome::Queued,
                ctid: None,
                reason: None,
            })),
            // A redelivery queues them again; their claims make the copies
            // of items already sent do nothing.
            Err(e) => report
                .transient
                .push(format!("{} domain item(s) not queued: {e}", queued.len())),
        }
        report
    }

    /// Remembers the order as paid, so a control-center request that comes
    /// later goes out at once; `false` (and a transient error) if it cannot.
    async fn remember_paid(&self, order: &OrderPaid, report: &mut Report) -> bool {
        let domains = order
            .items
            .iter()
            .filter_map(|item| match item {
                OrderItem::Domain { input, .. } => input.domain.as_deref(),
                _ => None,
            })
            .filter_map(|d| DomainName::parse(d).ok())
            .map(|d| d.ascii().to_owned())
            .collect();
        let paid = PaidOrder {
            order_id: order.order_id.clone(),
            account_id: order.account.id.clone(),
            domains,
            paid_at: timestamp(self.clock.now()),
        };
        match self.store.record_paid_order(&paid).await {
            Ok(()) => true,
            Err(e) => {
                report.transient.push(e.to_string());
                false
            }
        }
    }

    /// An order item that is not a domain request: ignored, or invalid.
    async fn not_a_request(
        &self,
        order: &OrderPaid,
        item: &OrderItem,
    ) -> Result<ItemReport, StoreError> {
        match item {
            OrderItem::Invalid {
                item_id,
                domain,
                reason,
            } => {
                self.reject_invalid(
                    &order_source(order, item_id),
                    &order.account,
                    Some(&order.order_id),
                    None,
                    domain.as_deref(),
                    reason,
                )
                .await
            }
            OrderItem::Other { item_id, kind } => {
                tracing::debug!(order_id = %order.order_id, item_id, kind, "not a domain item; ignored");
                Ok(ItemReport {
                    item: item_id.clone(),
                    domain: None,
                    outcome: ItemOutcome::Ignored,
                    ctid: None,
                    reason: None,
                })
            }
            OrderItem::Domain { item_id, .. } => Ok(ItemReport {
                item: item_id.clone(),
                domain: None,
                outcome: ItemOutcome::Ignored,
                ctid: None,
                reason: Some("a domain item is a request".into()),
            }),
        }
    }

    /// `DomainRequested`: a provider's request goes out at once; a
    /// customer's waits until its order is paid (or goes out if it already is).
    pub async fn domain_requested(&self, request: &DomainRequested) -> Report {
        let mut report = Report::default();
        let paid = match (&request.account.kind, &request.order_id) {
            (AccountKind::Provider, _) => Ok(Payment::Paid),
            (AccountKind::Customer, Some(order_id)) => {
                let domain = request
                    .input
                    .domain
                    .as_deref()
                    .and_then(|d| DomainName::parse(d).ok());
                self.store.paid_order(order_id).await.map(|paid| {
                    // Paid by this account, for this domain: naming someone
                    // else's paid order pays for nothing.
                    let covered = paid.zip(domain).is_some_and(|(p, d)| {
                        p.account_id == request.account.id
                            && p.domains.iter().any(|x| x == d.ascii())
                    });
                    if covered {
                        Payment::Paid
                    } else {
                        Payment::Unpaid
                    }
                })
            }
            (AccountKind::Customer, None) => Ok(Payment::Unpaid),
        };
        let source = Source::Request {
            request_id: request.request_id.clone(),
        };
        let result = match paid {
            Ok(paid) => {
                self.handle_request(
                    source,
                    request.operation,
                    &request.account,
                    request.order_id.as_deref(),
                    &request.input,
                    paid,
                )
                .await
            }
            Err(e) => Err(e),
        };
        report.push(result, &request.request_id);
        report
    }

    /// One registration or transfer request, validated against what the
    /// table already holds for its domain.
    pub(crate) async fn handle_request(
        &self,
        source: Source,
        operation: Operation,
        account: &Account,
        order_id: Option<&str>,
        input: &DomainRequestInput,
        paid: Payment,
    ) -> Result<ItemReport, StoreError> {
        let raw_domain = input.domain.as_deref();
        let domain = match raw_domain.map(DomainName::parse) {
            Some(Ok(domain)) => domain,
            problem => {
                let reason = match problem {
                    Some(Err(e)) => e.to_string(),
                    _ => "domain is missing".to_owned(),
                };
                return self
                    .reject_invalid(
                        &source,
                        account,
                        order_id,
                        Some(operation),
                        raw_domain,
                        &reason,
                    )
                    .await;
            }
        };
        if self.store.request_claimed(&source.key()).await? {
            return Ok(ItemReport::duplicate(&source, &domain));
        }
        let current = self.store.load(domain.ascii()).await?;
        // A request that waited for payment supplies what the paid item leaves out.
        let input = match current
            .as_ref()
            .filter(|c| {
                c.status() == Status::AwaitingPayment
                    && c.account_id == account.id
                    && c.order_id.as_deref() == order_id
            })
            .and_then(|c| stored_input(c, &self.sealer))
        {
            Some(earlier) if paid == Payment::Paid => input.clone().or_from(earlier),
            _ => input.clone(),
        };
        match DomainRequest::validate(
            source.clone(),
            operation,
            account.clone(),
            order_id.map(str::to_owned),
            domain.clone(),
            input,
            &self.defaults,
        ) {
            Ok(request) => self.submit(request, paid, current, Unknown::Refuse).await,
            Err(reason) => {
                let key = DomainKey::from(&domain);
                self.record_invalid(
                    &source, account, order_id, operation, &key, &reason, current,
                )
                .await
            }
        }
    }

    /// Sends, parks until payment, or refuses a valid request, deciding
    /// again if the domain changes meanwhile.
    pub(crate) async fn submit(
        &self,
        request: DomainRequest,
        paid: Payment,
        current: Option<DomainRecord>,
        unknown: Unknown,
    ) -> Result<ItemReport, StoreError> {
        let committed =
            self.lifecycle()
                .commit_with_retry(request.domain.ascii(), Some(current), |current, now| {
                    match decide(current, &request, paid, unknown, self.payment_window, now) {
                        Decision::Send { supersedes } => supersede(
                            claim(current, &request, &self.sealer, now),
                            supersedes,
                            &request,
                            now,
                        ),
                        Decision::AwaitPayment { supersedes } => supersede(
                            self.await_payment(current, &request, now),
                            supersedes,
                            &request,
                            now,
                        ),
                        Decision::Refuse {
                            existing,
                            outcome,
                            reason,
                        } => refusal(existing, &request.source, outcome, reason, now),
                    }
                })
                .await?;
        self.dispatcher().carry_out(committed, &request).await
    }

    fn await_payment(
        &self,
        current: Option<&DomainRecord>,
        request: &DomainRequest,
        now: time::OffsetDateTime,
    ) -> Step<Planned> {
        let key = request.source.key();
        let mut t = Transition::of_or_new(current, now, || request.fresh_record(now));
        t.edit(|record| request.adopt(record, &self.sealer))
            .await_payment()
            .claim(key.clone())
            .log(
                LogEntry::new(
                    now,
                    action::REQUEST_AWAITING_PAYMENT,
                    Outcome::Ok,
                    format!(
                        "{} of {} for {} waits until order {} is paid",
                        request.operation.noun(),
                        request.domain,
                        request.source.describe(),
                        request.order_id.as_deref().unwrap_or("?")
                    ),
                )
                .request_ref(&key),
            );
        Step::write(t, Planned::Await)
    }
}

/// The name passes from an earlier request of another account that
/// reserved nothing to `request`: the item is the new requester's (its
/// status mails, its order), and the log names the earlier reference.
fn supersede(
    step: Step<Planned>,
    earlier: Option<Superseded>,
    request: &DomainRequest,
    now: time::OffsetDateTime,
) -> Step<Planned> {
    let (earlier, mut t, planned) = match (earlier, step) {
        (Some(earlier), Step::Write(t, planned)) => (earlier, t, planned),
        (_, step) => return step,
    };
    let account = &request.account;
    t.edit(|r| {
        r.account_id = account.id.clone();
        r.account_kind = account.kind;
        r.notify_email = account.email.clone();
        r.notify_language = account.language.map(|l| l.as_str().to_owned());
        r.order_id = request.order_id.clone();
    });
    let why = if earlier.expired {
        "it waited for payment past the payment window (expired)"
    } else {
        "it reserved nothing: no payment, or never held at InterNetX"
    };
    t.log(
        LogEntry::new(
            now,
            action::REQUEST_SUPERSEDED,
            Outcome::Ok,
            format!(
                "{} of account {} ({}) superseded by {} of account {}: {why}",
                earlier
                    .request_ref
                    .as_deref()
                    .unwrap_or("an earlier request"),
                earlier.account_id,
                request.domain,
                request.source.describe(),
                account.id
            ),
        )
        .request_ref(&request.source.key()),
    );
    Step::Write(t, planned)
}

fn order_source(order: &OrderPaid, item_id: &str) -> Source {
    Source::OrderItem {
        order_id: order.order_id.clone(),
        item_id: item_id.to_owned(),
    }
}
