//! Result mails: the MIME message InterNetX sends to a request's `reply_to`,
//! as SES stored it. No public source shows the mail's layout (INTERNETX.md),
//! so every text part and attachment is searched for `<response>` documents
//! and for the legacy `<system>` text block, in whatever transfer encoding and
//! charset mail-parser decodes.

use mail_parser::{Message, MessageParser, PartType};

use crate::notification::{parse_legacy_text, parse_notification_document, Notification};

/// What the mail function needs to know about one mail.
#[derive(Debug, Clone, Default)]
pub struct ResultMail {
    pub message_id: Option<String>,
    /// The `From` address, lower-cased.
    pub from: Option<String>,
    /// Every address the mail was delivered to or names as recipient
    /// (`To`, `Cc`, `Delivered-To`, `X-Original-To`, `Received: … for <…>`).
    pub recipients: Vec<String>,
    /// SES's `X-SES-Spam-Verdict` and `X-SES-Virus-Verdict`.
    pub spam_verdict: Option<String>,
    pub virus_verdict: Option<String>,
    /// Domains SES's own checks vouch for, lower-case: from the first
    /// `Authentication-Results` header (SES prepends it, authserv-id
    /// `amazonses.com`; a sender's own header can only come below), the
    /// envelope sender's domain when `spf=pass`, the signing domain when
    /// `dkim=pass`. Unlike `From:`, a sender cannot write these.
    pub authenticated_domains: Vec<String>,
    pub notifications: Vec<Notification>,
    /// InterNetX-looking documents that could not be read, with the reason.
    pub unreadable: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    #[error("not an e-mail message (no headers could be read)")]
    NotAMessage,
    #[error("mail not parsed: {0}")]
    TooComplex(String),
}

/// Nesting of attached messages we follow (a forwarded result, say).
const MAX_NESTING: usize = 4;
/// Documents searched per mail, so a hostile mail cannot cost much.
const MAX_DOCUMENTS: usize = 64;
/// Attached messages (`message/rfc822`) a mail may hold at all: the MIME
/// parser follows them recursively, so a deep nest would overflow its stack
/// before our own depth limit is reached.
pub const MAX_ATTACHED_MESSAGES: usize = 8;
/// MIME parts (`Content-Type` headers) a mail may hold.
pub const MAX_PARTS: usize = 256;
/// Recipient addresses a mail that did not come through SES may name
/// (every one costs a token check per ctid).
pub const MAX_RECIPIENTS: usize = 32;

/// Refuses, before any parsing, a mail whose structure alone would make the
/// MIME parser expensive or deep: too many parts, or attached messages that
/// could nest without bound. mail-parser follows `message/rfc822`,
/// `message/global` and the untyped parts of a `multipart/digest` as nested
/// messages, accepts header names with blanks before the colon, and decodes
/// an encoded attached message before parsing it again (security review
/// N3), so every header block is read the way it reads them: an attached
/// message of any of these spellings counts towards the bound, and one in a
/// transfer encoding (whose content no scan of the raw mail can see) or a
/// digest is refused outright — InterNetX sends neither.
fn check_structure(raw: &[u8]) -> Result<(), MailError> {
    let too_complex = |why: String| Err(MailError::TooComplex(why));
    let mut parts = 0;
    let mut attached = 0;
    for block in header_blocks(raw) {
        let Some(kind) = block.content_type else {
            continue;
        };
        parts += 1;
        if parts > MAX_PARTS {
            return too_complex(format!("more than {MAX_PARTS} MIME parts"));
        }
        if kind.starts_with("multipart/digest") {
            return too_complex("a multipart/digest (its parts are attached messages)".into());
        }
        if kind.starts_with("message/") {
            attached += 1;
            if attached > MAX_ATTACHED_MESSAGES {
                return too_complex(format!(
                    "more than {MAX_ATTACHED_MESSAGES} attached messages"
                ));
            }
            if block.encoded {
                return too_complex(format!(
                    "an attached message ({kind}) in a transfer encoding"
                ));
            }
        }
    }
    Ok(())
}

/// What a block of header lines says about its part.
#[derive(Debug, Default)]
struct HeaderBlock {
    /// `Content-Type`, lower-cased, without blanks.
    content_type: Option<String>,
    /// A `Content-Transfer-Encoding` other than 7bit, 8bit or binary.
    encoded: bool,
}

/// Every run of header-shaped lines in the raw mail (the message's own
/// headers, each part's, and anything in a body that looks like them —
/// counted too, which errs on the side of refusing). A header is a name of
/// printable characters, optional blanks, a colon, its value and the
/// folded lines after it.
fn header_blocks(raw: &[u8]) -> Vec<HeaderBlock> {
    let mut blocks = Vec::new();
    let mut current = HeaderBlock::default();
    let mut field: Option<(String, String)> = None;
    let finish = |field: &mut Option<(String, String)>, block: &mut HeaderBlock| {
        if let Some((name, value)) = field.take() {
            let value: String = value
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            match name.as_str() {
                "content-type" => block.content_type = Some(value),
                "content-transfer-encoding" => {
                    block.encoded = !matches!(value.as_str(), "" | "7bit" | "8bit" | "binary")
                }
                _ => {}
            }
        }
    };
    for line in raw.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
            if let Some((_, value)) = field.as_mut() {
                value.push_str(&String::from_utf8_lossy(line));
            }
            continue;
        }
        finish(&mut field, &mut current);
        let name_end = line.iter().position(|b| *b == b':');
        let name = name_end.map(|end| &line[..end]).filter(|name| {
            let trimmed = name.trim_ascii_end();
            !trimmed.is_empty() && trimmed.iter().all(|b| b.is_ascii_graphic())
        });
        match (name, name_end) {
            (Some(name), Some(end)) => {
                field = Some((
                    String::from_utf8_lossy(name.trim_ascii_end()).to_ascii_lowercase(),
                    String::from_utf8_lossy(&line[end + 1..]).into_owned(),
                ))
            }
            _ => {
                if current.content_type.is_some() || current.encoded {
                    blocks.push(std::mem::take(&mut current));
                }
                current = HeaderBlock::default();
            }
        }
    }
    finish(&mut field, &mut current);
    if current.content_type.is_some() || current.encoded {
        blocks.push(current);
    }
    blocks
}

pub fn parse_result_mail(raw: &[u8]) -> Result<ResultMail, MailError> {
    check_structure(raw)?;
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(MailError::NotAMessage)?;
    let has_headers = message.from().is_some()
        || message.message_id().is_some()
        || message.date().is_some()
        || message.to().is_some();
    if !has_headers {
        return Err(MailError::NotAMessage);
    }
    let mut mail = ResultMail {
        message_id: message.message_id().map(str::to_owned),
        from: message
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(str::to_ascii_lowercase),
        spam_verdict: header_text(&message, "X-SES-Spam-Verdict"),
        virus_verdict: header_text(&message, "X-SES-Virus-Verdict"),
        ..ResultMail::default()
    };
    mail.recipients = recipients(&message);
    mail.authenticated_domains = header_text(&message, "Authentication-Results")
        .map(|value| authenticated_domains(&value))
        .unwrap_or_default();
    let mut texts = Vec::new();
    collect_texts(&message, 0, &mut texts);
    for text in texts {
        scan(&text, &mut mail);
    }
    Ok(mail)
}

fn header_text(message: &Message<'_>, name: &str) -> Option<String> {
    message
        .headers_raw()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_owned())
}

/// The domains an `Authentication-Results` header of SES's own says passed
/// SPF or DKIM (RFC 8601: `authserv-id; method=result property=value …`).
fn authenticated_domains(value: &str) -> Vec<String> {
    let mut clauses = rfc8601_clauses(value).into_iter();
    if !clauses
        .next()
        .and_then(|id| id.into_iter().next())
        .is_some_and(|id| id.eq_ignore_ascii_case("amazonses.com"))
    {
        return Vec::new();
    }
    let mut domains = Vec::new();
    // SES writes a method's properties as clauses of their own
    // (`spf=pass (…) client-ip=…; envelope-from=…; helo=…;`): they belong
    // to the method before them.
    let mut properties: &[&str] = &[];
    for clause in clauses {
        for word in &clause {
            let lower = word.to_ascii_lowercase();
            let Some((name, value)) = lower.split_once('=') else {
                continue;
            };
            if ["spf", "dkim", "dmarc", "auth", "iprev"].contains(&name) {
                properties = match (name, value) {
                    ("spf", "pass") => &["smtp.mailfrom", "envelope-from"],
                    ("dkim", "pass") => &["header.d", "header.i"],
                    _ => &[],
                };
                continue;
            }
            if !properties.contains(&name) {
                continue;
            }
            let domain = value
                .rsplit('@')
                .next()
                .unwrap_or_default()
                .trim_matches('.');
            if domain.contains('.') && !domains.iter().any(|d| d == domain) {
                domains.push(domain.to_owned());
            }
        }
    }
    domains
}

/// An RFC 8601 header value as its `;`-separated clauses, each as its
/// words (`name=value`, whitespace around `=` allowed). A `;` or `=`
/// inside a quoted string or a comment separates nothing, comments are
/// dropped, and a quoted string stands as `""`: its content is a local
/// part, which names no domain — `"x;envelope-from=robot@autodns.com;"@
/// evil.example` is `""@evil.example` (security review N9).
fn rfc8601_clauses(value: &str) -> Vec<Vec<String>> {
    let mut clauses = vec![Vec::new()];
    let mut word = String::new();
    let mut chars = value.chars();
    let end_word = |word: &mut String, clauses: &mut Vec<Vec<String>>| {
        if !word.is_empty() {
            let clause = clauses.last_mut().expect("one clause at least");
            clause.push(std::mem::take(word));
        }
    };
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                word.push_str("\"\"");
                while let Some(q) = chars.next() {
                    match q {
                        '\\' => {
                            chars.next();
                        }
                        '"' => break,
                        _ => {}
                    }
                }
            }
            '(' => {
                let mut depth = 1;
                while depth > 0 {
                    match chars.next() {
                        Some('\\') => {
                            chars.next();
                        }
                        Some('(') => depth += 1,
                        Some(')') => depth -= 1,
                        Some(_) => {}
                        None => break,
                    }
                }
                end_word(&mut word, &mut clauses);
            }
            ';' => {
                end_word(&mut word, &mut clauses);
                clauses.push(Vec::new());
            }
            c if c.is_whitespace() => end_word(&mut word, &mut clauses),
            c => word.push(c),
        }
    }
    end_word(&mut word, &mut clauses);
    // `name = value` is `name=value`.
    for clause in &mut clauses {
        let mut joined: Vec<String> = Vec::with_capacity(clause.len());
        for w in clause.drain(..) {
            match joined.last_mut() {
                Some(last) if last.ends_with('=') || w.starts_with('=') => last.push_str(&w),
                _ => joined.push(w),
            }
        }
        *clause = joined;
    }
    clauses
}

/// The address SES received the mail for: the `for <…>` of the topmost
/// `Received` header, which SES prepends to every mail it stores (`by
/// inbound-smtp.<region>.amazonaws.com … for <reply+token@…>`). Every
/// header below it — `To`, `Cc`, `Delivered-To`, `X-Original-To`, other
/// `Received` lines — is the sender's to write, so a token copied there
/// from a leaked mail opens nothing (security review N16, M4).
///
/// A mail with no SES header on top did not come through SES (a copy put
/// in the bucket by hand, a fixture): only the account's own principals can
/// write there, so its `To`, `Cc`, `Delivered-To` and `X-Original-To` are
/// read instead.
fn recipients(message: &Message<'_>) -> Vec<String> {
    let topmost = message
        .headers_raw()
        .find(|(name, _)| name.eq_ignore_ascii_case("Received"))
        .map(|(_, value)| value.replace(['\r', '\n', '\t'], " ").to_ascii_lowercase());
    let by_ses = |received: &str| {
        received
            .split(" by ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|host| {
                host.starts_with("inbound-smtp.") && host.ends_with(".amazonaws.com")
            })
    };
    match topmost {
        Some(received) if by_ses(&received) => received
            .split(" for ")
            .nth(1)
            .and_then(|rest| rest.split([';', ' ']).find(|w| w.contains('@')))
            .map(|address| address.trim().trim_matches(['<', '>']).to_owned())
            .filter(|address| address.contains('@'))
            .into_iter()
            .collect(),
        _ => written_recipients(message),
    }
}

/// The recipients a mail's own headers name (see [`recipients`]).
fn written_recipients(message: &Message<'_>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |address: &str| {
        let address = address.trim().trim_matches(['<', '>']).to_ascii_lowercase();
        if out.len() < MAX_RECIPIENTS && address.contains('@') && !out.contains(&address) {
            out.push(address);
        }
    };
    for list in [message.to(), message.cc()].into_iter().flatten() {
        for addr in list.iter() {
            if let Some(a) = addr.address() {
                add(a);
            }
        }
    }
    for (name, value) in message.headers_raw() {
        if name.eq_ignore_ascii_case("Delivered-To") || name.eq_ignore_ascii_case("X-Original-To") {
            add(value);
        }
    }
    out
}

fn collect_texts(message: &Message<'_>, depth: usize, out: &mut Vec<String>) {
    for part in &message.parts {
        match &part.body {
            PartType::Text(text) => out.push(text.to_string()),
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                if let Some(text) = decode_document(bytes) {
                    out.push(text);
                }
            }
            PartType::Message(nested) if depth < MAX_NESTING => {
                collect_texts(nested, depth + 1, out)
            }
            PartType::Html(_) | PartType::Message(_) | PartType::Multipart(_) => {}
        }
    }
}

/// An attachment as text: UTF-8, or Latin-1 when its XML declaration says so.
fn decode_document(bytes: &[u8]) -> Option<String> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Some(text.to_owned());
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).to_ascii_lowercase();
    let latin1 = ["iso-8859-1", "iso-8859-15", "latin1", "windows-1252"]
        .iter()
        .any(|enc| head.contains(enc));
    latin1.then(|| bytes.iter().map(|&b| b as char).collect())
}

/// Finds the `<response>` documents and legacy blocks in one text.
fn scan(text: &str, mail: &mut ResultMail) {
    let mut rest = text;
    let mut found = 0;
    while let Some(start) = find_response_start(rest) {
        found += 1;
        if found > MAX_DOCUMENTS {
            mail.unreadable
                .push(format!("more than {MAX_DOCUMENTS} documents in one part"));
            return;
        }
        let doc = &rest[start..];
        let Some(end) = doc.find("</response>") else {
            mail.unreadable
                .push("a <response> document is cut off (no </response>)".into());
            return;
        };
        let end = end + "</response>".len();
        match parse_notification_document(&doc[..end]) {
            Ok(notifications) => {
                for notification in notifications {
                    match notification {
                        Notification::Unreadable { message_id, reason } => {
                            mail.unreadable.push(match message_id {
                                Some(id) => format!("message {id}: {reason}"),
                                None => reason,
                            })
                        }
                        readable => mail.notifications.push(readable),
                    }
                }
            }
            Err(e) => mail.unreadable.push(e.to_string()),
        }
        rest = &doc[end..];
    }
    if text.contains("<system>") {
        match parse_legacy_text(text) {
            Some(n) => mail.notifications.push(n),
            None => mail
                .unreadable
                .push("a <system> block without a readable status line".into()),
        }
    }
}

/// Where a `<response` element begins ("<responses>" and the like do not
/// count). A loop, not recursion: a hostile mail of many near misses costs
/// time linear in its size and no stack.
fn find_response_start(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(found) = text[from..].find("<response") {
        let at = from + found;
        let next = at + "<response".len();
        if matches!(
            text[next..].chars().next(),
            Some('>' | ' ' | '\t' | '\r' | '\n' | '/')
        ) {
            return Some(at);
        }
        from = next;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><result><data><message><id>1</id><job><ctid>ib-1</ctid><status><code>S0101</code><text>Domain registered.</text><type>success</type></status><domain><name>example.de</name></domain></job></message></data></result></response>";

    fn mail(headers: &str, body: &str) -> Vec<u8> {
        format!("{headers}\r\n\r\n{body}").into_bytes()
    }

    #[test]
    fn finds_inline_xml_and_recipients() {
        let raw = mail(
            "Received: from mx.autodns.com by inbound-smtp.eu-west-1.amazonaws.com with SMTP id x\r\n for internetx+abc@inbound.example.net;\r\n Sun, 29 Nov 2026 10:00:00 +0000\r\nX-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\nFrom: AutoDNS <robot@AutoDNS.com>\r\nTo: internetx+abc@inbound.example.net\r\nMessage-ID: <m1@autodns>\r\nSubject: result\r\nContent-Type: text/plain; charset=utf-8",
            &format!("Result:\r\n{JOB}\r\n"),
        );
        let m = parse_result_mail(&raw).unwrap();
        assert_eq!(m.from.as_deref(), Some("robot@autodns.com"));
        assert_eq!(m.recipients, ["internetx+abc@inbound.example.net"]);
        assert_eq!(m.spam_verdict.as_deref(), Some("PASS"));
        assert_eq!(m.notifications.len(), 1);
        assert!(m.unreadable.is_empty());
    }

    /// Security review M1: each of these aborted the process (stack
    /// overflow) or cost seconds; now each is a quick verdict.
    #[test]
    fn hostile_structures_cost_nothing() {
        let near_misses = "<responsex".repeat(100_000);
        let raw = mail("From: a@b.de\r\nTo: c@d.de", &near_misses);
        let m = parse_result_mail(&raw).unwrap();
        assert!(m.notifications.is_empty());

        let mut nested = String::from("From: a@b.de\r\nTo: c@d.de\r\n");
        for _ in 0..100_000 {
            nested.push_str("Content-Type: message/rfc822\r\n\r\n");
        }
        assert!(matches!(
            parse_result_mail(nested.as_bytes()),
            Err(MailError::TooComplex(_))
        ));

        let many: String = (0..5_000)
            .map(|i| format!("To: internetx+{i:032x}@inbound.example.net\r\n"))
            .collect();
        let raw = mail(&format!("From: a@b.de\r\n{many}"), JOB);
        assert!(parse_result_mail(&raw).unwrap().recipients.len() <= MAX_RECIPIENTS);
    }

    /// N16: only the address SES received the mail for counts; every header
    /// the sender wrote below it opens nothing.
    #[test]
    fn only_the_address_ses_received_the_mail_for_is_a_recipient() {
        let leaked = "internetx+leaked@inbound.example.net";
        let sender_written = format!(
            "To: {leaked}\r\nCc: {leaked}\r\nDelivered-To: {leaked}\r\nX-Original-To: {leaked}\r\n\
             Received: by inbound-smtp.eu-west-1.amazonaws.com for <{leaked}>; Sun, 29 Nov 2026\r\nFrom: robot@autodns.com"
        );
        let ses = "Received: from mx.evil.example by inbound-smtp.eu-west-1.amazonaws.com with SMTP id x\r\n for attacker@inbound.example.net;\r\n Sun, 29 Nov 2026 10:00:00 +0000";
        let raw = mail(&format!("{ses}\r\n{sender_written}"), JOB);
        assert_eq!(
            parse_result_mail(&raw).unwrap().recipients,
            ["attacker@inbound.example.net"]
        );
        // SES's header naming no address: none.
        let bare = "Received: from mx.evil.example by inbound-smtp.eu-west-1.amazonaws.com with SMTP id x; Sun, 29 Nov 2026";
        let raw = mail(&format!("{bare}\r\n{sender_written}"), JOB);
        assert!(parse_result_mail(&raw).unwrap().recipients.is_empty());
        // A mail that never passed SES (put in the bucket by the account
        // itself) is read by its own headers.
        let raw = mail(&format!("To: {leaked}\r\nFrom: robot@autodns.com"), JOB);
        assert_eq!(parse_result_mail(&raw).unwrap().recipients, [leaked]);
    }

    /// Security review N3: the spellings and encodings a byte count missed
    /// (each aborted a release build at depth), refused before parsing.
    #[test]
    fn every_spelling_and_encoding_of_a_deep_nest_is_refused() {
        use base64::Engine;
        let deep = |line: &str, levels: usize| {
            format!("{line}\r\n\r\n").repeat(levels) + "Content-Type: text/plain\r\n\r\nhi\r\n"
        };
        let spellings = [
            "Content-Type : message/global",
            "content-type:MESSAGE/RFC822",
            "Content-Type:\r\n message/rfc822",
            "Content-Type:\tmessage/global; charset=utf-8",
        ];
        for line in spellings {
            for levels in [MAX_ATTACHED_MESSAGES + 1, 300, 100_000] {
                let raw = format!("From: a@b.de\r\nTo: c@d.de\r\n{}", deep(line, levels));
                assert!(
                    matches!(
                        parse_result_mail(raw.as_bytes()),
                        Err(MailError::TooComplex(_))
                    ),
                    "{line:?} × {levels}"
                );
            }
        }
        // One encoded attached message hiding a deep nest: refused unread.
        let hidden = base64::engine::general_purpose::STANDARD
            .encode(deep("Content-Type: message/rfc822", 10_000));
        for encoding in ["base64", "Base64", "quoted-printable"] {
            let raw = format!(
                "From: a@b.de\r\nTo: c@d.de\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: {encoding}\r\n\r\n{hidden}\r\n"
            );
            assert!(
                matches!(
                    parse_result_mail(raw.as_bytes()),
                    Err(MailError::TooComplex(_))
                ),
                "{encoding}"
            );
        }
        let digest = "From: a@b.de\r\nTo: c@d.de\r\nContent-Type: multipart/digest; boundary=b\r\n\r\n--b\r\n\r\nFrom: x@y.de\r\n\r\nhi\r\n--b--\r\n";
        assert!(matches!(
            parse_result_mail(digest.as_bytes()),
            Err(MailError::TooComplex(_))
        ));
        // A forwarded result (one attached message, in the clear) still reads.
        let forwarded = format!(
            "From: a@b.de\r\nTo: c@d.de\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: robot@autodns.com\r\nContent-Type: text/xml\r\n\r\n{JOB}\r\n--b--\r\n"
        );
        assert_eq!(
            parse_result_mail(forwarded.as_bytes())
                .unwrap()
                .notifications
                .len(),
            1
        );
    }

    #[test]
    fn only_the_first_authentication_results_of_ses_vouches_for_a_domain() {
        let ses = "Authentication-Results: amazonses.com;\r\n spf=pass (spfCheck: domain of autodns.com designates 1.2.3.4 as permitted sender) client-ip=1.2.3.4; envelope-from=robot@AutoDNS.com; helo=mx.autodns.com;\r\n dkim=pass header.i=@mail.autodns.com; dmarc=pass header.from=autodns.com;";
        let forged = "Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=evil@trusted.example; dkim=pass header.d=trusted.example";
        let raw = mail(
            &format!("{ses}\r\n{forged}\r\nFrom: robot@autodns.com\r\nTo: a@b.de"),
            JOB,
        );
        let m = parse_result_mail(&raw).unwrap();
        assert_eq!(m.authenticated_domains, ["autodns.com", "mail.autodns.com"]);
        // SES's own verdict failing: the sender's header below counts for
        // nothing (SES prepends its header to every mail it receives).
        let failing = "Authentication-Results: amazonses.com; spf=fail smtp.mailfrom=robot@autodns.com; dkim=fail header.d=autodns.com";
        let raw = mail(
            &format!("{failing}\r\n{forged}\r\nFrom: robot@autodns.com\r\nTo: a@b.de"),
            JOB,
        );
        assert!(parse_result_mail(&raw)
            .unwrap()
            .authenticated_domains
            .is_empty());
        let raw = mail("Authentication-Results: mx.evil.example; spf=pass smtp.mailfrom=robot@autodns.com\r\nFrom: robot@autodns.com\r\nTo: a@b.de", JOB);
        assert!(parse_result_mail(&raw)
            .unwrap()
            .authenticated_domains
            .is_empty());
    }

    /// N9: a `;` inside a quoted local part or a comment ends no clause,
    /// so a sender whose SPF passes for its own domain cannot name another.
    #[test]
    fn a_quoted_envelope_local_part_vouches_for_no_other_domain() {
        let header = "amazonses.com; spf=pass (spfCheck: x; envelope-from=robot@autodns.com) client-ip=1.2.3.4; envelope-from=\"x;envelope-from=robot@autodns.com;\"@evil.example; helo=mx.evil.example; dkim = pass header.d=\"autodns.com\"";
        assert_eq!(authenticated_domains(header), ["evil.example"]);
        let escaped = "amazonses.com; spf=pass smtp.mailfrom=\"a\\\";smtp.mailfrom=robot@autodns.com\"@evil.example";
        assert_eq!(authenticated_domains(escaped), ["evil.example"]);
        let nested = "amazonses.com; spf=pass (a (b; smtp.mailfrom=robot@autodns.com) c) smtp.mailfrom=robot@evil.example";
        assert_eq!(authenticated_domains(nested), ["evil.example"]);
        let spaced = "amazonses.com ; spf = pass smtp.mailfrom = robot@autodns.com";
        assert_eq!(authenticated_domains(spaced), ["autodns.com"]);
    }

    #[test]
    fn garbage_is_not_a_message() {
        assert!(parse_result_mail(b"").is_err());
        assert!(parse_result_mail(&[0xff, 0x00, 0x13, 0x37]).is_err());
    }

    #[test]
    fn a_cut_off_document_is_reported() {
        let raw = mail("From: a@b.de\r\nTo: c@d.de", &JOB[..JOB.len() - 30]);
        let m = parse_result_mail(&raw).unwrap();
        assert!(m.notifications.is_empty());
        assert_eq!(m.unreadable.len(), 1);
    }

    #[test]
    fn latin1_attachments_are_decoded() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><response><result><data><message><job><ctid>ib-2</ctid><status><code>E0101</code><text>M\u{fc}ller ung\u{fc}ltig</text><type>error</type></status></job></message></data></result></response>";
        let bytes: Vec<u8> = doc.chars().map(|c| c as u32 as u8).collect();
        let text = decode_document(&bytes).unwrap();
        assert!(text.contains("Müller ungültig"));
    }
}
