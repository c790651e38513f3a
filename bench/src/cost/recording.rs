//! moto's request recorder (`/moto-api/recorder/`): one JSON line per AWS
//! request any client made, with its headers and body. Read into what
//! the price list bills: DynamoDB request units, S3 requests by tier, SQS
//! requests, SES mails sent.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use serde_json::{Map, Value};

use super::item_size::{item_bytes, read_units, write_units};

/// One recorded request.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    /// The signing name (`dynamodb`, `s3`, `sqs`, `email`, …).
    pub service: String,
    /// The operation (`TransactWriteItems`, `SendMessageBatch`) or, for S3,
    /// the method and whether it names an object (`PUT object`).
    pub action: String,
    pub method: String,
    pub url: String,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn parse_all(text: &str) -> Result<Vec<Recorded>, String> {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(Recorded::parse)
            .collect()
    }

    fn parse(line: &str) -> Result<Recorded, String> {
        let entry: Value = serde_json::from_str(line).map_err(|e| format!("recording: {e}"))?;
        let header = |name: &str| {
            entry["headers"]
                .as_object()
                .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .and_then(|(_, v)| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        // Credential=<key>/<date>/<region>/<service>/aws4_request
        let service = header("authorization")
            .split("Credential=")
            .nth(1)
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or("unknown")
            .to_owned();
        let method = entry["method"].as_str().unwrap_or_default().to_owned();
        let url = entry["url"].as_str().unwrap_or_default().to_owned();
        let raw = entry["body"].as_str().unwrap_or_default();
        let body = if entry["body_encoded"].as_bool() == Some(true) {
            base64::engine::general_purpose::STANDARD
                .decode(raw)
                .map_err(|e| format!("recording body: {e}"))?
        } else {
            raw.as_bytes().to_vec()
        };
        let target = header("x-amz-target");
        let action = if let Some((_, op)) = target.split_once('.') {
            op.to_owned()
        } else if service == "s3" {
            s3_action(&method, &url)
        } else {
            // Query protocol: Action=SendEmail&…
            String::from_utf8_lossy(&body)
                .split('&')
                .find_map(|p| p.strip_prefix("Action="))
                .unwrap_or("unknown")
                .to_owned()
        };
        Ok(Recorded {
            service,
            action,
            method,
            url,
            body,
        })
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// `PUT object`, `GET object`, `PUT object?tagging`, `GET bucket?list`…:
/// enough to put the request in its price tier.
fn s3_action(method: &str, url: &str) -> String {
    let path = url.split("://").nth(1).unwrap_or(url);
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    // Path style (moto): /<bucket>/<key>.
    let segments = path.split('/').skip(1).filter(|s| !s.is_empty()).count();
    let target = if segments >= 2 { "object" } else { "bucket" };
    let sub = query
        .split('&')
        .map(|p| p.split('=').next().unwrap_or_default())
        .find(|p| ["tagging", "list-type", "uploads", "uploadId"].contains(p));
    match sub {
        Some(sub) => format!("{method} {target}?{sub}"),
        None => format!("{method} {target}"),
    }
}

/// What a run's requests amount to in billed units.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Requests per `service Action`.
    pub calls: BTreeMap<String, u64>,
    pub write_units: f64,
    pub read_units: f64,
    pub s3_tier1: u64,
    pub s3_tier2: u64,
    pub sqs_requests: u64,
    pub ses_sent: u64,
}

/// The size of each item of the table at the end of the run, by key:
/// what an update, delete or read of that item is billed by (the run's
/// largest version of it, near enough).
#[derive(Debug, Clone, Default)]
pub struct Sizes {
    by_key: HashMap<String, usize>,
    /// All items together: what a scan page reads, up to 1 MB.
    pub table_bytes: usize,
}

const KEY: [&str; 2] = ["pk", "sk"];
/// Index keys: a write that sets or removes one also writes the index.
const INDEX_KEYS: [&str; 2] = ["inflight_pk", "notice_pk"];

fn key_of(item: &Map<String, Value>) -> String {
    KEY.iter()
        .map(|k| item.get(*k).map(Value::to_string).unwrap_or_default())
        .collect::<Vec<_>>()
        .join("|")
}

impl Sizes {
    pub fn of_items<'a>(items: impl IntoIterator<Item = &'a Map<String, Value>>) -> Self {
        let mut sizes = Sizes::default();
        for item in items {
            let bytes = item_bytes(item);
            sizes.table_bytes += bytes;
            sizes.by_key.insert(key_of(item), bytes);
        }
        sizes
    }

    fn of_key(&self, key: &Map<String, Value>) -> usize {
        self.by_key.get(&key_of(key)).copied().unwrap_or(0)
    }
}

impl Tally {
    pub fn of(recorded: &[Recorded], sizes: &Sizes) -> Self {
        let mut tally = Tally::default();
        for r in recorded {
            *tally
                .calls
                .entry(format!("{} {}", r.service, r.action))
                .or_default() += 1;
            match r.service.as_str() {
                "dynamodb" => tally.dynamodb(r, sizes),
                "s3" => {
                    if matches!(r.method.as_str(), "PUT" | "POST")
                        || r.action.ends_with("?list-type")
                    {
                        tally.s3_tier1 += 1;
                    } else if r.method != "DELETE" {
                        tally.s3_tier2 += 1;
                    }
                }
                // One request per 64 KB of payload begun.
                "sqs" => tally.sqs_requests += r.body.len().div_ceil(64 * 1024).max(1) as u64,
                "ses" | "email" if r.action.starts_with("Send") => tally.ses_sent += 1,
                _ => {}
            }
        }
        tally
    }

    fn dynamodb(&mut self, r: &Recorded, sizes: &Sizes) {
        let body = r.json();
        let consistent = body["ConsistentRead"].as_bool() == Some(true);
        let empty = Map::new();
        let obj = |v: &Value| v.as_object().cloned().unwrap_or_default();
        match r.action.as_str() {
            "PutItem" => self.write(&obj(&body["Item"]), None, &body, sizes, 1.0),
            "UpdateItem" | "DeleteItem" => {
                self.write(&empty, Some(&obj(&body["Key"])), &body, sizes, 1.0)
            }
            "TransactWriteItems" => {
                // Every item of a transaction, its condition checks too, at
                // twice a standard write.
                for entry in body["TransactItems"].as_array().into_iter().flatten() {
                    let Some((kind, op)) = entry.as_object().and_then(|o| o.iter().next()) else {
                        continue;
                    };
                    if kind == "Put" {
                        self.write(&obj(&op["Item"]), None, op, sizes, 2.0);
                    } else {
                        self.write(&empty, Some(&obj(&op["Key"])), op, sizes, 2.0);
                    }
                }
            }
            "GetItem" => {
                self.read_units += read_units(sizes.of_key(&obj(&body["Key"])), consistent)
            }
            "BatchGetItem" => {
                for table in body["RequestItems"].as_object().into_iter().flatten() {
                    let consistent = table.1["ConsistentRead"].as_bool() == Some(true);
                    for key in table.1["Keys"].as_array().into_iter().flatten() {
                        self.read_units += read_units(sizes.of_key(&obj(key)), consistent);
                    }
                }
            }
            // A scan page reads up to 1 MB of the table, filtered or not.
            "Scan" => self.read_units += read_units(sizes.table_bytes.min(1 << 20), consistent),
            // A query reads what it matches: the connector's queries (in-flight
            // and notice indexes, a domain's log page) match a few small
            // items, counted at the minimum.
            "Query" => self.read_units += read_units(0, consistent),
            _ => {}
        }
    }

    fn write(
        &mut self,
        item: &Map<String, Value>,
        key: Option<&Map<String, Value>>,
        op: &Value,
        sizes: &Sizes,
        factor: f64,
    ) {
        let bytes = match key {
            Some(key) => sizes.of_key(key),
            None => item_bytes(item),
        };
        let units = write_units(bytes);
        self.write_units += factor * units;
        let expression = op["UpdateExpression"].as_str().unwrap_or_default();
        let indexed = INDEX_KEYS
            .iter()
            .any(|k| item.contains_key(*k) || expression.contains(k));
        if indexed {
            // The index's copy (projection ALL) is a standard write.
            self.write_units += units;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(service: &str, target: Option<&str>, method: &str, url: &str, body: &str) -> String {
        let mut headers = json!({
            "Authorization": format!(
                "AWS4-HMAC-SHA256 Credential=testing/20261206/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00"
            )
        });
        if let Some(t) = target {
            headers["X-Amz-Target"] = json!(t);
        }
        json!({"headers": headers, "method": method, "url": url,
               "body": body, "body_encoded": false})
        .to_string()
    }

    #[test]
    fn each_service_is_read_into_its_billed_units() {
        let big = "x".repeat(1500);
        let domain = json!({"pk": {"S": "DOMAIN#a.de"}, "sk": {"S": "DOMAIN"}, "blob": {"S": big}});
        let key = json!({"pk": {"S": "DOMAIN#a.de"}, "sk": {"S": "DOMAIN"}});
        let log = json!({"pk": {"S": "DOMAIN#a.de"}, "sk": {"S": "LOG#1"}});
        let text = [
            line(
                "dynamodb",
                Some("DynamoDB_20120810.TransactWriteItems"),
                "POST",
                "http://h/",
                &json!({"TransactItems": [
                    {"Update": {"Key": key, "UpdateExpression": "SET #s = :s REMOVE inflight_pk"}},
                    {"Put": {"Item": log}}]})
                .to_string(),
            ),
            line(
                "dynamodb",
                Some("DynamoDB_20120810.GetItem"),
                "POST",
                "http://h/",
                &json!({"Key": key, "ConsistentRead": true}).to_string(),
            ),
            line(
                "dynamodb",
                Some("DynamoDB_20120810.GetItem"),
                "POST",
                "http://h/",
                &json!({"Key": key}).to_string(),
            ),
            line("s3", None, "PUT", "http://h/mail/inbound/1", ""),
            line("s3", None, "GET", "http://h/mail/inbound/1", ""),
            line("s3", None, "PUT", "http://h/mail/inbound/1?tagging", ""),
            line(
                "sqs",
                Some("AmazonSQS.SendMessageBatch"),
                "POST",
                "http://h/",
                r#"{"Entries": []}"#,
            ),
            line(
                "email",
                None,
                "POST",
                "http://h/",
                "Action=SendEmail&Version=2010-12-01",
            ),
        ]
        .join("\n");
        let recorded = Recorded::parse_all(&text).unwrap();
        assert_eq!(recorded[3].action, "PUT object");
        assert_eq!(recorded[5].action, "PUT object?tagging");
        let sizes = Sizes::of_items([domain.as_object().unwrap()]);
        let tally = Tally::of(&recorded, &sizes);
        // The 1.5 KB domain item: 2 × 2 units in the transaction and 2 for
        // the index it leaves; the small log entry 2 × 1.
        assert_eq!(tally.write_units, 4.0 + 2.0 + 2.0);
        assert_eq!(tally.read_units, 1.5);
        assert_eq!((tally.s3_tier1, tally.s3_tier2), (2, 1));
        assert_eq!((tally.sqs_requests, tally.ses_sent), (1, 1));
        assert_eq!(tally.calls["dynamodb GetItem"], 2);
    }
}
