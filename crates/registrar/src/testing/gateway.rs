//! A gateway double that answers as scripted and checks every request.

use std::collections::HashMap;
use std::sync::Mutex;

use internetx::response::parse_answer;
use internetx::{Exchange, GatewayError, Task, TaskKind};

use super::lock;
use crate::ports::Gateway;

/// The auth code the scripted gateway issues for `0113001`.
pub const SCRIPTED_AUTH_CODE: &str = "Scripted-Auth-7f3";

/// What the scripted gateway answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Script {
    /// `N…`: accepted, the result follows by mail.
    #[default]
    Accept,
    /// `E…` with a detail code.
    Refuse,
    /// The request as such refused (a login failure), not the task.
    RefuseRequest,
    /// The request never left (connection refused).
    Unreachable,
    /// Sent, no answer (timeout).
    NoAnswer,
}

/// Answers each task as scripted per domain (default: accept); domain info
/// (`0105`) lists the domains in `listed` and answers `E0105` for the rest.
#[derive(Debug, Default)]
pub struct ScriptedGateway {
    seen: Mutex<Vec<Task>>,
    scripts: Mutex<HashMap<String, Script>>,
    /// Per domain and task code, before the domain's own script.
    code_scripts: Mutex<HashMap<(String, String), Script>>,
    /// Domain info per domain: its `<status>` and `<cancelation>` type.
    listed: Mutex<HashMap<String, (String, Option<String>)>>,
    /// The most domains a list page holds, whatever `limit` asks.
    list_cap: Mutex<Option<u64>>,
    default: Script,
}

impl ScriptedGateway {
    /// Every task answered by `script` unless a domain has its own.
    pub fn answering(script: Script) -> Self {
        Self {
            default: script,
            ..Self::default()
        }
    }

    pub fn script(self, domain: &str, script: Script) -> Self {
        lock(&self.scripts).insert(domain.to_owned(), script);
        self
    }

    /// Tasks with this code (`0106002`) for `domain` answered as `script`,
    /// the domain's other tasks as before.
    pub fn script_code(self, domain: &str, code: &str, script: Script) -> Self {
        self.answer_code(domain, code, script);
        self
    }

    /// [`Self::script_code`] from now on, on a gateway already in use.
    pub fn answer_code(&self, domain: &str, code: &str, script: Script) {
        lock(&self.code_scripts).insert((domain.to_owned(), code.to_owned()), script);
    }

    /// Domain info lists `domain` from now on, done (`status` success).
    pub fn list(&self, domain: &str) {
        self.list_as(domain, "success", None);
    }

    /// Domain info lists `domain` with this `<status>` and cancelation.
    pub fn list_as(&self, domain: &str, status: &str, cancelation: Option<&str>) {
        lock(&self.listed).insert(
            domain.to_owned(),
            (status.to_owned(), cancelation.map(str::to_owned)),
        );
    }

    /// List pages hold at most `cap` domains, as a gateway with a maximum
    /// `limit` below the one asked would answer.
    pub fn cap_list(&self, cap: u64) {
        *lock(&self.list_cap) = Some(cap);
    }

    /// Domain info and the domain list no longer show `domain`.
    pub fn unlist(&self, domain: &str) {
        lock(&self.listed).remove(domain);
    }

    /// Every task sent, in order.
    pub fn seen(&self) -> Vec<Task> {
        lock(&self.seen).clone()
    }

    /// The tasks that were not domain info.
    pub fn operations(&self) -> Vec<Task> {
        self.seen()
            .into_iter()
            .filter(|t| {
                !matches!(
                    t.kind,
                    TaskKind::DomainInfo { .. } | TaskKind::DomainList { .. }
                )
            })
            .collect()
    }
}

impl Gateway for ScriptedGateway {
    async fn send(&self, task: &Task) -> Result<Exchange, GatewayError> {
        let request_xml = well_formed(task);
        lock(&self.seen).push(task.clone());
        let domain = task.kind.domain_name().to_owned();
        let block = |domain: &str, status: &str, cancelation: &Option<String>| {
            let cancelation = cancelation
                .as_ref()
                .map(|c| {
                    format!(
                        "<cancelation><type>{c}</type><execdate>expire</execdate></cancelation>"
                    )
                })
                .unwrap_or_default();
            format!("<domain><name>{domain}</name><status>{status}</status><expire>2027-03-01 12:00:00</expire><payable>2027-02-15 12:00:00</payable>{cancelation}</domain>")
        };
        let xml = if let TaskKind::DomainList { offset, limit } = task.kind {
            let listed = lock(&self.listed);
            let mut names: Vec<&String> = listed.keys().collect();
            names.sort();
            let blocks: String = names
                .iter()
                .skip(offset as usize)
                .take(limit.min(lock(&self.list_cap).unwrap_or(u64::MAX)) as usize)
                .map(|name| {
                    let (status, cancelation) = &listed[*name];
                    block(name, status, cancelation)
                })
                .collect();
            format!("<response><result><data><summary>{}</summary>{blocks}</data><status><code>S0105</code><text>Listed.</text><type>success</type></status></result></response>", names.len())
        } else if let TaskKind::DomainInfo { .. } = task.kind {
            if let Some((status, cancelation)) = lock(&self.listed).get(&domain) {
                let block = block(&domain, status, cancelation);
                format!("<response><result><data>{block}</data><status><code>S0105</code><text>Domain information was inquired successfully.</text><type>success</type></status></result><stid>s-info</stid></response>")
            } else {
                "<response><result><status><code>E0105</code><text>Domain inquiry failed.</text><type>error</type></status></result><stid>s-info</stid></response>".to_owned()
            }
        } else {
            let by_code = lock(&self.code_scripts)
                .get(&(domain.clone(), task.kind.code().to_owned()))
                .copied();
            let script = by_code
                .or_else(|| lock(&self.scripts).get(&domain).copied())
                .unwrap_or(self.default);
            match script {
                Script::Unreachable => {
                    return Err(GatewayError::NotSent("connection refused".into()))
                }
                Script::NoAnswer => return Err(GatewayError::OutcomeUnknown("timed out".into())),
                // InterNetX fails a task with `E` and the task's own code.
                Script::Refuse => format!(
                    "<response><result><msg><text>Domain is already registered.</text><code>EF01012</code><type>error</type></msg><status><code>E{code}</code><text>Domain could not be registered.</text><type>error</type></status></result><stid>s-2</stid></response>",
                    code = task.kind.code()
                ),
                Script::RefuseRequest => "<response><result><msg><text>Login failed.</text><code>EF00002</code><type>error</type></msg><status><code>E0001</code><text>Authentication error.</text><type>error</type></status></result><stid>s-3</stid></response>".to_owned(),
                Script::Accept if matches!(task.kind, TaskKind::AuthInfoCreate { .. }) => format!(
                    "<response><result><status><code>S0113001</code><text>Created.</text><type>success</type><object><type>authinfo</type><value>{SCRIPTED_AUTH_CODE}</value></object></status></result><stid>s-1</stid></response>"
                ),
                Script::Accept => format!(
                    "<response><result><status><code>N{code}</code><text>Started.</text><type>notify</type></status></result><stid>s-1</stid></response>",
                    code = task.kind.code()
                ),
            }
        };
        let answer = parse_answer(&xml)
            .map_err(|e| GatewayError::OutcomeUnknown(format!("scripted answer: {e}")))?;
        Ok(Exchange {
            request_xml,
            response_xml: xml,
            answer,
            retried: Vec::new(),
        })
    }
}

/// The task as the gateway would receive it; a double's assertion that it
/// is well-formed XML naming the task's own domain.
fn well_formed(task: &Task) -> String {
    let xml = task.to_xml(&internetx::Envelope::new(internetx::Credentials {
        user: "test-user".into(),
        password: internetx::Secret::new("test-password"),
        context: "4".into(),
    }));
    let root = internetx::tree::parse(&xml)
        .unwrap_or_else(|e| panic!("malformed request XML ({e}): {xml}"));
    if let TaskKind::DomainList { .. } = task.kind {
        assert!(root.at(&["task", "view", "limit"]).is_some(), "{xml}");
        return xml;
    }
    // A contact verification names the owner handle, not the domain.
    if matches!(
        task.kind,
        TaskKind::VerificationInfo { .. }
            | TaskKind::VerificationStart { .. }
            | TaskKind::VerificationResend { .. }
    ) {
        assert!(
            root.text_at(&["task", "handle_verification", "handle", "id"])
                .is_some(),
            "the request names its handle: {xml}"
        );
        return xml;
    }
    let name = root
        .text_at(&["task", "domain", "name"])
        .or_else(|| root.text_at(&["task", "cancelation", "domain"]))
        .or_else(|| root.text_at(&["task", "transfer", "domain", "name"]))
        .or_else(|| root.text_at(&["task", "transfer", "domain"]))
        .unwrap_or_default();
    assert_eq!(
        name,
        task.kind.domain_name(),
        "the request names its domain: {xml}"
    );
    xml
}
