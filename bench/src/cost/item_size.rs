//! An item's size as DynamoDB bills it ("Item sizes and formats" in the
//! DynamoDB developer guide): attribute names plus values; strings and
//! binaries by their bytes, numbers by about one byte per two significant
//! digits plus one, Booleans and nulls one byte, lists and maps three bytes
//! plus one per element. Items are read in DynamoDB's JSON form, as the
//! wire carries them.

use base64::Engine;
use serde_json::{Map, Value};

pub fn item_bytes(item: &Map<String, Value>) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_bytes(value))
        .sum()
}

fn value_bytes(value: &Value) -> usize {
    let Some((kind, v)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    let text = |v: &Value| v.as_str().map(str::len).unwrap_or(0);
    let binary = |v: &Value| {
        v.as_str()
            .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
            .map(|b| b.len())
            .unwrap_or(0)
    };
    let list = |v: &Value, each: &dyn Fn(&Value) -> usize| {
        v.as_array().map(|a| a.iter().map(each).sum()).unwrap_or(0)
    };
    match kind.as_str() {
        "S" => text(v),
        "N" => v.as_str().map(number_bytes).unwrap_or(0),
        "B" => binary(v),
        "BOOL" | "NULL" => 1,
        "SS" => list(v, &text),
        "NS" => list(v, &|n| n.as_str().map(number_bytes).unwrap_or(0)),
        "BS" => list(v, &binary),
        "L" => 3 + list(v, &|e| 1 + value_bytes(e)),
        "M" => {
            3 + v
                .as_object()
                .map(|m| m.iter().map(|(k, e)| 1 + k.len() + value_bytes(e)).sum())
                .unwrap_or(0)
        }
        _ => 0,
    }
}

fn number_bytes(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    significant.div_ceil(2) + 1
}

/// Write request units of a standard write of an item of `bytes`.
pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

/// Read request units of a strongly consistent read of `bytes` (halved
/// for an eventually consistent one).
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn size(item: Value) -> usize {
        item_bytes(item.as_object().unwrap())
    }

    #[test]
    fn names_and_values_count_as_the_developer_guide_says() {
        assert_eq!(size(json!({"pk": {"S": "DOMAIN#a.de"}})), 2 + 11);
        // Five significant digits: three bytes, and one.
        assert_eq!(size(json!({"n": {"N": "123.4500"}})), 1 + 4);
        assert_eq!(size(json!({"ok": {"BOOL": true}})), 3);
        assert_eq!(size(json!({"b": {"B": "AAEC"}})), 1 + 3);
        assert_eq!(
            size(json!({"l": {"L": [{"S": "ab"}, {"NULL": true}]}})),
            1 + 3 + (1 + 2) + (1 + 1)
        );
        assert_eq!(
            size(json!({"m": {"M": {"k": {"S": "v"}}}})),
            1 + 3 + 1 + 1 + 1
        );
    }

    #[test]
    fn units_are_per_kilobyte_written_and_four_read() {
        assert_eq!(write_units(1), 1.0);
        assert_eq!(write_units(1025), 2.0);
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, true), 2.0);
        assert_eq!(read_units(100, false), 0.5);
    }
}
