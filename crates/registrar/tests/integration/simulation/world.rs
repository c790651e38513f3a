//! One history: the actors, the steps, and the settling at the end.

use std::collections::BTreeMap;

use registrar::deadline::Deadline;
use registrar::event::parse_event;
use registrar::lifecycle::NoticePolicy;
use registrar::report::Report;
use registrar::request::QueuedItem;
use registrar::seal::Sealer;
use registrar::testing::{
    defaults, reply_address, MemoryStore, RecordingMailer, TestClock, VecItemQueue, SECRET,
};
use registrar::workflows::inbound_mail::{Inbound, InboundConfig};
use registrar::workflows::reconcile::{domain_info, Presence, ReconcilePolicy};
use registrar::workflows::retry::{resolve, Absence};
use registrar::workflows::status_mails::Notifier;
use registrar::workflows::sync::{SyncPolicy, TransferOutPolicy};
use registrar::{DomainName, DomainRecord, Registrar, Status};
use serde_json::{json, Value};
use time::Duration;

use crate::simulation::faulty::Faulty;
use crate::simulation::invariants::{Before, Check, Input};
use crate::simulation::mails::{forged, genuine, FORGERIES};
use crate::simulation::model::{Model, Variant};
use crate::simulation::rng::Rng;

pub const DOMAINS: [&str; 5] = ["alpha.de", "beta.com", "gamma.net", "delta.de", "omega.org"];

#[derive(Debug, Clone, Copy)]
pub struct Account {
    pub id: &'static str,
    pub kind: &'static str,
    pub email: &'static str,
}

pub const ACCOUNTS: [Account; 3] = [
    Account {
        id: "PROV-1",
        kind: "provider",
        email: "ops@provider.example",
    },
    Account {
        id: "CUST-A",
        kind: "customer",
        email: "anna@a.example",
    },
    Account {
        id: "CUST-B",
        kind: "customer",
        email: "bert@b.example",
    },
];

pub fn email_of(account_id: &str) -> Option<&'static str> {
    ACCOUNTS
        .iter()
        .find(|a| a.id == account_id)
        .map(|a| a.email)
}

/// A broken guarantee: the seed, the invariant, the trace up to it.
#[derive(Debug)]
pub struct Violation {
    pub seed: u64,
    pub invariant: String,
    pub trace: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "seed {} broke an invariant: {}\nreplay: SIM_SEED={} cargo test -p registrar --test integration simulation:: -- --nocapture\ntrace:",
            self.seed, self.invariant, self.seed
        )?;
        for (i, line) in self.trace.iter().enumerate() {
            writeln!(f, "  {i:3} {line}")?;
        }
        Ok(())
    }
}

type App<'a> = Registrar<&'a Faulty<'a>, &'a Model, &'a TestClock>;

pub struct History<'a> {
    seed: u64,
    rng: Rng,
    mem: &'a MemoryStore,
    store: &'a Faulty<'a>,
    model: &'a Model,
    clock: &'a TestClock,
    app: App<'a>,
    inbound: Inbound<&'a Faulty<'a>, &'a TestClock>,
    notifier: Notifier<&'a MemoryStore, RecordingMailer, &'a TestClock>,
    queue: VecItemQueue,
    queue_done: usize,
    /// Events sent so far (for redelivery), as (detail-type, detail).
    events: Vec<(String, Value)>,
    /// Customer requests waiting for their order: (order, account, domain, operation).
    unpaid: Vec<(String, Account, String, String)>,
    /// Mails delivered (S3 key, bytes): redelivered copies and replays.
    delivered: Vec<(String, Vec<u8>)>,
    seq: u64,
    pub trace: Vec<String>,
    check: Check,
    verbose: bool,
    /// How this history's sync answers reported outgoing transfers.
    sync_policy: SyncPolicy,
    /// Verification resends (`0349`) each request id caused, redeliveries
    /// included: one at most.
    resent: BTreeMap<String, usize>,
}

const RECONCILE: ReconcilePolicy = ReconcilePolicy {
    after: Duration::hours(1),
    give_up: Duration::days(7),
    stuck_after: Duration::days(2),
    batch: 50,
};

impl<'a> History<'a> {
    pub async fn run(seed: u64, verbose: bool) -> Result<usize, Violation> {
        let mem = MemoryStore::default();
        let store = Faulty::new(&mem);
        let mut rng = Rng::new(seed);
        let variant = Variant {
            running_registration_listed: rng.chance(50),
        };
        let model = Model::new(seed, variant);
        let clock = TestClock::default();
        model.set_now(registrar::ports::Clock::now(&clock));
        let sync_policy = SyncPolicy {
            transfer_out: match rng.below(3) {
                0 => TransferOutPolicy::Operator,
                1 => TransferOutPolicy::Ack,
                _ => TransferOutPolicy::NackWhileLocked {
                    reason: internetx::NackReason::CourtOrder,
                },
            },
            ..SyncPolicy::default()
        };
        let mut history = History {
            seed,
            mem: &mem,
            store: &store,
            model: &model,
            clock: &clock,
            app: Registrar {
                store: &store,
                gateway: &model,
                clock: &clock,
                reply: reply_address(),
                sealer: Sealer::new(SECRET),
                notices: NoticePolicy { enabled: true },
                defaults: defaults(),
                payment_window: registrar::testing::PAYMENT_WINDOW,
                cause: registrar::state_event::Cause::Event,
            },
            inbound: Inbound {
                store: &store,
                clock: &clock,
                reply: reply_address(),
                config: InboundConfig::default(),
                notices: NoticePolicy { enabled: true },
            },
            notifier: Notifier {
                queue: &mem,
                mailer: RecordingMailer::default(),
                clock: &clock,
                max_attempts: 5,
                stale_after: Duration::minutes(15),
                sealer: Some(Sealer::new(SECRET)),
            },
            queue: VecItemQueue::default(),
            queue_done: 0,
            events: Vec::new(),
            unpaid: Vec::new(),
            delivered: Vec::new(),
            seq: 0,
            trace: vec![format!(
                "variant {variant:?}, transfer-out policy {:?}",
                sync_policy.transfer_out
            )],
            check: Check::default(),
            verbose,
            rng,
            sync_policy,
            resent: BTreeMap::new(),
        };
        let steps = 40 + history.rng.below(60);
        for _ in 0..steps {
            history.step().await?;
        }
        history.settle().await?;
        Ok(steps)
    }

    fn violation(&self, invariant: String) -> Violation {
        Violation {
            seed: self.seed,
            invariant,
            trace: self.trace.clone(),
        }
    }

    fn note(&mut self, line: String) {
        if self.verbose {
            println!("{:3} {line}", self.trace.len());
        }
        self.trace.push(line);
    }

    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn records(&self) -> BTreeMap<String, DomainRecord> {
        self.mem
            .domains()
            .into_iter()
            .map(|r| (r.domain.clone(), r))
            .collect()
    }

    fn before(&self, input: Input) -> Before {
        Before {
            records: self.records(),
            tasks: self.model.lock().operations,
            input,
        }
    }

    /// Kills the next invocation after a few store calls, or loses one of
    /// its commits to a concurrent writer, now and then.
    fn arm_faults(&mut self) {
        let kill = self.rng.chance(8).then(|| self.rng.below(7));
        let conflict = self.rng.chance(6).then(|| self.rng.below(3));
        // Up to 10: more than the lifecycle's 8 tries, so a write that
        // stays busy fails the invocation now and then.
        let busy = if self.rng.chance(6) {
            1 + self.rng.below(10)
        } else {
            0
        };
        if kill.is_some() || conflict.is_some() || busy > 0 {
            self.note(format!(
                "  faults: kill after {kill:?} store calls, conflict at commit {conflict:?}, {busy} busy commits"
            ));
        }
        self.store.arm(kill, conflict, busy);
    }

    fn disarm(&mut self) -> bool {
        let died = self.store.disarm();
        if died {
            self.note("  the invocation was killed".into());
        }
        died
    }

    async fn step(&mut self) -> Result<(), Violation> {
        let before;
        match self.rng.below(100) {
            0..=34 => {
                let (detail_type, detail, account) = self.new_event();
                before = self.before(Input::Event(account));
                self.send_event(&detail_type, &detail, &before).await?;
                self.events.push((detail_type, detail));
            }
            35..=39 if !self.events.is_empty() => {
                let (detail_type, detail) = self.rng.pick(&self.events).clone();
                let account = account_of(&detail);
                before = self.before(Input::Event(account));
                self.note(format!("redeliver {detail_type} {}", reference(&detail)));
                self.send_event(&detail_type, &detail, &before).await?;
            }
            40..=44 => {
                before = self.before(Input::Trusted);
                self.drain_queue().await?;
            }
            45..=56 => {
                before = self.before(Input::Trusted);
                self.model.tick();
                self.note("InterNetX: time passes for its jobs".into());
            }
            57..=69 => {
                before = self.before(Input::Trusted);
                self.deliver_mail().await?;
            }
            70..=77 => {
                before = self.before(Input::Unauthenticated);
                self.forge_mail().await?;
            }
            78..=79 => {
                before = self.before(Input::Unauthenticated);
                self.forge_queue_item().await?;
            }
            80..=91 => {
                before = self.before(Input::Trusted);
                self.time_passes().await?;
            }
            92..=96 => {
                before = self.before(Input::Trusted);
                self.operator().await?;
            }
            97..=98 => {
                // An owner who must verify asks for the mail again, often
                // twice in a row, or for two domains of one handle.
                for _ in 0..1 + usize::from(self.rng.chance(50)) {
                    let Some((domain, account)) = self.awaiting_verification() else {
                        break;
                    };
                    let detail = json!({"request_id": format!("REQ-{}", self.next()),
                        "domain": domain, "account": Self::account_json(account)});
                    let before = self.before(Input::Event(account));
                    self.send_event("VerificationResendRequested", &detail, &before)
                        .await?;
                    self.events
                        .push(("VerificationResendRequested".into(), detail));
                    self.after(&before)?;
                }
                return Ok(());
            }
            _ => {
                before = self.before(Input::Trusted);
                let domain = *self.rng.pick(&DOMAINS);
                if self.model.transfer_away(domain) {
                    self.note(format!(
                        "InterNetX: {domain} is transferred away to another registrar"
                    ));
                    self.model.lock().mails_away.push(domain.to_owned());
                }
            }
        }
        self.after(&before)
    }

    fn after(&mut self, before: &Before) -> Result<(), Violation> {
        let found = self.check.after_step(
            before,
            &self.records(),
            self.mem,
            self.model,
            &self.app.reply,
            self.notifier.mailer.sent().as_slice(),
        );
        match found {
            Ok(()) => Ok(()),
            Err(why) => Err(self.violation(why)),
        }
    }

    fn contacts(&mut self, valid: bool) -> Value {
        if !valid {
            return json!({});
        }
        json!({"owner": {"kind": "person", "first_name": "Erika", "last_name": "Muster",
            "address": ["Heidestr. 17"], "postal_code": "51147", "city": "Köln", "country": "DE",
            "phone": "+49 221 1234567", "email": "erika@example.de"}})
    }

    fn auth_code(&mut self) -> String {
        let code = format!("Sim#Auth-{}&x", self.next());
        self.check.secrets.push(code.clone());
        code
    }

    fn account(&mut self) -> Account {
        *self.rng.pick(&ACCOUNTS)
    }

    /// A domain whose owner the table has as pending or failed
    /// verification, and its account (now and then: `None`).
    fn awaiting_verification(&mut self) -> Option<(String, Account)> {
        use registrar::record::Verification;
        let waiting: Vec<(String, Account)> = self
            .records()
            .into_values()
            .filter(|r| {
                matches!(
                    r.portfolio.owner_verification,
                    Some(Verification::Pending | Verification::Failed)
                )
            })
            .filter_map(|r| {
                let account = ACCOUNTS.iter().copied().find(|a| a.id == r.account_id)?;
                Some((r.domain, account))
            })
            .collect();
        if waiting.is_empty() || self.rng.chance(20) {
            return None;
        }
        Some(self.rng.pick(&waiting).clone())
    }

    fn account_json(account: Account) -> Value {
        json!({"id": account.id, "kind": account.kind, "email": account.email})
    }

    /// A new event of CONTRACT.md §1, valid or not.
    fn new_event(&mut self) -> (String, Value, Account) {
        let account = self.account();
        let domain = *self.rng.pick(&DOMAINS);
        let id = self.next();
        let valid = !self.rng.chance(12);
        let operation = if self.rng.chance(30) {
            "transfer"
        } else {
            "register"
        };
        match self.rng.below(10) {
            0..=2 => {
                // An order, possibly paying for a request that waits.
                let waiting = self
                    .unpaid
                    .iter()
                    .position(|(_, a, _, _)| a.id == account.id && self.rng.chance(70));
                let (order_id, domain, operation) = match waiting {
                    Some(i) => {
                        let (order, _, domain, op) = self.unpaid.remove(i);
                        (order, domain, op)
                    }
                    None => (format!("ORD-{id}"), domain.to_owned(), operation.to_owned()),
                };
                let kind = if operation == "transfer" {
                    "domain_transfer"
                } else {
                    "domain_registration"
                };
                let name = if valid {
                    domain.clone()
                } else {
                    "bad..name".to_owned()
                };
                let full = valid || self.rng.chance(50);
                let mut item = json!({"item_id": format!("{order_id}-1"), "type": kind, "domain": name,
                    "contacts": self.contacts(full)});
                if operation == "transfer" {
                    item["auth_code"] = json!(self.auth_code());
                }
                let mut items = vec![item];
                if self.rng.chance(30) {
                    items.push(json!({"item_id": format!("{order_id}-2"), "type": "hosting_plan"}));
                }
                let detail = json!({"order_id": order_id, "account": Self::account_json(account), "items": items});
                ("OrderPaid".into(), detail, account)
            }
            3..=5 => {
                let mut detail = json!({"request_id": format!("REQ-{id}"), "operation": operation,
                    "account": Self::account_json(account), "domain": domain,
                    "contacts": self.contacts(valid)});
                if operation == "transfer" {
                    detail["auth_code"] = json!(self.auth_code());
                }
                if account.kind == "customer" {
                    let order = format!("ORD-{id}");
                    detail["order_id"] = json!(order);
                    self.unpaid
                        .push((order, account, domain.to_owned(), operation.to_owned()));
                }
                ("DomainRequested".into(), detail, account)
            }
            change => {
                let mut detail = json!({"request_id": format!("REQ-{id}"), "domain": domain,
                    "account": Self::account_json(account)});
                let kind = match change {
                    6 => {
                        detail["nameservers"] = json!([{"name": format!("ns1.n{id}.example")}, {"name": format!("ns2.n{id}.example")}]);
                        "NameserversChangeRequested"
                    }
                    7 => match self.rng.below(3) {
                        0 => "CancellationRequested",
                        1 => "CancellationWithdrawn",
                        _ => {
                            detail["locked"] = json!(self.rng.chance(50));
                            "TransferLockChangeRequested"
                        }
                    },
                    8 if self.rng.chance(50) => "AuthCodeRequested",
                    8 => {
                        // Mostly for an owner the table says must verify,
                        // from the domain's own account: those are sent.
                        if let Some((domain, owner)) = self.awaiting_verification() {
                            detail["domain"] = json!(domain);
                            if self.rng.chance(80) {
                                detail["account"] = Self::account_json(owner);
                                return ("VerificationResendRequested".into(), detail, owner);
                            }
                        }
                        "VerificationResendRequested"
                    }
                    _ => {
                        detail["contacts"] = json!({"admin": {"handle": format!("H-{id}")}});
                        "ContactsChangeRequested"
                    }
                };
                (kind.into(), detail, account)
            }
        }
    }

    async fn send_event(
        &mut self,
        detail_type: &str,
        detail: &Value,
        before: &Before,
    ) -> Result<(), Violation> {
        self.note(format!("event {detail_type} {}", compact(detail)));
        let event = match parse_event(detail_type, detail) {
            Ok(event) => event,
            Err(e) => {
                self.note(format!("  unreadable: {e}"));
                return Ok(());
            }
        };
        self.arm_faults();
        let resends = self.model.lock().resends.len();
        let queued = detail_type == "OrderPaid" && self.rng.chance(50);
        let report = if queued {
            match &event {
                registrar::event::InboundEvent::OrderPaid(order) => {
                    self.app.order_paid_queued(order, &self.queue).await
                }
                _ => unreachable!(),
            }
        } else {
            self.app.handle(&event).await
        };
        let died = self.disarm();
        self.report(&report);
        self.check_binding(before, &report)?;
        let sent = self.model.lock().resends.len() - resends;
        if sent > 0 {
            let request = reference(detail);
            let total = self.resent.entry(request.clone()).or_insert(0);
            *total += sent;
            if *total > 1 {
                let total = *total;
                return Err(self.violation(format!(
                    "1 (exactly once): request {request} sent {total} verification resends (0349)"
                )));
            }
        }
        if (died || !report.transient.is_empty()) && self.rng.chance(80) {
            // EventBridge delivers it again.
            self.events.push((detail_type.to_owned(), detail.clone()));
        }
        Ok(())
    }

    fn report(&mut self, report: &Report) {
        for item in &report.items {
            let line = format!(
                "  {} {} {}{}",
                item.item,
                item.domain.as_deref().unwrap_or("-"),
                item.outcome.as_str(),
                item.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            );
            self.note(line);
        }
        for t in &report.transient {
            self.note(format!("  transient: {t}"));
        }
    }

    fn check_binding(&self, before: &Before, report: &Report) -> Result<(), Violation> {
        match crate::simulation::invariants::binding(before, report) {
            Ok(()) => Ok(()),
            Err(why) => Err(self.violation(why)),
        }
    }

    /// `order-items`: the queued items, a few at a time.
    async fn drain_queue(&mut self) -> Result<(), Violation> {
        let items: Vec<QueuedItem> = self.queue.queued();
        let end = (self.queue_done + 1 + self.rng.below(3)).min(items.len());
        for item in &items[self.queue_done..end] {
            self.note(format!(
                "order-items: {} {}",
                item.key(),
                item.input.domain.as_deref().unwrap_or("-")
            ));
            let account = ACCOUNTS
                .iter()
                .copied()
                .find(|a| a.id == item.account_id)
                .unwrap_or(ACCOUNTS[0]);
            let before = self.before(Input::Event(account));
            self.arm_faults();
            let result = self.app.queued_item(item).await;
            let died = self.disarm();
            match result {
                Ok(Ok(done)) => {
                    let report = Report {
                        items: vec![done],
                        transient: Vec::new(),
                    };
                    self.report(&report);
                    self.check_binding(&before, &report)?;
                }
                Ok(Err(bad)) => self.note(format!("  bad message: {}", bad.problem)),
                Err(e) if died || e.is_transient() => {
                    self.note(format!("  transient: {e}; SQS delivers it again"));
                    return self.after(&before);
                }
                Err(e) => self.note(format!("  store error: {e}")),
            }
            self.after(&before)?;
            self.queue_done += 1;
        }
        Ok(())
    }

    async fn mail(&mut self, key: String, raw: Vec<u8>) {
        self.arm_faults();
        let verdict = self.inbound.handle(&key, &raw).await;
        let died = self.disarm();
        match verdict {
            Ok(v) => self.note(format!("  {}: {}", v.outcome.as_str(), v.reason)),
            Err(e) => self.note(format!("  transient: {e}")),
        }
        if died {
            // Lambda runs the S3 event again.
            self.delivered.push((key, raw));
        }
    }

    async fn deliver_mail(&mut self) -> Result<(), Violation> {
        let owed = {
            let mut st = self.model.lock();
            if st.mails.is_empty() {
                None
            } else {
                let i = self.rng.below(st.mails.len());
                Some(st.mails.remove(i))
            }
        };
        if let Some(owed) = owed {
            if self.rng.chance(12) {
                self.note(format!(
                    "InterNetX: the {} mail for {} is lost",
                    owed.code, owed.domain
                ));
                return Ok(());
            }
            let raw = genuine(&owed, &mut self.rng);
            let key = format!("inbound/m{}", self.next());
            self.note(format!(
                "mail {key}: {} {} ctid {}",
                owed.code, owed.domain, owed.ctid
            ));
            self.delivered.push((key.clone(), raw.clone()));
            self.mail(key, raw).await;
        } else if !self.delivered.is_empty() {
            let (key, raw) = self.rng.pick(&self.delivered).clone();
            let key = if self.rng.chance(50) {
                key
            } else {
                format!("inbound/copy{}", self.next())
            };
            self.note(format!("mail {key}: a copy of a mail delivered before"));
            self.mail(key, raw).await;
        }
        let away = self.model.lock().mails_away.pop();
        if let Some(domain) = away {
            let raw = format!("From: robot@autodns.com\r\nTo: internetx@inbound.example.net\r\nContent-Type: text/xml\r\n\r\n<response><result><data><message><id>9</id><notify><type>domain_away</type><domain><name>{domain}</name></domain></notify></message></data></result></response>").into_bytes();
            let key = format!("inbound/away{}", self.next());
            self.note(format!(
                "mail {key}: InterNetX reports {domain} gone (domain_away)"
            ));
            self.mail(key, raw).await;
        }
        Ok(())
    }

    async fn forge_mail(&mut self) -> Result<(), Violation> {
        let kind = *self.rng.pick(&FORGERIES);
        let target = *self.rng.pick(&DOMAINS);
        let records = self.records();
        let ctid = records
            .get(target)
            .and_then(|r| r.ctid().map(str::to_owned).or(r.last_ctid.clone()));
        let others: Vec<String> = records
            .values()
            .filter(|r| r.domain != target)
            .filter_map(|r| r.ctid().map(str::to_owned).or(r.last_ctid.clone()))
            .collect();
        let other = if others.is_empty() || self.rng.chance(30) {
            format!("ib-forged-{}", self.next())
        } else {
            self.rng.pick(&others).clone()
        };
        let code = *self
            .rng
            .pick(&["S0101", "S0104001", "S0102", "S0103101", "E0101"]);
        let reply = reply_address();
        let raw = forged(
            kind,
            target,
            ctid.as_deref(),
            &other,
            code,
            &|c| reply.for_ctid(c),
            &mut self.rng,
        );
        let key = format!("inbound/forged{}", self.next());
        self.note(format!(
            "forged mail {key}: {kind:?} for {target} ({code}, its ctid {ctid:?}, other {other})"
        ));
        self.mail(key, raw).await;
        Ok(())
    }

    /// A message put on the item queue by someone other than `domain-events`.
    async fn forge_queue_item(&mut self) -> Result<(), Violation> {
        let domain = *self.rng.pick(&DOMAINS);
        let body = json!([{"order_id": format!("FORGED-{}", self.next()), "item_id": "F-1",
            "account_id": "PROV-1", "account_kind": "provider", "operation": "register",
            "input": {"domain": domain, "contacts": self.contacts(true)}}])
        .to_string();
        self.note(format!("forged item-queue message for {domain}"));
        let Ok(items) = serde_json::from_str::<Vec<QueuedItem>>(&body) else {
            self.note("  not a queued item".into());
            return Ok(());
        };
        for item in &items {
            match self.app.queued_item(item).await {
                Ok(Ok(done)) => self.note(format!("  {}", done.outcome.as_str())),
                Ok(Err(bad)) => self.note(format!("  refused: {}", bad.problem)),
                Err(e) => self.note(format!("  store error: {e}")),
            }
        }
        Ok(())
    }

    async fn time_passes(&mut self) -> Result<(), Violation> {
        let minutes = *self.rng.pick(&[15, 60, 6 * 60, 2 * 24 * 60, 8 * 24 * 60]);
        self.clock.advance(Duration::minutes(minutes));
        self.model.set_now(registrar::ports::Clock::now(self.clock));
        // InterNetX's jobs go on meanwhile: most end within hours, a few
        // (a slow registry) take days.
        let ticks = match minutes {
            15 => 0,
            60 => 1,
            360 => 2,
            2880 => 4,
            _ => 8,
        };
        for _ in 0..ticks {
            self.model.tick();
        }
        self.note(format!("{minutes} minutes pass ({ticks} InterNetX steps)"));
        match self.rng.below(3) {
            0 => {
                self.arm_faults();
                let r = self.app.reconcile(RECONCILE, Deadline::none()).await;
                self.disarm();
                self.note(format!(
                    "  reconcile: {:?}",
                    r.map(|r| (r.checked, r.settled, r.given_up))
                ));
            }
            1 => {
                self.arm_faults();
                let r = self
                    .app
                    .sync(self.sync_policy.clone(), Deadline::none())
                    .await;
                self.disarm();
                self.note(format!(
                    "  sync: {}",
                    r.map_or_else(
                        |e| e.to_string(),
                        |r| format!("{} problems", r.problems.len())
                    )
                ));
            }
            _ => {
                let r = self.notifier.run(50).await;
                self.note(format!("  status-mails: {r:?}"));
            }
        }
        Ok(())
    }

    /// What an operator does with a domain in `Error` or stuck: `retry`,
    /// `retry --force` (domain info first, as the CLI does), `resolve`.
    async fn operator(&mut self) -> Result<(), Violation> {
        let records = self.records();
        let candidates: Vec<&DomainRecord> = records
            .values()
            .filter(|r| r.status() == Status::Error || r.status().in_flight())
            .collect();
        let now = registrar::ports::Clock::now(self.clock);
        let long_stuck = |r: &DomainRecord| {
            r.status() == Status::Error
                || r.operation_started_at
                    .as_deref()
                    .and_then(registrar::log::parse_timestamp)
                    .is_some_and(|at| now - at > Duration::days(7))
        };
        let Some(record) = candidates
            .get(self.rng.below(candidates.len().max(1)))
            .copied()
        else {
            return Ok(());
        };
        let Ok(name) = DomainName::parse(&record.domain) else {
            return Ok(());
        };
        match self.rng.below(4) {
            3 => {
                // The operator reads InterNetX's job list: no job for the
                // last ctid and the domain not held, then retries.
                let last = record
                    .ctid()
                    .map(str::to_owned)
                    .or(record.last_ctid.clone());
                let busy = {
                    let st = self.model.lock();
                    st.held.contains_key(name.ascii())
                        || st.jobs.iter().any(|j| Some(&j.ctid) == last.as_ref())
                };
                self.note(format!(
                    "operator: retry --force --no-job {name} (InterNetX {})",
                    if busy {
                        "has it: not retried"
                    } else {
                        "has no job"
                    }
                ));
                if !busy {
                    let r = self.app.retry(&name, Absence::NoJobConfirmed).await;
                    self.note(format!("  {r:?}"));
                }
            }
            0 => {
                self.note(format!("operator: retry {name}"));
                let r = self.app.retry(&name, Absence::Unchecked).await;
                self.note(format!("  {r:?}"));
            }
            1 => {
                self.note(format!("operator: retry --force {name}"));
                match domain_info(&self.app.gateway, name.ascii()).await {
                    Ok(Presence::Absent) => {
                        let r = self.app.retry(&name, Absence::Checked).await;
                        self.note(format!("  E0105, retried: {r:?}"));
                    }
                    other => self.note(format!("  not retried: {other:?}")),
                }
            }
            _ if long_stuck(record) => {
                // The operator settles what waited past the give-up by what
                // InterNetX shows.
                let target = match domain_info(&self.app.gateway, name.ascii()).await {
                    Ok(Presence::Listed(data)) if data.status.as_deref() == Some("success") => {
                        Status::Registered
                    }
                    _ => Status::Error,
                };
                self.note(format!("operator: resolve {name} --as {target}"));
                let r = resolve(
                    &registrar::lifecycle::Lifecycle {
                        store: self.store,
                        clock: self.clock,
                        notices: NoticePolicy { enabled: true },
                        cause: registrar::state_event::Cause::Operator,
                    },
                    &name,
                    target,
                    "sim-operator",
                    "checked at InterNetX",
                )
                .await;
                self.note(format!("  {r:?}"));
            }
            _ => {}
        }
        Ok(())
    }

    /// Faults stop; every queued item, job and mail runs its course; time
    /// passes with reconcile and sync until nothing changes; then the
    /// liveness invariants.
    async fn settle(&mut self) -> Result<(), Violation> {
        self.note("— faults stop; the history settles —".into());
        *self.model.faults.lock().unwrap_or_else(|e| e.into_inner()) = false;
        for _ in 0..4 {
            while self.queue_done < self.queue.queued().len() {
                self.drain_queue().await?;
            }
            for _ in 0..8 {
                self.model.tick();
            }
            loop {
                let owed = self.model.lock().mails.pop();
                let Some(owed) = owed else { break };
                let before = self.before(Input::Trusted);
                let raw = genuine(&owed, &mut self.rng);
                let key = format!("inbound/m{}", self.next());
                self.note(format!(
                    "mail {key}: {} {} ctid {}",
                    owed.code, owed.domain, owed.ctid
                ));
                let _ = self.inbound.handle(&key, &raw).await;
                self.after(&before)?;
            }
            let before = self.before(Input::Trusted);
            self.clock.advance(Duration::days(3));
            self.model.set_now(registrar::ports::Clock::now(self.clock));
            let r = self.app.reconcile(RECONCILE, Deadline::none()).await;
            self.note(format!(
                "reconcile: {:?}",
                r.map(|r| (r.checked, r.settled, r.given_up))
            ));
            let r = self
                .app
                .sync(self.sync_policy.clone(), Deadline::none())
                .await;
            self.note(format!("sync: {:?}", r.map(|r| r.problems)));
            let r = self.notifier.run(200).await;
            self.note(format!("status-mails: {r:?}"));
            self.after(&before)?;
        }
        match crate::simulation::invariants::settled(&self.records(), self.model) {
            Ok(()) => Ok(()),
            Err(why) => Err(self.violation(why)),
        }
    }
}

fn account_of(detail: &Value) -> Account {
    let id = detail["account"]["id"].as_str().unwrap_or("");
    ACCOUNTS
        .iter()
        .copied()
        .find(|a| a.id == id)
        .unwrap_or(ACCOUNTS[0])
}

fn reference(detail: &Value) -> String {
    detail["request_id"]
        .as_str()
        .or(detail["order_id"].as_str())
        .unwrap_or("?")
        .to_owned()
}

fn compact(detail: &Value) -> String {
    let mut d = detail.clone();
    for item in d["items"].as_array_mut().into_iter().flatten() {
        if item.get("contacts").is_some() {
            item["contacts"] = json!("…");
        }
    }
    if d.get("contacts").is_some() {
        d["contacts"] = json!("…");
    }
    d.to_string()
}
