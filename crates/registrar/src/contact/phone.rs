//! Phone and fax numbers in a form InterNetX documents.

use crate::text::clip;

/// Normalises a number to InterNetX's `+CC-AREA-NUMBER` form, or
/// `+CC-NUMBER` when the caller gave no area group: every official example
/// has at most two groups after the country code (`+49-12345-127335`,
/// Create Plus / Transfer Plus pages) and a production client sends
/// `+CC-NUMBER` (protocol audit D12). So `+49.301234567` → `+49-301234567`,
/// `+49 30 1234567` → `+49-30-1234567`, and `+1 (555) 123-4567` →
/// `+1-555-1234567`: the groups after the first are joined, never sent as
/// a third hyphen.
pub fn phone_number(input: &str) -> Result<String, String> {
    let shown = clip(input, 40);
    let rest = input
        .trim()
        .strip_prefix('+')
        .ok_or_else(|| format!("{shown:?} must start with + and the country code"))?;
    let is_sep = |c: char| matches!(c, ' ' | '-' | '.' | '/' | '(' | ')');
    if let Some(bad) = rest.chars().find(|c| !c.is_ascii_digit() && !is_sep(*c)) {
        return Err(format!("{shown:?} contains {bad:?}"));
    }
    let groups: Vec<&str> = rest.split(is_sep).filter(|g| !g.is_empty()).collect();
    let (country, number) = match groups.split_first() {
        Some((country, number)) if !number.is_empty() => (*country, number),
        _ => {
            return Err(format!(
                "{shown:?} must separate the country code, e.g. +49.301234567"
            ))
        }
    };
    if !(1..=3).contains(&country.len()) || country.starts_with('0') {
        return Err(format!("{shown:?} has no valid country code"));
    }
    let digits = country.len() + number.iter().map(|g| g.len()).sum::<usize>();
    if !(6..=15).contains(&digits) {
        return Err(format!("{shown:?} must have 6 to 15 digits"));
    }
    Ok(match number.split_first() {
        Some((area, rest)) if !rest.is_empty() => format!("+{country}-{area}-{}", rest.concat()),
        _ => format!("+{country}-{}", number.concat()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_to_at_most_two_groups() {
        assert_eq!(phone_number("+49.301234567").unwrap(), "+49-301234567");
        assert_eq!(phone_number("+49 30 1234567").unwrap(), "+49-30-1234567");
        assert_eq!(phone_number("+49-30-1234567").unwrap(), "+49-30-1234567");
        assert_eq!(
            phone_number(" +1 (555) 123-4567 ").unwrap(),
            "+1-555-1234567"
        );
        assert_eq!(phone_number("+44 20 7946 0958").unwrap(), "+44-20-79460958");
        for bad in [
            "0301234567",
            "+49301234567",
            "+49.30x1234",
            "+",
            "+49.1",
            "+0.301234567",
        ] {
            assert!(phone_number(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn never_sends_more_than_two_groups() {
        for input in ["+1 2 3 4 5 6 7", "+49 (0) 30 12 34 56", "+353.1.234.5678"] {
            let out = phone_number(input).unwrap();
            assert!(out.matches('-').count() <= 2, "{input} → {out}");
            assert!(out.starts_with('+'), "{out}");
        }
    }
}
