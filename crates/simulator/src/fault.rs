//! Faults the simulator can inject, per domain, to test what the connector
//! does when the gateway or the mail misbehaves. The faults queued for a
//! domain fire together, once, on its next domain task (`0101`, `0104`,
//! `0102`, `0103101`): `timeout-after-accept` with `mail-never` is a request
//! whose answer and mail are both lost. Domain info (`0105`) is never
//! disturbed, so reconciliation can ask.

use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// The answer comes after this long; the task is processed at once.
    Slow(Duration),
    /// The task is processed, then the answer is held past any client
    /// timeout: the client cannot know it was accepted.
    TimeoutAfterAccept,
    /// The connection breaks before the task is processed.
    ResetBeforeProcessing,
    /// The task is processed, then the connection breaks mid-answer.
    ResetAfterProcessing,
    /// HTTP 500 with an HTML page; the task is not processed.
    ServerError,
    /// HTTP 503 with `Retry-After: 1`, `times` requests in a row; not processed.
    Unavailable { times: u32 },
    /// The task is processed; the answer is not well-formed XML.
    MalformedAnswer,
    /// The task is processed; its result mail is never sent.
    MailNever,
    /// Every result mail of the task is sent twice (two stored objects).
    MailTwice,
    /// The result mail names another domain (same ctid and reply address).
    MailWrongDomain,
    /// The job's last step (a transfer's losing registrar, a slow registry)
    /// is held until [`crate::Simulator::release`]: intermediate mails go
    /// out, the final result and the registry's change wait — days of
    /// simulated time.
    RegistryPending,
}

impl Fault {
    /// Whether the gateway processes the task despite the fault.
    pub fn processes(&self) -> bool {
        !matches!(
            self,
            Fault::ResetBeforeProcessing | Fault::ServerError | Fault::Unavailable { .. }
        )
    }
}

impl FromStr for Fault {
    type Err = String;
    /// `slow:2s`, `timeout-after-accept`, `reset-before`, `reset-after`,
    /// `http-500`, `http-503:2`, `malformed-xml`, `mail-never`, `mail-twice`,
    /// `mail-wrong-domain`, `registry-pending` (the simulator binary's
    /// `--fault domain=kind`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, arg) = s.split_once(':').unwrap_or((s, ""));
        Ok(match kind {
            "slow" => Fault::Slow(Duration::from_secs(
                arg.trim_end_matches('s')
                    .parse()
                    .map_err(|_| format!("slow:{arg}: seconds"))?,
            )),
            "timeout-after-accept" => Fault::TimeoutAfterAccept,
            "reset-before" => Fault::ResetBeforeProcessing,
            "reset-after" => Fault::ResetAfterProcessing,
            "http-500" => Fault::ServerError,
            "http-503" => Fault::Unavailable {
                times: if arg.is_empty() {
                    1
                } else {
                    arg.parse()
                        .map_err(|_| format!("http-503:{arg}: a count"))?
                },
            },
            "malformed-xml" => Fault::MalformedAnswer,
            "mail-never" => Fault::MailNever,
            "mail-twice" => Fault::MailTwice,
            "mail-wrong-domain" => Fault::MailWrongDomain,
            "registry-pending" => Fault::RegistryPending,
            other => return Err(format!("unknown fault {other:?}")),
        })
    }
}
