//! `cargo run --release -p bench`: figures for bench/README.md's Performance
//! (`-- cost`, `-- rate-limit`, `-- sync-cost`: the measured flows, see
//! each module)
//! section, printed as a table and written to `target/bench.json`.
//!
//! * result-mail handling (MIME parse, document search, XML, token check,
//!   decision and the state change) over the `events/mail` corpus, with the
//!   in-memory store so only our CPU time counts;
//! * a large result mail (9 MiB, just under the 10 MiB limit);
//! * building a registration request and parsing the gateway's answer;
//! * the peer job (parse the MIME message, find the InterNetX XML, extract
//!   ctid and status) that `bench/peers/run.sh` compares with Python and
//!   Node (`bench mail-job` prints only that figure, as JSON);
//! * the security review's hostile mails, each handled (`bench hostile`
//!   prints only these);
//! * cold start of each function binary (process start → first Runtime-API
//!   `next` request, config read and clients built) against a local stub
//!   of the Runtime API (see `cold_start.rs`; `bench cold-start` prints
//!   only these).

use std::path::Path;
use std::time::Instant;

use internetx::response::parse_answer;
use internetx::{Credentials, Envelope, Secret};
use registrar::lifecycle::NoticePolicy;
use registrar::ports::{DomainStore, SystemClock};
use registrar::reply_address::ReplyAddress;
use registrar::testing::{self, MemoryStore};
use registrar::workflows::inbound_mail::{Inbound, InboundConfig};
use registrar::Operation;
use serde_json::{json, Value};

const SECRET: &[u8] = b"reply-token-secret-0815-abcdef";

fn events_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

/// A fresh store with the corpus' domains in flight.
async fn seeded_store(manifest: &[Value]) -> MemoryStore {
    let store = MemoryStore::default();
    for entry in manifest {
        let Some(seed) = entry["seed"].as_object() else {
            continue;
        };
        let operation: Operation = seed["operation"]
            .as_str()
            .unwrap_or("register")
            .parse()
            .unwrap_or(Operation::Register);
        let record = testing::in_flight_record(
            seed["domain"].as_str().unwrap_or_default(),
            operation,
            seed["ctid"].as_str().unwrap_or_default(),
            time::OffsetDateTime::now_utc(),
        );
        store
            .commit(&testing::seed(record, None))
            .await
            .expect("memory store");
    }
    store
}

fn inbound(store: MemoryStore) -> Inbound<MemoryStore, SystemClock> {
    Inbound {
        store,
        clock: SystemClock,
        reply: ReplyAddress::new("internetx@inbound.example.net", SECRET).expect("reply address"),
        config: InboundConfig::default(),
        notices: NoticePolicy::default(),
    }
}

mod aws_cost;
mod cold_start;
mod rate_limit;
mod sync_cost;

/// The worst mails the security review built: each once cost a stack
/// overflow, seconds of CPU, or thousands of writes.
fn hostile_mails() -> Vec<(&'static str, Vec<u8>)> {
    let head = "From: attacker@evil.example\r\nTo: nobody@inbound.example.net\r\nSubject: x\r\n";
    let near_misses = format!("{head}\r\n{}", "<responsex".repeat(100_000));
    let mut nested = head.to_owned();
    for _ in 0..100_000 {
        nested.push_str("Content-Type: message/rfc822\r\n\r\n");
    }
    let recipients: String = (0..6_000)
        .map(|i| format!("To: internetx+{i:032x}@inbound.example.net\r\n"))
        .collect();
    let transactions: String = (0..6_000)
        .map(|i| format!("\ttransaction: ib-{i}\n"))
        .collect();
    let quadratic = format!(
        "From: attacker@evil.example\r\n{recipients}Subject: x\r\n\r\n<system>\n\ttask: 0101\n\tstatus: S0101 [done]\n{transactions}</system>\n"
    );
    let notifies: String = (0..2_000)
        .map(|_| "<message><notify><domain><name>corpus-one.de</name></domain><type>domain_away</type></notify></message>")
        .collect();
    let flood = format!("{head}Content-Type: text/xml\r\n\r\n<response><result><data>{notifies}</data></result></response>");
    vec![
        (
            "100,000 near-miss documents (1 MB)",
            near_misses.into_bytes(),
        ),
        ("100,000 nested messages (3.4 MB)", nested.into_bytes()),
        ("6,000 recipients × 6,000 ctids", quadratic.into_bytes()),
        ("2,000 registry events", flood.into_bytes()),
    ]
}

/// The corpus as (file, bytes).
fn corpus() -> (Vec<Value>, Vec<(String, Vec<u8>)>) {
    let dir = events_dir().join("mail");
    let manifest: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json")).expect("manifest"),
    )
    .expect("manifest is JSON");
    let mails = manifest
        .iter()
        .map(|e| {
            let file = e["file"].as_str().unwrap_or_default().to_owned();
            let raw = std::fs::read(dir.join(&file)).expect("corpus mail");
            (file, raw)
        })
        .collect();
    (manifest, mails)
}

/// The peers' job: MIME, the InterNetX document, ctid and status code.
/// Median µs per mail over `rounds` passes of the corpus.
fn mail_job(mails: &[(String, Vec<u8>)], rounds: usize) -> f64 {
    let mut samples = Vec::with_capacity(mails.len() * rounds);
    for _ in 0..rounds {
        for (_, raw) in mails {
            let start = Instant::now();
            let found = internetx::mail::parse_result_mail(raw)
                .ok()
                .and_then(|mail| {
                    mail.notifications.into_iter().find_map(|n| match n {
                        internetx::notification::Notification::Job(job) => {
                            Some((job.ctids.first().cloned(), job.status.code))
                        }
                        _ => None,
                    })
                });
            samples.push(start.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(found);
        }
    }
    median(samples)
}

/// `bench cost`, `bench rate-limit`, `bench sync-cost` run the measured
/// flows against moto and the simulator; anything else is the figures
/// (one binary, so the test command builds and links it once).
fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("cost") => aws_cost::main(),
        Some("rate-limit") => rate_limit::main(),
        Some("sync-cost") => sync_cost::main(),
        _ => figures(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn figures() {
    if std::env::args().nth(1).as_deref() == Some("mail-job") {
        let (_, mails) = corpus();
        let us = mail_job(&mails, 500);
        println!(
            "{}",
            json!({"implementation": "rust (mail-parser + quick-xml)", "median_us_per_mail": us, "mails": mails.len()})
        );
        return;
    }
    if std::env::args().nth(1).as_deref() == Some("cold-start") {
        for (name, ms) in cold_start::measure(21) {
            match ms {
                Some(ms) => {
                    println!("| cold start {name} (median of 21, to first `next`) | {ms:.1} ms |")
                }
                None => println!("| cold start {name} | not measured (see stderr) |"),
            }
        }
        return;
    }
    let (manifest, mails) = corpus();
    if std::env::args().nth(1).as_deref() == Some("hostile") {
        for (name, raw) in hostile_mails() {
            let app = inbound(seeded_store(&manifest).await);
            let start = Instant::now();
            let verdict = app
                .handle("inbound/hostile", &raw)
                .await
                .expect("memory store");
            let ms = start.elapsed().as_secs_f64() * 1e3;
            println!(
                "| hostile mail: {name} ({}) | {ms:.1} ms |",
                verdict.outcome.as_str()
            );
        }
        return;
    }

    // Result mails: each round handles the whole corpus on a fresh store.
    const ROUNDS: usize = 200;
    let mut per_mail = Vec::new();
    let mut bytes = 0usize;
    let mut total = 0f64;
    for _ in 0..ROUNDS {
        let app = inbound(seeded_store(&manifest).await);
        for (file, raw) in &mails {
            let start = Instant::now();
            let verdict = app
                .handle(&format!("inbound/{file}"), raw)
                .await
                .expect("memory store");
            let took = start.elapsed().as_secs_f64();
            std::hint::black_box(verdict);
            per_mail.push(took * 1e6);
            total += took;
            bytes += raw.len();
        }
    }
    let mail_median_us = median(per_mail.clone());
    let mail_mb_s = bytes as f64 / total / 1e6;

    // A large genuine mail: the inline result plus 9 MiB of text before it.
    let (_, base) = &mails[0];
    let split = base
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end")
        + 4;
    let mut large = base[..split].to_vec();
    large.extend(
        std::iter::repeat_n(b"filler text line =\r\n".as_slice(), 9 * 1024 * 1024 / 21).flatten(),
    );
    large.extend_from_slice(&base[split..]);
    let app = inbound(seeded_store(&manifest).await);
    let start = Instant::now();
    let verdict = app
        .handle("inbound/large", &large)
        .await
        .expect("memory store");
    let large_ms = start.elapsed().as_secs_f64() * 1e3;

    // Hostile mails (security review M1): each must be handled, whatever
    // its verdict, well within a second.
    let hostile = hostile_mails();
    let mut hostile_ms = Vec::new();
    for (name, raw) in &hostile {
        let app = inbound(seeded_store(&manifest).await);
        let start = Instant::now();
        let verdict = app
            .handle("inbound/hostile", raw)
            .await
            .expect("memory store");
        hostile_ms.push((
            *name,
            start.elapsed().as_secs_f64() * 1e3,
            verdict.outcome.as_str(),
        ));
    }

    // Request build and answer parse.
    let order: Value = serde_json::from_str(
        &std::fs::read_to_string(events_dir().join("order-paid.json")).expect("event"),
    )
    .expect("json");
    let envelope = Envelope::new(Credentials {
        user: "u".into(),
        password: Secret::new("p"),
        context: "4".into(),
    });
    let event = registrar::event::parse_event("OrderPaid", &order["detail"]).expect("event parses");
    let registrar::event::InboundEvent::OrderPaid(paid) = event else {
        unreachable!()
    };
    let registrar::event::OrderItem::Domain {
        operation, input, ..
    } = &paid.items[0]
    else {
        unreachable!()
    };
    let domain =
        registrar::DomainName::parse(input.domain.as_deref().unwrap_or_default()).expect("domain");
    let request = registrar::request::DomainRequest::validate(
        registrar::request::Source::Request {
            request_id: "B".into(),
        },
        *operation,
        paid.account.clone(),
        None,
        domain,
        input.clone(),
        &registrar::testing::defaults(),
    )
    .expect("valid");
    let answer = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><response><result><data/><status><code>N0101</code><text>The domain registration was started successfully.</text><type>notify</type><object><type>domain</type><value>example.de</value></object></status></result><stid>20261129-app1-1</stid></response>";
    let register = request.task("ib-0", Some("internetx+t@inbound.example.net".into()));
    let internetx::TaskKind::DomainCreate(order) = register.kind.clone() else {
        unreachable!()
    };
    let update = |nameservers: bool| {
        internetx::TaskKind::DomainUpdate(internetx::request::DomainUpdate {
            name: order.name.clone(),
            owner: None,
            admin: (!nameservers).then(|| order.admin.clone()).flatten(),
            tech: (!nameservers).then(|| order.tech.clone()).flatten(),
            zone: None,
            nameservers: nameservers.then(|| order.nameservers.clone()),
            confirm_owner_consent: false,
        })
    };
    let operations = [
        ("register (0101, create plus)", register.kind.clone()),
        (
            "transfer (0104)",
            internetx::TaskKind::DomainTransfer {
                order: order.clone(),
                auth_code: Secret::new("X7#k2<&>AuthCode-9f3"),
            },
        ),
        ("name-server change (0102)", update(true)),
        ("contact change (0102)", update(false)),
        (
            "cancellation (0103101)",
            internetx::TaskKind::CancelationAtExpiry {
                name: order.name.clone(),
            },
        ),
        (
            "domain info (0105)",
            internetx::TaskKind::DomainInfo {
                name: order.name.clone(),
            },
        ),
    ];
    let mut per_operation = Vec::new();
    for (name, kind) in operations {
        let mut samples = Vec::new();
        for i in 0..20_000 {
            let task = internetx::Task {
                kind: kind.clone(),
                ctid: format!("ib-{i}"),
                reply_to: Some("internetx+t@inbound.example.net".into()),
            };
            let start = Instant::now();
            let xml = task.to_xml(&envelope);
            let parsed = parse_answer(answer).expect("answer parses");
            samples.push(start.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box((xml, parsed));
        }
        per_operation.push((name, median(samples)));
    }
    let request_us = per_operation[0].1;
    let job_us = mail_job(&mails, 500);
    let cold = cold_start::measure(21);

    let figures = json!({
        "peer_mail_job_median_us": job_us,
        "cold_start_median_ms": cold.iter().map(|(name, ms)| (name.clone(), json!(ms))).collect::<serde_json::Map<String, Value>>(),
        "mail_handling_median_us": mail_median_us,
        "mail_handling_mb_per_s": mail_mb_s,
        "mail_corpus_size": mails.len(),
        "large_mail_bytes": large.len(),
        "large_mail_ms": large_ms,
        "large_mail_outcome": verdict.outcome.as_str(),
        "hostile_mails_ms": hostile_ms.iter().map(|(n, ms, _)| (n.to_string(), json!(ms))).collect::<serde_json::Map<String, Value>>(),
        "register_request_build_and_answer_parse_median_us": request_us,
        "request_build_and_answer_parse_median_us": per_operation.iter().map(|(n, us)| (n.to_string(), json!(us))).collect::<serde_json::Map<String, Value>>(),
    });
    println!("| figure | value |\n|---|---|");
    println!(
        "| result mail handled (median over {} corpus mails × {ROUNDS}) | {mail_median_us:.1} µs |",
        mails.len()
    );
    println!("| result-mail throughput | {mail_mb_s:.1} MB/s |");
    println!(
        "| largest mail handled ({:.1} MiB, outcome {}) | {large_ms:.1} ms |",
        large.len() as f64 / 1048576.0,
        verdict.outcome.as_str()
    );
    for (name, ms, outcome) in &hostile_ms {
        println!("| hostile mail: {name} ({outcome}) | {ms:.1} ms |");
    }
    for (name, us) in &per_operation {
        println!("| request built + answer parsed: {name} | {us:.1} µs |");
    }
    println!("| peer job: MIME + XML + ctid/status (median) | {job_us:.1} µs |");
    for (name, ms) in &cold {
        match ms {
            Some(ms) => {
                println!("| cold start {name} (median of 21, to first `next`) | {ms:.1} ms |")
            }
            None => println!("| cold start {name} | not measured (see stderr) |"),
        }
    }
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench.json");
    if let Err(e) = std::fs::write(
        &out,
        serde_json::to_string_pretty(&figures).unwrap_or_default(),
    ) {
        eprintln!("could not write {}: {e}", out.display());
    }
}
