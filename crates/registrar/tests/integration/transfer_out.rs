//! Outgoing transfers (issue 17, item 4): a registry event reports one, the
//! sync answers it per the provider's policy (ack, nack while locked, or the
//! operator's call), through the claim → send → record cycle.

use internetx::{TaskKind, TransferOutAnswer};
use registrar::deadline::Deadline;
use registrar::lifecycle::NoticePolicy;
use registrar::ports::{Clock, DomainStore};
use registrar::report::ItemOutcome;
use registrar::testing::{
    in_flight_record, registrar, seed, MemoryStore, Script, ScriptedGateway, TestClock,
};
use registrar::workflows::inbound_mail::Inbound;
use registrar::workflows::sync::{SyncPolicy, TransferOutPolicy};
use registrar::{DomainRecord, Operation, Registrar, Status};

type App = Registrar<MemoryStore, ScriptedGateway, TestClock>;

fn policy(transfer_out: TransferOutPolicy) -> SyncPolicy {
    SyncPolicy {
        page: 10,
        pages_per_run: 0,
        checks_per_run: 5,
        transfer_out,
    }
}

fn registered(domain: &str, locked: Option<bool>) -> DomainRecord {
    let at = time::macros::datetime!(2026-11-01 09:00 UTC);
    let mut record = in_flight_record(domain, Operation::Register, "ib-x", at);
    record = registrar::lifecycle::settled_as(record, Status::Registered);
    record.notify_email = Some("owner@customer.example".into());
    record.portfolio.locked = locked;
    record
}

async fn app_with(record: DomainRecord, gateway: ScriptedGateway) -> App {
    let app = registrar(gateway);
    app.gateway.list(&record.domain);
    app.store.commit(&seed(record, None)).await.unwrap();
    app
}

/// The `transfer_start` event as InterNetX's XML sample shows it: a
/// `<transfer>` block, no `<type>`.
fn transfer_start(domain: &str) -> Vec<u8> {
    format!(
        "From: AutoDNS <robot@autodns.com>\r\nTo: internetx@inbound.example.net\r\nSubject: x\r\nContent-Type: text/xml\r\n\r\n\
         <response><result><data><message><id>7</id><notify><domain><name>{domain}</name></domain>\
         <transfer><gaining_registrar>greg</gaining_registrar><loosing_registrar>lreg</loosing_registrar>\
         <start>2026-11-01 10:00:00</start><autonack>2026-11-06 10:00:00</autonack></transfer></notify></message></data></result></response>"
    )
    .into_bytes()
}

async fn report_event(app: &App, domain: &str) {
    report_event_as(app, domain, &format!("inbound/{domain}")).await;
}

/// The event mail stored under `key` (another key: another mail).
async fn report_event_as(app: &App, domain: &str, key: &str) {
    let inbound = Inbound {
        notices: NoticePolicy { enabled: true },
        clock: TestClock::at(app.clock.now()),
        ..registrar::testing::inbound(&app.store)
    };
    inbound.handle(key, &transfer_start(domain)).await.unwrap();
}

/// The `sync.transfer_out` line the sync wrote for `domain`.
fn transfer_out_line(app: &App, domain: &str, why: &str) -> registrar::LogEntry {
    app.store
        .log(domain)
        .into_iter()
        .find(|e| e.action == "sync.transfer_out")
        .expect(why)
}

fn answers(app: &App) -> Vec<TransferOutAnswer> {
    app.gateway
        .operations()
        .into_iter()
        .filter_map(|t| match t.kind {
            TaskKind::TransferOutAnswer { answer, .. } => Some(answer),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn the_ack_policy_answers_a_reported_transfer_once() {
    let app = app_with(registered("leaving.com", None), ScriptedGateway::default()).await;
    // The same mail twice (SES redelivery): one check asked for.
    report_event(&app, "leaving.com").await;
    report_event(&app, "leaving.com").await;
    let first = app
        .sync(policy(TransferOutPolicy::Ack), Deadline::none())
        .await
        .unwrap();
    assert_eq!(first.transfers_out.len(), 1, "{first:?}");
    assert_eq!(first.transfers_out[0].outcome, ItemOutcome::Accepted);
    assert_eq!(answers(&app), [TransferOutAnswer::Ack]);
    let record = app.store.domain("leaving.com").unwrap();
    assert_eq!(
        (record.status(), record.operation),
        (Status::Updating, Operation::AnswerTransferOut)
    );
    // A later run, and another report while the answer is in flight:
    // nothing is answered twice.
    app.sync(policy(TransferOutPolicy::Ack), Deadline::none())
        .await
        .unwrap();
    app.clock.advance(time::Duration::hours(2));
    report_event_as(&app, "leaving.com", "inbound/leaving.com-reminder").await;
    let again = app
        .sync(policy(TransferOutPolicy::Ack), Deadline::none())
        .await
        .unwrap();
    assert_eq!(answers(&app).len(), 1);
    assert_eq!(again.transfers_out[0].outcome, ItemOutcome::Duplicate);
    // The next day's reminder, the answer still in flight: refused.
    app.clock.advance(time::Duration::days(1));
    report_event_as(&app, "leaving.com", "inbound/leaving.com-next-day").await;
    let again = app
        .sync(policy(TransferOutPolicy::Ack), Deadline::none())
        .await
        .unwrap();
    assert_eq!(answers(&app).len(), 1);
    assert_eq!(again.transfers_out[0].outcome, ItemOutcome::Refused);
    assert!(
        again.transfers_out[0]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("in flight"),
        "{again:?}"
    );
}

#[tokio::test]
async fn nack_while_locked_refuses_only_a_locked_domain() {
    let reason = internetx::NackReason::Udrp;
    let nack = TransferOutPolicy::NackWhileLocked { reason };
    let locked = app_with(
        registered("locked.com", Some(true)),
        ScriptedGateway::default(),
    )
    .await;
    report_event(&locked, "locked.com").await;
    locked
        .sync(policy(nack.clone()), Deadline::none())
        .await
        .unwrap();
    assert_eq!(answers(&locked), [TransferOutAnswer::Nack { reason }]);

    let open = app_with(
        registered("open.com", Some(false)),
        ScriptedGateway::default(),
    )
    .await;
    report_event(&open, "open.com").await;
    let run = open.sync(policy(nack), Deadline::none()).await.unwrap();
    assert!(
        answers(&open).is_empty(),
        "an unlocked domain is not refused"
    );
    assert_eq!(run.transfers_out[0].outcome, ItemOutcome::Refused);
    let log = open.store.log("open.com");
    let line = log
        .iter()
        .find(|e| e.action == "sync.transfer_out")
        .expect("the log says why nothing was answered");
    assert!(line.message.contains("transfer lock"), "{}", line.message);
    assert_eq!(
        open.store.domain("open.com").unwrap().status(),
        Status::Registered
    );
}

#[tokio::test]
async fn the_operator_policy_logs_and_the_operator_answers() {
    let app = app_with(registered("asked.com", None), ScriptedGateway::default()).await;
    report_event(&app, "asked.com").await;
    app.sync(policy(TransferOutPolicy::Operator), Deadline::none())
        .await
        .unwrap();
    assert!(answers(&app).is_empty());
    let line = transfer_out_line(&app, "asked.com", "a log line for the operator");
    assert!(
        line.message
            .contains("internetx-bridge transfer-out asked.com ack|nack"),
        "{}",
        line.message
    );
    // The operator's answer goes through the same cycle, once.
    for _ in 0..2 {
        app.answer_transfer_out(
            "asked.com",
            TransferOutAnswer::Nack {
                reason: internetx::NackReason::Fraud,
            },
            "cli-1".into(),
        )
        .await;
    }
    assert_eq!(answers(&app).len(), 1);
}

/// An answer InterNetX does not take (the transfer ended between its info
/// and the answer) leaves a healthy domain `Registered`, changeable, and
/// sends the customer nothing.
#[tokio::test]
async fn a_refused_answer_leaves_the_domain_registered() {
    let app = app_with(
        registered("forged.com", None),
        ScriptedGateway::default().script_code("forged.com", "0106002", Script::Refuse),
    )
    .await;
    report_event(&app, "forged.com").await;
    let run = app
        .sync(policy(TransferOutPolicy::Ack), Deadline::none())
        .await
        .unwrap();
    assert_eq!(run.transfers_out[0].outcome, ItemOutcome::Rejected);
    let record = app.store.domain("forged.com").unwrap();
    assert_eq!(record.status(), Status::Registered);
    assert!(
        record.last_error.is_none(),
        "a refused answer is in the log only: {:?}",
        record.last_error
    );
    assert!(app
        .store
        .log("forged.com")
        .iter()
        .any(|e| e.action == "gateway.replied" && e.message.contains("rejected")));
    assert!(app.store.notices().is_empty(), "{:?}", app.store.notices());
}

/// A `transfer_start` mail is only a hint: InterNetX is asked (`0106001`)
/// before the log asks an operator to answer or a policy answers. On
/// b12f8b7 a forged report made the sync write a `sync.transfer_out` line
/// asking the operator to answer a transfer InterNetX never reported.
#[tokio::test]
async fn a_reported_transfer_internetx_does_not_confirm_is_never_answered_nor_put_to_the_operator()
{
    for policy_now in [TransferOutPolicy::Operator, TransferOutPolicy::Ack] {
        let app = app_with(
            registered("forged.com", None),
            ScriptedGateway::default().script_code("forged.com", "0106001", Script::Refuse),
        )
        .await;
        report_event(&app, "forged.com").await;
        let run = app
            .sync(policy(policy_now.clone()), Deadline::none())
            .await
            .unwrap();
        assert!(answers(&app).is_empty(), "{policy_now:?}");
        let asked: Vec<String> = app
            .gateway
            .operations()
            .iter()
            .map(|t| t.kind.code().to_owned())
            .collect();
        assert_eq!(asked, ["0106001"], "{policy_now:?}");
        let line = transfer_out_line(&app, "forged.com", "the log says what was found");
        assert!(line.message.contains("none pending"), "{}", line.message);
        assert!(!line.message.contains("Answer with"), "{}", line.message);
        assert_eq!(run.transfers_out[0].outcome, ItemOutcome::Refused);
        assert_eq!(
            app.store.domain("forged.com").unwrap().status(),
            Status::Registered
        );
    }
}

/// Only the task's own refusal (`E0106…`) says no transfer is pending: a
/// refused request (a login failure) says nothing, so nothing is answered
/// and the log does not claim "none pending".
#[tokio::test]
async fn a_refused_request_is_no_evidence_that_nothing_is_pending() {
    let app = app_with(
        registered("asked.com", None),
        ScriptedGateway::default().script_code("asked.com", "0106001", Script::RefuseRequest),
    )
    .await;
    report_event(&app, "asked.com").await;
    app.sync(policy(TransferOutPolicy::Ack), Deadline::none())
        .await
        .unwrap();
    assert!(answers(&app).is_empty());
    let line = transfer_out_line(&app, "asked.com", "the log says what was found");
    assert!(
        line.message.contains("could not be confirmed") && line.message.contains("E0001"),
        "{}",
        line.message
    );
    assert!(!line.message.contains("none pending"), "{}", line.message);
}

/// N10: reports of a pending transfer, one an hour, get one answer a day
/// (on b12f8b7, three forged mails sent three acks).
#[tokio::test]
async fn reports_are_answered_once_a_day() {
    let app = app_with(
        registered("forged.com", None),
        ScriptedGateway::default().script_code("forged.com", "0106002", Script::Refuse),
    )
    .await;
    for hour in 0..3 {
        app.clock.advance(time::Duration::hours(1));
        report_event_as(&app, "forged.com", &format!("inbound/forged-{hour}")).await;
        app.sync(policy(TransferOutPolicy::Ack), Deadline::none())
            .await
            .unwrap();
    }
    assert_eq!(answers(&app), [TransferOutAnswer::Ack]);
    assert_eq!(
        app.store.domain("forged.com").unwrap().status(),
        Status::Registered
    );
    app.clock.advance(time::Duration::days(1));
    report_event_as(&app, "forged.com", "inbound/forged-next-day").await;
    app.sync(policy(TransferOutPolicy::Ack), Deadline::none())
        .await
        .unwrap();
    assert_eq!(answers(&app).len(), 2, "tried again the next day");
}

#[tokio::test]
async fn an_answer_waits_for_nothing_else_in_flight() {
    let at = time::macros::datetime!(2026-11-01 09:00 UTC);
    let busy = in_flight_record("busy.com", Operation::ChangeLock, "ib-lock", at);
    let app = app_with(busy, ScriptedGateway::default()).await;
    let report = app
        .answer_transfer_out("busy.com", TransferOutAnswer::Ack, "cli-3".into())
        .await;
    assert_eq!(report.items[0].outcome, ItemOutcome::Refused);
    assert!(answers(&app).is_empty());
}

/// D19: a nack InterNetX refuses leaves the transfer pending, and a gTLD
/// registry acknowledges it at its deadline: the log line says so, and what
/// to do, instead of an ordinary "rejected".
#[tokio::test]
async fn a_refused_nack_tells_the_operator_the_domain_may_still_leave() {
    let app = app_with(
        registered("kept.com", Some(true)),
        ScriptedGateway::default().script("kept.com", Script::Refuse),
    )
    .await;
    let report = app
        .answer_transfer_out(
            "kept.com",
            TransferOutAnswer::Nack {
                reason: internetx::NackReason::CourtOrder,
            },
            "cli-9".into(),
        )
        .await;
    assert_eq!(report.items[0].outcome, ItemOutcome::Rejected);
    let reason = report.items[0].reason.clone().unwrap_or_default();
    assert!(reason.contains("NOT accepted"), "{reason}");
    let line = app
        .store
        .log("kept.com")
        .into_iter()
        .find(|e| e.action == "gateway.replied")
        .expect("the answer is logged");
    assert!(
        line.message.contains("3 (court-order)")
            && line.message.contains("acknowledges it at its deadline")
            && line
                .message
                .contains("internetx-bridge transfer-out kept.com nack"),
        "{}",
        line.message
    );
    // An ack refused (nothing pending) is no such news.
    let app = app_with(
        registered("gone.com", None),
        ScriptedGateway::default().script("gone.com", Script::Refuse),
    )
    .await;
    let report = app
        .answer_transfer_out("gone.com", TransferOutAnswer::Ack, "cli-10".into())
        .await;
    assert!(!report.items[0]
        .reason
        .clone()
        .unwrap_or_default()
        .contains("NOT accepted"));
}

/// D22: an answer whose result mail never comes is settled from
/// Transfer-Out Info (`0106001`) — nothing pending any more means the answer
/// was taken — instead of blocking the domain until reconciliation gives up
/// a week later (as on b12f8b7); still pending, it waits.
#[tokio::test]
async fn reconciliation_settles_an_answer_from_transfer_out_info() {
    use registrar::workflows::reconcile::ReconcilePolicy;
    let policy = ReconcilePolicy {
        after: time::Duration::hours(1),
        give_up: time::Duration::days(7),
        stuck_after: time::Duration::days(2),
        batch: 10,
    };
    for (pending, expected) in [(false, Status::Registered), (true, Status::Updating)] {
        let gateway = if pending {
            ScriptedGateway::default()
        } else {
            ScriptedGateway::default().script_code("kept.com", "0106001", Script::Refuse)
        };
        let app = app_with(registered("kept.com", Some(true)), gateway).await;
        let nack = TransferOutAnswer::Nack {
            reason: internetx::NackReason::WrittenObjection,
        };
        let sent = app
            .answer_transfer_out("kept.com", nack, "cli-r".into())
            .await;
        assert_eq!(sent.items[0].outcome, ItemOutcome::Accepted);
        assert_eq!(
            app.store.domain("kept.com").unwrap().status(),
            Status::Updating
        );
        app.clock.advance(time::Duration::hours(2));
        let run = app.reconcile(policy, Deadline::none()).await.unwrap();
        assert_eq!(run.checked, 1);
        let record = app.store.domain("kept.com").unwrap();
        assert_eq!(record.status(), expected, "pending {pending}: {run:?}");
        if !pending {
            assert!(app
                .store
                .log("kept.com")
                .iter()
                .any(|e| e.message.contains("no outgoing transfer pending any more")));
        }
    }
}
