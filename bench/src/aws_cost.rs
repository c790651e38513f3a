//! `cargo run --release -p bench -- cost` (after `. tests/setup.sh`,
//! which provides moto): what the connector costs in AWS, measured.
//!
//! * 1,000 registrations (`REGISTRATIONS` to change it): one paid order
//!   through `domain-events`, the item queue and `order-items` (played as
//!   Lambda's SQS poller with the template's batch size), the simulator's
//!   result mails stored in S3 as SES stores them, and `inbound-mail` on
//!   each;
//! * one sync sweep of 10,000 domains (`SWEEP_DOMAINS`), adopted first by
//!   `import` (not counted), then `sync` runs to the sweep's end.
//!
//! Every AWS request of those runs is counted by moto's request recorder
//! (the functions', the poller's and SES's S3 writes alike) and read into
//! billed units (`bench::cost`); each invocation's duration is timed and
//! billed at the function's memory from `infra/template.yaml`. Prices:
//! `bench::cost::prices`. A benchmark, not a test: about ten minutes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use bench::cost::{mail_chunks, recording::Sizes, Bill, Invocations, Recorded, Tally, US_EAST_1};
use e2e::{order_of_many, Delivery, Options, World};
use registrar::deadline::Deadline;
use registrar::record::AccountKind;
use registrar::workflows::sync::SyncPolicy;
use serde_json::{json, Map, Value};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Each function's `MemorySize` in the template (the first after its
/// `Binary:` line).
fn template_memory() -> BTreeMap<String, u64> {
    let path = e2e::events_dir().join("../infra/template.yaml");
    let text = std::fs::read_to_string(&path).expect("infra/template.yaml");
    let mut memory = BTreeMap::new();
    let mut function = None;
    for line in text.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("Binary: ") {
            function = Some(name.to_owned());
        } else if let (Some(mb), Some(name)) = (line.strip_prefix("MemorySize: "), &function) {
            if let Ok(mb) = mb.parse() {
                memory.insert(name.clone(), mb);
                function = None;
            }
        }
    }
    memory
}

/// moto's request recorder (its `/moto-api/recorder/` endpoints).
struct Recorder {
    http: reqwest::Client,
    endpoint: String,
}

impl Recorder {
    fn new(endpoint: &str) -> Self {
        Self {
            http: internetx::https::client_builder()
                .build()
                .expect("a client"),
            endpoint: endpoint.to_owned(),
        }
    }

    async fn call(&self, what: &str) -> String {
        let url = format!("{}/moto-api/recorder/{what}", self.endpoint);
        let answer = if what == "download-recording" {
            self.http.get(&url).send().await
        } else {
            self.http.post(&url).send().await
        };
        answer
            .and_then(|a| a.error_for_status())
            .unwrap_or_else(|e| panic!("moto recorder {what}: {e}"))
            .text()
            .await
            .unwrap_or_else(|e| panic!("moto recorder {what}: {e}"))
    }

    async fn start(&self) {
        self.call("start-recording").await;
    }

    async fn stop(&self) {
        self.call("stop-recording").await;
    }

    async fn restart(&self) {
        self.call("reset-recording").await;
        self.start().await;
    }

    async fn requests(&self) -> Vec<Recorded> {
        Recorded::parse_all(&self.call("download-recording").await).expect("moto's recording")
    }
}

/// An item as the wire carries it (DynamoDB JSON), to size it.
fn wire(value: &AttributeValue) -> Value {
    use base64::Engine;
    let b64 = |b: &aws_sdk_dynamodb::primitives::Blob| {
        Value::from(base64::engine::general_purpose::STANDARD.encode(b.as_ref()))
    };
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        AttributeValue::Null(_) => json!({ "NULL": true }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::Bs(v) => json!({ "BS": v.iter().map(b64).collect::<Vec<_>>() }),
        AttributeValue::L(v) => json!({ "L": v.iter().map(wire).collect::<Vec<_>>() }),
        AttributeValue::M(m) => json!({ "M": wire_item(m) }),
        _ => Value::Null,
    }
}

fn wire_item(item: &std::collections::HashMap<String, AttributeValue>) -> Map<String, Value> {
    item.iter().map(|(k, v)| (k.clone(), wire(v))).collect()
}

async fn table_sizes(w: &World) -> Sizes {
    let items: Vec<Map<String, Value>> = w.scan().await.iter().map(wire_item).collect();
    Sizes::of_items(&items)
}

/// What one run measured.
struct Run {
    tally: Tally,
    functions: BTreeMap<String, Invocations>,
    mails: u64,
    mail_chunks: u64,
    gateway_requests: u64,
}

impl Run {
    fn bill(&self) -> Bill {
        Bill::of(
            &self.tally,
            &self.functions,
            self.mails,
            self.mail_chunks,
            &US_EAST_1,
        )
    }
}

fn invocations(memory: &BTreeMap<String, u64>, names: &[&str]) -> BTreeMap<String, Invocations> {
    names
        .iter()
        .map(|n| {
            let mb = memory
                .get(*n)
                .copied()
                .unwrap_or_else(|| panic!("{n}: no MemorySize"));
            (n.to_string(), Invocations::new(mb))
        })
        .collect()
}

fn count(functions: &mut BTreeMap<String, Invocations>, name: &str, started: Instant) {
    if let Some(f) = functions.get_mut(name) {
        f.record(started.elapsed());
    }
}

async fn registrations(n: usize, memory: &BTreeMap<String, u64>) -> Run {
    let w = World::start_with(Options {
        deliver: Delivery::Nobody,
        ..Options::default()
    })
    .await;
    let mut config = w.config.clone();
    config.item_queue_url = Some(w.stack.output("ItemQueueUrl").to_owned());
    let queue = config.item_queue_url.clone().unwrap_or_default();
    let off = adapters::metrics::Metrics::off();
    let events = adapters::wiring::domain_events(&config, &w.aws, &off).expect("domain-events");
    let items =
        adapters::wiring::registrar(&config, &w.aws, &off, registrar::state_event::Cause::Event)
            .expect("order-items");
    let sqs = aws_sdk_sqs::Client::new(&w.aws);
    e2e::disable_event_source_mappings(&w.aws).await;
    let mut functions = invocations(memory, &["domain-events", "order-items", "inbound-mail"]);
    let recorder = Recorder::new(&w.moto.endpoint);
    recorder.restart().await;

    let started = Instant::now();
    domain_events::handle(
        &events.registrar,
        events.queue.as_ref(),
        order_of_many("ORD-COST", "cost", n),
        &off,
    )
    .await
    .expect("the order is queued");
    count(&mut functions, "domain-events", started);
    // Lambda's poller, until the queue stays empty.
    let mut idle = 0;
    while idle < 2 {
        match e2e::poll_item_queue(&sqs, &queue, &items).await {
            Ok(Some(ran)) => {
                idle = 0;
                if let Some(f) = functions.get_mut("order-items") {
                    f.record(ran);
                }
            }
            Ok(None) => idle += 1,
            Err(e) => panic!("{e}"),
        }
    }
    let gateway_requests = w.simulator.domain_tasks().len() as u64;
    let deadline = Instant::now() + Duration::from_secs(120);
    while w.simulator.mails().len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The mails' sizes, read outside the recording (SES bills per 256 KB).
    recorder.stop().await;
    let keys = w.simulator.mails();
    let mut sized = Vec::new();
    for key in &keys {
        sized.push((key.clone(), w.mail_bytes(key).await.len()));
    }
    recorder.start().await;
    for (key, size) in &sized {
        let event = internetx_simulator::mailer::s3_event(&w.mail_bucket, key, *size);
        let started = Instant::now();
        inbound_mail::handle(
            &w.mail_app,
            serde_json::from_value(event).expect("an S3 event"),
            &off,
        )
        .await
        .expect("the mail is handled");
        count(&mut functions, "inbound-mail", started);
    }
    recorder.stop().await;
    let requests = recorder.requests().await;
    let registered = w
        .scan()
        .await
        .iter()
        .filter(|i| e2e::text(i, "sk") == "DOMAIN" && e2e::text(i, "status") == "Registered")
        .count();
    assert_eq!(
        registered,
        n,
        "every registration ends Registered ({gateway_requests} gateway requests, {} mails)",
        sized.len()
    );
    Run {
        tally: Tally::of(&requests, &table_sizes(&w).await),
        functions,
        mails: sized.len() as u64,
        mail_chunks: sized.iter().map(|(_, s)| mail_chunks(*s)).sum(),
        gateway_requests,
    }
}

async fn sweep(n: usize, memory: &BTreeMap<String, u64>) -> (Run, usize) {
    let w = World::without_mail().await;
    w.simulator
        .seed_domains((0..n).map(|i| format!("sweep-{i:05}.com")));
    let off = adapters::metrics::Metrics::off();
    let app =
        adapters::wiring::registrar(&w.config, &w.aws, &off, registrar::state_event::Cause::Sync)
            .expect("sync");
    app.import("PROV-COST", AccountKind::Provider, 100, true)
        .await
        .expect("import");
    let mut functions = invocations(memory, &["sync"]);
    let recorder = Recorder::new(&w.moto.endpoint);
    recorder.restart().await;
    let mut runs = 0;
    let mut gateway_requests = 0;
    loop {
        let started = Instant::now();
        let report = sync::handle(&app, SyncPolicy::default(), Deadline::none(), &off)
            .await
            .expect("a sync run");
        count(&mut functions, "sync", started);
        runs += 1;
        gateway_requests += report["requests"].as_u64().unwrap_or(0);
        if report["sweep_completed"] == json!(true) || runs > 1_000 {
            break;
        }
    }
    recorder.stop().await;
    let requests = recorder.requests().await;
    let run = Run {
        tally: Tally::of(&requests, &table_sizes(&w).await),
        functions,
        mails: 0,
        mail_chunks: 0,
        gateway_requests,
    };
    (run, runs)
}

fn print(title: &str, run: &Run, scale: f64) {
    let bill = run.bill().scaled(scale);
    println!("\n{title}");
    for (name, f) in &run.functions {
        println!(
            "  {name:<14} {:>6.0} invocations, {:>9.0} ms billed at {} MB",
            f.count as f64 * scale,
            f.billed_ms as f64 * scale,
            f.memory_mb
        );
    }
    let t = &run.tally;
    println!(
        "  DynamoDB {:.0} write units, {:.0} read units; S3 {:.0} PUT-class, {:.0} GET-class; SQS {:.0} requests; SES {:.0} mails in ({:.0} chunks)",
        t.write_units * scale,
        t.read_units * scale,
        t.s3_tier1 as f64 * scale,
        t.s3_tier2 as f64 * scale,
        t.sqs_requests as f64 * scale,
        run.mails as f64 * scale,
        run.mail_chunks as f64 * scale
    );
    let calls: Vec<String> = t
        .calls
        .iter()
        .map(|(k, v)| format!("{k} {:.0}", *v as f64 * scale))
        .collect();
    println!("  requests: {}", calls.join(", "));
    for (line, usd) in &bill.lines {
        println!("  {line:<28} ${usd:.5}");
    }
    println!("  {:<28} ${:.5}", "total", bill.total());
    // The gateway answered at once here; InterNetX takes longer, and the
    // function waits for it.
    let waiting_gb_s: f64 = run.gateway_requests as f64 * scale * 0.1 * 256.0 / 1024.0;
    println!(
        "  each 100 ms InterNetX takes to answer adds ${:.4} ({:.0} gateway requests at 256 MB)",
        waiting_gb_s * US_EAST_1.lambda_arm_per_gb_second,
        run.gateway_requests as f64 * scale
    );
}

pub fn main() {
    // Where moto's pool (started by the first World, with this process's
    // environment) writes its recording: out of the source tree. Set before
    // any other thread exists.
    let recording = e2e::events_dir().join("../target/moto-recording.jsonl");
    std::env::set_var("MOTO_RECORDER_FILEPATH", recording);
    tokio::runtime::Runtime::new()
        .expect("a Tokio runtime")
        .block_on(measure());
}

async fn measure() {
    let memory = template_memory();
    let n = env_usize("REGISTRATIONS", 1_000);
    let domains = env_usize("SWEEP_DOMAINS", 10_000);
    println!(
        "prices: {} ({}); no free tier",
        US_EAST_1.region, US_EAST_1.as_of
    );
    let run = registrations(n, &memory).await;
    print(
        &format!("1,000 registrations with their result mails (measured {n})"),
        &run,
        1_000.0 / n as f64,
    );
    // At InterNetX's 3 requests a second the two order-items instances
    // (MaximumConcurrency 2) wait for their turn: about n/3 s each.
    let paced_gb_s = 1_000.0 / 3.0 * 2.0 * 256.0 / 1024.0;
    println!(
        "  paced at InterNetX's 3 requests/s: two order-items instances waiting add about ${:.4}",
        paced_gb_s * US_EAST_1.lambda_arm_per_gb_second
    );
    let (run, runs) = sweep(domains, &memory).await;
    print(
        &format!("one sync sweep of 10,000 domains (measured {domains}, {runs} runs)"),
        &run,
        10_000.0 / domains as f64,
    );
}
