//! A minimal element tree read with quick-xml, hardened for input from outside.
//!
//! Gateway answers and result mails are small documents that we query by path,
//! so a tree is simpler than a streaming state machine. Safety rules: a
//! `<!DOCTYPE>` is refused outright (no DTD, so no entity definitions and no
//! "billion laughs"), only the five predefined entities and character
//! references are resolved, and nesting depth and element count are bounded.

use quick_xml::events::Event;
use quick_xml::Reader;

const MAX_DEPTH: usize = 64;
const MAX_ELEMENTS: usize = 200_000;

/// One XML element: its local name (prefix dropped), direct text and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("not well-formed XML: {0}")]
    Malformed(String),
    #[error("XML with a DOCTYPE is refused (DTDs and entity definitions are never processed)")]
    Doctype,
    #[error("XML refers to the undefined entity &{0}; (entities are never expanded)")]
    UnknownEntity(String),
    #[error("XML nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("XML has more than {MAX_ELEMENTS} elements")]
    TooLarge,
    #[error("no root element in the document")]
    Empty,
}

impl Element {
    /// The first direct child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// No text anywhere in it: how InterNetX writes an unset field
    /// (`<authinfo></authinfo>` in a domain inquiry, `<title></title>` and
    /// `<extension/>` in the published contact job notification, `<value></value>`
    /// in the AuthInfo1 "exists" answer) — read as absent, never as "set".
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty() && self.children.iter().all(Element::is_blank)
    }

    /// The first direct child with this name that is not blank.
    pub fn filled_child<'a>(&'a self, name: &'a str) -> Option<&'a Element> {
        self.children_named(name).find(|c| !c.is_blank())
    }

    /// All direct children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a path of child names from this element.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |el, name| el.child(name))
    }

    /// The trimmed text at a path, `None` when absent or blank.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path)
            .map(|e| e.text.trim())
            .filter(|t| !t.is_empty())
    }

    /// This element and every element below it, depth first.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(el) = stack.pop() {
            out.push(el);
            stack.extend(el.children.iter().rev());
        }
        out
    }
}

/// Parses a document into its root element.
pub fn parse(xml: &str) -> Result<Element, XmlError> {
    let mut reader = Reader::from_str(xml.trim_start_matches('\u{feff}'));
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;

    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        match event {
            Event::Start(start) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(XmlError::TooLarge);
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError::TooDeep);
                }
                if root.is_some() && stack.is_empty() {
                    return Err(XmlError::Malformed("content after the root element".into()));
                }
                stack.push(Element {
                    name: start.local_name().as_ref().to_owned(),
                    ..Element::default()
                });
            }
            Event::Empty(start) => {
                count += 1;
                if count > MAX_ELEMENTS {
                    return Err(XmlError::TooLarge);
                }
                let el = Element {
                    name: start.local_name().as_ref().to_owned(),
                    ..Element::default()
                };
                attach(&mut stack, &mut root, el)?;
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unexpected end tag".into()))?;
                attach(&mut stack, &mut root, el)?;
            }
            Event::Text(text) => push_text(&mut stack, &text.xml10_content())?,
            Event::CData(data) => push_text(&mut stack, &data.xml10_content())?,
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => predefined_entity(reference.as_ref())
                        .ok_or_else(|| XmlError::UnknownEntity(reference.as_ref().to_owned()))?,
                    Err(e) => return Err(XmlError::Malformed(e.to_string())),
                };
                push_text(&mut stack, resolved.encode_utf8(&mut [0u8; 4]))?;
            }
            Event::DocType(_) => return Err(XmlError::Doctype),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed(
            "document ends inside an element".into(),
        ));
    }
    root.ok_or(XmlError::Empty)
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(el);
            Ok(())
        }
        None if root.is_none() => {
            *root = Some(el);
            Ok(())
        }
        None => Err(XmlError::Malformed("more than one root element".into())),
    }
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(el) => {
            el.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlError::Malformed("text outside the root element".into())),
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_elements_text_and_entities() {
        let root = parse(
            "<?xml version=\"1.0\"?><a><b>x &amp; y &#x41;</b><c/><b><![CDATA[<raw>]]></b></a>",
        )
        .unwrap();
        assert_eq!(root.name, "a");
        assert_eq!(root.text_at(&["b"]), Some("x & y A"));
        assert_eq!(root.children_named("b").nth(1).unwrap().text, "<raw>");
        assert!(root.child("c").is_some());
    }

    #[test]
    fn refuses_doctype_and_custom_entities() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;\">]><a>&lol2;</a>";
        assert_eq!(parse(bomb), Err(XmlError::Doctype));
        assert_eq!(
            parse("<a>&lol;</a>"),
            Err(XmlError::UnknownEntity("lol".into()))
        );
        let external = "<!DOCTYPE a SYSTEM \"file:///etc/passwd\"><a>&xxe;</a>";
        assert_eq!(parse(external), Err(XmlError::Doctype));
    }

    #[test]
    fn rejects_broken_documents() {
        assert!(matches!(parse("<a><b></a>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("<a>"), Err(XmlError::Malformed(_))));
        assert_eq!(parse(""), Err(XmlError::Empty));
        assert!(matches!(parse("<a/><b/>"), Err(XmlError::Malformed(_))));
        assert!(matches!(parse("plain text"), Err(XmlError::Malformed(_))));
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert_eq!(parse(&deep), Err(XmlError::TooDeep));
    }

    #[test]
    fn drops_namespace_prefixes() {
        let root = parse("<x:response xmlns:x=\"urn:x\"><x:stid>1</x:stid></x:response>").unwrap();
        assert_eq!(root.name, "response");
        assert_eq!(root.text_at(&["stid"]), Some("1"));
    }
}
