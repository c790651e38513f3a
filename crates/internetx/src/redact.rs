//! Removing secrets from XML before it is logged or stored.

/// Elements whose content is secret in any request or answer. `reply_to`
/// carries the reply token, a bearer credential for one result.
pub const SECRET_ELEMENTS: &[&str] = &["password", "authinfo", "token", "hash", "reply_to"];

/// Replaces the content of every element named in `names` by `***`: in
/// any spelling a gateway or an echo may use — `<name>`, `<name attr="…">`,
/// `<ns:name >`, and escaped inside another document (`&lt;name&gt;`).
///
/// Works on text, so it also cleans documents that are not well-formed; an
/// unterminated secret drops the rest rather than leak it.
pub fn redact_elements(xml: &str, names: &[&str]) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some((at, open)) = next_open(rest) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some((name, tag_len)) = secret_tag(rest, open, names) else {
            out.push_str(open.lt);
            rest = &rest[open.lt.len()..];
            continue;
        };
        out.push_str(&rest[..tag_len]);
        out.push_str("***");
        rest = &rest[tag_len..];
        match find_close(rest, open, name) {
            Some(end) => rest = &rest[end..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// How a tag is written: plain, or escaped in another document.
#[derive(Clone, Copy)]
struct Spelling {
    lt: &'static str,
    gt: &'static str,
}

const PLAIN: Spelling = Spelling { lt: "<", gt: ">" };
const ESCAPED: Spelling = Spelling {
    lt: "&lt;",
    gt: "&gt;",
};

/// The next `<` or `&lt;`.
fn next_open(text: &str) -> Option<(usize, Spelling)> {
    let plain = text.find('<').map(|i| (i, PLAIN));
    let escaped = text.find("&lt;").map(|i| (i, ESCAPED));
    match (plain, escaped) {
        (Some(p), Some(e)) => Some(if e.0 < p.0 { e } else { p }),
        (p, e) => p.or(e),
    }
}

/// If `text` opens a secret element, its name and the opening tag's length.
fn secret_tag<'n>(text: &str, spelling: Spelling, names: &[&'n str]) -> Option<(&'n str, usize)> {
    let after = &text[spelling.lt.len()..];
    let name_len = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.')))
        .unwrap_or(after.len());
    let qualified = &after[..name_len];
    let local = qualified.rsplit(':').next().unwrap_or(qualified);
    let name = names.iter().find(|n| n.eq_ignore_ascii_case(local))?;
    let tail = &after[name_len..];
    if !(tail.starts_with(spelling.gt) || tail.starts_with(char::is_whitespace)) {
        return None;
    }
    let end = tail.find(spelling.gt)? + spelling.gt.len();
    // `<name/>`: nothing inside.
    if tail[..end - spelling.gt.len()].trim_end().ends_with('/') {
        return None;
    }
    Some((name, spelling.lt.len() + name_len + end))
}

/// Where the content of `name` ends: at its closing tag, in either spelling.
fn find_close(text: &str, spelling: Spelling, name: &str) -> Option<usize> {
    let close = format!("{}/", spelling.lt);
    let mut from = 0;
    while let Some(i) = text[from..].find(&close) {
        let at = from + i;
        let after = &text[at + close.len()..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | '.')))
            .unwrap_or(after.len());
        let local = after[..name_len].rsplit(':').next().unwrap_or_default();
        if local.eq_ignore_ascii_case(name) {
            return Some(at);
        }
        from = at + close.len();
    }
    None
}

/// [`redact_elements`] with [`SECRET_ELEMENTS`], and the value of every
/// `<object>` whose type is `authinfo`: AuthInfo1 Create answers with the
/// auth code there (https://help.internetx.com/display/APIXMLDE/AuthInfo1+Create,
/// protocol audit §4), not in an `<authinfo>` element.
pub fn redact(xml: &str) -> String {
    mask_authinfo_objects(&redact_elements(xml, SECRET_ELEMENTS))
}

/// Masks every `<value>` of an `<object>` whose type reads `authinfo` the
/// way the parser reads it: trimmed, any case, in a CDATA section, with
/// attributes or a namespace on either tag, plain or escaped. A text
/// match on `<type>authinfo</type>` alone missed pretty-printed answers
/// (security review N8).
fn mask_authinfo_objects(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some((at, spelling)) = next_open(rest) {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some((_, tag_len)) = secret_tag(rest, spelling, &["object"]) else {
            out.push_str(spelling.lt);
            rest = &rest[spelling.lt.len()..];
            continue;
        };
        let body_end =
            find_close(&rest[tag_len..], spelling, "object").map_or(rest.len(), |i| tag_len + i);
        let object = &rest[..body_end];
        if object_type(&object[tag_len..], spelling).is_some_and(is_authinfo) {
            out.push_str(&redact_elements(object, &["value"]));
        } else {
            out.push_str(object);
        }
        rest = &rest[body_end..];
    }
    out.push_str(rest);
    out
}

/// The raw text of the first `type` element in an object's body.
fn object_type(body: &str, spelling: Spelling) -> Option<&str> {
    let mut from = 0;
    while let Some(i) = body[from..].find(spelling.lt) {
        let at = from + i;
        if let Some((_, tag_len)) = secret_tag(&body[at..], spelling, &["type"]) {
            let content = &body[at + tag_len..];
            let end = find_close(content, spelling, "type")?;
            return Some(&content[..end]);
        }
        from = at + spelling.lt.len();
    }
    None
}

fn is_authinfo(raw: &str) -> bool {
    let text = raw.trim();
    let text = text
        .strip_prefix("<![CDATA[")
        .and_then(|t| t.strip_suffix("]]>"))
        .unwrap_or(text);
    text.trim().eq_ignore_ascii_case("authinfo")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_elements_only() {
        let xml = "<auth><user>u</user><password>p&amp;w</password></auth><authinfo>X7#k</authinfo><c>ok</c>";
        assert_eq!(
            redact(xml),
            "<auth><user>u</user><password>***</password></auth><authinfo>***</authinfo><c>ok</c>"
        );
    }

    /// Security review L5: other spellings of the same element, and an
    /// echo of the request inside an error text.
    #[test]
    fn masks_every_spelling_and_escaped_echoes() {
        let xml = "<auth><password >pw1</password ><ns:password a=\"1\">pw2</ns:password></auth>\
                   <text>echo: &lt;password&gt;pw3&lt;/password&gt; &lt;authinfo x='y'&gt;ac&lt;/authinfo&gt;</text>\
                   <reply_to>internetx+0123abcd@inbound.example.net</reply_to><password/>";
        let clean = redact(xml);
        for secret in ["pw1", "pw2", "pw3", "ac<", "0123abcd"] {
            assert!(!clean.contains(secret), "{secret} in {clean}");
        }
        assert!(clean.contains("<text>echo: "), "{clean}");
        assert!(clean.ends_with("<password/>"), "{clean}");
    }

    #[test]
    fn masks_an_auth_code_in_a_status_object_only() {
        let xml = "<status><code>S0113001</code><object><type>authinfo</type><value>kiSV/CbJi9</value></object></status>\
                   <msg><object><value>Ab-12</value><type>AuthInfo</type></object></msg>\
                   <object><type>domain</type><value>example.com</value></object>";
        let clean = redact(xml);
        assert!(
            !clean.contains("kiSV") && !clean.contains("Ab-12"),
            "{clean}"
        );
        assert!(clean.contains("<value>example.com</value>"), "{clean}");
    }

    #[test]
    fn masks_an_auth_code_object_in_every_spelling_the_parser_accepts() {
        for (i, object) in [
            "<object>\n  <type>\n    authinfo\n  </type>\n  <value>Code-1</value>\n</object>",
            "<object><type><![CDATA[authinfo]]></type><value>Code-2</value></object>",
            "<object kind=\"x\"><type lang=\"en\">AUTHINFO</type><value>Code-3</value></object>",
            "<ns:object><ns:type>authinfo</ns:type><ns:value>Code-4</ns:value></ns:object>",
            "&lt;object&gt;&lt;type&gt; authinfo &lt;/type&gt;&lt;value&gt;Code-5&lt;/value&gt;&lt;/object&gt;",
        ]
        .iter()
        .enumerate()
        {
            let clean = redact(&format!("<response><result><status>{object}</status></result></response>"));
            assert!(!clean.contains(&format!("Code-{}", i + 1)), "{clean}");
        }
    }

    #[test]
    fn drops_an_unterminated_secret() {
        assert_eq!(redact("<a><password>leak"), "<a><password>***");
    }
}
