//! `inbound-mail`: SES stores each InterNetX result mail in S3; the S3
//! `ObjectCreated` event runs this function, which reads the mail, lets the
//! registrar's inbound workflow authenticate and apply it, and tags the
//! object `outcome=applied|duplicate|ignored|quarantined|failed`.
//!
//! A transient error (S3 or DynamoDB unavailable) fails the invocation
//! without tagging, so Lambda retries; nothing else does.

use adapters::mailbox::{Mailbox, MailboxError, StoredMail};
use adapters::{DynamoStore, MailConfig};
use aws_config::SdkConfig;
use aws_lambda_events::s3::{S3Event, S3EventRecord};
use lambda_runtime::Error;
use registrar::inbound::{Inbound, InboundConfig, MailOutcome, MailVerdict};
use registrar::ports::SystemClock;
use registrar::reply::ReplyAddress;
use serde_json::{json, Value};

pub struct App {
    pub inbound: Inbound<DynamoStore, SystemClock>,
    pub mailbox: Mailbox,
    pub bucket: String,
    pub prefix: String,
}

/// Builds the clients once, at cold start.
pub fn build(config: &MailConfig, aws: &SdkConfig) -> Result<App, Error> {
    let secret = config.reply_token_secret.expose().as_bytes();
    Ok(App {
        inbound: Inbound {
            store: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.domain_table)
                .with_status_notices(config.status_mails),
            clock: SystemClock,
            reply: ReplyAddress::new(&config.reply_to_address, secret)?,
            config: InboundConfig {
                max_bytes: config.max_mail_bytes,
                allowed_senders: config.allowed_senders.clone(),
            },
        },
        mailbox: Mailbox::new(aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(aws)
                .force_path_style(config.s3_force_path_style)
                .build(),
        )),
        bucket: config.mail_bucket.clone(),
        prefix: config.inbound_prefix.clone(),
    })
}

/// Handles one S3 event; every record is handled even when one fails.
pub async fn handle(app: &App, event: S3Event) -> Result<Value, Error> {
    let mut results = Vec::new();
    let mut transient = Vec::new();
    for record in &event.records {
        match handle_record(app, record).await {
            Ok(Some((key, verdict))) => results.push(json!({
                "key": key,
                "outcome": verdict.outcome.as_str(),
                "reason": verdict.reason,
                "domains": verdict.domains,
            })),
            Ok(None) => {}
            Err(e) => transient.push(e),
        }
    }
    if !transient.is_empty() {
        return Err(format!(
            "{} mail(s) will be retried: {}",
            transient.len(),
            transient.join("; ")
        )
        .into());
    }
    Ok(json!({ "mails": results }))
}

async fn handle_record(
    app: &App,
    record: &S3EventRecord,
) -> Result<Option<(String, MailVerdict)>, String> {
    let bucket = record.s3.bucket.name.as_deref().unwrap_or_default();
    let Some(raw_key) = record.s3.object.key.as_deref() else {
        tracing::error!(bucket, "S3 record without an object key: skipped");
        return Ok(None);
    };
    let key = decode_key(raw_key);
    if bucket != app.bucket {
        tracing::error!(bucket, key, expected = %app.bucket, "S3 event for another bucket: not read");
        return Ok(None);
    }
    if !key.starts_with(&app.prefix) {
        tracing::info!(bucket, key, prefix = %app.prefix, "object outside the inbound prefix: not read");
        return Ok(None);
    }
    let verdict = match app
        .mailbox
        .read(bucket, &key, app.inbound.config.max_bytes)
        .await
    {
        Ok(StoredMail::Bytes(raw)) => app
            .inbound
            .handle(&key, &raw)
            .await
            .map_err(|e| format!("{key}: {e}"))?,
        Ok(StoredMail::TooLarge(size)) => app
            .inbound
            .too_large(size)
            .expect("TooLarge is only returned above the limit"),
        Err(MailboxError::Missing { .. }) => {
            tracing::warn!(bucket, key, "mail is gone before it was read: skipped");
            return Ok(None);
        }
        Err(e) => return Err(format!("{key}: {e}")),
    };
    app.mailbox
        .tag(bucket, &key, verdict.outcome.as_str())
        .await
        .map_err(|e| format!("{key}: {e}"))?;
    let outcome = verdict.outcome.as_str();
    match verdict.outcome {
        MailOutcome::Quarantined | MailOutcome::Failed => {
            tracing::warn!(s3_key = %key, outcome, domains = ?verdict.domains, reason = %verdict.reason, "mail not applied")
        }
        _ => {
            tracing::info!(s3_key = %key, outcome, domains = ?verdict.domains, reason = %verdict.reason, "mail handled")
        }
    }
    Ok(Some((key, verdict)))
}

/// S3 event keys are URL-encoded, with `+` for a space.
pub fn decode_key(key: &str) -> String {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn decodes_s3_event_keys() {
        assert_eq!(
            super::decode_key("inbound/a+b%2Bc%3D.eml"),
            "inbound/a b+c=.eml"
        );
        assert_eq!(super::decode_key("inbound/%E2%9C%93"), "inbound/✓");
    }
}
