use std::collections::HashMap;

use super::*;
use crate::lifecycle::{seed, settled_as, Lifecycle, NoticePolicy, Transition};
use crate::ports::DomainStore;
use crate::state_event::{Cause, StateEvent};
use crate::status::{Operation, Status};
use crate::testing::{in_flight_record, MemoryStore, RecordingBus, TestClock};

/// `domains` registered domains, each with `changes` expiry changes (one
/// event each) committed through the life cycle.
async fn outbox_of(domains: usize, changes: usize) -> MemoryStore {
    let store = MemoryStore::default();
    let clock = TestClock::default();
    let lifecycle = Lifecycle {
        store: &store,
        clock: &clock,
        notices: NoticePolicy::default(),
        cause: Cause::Sync,
    };
    for d in 0..domains {
        let name = format!("d{d:03}.de");
        let record = in_flight_record(&name, Operation::Register, "c", clock.now());
        store
            .commit(&seed(settled_as(record, Status::Registered), None))
            .await
            .expect("seed");
    }
    for year in 0..changes {
        for d in 0..domains {
            let current = store.domain(&format!("d{d:03}.de")).expect("seeded");
            let mut t = Transition::of(&current, clock.now());
            t.edit(|r| r.portfolio.expires_at = Some(format!("{}-01-01T00:00:00Z", 2030 + year)));
            lifecycle.commit(t).await.expect("commit");
        }
    }
    store
}

fn publisher(store: &MemoryStore) -> Publisher<&MemoryStore, RecordingBus, TestClock> {
    Publisher {
        outbox: store,
        bus: RecordingBus::default(),
        clock: TestClock::default(),
    }
}

fn ids(events: &[StateEvent]) -> Vec<String> {
    events.iter().map(|e| e.event_id.clone()).collect()
}

/// Each domain's events, in the order the bus took them, are in version order.
fn assert_version_order(sent: &[StateEvent]) {
    let mut last: HashMap<&str, u64> = HashMap::new();
    for e in sent {
        let before = last.insert(&e.domain, e.version).unwrap_or(0);
        assert!(e.version > before, "{} after version {before}", e.event_id);
    }
}

#[tokio::test]
async fn every_event_goes_out_once_in_version_order() {
    let store = outbox_of(25, 3).await;
    assert_eq!(store.outbox().len(), 75);
    let p = publisher(&store);
    let report = p.run_within(Deadline::none()).await.expect("run");
    assert_eq!((report.published, report.refused), (75, 0));
    assert_eq!(report.oldest_waiting_seconds, None);
    let sent = p.bus.sent();
    assert_eq!(sent.len(), 75);
    assert_version_order(&sent);
    let again = p.run_within(Deadline::none()).await.expect("run");
    assert_eq!(again.published, 0);
    assert_eq!(p.bus.sent().len(), 75);
}

#[tokio::test]
async fn a_publisher_killed_before_its_mark_sends_only_that_event_again() {
    let store = outbox_of(3, 1).await;
    let p = publisher(&store);
    store.fail_next_marks(1);
    assert!(
        p.run_within(Deadline::none()).await.is_err(),
        "the mark failed"
    );
    let first = ids(&p.bus.sent());
    assert_eq!(store.unpublished().len(), 3, "nothing marked");
    let report = p.run_within(Deadline::none()).await.expect("run");
    let all = ids(&p.bus.sent());
    // The bus took the whole first batch before the mark failed; exactly
    // those go out again, under the same ids, and nothing else twice.
    assert_eq!(first.len(), 3);
    assert_eq!(report.published, 3);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for id in &all {
        *counts.entry(id).or_default() += 1;
    }
    assert_eq!(counts.len(), 3);
    assert!(counts.values().all(|&n| n == 2), "{counts:?}");
    assert!(store.unpublished().is_empty());
}

#[tokio::test]
async fn a_domains_later_versions_follow_round_by_round() {
    // Two versions per domain: round one sends version 2, round two version 3.
    let store = outbox_of(2, 2).await;
    let p = publisher(&store);
    p.run_within(Deadline::none()).await.expect("run");
    assert_eq!(p.bus.sent().len(), 4);
    assert_version_order(&p.bus.sent());
}

#[tokio::test]
async fn a_refused_event_holds_its_domain_and_only_its_domain() {
    let store = outbox_of(3, 2).await;
    let p = publisher(&store);
    let held = store
        .outbox()
        .into_iter()
        .find(|e| e.domain == "d001.de")
        .expect("an event of d001");
    p.bus.refusing.lock().unwrap().push(held.event_id.clone());
    let report = p.run_within(Deadline::none()).await.expect("run");
    assert_eq!((report.published, report.refused), (4, 1));
    assert!(report.oldest_waiting_seconds.is_some());
    assert!(p.bus.sent().iter().all(|e| e.domain != "d001.de"));
    assert_eq!(store.unpublished().len(), 2, "both of d001's wait");
    p.bus.refusing.lock().unwrap().clear();
    let report = p.run_within(Deadline::none()).await.expect("run");
    assert_eq!(report.published, 2);
    assert_version_order(&p.bus.sent());
}

#[tokio::test]
async fn a_bus_outage_publishes_nothing_and_loses_nothing() {
    let store = outbox_of(12, 1).await;
    let p = publisher(&store);
    *p.bus.failing.lock().unwrap() = true;
    let report = p.run_within(Deadline::none()).await.expect("run");
    assert_eq!((report.published, report.refused), (0, 12));
    assert_eq!(store.unpublished().len(), 12);
    *p.bus.failing.lock().unwrap() = false;
    let report = p.run_within(Deadline::none()).await.expect("run");
    assert_eq!(report.published, 12);
    assert!(p.bus.calls() >= 4, "PutEvents takes ten at a time");
}
