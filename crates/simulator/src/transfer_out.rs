//! Outgoing transfers: another registrar asks for a domain of the account,
//! InterNetX tells the holder (`transfer_start`) and takes its answer.
//!
//! Sources: the `transfer_start` notification's XML sample (`<notify>` with
//! a domain block and a `<transfer>` block: gaining and losing registrar,
//! start, reminder, autonack, end; no `<type>`) on
//! https://help.internetx.com/x/TgBHB; the answer `0106002` with `ack`/`nack`
//! (OpenAPI route `PUT /transferout/{domain}/{type}`, Dart SDK) and the
//! Transfer object's XML keywords `domain`, `type`, `nack_reason`
//! ("mandatory" for a nack;
//! https://help.internetx.com/pages/viewpage.action?pageId=43811817); the
//! end of an answered transfer, `S0106` "Outgoing transfer was answered"
//! (Processing Transfer-Out Jobs,
//! https://en.help.internetx.com/display/APIXMLEN/Processing+Transfer-Out+Jobs).
//! The element holding the answer, `<transfer>`, is what two client
//! libraries send (magora-labs/autodns-api `DomainTransferNack.php`,
//! intermetrics/autodns-api `Task/TransferOut.php`). The immediate answer
//! is the documented `N0106` (same page), then the mail: `S0106`, or
//! `E0106` ("does not agree … or the transfer was unsuccessful": the end
//! of a nack, or a transfer that failed, offered through `fail_async`).
//! Not published, so ours and offered as variants: the refusal texts, a
//! `N0106002` with a job id (`Scenario::TransferOutJobAnswer`), an answer
//! done at once without a mail (`Scenario::TransferOutAnsweredAtOnce`).

use internetx::tree::Element;

use crate::answer::Answer;
use crate::registry::Registry;
use crate::{Scenario, SimulatorConfig};

/// The `transfer_start` event as the published sample shows it.
pub fn transfer_start_xml(domain: &str, gaining: &str, message_id: &str) -> String {
    let now = time::OffsetDateTime::now_utc();
    let at = |days: i64| {
        let t = now + time::Duration::days(days);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><result><data><summary>1</summary>\
         <message><id>{message_id}</id><owner />\
         <notify><domain><name>{domain}</name></domain><transfer>\
         <gaining_registrar>{gaining}</gaining_registrar><loosing_registrar>InterNetX</loosing_registrar>\
         <start>{}</start><reminder>{}</reminder><autonack>{}</autonack><end>{}</end>\
         </transfer></notify></message></data>\
         <status><code>S0905</code><text>The notification was polled successfully.</text><type>success</type></status>\
         </result></response>\n",
        at(0),
        at(3),
        at(5),
        at(5)
    )
}

/// `0106002`: the holder's answer to a pending outgoing transfer.
pub fn answer(config: &SimulatorConfig, task: &Element, registered: &mut Registry) -> Answer {
    const FAILED: &str = "The transfer could not be answered.";
    let name = transfer_domain(task);
    let object = Some(("domain", name.as_str()));
    let refuse = |detail: &str| Answer::error("E0106002", FAILED, object, detail);
    if !registered.domains.contains(&name) {
        return refuse("EF01050 Domain not found.");
    }
    let ack = match task.text_at(&["transfer", "type"]).map(str::trim) {
        Some(t) if t.eq_ignore_ascii_case("ack") => true,
        Some(t) if t.eq_ignore_ascii_case("nack") => false,
        _ => return refuse("EF01062 The answer (type) must be ack or nack."),
    };
    let reason = task
        .text_at(&["transfer", "nack_reason"])
        .map(str::trim)
        .unwrap_or_default();
    if !ack && reason.is_empty() {
        return refuse("EF01063 A nack needs its reason (nack_reason).");
    }
    // `nack_reason` is the enum of the Transfer object and an int32 in the
    // OpenAPI's `TransferOut`; InterNetX's PHP SDK
    // (php-domainrobot-sdk, `src/Service/TransferOutService.php`) lists 1-6,
    // and a client library (intermetrics/autodns-api, `Task/TransferOut.php`)
    // takes nothing else. The refusal's code is not published; a text is
    // refused as an invalid value would be.
    if !ack && !matches!(reason, "1" | "2" | "3" | "4" | "5" | "6") {
        return refuse("EF01065 The nack_reason is not valid (1 to 6).");
    }
    if !registered.transfers_out.remove(&name) {
        return refuse("EF01064 No outgoing transfer is pending for this domain.");
    }
    if config.scenario(&name) == Scenario::TransferOutAnsweredAtOnce {
        if ack {
            registered.domains.remove(&name);
        }
        return Answer::success("S0106002", "The transfer was answered.", object);
    }
    if ack {
        // The domain leaves with the job's end (`Registry::finish`).
        registered.leaving.insert(name.clone());
    }
    // Processing Transfer-Out Jobs documents the synchronous `N0106` with no
    // job element; `N0106002` with a `transfer_job` (the bridge's earlier
    // assumption) is offered as a variant (`Scenario::TransferOutJobAnswer`).
    if config.scenario(&name) != Scenario::TransferOutJobAnswer {
        return Answer::notify("N0106", "Outgoing transfer is being answered.", object);
    }
    let mut answer = Answer::notify("N0106002", "The transfer answer was started.", object);
    answer.data = format!(
        "<transfer_job><job><id>{}</id><status>NOT_SET</status></job></transfer_job>",
        4_295_400_000u64 + registered.domains.len() as u64
    );
    answer
}

/// `0106001`: the pending outgoing transfer of a domain (OpenAPI "TransferOut
/// Info (0106001)"; the TransferOut object's fields `domain`, `gainingRegistrar`,
/// `start`, `autoAck`/`autoNack`, `end`). The request names the domain as an
/// object, `<transfer><domain><name/></domain></transfer>`, as
/// intermetrics/autodns-api `Task/TransferOutInfo.php` sends it; a request
/// without that name is refused. No answer is published: it carries a
/// `<transfer>` block with the Transfer object's XML keywords, and none
/// pending is an error, as domain info answers for a domain it does not
/// hold; the codes are ours (the probe asks for the real ones).
pub fn info(task: &Element, registered: &Registry) -> Answer {
    let Some(name) = task.text_at(&["transfer", "domain", "name"]) else {
        return Answer::error(
            "E0106001",
            "Transfer-out data could not be inquired.",
            None,
            "EF01001 Domain name is missing.",
        );
    };
    let name = name.trim().to_ascii_lowercase();
    let object = Some(("domain", name.as_str()));
    if !registered.domains.contains(&name) || !registered.transfers_out.contains(&name) {
        return Answer::error(
            "E0106001",
            "Transfer-out data could not be inquired.",
            object,
            "EF01064 No outgoing transfer is pending for this domain.",
        );
    }
    let mut answer = Answer::success(
        "S0106001",
        "Transfer-out data was inquired successfully.",
        object,
    );
    answer.data = format!("<transfer><domain>{name}</domain><type>pending</type></transfer>");
    answer
}

/// The domain a Transfer object names.
fn transfer_domain(task: &Element) -> String {
    task.text_at(&["transfer", "domain"])
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}
