//! Writes the result-mail corpus under `events/mail/` (the `.eml` files and
//! `manifest.json` with what each should do). Tokens are made with the test
//! secret, so the corpus works against the test world and the demo.
//! Run: `cargo run -p e2e --bin make-mail-corpus`.

use base64::Engine;
use e2e::REPLY_SECRET;
use registrar::reply_address::ReplyAddress;
use serde_json::{json, Value};

const DATE: &str = "Sun, 29 Nov 2026 10:00:00 +0000";

struct Mail {
    file: &'static str,
    about: &'static str,
    /// The in-flight domain the test seeds: (domain, operation, ctid).
    seed: Option<(&'static str, &'static str, &'static str)>,
    tag: &'static str,
    /// The seeded domain's status afterwards.
    status: Option<&'static str>,
    raw: Vec<u8>,
}

fn headers(to: &str, extra: &str, subject: &str, id: &str) -> String {
    format!(
        "Return-Path: <bounces@autodns.com>\r\n\
         Received: from mail.autodns.com (mail.autodns.com [62.116.129.216])\r\n by inbound-smtp.eu-central-1.amazonaws.com with SMTP id {id}\r\n for {to};\r\n {DATE}\r\n\
         {extra}\
         From: AutoDNS <robot@autodns.com>\r\n\
         To: {to}\r\n\
         Subject: {subject}\r\n\
         Date: {DATE}\r\n\
         Message-ID: <{id}@autodns.com>\r\n\
         MIME-Version: 1.0\r\n"
    )
}

const PASS: &str = "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n";

fn job(ctid: &str, domain: &str, kind: &str, code: &str, text: &str, extra: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><result><data><summary>1</summary><message><id>7001</id>\
         <job><ctid>{ctid}</ctid><status><type>{kind}</type><code>{code}</code><text>{text}</text></status>{extra}\
         <domain><name>{domain}</name></domain></job></message></data></result></response>\n"
    )
}

fn qp(text: &str) -> String {
    internetx_simulator::mailer::quoted_printable(text)
}

fn main() {
    let reply =
        ReplyAddress::new("internetx@inbound.example.net", REPLY_SECRET.as_bytes()).unwrap();
    let other =
        ReplyAddress::new("internetx@inbound.example.net", b"not-the-secret-at-all").unwrap();
    let to = |ctid: &str| reply.for_ctid(ctid);
    let text_plain = "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n";
    let mut mails = vec![
        Mail {
            file: "registration-success-inline-qp.eml",
            about: "XML format, the job message inline, quoted-printable",
            seed: Some(("corpus-one.de", "register", "ib-CORPUS-01")),
            tag: "applied",
            status: Some("Registered"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-01"), PASS, "AutoDNS S0101 corpus-one.de", "c01"),
                qp(&job("ib-CORPUS-01", "corpus-one.de", "success", "S0101", "The domain has been registered successfully.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "registration-error-attachment-base64.eml",
            about: "the job message as a base64 application/xml attachment, with registry detail",
            seed: Some(("corpus-two.de", "register", "ib-CORPUS-02")),
            tag: "applied",
            status: Some("Error"),
            raw: {
                let doc = job(
                    "ib-CORPUS-02",
                    "corpus-two.de",
                    "error",
                    "E0101",
                    "The domain could not be registered.",
                    "<nic_response>Registry: owner contact rejected (country code)</nic_response>",
                );
                let b64 = base64::engine::general_purpose::STANDARD.encode(doc);
                format!(
                    "{}Content-Type: multipart/mixed; boundary=\"XyZ\"\r\n\r\n--XyZ\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nSee the attachment.\r\n--XyZ\r\nContent-Type: application/xml; name=\"job.xml\"\r\nContent-Disposition: attachment; filename=\"job.xml\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--XyZ--\r\n",
                    headers(&to("ib-CORPUS-02"), PASS, "AutoDNS E0101 corpus-two.de", "c02"),
                    b64.as_bytes().chunks(76).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("\r\n")
                )
                .into_bytes()
            },
        },
        Mail {
            file: "transfer-success-latin1.eml",
            about: "ISO-8859-1 text part, quoted-printable, umlauts in the text",
            seed: Some(("corpus-drei.com", "transfer", "ib-CORPUS-03")),
            tag: "applied",
            status: Some("Registered"),
            raw: format!(
                "{}Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}",
                headers(&to("ib-CORPUS-03"), PASS, "AutoDNS S0104001 corpus-drei.com", "c03"),
                qp(&job("ib-CORPUS-03", "corpus-drei.com", "success", "S0104001", "Der Transfer wurde erfolgreich durchgef\u{fc}hrt.", ""))
                    .replace("=C3=BC", "=FC")
            )
            .into_bytes(),
        },
        Mail {
            file: "transfer-error-standard-text.eml",
            about: "the \"Standard\" format: the legacy <system>/<reply> text block",
            seed: Some(("corpus-four.com", "transfer", "ib-CORPUS-04")),
            tag: "applied",
            status: Some("Error"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-04"), PASS, "AutoDNS E0104001 corpus-four.com", "c04"),
                qp("Dear customer,\n\n<system>\n\tuser: bridge\n\ttask: 0104001\n\tstatus: E0104001 [The incoming domain transfer failed.]\n\tnotice: EF01045 [The losing registrar refused the transfer.]\n\ttransaction: ib-CORPUS-04\n</system>\n<reply>\n\ttld: com\n\tsld: corpus-four\n\tstatus: error\n</reply>\n<notify></notify>\n")
            )
            .into_bytes(),
        },
        Mail {
            file: "transfer-intermediate.eml",
            about: "an intermediate transfer message (S0104): logged, the transfer stays in flight",
            seed: Some(("corpus-five.com", "transfer", "ib-CORPUS-05")),
            tag: "applied",
            status: Some("Transferring"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-05"), PASS, "AutoDNS S0104 corpus-five.com", "c05"),
                qp(&job("ib-CORPUS-05", "corpus-five.com", "success", "S0104", "The registry initiated the transfer.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "nameserver-change-success.eml",
            about: "a name-server change confirmed (S0102)",
            seed: Some(("corpus-ns.de", "update_nameservers", "ib-CORPUS-15")),
            tag: "applied",
            status: Some("Registered"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-15"), PASS, "AutoDNS S0102 corpus-ns.de", "c15"),
                qp(&job("ib-CORPUS-15", "corpus-ns.de", "success", "S0102", "The domain has been updated successfully.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "owner-change-success.eml",
            about: "an owner change that InterNetX ran as owner-change job (S0104011)",
            seed: Some(("corpus-owner.de", "update_contacts", "ib-CORPUS-16")),
            tag: "applied",
            status: Some("Registered"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-16"), PASS, "AutoDNS S0104011 corpus-owner.de", "c16"),
                qp(&job("ib-CORPUS-16", "corpus-owner.de", "success", "S0104011", "The owner change has been completed successfully.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "cancellation-success.eml",
            about: "a cancelation at expiry confirmed (S0103101)",
            seed: Some(("corpus-cancel.de", "cancel", "ib-CORPUS-17")),
            tag: "applied",
            status: Some("Cancelled"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-17"), PASS, "AutoDNS S0103101 corpus-cancel.de", "c17"),
                qp(&job("ib-CORPUS-17", "corpus-cancel.de", "success", "S0103101", "The cancelation has been created.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "cancellation-error.eml",
            about: "a cancelation the registry refused (E0103101)",
            seed: Some(("corpus-cancel-two.de", "cancel", "ib-CORPUS-18")),
            tag: "applied",
            status: Some("Error"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-18"), PASS, "AutoDNS E0103101 corpus-cancel-two.de", "c18"),
                qp(&job("ib-CORPUS-18", "corpus-cancel-two.de", "error", "E0103101", "The cancelation failed.", "<nic_response>Registry: domain is locked.</nic_response>"))
            )
            .into_bytes(),
        },
        Mail {
            file: "forged-token-of-another-request.eml",
            about: "right format, but delivered on the token of another ctid",
            seed: Some(("corpus-six.de", "register", "ib-CORPUS-06")),
            tag: "quarantined",
            status: Some("Registering"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-99"), PASS, "AutoDNS S0101 corpus-six.de", "c06"),
                qp(&job("ib-CORPUS-06", "corpus-six.de", "success", "S0101", "The domain has been registered successfully.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "forged-wrong-secret.eml",
            about: "a token made with another secret",
            seed: Some(("corpus-seven.de", "register", "ib-CORPUS-07")),
            tag: "quarantined",
            status: Some("Registering"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&other.for_ctid("ib-CORPUS-07"), PASS, "AutoDNS S0101 corpus-seven.de", "c07"),
                qp(&job("ib-CORPUS-07", "corpus-seven.de", "success", "S0101", "The domain has been registered successfully.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "forged-plain-address.eml",
            about: "sent to the bare inbound address, no token at all",
            seed: Some(("corpus-seven-b.de", "register", "ib-CORPUS-07B")),
            tag: "quarantined",
            status: Some("Registering"),
            raw: format!(
                "{}{text_plain}{}",
                headers("internetx@inbound.example.net", PASS, "AutoDNS S0101", "c07b"),
                qp(&job("ib-CORPUS-07B", "corpus-seven-b.de", "success", "S0101", "Registered.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "spam-verdict-fail.eml",
            about: "a valid token, but SES marked it as spam",
            seed: Some(("corpus-eight.de", "register", "ib-CORPUS-08")),
            tag: "quarantined",
            status: Some("Registering"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-08"), "X-SES-Spam-Verdict: FAIL\r\nX-SES-Virus-Verdict: PASS\r\n", "AutoDNS S0101", "c08"),
                qp(&job("ib-CORPUS-08", "corpus-eight.de", "success", "S0101", "Registered.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "virus-verdict-fail.eml",
            about: "a valid token, but SES found a virus",
            seed: Some(("corpus-nine.de", "register", "ib-CORPUS-09")),
            tag: "quarantined",
            status: Some("Registering"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-09"), "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: FAIL\r\n", "AutoDNS S0101", "c09"),
                qp(&job("ib-CORPUS-09", "corpus-nine.de", "success", "S0101", "Registered.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "unknown-ctid.eml",
            about: "a genuine token for a ctid no domain was sent with",
            seed: None,
            tag: "ignored",
            status: None,
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-UNKNOWN"), PASS, "AutoDNS S0101", "c10"),
                qp(&job("ib-CORPUS-UNKNOWN", "corpus-nobody.de", "success", "S0101", "Registered.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "wrong-domain.eml",
            about: "a genuine token and ctid, but the mail names another domain",
            seed: Some(("corpus-eleven.de", "register", "ib-CORPUS-11")),
            tag: "ignored",
            status: Some("Registering"),
            raw: format!(
                "{}{text_plain}{}",
                headers(&to("ib-CORPUS-11"), PASS, "AutoDNS S0101", "c11"),
                qp(&job("ib-CORPUS-11", "someone-else.de", "success", "S0101", "Registered.", ""))
            )
            .into_bytes(),
        },
        Mail {
            file: "registry-event-transfer-start.eml",
            about: "a registry event (notify, no ctid): logged against the domain, not acted on",
            seed: Some(("corpus-twelve.com", "transfer", "ib-CORPUS-12")),
            tag: "ignored",
            status: Some("Transferring"),
            raw: format!(
                "{}{text_plain}{}",
                headers("internetx@inbound.example.net", PASS, "AutoDNS notify", "c12"),
                qp("<response><result><data><summary>1</summary><message><id>1005360835</id><owner/><notify><domain><name>corpus-twelve.com</name></domain><transfer><gaining_registrar>greg</gaining_registrar><loosing_registrar>lreg</loosing_registrar><start>2026-11-29 11:05:56</start></transfer></notify></message></data></result></response>\n")
            )
            .into_bytes(),
        },
        Mail {
            file: "not-internetx.eml",
            about: "a newsletter sent to the inbound address",
            seed: None,
            tag: "ignored",
            status: None,
            raw: "Received: from mail.shop.example (mail.shop.example [198.51.100.7])\r\n by inbound-smtp.eu-central-1.amazonaws.com with SMTP id c13\r\n for internetx@inbound.example.net;\r\n Sun, 29 Nov 2026 10:00:00 +0000\r\nX-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\nFrom: Shop <news@shop.example>\r\nTo: internetx@inbound.example.net\r\nSubject: Black Friday!\r\nDate: Sun, 29 Nov 2026 10:00:00 +0000\r\nMessage-ID: <c13@shop.example>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n50% off everything.\r\n--b\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<html><body><p>50% off <b>everything</b>.</p></body></html>\r\n--b--\r\n".as_bytes().to_vec(),
        },
        Mail {
            file: "garbage.eml",
            about: "not a mail at all",
            seed: None,
            tag: "failed",
            status: None,
            raw: (0u8..=255).cycle().skip(7).step_by(13).take(600).collect(),
        },
        Mail {
            file: "truncated.eml",
            about: "a genuine result cut off in the middle of its XML",
            seed: Some(("corpus-fourteen.de", "register", "ib-CORPUS-14")),
            tag: "failed",
            status: Some("Registering"),
            raw: {
                let full = format!(
                    "{}Content-Type: text/plain; charset=UTF-8\r\n\r\n{}",
                    headers(&to("ib-CORPUS-14"), PASS, "AutoDNS S0101", "c14"),
                    job("ib-CORPUS-14", "corpus-fourteen.de", "success", "S0101", "Registered.", "")
                );
                full.as_bytes()[..full.len() - 60].to_vec()
            },
        },
    ];
    let dir = e2e::events_dir().join("mail");
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest: Vec<Value> = Vec::new();
    for mail in mails.drain(..) {
        std::fs::write(dir.join(mail.file), &mail.raw).unwrap();
        manifest.push(json!({
            "file": mail.file,
            "about": mail.about,
            "seed": mail.seed.map(|(d, op, ctid)| json!({"domain": d, "operation": op, "ctid": ctid})),
            "expect_tag": mail.tag,
            "expect_status": mail.status,
        }));
    }
    let text = serde_json::to_string_pretty(&manifest).unwrap() + "\n";
    std::fs::write(dir.join("manifest.json"), text).unwrap();
    println!("wrote {} mails to {}", manifest.len(), dir.display());
}
