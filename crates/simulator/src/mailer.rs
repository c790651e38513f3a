//! Result mails, delivered the way InterNetX and SES do it together: a raw
//! RFC 5322 message (with the headers SES adds, verdicts included) written to
//! the mail bucket under the inbound prefix, then the S3 `ObjectCreated`
//! event handed to the mail function.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::OffsetDateTime;
use tokio::sync::mpsc::UnboundedSender;

/// Where the S3 event goes once the mail is stored.
#[derive(Debug, Clone)]
pub enum Notify {
    /// Nobody: the test reads the bucket itself.
    None,
    /// An in-process receiver (the tests' function handler).
    Channel(UnboundedSender<Value>),
    /// The Lambda Invoke API of the mail function (`cargo lambda watch`).
    Invoke(String),
}

/// How the result is laid out in the mail (the AutoDNS profile setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailFormat {
    /// "XML": the job message as the body (quoted-printable).
    XmlInline,
    /// The job message as an `application/xml` attachment (base64).
    XmlAttachment,
    /// "Standard": the legacy text block.
    Standard,
}

#[derive(Debug, Clone)]
pub struct MailDelivery {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    pub prefix: String,
    pub delay: Duration,
    pub notify: Notify,
    pub format: MailFormat,
    pub from: String,
}

/// One job message for one mail.
#[derive(Debug, Clone)]
pub struct JobMessage {
    pub ctid: String,
    pub reply_to: String,
    pub domain: String,
    pub code: String,
    pub text: String,
    pub kind: &'static str,
    pub nic_response: Option<String>,
    /// Stored copies of its mail (2: the mail is delivered twice).
    pub copies: usize,
    /// Whether the mail is sent at all (the job runs either way).
    pub mailed: bool,
    /// The domain the registry changes (the mail may name another).
    pub registry_domain: String,
    /// The server transaction id the gateway answered the task with.
    pub stid: String,
}

static COUNTER: AtomicU64 = AtomicU64::new(1);

fn next_message_id() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "sim{}{:06}{:08x}",
        OffsetDateTime::now_utc().unix_timestamp(),
        n,
        rand::random::<u32>()
    )
}

impl MailDelivery {
    /// Stores the mail and fires the S3 event; returns the object key.
    pub async fn deliver(&self, job: &JobMessage) -> Result<String, String> {
        let message_id = next_message_id();
        let raw = render_mail(job, &message_id, self.format, &self.from);
        self.store(&message_id, raw).await
    }

    /// An event notification (`domain_away`, …) to the profile's address,
    /// which InterNetX sends with no task of ours behind it; `typed`: with
    /// `<notify><type>` ([`crate::Scenario::UntypedEvents`]).
    pub async fn deliver_event(
        &self,
        to: &str,
        kind: &str,
        domain: &str,
        typed: bool,
    ) -> Result<String, String> {
        let message_id = next_message_id();
        let body = crate::portfolio::event_xml(typed.then_some(kind), domain, &message_id);
        self.deliver_notification(to, kind, domain, &message_id, &body)
            .await
    }

    /// An OCVAL event (`ocval_reminder`, `domain_deactivation_warning`).
    pub async fn deliver_ocval(
        &self,
        to: &str,
        kind: &str,
        domain: &str,
        deactivation: &str,
    ) -> Result<String, String> {
        let message_id = next_message_id();
        let body = crate::verification::event_xml(kind, domain, deactivation, &message_id);
        self.deliver_notification(to, kind, domain, &message_id, &body)
            .await
    }

    /// `transfer_start`: another registrar asked for the domain.
    pub async fn deliver_transfer_start(
        &self,
        to: &str,
        domain: &str,
        gaining_registrar: &str,
    ) -> Result<String, String> {
        let message_id = next_message_id();
        let body = crate::transfer_out::transfer_start_xml(domain, gaining_registrar, &message_id);
        self.deliver_notification(to, "transfer_start", domain, &message_id, &body)
            .await
    }

    async fn deliver_notification(
        &self,
        to: &str,
        kind: &str,
        domain: &str,
        message_id: &str,
        body: &str,
    ) -> Result<String, String> {
        let date = OffsetDateTime::now_utc()
            .format(&Rfc2822)
            .unwrap_or_default();
        let raw = format!(
            "{ses}X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n\
             From: AutoDNS <{from}>\r\nTo: {to}\r\nSubject: AutoDNS {kind} {domain}\r\n\
             Date: {date}\r\nMessage-ID: <{message_id}@autodns.com>\r\nMIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
            quoted_printable(body),
            from = self.from,
            ses = ses_received(message_id, to, &date),
        );
        self.store(message_id, raw).await
    }

    async fn store(&self, message_id: &str, raw: String) -> Result<String, String> {
        let key = format!("{}{message_id}", self.prefix);
        self.s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .body(raw.clone().into_bytes().into())
            .send()
            .await
            .map_err(|e| format!("storing the mail: {e:?}"))?;
        let event = s3_event(&self.bucket, &key, raw.len());
        match &self.notify {
            Notify::None => {}
            Notify::Channel(tx) => {
                let _ = tx.send(event);
            }
            Notify::Invoke(url) => {
                internetx::https::client_builder()
                    .build()
                    .map_err(|e| format!("an HTTP client: {e}"))?
                    .post(url)
                    .header("content-type", "application/json")
                    .body(event.to_string())
                    .timeout(Duration::from_secs(120))
                    .send()
                    .await
                    .map_err(|e| format!("invoking the mail function: {e}"))?;
            }
        }
        Ok(key)
    }
}

/// The S3 notification for one new object, as S3 sends it.
pub fn s3_event(bucket: &str, key: &str, size: usize) -> Value {
    let now = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default();
    json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": now,
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:AROAEXAMPLE:ses"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "SIM", "x-amz-id-2": "SIM"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "InboundMail",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "SIM"}, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": {"key": url_encode_key(key), "size": size, "eTag": "0", "sequencer": "0"}
        }
    }]})
}

/// S3's key encoding in events: URL-encoded, spaces as `+`.
fn url_encode_key(key: &str) -> String {
    let mut out = String::new();
    for b in key.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The job message document (as in the poll queue; the "XML" mail format).
pub fn job_xml(job: &JobMessage, message_id: &str) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let nic = job
        .nic_response
        .as_deref()
        .map(|n| format!("<nic_response>{}</nic_response>", esc(n)))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><result><data><summary>1</summary><message><id>{id}</id>\
         <owner><user>bridge</user><context>4</context></owner><job><ctid>{ctid}</ctid>\
         <status><type>{kind}</type><code>{code}</code><text>{text}</text></status>{nic}\
         <domain><name>{domain}</name></domain></job></message></data>\
         <status><code>S0905</code><text>The notification was polled successfully.</text><type>success</type></status>\
         </result></response>\n",
        id = message_id,
        ctid = esc(&job.ctid),
        kind = job.kind,
        code = esc(&job.code),
        text = esc(&job.text),
        domain = esc(&job.domain),
    )
}

/// The legacy "Standard" text block, laid out as the official sample
/// (https://en.help.internetx.com/display/APIXMLEN/Processing+Transfer-In+and+Ownerchange+Jobs):
/// `transaction` and `last_transaction` hold a server id there
/// (`qs1258619858`), never the client's ctid (protocol audit D8) — so this
/// block carries the stid the task was answered with, and no ctid at all.
pub fn standard_text(job: &JobMessage) -> String {
    let (sld, tld) = job.domain.split_once('.').unwrap_or((&job.domain, ""));
    format!(
        "Dear customer,\n\nthe following job has been processed:\n\n<system>\n\tuser: bridge\n\ttask: {task}\n\tstatus: {code} [{text}]\n\ttransaction: {stid}\n\tlast_transaction: {stid}\n</system>\n<reply>\n\ttld: {tld}\n\tsld: {sld}\n\tstatus: {kind}\n</reply>\n<notify></notify>\n",
        task = job.code.get(1..).unwrap_or_default(),
        code = job.code,
        text = job.text,
        stid = job.stid,
        kind = job.kind,
    )
}

/// What SES puts on top of every message it stores in S3: the envelope's
/// `Return-Path` and its own `Received` line naming the one recipient it
/// accepted the message for (`for <…>`), as the raw messages of the SES
/// Developer Guide's "Receiving email" examples show; the connector reads
/// the reply token from that line only.
fn ses_received(message_id: &str, to: &str, date: &str) -> String {
    format!(
        "Return-Path: <bounces@autodns.com>\r\n\
         Received: from mail.autodns.com (mail.autodns.com [62.116.129.216])\r\n by inbound-smtp.us-east-1.amazonaws.com with SMTP id {message_id}\r\n for {to};\r\n {date}\r\n"
    )
}

/// The whole raw message as SES stores it.
pub fn render_mail(job: &JobMessage, message_id: &str, format: MailFormat, from: &str) -> String {
    let date = OffsetDateTime::now_utc()
        .format(&Rfc2822)
        .unwrap_or_default();
    let headers = format!(
        "{ses}X-SES-Spam-Verdict: PASS\r\n\
         X-SES-Virus-Verdict: PASS\r\n\
         Received-SPF: pass (spfCheck: domain of autodns.com designates 62.116.129.216 as permitted sender)\r\n\
         X-SES-RECEIPT: AEFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n\
         From: AutoDNS <{from}>\r\n\
         To: {to}\r\n\
         Subject: AutoDNS {code} {domain}\r\n\
         Date: {date}\r\n\
         Message-ID: <{message_id}@autodns.com>\r\n\
         MIME-Version: 1.0\r\n",
        to = job.reply_to,
        ses = ses_received(message_id, &job.reply_to, &date),
        code = job.code,
        domain = job.domain,
    );
    match format {
        MailFormat::XmlInline => format!(
            "{headers}Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
            quoted_printable(&job_xml(job, message_id))
        ),
        MailFormat::Standard => format!(
            "{headers}Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
            quoted_printable(&standard_text(job))
        ),
        MailFormat::XmlAttachment => {
            let boundary = format!("=_sim_{message_id}");
            let attachment = STANDARD.encode(job_xml(job, message_id));
            let wrapped: Vec<&str> = attachment
                .as_bytes()
                .chunks(76)
                .map(|c| std::str::from_utf8(c).unwrap_or_default())
                .collect();
            format!(
                "{headers}Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
                 --{boundary}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nThe result of your job is attached.\r\n\
                 --{boundary}\r\nContent-Type: application/xml; name=\"result.xml\"\r\nContent-Disposition: attachment; filename=\"result.xml\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
                 --{boundary}--\r\n",
                wrapped.join("\r\n")
            )
        }
    }
}

/// RFC 2045 quoted-printable, lines at most 76 characters.
pub fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut current = String::new();
        for b in line.bytes() {
            let piece = if (b == b' ' || b == b'\t' || (33..=126).contains(&b)) && b != b'=' {
                (b as char).to_string()
            } else {
                format!("={b:02X}")
            };
            if current.len() + piece.len() > 75 {
                out.push_str(&current);
                out.push_str("=\r\n");
                current.clear();
            }
            current.push_str(&piece);
        }
        if current.ends_with(' ') || current.ends_with('\t') {
            let last = current.pop().unwrap_or(' ');
            current.push_str(&format!("={:02X}", last as u8));
        }
        out.push_str(&current);
        out.push_str("\r\n");
    }
    out
}
