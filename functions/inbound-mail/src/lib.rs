//! `inbound-mail`: SES stores each InterNetX result mail in S3; the S3
//! `ObjectCreated` event runs this function, which reads the mail, lets the
//! registrar's inbound workflow authenticate and apply it, and tags the
//! object `outcome=applied|duplicate|ignored|quarantined|failed`.
//!
//! A transient error (S3 or DynamoDB unavailable) fails the invocation
//! without tagging, so Lambda retries; nothing else does.

use adapters::failure::FunctionError;
use adapters::mailbox::decode_s3_key;
use adapters::metrics::{name, Metrics};
use adapters::wiring::InboundMail;
use aws_lambda_events::s3::{S3Event, S3EventRecord};
use registrar::ports::{Clock, DomainStore, MailStore};
use registrar::workflows::inbound_mail::MailVerdict;
use serde_json::{json, Value};

/// Handles one S3 event; every record is handled even when one fails.
pub async fn handle<S: DomainStore, C: Clock, M: MailStore>(
    app: &InboundMail<S, C, M>,
    event: S3Event,
    metrics: &Metrics,
) -> Result<Value, FunctionError> {
    let mut results = Vec::new();
    let mut transient = Vec::new();
    for record in &event.records {
        match handle_record(app, record).await {
            Ok(Some((key, verdict))) => {
                metrics.count(name::MAILS, &[("Outcome", verdict.outcome.as_str())], 1);
                results.push(json!({
                    "key": key,
                    "outcome": verdict.outcome.as_str(),
                    "reason": verdict.reason,
                    "domains": verdict.domains,
                }));
            }
            Ok(None) => {}
            Err(e) => transient.push(e),
        }
    }
    if !transient.is_empty() {
        return Err(FunctionError::retryable(format!(
            "{} mail(s) will be retried: {}",
            transient.len(),
            transient.join("; ")
        )));
    }
    Ok(json!({ "mails": results }))
}

async fn handle_record<S: DomainStore, C: Clock, M: MailStore>(
    app: &InboundMail<S, C, M>,
    record: &S3EventRecord,
) -> Result<Option<(String, MailVerdict)>, String> {
    let bucket = record.s3.bucket.name.as_deref().unwrap_or_default();
    let Some(raw_key) = record.s3.object.key.as_deref() else {
        tracing::error!(bucket, "S3 record without an object key: skipped");
        return Ok(None);
    };
    let key = decode_s3_key(raw_key);
    if bucket != app.bucket {
        tracing::error!(bucket, key, expected = %app.bucket, "S3 event for another bucket: not read");
        return Ok(None);
    }
    if !key.starts_with(&app.prefix) {
        tracing::info!(bucket, key, prefix = %app.prefix, "object outside the inbound prefix: not read");
        return Ok(None);
    }
    Ok(app
        .inbound
        .handle_stored(&app.mailbox, bucket, &key)
        .await?
        .map(|verdict| (key, verdict)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use registrar::lifecycle::NoticePolicy;
    use registrar::testing::{
        in_flight_record, reply_address, seed, MemoryMailbox, MemoryStore, TestClock,
    };
    use registrar::workflows::inbound_mail::{Inbound, InboundConfig};
    use registrar::{Operation, Status};

    /// The sample event of `events/`, for another object.
    fn s3_event(bucket: &str, key: &str) -> S3Event {
        let mut event: S3Event = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/s3-inbound-mail.json"
        )))
        .unwrap();
        event.records[0].s3.bucket.name = Some(bucket.into());
        event.records[0].s3.object.key = Some(key.into());
        event
    }

    async fn app() -> InboundMail<MemoryStore, TestClock, MemoryMailbox> {
        let store = MemoryStore::default();
        let sent = time::macros::datetime!(2026-11-29 09:00 UTC);
        let record = in_flight_record("example.de", Operation::Register, "ib-1", sent);
        store.commit(&seed(record, None)).await.unwrap();
        InboundMail {
            inbound: Inbound {
                store,
                clock: TestClock::default(),
                reply: reply_address(),
                config: InboundConfig::default(),
                notices: NoticePolicy::default(),
            },
            mailbox: MemoryMailbox::default(),
            bucket: "mail".into(),
            prefix: "inbound/".into(),
        }
    }

    fn result_mail(to: &str) -> Vec<u8> {
        registrar::testing::via_ses(&format!(
            "From: robot@autodns.com\r\nTo: {to}\r\nSubject: result\r\nContent-Type: text/xml\r\n\r\n\
             <response><result><data><summary>1</summary><message><job><ctid>ib-1</ctid>\
             <status><type>success</type><code>S0101</code><text>Domain created.</text></status>\
             <domain><name>example.de</name></domain></job></message></data></result></response>"
        ))
        .into_bytes()
    }

    #[tokio::test]
    async fn an_authenticated_result_is_applied_and_its_mail_tagged() {
        let app = app().await;
        let to = app.inbound.reply.for_ctid("ib-1");
        app.mailbox
            .put("mail", "inbound/a b.eml", &result_mail(&to));
        let out = handle(&app, s3_event("mail", "inbound/a+b.eml"), &Metrics::off())
            .await
            .unwrap();
        assert_eq!(out["mails"][0]["outcome"], "applied", "{out}");
        assert_eq!(
            app.mailbox.tag_of("mail", "inbound/a b.eml").as_deref(),
            Some("applied")
        );
        assert_eq!(
            app.inbound.store.domain("example.de").unwrap().status(),
            Status::Registered
        );
    }

    #[tokio::test]
    async fn a_forged_result_changes_nothing_and_is_kept_quarantined() {
        let app = app().await;
        app.mailbox.put(
            "mail",
            "inbound/forged.eml",
            &result_mail("internetx@inbound.example.net"),
        );
        let out = handle(
            &app,
            s3_event("mail", "inbound/forged.eml"),
            &Metrics::off(),
        )
        .await
        .unwrap();
        assert_eq!(out["mails"][0]["outcome"], "quarantined");
        assert_eq!(
            app.mailbox.tag_of("mail", "inbound/forged.eml").as_deref(),
            Some("quarantined")
        );
        assert_eq!(
            app.inbound.store.domain("example.de").unwrap().status(),
            Status::Registering
        );
    }

    #[tokio::test]
    async fn other_buckets_prefixes_and_vanished_mails_are_not_read() {
        let app = app().await;
        for (bucket, key) in [
            ("other", "inbound/x.eml"),
            ("mail", "outbound/x.eml"),
            ("mail", "inbound/gone.eml"),
        ] {
            let out = handle(&app, s3_event(bucket, key), &Metrics::off())
                .await
                .unwrap();
            assert_eq!(out["mails"], json!([]), "{bucket}/{key}");
        }
    }

    #[test]
    fn the_sample_event_is_an_s3_event() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/s3-inbound-mail.json"
        );
        let text = std::fs::read_to_string(path).unwrap();
        let event: aws_lambda_events::s3::S3Event = serde_json::from_str(&text).unwrap();
        assert_eq!(
            event.records[0].s3.bucket.name.as_deref(),
            Some("bridge-mail")
        );
    }
}
