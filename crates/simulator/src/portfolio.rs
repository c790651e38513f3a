//! The account's whole portfolio: domain lists with pagination, dates, and
//! domains that leave the account (a transfer-out, a deletion at expiry).
//!
//! Sources: the list form is InterNetX's list-inquire example
//! (https://help.internetx.com/display/APIXMLEN/Single+Inquire: `view` with
//! `offset`/`limit`); the answer's `data/summary` and repeated
//! `data/domain` follow the DomainInquireList fixture of
//! `tillkahlbrock/autodns-api`; field names (`payable`, `expire`,
//! `registry_status`, `autorenew`, `cancelation`) are Domain object
//! keywords, dates in the XML form "YYYY-MM-DD HH:MM:SS" as in that fixture.
//! The `domain_away` event mail is a domain block with or without the
//! Notify object's `type` (https://help.internetx.com/display/APIXMLEN/Notify+Object
//! lists the keyword; the published XML event samples never carry it): the
//! XML shape of that event is not published, so both are offered
//! ([`Scenario::UntypedEvents`], protocol audit D13).

use internetx::tree::Element;

use crate::answer::Answer;
use crate::registry::Registry;
use crate::{Scenario, SimulatorConfig};

/// The most a list page may hold (InterNetX documents no maximum; the
/// examples ask for 20 and 30).
pub const MAX_LIMIT: u64 = 1_000;

/// A domain's expiry and payable dates, stable per name: spread over a year
/// from 2027-01-01 so lists and `--expiring` have something to sort.
pub fn dates(name: &str) -> (String, String) {
    let day = name
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)))
        % 365;
    let base = time::macros::date!(2027 - 01 - 01);
    let expire = base + time::Duration::days(day as i64);
    let payable = expire - time::Duration::days(14);
    let fmt = |d: time::Date| format!("{d} 12:00:00");
    (fmt(expire), fmt(payable))
}

/// The `<domain>` block of one domain, as domain info carries it: every
/// field (a keyless info returns them all, as sourcedesk's `syncDomain()`
/// reads them). Unset fields are left out, or — `Scenario::EmptyUnsetFields`
/// — written empty, as InterNetX writes them in published answers
/// (`<authinfo></authinfo>` in tillkahlbrock/autodns-api's
/// `DomainInquire_response.xml`; `<remarks></remarks>` and `<extension/>` in
/// the official contact job notification): whether a list or info writes an
/// empty `<cancelation/>` is not published (protocol audit D21), so both are
/// offered.
pub fn domain_block(
    config: &SimulatorConfig,
    name: &str,
    registered: &Registry,
    status: &str,
) -> String {
    let fields: String = domain_fields(config, name, registered, status)
        .into_iter()
        .map(|(_, xml)| xml)
        .collect();
    format!("<domain><name>{name}</name>{fields}</domain>")
}

/// One domain's fields, each with the `<key>` a list asks for it by.
fn domain_fields(
    config: &SimulatorConfig,
    name: &str,
    registered: &Registry,
    status: &str,
) -> Vec<(&'static str, String)> {
    let empty_unset = config.scenario(name) == Scenario::EmptyUnsetFields;
    let nserver: String = registered
        .nameservers
        .get(name)
        .into_iter()
        .flatten()
        .map(|ns| format!("<nserver><name>{ns}</name></nserver>"))
        .collect();
    let cancelation = if registered.cancelations.contains(name) {
        "<cancelation><type>delete</type><execdate>expire</execdate></cancelation>"
    } else if empty_unset {
        "<cancelation/><authinfo></authinfo><remarks></remarks>"
    } else {
        ""
    };
    let (expire, payable) = dates(name);
    let renews =
        !registered.cancelations.contains(name) && config.renewal == crate::RenewalMode::AutoRenew;
    let autorenew = if renews { "true" } else { "false" };
    // A domain whose owner was not verified in time is held (OCVAL page:
    // HOLD, ACTIVE again once verified); HOLD_LOCK when locked too.
    let held = crate::verification::on_hold(registered, name);
    let registry_status = match (held, registered.locked.contains(name)) {
        (true, true) => "HOLD_LOCK",
        (true, false) => "HOLD",
        (false, true) => "LOCK",
        (false, false) => "ACTIVE",
    };
    let ownerc = registered
        .verifications
        .owner(name)
        .map(|h| format!("<ownerc>{h}</ownerc>"))
        .unwrap_or_default();
    vec![
        ("nserver", nserver),
        ("status", format!("<status>{status}</status>")),
        ("expire", format!("<expire>{expire}</expire>")),
        ("payable", format!("<payable>{payable}</payable>")),
        (
            "registry_status",
            format!("<registry_status>{registry_status}</registry_status>"),
        ),
        ("autorenew", format!("<autorenew>{autorenew}</autorenew>")),
        ("cancelation", cancelation.to_owned()),
        ("ownerc", ownerc),
    ]
}

/// `0105` with a `view`: one page of the domains in the account.
///
/// As the list-inquiry page says (https://help.internetx.com/x/hBHj), "the
/// returned lists contain less details for the individual objects than the
/// results of single queries": a listed domain carries its name and the
/// fields its `<key>`s ask for (Single Inquire: "with the keyword key
/// additional details can be requested"). The Order object
/// (`<order><key>name</key><mode>ASC|DESC</mode></order>`, as
/// etobi/php-schlundtech-autodns writes it) sorts by name; without one the
/// order is unspecified: here the database's own, stable but not by name.
/// No maximum `limit` is documented: by default more than [`MAX_LIMIT`] is
/// refused; `SimulatorConfig::list_cap` instead cuts every page to that
/// many silently, the other plausible gateway.
pub fn domain_list(config: &SimulatorConfig, task: &Element, registered: &Registry) -> Answer {
    let number = |key: &str| {
        task.text_at(&["view", key])
            .and_then(|v| v.trim().parse::<u64>().ok())
    };
    let offset = number("offset").unwrap_or(0);
    let mut limit = number("limit").unwrap_or(20);
    match config.list_cap {
        Some(cap) => limit = limit.min(cap),
        None if limit == 0 || limit > MAX_LIMIT => {
            return Answer::error(
                "E0105",
                "Domain data could not be inquired.",
                None,
                "EF00010 The view limit is out of range.",
            );
        }
        None => {}
    }
    let keys: Vec<&str> = task.children_named("key").map(|k| k.text.trim()).collect();
    let mut names: Vec<&String> = registered.domains.iter().collect();
    match (
        task.text_at(&["order", "key"]),
        task.text_at(&["order", "mode"])
            .map(str::to_ascii_uppercase),
    ) {
        (Some("name"), Some(mode)) if mode == "DESC" => names.sort_by(|a, b| b.cmp(a)),
        (Some("name"), _) => names.sort(),
        _ => names.sort_by_key(|name| storage_order(name)),
    }
    let blocks: String = names
        .iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|name| {
            let fields: String = domain_fields(config, name, registered, "success")
                .into_iter()
                .filter(|(key, _)| keys.contains(key))
                .map(|(_, xml)| xml)
                .collect();
            format!("<domain><name>{name}</name>{fields}</domain>")
        })
        .collect();
    let mut answer = Answer::success("S0105", "Domain data was inquired successfully.", None);
    answer.data = format!("<summary>{}</summary>{blocks}", names.len());
    answer
}

/// A stable position per name that is not alphabetical: what a database
/// returns without an ORDER BY.
fn storage_order(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The event mail's document for a domain that left the account; `kind`
/// written as `<notify><type>` where given.
pub fn event_xml(kind: Option<&str>, domain: &str, message_id: &str) -> String {
    notify_xml(kind, "", domain, message_id)
}

/// An event's `<notify>` message: its `type` where given, the fields the
/// event carries (`extra`, already XML), the domain.
pub fn notify_xml(kind: Option<&str>, extra: &str, domain: &str, message_id: &str) -> String {
    let kind = kind.map_or(String::new(), |k| format!("<type>{k}</type>"));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><result><data><summary>1</summary>\
         <message><id>{message_id}</id><owner><user>bridge</user><context>4</context></owner>\
         <notify>{kind}{extra}<domain><name>{domain}</name></domain></notify></message></data>\
         <status><code>S0905</code><text>The notification was polled successfully.</text><type>success</type></status>\
         </result></response>\n"
    )
}

/// The task's domain (`domain/name`) if the account holds it, else the
/// task's refusal: `E<code>` with "Domain not found." (`EF01050`, ours).
fn held_domain(
    task: &Element,
    registered: &Registry,
    code: &str,
    what: &str,
) -> Result<String, Box<Answer>> {
    let name = task
        .text_at(&["domain", "name"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    if registered.domains.contains(&name) {
        return Ok(name);
    }
    Err(Box::new(Answer::error(
        &format!("E{code}"),
        what,
        Some(("domain", name.as_str())),
        "EF01050 Domain not found.",
    )))
}

/// `0103103`: the cancelation at expiry withdrawn. Answered synchronously
/// `S0103103` "Cancelation has been deleted successfully."
/// (https://help.internetx.com/x/7YdQAg, Cancelation Delete). The page's
/// example sends `execdate now`, a production client `expire`; both are
/// taken. The refusal of a domain without a cancelation is not on that
/// page: its code and text are ours.
pub fn cancelation_delete(task: &Element, registered: &mut Registry) -> Answer {
    let name = task
        .text_at(&["cancelation", "domain"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    let object = Some(("domain", name.as_str()));
    if !registered.cancelations.remove(&name) {
        return Answer::error(
            "E0103103",
            "Cancelation could not be deleted.",
            object,
            "EF01032 There is no cancelation for this domain.",
        );
    }
    Answer::success(
        "S0103103",
        "Cancelation has been deleted successfully.",
        object,
    )
}

/// `0102002` (Domain Status Update): `LOCK`/`ACTIVE` for gTLDs only, as the
/// page says; answered `N0102002` with the job id in `data/domain_job`
/// (the page's example), the result mailed later (`S0102002`).
pub fn registry_status(
    config: &SimulatorConfig,
    task: &Element,
    registered: &mut Registry,
) -> Answer {
    let name = match held_domain(
        task,
        registered,
        "0102002",
        "Domain status could not be updated.",
    ) {
        Ok(name) => name,
        Err(refused) => return *refused,
    };
    let object = Some(("domain", name.as_str()));
    if name.rsplit('.').next().is_some_and(|tld| tld.len() == 2) {
        return Answer::error(
            "E0102002",
            "Domain status could not be updated.",
            object,
            "EF01060 The registry status can only be set for gTLDs.",
        );
    }
    let status = task
        .text_at(&["domain", "registry_status"])
        .unwrap_or_default();
    if !matches!(status, "LOCK" | "ACTIVE") {
        return Answer::error(
            "E0102002",
            "Domain status could not be updated.",
            object,
            "EF01061 Unknown registry status.",
        );
    }
    if !config.fails_async(&name, "0102002") {
        if status == "LOCK" {
            registered.locked.insert(name.clone());
        } else {
            registered.locked.remove(&name);
        }
    }
    let mut answer = Answer::notify("N0102002", "The domain status update was started.", object);
    answer.data = format!(
        "<domain_job><job><id>{}</id><status>NOT_SET</status></job></domain_job>",
        4_295_300_000u64 + registered.domains.len() as u64
    );
    answer
}

/// `0113001` AuthInfo1 Create: the code in `status/object/value` (type
/// `authinfo`); when one exists already, `E0113001` with `EF011316` and the
/// existing code — both as the AuthInfo1 Create page describes
/// (https://help.internetx.com/display/APIXMLDE/AuthInfo1+Create).
pub fn authinfo_create(task: &Element, registered: &mut Registry) -> Answer {
    let name = match held_domain(
        task,
        registered,
        "0113001",
        "AuthInfo1 could not be created.",
    ) {
        Ok(name) => name,
        Err(refused) => return *refused,
    };
    // "For .BE, the AuthInfo can only be requested in this way" (AuthInfo2,
    // https://help.internetx.com/x/cY9QAg); the refusal's text is ours.
    if internetx::authinfo::only_authinfo2(&name) {
        return Answer::error(
            "E0113001",
            "AuthInfo1 could not be created.",
            Some(("domain", name.as_str())),
            "EF011317 For .be an AuthInfo can only be requested as AuthInfo2.",
        );
    }
    if let Some(existing) = registered.authinfo.get(&name) {
        return Answer::error(
            "E0113001",
            "AuthInfo1 could not be created.",
            Some(("authinfo", existing.as_str())),
            "EF011316 An AuthInfo already exists for this domain.",
        );
    }
    let code = format!("Sim{:08x}&<Auth>", rand::random::<u32>());
    registered.authinfo.insert(name.clone(), code.clone());
    Answer::success(
        "S0113001",
        "AuthInfo1 was created successfully.",
        Some(("authinfo", code.as_str())),
    )
}

/// `0113003`: AuthInfo2 — the registry sends the code to the owner; the
/// answer carries none. "The AuthInfo2 procedure can be performed for the
/// TLDs DE, EU, NO, BE", answered synchronously `S0113003` "AuthInfo2 was
/// created successfully." (https://help.internetx.com/x/cY9QAg). The
/// refusal for another TLD is not published: its code and text are ours.
pub fn authinfo2(task: &Element, registered: &mut Registry) -> Answer {
    match held_domain(
        task,
        registered,
        "0113003",
        "AuthInfo2 could not be created.",
    ) {
        Ok(name) if !internetx::authinfo::offers_authinfo2(&name) => Answer::error(
            "E0113003",
            "AuthInfo2 could not be created.",
            Some(("domain", name.as_str())),
            "EF011303 AuthInfo2 is only available for DE, EU, NO and BE.",
        ),
        Ok(name) => Answer::success(
            "S0113003",
            "AuthInfo2 was created successfully.",
            Some(("domain", name.as_str())),
        ),
        Err(refused) => *refused,
    }
}

/// `0113005`: InterNetX mails the code to the domain's owner; the answer
/// carries no code (the route's summary in the OpenAPI copy).
pub fn authinfo_to_owner(task: &Element, registered: &mut Registry) -> Answer {
    match held_domain(task, registered, "0113005", "AuthInfo could not be sent.") {
        Ok(name) if internetx::authinfo::only_authinfo2(&name) => Answer::error(
            "E0113005",
            "AuthInfo could not be sent.",
            Some(("domain", name.as_str())),
            "EF011317 For .be an AuthInfo can only be requested as AuthInfo2.",
        ),
        Ok(name) => Answer::success(
            "S0113005",
            "The AuthInfo was sent to the owner.",
            Some(("domain", name.as_str())),
        ),
        Err(refused) => *refused,
    }
}

/// `0105` for one domain: its full block, or `E0105` for a domain InterNetX
/// does not hold.
pub fn domain_info(config: &SimulatorConfig, task: &Element, registered: &Registry) -> Answer {
    let name = task
        .text_at(&["domain", "name"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    // Only a domain whose job is done carries status success (the
    // DomainInquire fixture of tillkahlbrock/autodns-api; protocol audit D1).
    let status = if registered.domains.contains(&name) {
        "success"
    } else if registered.running.get(&name) == Some(&true) {
        "running"
    } else {
        return Answer::error(
            "E0105",
            "Domain data could not be inquired.",
            Some(("domain", &name)),
            "EF01050 Domain not found.",
        );
    };
    let mut answer = Answer::success(
        "S0105",
        "Domain data was inquired successfully.",
        Some(("domain", &name)),
    );
    answer.data = domain_block(config, &name, registered, status);
    answer
}
