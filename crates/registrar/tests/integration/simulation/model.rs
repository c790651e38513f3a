//! A model of InterNetX, as `crates/simulator` and INTERNETX.md describe it:
//! what the account holds, the jobs running, the answers over HTTPS and the
//! result mails those jobs send later. Where InterNetX documents nothing,
//! the model takes each plausible variant in turn, chosen by the seed
//! ([`Variant`]); the connector must survive all of them.
//!
//! Sources of the behaviours (see `crates/simulator` for the citations):
//! - a registration answers `N0101` and ends with `S0101`/`E0101` by mail;
//!   a transfer answers `N0104`, mails `S0104` when the registry starts it,
//!   then `S0104001`/`E0104001` (INTERNETX.md "Final results");
//! - a running transfer is absent from domain info (`E0105`, protocol audit
//!   D1); a listed domain is done only with `<status>success` (D2);
//! - a second create or transfer of a domain the account holds or has a job
//!   for is refused (`EF01012`-style duplicate refusal): the model also
//!   counts it as a double submission, which the connector must never make;
//! - auth codes come in the `0113001` answer (`status/object` of type
//!   `authinfo`, AuthInfo1 Create help page); a cancelation at expiry
//!   answers `N0103101` and shows in domain info's `<cancelation>`;
//! - an outgoing-transfer answer with nothing pending is refused (`E0106`);
//! - a new gTLD owner must verify their address (ICANN RAA 2013, Whois
//!   Accuracy Program Specification; InterNetX's OCVAL help page): domain
//!   info names the owner handle (`ownerc`), `0344` tells the handle's
//!   verification (`PENDING`, `FAILED`, `SUCCESS`), `0349` sends the mail
//!   again, refused for a verified or unknown handle. Two owners share a
//!   handle across domains here, as one InterNetX contact serves many.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use internetx::response::parse_answer;
use internetx::{Exchange, GatewayError, Task, TaskKind};
use registrar::ports::Gateway;
use time::OffsetDateTime;

use crate::simulation::rng::Rng;

/// The gateway password: never to be found in clear anywhere.
pub const PASSWORD: &str = "Sim-Passw0rd-q7Zk";

/// Undocumented behaviour, one choice per history.
#[derive(Debug, Clone, Copy)]
pub struct Variant {
    /// A registration still running is listed with `<status>` other than
    /// success (true), or absent from domain info like a transfer (false).
    pub running_registration_listed: bool,
}

/// What the model answers a request with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// Processed, the answer lost (timeout after accept).
    AnswerLost,
    /// Reset before processing: the client cannot tell (outcome unknown).
    ResetBefore,
    /// HTTP 500, not processed.
    Http500,
    /// Refused before processing (connection refused, 429/503 exhausted).
    NotSent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Register,
    Transfer,
    Update,
    Cancel,
    Withdraw,
    Lock,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub domain: String,
    pub kind: JobKind,
    pub ctid: String,
    pub reply_to: Option<String>,
    pub stid: String,
    pub succeeds: bool,
    /// Model steps until it ends.
    pub steps_left: u32,
    pub intermediate_sent: bool,
}

/// A result mail InterNetX owes: its facts; the world renders it.
#[derive(Debug, Clone)]
pub struct OwedMail {
    pub domain: String,
    pub ctid: String,
    pub stid: String,
    pub reply_to: Option<String>,
    pub code: String,
    pub success: bool,
}

#[derive(Debug, Default)]
pub struct State {
    /// Domains the account holds, with a cancelation at expiry pending.
    pub held: BTreeMap<String, bool>,
    pub jobs: Vec<Job>,
    pub mails: Vec<OwedMail>,
    /// Every ctid a job was created for (at most one job per ctid).
    pub ctids: BTreeSet<String>,
    /// Double submissions seen: the connector's defect.
    pub doubles: Vec<String>,
    /// Auth codes issued.
    pub issued_codes: Vec<String>,
    /// Operations (not domain info or list) received, processed or not.
    pub operations: usize,
    /// Domains transferred away whose `domain_away` mail is owed.
    pub mails_away: Vec<String>,
    /// The owner handle (`ownerc`) of each held gTLD domain.
    pub owners: BTreeMap<String, String>,
    /// Each owner handle's verification: `PENDING`, `FAILED` or `SUCCESS`.
    pub verifications: BTreeMap<String, &'static str>,
    /// Verification resends (`0349`) processed: handle, when, ctid.
    pub resends: Vec<(String, OffsetDateTime, String)>,
    /// The history's time, as the connector's clock has it.
    pub now: Option<OffsetDateTime>,
    next_stid: u64,
}

/// How often the connector may ask for a handle's verification mail again
/// (CONTRACT.md §1, `VerificationResendRequested`).
pub const RESEND_INTERVAL: time::Duration = time::Duration::minutes(15);

/// The owner handle InterNetX gives a gTLD domain's owner: one contact
/// for the `.com` and `.org` names, another for `.net`.
fn owner_of(domain: &str) -> Option<&'static str> {
    match domain.rsplit('.').next() {
        Some("com" | "org") => Some("OWN-1001"),
        Some("net") => Some("OWN-1002"),
        _ => None,
    }
}

pub struct Model {
    pub state: Mutex<State>,
    rng: Mutex<Rng>,
    pub variant: Variant,
    /// Faults on or off (off while the history settles at the end).
    pub faults: Mutex<bool>,
}

impl Model {
    pub fn new(seed: u64, variant: Variant) -> Self {
        Self {
            state: Mutex::new(State::default()),
            rng: Mutex::new(Rng::new(seed.wrapping_mul(31).wrapping_add(7))),
            variant,
            faults: Mutex::new(true),
        }
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn roll(&self, percent: u64) -> bool {
        self.rng
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .chance(percent)
    }

    fn fault(&self) -> Fault {
        if !*self.faults.lock().unwrap_or_else(|e| e.into_inner()) {
            return Fault::None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(|e| e.into_inner());
        match rng.below(100) {
            0..=5 => Fault::AnswerLost,
            6..=8 => Fault::ResetBefore,
            9..=10 => Fault::Http500,
            11..=14 => Fault::NotSent,
            _ => Fault::None,
        }
    }

    /// One step of InterNetX's time: jobs progress, end, and owe mails.
    pub fn tick(&self) {
        let mut st = self.lock();
        let mut ended = Vec::new();
        for (i, job) in st.jobs.iter_mut().enumerate() {
            job.steps_left = job.steps_left.saturating_sub(1);
            if job.steps_left == 0 {
                ended.push(i);
            }
        }
        let mut owed = Vec::new();
        for job in st.jobs.iter_mut() {
            if job.kind == JobKind::Transfer && !job.intermediate_sent && job.steps_left <= 2 {
                job.intermediate_sent = true;
                owed.push(mail(job, "S0104", true));
            }
        }
        for i in ended.into_iter().rev() {
            let job = st.jobs.remove(i);
            let (code, held) = match job.kind {
                JobKind::Register => ("0101", Some(false)),
                JobKind::Transfer => ("0104001", Some(false)),
                JobKind::Update => ("0102", None),
                JobKind::Lock => ("0102002", None),
                JobKind::Cancel => ("0103101", Some(true)),
                JobKind::Withdraw => ("0103103", Some(false)),
            };
            if job.succeeds {
                if let Some(cancel) = held {
                    if matches!(job.kind, JobKind::Register | JobKind::Transfer)
                        || st.held.contains_key(&job.domain)
                    {
                        st.held.insert(job.domain.clone(), cancel);
                    }
                }
                if matches!(job.kind, JobKind::Register | JobKind::Transfer) {
                    if let Some(handle) = owner_of(&job.domain) {
                        st.owners.insert(job.domain.clone(), handle.to_owned());
                        // A new owner verifies; one known already may have.
                        let state = if self.roll(70) { "PENDING" } else { "SUCCESS" };
                        st.verifications.entry(handle.to_owned()).or_insert(state);
                    }
                }
            }
            let prefix = if job.succeeds { "S" } else { "E" };
            owed.push(mail(&job, &format!("{prefix}{code}"), job.succeeds));
        }
        st.mails.extend(owed);
        // Owners verify, or let the window pass (15 days: slowly, in steps).
        let handles: Vec<String> = st.verifications.keys().cloned().collect();
        for handle in handles {
            let next = match st.verifications.get(&handle) {
                Some(&"PENDING") if self.roll(3) => "SUCCESS",
                Some(&"PENDING") if self.roll(3) => "FAILED",
                _ => continue,
            };
            st.verifications.insert(handle, next);
        }
    }

    /// The history's clock, for the resends' times.
    pub fn set_now(&self, now: OffsetDateTime) {
        self.lock().now = Some(now);
    }

    /// Another registrar takes a held domain (a transfer away).
    pub fn transfer_away(&self, domain: &str) -> bool {
        let mut st = self.lock();
        st.owners.remove(domain);
        st.held.remove(domain).is_some()
    }

    fn running(&self, st: &State, domain: &str, kinds: &[JobKind]) -> bool {
        st.jobs
            .iter()
            .any(|j| j.domain == domain && kinds.contains(&j.kind))
    }

    fn answer(&self, task: &Task) -> Result<String, GatewayError> {
        let name = task.kind.domain_name().to_owned();
        let code = task.kind.code();
        if let TaskKind::DomainInfo { .. } = task.kind {
            return Ok(self.domain_info(&name));
        }
        if let TaskKind::DomainList { offset, limit } = task.kind {
            return Ok(self.list(offset, limit));
        }
        let fault = self.fault();
        match fault {
            Fault::NotSent => return Err(GatewayError::NotSent("connection refused".into())),
            Fault::ResetBefore => {
                return Err(GatewayError::OutcomeUnknown(
                    "connection reset by peer".into(),
                ))
            }
            Fault::Http500 => {
                return Err(GatewayError::OutcomeUnknown(
                    "HTTP 500 Internal Server Error".into(),
                ))
            }
            Fault::AnswerLost | Fault::None => {}
        }
        let mut st = self.lock();
        st.operations += 1;
        st.next_stid += 1;
        let stid = format!("20261202-app1-{}", st.next_stid);
        if !st.ctids.insert(task.ctid.clone()) {
            st.doubles
                .push(format!("ctid {} sent twice ({code} {name})", task.ctid));
        }
        let refused = |text: &str| {
            format!("<response><result><msg><text>{text}</text><code>EF01012</code><type>error</type></msg><status><code>E{code}</code><text>{text}</text><type>error</type></status></result><stid>{stid}</stid></response>")
        };
        let kind = match &task.kind {
            TaskKind::DomainCreate(_) | TaskKind::DomainTransfer { .. } => {
                let register = matches!(task.kind, TaskKind::DomainCreate(_));
                let busy = self.running(&st, &name, &[JobKind::Register, JobKind::Transfer]);
                if st.held.contains_key(&name) || busy {
                    st.doubles.push(format!(
                        "{} of {name} (ctid {}) while InterNetX {}",
                        if register { "registration" } else { "transfer" },
                        task.ctid,
                        if busy {
                            "runs a job for it"
                        } else {
                            "holds it"
                        }
                    ));
                    return Ok(refused("Domain already exists or a job for it runs."));
                }
                if self.roll(12) {
                    return Ok(refused("Registry refused the order."));
                }
                if register {
                    JobKind::Register
                } else {
                    JobKind::Transfer
                }
            }
            TaskKind::DomainUpdate(_) => JobKind::Update,
            TaskKind::RegistryStatus { .. } => JobKind::Lock,
            TaskKind::CancelationAtExpiry { .. } => JobKind::Cancel,
            TaskKind::CancelationDelete { .. } => {
                if st.held.get(&name) != Some(&true) {
                    return Ok(refused("No cancelation found."));
                }
                JobKind::Withdraw
            }
            TaskKind::AuthInfoCreate { .. } => {
                if !st.held.contains_key(&name) {
                    return Ok(refused("Domain not found."));
                }
                let secret = format!("Issued-{}-{}", name.replace('.', "-"), st.next_stid);
                st.issued_codes.push(secret.clone());
                let xml = format!("<response><result><status><code>S0113001</code><text>AuthInfo created.</text><type>success</type><object><type>authinfo</type><value>{secret}</value></object></status></result><stid>{stid}</stid></response>");
                return self.lost_or(fault, xml);
            }
            TaskKind::AuthInfoToOwner { .. } | TaskKind::AuthInfo2 { .. } => {
                let xml = format!("<response><result><status><code>S{code}</code><text>Done.</text><type>success</type></status></result><stid>{stid}</stid></response>");
                return self.lost_or(fault, xml);
            }
            TaskKind::TransferOutAnswer { .. } | TaskKind::TransferOutInfo { .. } => {
                return Ok(format!("<response><result><status><code>E0106</code><text>No outgoing transfer pending.</text><type>error</type></status></result><stid>{stid}</stid></response>"));
            }
            TaskKind::VerificationInfo { handle, .. }
            | TaskKind::VerificationStart { handle, .. } => {
                let Some(state) = st.verifications.get(handle).copied() else {
                    return Ok(refused("Handle not found."));
                };
                let xml = verification_info(&st, handle, state, &stid);
                return self.lost_or(fault, xml);
            }
            TaskKind::VerificationResend { handle, .. } => {
                let now = st.now.unwrap_or(OffsetDateTime::UNIX_EPOCH);
                if let Some((_, at, ctid)) = st
                    .resends
                    .iter()
                    .rev()
                    .find(|(h, at, _)| h == handle && now - *at < RESEND_INTERVAL)
                {
                    let double = format!(
                        "verification resend for handle {handle} (ctid {}) {} min after the last (ctid {ctid}): at most one per {} min",
                        task.ctid,
                        (now - *at).whole_minutes(),
                        RESEND_INTERVAL.whole_minutes()
                    );
                    st.doubles.push(double);
                }
                st.resends.push((handle.clone(), now, task.ctid.clone()));
                match st.verifications.get(handle).copied() {
                    Some("PENDING" | "FAILED") => {
                        st.verifications.insert(handle.clone(), "PENDING");
                    }
                    Some(_) => return Ok(refused("The contact is verified already.")),
                    None => return Ok(refused("Handle not found.")),
                }
                let xml = format!("<response><result><status><code>S0349</code><text>Verification mail sent again.</text><type>success</type></status></result><stid>{stid}</stid></response>");
                return self.lost_or(fault, xml);
            }
            TaskKind::DomainInfo { .. } | TaskKind::DomainList { .. } => unreachable!(),
        };
        if !matches!(kind, JobKind::Register | JobKind::Transfer) && !st.held.contains_key(&name) {
            return Ok(refused("Domain not found in this account."));
        }
        let succeeds = !self.roll(10);
        // Most jobs end within hours to days. A transfer can run for weeks:
        // ICANN's Transfer Policy lets a gTLD transfer wait 5 days for the
        // losing registrar, and ccTLD registries that wait for the holder's
        // confirmation publish no bound at all. So one transfer in ten runs
        // past reconciliation's give-up (7 days; 8 days are 8 steps here),
        // not listed by domain info meanwhile (protocol audit D1).
        let slow = kind == JobKind::Transfer && self.roll(10);
        let steps_left = if slow {
            10 + (self.rng.lock().unwrap_or_else(|e| e.into_inner()).below(10) as u32)
        } else {
            1 + (self.rng.lock().unwrap_or_else(|e| e.into_inner()).below(6) as u32)
        };
        st.jobs.push(Job {
            domain: name.clone(),
            kind,
            ctid: task.ctid.clone(),
            reply_to: task.reply_to.clone(),
            stid: stid.clone(),
            succeeds,
            steps_left,
            intermediate_sent: false,
        });
        drop(st);
        self.lost_or(
            fault,
            format!("<response><result><status><code>N{code}</code><text>The job was started.</text><type>notify</type></status></result><stid>{stid}</stid></response>"),
        )
    }

    fn lost_or(&self, fault: Fault, xml: String) -> Result<String, GatewayError> {
        if fault == Fault::AnswerLost {
            Err(GatewayError::OutcomeUnknown("timed out after 30 s".into()))
        } else {
            Ok(xml)
        }
    }

    fn block(&self, st: &State, name: &str) -> Option<String> {
        let running_reg = self.running(st, name, &[JobKind::Register]);
        let status = match st.held.get(name) {
            Some(_) => "success",
            None if running_reg && self.variant.running_registration_listed => "running",
            None => return None,
        };
        let cancel = if st.held.get(name) == Some(&true) {
            "<cancelation><type>delete</type><execdate>expire</execdate></cancelation>"
        } else {
            ""
        };
        let owner = st
            .owners
            .get(name)
            .map(|h| format!("<ownerc>{h}</ownerc>"))
            .unwrap_or_default();
        Some(format!("<domain><name>{name}</name><status>{status}</status><created>2026-11-01 10:00:00</created><expire>2027-11-01 10:00:00</expire><payable>2027-11-01 10:00:00</payable><registry_status>ACTIVE</registry_status>{owner}{cancel}</domain>"))
    }

    fn domain_info(&self, name: &str) -> String {
        let st = self.lock();
        match self.block(&st, name) {
            Some(block) => format!("<response><result><data>{block}</data><status><code>S0105</code><text>Domain information was inquired successfully.</text><type>success</type></status></result><stid>info</stid></response>"),
            None => "<response><result><status><code>E0105</code><text>Domain inquiry failed.</text><type>error</type></status></result><stid>info</stid></response>".to_owned(),
        }
    }

    fn list(&self, offset: u64, limit: u64) -> String {
        let st = self.lock();
        let names: Vec<&String> = st.held.keys().collect();
        let blocks: String = names
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .filter_map(|n| self.block(&st, n))
            .collect();
        format!("<response><result><data><summary>{}</summary>{blocks}</data><status><code>S0105</code><text>Listed.</text><type>success</type></status></result><stid>list</stid></response>", names.len())
    }
}

/// `0344`'s answer, in the snake-case spelling the connector reads (the
/// XML form is not published: see `crates/internetx/src/verification.rs`).
fn verification_info(st: &State, handle: &str, state: &str, stid: &str) -> String {
    let domains: String = st
        .owners
        .iter()
        .filter(|(_, h)| h.as_str() == handle)
        .map(|(d, _)| format!("<domain><name>{d}</name><status>{state}</status><deactivation>2026-12-20 10:00:00</deactivation></domain>"))
        .collect();
    format!("<response><result><data><handle_verification><handle><id>{handle}</id></handle><status>{state}</status><domains>{domains}</domains><verification_mails><verification_mail><status>SENT</status><email>erika@example.de</email><sent>2026-12-01 10:00:00</sent></verification_mail></verification_mails></handle_verification></data><status><code>S0344</code><text>Contact verification inquired successfully.</text><type>success</type></status></result><stid>{stid}</stid></response>")
}

fn mail(job: &Job, code: &str, success: bool) -> OwedMail {
    OwedMail {
        domain: job.domain.clone(),
        ctid: job.ctid.clone(),
        stid: job.stid.clone(),
        reply_to: job.reply_to.clone(),
        code: code.to_owned(),
        success,
    }
}

impl Gateway for Model {
    async fn send(&self, task: &Task) -> Result<Exchange, GatewayError> {
        let xml = self.answer(task)?;
        let answer = parse_answer(&xml)
            .map_err(|e| GatewayError::OutcomeUnknown(format!("model answer: {e}")))?;
        Ok(Exchange {
            request_xml: task.to_xml(&internetx::Envelope::new(internetx::Credentials {
                user: "sim-user".into(),
                password: internetx::Secret::new(PASSWORD),
                context: "4".into(),
            })),
            response_xml: xml,
            answer,
            retried: Vec::new(),
        })
    }
}
