//! Gateway answers and notification documents from arbitrary input: a typed
//! result or a typed error, never a panic.

use internetx::notification::{parse_legacy_text, parse_notification_document};
use internetx::response::parse_answer;
use proptest::prelude::*;

const PIECES: &[&str] = &[
    "<response>",
    "</response>",
    "<result>",
    "</result>",
    "<status>",
    "</status>",
    "<code>",
    "</code>",
    "N0101",
    "E0101",
    "S0104001",
    "<type>",
    "</type>",
    "notify",
    "error",
    "<msg>",
    "</msg>",
    "<data>",
    "</data>",
    "<message>",
    "</message>",
    "<job>",
    "</job>",
    "<ctid>",
    "</ctid>",
    "<notify>",
    "</notify>",
    "&amp;",
    "&#x41;",
    "&#0;",
    "&bogus;",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE r [<!ENTITY e \"x\">]>",
    "<?xml version=\"1.0\"?>",
    "<!-- c -->",
    "<a:b xmlns:a=\"u\">",
    "</a:b>",
    "<system>",
    "</system>",
    "status: S0101 [ok]",
    "\n",
    " ",
    "<domain><name>x.de</name></domain>",
    "<stid>1</stid>",
    "\u{feff}",
    "ü",
];

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|p| p.concat())
}

proptest! {
    #[test]
    fn answers_never_panic(xml in document()) {
        let _ = parse_answer(&xml);
        let _ = parse_notification_document(&xml);
        let _ = parse_legacy_text(&xml);
    }

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,300}") {
        let _ = parse_answer(&text);
        let _ = parse_notification_document(&text);
        let _ = parse_legacy_text(&text);
    }
}
