//! The mail bucket: reading SES-stored mails and tagging their outcome.
//! Mails are never deleted or rewritten here.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{Tag, Tagging};
use aws_sdk_s3::Client;
use registrar::ports::{MailStore, MailboxError, StoredMail};

#[derive(Debug, Clone)]
pub struct Mailbox {
    client: Client,
}

impl Mailbox {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

/// One listed object: when it was stored, its key, its size.
type Listed = (Option<time::OffsetDateTime>, String, i64);

impl Mailbox {
    /// The objects under `prefix` in S3's (key) order, page by page through
    /// the SDK's paginator, until `enough` says the ones kept so far do.
    async fn list(
        &self,
        bucket: &str,
        prefix: &str,
        keep: impl Fn(&Listed) -> bool,
        enough: impl Fn(usize) -> bool,
    ) -> Result<Vec<Listed>, MailboxError> {
        let mut listed = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| MailboxError::Unavailable(describe(&e)))?;
            for object in page.contents() {
                let Some(key) = object.key() else { continue };
                let stored_at = object
                    .last_modified()
                    .and_then(|t| std::time::SystemTime::try_from(*t).ok())
                    .map(time::OffsetDateTime::from);
                let entry = (stored_at, key.to_owned(), object.size().unwrap_or_default());
                if keep(&entry) {
                    listed.push(entry);
                    if enough(listed.len()) {
                        return Ok(listed);
                    }
                }
            }
        }
        Ok(listed)
    }

    /// Keys under `prefix` stored at or after `since` (at most `limit`).
    pub async fn keys_since(
        &self,
        bucket: &str,
        prefix: &str,
        since: std::time::SystemTime,
        limit: usize,
    ) -> Result<Vec<String>, MailboxError> {
        let since = time::OffsetDateTime::from(since);
        let listed = self
            .list(
                bucket,
                prefix,
                |(at, _, _)| at.is_some_and(|t| t >= since),
                |n| n >= limit,
            )
            .await?;
        Ok(listed.into_iter().map(|(_, key, _)| key).collect())
    }
}

/// A stored mail as the operator sees it without its body: its key, when
/// SES stored it, its size and the outcome it was tagged with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaggedMail {
    pub key: String,
    pub stored_at: Option<time::OffsetDateTime>,
    pub size: i64,
    pub outcome: String,
}

impl Mailbox {
    /// The newest mails under `prefix` tagged `outcome` (the console's
    /// quarantined mails), newest first, at most `limit`: the newest
    /// `look_at` keys are asked for their tags, never a body.
    pub async fn latest_tagged(
        &self,
        bucket: &str,
        prefix: &str,
        outcome: &str,
        look_at: usize,
        limit: usize,
    ) -> Result<Vec<TaggedMail>, MailboxError> {
        // S3 lists keys in key order (SES names them by message id), so
        // the newest are found by their times, from a bounded listing.
        let mut objects = self
            .list(bucket, prefix, |_| true, |n| n >= 10 * look_at)
            .await?;
        objects.sort_by_key(|o| std::cmp::Reverse(o.0));
        let mut found = Vec::new();
        for (stored_at, key, size) in objects.into_iter().take(look_at) {
            let tags = self
                .client
                .get_object_tagging()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .map_err(|e| MailboxError::Unavailable(describe(&e)))?;
            let tagged = tags
                .tag_set()
                .iter()
                .any(|t| t.key() == "outcome" && t.value() == outcome);
            if tagged {
                found.push(TaggedMail {
                    key,
                    stored_at,
                    size,
                    outcome: outcome.to_owned(),
                });
                if found.len() >= limit {
                    break;
                }
            }
        }
        Ok(found)
    }
}

impl MailStore for Mailbox {
    async fn read(
        &self,
        bucket: &str,
        key: &str,
        max_bytes: u64,
    ) -> Result<StoredMail, MailboxError> {
        let out = self
            .client
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| match &e {
                SdkError::ServiceError(s) if s.err().is_no_such_key() => MailboxError::Missing {
                    bucket: bucket.to_owned(),
                    key: key.to_owned(),
                },
                _ => MailboxError::Unavailable(describe(&e)),
            })?;
        let size = out.content_length.unwrap_or_default().max(0) as u64;
        if size > max_bytes {
            return Ok(StoredMail::TooLarge(size));
        }
        let bytes = out
            .body
            .collect()
            .await
            .map_err(|e| MailboxError::Unavailable(e.to_string()))?
            .into_bytes()
            .to_vec();
        Ok(StoredMail::Bytes(bytes))
    }

    async fn tag(&self, bucket: &str, key: &str, outcome: &str) -> Result<(), MailboxError> {
        let tag = Tag::builder()
            .key("outcome")
            .value(outcome)
            .build()
            .map_err(|e| MailboxError::Unavailable(e.to_string()))?;
        let tagging = Tagging::builder()
            .tag_set(tag)
            .build()
            .map_err(|e| MailboxError::Unavailable(e.to_string()))?;
        self.client
            .put_object_tagging()
            .bucket(bucket)
            .key(key)
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| MailboxError::Unavailable(describe(&e)))?;
        Ok(())
    }
}

/// S3 event keys are URL-encoded, with `+` for a space.
pub fn decode_s3_key(key: &str) -> String {
    let spaced = key.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

fn describe<E: ProvideErrorMetadata + std::error::Error + 'static>(err: &SdkError<E>) -> String {
    match err {
        SdkError::ServiceError(s) => format!(
            "{}: {}",
            s.err().code().unwrap_or("error"),
            s.err().message().unwrap_or("")
        ),
        other => internetx::error_chain(other),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_s3_event_keys() {
        assert_eq!(
            super::decode_s3_key("inbound/a+b%2Bc%3D.eml"),
            "inbound/a b+c=.eml"
        );
        assert_eq!(super::decode_s3_key("inbound/%E2%9C%93"), "inbound/✓");
    }
}
