//! Removing secrets from XML before it is logged or stored.

/// Elements whose content is secret in any request or answer. `reply_to`
/// carries the reply token, a bearer credential for one result.
pub const SECRET_ELEMENTS: &[&str] = &["password", "authinfo", "token", "hash", "reply_to"];

/// Replaces the content of every `<name>…</name>` (any of `names`) by `***`.
///
/// Works on text, so it also cleans documents that are not well-formed.
pub fn redact_elements(xml: &str, names: &[&str]) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    'scan: while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        for name in names {
            let open = format!("<{name}>");
            if rest.starts_with(&open) {
                let close = format!("</{name}>");
                out.push_str(&open);
                out.push_str("***");
                match rest[open.len()..].find(&close) {
                    Some(end) => {
                        rest = &rest[open.len() + end..];
                    }
                    None => {
                        // Unterminated: drop the remainder rather than leak it.
                        return out;
                    }
                }
                continue 'scan;
            }
        }
        out.push('<');
        rest = &rest[1..];
    }
    out.push_str(rest);
    out
}

/// [`redact_elements`] with [`SECRET_ELEMENTS`].
pub fn redact(xml: &str) -> String {
    redact_elements(xml, SECRET_ELEMENTS)
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

    #[test]
    fn drops_an_unterminated_secret() {
        assert_eq!(redact("<a><password>leak"), "<a><password>***");
    }
}
