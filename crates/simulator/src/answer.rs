//! Building the gateway's answer documents.

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

#[derive(Debug, Clone)]
pub struct Answer {
    pub code: String,
    pub text: String,
    pub kind: &'static str,
    /// `(code, text)` detail messages.
    pub messages: Vec<(String, String)>,
    pub object: Option<(String, String)>,
    /// Extra elements for `result/data`, already as XML.
    pub data: String,
}

impl Answer {
    pub fn notify(code: &str, text: &str, object: Option<(&str, &str)>) -> Self {
        Self::new(code, text, "notify", object)
    }

    pub fn success(code: &str, text: &str, object: Option<(&str, &str)>) -> Self {
        Self::new(code, text, "success", object)
    }

    pub fn error(code: &str, text: &str, object: Option<(&str, &str)>, detail: &str) -> Self {
        let mut answer = Self::new(code, text, "error", object);
        if let Some((msg_code, msg_text)) = detail.split_once(' ') {
            answer
                .messages
                .push((msg_code.to_owned(), msg_text.to_owned()));
        }
        answer
    }

    fn new(code: &str, text: &str, kind: &'static str, object: Option<(&str, &str)>) -> Self {
        Self {
            code: code.to_owned(),
            text: text.to_owned(),
            kind,
            messages: Vec::new(),
            object: object.map(|(t, v)| (t.to_owned(), v.to_owned())),
            data: String::new(),
        }
    }

    /// The document, in the compact form the demo gateway sends.
    pub fn to_xml(&self, stid: &str) -> String {
        let mut w = Writer::new(Vec::new());
        let mut ev = |e: Event<'_>| {
            w.write_event(e).expect("writing to a Vec cannot fail");
        };
        ev(Event::Decl(BytesDecl::new(
            "1.0",
            Some("UTF-8"),
            Some("no"),
        )));
        ev(Event::Start(BytesStart::new("response")));
        ev(Event::Start(BytesStart::new("result")));
        if self.data.is_empty() {
            ev(Event::Empty(BytesStart::new("data")));
        } else {
            ev(Event::Start(BytesStart::new("data")));
            ev(Event::Text(BytesText::from_escaped(self.data.as_str())));
            ev(Event::End(BytesEnd::new("data")));
        }
        let leaf = |ev: &mut dyn FnMut(Event<'_>), name: &str, text: &str| {
            ev(Event::Start(BytesStart::new(name)));
            ev(Event::Text(BytesText::new(text)));
            ev(Event::End(BytesEnd::new(name)));
        };
        let object = |ev: &mut dyn FnMut(Event<'_>), object: &Option<(String, String)>| {
            if let Some((kind, value)) = object {
                ev(Event::Start(BytesStart::new("object")));
                leaf(ev, "type", kind);
                leaf(ev, "value", value);
                ev(Event::End(BytesEnd::new("object")));
            }
        };
        for (code, text) in &self.messages {
            ev(Event::Start(BytesStart::new("msg")));
            leaf(&mut ev, "text", text);
            leaf(&mut ev, "code", code);
            leaf(&mut ev, "type", "error");
            object(&mut ev, &self.object);
            ev(Event::End(BytesEnd::new("msg")));
        }
        ev(Event::Start(BytesStart::new("status")));
        leaf(&mut ev, "code", &self.code);
        leaf(&mut ev, "text", &self.text);
        leaf(&mut ev, "type", self.kind);
        object(&mut ev, &self.object);
        ev(Event::End(BytesEnd::new("status")));
        ev(Event::End(BytesEnd::new("result")));
        leaf(&mut ev, "stid", stid);
        ev(Event::End(BytesEnd::new("response")));
        String::from_utf8(w.into_inner()).expect("XML built from &str is UTF-8")
    }
}
