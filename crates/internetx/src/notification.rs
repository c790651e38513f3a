//! Final results of asynchronous tasks, as InterNetX sends them by e-mail
//! (or poll / push): job messages in a `<response>` document, registry event
//! messages (`<notify>`), and the legacy "Standard" text block.

use crate::response::{parse_status, AnswerKind, Message, ProtocolError, StatusInfo};
use crate::tree::{self, Element};

/// One message about one task or event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    Job(JobResult),
    Event(RegistryEvent),
    /// A message of the document that could not be read; its siblings still
    /// count (protocol audit D6).
    Unreadable {
        message_id: Option<String>,
        reason: String,
    },
}

/// The result (intermediate or final) of a task we sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobResult {
    /// Candidates for our ctid: the job's `ctid` (where a production poller
    /// reads it), the message's `ctid` (where the JSON `PollMessage` has it,
    /// protocol audit D7), or in the legacy text form `transaction` /
    /// `last_transaction`.
    pub ctids: Vec<String>,
    /// Server-side ids the message carries: the message's `stid` and, in the
    /// legacy text form, `transaction` / `last_transaction` — a server id in
    /// every official sample (protocol audit D8). Matched against the stid
    /// and job id the gateway answered with.
    pub server_ids: Vec<String>,
    pub status: StatusInfo,
    /// The domain the message names (lower-cased), if any.
    pub domain: Option<String>,
    /// Registry texts (`nic_response`).
    pub nic_responses: Vec<String>,
    pub messages: Vec<Message>,
    pub message_id: Option<String>,
    pub job_id: Option<String>,
}

/// An event not caused by us (`transfer_start`, `domain_away`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryEvent {
    pub kind: String,
    pub domain: Option<String>,
    pub message_id: Option<String>,
}

impl JobResult {
    /// The task code without its status letter: `S0104001` → `0104001`.
    pub fn task_code(&self) -> &str {
        self.status.code.get(1..).unwrap_or_default()
    }

    /// Registry and detail texts in one line, for the action log.
    pub fn details(&self) -> String {
        let mut parts: Vec<String> = self
            .messages
            .iter()
            .map(|m| format!("{} {}", m.code, m.text).trim().to_owned())
            .filter(|m| !m.is_empty())
            .collect();
        parts.extend(self.nic_responses.iter().map(|n| format!("registry: {n}")));
        parts.join("; ")
    }
}

/// Reads a `<response>` document found in a result mail.
pub fn parse_notification_document(xml: &str) -> Result<Vec<Notification>, ProtocolError> {
    let root = tree::parse(xml)?;
    if root.name != "response" {
        return Err(ProtocolError::UnexpectedRoot(root.name));
    }
    let mut out = Vec::new();
    for result in root.children_named("result") {
        let messages = result
            .at(&["data"])
            .map(|d| d.children_named("message").collect::<Vec<_>>());
        for message in messages.unwrap_or_default() {
            let message_id = message.text_at(&["id"]).map(str::to_owned);
            if let Some(job) = message.child("job") {
                out.push(match job_result(job, message) {
                    Ok(job) => Notification::Job(job),
                    Err(e) => Notification::Unreadable {
                        message_id,
                        reason: e.to_string(),
                    },
                });
            } else if let Some(notify) = message.child("notify") {
                out.push(Notification::Event(registry_event(notify, message_id)));
            }
        }
    }
    if out.is_empty() {
        // The plain status form: an answer document with our ctid beside it.
        let result = root.child("result").ok_or(ProtocolError::NoStatus)?;
        let status = parse_status(result.child("status").ok_or(ProtocolError::NoStatus)?)?;
        let ctids = [root.text_at(&["ctid"]), result.text_at(&["ctid"])]
            .into_iter()
            .flatten()
            .map(str::to_owned)
            .collect();
        let domain = status
            .object
            .as_ref()
            .filter(|o| o.kind.eq_ignore_ascii_case("domain"))
            .map(|o| o.value.to_ascii_lowercase());
        let mut messages = Vec::new();
        for msg in result.children_named("msg") {
            crate::response::collect_messages(msg, &mut messages);
        }
        out.push(Notification::Job(JobResult {
            ctids,
            server_ids: root
                .text_at(&["stid"])
                .map(str::to_owned)
                .into_iter()
                .collect(),
            status,
            domain,
            nic_responses: Vec::new(),
            messages,
            message_id: None,
            job_id: None,
        }));
    }
    Ok(out)
}

fn job_result(job: &Element, message: &Element) -> Result<JobResult, ProtocolError> {
    let message_id = message.text_at(&["id"]).map(str::to_owned);
    let status_el = job.child("status").ok_or(ProtocolError::NoStatus)?;
    let status = if status_el.children.is_empty() {
        // A bare job state (`SUCCESS`, `FAILED`, …) as in the JSON job object.
        let state = status_el.text.trim().to_ascii_uppercase();
        let kind = match state.as_str() {
            "SUCCESS" => AnswerKind::Success,
            "FAILED" | "CANCELED" | "ERROR" => AnswerKind::Error,
            "" => return Err(ProtocolError::NoStatus),
            _ => AnswerKind::Notify,
        };
        StatusInfo {
            code: String::new(),
            text: state,
            kind,
            object: None,
        }
    } else {
        parse_status(status_el)?
    };
    let domain = job
        .text_at(&["domain", "name"])
        .or_else(|| {
            job.child("object")
                .filter(|o| {
                    o.text_at(&["type"])
                        .is_some_and(|t| t.eq_ignore_ascii_case("domain"))
                })
                .and_then(|o| o.text_at(&["value"]))
        })
        .or_else(|| {
            status
                .object
                .as_ref()
                .filter(|o| o.kind.eq_ignore_ascii_case("domain"))
                .map(|o| o.value.as_str())
        })
        .map(str::to_ascii_lowercase);
    let mut messages = Vec::new();
    for msg in job.children_named("msg") {
        crate::response::collect_messages(msg, &mut messages);
    }
    let mut ctids: Vec<String> = Vec::new();
    for ctid in [job.text_at(&["ctid"]), message.text_at(&["ctid"])]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        if !ctids.iter().any(|c| c == ctid) {
            ctids.push(ctid.to_owned());
        }
    }
    Ok(JobResult {
        ctids,
        server_ids: [message.text_at(&["stid"]), job.text_at(&["stid"])]
            .into_iter()
            .flatten()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        domain,
        nic_responses: job
            .children_named("nic_response")
            .map(|n| n.text.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect(),
        messages,
        message_id,
        job_id: job.text_at(&["id"]).map(str::to_owned),
        status,
    })
}

/// Names the event. The XML `Notify` object has a `type` in its keyword
/// list (https://help.internetx.com/display/APIXMLEN/Notify+Object), but the
/// published XML samples show none, so the shape decides when it is missing:
/// a `<transfer>` block (transfer_start sample, https://help.internetx.com/x/TgBHB;
/// the transfer_* events share it and cannot be told apart) → `transfer`;
/// a domain block with an `<action>` (`AUTOUPDATE_DNS` in the DomainAutoUpdate
/// sample's JSON twin) → that action in lower case; a domain block with
/// data beyond its name (the autoupdate_* and registrar-status samples) →
/// `domain_update`; otherwise `unknown`.
fn registry_event(notify: &Element, message_id: Option<String>) -> RegistryEvent {
    let is_name = |t: &&str| {
        !t.is_empty() && t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let kind = notify
        .text_at(&["type"])
        .map(str::trim)
        .filter(is_name)
        .map(str::to_ascii_lowercase)
        .or_else(|| {
            notify
                .filled_child("transfer")
                .map(|_| "transfer".to_owned())
        })
        .or_else(|| {
            notify
                .text_at(&["domain", "action"])
                .or_else(|| notify.text_at(&["action"]))
                .map(str::trim)
                .filter(is_name)
                .map(str::to_ascii_lowercase)
        })
        .or_else(|| {
            notify
                .child("domain")
                .filter(|d| d.children.iter().any(|c| c.name != "name" && !c.is_blank()))
                .map(|_| "domain_update".to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let domain = notify
        .text_at(&["domain", "name"])
        .or_else(|| notify.text_at(&["object", "value"]))
        .map(str::to_ascii_lowercase);
    RegistryEvent {
        kind,
        domain,
        message_id,
    }
}

/// Reads the legacy text block (`<system> … </system><reply> … </reply>`),
/// most likely the body of the "Standard" mail format.
pub fn parse_legacy_text(text: &str) -> Option<Notification> {
    let system = between(text, "<system>", "</system>")?;
    let reply = between(text, "<reply>", "</reply>").unwrap_or_default();
    let field = |block: &str, key: &str| -> Vec<String> {
        block
            .lines()
            .filter_map(|line| line.trim().split_once(':'))
            .filter(|(k, _)| k.trim().eq_ignore_ascii_case(key))
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .collect()
    };
    let status_line = field(system, "status").into_iter().next()?;
    let (code, text) = match status_line.split_once('[') {
        Some((code, rest)) => (
            code.trim().to_owned(),
            rest.trim_end_matches(']').trim().to_owned(),
        ),
        None => (status_line.trim().to_owned(), String::new()),
    };
    let kind = match code.chars().next() {
        Some('S') => AnswerKind::Success,
        Some('E') => AnswerKind::Error,
        Some('N') => AnswerKind::Notify,
        _ => return None,
    };
    let messages = field(system, "notice")
        .into_iter()
        .map(|notice| match notice.split_once('[') {
            Some((code, text)) => Message {
                code: code.trim().to_owned(),
                text: text.trim_end_matches(']').trim().to_owned(),
                kind: if code.trim().starts_with("EF") {
                    "error"
                } else {
                    "notice"
                }
                .to_owned(),
                object: None,
            },
            None => Message {
                code: notice.clone(),
                text: String::new(),
                kind: "notice".to_owned(),
                object: None,
            },
        })
        .collect();
    // A server id in every official sample (D8); kept as a ctid candidate
    // too, which costs nothing: a ctid only counts with its reply token.
    let mut ctids = field(system, "transaction");
    for last in field(system, "last_transaction") {
        if !ctids.contains(&last) {
            ctids.push(last);
        }
    }
    let server_ids = ctids.clone();
    let domain = match (field(reply, "sld").first(), field(reply, "tld").first()) {
        (Some(sld), Some(tld)) => Some(format!("{sld}.{tld}").to_ascii_lowercase()),
        _ => None,
    };
    Some(Notification::Job(JobResult {
        ctids,
        server_ids,
        status: StatusInfo {
            code,
            text,
            kind,
            object: None,
        },
        domain,
        nic_responses: Vec::new(),
        messages,
        message_id: None,
        job_id: None,
    }))
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = text.find(open)? + open.len();
    let end = text[start..].find(close)? + start;
    Some(&text[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_job_message() {
        let xml = "<response><result><data><summary>1</summary><message><id>21684</id><job>\
            <ctid>ib-1</ctid><status><type>success</type><code>S0101</code><text>Done.</text></status>\
            <nic_response>ok from registry</nic_response><domain><name>Example.DE</name></domain>\
            </job></message></data></result></response>";
        let out = parse_notification_document(xml).unwrap();
        let Notification::Job(job) = &out[0] else {
            panic!("{out:?}")
        };
        assert_eq!(job.ctids, ["ib-1"]);
        assert_eq!(job.status.kind, AnswerKind::Success);
        assert_eq!(job.task_code(), "0101");
        assert_eq!(job.domain.as_deref(), Some("example.de"));
        assert_eq!(job.message_id.as_deref(), Some("21684"));
        assert_eq!(job.details(), "registry: ok from registry");
    }

    #[test]
    fn reads_registry_events_without_ctid() {
        let xml = "<response><result><data><summary>1</summary><message><id>1005360835</id><owner/>\
            <notify><domain><name>example.com</name></domain><transfer><start>x</start></transfer></notify>\
            </message></data></result></response>";
        let out = parse_notification_document(xml).unwrap();
        assert_eq!(
            out,
            [Notification::Event(RegistryEvent {
                kind: "transfer".into(),
                domain: Some("example.com".into()),
                message_id: Some("1005360835".into())
            })]
        );
    }

    #[test]
    fn status_types_beyond_the_three_fall_back_to_the_code_then_the_word() {
        let kind_of = |status: &str| {
            let xml = format!(
                "<response><result><data><message><id>1</id><job><ctid>c</ctid>\
                 <status>{status}</status></job></message></data></result></response>"
            );
            match parse_notification_document(&xml).unwrap().remove(0) {
                Notification::Job(job) => Ok(job.status.kind),
                Notification::Unreadable { reason, .. } => Err(reason),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            kind_of("<type>Running</type><code>N0104</code>"),
            Ok(AnswerKind::Notify)
        );
        assert_eq!(
            kind_of("<type>failed</type><code>E0104001</code>"),
            Ok(AnswerKind::Error)
        );
        assert_eq!(
            kind_of("<type>whatever</type><code>S0104001</code>"),
            Ok(AnswerKind::Success)
        );
        assert_eq!(kind_of("<type>running</type>"), Ok(AnswerKind::Notify));
        assert_eq!(kind_of("<type>FAILED</type>"), Ok(AnswerKind::Error));
        assert!(kind_of("<type>maybe</type><code>X1</code>").is_err());
    }

    #[test]
    fn reads_the_ctid_and_stid_at_message_level() {
        let xml = "<response><result><data><message><id>7</id><ctid>ib-m</ctid><stid>s-1</stid><job>\
            <status><type>success</type><code>S0101</code></status></job></message></data></result></response>";
        let Notification::Job(job) = parse_notification_document(xml).unwrap().remove(0) else {
            panic!()
        };
        assert_eq!(job.ctids, ["ib-m"]);
        assert_eq!(job.server_ids, ["s-1"]);
    }

    #[test]
    fn reads_the_legacy_text_block() {
        let text = "Dear customer,\n<system>\n\tuser: a3qs\n\ttask: 0104001\n\tstatus: S0104001 [The incoming domain transfer (ACK) has been completed successfully.]\n\tnotice: MSG01050 [OwnerC has been imported.]\n\ttransaction: qs1258619858\n\tlast_transaction: ib-77 \n</system>\n<reply>\n\ttld: eu\n\tsld: example\n\tstatus: success\n</reply>\n<notify></notify>";
        let Some(Notification::Job(job)) = parse_legacy_text(text) else {
            panic!()
        };
        assert_eq!(job.status.code, "S0104001");
        assert_eq!(
            job.status.text,
            "The incoming domain transfer (ACK) has been completed successfully."
        );
        assert_eq!(job.ctids, ["qs1258619858", "ib-77"]);
        assert_eq!(job.domain.as_deref(), Some("example.eu"));
        assert_eq!(job.messages[0].code, "MSG01050");
        assert!(parse_legacy_text("no blocks here").is_none());
    }

    #[test]
    fn reads_the_plain_status_form_with_a_ctid() {
        let xml = "<response><result><status><code>E0104001</code><text>Transfer refused.</text><type>error</type>\
            <object><type>domain</type><value>example.com</value></object></status></result><ctid>ib-9</ctid></response>";
        let out = parse_notification_document(xml).unwrap();
        let Notification::Job(job) = &out[0] else {
            panic!()
        };
        assert_eq!(job.ctids, ["ib-9"]);
        assert_eq!(job.domain.as_deref(), Some("example.com"));
        assert_eq!(job.status.kind, AnswerKind::Error);
    }
}
