//! What the gateway checks before it accepts a task.

use internetx::tree::{self, Element};

use crate::answer::Answer;
use crate::registry::Registry;
use crate::{Recorded, Scenario, SimulatorConfig};

const CONTACT_FIELDS: [&str; 8] = [
    "type", "fname", "lname", "address", "pcode", "city", "country", "email",
];

/// What a request names (code, ctid, reply address, domain), read without
/// checking anything: what fault injection and the record need.
pub fn peek(text: &str) -> Recorded {
    let mut recorded = Recorded {
        code: None,
        ctid: None,
        reply_to: None,
        domain: None,
        answered: String::new(),
        xml: String::new(),
        received_ms: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64),
    };
    let Ok(root) = tree::parse(text) else {
        return recorded;
    };
    let task = root.child("task");
    recorded.code = task.and_then(|t| t.text_at(&["code"])).map(str::to_owned);
    recorded.ctid = task.and_then(|t| t.text_at(&["ctid"])).map(str::to_owned);
    recorded.reply_to = task
        .and_then(|t| t.text_at(&["reply_to"]))
        .map(str::to_owned);
    recorded.domain = task
        .and_then(|t| {
            t.text_at(&["domain", "name"])
                .or_else(|| t.text_at(&["cancelation", "domain"]))
                .or_else(|| t.text_at(&["transfer", "domain"]))
                .or_else(|| t.text_at(&["transfer", "domain", "name"]))
        })
        .map(str::to_ascii_lowercase);
    recorded
}

/// Checks one request document; returns what to record and the answer.
pub fn handle(
    config: &SimulatorConfig,
    text: &str,
    registered: &mut Registry,
) -> (Recorded, Answer) {
    let recorded = peek(text);
    let root = match tree::parse(text) {
        Ok(root) if root.name == "request" => root,
        Ok(_) | Err(_) => {
            return (
                recorded,
                Answer::error(
                    "E0000",
                    "The request could not be read.",
                    None,
                    "EF00001 Invalid XML request.",
                ),
            )
        }
    };
    let task = root.child("task");
    let auth_ok = root.text_at(&["auth", "user"]) == Some(config.user.as_str())
        && root.at(&["auth", "password"]).map(|p| p.text.as_str())
            == Some(config.password.as_str())
        && root.text_at(&["auth", "context"]) == Some(config.context.as_str());
    if !auth_ok {
        return (
            recorded,
            Answer::error(
                "E0001",
                "Authentication failed.",
                None,
                "EF00002 Login failed: user, password or context is wrong.",
            ),
        );
    }
    let Some(task) = task else {
        return (
            recorded,
            Answer::error(
                "E0000",
                "No task given.",
                None,
                "EF00003 The request has no task.",
            ),
        );
    };
    let answer = match recorded.code.as_deref() {
        Some("0101") => domain_create(config, task, registered),
        Some("0104") => domain_transfer(config, task, registered),
        Some("0105") if task.child("view").is_some() => {
            crate::portfolio::domain_list(config, task, registered)
        }
        Some("0105") => crate::portfolio::domain_info(config, task, registered),
        Some("0102") => domain_update(config, task, registered),
        Some("0103101") => cancelation(task, registered),
        Some("0103103") => crate::portfolio::cancelation_delete(task, registered),
        Some("0102002") => crate::portfolio::registry_status(config, task, registered),
        Some("0113001") => crate::portfolio::authinfo_create(task, registered),
        Some("0113005") => crate::portfolio::authinfo_to_owner(task, registered),
        Some("0113003") => crate::portfolio::authinfo2(task, registered),
        Some("0106002") => crate::transfer_out::answer(config, task, registered),
        Some("0106001") => crate::transfer_out::info(task, registered),
        Some("0344") => crate::verification::info(config, task, registered),
        Some(code @ ("0341" | "0349")) => {
            crate::verification::resend_or_start(code, task, registered)
        }
        Some(code) => Answer::error(
            &format!("E{code}"),
            "This task is not supported by the simulator.",
            None,
            "EF00004 Unknown task code.",
        ),
        None => Answer::error(
            "E0000",
            "No task code given.",
            None,
            "EF00005 The task has no code.",
        ),
    };
    (recorded, answer)
}

fn domain_create(config: &SimulatorConfig, task: &Element, registered: &mut Registry) -> Answer {
    let (name, domain) = match domain_block(task, "0101") {
        Ok(found) => found,
        Err(answer) => return *answer,
    };
    let object = Some(("domain", name.as_str()));
    if let Some(refused) = registered.duplicate(&name, "0101", "Domain could not be registered.") {
        return refused;
    }
    if config.taken.contains(&name) || registered.domains.contains(&name) {
        return Answer::error(
            "E0101",
            "Domain could not be registered.",
            object,
            "EF01012 The domain is already registered.",
        );
    }
    let strict = config.scenario(&name) != Scenario::LenientOrders;
    let problem =
        order_problem(domain, strict, true).or_else(|| consent_problem(domain, &name, strict));
    if let Some(problem) = problem {
        return Answer::error("E0101", "Domain could not be registered.", object, &problem);
    }
    // How the registry creates it (the scenario): at once, or as a job
    // that runs until its result mail (listed meanwhile or not — InterNetX
    // does not document which, protocol audit D1/D2). A registration that
    // will fail never makes the domain ours.
    registered.set_nameservers(&name, domain);
    match config.scenario(&name) {
        Scenario::CreateRunning => {
            registered.running.insert(name.clone(), true);
        }
        Scenario::CreateAbsent => {
            registered.running.insert(name.clone(), false);
        }
        _ if config.fails_async(&name, "0101") => {
            registered.running.insert(name.clone(), false);
        }
        _ => {
            registered.domains.insert(name.clone());
        }
    }
    registered
        .verifications
        .new_owner(&name, domain.child("ownerc"));
    Answer::notify(
        "N0101",
        "The domain registration was started successfully.",
        Some(("domain", &name)),
    )
}

fn domain_transfer(config: &SimulatorConfig, task: &Element, registered: &mut Registry) -> Answer {
    let (name, domain) = match domain_block(task, "0104") {
        Ok(found) => found,
        Err(answer) => return *answer,
    };
    let object = Some(("domain", name.as_str()));
    if let Some(refused) =
        registered.duplicate(&name, "0104", "Domain transfer could not be started.")
    {
        return refused;
    }
    if domain.text_at(&["authinfo"]).is_none() {
        return Answer::error(
            "E0104",
            "Domain transfer could not be started.",
            object,
            "EF01044 AuthInfo is missing.",
        );
    }
    let strict = config.scenario(&name) != Scenario::LenientOrders;
    let problem =
        order_problem(domain, strict, false).or_else(|| consent_problem(domain, &name, strict));
    if let Some(problem) = problem {
        return Answer::error(
            "E0104",
            "Domain transfer could not be started.",
            object,
            &problem,
        );
    }
    // A transfer in progress is not in the account: domain info answers
    // E0105 until the losing registrar's step is done (sourcedesk's sync
    // reads E0105 as "waiting for the losing registrar", protocol audit D2).
    registered.set_nameservers(&name, domain);
    registered.running.insert(name.clone(), false);
    registered
        .verifications
        .new_owner(&name, domain.child("ownerc"));
    Answer::notify(
        "N0104",
        "The domain transfer was started successfully.",
        Some(("domain", &name)),
    )
}

fn domain_update(config: &SimulatorConfig, task: &Element, registered: &mut Registry) -> Answer {
    let (name, domain) = match domain_block(task, "0102") {
        Ok(found) => found,
        Err(answer) => return *answer,
    };
    let object = Some(("domain", name.as_str()));
    if !registered.domains.contains(&name) {
        return Answer::error(
            "E0102",
            "Domain update failed.",
            object,
            "EF01050 Domain not found.",
        );
    }
    let nameservers = domain.children_named("nserver").count();
    if nameservers == 1 || nameservers > 13 {
        return Answer::error(
            "E0102",
            "Domain update failed.",
            object,
            "EF01020 Between 2 and 13 name servers are required.",
        );
    }
    for slot in ["ownerc", "adminc", "techc", "zonec"] {
        if let Some(problem) = contact_problem(domain, slot, false) {
            return Answer::error("E0102", "Domain update failed.", object, &problem);
        }
    }
    if !config.fails_async(&name, "0102") {
        registered.set_nameservers(&name, domain);
        if let Some(owner) = domain.filled_child("ownerc") {
            registered.verifications.new_owner(&name, Some(owner));
        }
    }
    let mut answer = Answer::notify("N0102", "Domain update started successfully.", object);
    answer.data = format!(
        "<domain_job><job><id>{}</id><status>NOT_SET</status></job></domain_job>",
        4_295_210_000u64 + registered.domains.len() as u64
    );
    answer
}

fn cancelation(task: &Element, registered: &mut Registry) -> Answer {
    let name = task
        .text_at(&["cancelation", "domain"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    let object = Some(("domain", name.as_str()));
    if !registered.domains.contains(&name) {
        return Answer::error(
            "E0103101",
            "Cancelation could not be created.",
            object,
            "EF01050 Domain not found.",
        );
    }
    let ok = task
        .text_at(&["cancelation", "type"])
        .is_some_and(|t| t.eq_ignore_ascii_case("delete"))
        && task
            .text_at(&["cancelation", "execdate"])
            .is_some_and(|t| t.eq_ignore_ascii_case("expire"));
    if !ok {
        return Answer::error(
            "E0103101",
            "Cancelation could not be created.",
            object,
            "EF01031 type and execdate are required.",
        );
    }
    // The cancelation exists at once; domain info shows it (protocol audit
    // D10: `0105` returns `cancelation`). Current pages answer N0103101.
    registered.cancelations.insert(name.clone());
    Answer::notify(
        "N0103101",
        "Domain cancelation task was transmitted.",
        object,
    )
}

/// The `<domain>` block and its name, or the error answer for a missing one.
fn domain_block<'a>(task: &'a Element, code: &str) -> Result<(String, &'a Element), Box<Answer>> {
    let missing = || {
        Box::new(Answer::error(
            &format!("E{code}"),
            "Domain data is missing.",
            None,
            "EF01001 Domain name is missing.",
        ))
    };
    let domain = task.child("domain").ok_or_else(missing)?;
    let name = domain
        .text_at(&["name"])
        .ok_or_else(missing)?
        .to_ascii_lowercase();
    let labels_ok = name.split('.').count() >= 2
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !labels_ok {
        return Err(Box::new(Answer::error(
            &format!("E{code}"),
            "Domain name is invalid.",
            Some(("domain", &name)),
            "EF01002 The domain name is invalid.",
        )));
    }
    Ok((name, domain))
}

/// Why a create (`owner_required`) or transfer is refused for what it
/// carries. Strict: all four contacts and 2 to 13 name servers, as every
/// official example (Domain Create Plus, Transfer Plus, the PHP SDK's
/// "bare minimum" transfer); lenient: only what is given is checked, and a
/// create still needs its owner. The codes are ours: InterNetX's detail
/// codes for these refusals are not published.
fn order_problem(domain: &Element, strict: bool, owner_required: bool) -> Option<String> {
    for slot in ["ownerc", "adminc", "techc", "zonec"] {
        let required = strict || (owner_required && slot == "ownerc");
        if let Some(problem) = contact_problem(domain, slot, required) {
            return Some(problem);
        }
    }
    let nameservers = domain.children_named("nserver").count();
    if (strict && nameservers < 2) || nameservers == 1 || nameservers > 13 {
        return Some("EF01020 Between 2 and 13 name servers are required.".into());
    }
    None
}

/// Whether an update request gives the owner as a full block (a new owner).
pub fn names_new_owner(xml: &str) -> bool {
    tree::parse(xml).is_ok_and(|root| {
        root.at(&["task", "domain", "ownerc"])
            .is_some_and(|o| !o.children.is_empty())
    })
}

/// gTLDs need the owner's consent confirmed when owner data is given
/// (Domain Object page; the official JSON DomainTransfer example sends
/// `confirmOwnerConsent: 1`). Two-letter TLDs are country codes.
/// The Domain Object page: `confirm_owner_consent` is required for gTLDs
/// "when owner data is given" — read strictly, an owner handle is owner
/// data too (protocol audit D5; the refusal and its code are ours, the
/// page names no error).
fn consent_problem(domain: &Element, name: &str, strict: bool) -> Option<String> {
    let missing = strict
        && is_gtld(name)
        && domain.child("ownerc").is_some_and(|o| !o.is_blank())
        && domain.text_at(&["confirm_owner_consent"]) != Some("1");
    missing.then(|| "EF01095 confirm_owner_consent is required for a gTLD owner.".to_owned())
}

fn is_gtld(name: &str) -> bool {
    name.rsplit('.').next().is_none_or(|tld| tld.len() != 2)
}

/// Why a contact slot is unacceptable: a handle id, or a complete block.
fn contact_problem(domain: &Element, slot: &str, required: bool) -> Option<String> {
    let Some(contact) = domain.child(slot) else {
        return required.then(|| format!("EF01090 {slot}: contact is missing."));
    };
    if contact.children.is_empty() {
        let id = contact.text.trim();
        return (id.is_empty()
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .then(|| format!("EF01091 {slot}: invalid handle id."));
    }
    for field in CONTACT_FIELDS {
        if contact.text_at(&[field]).is_none() {
            return Some(format!("EF01092 {slot}: field {field} is missing."));
        }
    }
    // Either case: the official Domain Create Plus example sends `de`, its
    // Transfer Plus example `DE` (fixtures request-0101-create-plus.xml and
    // request-0104-transfer-plus.xml).
    let country = contact.text_at(&["country"]).unwrap_or_default();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Some(format!("EF01093 {slot}: country must be an ISO code."));
    }
    // The documented forms only: `+CC-AREA-NUMBER` (every official example)
    // or `+CC-NUMBER` (a production client); nothing shows a third group.
    let phone_ok = |p: &str| {
        p.strip_prefix('+').is_some_and(|rest| {
            let groups: Vec<&str> = rest.split('-').collect();
            (2..=3).contains(&groups.len())
                && groups
                    .iter()
                    .all(|g| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit()))
        })
    };
    if !contact.text_at(&["phone"]).is_some_and(phone_ok) {
        return Some(format!(
            "EF01094 {slot}: phone must look like +49-30-1234567."
        ));
    }
    if contact
        .text_at(&["protection"])
        .is_some_and(|p| !matches!(p, "A" | "B"))
    {
        return Some(format!("EF01096 {slot}: protection must be A or B."));
    }
    if contact.text_at(&["fax"]).is_some_and(|f| !phone_ok(f)) {
        return Some(format!(
            "EF01094 {slot}: fax must look like +49-30-1234567."
        ));
    }
    None
}
