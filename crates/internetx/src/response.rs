//! The gateway's immediate answer: `response/result/status` (success, error or
//! notify), detail messages in `result/msg` (may nest), the server's `stid`
//! and, for some tasks, a job id in `data/*_job/job/id`.

use crate::tree::{self, Element, XmlError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// `S…`: done.
    Success,
    /// `N…`: accepted; the final result follows by mail.
    Notify,
    /// `E…`: refused.
    Error,
}

/// `object` of a status or message: what it speaks of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub kind: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusInfo {
    pub code: String,
    pub text: String,
    pub kind: AnswerKind,
    pub object: Option<ObjectRef>,
}

/// A detail message (`EF…` errors, `MSG…` notices), flattened from any nesting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub code: String,
    pub text: String,
    pub kind: String,
    pub object: Option<ObjectRef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The status of the (first) result.
    pub status: StatusInfo,
    /// Statuses of further results when a response holds several.
    pub more_statuses: Vec<StatusInfo>,
    pub messages: Vec<Message>,
    pub stid: Option<String>,
    pub job_id: Option<String>,
    /// `result/data/domain` of a domain info (`0105`) answer.
    pub domain: Option<DomainData>,
    /// Every `result/data/domain` of a domain list (`0105` with a `view`).
    pub domains: Vec<DomainData>,
    /// `result/data/summary` of a list: how many objects match in all.
    pub total: Option<u64>,
    /// `result/data/handle_verification` of a Contact Verification Info
    /// (`0344`) answer.
    pub verification: Option<crate::verification::HandleVerification>,
}

/// What a domain info answer says of the domain.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainData {
    pub name: String,
    /// `nserver/name`, lower-case, without a trailing dot.
    pub nameservers: Vec<String>,
    /// The per-domain `<status>` (lower-case): only `success` means the
    /// domain is done; a running job shows something else (protocol audit
    /// D1; `tillkahlbrock/autodns-api` DomainInquire fixture, sourcedesk's
    /// sync treats only SUCCESS as live).
    pub status: Option<String>,
    /// The `<cancelation>` InterNetX holds for the domain, if any (its type,
    /// e.g. `delete`; the JSON API calls the state `DELETE_EXPIRE` and the
    /// like): a cancelation exists (protocol audit D10).
    pub cancelation: Option<String>,
    /// `expire` and `payable` (the date InterNetX bills the next period),
    /// as RFC 3339 UTC. The XML form carries no zone ("2012-11-11
    /// 11:44:33"), read as German time ([`from_german_time`]); a zoned form
    /// is converted.
    pub expires: Option<String>,
    pub payable: Option<String>,
    /// `registry_status` (`ACTIVE`, `LOCK`, `HOLD_LOCK`, … upper-case).
    pub registry_status: Option<String>,
    /// `autorenew` (`true`/`false`, `1`/`0`).
    pub autorenew: Option<bool>,
    /// `ownerc`: the owner's handle id (what a contact verification is
    /// asked for by).
    pub owner: Option<String>,
}

impl DomainData {
    /// The registry's transfer lock, when InterNetX says: `LOCK` or
    /// `HOLD_LOCK` of the `RegistryStatusConstants` (ACTIVE, HOLD, LOCK,
    /// HOLD_LOCK, AUTO, LOCK_OWNER, LOCK_UPDATE, PENDING, NONE; InterNetX
    /// OpenAPI). `LOCK_OWNER` and `LOCK_UPDATE` lock other changes, not
    /// transfers (protocol audit D26, security review N10).
    pub fn locked(&self) -> Option<bool> {
        self.registry_status.as_deref().map(|s| {
            let s = s.trim();
            s.eq_ignore_ascii_case("LOCK") || s.eq_ignore_ascii_case("HOLD_LOCK")
        })
    }

    /// InterNetX shows the domain as done (`status` = success).
    pub fn is_done(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("success"))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("gateway answer is not usable XML: {0}")]
    Xml(#[from] XmlError),
    #[error("gateway answer has root <{0}>, expected <response>")]
    UnexpectedRoot(String),
    #[error("gateway answer has no result status")]
    NoStatus,
    #[error("gateway status {code:?} has unknown type {kind:?}")]
    UnknownStatusType { code: String, kind: String },
}

impl Answer {
    /// Accepted when every result is success or notify.
    pub fn accepted(&self) -> bool {
        self.statuses().all(|s| s.kind != AnswerKind::Error)
    }

    pub fn statuses(&self) -> impl Iterator<Item = &StatusInfo> {
        std::iter::once(&self.status).chain(self.more_statuses.iter())
    }

    /// The status that decides: the first error, else the first status.
    pub fn deciding_status(&self) -> &StatusInfo {
        self.statuses()
            .find(|s| s.kind == AnswerKind::Error)
            .unwrap_or(&self.status)
    }

    /// Error detail messages (`EF…`), which carry the actual reason.
    pub fn errors(&self) -> impl Iterator<Item = &Message> {
        self.messages
            .iter()
            .filter(|m| m.kind == "error" || m.code.starts_with("EF"))
    }

    /// One line for an operator: the detail errors first, then the status.
    pub fn summary(&self) -> String {
        let status = self.deciding_status();
        let details: Vec<String> = self
            .errors()
            .map(|m| format!("{} {}", m.code, m.text))
            .collect();
        if details.is_empty() {
            format!("{} {}", status.code, status.text)
        } else {
            format!("{} ({} {})", details.join("; "), status.code, status.text)
        }
    }
}

/// Parses a gateway answer.
pub fn parse_answer(xml: &str) -> Result<Answer, ProtocolError> {
    let root = tree::parse(xml)?;
    if root.name != "response" {
        return Err(ProtocolError::UnexpectedRoot(root.name));
    }
    let mut statuses = Vec::new();
    let mut messages = Vec::new();
    let mut job_id = None;
    let mut domain = None;
    let mut domains = Vec::new();
    let mut total = None;
    let mut verification = None;
    for result in root.children_named("result") {
        if let Some(data) = result.child("data") {
            verification = verification.or_else(|| crate::verification::parse(data));
            domains.extend(data.children_named("domain").filter_map(parse_domain_data));
            total = total.or_else(|| {
                data.text_at(&["summary"])
                    .and_then(|s| s.trim().parse().ok())
            });
        }
        if domain.is_none() {
            domain = result.at(&["data", "domain"]).and_then(parse_domain_data);
        }
        if let Some(status) = result.child("status") {
            statuses.push(parse_status(status)?);
        }
        for msg in result.children_named("msg") {
            collect_messages(msg, &mut messages);
        }
        if job_id.is_none() {
            job_id = result.child("data").and_then(find_job_id);
        }
    }
    let mut statuses = statuses.into_iter();
    let status = statuses.next().ok_or(ProtocolError::NoStatus)?;
    Ok(Answer {
        status,
        more_statuses: statuses.collect(),
        messages,
        stid: root.text_at(&["stid"]).map(str::to_owned),
        job_id,
        domain,
        domains,
        total,
        verification,
    })
}

fn parse_domain_data(domain: &Element) -> Option<DomainData> {
    let name = domain.text_at(&["name"])?.trim().to_ascii_lowercase();
    let nameservers = domain
        .children_named("nserver")
        .filter_map(|ns| ns.text_at(&["name"]))
        .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    let text = |path: &[&str]| {
        domain
            .text_at(path)
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
    };
    let cancelation = text(&["cancelation", "type"])
        .or_else(|| text(&["cancelation", "status"]))
        .or_else(|| text(&["cancelation"]))
        .or_else(|| {
            domain
                .filled_child("cancelation")
                .map(|_| "present".to_owned())
        });
    let raw = |key: &str| {
        domain
            .text_at(&[key])
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    Some(DomainData {
        name,
        nameservers,
        status: text(&["status"]),
        cancelation,
        expires: raw("expire").and_then(utc_timestamp),
        payable: raw("payable").and_then(utc_timestamp),
        registry_status: raw("registry_status").map(str::to_ascii_uppercase),
        autorenew: raw("autorenew").and_then(|v| match v.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }),
        owner: raw("ownerc").map(str::to_owned),
    })
}

/// `2012-11-11 11:44:33` (the XML form, no zone: German time, see
/// [`from_german_time`]), `2012-11-11` (a calendar day: midnight UTC, so
/// the day stays the day InterNetX wrote), or a zoned
/// `2022-01-19T10:54:42.000+0100` → RFC 3339 UTC.
pub fn utc_timestamp(value: &str) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    use time::macros::format_description;
    let v = value.trim();
    let utc = |t: time::OffsetDateTime| {
        t.to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .ok()?
            .format(&Rfc3339)
            .ok()
    };
    if let Ok(t) = time::PrimitiveDateTime::parse(
        v,
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
    ) {
        return utc(from_german_time(t));
    }
    if let Ok(d) = time::Date::parse(v, format_description!("[year]-[month]-[day]")) {
        return utc(d.midnight().assume_utc());
    }
    if let Ok(t) = time::OffsetDateTime::parse(v, &Rfc3339) {
        return utc(t);
    }
    // The JSON API's `+0100` offset without a colon.
    let zoned = format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond][offset_hour][offset_minute]"
    );
    time::OffsetDateTime::parse(v, zoned).ok().and_then(utc)
}

/// A zone-less date and time from the gateway, read as Europe/Berlin
/// local time (protocol audit D25): the same system's JSON answers carry
/// `+0100` in winter and `+0200` in summer (Cancelation Create/Update
/// examples, the transfer_start JSON sample), so the XML form without a
/// zone is most likely the same clock. Summer time by the EU rule (since
/// 1996): from the last Sunday of March to the last Sunday of October,
/// 01:00 UTC each; the hour repeated in October is read as summer time.
pub fn from_german_time(local: time::PrimitiveDateTime) -> time::OffsetDateTime {
    let last_sunday = |month: time::Month| {
        let day = time::Date::from_calendar_date(local.year(), month, 31).ok()?;
        let back = i64::from(day.weekday().number_days_from_sunday());
        Some(
            (day - time::Duration::days(back))
                .with_hms(1, 0, 0)
                .ok()?
                .assume_utc(),
        )
    };
    let summer = local.assume_offset(time::macros::offset!(+2));
    let in_summer = match (
        last_sunday(time::Month::March),
        last_sunday(time::Month::October),
    ) {
        (Some(start), Some(end)) => summer >= start && summer < end,
        _ => false,
    };
    if in_summer {
        summer
    } else {
        local.assume_offset(time::macros::offset!(+1))
    }
}

/// Reads a status block. `type` is `success`/`notify`/`error` in every
/// recorded answer; notifications may also say "Running" or "Failed"
/// (https://en.help.internetx.com/display/APIXMLEN/AutoDNS+messages, XML
/// spelling unknown), so any other type falls back to the code's first
/// letter (S, N, E), and only then to the word itself.
pub(crate) fn parse_status(status: &Element) -> Result<StatusInfo, ProtocolError> {
    let code = status
        .text_at(&["code"])
        .unwrap_or_default()
        .trim()
        .to_owned();
    let kind_text = status.text_at(&["type"]).unwrap_or_default().trim();
    let by_type = match kind_text.to_ascii_lowercase().as_str() {
        "success" => Some(AnswerKind::Success),
        "notify" | "notice" | "niccom_notify" => Some(AnswerKind::Notify),
        "error" => Some(AnswerKind::Error),
        _ => None,
    };
    let by_code = || match code.chars().next() {
        Some('S') => Some(AnswerKind::Success),
        Some('N') => Some(AnswerKind::Notify),
        Some('E') => Some(AnswerKind::Error),
        _ => None,
    };
    let by_word = || match kind_text.to_ascii_lowercase().as_str() {
        "running" | "pending" | "in_process" => Some(AnswerKind::Notify),
        "failed" | "failure" | "canceled" | "cancelled" => Some(AnswerKind::Error),
        _ => None,
    };
    let kind = match by_type.or_else(by_code).or_else(by_word) {
        Some(kind) => kind,
        None if code.is_empty() && kind_text.is_empty() => return Err(ProtocolError::NoStatus),
        None => {
            return Err(ProtocolError::UnknownStatusType {
                code,
                kind: kind_text.to_owned(),
            })
        }
    };
    Ok(StatusInfo {
        text: status.text_at(&["text"]).unwrap_or_default().to_owned(),
        code,
        kind,
        object: parse_object(status),
    })
}

fn parse_object(el: &Element) -> Option<ObjectRef> {
    let object = el.child("object")?;
    Some(ObjectRef {
        kind: object.text_at(&["type"]).unwrap_or_default().to_owned(),
        value: object.text_at(&["value"]).unwrap_or_default().to_owned(),
    })
}

pub(crate) fn collect_messages(msg: &Element, out: &mut Vec<Message>) {
    out.push(Message {
        code: msg.text_at(&["code"]).unwrap_or_default().to_owned(),
        text: msg.text_at(&["text"]).unwrap_or_default().to_owned(),
        kind: msg
            .text_at(&["type"])
            .unwrap_or_default()
            .to_ascii_lowercase(),
        object: parse_object(msg),
    });
    for nested in msg.children_named("msg") {
        collect_messages(nested, out);
    }
}

fn find_job_id(data: &Element) -> Option<String> {
    data.children
        .iter()
        .filter(|c| c.name.ends_with("_job") || c.name == "job")
        .find_map(|c| {
            let job = if c.name == "job" {
                Some(c)
            } else {
                c.child("job")
            };
            job.and_then(|j| j.text_at(&["id"])).map(str::to_owned)
        })
}

#[cfg(test)]
mod lock_tests {
    use super::DomainData;

    #[test]
    fn only_the_transfer_lock_states_count_as_locked() {
        let of = |s: &str| {
            DomainData {
                registry_status: Some(s.into()),
                ..DomainData::default()
            }
            .locked()
        };
        for locked in ["LOCK", "HOLD_LOCK", " lock "] {
            assert_eq!(of(locked), Some(true), "{locked}");
        }
        for open in ["ACTIVE", "LOCK_OWNER", "LOCK_UPDATE", "HOLD", "UNLOCKED"] {
            assert_eq!(of(open), Some(false), "{open}");
        }
        assert_eq!(DomainData::default().locked(), None);
    }
}
