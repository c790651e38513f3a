//! The submission workflow: an order item or a control-center request
//! becomes one gateway request, with the domain table telling the story.
//!
//! Claim first, then act: the domain item moves to its pending status, with
//! a fresh ctid and the event marked as handled, in one transaction *before*
//! the request is posted. A redelivered event then finds its claim and does
//! nothing; a concurrent one loses the version check and is refused; and a
//! crash after posting leaves a ctid that reconciliation can look up.

use internetx::{AnswerKind, Exchange, GatewayError};
use serde::Serialize;
use time::OffsetDateTime;

use crate::event::{DomainRequested, InboundEvent, OrderItem, OrderPaid};
use crate::ports::{Change, Clock, DomainStore, Gateway, PaidOrder, StoreError};
use crate::record::{action, timestamp, AccountKind, DomainRecord, LogEntry, Outcome};
use crate::reply::ReplyAddress;
use crate::request::{Account, DomainRequest, DomainRequestInput, Source};
use crate::seal::Sealer;
use crate::status::{Operation, Status};
use crate::text::{clip, is_clean};
use crate::DomainName;

/// How often a decision is retaken after losing a race for the domain item.
const MAX_ATTEMPTS: usize = 5;

/// What happened to one item or request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemOutcome {
    /// InterNetX accepted it; the result follows by mail.
    Accepted,
    /// InterNetX completed it at once.
    Completed,
    AwaitingPayment,
    /// Handled before: nothing done.
    Duplicate,
    /// Not sent: the domain's state does not allow it (see the action log).
    Refused,
    /// Not sent: the item is invalid.
    Invalid,
    /// InterNetX refused it.
    Rejected,
    /// Sent, but no answer came back: reconciliation settles it.
    Unknown,
    /// Not sent: the gateway could not be reached.
    Failed,
    /// Not a domain item.
    Ignored,
    /// Handed to the item queue; its consumer sends it.
    Queued,
}

impl ItemOutcome {
    /// Whether the item ended in an error a caller should hear about.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            ItemOutcome::Refused
                | ItemOutcome::Invalid
                | ItemOutcome::Rejected
                | ItemOutcome::Failed
                | ItemOutcome::Unknown
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ItemReport {
    pub item: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    pub outcome: ItemOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The result of one event. `transient` holds store errors that make the
/// invocation fail so that Lambda retries; the items done are not redone.
#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub items: Vec<ItemReport>,
    #[serde(skip)]
    pub transient: Vec<String>,
}

impl Report {
    pub fn failed(&self) -> impl Iterator<Item = &ItemReport> {
        self.items.iter().filter(|i| i.outcome.is_failure())
    }
}

pub struct Submitter<S, G, C> {
    pub store: S,
    pub gateway: G,
    pub clock: C,
    pub reply: ReplyAddress,
    pub sealer: Sealer,
}

enum Decision {
    Send,
    AwaitPayment,
    Refuse { outcome: Outcome, reason: String },
}

impl<S: DomainStore, G: Gateway, C: Clock> Submitter<S, G, C> {
    /// Any event of CONTRACT.md §1, by its kind.
    pub async fn handle(&self, event: &InboundEvent) -> Report {
        match event {
            InboundEvent::OrderPaid(order) => {
                tracing::info!(order_id = %order.order_id, items = order.items.len(), "OrderPaid received");
                self.order_paid(order).await
            }
            InboundEvent::DomainRequested(request) => {
                tracing::info!(request_id = %request.request_id, operation = %request.operation, "DomainRequested received");
                self.domain_requested(request).await
            }
            InboundEvent::Change(change) => {
                tracing::info!(request_id = %change.request_id, domain = %change.domain, operation = %change.operation, "change requested");
                self.change_requested(change).await
            }
        }
    }

    /// `OrderPaid`: every domain item is sent; one bad item fails alone.
    pub async fn order_paid(&self, order: &OrderPaid) -> Report {
        self.order_paid_with(order, None::<&crate::fanout::Inline>)
            .await
    }

    /// `OrderPaid`, with the domain items either sent here (`queue` is
    /// `None`) or handed to a queue whose consumer sends them at the
    /// gateway's pace. Items that need no gateway call (not a domain,
    /// invalid) are settled here either way.
    pub async fn order_paid_with<Q: crate::fanout::ItemQueue>(
        &self,
        order: &OrderPaid,
        queue: Option<&Q>,
    ) -> Report {
        let mut report = Report::default();
        let mut queued = Vec::new();
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
        if let Err(e) = self.store.record_paid_order(&paid).await {
            report.transient.push(e.to_string());
            return report;
        }
        for item in &order.items {
            let result = match item {
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
                OrderItem::Invalid {
                    item_id,
                    domain,
                    reason,
                } => {
                    let source = Source::OrderItem {
                        order_id: order.order_id.clone(),
                        item_id: item_id.clone(),
                    };
                    self.reject_invalid(
                        &source,
                        &order.account,
                        Some(&order.order_id),
                        None,
                        domain.as_deref(),
                        reason,
                    )
                    .await
                }
                OrderItem::Domain {
                    item_id,
                    operation,
                    input,
                } if queue.is_some() => {
                    queued.push(crate::fanout::QueuedItem::new(
                        order,
                        item_id,
                        *operation,
                        input,
                        &self.sealer,
                    ));
                    continue;
                }
                OrderItem::Domain {
                    item_id,
                    operation,
                    input,
                } => {
                    let source = Source::OrderItem {
                        order_id: order.order_id.clone(),
                        item_id: item_id.clone(),
                    };
                    self.handle_request(
                        source,
                        *operation,
                        &order.account,
                        Some(&order.order_id),
                        input,
                        true,
                    )
                    .await
                }
            };
            collect(&mut report, result, item_label(item));
        }
        if let (Some(queue), false) = (queue, queued.is_empty()) {
            match queue.enqueue(&queued).await {
                Ok(()) => report.items.extend(queued.iter().map(|q| ItemReport {
                    item: q.item_id.clone(),
                    domain: q.input.domain.clone(),
                    outcome: ItemOutcome::Queued,
                    ctid: None,
                    reason: None,
                })),
                // A redelivery queues them again; their claims make the
                // copies of items already sent do nothing.
                Err(e) => report
                    .transient
                    .push(format!("{} domain item(s) not queued: {e}", queued.len())),
            }
        }
        report
    }

    /// `DomainRequested`: a provider's request goes out at once; a
    /// customer's waits until its order is paid (or goes out if it already is).
    pub async fn domain_requested(&self, request: &DomainRequested) -> Report {
        let mut report = Report::default();
        let paid = match (&request.account.kind, &request.order_id) {
            (AccountKind::Provider, _) => Ok(true),
            (AccountKind::Customer, Some(order_id)) => {
                let domain = request
                    .input
                    .domain
                    .as_deref()
                    .and_then(|d| DomainName::parse(d).ok());
                self.store.paid_order(order_id).await.map(|paid| {
                    paid.zip(domain)
                        .is_some_and(|(p, d)| p.domains.iter().any(|x| x == d.ascii()))
                })
            }
            (AccountKind::Customer, None) => Ok(false),
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
        collect(&mut report, result, request.request_id.clone());
        report
    }

    pub(crate) async fn handle_request(
        &self,
        source: Source,
        operation: Operation,
        account: &Account,
        order_id: Option<&str>,
        input: &DomainRequestInput,
        paid: bool,
    ) -> Result<ItemReport, StoreError> {
        let key = source.key();
        let raw_domain = input.domain.as_deref();
        let domain = match raw_domain.map(DomainName::parse) {
            Some(Ok(domain)) => domain,
            Some(Err(e)) => {
                return self
                    .reject_invalid(
                        &source,
                        account,
                        order_id,
                        Some(operation),
                        raw_domain,
                        &e.to_string(),
                    )
                    .await
            }
            None => {
                return self
                    .reject_invalid(
                        &source,
                        account,
                        order_id,
                        Some(operation),
                        None,
                        "domain is missing",
                    )
                    .await
            }
        };
        if self.store.request_claimed(&key).await? {
            return Ok(duplicate(&source, &domain));
        }
        let current = self.store.load(domain.ascii()).await?;
        // A request that waited for payment supplies what the paid item leaves out.
        let input = match current
            .as_ref()
            .filter(|c| c.status == Status::AwaitingPayment)
            .and_then(|c| stored_input(c, &self.sealer))
        {
            Some(earlier) if paid => input.clone().or_from(earlier),
            _ => input.clone(),
        };
        match DomainRequest::validate(
            source.clone(),
            operation,
            account.clone(),
            order_id.map(str::to_owned),
            domain.clone(),
            input,
        ) {
            Ok(request) => self.submit(request, paid, current).await,
            Err(reason) => {
                self.record_invalid(
                    &source, account, order_id, operation, &domain, &reason, current,
                )
                .await
            }
        }
    }

    pub(crate) async fn submit(
        &self,
        request: DomainRequest,
        paid: bool,
        mut current: Option<DomainRecord>,
    ) -> Result<ItemReport, StoreError> {
        let key = request.source.key();
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                current = self.store.load(request.domain.ascii()).await?;
            }
            let now = self.clock.now();
            let change = match decide(current.as_ref(), &request, paid) {
                Decision::Send => match self.send(current.as_ref(), &request).await? {
                    Some(report) => return Ok(report),
                    None => continue,
                },
                Decision::AwaitPayment => {
                    let record = self.awaiting(current.as_ref(), &request, now);
                    let log = LogEntry::new(
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
                    .request_ref(&key);
                    let mut log = vec![log];
                    log.extend(status_entry(current.as_ref(), &record, now, None));
                    Change {
                        expected_version: current.as_ref().map(|c| c.version),
                        record,
                        log,
                        claims_request: Some(key.clone()),
                    }
                }
                Decision::Refuse { outcome, reason } => {
                    let Some(existing) = current.as_ref() else {
                        unreachable!("a refusal is always about an existing domain")
                    };
                    match self
                        .refuse(existing, &request.source, &request.domain, outcome, reason)
                        .await?
                    {
                        Some(report) => return Ok(report),
                        None => continue,
                    }
                }
            };
            match self.store.commit(&change).await {
                Ok(()) => {
                    return Ok(report(
                        &request.source,
                        &request.domain,
                        ItemOutcome::AwaitingPayment,
                        None,
                        None,
                    ))
                }
                Err(StoreError::Conflict) => continue,
                Err(StoreError::AlreadyClaimed(_)) => {
                    return Ok(duplicate(&request.source, &request.domain))
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable(format!(
            "{} kept changing; gave up after {MAX_ATTEMPTS} attempts",
            request.domain
        )))
    }

    /// Claims the domain for `request` (pending status, fresh ctid, the
    /// event marked as handled), then posts it and records the answer.
    /// `None`: the domain changed since it was read; decide again.
    pub(crate) async fn send(
        &self,
        current: Option<&DomainRecord>,
        request: &impl Outgoing,
    ) -> Result<Option<ItemReport>, StoreError> {
        let now = self.clock.now();
        let ctid = new_ctid();
        let key = request.source().key();
        let mut record = request.claim(current, now);
        request.keep(&mut record, &self.sealer);
        touch(&mut record, now);
        record.status = request.operation().pending_status();
        record.operation = request.operation();
        record.ctid = Some(ctid.clone());
        record.operation_started_at = Some(timestamp(now));
        record.request_ref = Some(key.clone());
        record.last_error = None;
        record.stid = None;
        record.job_id = None;
        let message = format!(
            "{} of {} sent to InterNetX for {} (ctid {ctid})",
            request.operation().noun(),
            request.domain(),
            request.source().describe()
        );
        let mut log = vec![
            LogEntry::new(now, action::REQUEST_SENT, Outcome::Ok, message)
                .ctid(Some(&ctid))
                .request_ref(&key),
        ];
        log.extend(status_entry(current, &record, now, Some(&ctid)));
        let change = Change {
            expected_version: current.map(|c| c.version),
            record,
            log,
            claims_request: Some(key.clone()),
        };
        match self.store.commit(&change).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(None),
            Err(StoreError::AlreadyClaimed(_)) => {
                return Ok(Some(duplicate(request.source(), request.domain())))
            }
            Err(e) => return Err(e),
        }
        tracing::info!(domain = %request.domain(), ctid, request = %key, operation = %request.operation(), "request claimed, sending to InterNetX");
        let task = request.task(&ctid, Some(self.reply.for_ctid(&ctid)));
        let result = self.gateway.send(&task).await;
        self.record_reply(change.record, request, &ctid, result)
            .await
            .map(Some)
    }

    /// Logs why a request is not sent, marking its event as handled.
    /// `None`: the domain changed since it was read; decide again.
    pub(crate) async fn refuse(
        &self,
        existing: &DomainRecord,
        source: &Source,
        domain: &DomainName,
        outcome: Outcome,
        reason: String,
    ) -> Result<Option<ItemReport>, StoreError> {
        let key = source.key();
        tracing::warn!(domain = %domain, request = %key, %reason, "request not sent");
        let now = self.clock.now();
        let mut record = existing.clone();
        touch(&mut record, now);
        let log = LogEntry::new(now, action::REQUEST_REJECTED, outcome, reason.clone())
            .ctid(existing.ctid.as_deref())
            .request_ref(&key);
        let change = Change {
            expected_version: Some(existing.version),
            record,
            log: vec![log],
            claims_request: Some(key),
        };
        match self.store.commit(&change).await {
            Ok(()) => {
                let outcome = if outcome == Outcome::Ignored {
                    ItemOutcome::Duplicate
                } else {
                    ItemOutcome::Refused
                };
                Ok(Some(report(source, domain, outcome, None, Some(reason))))
            }
            Err(StoreError::Conflict) => Ok(None),
            Err(StoreError::AlreadyClaimed(_)) => Ok(Some(duplicate(source, domain))),
            Err(e) => Err(e),
        }
    }

    /// Stores the gateway's answer on the claimed domain item.
    async fn record_reply(
        &self,
        mut record: DomainRecord,
        request: &impl Outgoing,
        ctid: &str,
        result: Result<Exchange, GatewayError>,
    ) -> Result<ItemReport, StoreError> {
        let reply = Reply::from_result(request.operation(), request.domain(), ctid, result);
        for _ in 0..MAX_ATTEMPTS {
            let now = self.clock.now();
            let before = record.clone();
            let mut next = record.clone();
            let log = reply.apply(&mut next, ctid, now);
            let mut entries = vec![log];
            entries.extend(status_entry(Some(&before), &next, now, Some(ctid)));
            let change = Change {
                expected_version: Some(before.version),
                record: next,
                log: entries,
                claims_request: None,
            };
            match self.store.commit(&change).await {
                Ok(()) => {
                    tracing::info!(domain = %request.domain(), ctid, outcome = ?reply.outcome, reason = reply.reason.as_deref().unwrap_or(""), "gateway answer recorded");
                    return Ok(report(
                        request.source(),
                        request.domain(),
                        reply.outcome,
                        Some(ctid.to_owned()),
                        reply.reason.clone(),
                    ));
                }
                // The result mail (or an operator) got there first: re-apply on the fresh item.
                Err(StoreError::Conflict) => {
                    record = self
                        .store
                        .load(request.domain().ascii())
                        .await?
                        .ok_or_else(|| {
                            StoreError::Malformed(format!("{} vanished", request.domain()))
                        })?;
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable(format!(
            "could not record the gateway answer for {} (ctid {ctid})",
            request.domain()
        )))
    }

    async fn reject_invalid(
        &self,
        source: &Source,
        account: &Account,
        order_id: Option<&str>,
        operation: Option<Operation>,
        raw_domain: Option<&str>,
        reason: &str,
    ) -> Result<ItemReport, StoreError> {
        let label = source_label(source);
        let Some(shown) = raw_domain.and_then(presentable_name) else {
            tracing::error!(request = %source.key(), reason, "invalid item, no usable domain name: not recorded in the table");
            return Ok(ItemReport {
                item: label,
                domain: raw_domain.map(|d| clip(d, 80)),
                outcome: ItemOutcome::Invalid,
                ctid: None,
                reason: Some(reason.to_owned()),
            });
        };
        if self.store.request_claimed(&source.key()).await? {
            return Ok(ItemReport {
                item: label,
                domain: Some(shown),
                outcome: ItemOutcome::Duplicate,
                ctid: None,
                reason: None,
            });
        }
        let current = self.store.load(&shown).await?;
        let name = InvalidName(shown);
        self.record_invalid(
            source,
            account,
            order_id,
            operation.unwrap_or(Operation::Register),
            &name,
            reason,
            current,
        )
        .await
    }

    /// Writes an invalid request to the domain's log (and `Error`, when the
    /// domain has nothing better to show), marking the event as handled.
    #[allow(clippy::too_many_arguments)]
    async fn record_invalid(
        &self,
        source: &Source,
        account: &Account,
        order_id: Option<&str>,
        operation: Operation,
        domain: &dyn Named,
        reason: &str,
        mut current: Option<DomainRecord>,
    ) -> Result<ItemReport, StoreError> {
        let key = source.key();
        let message = format!(
            "{} of {} for {} not sent: {reason}",
            operation.noun(),
            domain.ascii(),
            source.describe()
        );
        tracing::error!(domain = domain.ascii(), request = %key, reason, "invalid request");
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                current = self.store.load(domain.ascii()).await?;
            }
            let now = self.clock.now();
            let mut record = match &current {
                Some(existing) => existing.clone(),
                None => new_record(
                    domain.ascii(),
                    domain.unicode(),
                    operation,
                    account,
                    order_id,
                    now,
                ),
            };
            touch(&mut record, now);
            if Status::allows(current.as_ref().map(|c| c.status), Status::Error) {
                record.status = Status::Error;
                record.registered = false;
                record.operation = operation;
                record.last_error = Some(message.clone());
                record.ctid = None;
                record.request_ref = Some(key.clone());
                record.pending_request = None;
                record.pending_auth_code = None;
            }
            let mut log = vec![LogEntry::new(
                now,
                action::REQUEST_REJECTED,
                Outcome::Error,
                message.clone(),
            )
            .request_ref(&key)];
            log.extend(status_entry(current.as_ref(), &record, now, None));
            let change = Change {
                expected_version: current.as_ref().map(|c| c.version),
                record,
                log,
                claims_request: Some(key.clone()),
            };
            match self.store.commit(&change).await {
                Ok(()) => {
                    return Ok(ItemReport {
                        item: source_label(source),
                        domain: Some(domain.ascii().to_owned()),
                        outcome: ItemOutcome::Invalid,
                        ctid: None,
                        reason: Some(reason.to_owned()),
                    })
                }
                Err(StoreError::Conflict) => continue,
                Err(StoreError::AlreadyClaimed(_)) => {
                    return Ok(ItemReport {
                        item: source_label(source),
                        domain: Some(domain.ascii().to_owned()),
                        outcome: ItemOutcome::Duplicate,
                        ctid: None,
                        reason: None,
                    })
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unavailable(format!(
            "{} kept changing",
            domain.ascii()
        )))
    }

    fn awaiting(
        &self,
        current: Option<&DomainRecord>,
        request: &DomainRequest,
        now: OffsetDateTime,
    ) -> DomainRecord {
        let mut record = base_record(current, request, now);
        touch(&mut record, now);
        record.status = Status::AwaitingPayment;
        record.registered = false;
        record.ctid = None;
        request.keep(&mut record, &self.sealer);
        record
    }
}

/// A request on its way to the gateway: what the claim, send and reply
/// steps need, whichever operation it is.
pub trait Outgoing: Sync {
    fn source(&self) -> &Source;
    fn domain(&self) -> &DomainName;
    fn operation(&self) -> Operation;
    fn task(&self, ctid: &str, reply_to: Option<String>) -> internetx::Task;
    /// The domain item as this request leaves it, before the common claim
    /// fields (status, ctid, times) are set.
    fn claim(&self, current: Option<&DomainRecord>, now: OffsetDateTime) -> DomainRecord;
    /// Keeps what a retry of this request needs on the domain item.
    fn keep(&self, _record: &mut DomainRecord, _sealer: &Sealer) {}
}

impl Outgoing for DomainRequest {
    fn source(&self) -> &Source {
        &self.source
    }
    fn domain(&self) -> &DomainName {
        &self.domain
    }
    fn operation(&self) -> Operation {
        self.operation
    }
    fn task(&self, ctid: &str, reply_to: Option<String>) -> internetx::Task {
        DomainRequest::task(self, ctid, reply_to)
    }
    fn claim(&self, current: Option<&DomainRecord>, now: OffsetDateTime) -> DomainRecord {
        let mut record = base_record(current, self, now);
        record.registered = false;
        record.nameservers = self.nameservers.iter().map(|n| n.name.clone()).collect();
        record.contacts = self.contacts.slots();
        record.drop_requested();
        record
    }
    fn keep(&self, record: &mut DomainRecord, sealer: &Sealer) {
        record.pending_request = serde_json::to_string(&self.input).ok();
        record.pending_auth_code = self.auth_code.as_ref().map(|a| sealer.seal(a.expose()));
    }
}

/// The gateway's answer, reduced to what changes the domain item.
struct Reply {
    outcome: ItemOutcome,
    reason: Option<String>,
    code: Option<String>,
    text: Option<String>,
    stid: Option<String>,
    job_id: Option<String>,
    request_xml: Option<String>,
    response_xml: Option<String>,
    message: String,
    /// No answer document: logged as `gateway.failed`.
    no_answer: bool,
}

impl Reply {
    fn from_result(
        operation: Operation,
        domain: &DomainName,
        ctid: &str,
        result: Result<Exchange, GatewayError>,
    ) -> Self {
        let what = format!("{} of {}", operation.noun(), domain);
        let mut reply = Reply {
            outcome: ItemOutcome::Accepted,
            reason: None,
            code: None,
            text: None,
            stid: None,
            job_id: None,
            request_xml: None,
            response_xml: None,
            message: String::new(),
            no_answer: false,
        };
        match result {
            Ok(exchange) => {
                let answer = &exchange.answer;
                let status = answer.deciding_status();
                reply.code = Some(status.code.clone());
                reply.text = Some(status.text.clone());
                reply.stid = answer.stid.clone();
                reply.job_id = answer.job_id.clone();
                reply.request_xml = Some(exchange.request_xml);
                reply.response_xml = Some(exchange.response_xml);
                if !answer.accepted() {
                    let reason = format!("InterNetX rejected the {what}: {}", answer.summary());
                    reply.outcome = ItemOutcome::Rejected;
                    reply.message = reason.clone();
                    reply.reason = Some(reason);
                } else if status.kind == AnswerKind::Success {
                    reply.outcome = ItemOutcome::Completed;
                    reply.message = format!(
                        "InterNetX completed the {what} at once: {} {}",
                        status.code, status.text
                    );
                } else {
                    reply.message = format!(
                        "InterNetX accepted the {what}: {} {}; the result follows by mail (ctid {ctid})",
                        status.code, status.text
                    );
                }
                if !exchange.retried.is_empty() {
                    reply.message.push_str(&format!(
                        " (after {} refusal(s) before processing, retried: {})",
                        exchange.retried.len(),
                        exchange.retried.join(", ")
                    ));
                }
            }
            Err(err) => {
                let safe = err.is_safe_to_resend();
                if let GatewayError::Protocol {
                    request_xml,
                    response_xml,
                    ..
                } = &err
                {
                    reply.request_xml = Some(request_xml.clone());
                    reply.response_xml = Some(clip(response_xml, 20_000));
                }
                if let GatewayError::Http { status, .. } = &err {
                    reply.code = Some(format!("HTTP {status}"));
                }
                if safe {
                    let reason = format!("{what} not sent: {err}");
                    reply.outcome = ItemOutcome::Failed;
                    reply.message = reason.clone();
                    reply.reason = Some(reason);
                } else {
                    let reason = format!(
                        "outcome of the {what} is unknown: {err}; not resent (that could order twice), reconciliation will settle it (ctid {ctid})"
                    );
                    reply.outcome = ItemOutcome::Unknown;
                    reply.message = reason.clone();
                    reply.reason = Some(reason);
                }
                reply.no_answer = true;
            }
        }
        reply
    }

    /// Applies the answer to the domain item, returning its log entry. When
    /// the item has moved on from this ctid (the mail came first), only the
    /// log entry is added.
    fn apply(&self, record: &mut DomainRecord, ctid: &str, now: OffsetDateTime) -> LogEntry {
        let current_op = record.ctid.as_deref() == Some(ctid);
        touch(record, now);
        let action = if self.no_answer {
            action::GATEWAY_FAILED
        } else {
            action::GATEWAY_REPLIED
        };
        let outcome = match self.outcome {
            ItemOutcome::Accepted | ItemOutcome::Completed => Outcome::Ok,
            _ => Outcome::Error,
        };
        let mut message = self.message.clone();
        if current_op {
            if self.stid.is_some() {
                record.stid = self.stid.clone();
            }
            if self.job_id.is_some() {
                record.job_id = self.job_id.clone();
            }
            match self.outcome {
                ItemOutcome::Accepted => record.registered = true,
                ItemOutcome::Completed => record.settle_success(),
                ItemOutcome::Rejected | ItemOutcome::Failed => {
                    record.settle_failure(self.reason.clone().unwrap_or_default())
                }
                _ => {}
            }
        } else {
            message.push_str(&format!(
                " (the domain had already moved on to {}; status left as is)",
                record.status
            ));
        }
        let mut entry = LogEntry::new(now, action, outcome, message).ctid(Some(ctid));
        entry.stid = self.stid.clone();
        entry.code = self.code.clone();
        entry.text = self.text.clone();
        entry.request_xml = self.request_xml.clone();
        entry.response_xml = self.response_xml.clone();
        entry
    }
}

fn decide(current: Option<&DomainRecord>, request: &DomainRequest, paid: bool) -> Decision {
    let target = if paid {
        request.operation.pending_status()
    } else {
        Status::AwaitingPayment
    };
    let Some(existing) = current else {
        return if paid {
            Decision::Send
        } else {
            Decision::AwaitPayment
        };
    };
    let what = format!("{} of {}", request.operation.noun(), request.domain);
    if existing.status == Status::AwaitingPayment && existing.account_id != request.account.id {
        return Decision::Refuse {
            outcome: Outcome::Error,
            reason: format!(
                "{what} for {} not sent: the domain awaits payment for account {}",
                request.source.describe(),
                existing.account_id
            ),
        };
    }
    if Status::allows(Some(existing.status), target) {
        return if paid {
            Decision::Send
        } else {
            Decision::AwaitPayment
        };
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
    let why = if outcome == Outcome::Ignored {
        format!(
            "{what} for {} not sent again: already handled for order {}; {state}",
            request.source.describe(),
            existing.order_id.as_deref().unwrap_or("?")
        )
    } else {
        format!("{what} for {} not sent: {state}", request.source.describe())
    };
    Decision::Refuse {
        outcome,
        reason: why,
    }
}

fn base_record(
    current: Option<&DomainRecord>,
    request: &DomainRequest,
    now: OffsetDateTime,
) -> DomainRecord {
    let mut record = match current {
        Some(existing) => existing.clone(),
        None => new_record(
            request.domain.ascii(),
            request.domain.unicode(),
            request.operation,
            &request.account,
            request.order_id.as_deref(),
            now,
        ),
    };
    record.operation = request.operation;
    record.account_id = request.account.id.clone();
    record.account_kind = request.account.kind;
    if let Some(email) = &request.account.email {
        record.notify_email = Some(email.clone());
        record.notify_language = request.account.language.map(|l| l.as_str().to_owned());
    }
    record.order_id = request.order_id.clone().or(record.order_id);
    record.last_error = None;
    record.request_ref = Some(request.source.key());
    record.stid = None;
    record.job_id = None;
    record
}

fn new_record(
    ascii: &str,
    unicode: &str,
    operation: Operation,
    account: &Account,
    order_id: Option<&str>,
    now: OffsetDateTime,
) -> DomainRecord {
    let mut record = DomainRecord::new(ascii, unicode, operation, &account.id, account.kind, now);
    record.order_id = order_id.map(str::to_owned);
    record.notify_email = account.email.clone();
    record.notify_language = account.language.map(|l| l.as_str().to_owned());
    record
}

pub(crate) fn touch(record: &mut DomainRecord, now: OffsetDateTime) {
    record.version += 1;
    record.updated_at = timestamp(now);
}

/// A `status.changed` entry when the status differs (or the item is new).
pub(crate) fn status_entry(
    before: Option<&DomainRecord>,
    after: &DomainRecord,
    now: OffsetDateTime,
    ctid: Option<&str>,
) -> Option<LogEntry> {
    let from = before.map(|b| b.status);
    if from == Some(after.status) {
        return None;
    }
    let from_text = from.map_or("(new)".to_owned(), |s| s.to_string());
    let mut message = format!("{}: {from_text} → {}", after.domain, after.status);
    if let Some(reason) = after
        .last_error
        .as_deref()
        .filter(|_| after.status == Status::Error)
    {
        message.push_str(&format!(" ({reason})"));
    }
    let outcome = if after.status == Status::Error {
        Outcome::Error
    } else {
        Outcome::Ok
    };
    let mut entry = LogEntry::new(now, action::STATUS_CHANGED, outcome, message).ctid(ctid);
    entry.status_from = from.map(|s| s.to_string());
    entry.status_to = Some(after.status.to_string());
    // Keep entries of one change in order even within one microsecond.
    entry.at = now + time::Duration::microseconds(1);
    Some(entry)
}

/// The registration or transfer request kept on the domain item.
pub(crate) fn stored_input(record: &DomainRecord, sealer: &Sealer) -> Option<DomainRequestInput> {
    let mut input: DomainRequestInput =
        serde_json::from_str(record.pending_request.as_deref()?).ok()?;
    input.auth_code = record
        .pending_auth_code
        .as_deref()
        .and_then(|sealed| sealer.open(sealed).ok());
    Some(input)
}

pub fn new_ctid() -> String {
    format!("ib-{}", ulid::Ulid::new())
}

fn collect(report: &mut Report, result: Result<ItemReport, StoreError>, item: String) {
    match result {
        Ok(item_report) => report.items.push(item_report),
        Err(e) => {
            tracing::error!(item, error = %e, "item not processed; the event will be retried");
            report.transient.push(format!("{item}: {e}"));
        }
    }
}

fn item_label(item: &OrderItem) -> String {
    match item {
        OrderItem::Domain { item_id, .. }
        | OrderItem::Other { item_id, .. }
        | OrderItem::Invalid { item_id, .. } => item_id.clone(),
    }
}

fn source_label(source: &Source) -> String {
    match source {
        Source::OrderItem { item_id, .. } => item_id.clone(),
        Source::Request { request_id } => request_id.clone(),
    }
}

fn report(
    source: &Source,
    domain: &DomainName,
    outcome: ItemOutcome,
    ctid: Option<String>,
    reason: Option<String>,
) -> ItemReport {
    ItemReport {
        item: source_label(source),
        domain: Some(domain.ascii().to_owned()),
        outcome,
        ctid,
        reason,
    }
}

fn duplicate(source: &Source, domain: &DomainName) -> ItemReport {
    tracing::info!(domain = %domain, request = %source.key(), "event handled before; nothing to do");
    report(source, domain, ItemOutcome::Duplicate, None, None)
}

/// An invalid name that can still key a domain item, so the operator sees
/// the error where they look: lower-cased, printable, bounded.
fn presentable_name(raw: &str) -> Option<String> {
    let name = raw.trim().trim_end_matches('.').to_lowercase();
    (!name.is_empty()
        && name.chars().count() <= 253
        && is_clean(&name)
        && !name.contains(char::is_whitespace)
        && !name.contains('#'))
    .then_some(name)
}

/// A name to key a domain item by: valid, or invalid but presentable.
trait Named: Sync {
    fn ascii(&self) -> &str;
    fn unicode(&self) -> &str;
}

impl Named for DomainName {
    fn ascii(&self) -> &str {
        DomainName::ascii(self)
    }
    fn unicode(&self) -> &str {
        DomainName::unicode(self)
    }
}

struct InvalidName(String);

impl Named for InvalidName {
    fn ascii(&self) -> &str {
        &self.0
    }
    fn unicode(&self) -> &str {
        &self.0
    }
}
