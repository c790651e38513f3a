//! Small text rules shared by validation and log messages.

/// Cuts text to at most `max` characters, marking the cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// Whether a free-text field is acceptable: no control characters, and
/// nothing XML 1.0 cannot carry (U+FFFE, U+FFFF), so every request built
/// from it is well-formed for InterNetX's parser.
pub fn is_clean(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() || is_noncharacter(c))
}

fn is_noncharacter(c: char) -> bool {
    matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

/// Text from outside (a mail, an answer) as it may be stored and shown: every
/// control, bidirectional-override and non-character replaced by U+FFFD
/// (so no terminal escape reaches an operator's screen), at most `max`
/// characters.
pub fn printable(text: &str, max: usize) -> String {
    let shown: String = text
        .chars()
        .map(|c| {
            let bidi = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || is_noncharacter(c) || bidi {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    clip(&shown, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_noncharacters_and_controls_are_not_clean() {
        assert!(is_clean("Müller & Söhne <GmbH>"));
        for bad in ["a\u{FFFE}", "a\u{FFFF}", "a\u{1b}[2J", "a\u{85}"] {
            assert!(!is_clean(bad), "{bad:?}");
        }
    }

    #[test]
    fn outside_text_is_made_printable_and_bounded() {
        assert_eq!(
            printable("x\u{1b}]52;c;AAAA\u{7}\u{202E}y", 100),
            "x\u{FFFD}]52;c;AAAA\u{FFFD}\u{FFFD}y"
        );
        assert_eq!(printable(&"a".repeat(500), 10).chars().count(), 11);
    }
}
