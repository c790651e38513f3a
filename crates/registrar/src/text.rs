//! Small text rules shared by validation and log messages.

/// Cuts text to at most `max` characters, marking the cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// Whether a free-text field is acceptable: no control characters.
pub fn is_clean(text: &str) -> bool {
    !text.chars().any(char::is_control)
}
