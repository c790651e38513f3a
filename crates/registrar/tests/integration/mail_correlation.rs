//! How a result mail finds the operation it answers (issue 14, protocol
//! audit D6–D8): by our ctid at job or message level, or — for the
//! "Standard" text block, whose `transaction` is a server id — by the stid
//! or job id InterNetX answered with, or by domain and task while exactly
//! that operation is in flight. The reply token for the operation's ctid is
//! required either way, so no path authenticates less than a ctid does.

use registrar::testing::{in_flight_record, seed, MemoryStore, TestClock};
use registrar::workflows::inbound_mail::{Inbound, MailOutcome};
use registrar::{Operation, Status};

use registrar::ports::DomainStore;

const CTID: &str = "ib-01JDCORRELATE";
const STID: &str = "20261130-app1-4711";

async fn inbound(operation: Operation) -> Inbound<MemoryStore, TestClock> {
    let store = MemoryStore::default();
    let at = time::macros::datetime!(2026-11-30 09:00 UTC);
    let mut record = in_flight_record("example.eu", operation, CTID, at);
    record.stid = Some(STID.to_owned());
    store.commit(&seed(record, None)).await.unwrap();
    registrar::testing::inbound(store)
}

fn mail(to: &str, body: &str) -> Vec<u8> {
    registrar::testing::via_ses(&format!(
        "From: AutoDNS <robot@autodns.com>\r\nTo: {to}\r\nSubject: AutoDNS\r\nMessage-ID: <m-1@autodns.com>\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n{body}"
    ))
    .into_bytes()
}

/// The official sample's layout (Processing Transfer-In and Ownerchange
/// Jobs), with a task, status and transaction of our choosing.
fn standard_block(task: &str, status: &str, transaction: &str) -> String {
    format!(
        "<system>\n\tuser: a3qs\n\ttask: {task}\n\tstatus: {status} [done]\n\ttransaction: {transaction}\n\tlast_transaction: {transaction}\n</system>\n<reply>\n\ttld: eu\n\tsld: example\n\tstatus: success\n</reply>\n<notify></notify>\n"
    )
}

#[tokio::test]
async fn a_standard_block_is_matched_by_the_stid_we_were_answered_with() {
    let inbound = inbound(Operation::Transfer).await;
    let to = inbound.reply.for_ctid(CTID);
    let raw = mail(&to, &standard_block("0104001", "S0104001", STID));
    let verdict = inbound.handle("inbound/std-1", &raw).await.unwrap();
    assert_eq!(verdict.outcome, MailOutcome::Applied, "{}", verdict.reason);
    assert_eq!(
        inbound.store.domain("example.eu").unwrap().status(),
        Status::Registered
    );
}

#[tokio::test]
async fn a_standard_block_without_a_known_id_is_matched_by_domain_and_task() {
    let inbound = inbound(Operation::Transfer).await;
    let to = inbound.reply.for_ctid(CTID);
    let raw = mail(&to, &standard_block("0104001", "E0104001", "qs1258619858"));
    let verdict = inbound.handle("inbound/std-2", &raw).await.unwrap();
    assert_eq!(verdict.outcome, MailOutcome::Applied, "{}", verdict.reason);
    assert_eq!(
        inbound.store.domain("example.eu").unwrap().status(),
        Status::Error
    );
}

#[tokio::test]
async fn without_the_token_or_for_another_task_a_standard_block_changes_nothing() {
    let inbound = inbound(Operation::Transfer).await;
    let before = inbound.store.domain("example.eu").unwrap();
    // The right stid, but delivered to an address without the ctid's token.
    let raw = mail(
        "internetx@inbound.example.net",
        &standard_block("0104001", "S0104001", STID),
    );
    let verdict = inbound.handle("inbound/std-3", &raw).await.unwrap();
    assert_eq!(
        verdict.outcome,
        MailOutcome::Quarantined,
        "{}",
        verdict.reason
    );
    // The token, but a task of another operation and an unknown id.
    let to = inbound.reply.for_ctid(CTID);
    let raw = mail(&to, &standard_block("0103101", "S0103101", "qs1"));
    let verdict = inbound.handle("inbound/std-4", &raw).await.unwrap();
    assert_eq!(
        verdict.outcome,
        MailOutcome::Quarantined,
        "{}",
        verdict.reason
    );
    assert_eq!(inbound.store.domain("example.eu").unwrap(), before);
}

#[tokio::test]
async fn one_unreadable_message_does_not_sink_its_siblings() {
    let inbound = inbound(Operation::Register).await;
    let to = inbound.reply.for_ctid(CTID);
    let body = format!(
        "<response><result><data><summary>2</summary>\
         <message><id>1</id><job><ctid>other</ctid><status><type>maybe</type><code>X0101</code></status></job></message>\
         <message><id>2</id><ctid>{CTID}</ctid><job><status><type>Running</type><code>S0101</code><text>Registered.</text></status>\
         <domain><name>example.eu</name></domain></job></message>\
         </data></result></response>"
    );
    let verdict = inbound
        .handle("inbound/two", &mail(&to, &body))
        .await
        .unwrap();
    assert_eq!(verdict.outcome, MailOutcome::Applied, "{}", verdict.reason);
    assert!(
        verdict.reason.contains("message 1") && verdict.reason.contains("X0101"),
        "{}",
        verdict.reason
    );
    assert_eq!(
        inbound.store.domain("example.eu").unwrap().status(),
        Status::Registered,
        "the ctid at message level and the code's letter decided"
    );
}
