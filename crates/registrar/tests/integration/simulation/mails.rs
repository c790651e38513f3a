//! Result mails as SES stores them: InterNetX's genuine ones in each form
//! INTERNETX.md describes (the XML job message inline, attached, and the
//! "Standard" text block whose `transaction` is a server id), and the
//! adversary's: no token, another request's token, a genuine token naming
//! another ctid or domain, `<notify>` floods, and hostile MIME nesting.

use crate::simulation::model::OwedMail;
use crate::simulation::rng::Rng;

pub const INBOUND: &str = "internetx@inbound.example.net";

fn headers(to: &str, content_type: &str) -> String {
    format!(
        "Received: from mx.autodns.com by inbound-smtp.eu-west-1.amazonaws.com with SMTP id sim\r\n for {to};\r\n Wed, 02 Dec 2026 10:00:00 +0000\r\n\
         X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n\
         From: AutoDNS <robot@autodns.com>\r\nTo: {to}\r\nSubject: Job result\r\n\
         MIME-Version: 1.0\r\nContent-Type: {content_type}\r\n\r\n"
    )
}

fn job_xml(ctid: Option<&str>, code: &str, success: bool, domain: &str, stid: &str) -> String {
    let kind = if code.starts_with('N') {
        "notify"
    } else if success {
        "success"
    } else {
        "error"
    };
    let ctid = ctid
        .map(|c| format!("<ctid>{c}</ctid>"))
        .unwrap_or_default();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><result><data><summary>1</summary><message><id>1</id><stid>{stid}</stid><job>{ctid}\
         <status><code>{code}</code><text>Job {code}.</text><type>{kind}</type></status>\
         <domain><name>{domain}</name></domain></job></message></data></result></response>"
    )
}

/// The genuine mail in one of its forms.
pub fn genuine(owed: &OwedMail, rng: &mut Rng) -> Vec<u8> {
    let to = owed.reply_to.clone().unwrap_or_else(|| INBOUND.to_owned());
    let xml = job_xml(
        Some(&owed.ctid),
        &owed.code,
        owed.success,
        &owed.domain,
        &owed.stid,
    );
    match rng.below(3) {
        0 => format!("{}{xml}", headers(&to, "text/xml; charset=utf-8")).into_bytes(),
        1 => format!(
            "{}--b1\r\nContent-Type: text/plain\r\n\r\nThe job result is attached.\r\n--b1\r\nContent-Type: application/xml; name=result.xml\r\nContent-Disposition: attachment; filename=result.xml\r\n\r\n{xml}\r\n--b1--\r\n",
            headers(&to, "multipart/mixed; boundary=b1")
        )
        .into_bytes(),
        _ => {
            let (sld, tld) = owed.domain.split_once('.').unwrap_or((&owed.domain, "de"));
            let task = &owed.code[1..];
            let status = if owed.success { "success" } else { "error" };
            format!(
                "{}Dear customer,\r\n<system>\r\n\tuser: sim\r\n\ttask: {task}\r\n\tstatus: {} [Job {}.]\r\n\ttransaction: {}\r\n</system>\r\n<reply>\r\n\ttld: {tld}\r\n\tsld: {sld}\r\n\tstatus: {status}\r\n</reply>\r\n<notify></notify>\r\n",
                headers(&to, "text/plain; charset=utf-8"),
                owed.code,
                owed.code,
                owed.stid
            )
            .into_bytes()
        }
    }
}

/// What a forged mail tries.
#[derive(Debug, Clone, Copy)]
pub enum Forgery {
    NoToken,
    OtherToken,
    GenuineTokenOtherCtid,
    GenuineTokenOtherDomain,
    NotifyFlood,
    DeepNesting,
}

pub const FORGERIES: [Forgery; 6] = [
    Forgery::NoToken,
    Forgery::OtherToken,
    Forgery::GenuineTokenOtherCtid,
    Forgery::GenuineTokenOtherDomain,
    Forgery::NotifyFlood,
    Forgery::DeepNesting,
];

/// A forged success for `target` (its ctid in flight or settled last); `token_of`
/// gives the reply address issued for a ctid, `other` is another ctid
/// (another domain's, or made up).
pub fn forged(
    kind: Forgery,
    target: &str,
    ctid: Option<&str>,
    other: &str,
    code: &str,
    token_of: &dyn Fn(&str) -> String,
    rng: &mut Rng,
) -> Vec<u8> {
    // `ctid`: the target's ctid in flight, or the one settled last; `other`
    // is never it. A mail with a token and a ctid that match is genuine by
    // construction (only InterNetX has the token), so no forgery has both.
    let named = ctid.unwrap_or("ib-01NOTOURS0000000000000000");
    let (to, xml) = match kind {
        Forgery::NoToken => (
            INBOUND.to_owned(),
            job_xml(Some(named), code, true, target, "x"),
        ),
        Forgery::OtherToken => (
            token_of(other),
            job_xml(Some(named), code, true, target, "x"),
        ),
        // The genuine reply address of the target's request, a job naming
        // another ctid: never applied (CONTRACT.md §4).
        Forgery::GenuineTokenOtherCtid => (
            token_of(named),
            job_xml(Some(other), code, true, target, "x"),
        ),
        Forgery::GenuineTokenOtherDomain => (
            token_of(other),
            job_xml(Some(other), code, true, target, "x"),
        ),
        Forgery::NotifyFlood => {
            let kinds = [
                "transfer_start",
                "domain_away",
                "transfer_autoack",
                "contact_deleted",
            ];
            let messages: String = (0..16)
                .map(|i| {
                    format!(
                        "<message><id>{i}</id><notify><type>{}</type><domain><name>{target}</name></domain></notify></message>",
                        kinds[i % kinds.len()]
                    )
                })
                .collect();
            (
                INBOUND.to_owned(),
                format!("<response><result><data><summary>16</summary>{messages}</data></result></response>"),
            )
        }
        Forgery::DeepNesting => return deep_nesting(rng, token_of(named)),
    };
    format!("{}{xml}", headers(&to, "text/xml")).into_bytes()
}

/// A mail nested `depth` levels deep, in one of the spellings and
/// encodings mail-parser follows (security review N3).
fn deep_nesting(rng: &mut Rng, to: String) -> Vec<u8> {
    let depth = *rng.pick(&[9, 50, 400, 10_000, 100_000]);
    let spelling = *rng.pick(&[
        "Content-Type: message/rfc822",
        "Content-Type : message/global",
        "content-type:message/RFC822",
    ]);
    let mut inner =
        format!("{spelling}\r\n\r\n").repeat(depth) + "Content-Type: text/plain\r\n\r\nhello\r\n";
    if rng.chance(50) {
        use base64::Engine;
        let encoded = base64::engine::general_purpose::STANDARD.encode(inner.as_bytes());
        inner = format!("Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{encoded}\r\n");
    }
    format!("From: x@evil.example\r\nTo: {to}\r\nSubject: deep\r\nMIME-Version: 1.0\r\n{inner}")
        .into_bytes()
}
