//! Registry-specific contact fields (`<extension>`), as events give them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::text::{clip, is_clean};

/// The fields the official Transfer Plus example lists, in its order
/// (https://help.internetx.com/x/249QAg); others are sent after them,
/// alphabetically, since the keyword table is longer than the example.
const PUBLISHED_ORDER: [&str; 12] = [
    "gender",
    "idnumber",
    "vatnumber",
    "trademark_name",
    "trademark_number",
    "trademark_country",
    "trademark_regdate",
    "trademark_appdate",
    "companynumber",
    "birthday",
    "birthplace",
    "birthcountry",
];
const MAX_FIELDS: usize = 20;
const MAX_VALUE: usize = 256;

/// `"extension": {"idnumber": "…", "birthday": "1970-01-01"}` on a contact.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(transparent)]
pub struct ExtensionInput(pub BTreeMap<String, String>);

impl ExtensionInput {
    /// Field name → value in the order they are sent; empty values dropped.
    pub fn validate(&self) -> Result<Vec<(String, String)>, String> {
        if self.0.len() > MAX_FIELDS {
            return Err(format!("has more than {MAX_FIELDS} fields"));
        }
        let mut fields = Vec::new();
        for (name, value) in &self.0 {
            let valid_name = (1..=40).contains(&name.len())
                && name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid_name {
                return Err(format!(
                    "field {:?} is not a lower-case InterNetX keyword",
                    clip(name, 40)
                ));
            }
            let value = value.trim();
            if !is_clean(value) || value.chars().count() > MAX_VALUE {
                return Err(format!(
                    "{name} is longer than {MAX_VALUE} characters or contains control characters"
                ));
            }
            if !value.is_empty() {
                fields.push((name.clone(), value.to_owned()));
            }
        }
        let rank = |name: &str| {
            PUBLISHED_ORDER
                .iter()
                .position(|p| *p == name)
                .unwrap_or(PUBLISHED_ORDER.len())
        };
        fields.sort_by(|(a, _), (b, _)| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
        Ok(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> ExtensionInput {
        ExtensionInput(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn keeps_the_published_order_and_drops_empty_values() {
        let fields = input(&[
            ("birthday", "1970-01-01"),
            ("idnumber", "X123"),
            ("zz_registry_flag", "1"),
            ("gender", ""),
        ])
        .validate()
        .unwrap();
        let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["idnumber", "birthday", "zz_registry_flag"]);
    }

    #[test]
    fn refuses_names_that_are_not_keywords_and_dirty_values() {
        assert!(input(&[("Id<x>", "1")]).validate().is_err());
        assert!(input(&[("idnumber", "a\u{1b}[31m")]).validate().is_err());
        assert!(input(&[("idnumber", &"x".repeat(300))]).validate().is_err());
        let many: Vec<(String, String)> =
            (0..30).map(|i| (format!("f{i}"), "1".to_owned())).collect();
        let many = ExtensionInput(many.into_iter().collect());
        assert!(many.validate().is_err());
    }
}
