//! CloudWatch metrics in the embedded metric format (EMF): JSON documents on
//! stdout, which CloudWatch Logs turns into metrics. No API call, no extra
//! permission, and the document stays readable in the log.
//!
//! Measurements are gathered during an invocation and printed once, when it
//! ends ([`Metrics::invocation`]), before the answer goes back to Lambda (so
//! nothing is lost to the freeze between invocations): counts summed,
//! durations as one array of samples. EMF takes a dimension's value from the
//! document's root, so measurements with different dimension values (a
//! `register` and an `info` request) cannot share a document: an invocation
//! prints one document per combination of dimension values, one in all
//! where the function measured only under `Function`.
//!
//! The names and dimensions below are what the dashboard and the alarms in
//! `infra/template.yaml` read; `tests/tests/end_to_end/cargo_lambda.rs`
//! checks the documents a registration and a result mail print against them,
//! `template.rs` the dashboard and alarms against these names.

use std::collections::BTreeMap;
use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use internetx::client::Throttle;
use internetx::{AnswerKind, Exchange, GatewayError, Task, TaskKind, TransferOutAnswer};
use registrar::ports::Gateway;
use serde_json::{json, Map, Value};

/// The namespace when `METRICS_NAMESPACE` is not set.
pub const DEFAULT_NAMESPACE: &str = "InternetxBridge";

/// Metric names (the template's dashboard and alarms use the same strings).
pub mod name {
    /// Requests to the InterNetX gateway; dimensions `Operation`, `Outcome`.
    pub const GATEWAY_REQUESTS: &str = "GatewayRequests";
    /// Milliseconds from sending a request to its answer (or failure).
    pub const GATEWAY_LATENCY: &str = "GatewayLatency";
    /// Milliseconds spent waiting for a slot of the shared rate limit.
    pub const RATE_LIMIT_WAIT: &str = "RateLimitWait";
    /// Order items and requests by outcome; dimension `Outcome`.
    pub const ITEMS: &str = "Items";
    /// Result mails by outcome tag; dimension `Outcome`.
    pub const MAILS: &str = "Mails";
    /// What a reconciliation run did; dimension `Action`.
    pub const RECONCILE_ACTIONS: &str = "ReconcileActions";
    /// Domains in flight longer than `RECONCILE_STUCK_HOURS` (per run).
    pub const STUCK_DOMAINS: &str = "StuckDomains";
    /// What a sync run did (`drift`: differences found); dimension
    /// `Action`.
    pub const SYNC_ACTIONS: &str = "SyncActions";
    /// Registered domains a sync run found InterNetX will let lapse at
    /// their expiry (its `autorenew` off, no cancelation): the will-lapse
    /// alarm's metric, printed by every run (0 when none).
    pub const WILL_LAPSE: &str = "WillLapse";
    /// Status mails by outcome; dimension `Outcome`.
    pub const STATUS_MAILS: &str = "StatusMails";
    /// Storefront events by outcome (`published`, `refused`); dimension `Outcome`.
    pub const STATE_EVENTS: &str = "StateEvents";
    /// Seconds the oldest storefront event has waited after a publish run
    /// (0 when none waits): the outbox-age alarm's metric.
    pub const OUTBOX_AGE: &str = "OutboxAge";
    /// Invocations that started a new execution environment (one per
    /// process, on its first invocation), with `InitDuration`: the
    /// milliseconds from the metrics' creation in `main` (after the
    /// configuration and its secrets were read) to that invocation.
    pub const COLD_STARTS: &str = "ColdStarts";
    pub const INIT_DURATION: &str = "InitDuration";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    Seconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::Seconds => "Seconds",
        }
    }
}

/// Where the lines go: stdout in Lambda, a buffer in tests.
enum Sink {
    Stdout,
    Memory(Mutex<Vec<String>>),
    Off,
}

/// A cheap handle; clones share the sink.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    namespace: String,
    function: String,
    sink: Sink,
    created: Instant,
    /// Whether no invocation has been counted yet.
    cold: std::sync::atomic::AtomicBool,
    /// What this invocation measured so far, by its dimension values.
    pending: Mutex<Pending>,
}

/// Dimension values (after `Function`) → metric name → its unit and
/// samples (a count keeps one, the sum).
type Pending = BTreeMap<Vec<(String, String)>, BTreeMap<String, (Unit, Vec<f64>)>>;

/// EMF's limit of values for one metric in one document.
const MAX_SAMPLES: usize = 100;

impl Metrics {
    /// Metrics for `function` to stdout, under `METRICS_NAMESPACE`;
    /// `METRICS=off` turns them off (a terminal, the CLI).
    pub fn from_env(function: &str) -> Self {
        let off = std::env::var("METRICS").is_ok_and(|v| v == "off");
        let namespace = std::env::var("METRICS_NAMESPACE")
            .ok()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        Self::new(
            namespace,
            function,
            if off { Sink::Off } else { Sink::Stdout },
        )
    }

    /// Metrics kept in memory, for tests.
    pub fn capture(function: &str) -> Self {
        Self::new(
            DEFAULT_NAMESPACE.to_owned(),
            function,
            Sink::Memory(Mutex::default()),
        )
    }

    /// No metrics (the CLI, benchmarks).
    pub fn off() -> Self {
        Self::new(DEFAULT_NAMESPACE.to_owned(), "", Sink::Off)
    }

    fn new(namespace: String, function: &str, sink: Sink) -> Self {
        Self {
            inner: Arc::new(Inner {
                namespace,
                function: function.to_owned(),
                sink,
                created: Instant::now(),
                cold: std::sync::atomic::AtomicBool::new(true),
                pending: Mutex::default(),
            }),
        }
    }

    /// The documents captured so far, what is pending printed first
    /// (empty unless made by [`Metrics::capture`]).
    pub fn lines(&self) -> Vec<String> {
        match &self.inner.sink {
            Sink::Memory(lines) => {
                self.flush(None);
                lines.lock().map(|l| l.clone()).unwrap_or_default()
            }
            _ => Vec::new(),
        }
    }

    /// Runs one invocation's `work`: counts a cold start if it is the
    /// process's first ([`name::COLD_STARTS`]), then prints what `work`
    /// measured, with the invocation's request id as a property.
    pub async fn invocation<F: std::future::Future>(
        &self,
        request_id: String,
        work: F,
    ) -> F::Output {
        self.invoked();
        let output = work.await;
        self.flush(Some(&request_id));
        output
    }

    /// Measures `values` under the one dimension set `Function` plus
    /// `dimensions`, to be printed when the invocation ends.
    pub fn put(&self, dimensions: &[(&str, &str)], values: &[(&str, f64, Unit)]) {
        if matches!(self.inner.sink, Sink::Off) || values.is_empty() {
            return;
        }
        let Ok(mut pending) = self.inner.pending.lock() else {
            return;
        };
        let key = dimensions
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let metrics = pending.entry(key).or_default();
        for (name, value, unit) in values {
            let (_, samples) = metrics
                .entry((*name).to_owned())
                .or_insert_with(|| (*unit, Vec::new()));
            match (unit, samples.first_mut()) {
                (Unit::Count, Some(sum)) => *sum += value,
                _ => samples.push(*value),
            }
        }
    }

    /// Prints what is pending: one document per combination of dimension
    /// values (more where a metric has more samples than EMF takes).
    pub fn flush(&self, request_id: Option<&str>) {
        let pending = match self.inner.pending.lock() {
            Ok(mut pending) => std::mem::take(&mut *pending),
            Err(_) => return,
        };
        for (dimensions, metrics) in pending {
            let longest = metrics.values().map(|(_, s)| s.len()).max().unwrap_or(0);
            for chunk in 0..longest.div_ceil(MAX_SAMPLES) {
                let part: Vec<(&str, Unit, &[f64])> = metrics
                    .iter()
                    .filter_map(|(name, (unit, samples))| {
                        let from = chunk * MAX_SAMPLES;
                        let to = samples.len().min(from + MAX_SAMPLES);
                        (from < to).then(|| (name.as_str(), *unit, &samples[from..to]))
                    })
                    .collect();
                let document = self.document(&dimensions, &part, request_id).to_string();
                self.print(document);
            }
        }
    }

    fn print(&self, document: String) {
        match &self.inner.sink {
            Sink::Stdout => {
                // One write per document, so concurrent tasks never
                // interleave.
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(format!("{document}\n").as_bytes());
                let _ = out.flush();
            }
            Sink::Memory(lines) => {
                if let Ok(mut lines) = lines.lock() {
                    lines.push(document);
                }
            }
            Sink::Off => {}
        }
    }

    /// Counts a cold start if this is the process's first invocation.
    fn invoked(&self) {
        use std::sync::atomic::Ordering;
        if self.inner.cold.swap(false, Ordering::Relaxed) {
            let waited = self.inner.created.elapsed().as_secs_f64() * 1000.0;
            self.put(
                &[],
                &[
                    (name::COLD_STARTS, 1.0, Unit::Count),
                    (name::INIT_DURATION, waited, Unit::Milliseconds),
                ],
            );
        }
    }

    /// `put` of one count.
    pub fn count(&self, metric: &str, dimensions: &[(&str, &str)], n: usize) {
        self.put(dimensions, &[(metric, n as f64, Unit::Count)]);
    }

    /// One count per number in a run's report (`{"settled": 2, …}`), the
    /// field's name as the value of dimension `key`.
    pub fn report(&self, metric: &str, key: &str, report: &Value) {
        for (field, value) in report.as_object().into_iter().flatten() {
            if let Some(n) = value.as_u64() {
                self.count(metric, &[(key, field)], n as usize);
            }
        }
    }

    fn document(
        &self,
        dimensions: &[(String, String)],
        metrics: &[(&str, Unit, &[f64])],
        request_id: Option<&str>,
    ) -> Value {
        let mut keys = vec![Value::from("Function")];
        keys.extend(dimensions.iter().map(|(k, _)| Value::from(k.as_str())));
        let definitions: Vec<Value> = metrics
            .iter()
            .map(|(name, unit, _)| json!({"Name": name, "Unit": unit.as_str()}))
            .collect();
        let mut root = Map::new();
        root.insert(
            "_aws".into(),
            json!({
                "Timestamp": now_ms(),
                "CloudWatchMetrics": [{
                    "Namespace": self.inner.namespace,
                    "Dimensions": [keys],
                    "Metrics": definitions,
                }],
            }),
        );
        root.insert("Function".into(), self.inner.function.clone().into());
        for (key, value) in dimensions {
            root.insert(key.clone(), value.as_str().into());
        }
        if let Some(id) = request_id {
            // A property, not a dimension: it finds the invocation's log
            // lines without multiplying the metrics.
            root.insert("RequestId".into(), id.into());
        }
        for (name, _, samples) in metrics {
            let value = match samples {
                [one] => json!(one),
                many => json!(many),
            };
            root.insert((*name).into(), value);
        }
        Value::Object(root)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The operation a task performs, as the dashboard names it.
pub fn operation(task: &TaskKind) -> &'static str {
    match task {
        TaskKind::DomainCreate(_) => "register",
        TaskKind::DomainTransfer { .. } => "transfer",
        TaskKind::DomainInfo { .. } => "info",
        TaskKind::DomainList { .. } => "list",
        TaskKind::DomainUpdate(_) => "update",
        TaskKind::CancelationAtExpiry { .. } => "cancel",
        TaskKind::CancelationDelete { .. } => "withdraw_cancel",
        TaskKind::RegistryStatus { .. } => "lock",
        TaskKind::AuthInfoCreate { .. } => "auth_code",
        TaskKind::AuthInfoToOwner { .. } => "auth_code_to_owner",
        TaskKind::AuthInfo2 { .. } => "auth_code_by_post",
        // Apart: a refused nack is alarmed on (the template's
        // RefusedNackAlarm), a refused ack is not.
        TaskKind::TransferOutAnswer {
            answer: TransferOutAnswer::Ack,
            ..
        } => "transfer_out_ack",
        TaskKind::TransferOutAnswer {
            answer: TransferOutAnswer::Nack { .. },
            ..
        } => "transfer_out_nack",
        TaskKind::TransferOutInfo { .. } => "transfer_out_info",
        TaskKind::VerificationInfo { .. } => "verification_info",
        TaskKind::VerificationStart { .. } => "verification_start",
        TaskKind::VerificationResend { .. } => "verification_resend",
    }
}

/// How a gateway exchange ended: the answer's status type, or why there
/// was none.
pub fn outcome(result: &Result<Exchange, GatewayError>) -> &'static str {
    match result {
        Ok(exchange) => match exchange.answer.status.kind {
            AnswerKind::Success => "success",
            AnswerKind::Notify => "notify",
            AnswerKind::Error => "error",
        },
        Err(GatewayError::NotSent(_)) => "not_sent",
        Err(GatewayError::OutcomeUnknown(_)) => "no_answer",
        Err(GatewayError::Http { .. }) => "http_error",
        Err(GatewayError::Protocol { .. }) => "unreadable",
    }
}

/// A gateway that measures every request it passes on.
pub struct Metered<G> {
    pub inner: G,
    pub metrics: Metrics,
}

impl<G: Gateway> Gateway for Metered<G> {
    async fn send(&self, task: &Task) -> Result<Exchange, GatewayError> {
        let started = Instant::now();
        let result = self.inner.send(task).await;
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        self.metrics.put(
            &[
                ("Operation", operation(&task.kind)),
                ("Outcome", outcome(&result)),
            ],
            &[
                (name::GATEWAY_REQUESTS, 1.0, Unit::Count),
                (name::GATEWAY_LATENCY, elapsed, Unit::Milliseconds),
            ],
        );
        result
    }

    fn worst_case(&self) -> std::time::Duration {
        self.inner.worst_case()
    }
}

/// A rate limit that reports how long each request waited for its slot.
pub struct MeteredThrottle {
    pub inner: Arc<dyn Throttle>,
    pub metrics: Metrics,
}

impl Throttle for MeteredThrottle {
    fn acquire(
        &self,
    ) -> Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + '_>> {
        Box::pin(async move {
            let started = Instant::now();
            let result = self.inner.acquire().await;
            self.metrics.put(
                &[],
                &[(
                    name::RATE_LIMIT_WAIT,
                    started.elapsed().as_secs_f64() * 1000.0,
                    Unit::Milliseconds,
                )],
            );
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents(m: &Metrics) -> Vec<Value> {
        m.lines()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[tokio::test]
    async fn the_first_invocation_of_a_process_is_its_cold_start() {
        let m = Metrics::capture("sync");
        m.invocation("req-1".into(), async {}).await;
        m.invocation("req-2".into(), async {}).await;
        let lines = documents(&m);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["ColdStarts"], 1.0);
        assert!(lines[0]["InitDuration"]
            .as_f64()
            .is_some_and(|ms| ms >= 0.0));
        assert_eq!(lines[0]["Function"], "sync");
        assert_eq!(lines[0]["RequestId"], "req-1");
    }

    /// The review's A2 #6: domain-events printed one line per order item.
    #[tokio::test]
    async fn an_invocation_prints_one_document_per_dimension_values() {
        let m = Metrics::capture("domain-events");
        m.invocation("req-1".into(), async {
            for _ in 0..3 {
                m.count(name::ITEMS, &[("Outcome", "accepted")], 1);
                m.put(&[], &[(name::RATE_LIMIT_WAIT, 2.0, Unit::Milliseconds)]);
            }
            m.count(name::ITEMS, &[("Outcome", "refused")], 1);
            // Printed only when the invocation ends.
            assert!(matches!(&m.inner.sink, Sink::Memory(l) if l.lock().unwrap().is_empty()));
        })
        .await;
        let docs = documents(&m);
        assert_eq!(docs.len(), 3, "{docs:#?}");
        let plain = docs.iter().find(|d| d.get("Outcome").is_none()).unwrap();
        assert_eq!(plain["ColdStarts"], 1.0);
        assert_eq!(plain["RateLimitWait"], json!([2.0, 2.0, 2.0]));
        assert_eq!(
            plain["_aws"]["CloudWatchMetrics"][0]["Metrics"],
            json!([{"Name": "ColdStarts", "Unit": "Count"},
                   {"Name": "InitDuration", "Unit": "Milliseconds"},
                   {"Name": "RateLimitWait", "Unit": "Milliseconds"}])
        );
        let accepted = docs.iter().find(|d| d["Outcome"] == "accepted").unwrap();
        assert_eq!(accepted["Items"], 3.0);
        let refused = docs.iter().find(|d| d["Outcome"] == "refused").unwrap();
        assert_eq!(refused["Items"], 1.0);
        assert!(docs.iter().all(|d| d["RequestId"] == "req-1"));
    }

    #[test]
    fn more_samples_than_emf_takes_spill_into_a_second_document() {
        let m = Metrics::capture("sync");
        for i in 0..150 {
            m.put(
                &[],
                &[(name::GATEWAY_LATENCY, i as f64, Unit::Milliseconds)],
            );
        }
        m.count(name::SYNC_ACTIONS, &[], 7);
        let docs = documents(&m);
        assert_eq!(docs.len(), 2, "{docs:#?}");
        assert_eq!(docs[0]["GatewayLatency"].as_array().unwrap().len(), 100);
        assert_eq!(docs[1]["GatewayLatency"].as_array().unwrap().len(), 50);
        assert_eq!(docs[0]["SyncActions"], 7.0);
        assert!(
            docs[1].get("SyncActions").is_none(),
            "a count is printed once"
        );
    }

    #[test]
    fn a_line_is_embedded_metric_format() {
        let metrics = Metrics::capture("inbound-mail");
        metrics.count(name::MAILS, &[("Outcome", "applied")], 2);
        let lines = metrics.lines();
        assert_eq!(lines.len(), 1);
        let line: Value = serde_json::from_str(&lines[0]).unwrap();
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], DEFAULT_NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["Function", "Outcome"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "Mails", "Unit": "Count"}])
        );
        assert!(line["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
        assert_eq!(line["Function"], "inbound-mail");
        assert_eq!(line["Outcome"], "applied");
        assert_eq!(line["Mails"], 2.0);
    }

    #[test]
    fn off_prints_nothing() {
        let metrics = Metrics::off();
        metrics.count(name::MAILS, &[], 1);
        assert!(metrics.lines().is_empty());
    }
}
