//! The life cycle, table by table: every move the policy allows is written
//! with the entries it owes; every move it forbids is refused, whoever asks.

use super::*;
use crate::log::action;
use crate::ports::{DomainStore, StoreError};
use crate::record::AccountKind;
use crate::testing::{MemoryStore, TestClock};
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-29 12:00 UTC);
const ON: NoticePolicy = NoticePolicy { enabled: true };

/// A domain item in `status` (with an operation in flight when the status
/// says so), version 3, with a notification address.
fn item(status: Status, operation: Operation) -> DomainRecord {
    let mut record = in_flight_record("example.de", operation, "ib-1", NOW);
    record.life_mut().status = status;
    record.life_mut().version = 3;
    record.notify_email = Some("c@example.net".into());
    if !status.in_flight() {
        record.life_mut().ctid = None;
    }
    record
}

fn fresh() -> DomainRecord {
    let mut record = DomainRecord::new(
        "example.de",
        "example.de",
        Operation::Register,
        "CUST-1",
        AccountKind::Customer,
        NOW,
    );
    record.notify_email = Some("c@example.net".into());
    record
}

/// The transition a workflow would build to move `from` (`None`: no item)
/// to `to`.
fn moving(from: Option<Status>, to: Status, operation: Operation) -> Transition {
    let current = from.map(|s| item(s, operation));
    let mut t = Transition::of_or_new(current.as_ref(), NOW, fresh);
    match to {
        Status::Registering | Status::Transferring | Status::Updating | Status::Cancelling => {
            let op = match to {
                Status::Registering => Operation::Register,
                Status::Transferring => Operation::Transfer,
                Status::Updating => Operation::UpdateNameservers,
                _ => Operation::Cancel,
            };
            t.send(op, "ib-2", "REQUEST#R-2");
        }
        Status::AwaitingPayment => {
            t.await_payment();
        }
        Status::Error => {
            t.fail("refused".into());
        }
        Status::Registered | Status::Cancelled => {
            t.succeed();
        }
        Status::TransferredAway | Status::Deleted => {
            t.left_account(to, "gone from the account".into());
        }
    }
    t
}

fn operation_for(to: Status) -> Operation {
    match to {
        Status::Cancelled => Operation::Cancel,
        _ => Operation::Register,
    }
}

#[test]
fn every_move_is_checked_against_the_policy_table() {
    let mut allowed = 0;
    let mut refused = 0;
    let sources = std::iter::once(None).chain(Status::ALL.into_iter().map(Some));
    for from in sources {
        for to in Status::ALL {
            let t = moving(from, to, operation_for(to));
            let reached = t.record().status();
            if reached != to {
                // `succeed` reaches the operation's own final status only.
                continue;
            }
            let result = t.into_change(ON, Cause::Event);
            if from == Some(to) || Status::allows(from, to) {
                let change = result.unwrap_or_else(|e| panic!("{from:?} → {to}: {e}"));
                assert_eq!(change.record().status(), to);
                allowed += 1;
            } else {
                let refusal = result.expect_err("a move the table forbids");
                assert_eq!((refusal.from, refusal.to), (from, to));
                assert!(refusal.to_string().contains("may not move"), "{refusal}");
                refused += 1;
            }
        }
    }
    assert!(
        allowed >= 20 && refused >= 30,
        "{allowed} allowed, {refused} refused"
    );
}

/// The moves of the contract's life cycles, with the log entries each
/// writes: (from, to, the entries' actions, whether a status mail is owed).
#[test]
fn each_allowed_move_writes_its_entries_and_owes_a_mail_only_into_a_final_status() {
    use Status::*;
    let cases: &[(Option<Status>, Status, bool)] = &[
        (None, AwaitingPayment, false),
        (None, Registering, false),
        (None, Error, true),
        (Some(AwaitingPayment), Registering, false),
        (Some(Registering), Registered, true),
        (Some(Registering), Error, true),
        (Some(Transferring), Registered, true),
        (Some(Registered), Updating, false),
        (Some(Updating), Registered, true),
        (Some(Registered), Cancelling, false),
        (Some(Cancelling), Cancelled, true),
        (Some(Error), Registering, false),
        (Some(Cancelled), Registering, false),
    ];
    for &(from, to, mail) in cases {
        let operation = match (from, to) {
            (Some(Transferring), _) => Operation::Transfer,
            (Some(Updating), _) => Operation::UpdateNameservers,
            (Some(Cancelling), _) => Operation::Cancel,
            _ => operation_for(to),
        };
        let mut t = moving(from, to, operation);
        t.log(LogEntry::new(
            NOW,
            action::REQUEST_SENT,
            Outcome::Ok,
            "step".into(),
        ));
        let change = t.into_change(ON, Cause::Event).unwrap();
        let actions: Vec<_> = change.log().iter().map(|e| e.action).collect();
        assert_eq!(
            actions,
            [action::REQUEST_SENT, action::STATUS_CHANGED],
            "{from:?} → {to}"
        );
        let status = &change.log()[1];
        assert_eq!(status.status_from, from.map(|s| s.to_string()));
        assert_eq!(status.status_to.as_deref(), Some(to.as_str()));
        assert!(status.at > NOW, "the status entry sorts after the step");
        assert_eq!(change.notice().is_some(), mail, "{from:?} → {to}");
        assert_eq!(change.expected_version(), from.map(|_| 3));
        assert_eq!(
            change.record().version(),
            if from.is_some() { 4 } else { 1 }
        );
        assert_eq!(change.record().updated_at, crate::log::timestamp(NOW));
    }
}

/// A refusal or a hint only adds to the log: the item keeps its version,
/// so it never stands in the way of a writer that acts.
#[test]
fn a_write_without_a_move_only_adds_to_the_log() {
    let current = item(Status::Registered, Operation::Register);
    let mut t = Transition::of(&current, NOW);
    t.log(LogEntry::new(
        NOW,
        action::REQUEST_REJECTED,
        Outcome::Error,
        "no".into(),
    ))
    .claim("REQUEST#R-9");
    let change = t.into_change(ON, Cause::Event).unwrap();
    assert_eq!(change.log().len(), 1);
    assert!(change.notice().is_none());
    assert_eq!(change.claim(), Some("REQUEST#R-9"));
    assert!(!change.writes_item());
    assert_eq!(change.record().version(), 3);
    assert_eq!(change.expected_version(), Some(3));
}

#[test]
fn no_mail_without_an_address_or_with_status_mails_off() {
    let mut current = item(Status::Registering, Operation::Register);
    let mut t = Transition::of(&current, NOW);
    t.succeed();
    assert!(t
        .into_change(NoticePolicy::default(), Cause::Event)
        .unwrap()
        .notice()
        .is_none());
    current.notify_email = None;
    let mut t = Transition::of(&current, NOW);
    t.succeed();
    assert!(t.into_change(ON, Cause::Event).unwrap().notice().is_none());
}

#[test]
fn success_adopts_what_a_change_requested_and_failure_drops_it() {
    let mut current = item(Status::Updating, Operation::UpdateNameservers);
    current.nameservers = vec!["old1.ns.net".into(), "old2.ns.net".into()];
    current.requested_nameservers = Some(vec!["new1.ns.net".into(), "new2.ns.net".into()]);

    let mut failed = Transition::of(&current, NOW);
    failed.fail("registry refused".into());
    let f = failed.record();
    assert_eq!(f.status(), Status::Error);
    assert!(
        f.registered(),
        "a failed change leaves the domain registered"
    );
    assert_eq!(f.last_ctid.as_deref(), Some("ib-1"));
    assert!(f.ctid().is_none() && f.requested_nameservers.is_none());
    assert_eq!(f.nameservers, ["old1.ns.net", "old2.ns.net"]);

    let mut done = Transition::of(&current, NOW);
    done.succeed();
    let d = done.record();
    assert_eq!(d.status(), Status::Registered);
    assert_eq!(d.nameservers, ["new1.ns.net", "new2.ns.net"]);
    assert!(d.last_error.is_none());

    let mut transfer = item(Status::Transferring, Operation::Transfer);
    transfer.life_mut().registered = true;
    let mut t = Transition::of(&transfer, NOW);
    t.fail("refused".into());
    assert!(!t.record().registered(), "a failed transfer is not ours");
}

#[test]
fn an_operator_settlement_is_its_own_entry_and_owes_the_mail() {
    let current = item(Status::Cancelling, Operation::Cancel);
    let entry = LogEntry::new(NOW, action::OPERATOR_RESOLVED, Outcome::Ok, "by ops".into());
    let mut t = Transition::of(&current, NOW);
    t.resolve(Status::Cancelled, "by ops".into(), entry);
    let change = t.into_change(ON, Cause::Event).unwrap();
    assert_eq!(change.log().len(), 1, "no status.changed beside it");
    assert_eq!(change.log()[0].status_from.as_deref(), Some("Cancelling"));
    assert_eq!(change.log()[0].status_to.as_deref(), Some("Cancelled"));
    assert_eq!(change.notice().map(|n| n.status), Some(Status::Cancelled));

    // Registered is final: no settlement by hand moves it sideways.
    let done = item(Status::Registered, Operation::Register);
    let entry = LogEntry::new(NOW, action::OPERATOR_RESOLVED, Outcome::Ok, "x".into());
    let mut t = Transition::of(&done, NOW);
    t.resolve(Status::Cancelled, "x".into(), entry);
    assert!(t.into_change(ON, Cause::Event).is_err());
}

#[test]
fn sending_claims_a_fresh_ctid_and_clears_the_last_answer() {
    let mut current = item(Status::Error, Operation::Register);
    current.stid = Some("old".into());
    current.last_error = Some("old failure".into());
    let mut t = Transition::of(&current, NOW);
    t.send(Operation::Transfer, "ib-9", "ORDER#O#ITEM#I");
    let r = t.record();
    assert_eq!(r.status(), Status::Transferring);
    assert_eq!(r.ctid(), Some("ib-9"));
    assert!(!r.registered() && r.stid.is_none() && r.last_error.is_none());
    assert_eq!(r.request_ref.as_deref(), Some("ORDER#O#ITEM#I"));
    assert_eq!(
        r.operation_started_at.as_deref(),
        Some(crate::log::timestamp(NOW).as_str())
    );
}

#[tokio::test]
async fn the_commit_loop_decides_again_after_a_lost_race_and_honours_claims() {
    let store = MemoryStore::default();
    let clock = TestClock::default();
    let lifecycle = Lifecycle {
        store: &store,
        clock: &clock,
        notices: ON,
        cause: crate::state_event::Cause::Event,
    };
    store
        .commit(&seed(item(Status::Registered, Operation::Register), None))
        .await
        .unwrap();
    // The first decision is on a stale read (version 1 instead of 3).
    let mut stale = item(Status::Registered, Operation::Register);
    stale.life_mut().version = 1;
    let mut decisions = 0;
    let committed = lifecycle
        .commit_with_retry("example.de", Some(Some(stale)), |current, now| {
            decisions += 1;
            let mut t = Transition::of(current.expect("the item"), now);
            t.edit(|r| r.stid = Some("s-1".into())).claim("REQUEST#R-1");
            Step::write(t, decisions)
        })
        .await
        .unwrap();
    assert!(matches!(committed, Committed::Written(2, ref r) if r.version() == 4));

    let again = lifecycle
        .commit_with_retry("example.de", None, |current, now| {
            let mut t = Transition::of(current.expect("the item"), now);
            t.claim("REQUEST#R-1");
            Step::write(t, ())
        })
        .await
        .unwrap();
    assert!(matches!(again, Committed::AlreadyClaimed));

    // A refused move is an error, not a retry.
    let err = lifecycle
        .commit_with_retry("example.de", None, |current, now| {
            let mut t = Transition::of(current.expect("the item"), now);
            t.await_payment();
            Step::write(t, ())
        })
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Refused(_)), "{err}");
    assert_eq!(store.domain("example.de").unwrap().version(), 4);
}

#[test]
fn each_verification_state_the_customer_must_know_owes_one_mail() {
    use crate::record::Verification::{Failed, Pending, Verified};
    use crate::status_mail::VerificationNews;
    let news = |before: (Option<crate::record::Verification>, bool),
                after: (Option<crate::record::Verification>, bool)| {
        let mut current = item(Status::Registered, Operation::Register);
        current.domain = "example.com".into();
        (current.portfolio.owner_verification, current.portfolio.hold) = (before.0, Some(before.1));
        let mut t = Transition::of(&current, NOW);
        t.edit(|r| {
            (r.portfolio.owner_verification, r.portfolio.hold) = (after.0, Some(after.1));
            r.portfolio.verification_deadline = Some("2026-12-14T12:00:00Z".into());
            r.portfolio.verification_email = Some("o@owner.example".into());
        });
        let change = t.into_change(ON, Cause::Sync).unwrap();
        change.notice().and_then(|n| n.verification.clone())
    };
    assert_eq!(
        news((None, false), (Some(Pending), false)),
        Some(VerificationNews::Pending {
            deadline: Some("2026-12-14T12:00:00Z".into()),
            address: Some("o@owner.example".into()),
        })
    );
    assert!(matches!(
        news((Some(Verified), false), (Some(Pending), false)),
        Some(VerificationNews::Pending { .. })
    ));
    assert_eq!(
        news((Some(Failed), false), (Some(Failed), true)),
        Some(VerificationNews::Hold)
    );
    assert_eq!(
        news((Some(Failed), true), (Some(Verified), false)),
        Some(VerificationNews::Verified)
    );
    assert_eq!(
        news((Some(Pending), false), (Some(Verified), false)),
        Some(VerificationNews::Verified)
    );
    // Not news: still pending (a new deadline), failing, a resend's new
    // pending, verified from the start, a hold lifted by itself.
    for (before, after) in [
        ((Some(Pending), false), (Some(Pending), false)),
        ((Some(Pending), false), (Some(Failed), false)),
        ((Some(Failed), true), (Some(Pending), true)),
        ((None, false), (Some(Verified), false)),
        ((Some(Verified), true), (Some(Verified), false)),
    ] {
        assert_eq!(news(before, after), None, "{before:?} → {after:?}");
    }
}
