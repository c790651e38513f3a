//! Cold start of each function binary: from process start to its first
//! `GET /2018-06-01/runtime/invocation/next` at a local stub of the Lambda
//! Runtime API. By then `main` has read its configuration (plain values
//! here: no Secrets Manager round trip) and built every client, as on a
//! Lambda cold start; the process is then stopped.
//!
//! The release binaries are built first (`cargo build --release` of the
//! function packages). This machine is not a Lambda arm64 host, so the
//! figure is our own init cost, without Lambda's sandbox start.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const FUNCTIONS: [&str; 6] = [
    "domain-events",
    "inbound-mail",
    "order-items",
    "reconcile",
    "status-mails",
    "sync",
];

/// Median milliseconds per function over `starts` starts; `None` when it
/// could not be measured (the reason goes to stderr).
pub fn measure(starts: usize) -> Vec<(String, Option<f64>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build
        .current_dir(&root)
        .args(["build", "--release", "--quiet"]);
    for f in FUNCTIONS {
        build.args(["-p", f]);
    }
    if !build.status().is_ok_and(|s| s.success()) {
        eprintln!("cold start: building the function binaries failed");
        return FUNCTIONS.iter().map(|f| (f.to_string(), None)).collect();
    }
    FUNCTIONS
        .iter()
        .map(|name| {
            let binary = root.join("target/release").join(name);
            let mut samples = Vec::new();
            for _ in 0..starts {
                match one_start(&binary, name) {
                    Ok(ms) => samples.push(ms),
                    Err(e) => {
                        eprintln!("cold start of {name}: {e}");
                        break;
                    }
                }
            }
            let median = (samples.len() == starts).then(|| crate::median(samples));
            (name.to_string(), median)
        })
        .collect()
}

fn one_start(binary: &Path, name: &str) -> Result<f64, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // The first request is the runtime's `next`; hold it unanswered.
        if let Ok((stream, _)) = listener.accept() {
            let mut line = String::new();
            let _ = BufReader::new(&stream).read_line(&mut line);
            let _ = tx.send((Instant::now(), line));
            std::thread::sleep(Duration::from_secs(2));
        }
    });
    let start = Instant::now();
    let mut child = Command::new(binary)
        .envs(environment(name, &addr.to_string()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{}: {e}", binary.display()))?;
    let result = rx.recv_timeout(Duration::from_secs(10));
    let _ = child.kill();
    let _ = child.wait();
    let (at, line) = result.map_err(|_| "no Runtime API request within 10 s".to_string())?;
    if !line.contains("/runtime/invocation/next") {
        return Err(format!("unexpected first request {line:?}"));
    }
    Ok((at - start).as_secs_f64() * 1e3)
}

/// What the template gives the function, with plain secrets.
fn environment(name: &str, runtime_api: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_LAMBDA_RUNTIME_API", runtime_api.to_owned()),
        ("AWS_LAMBDA_FUNCTION_NAME", name.to_owned()),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "bench".into()),
        ("AWS_REGION", "eu-central-1".into()),
        ("AWS_ACCESS_KEY_ID", "bench".into()),
        ("AWS_SECRET_ACCESS_KEY", "bench".into()),
        ("DOMAIN_TABLE", "domains".into()),
        ("MAIL_BUCKET", "mail".into()),
        ("INTERNETX_URL", "https://gateway.autodns.com".into()),
        ("INTERNETX_USER", "bench".into()),
        ("INTERNETX_CONTEXT", "4".into()),
        ("INTERNETX_PASSWORD", "bench".into()),
        ("REPLY_TO_ADDRESS", "internetx@inbound.example.net".into()),
        ("REPLY_TOKEN_SECRET", "bench-secret-0123456789".into()),
        // domain-events, order-items and reconcile refuse to start without it.
        ("SEALING_SECRET", "bench-sealing-0123456789".into()),
        ("STATUS_MAIL_FROM", "noreply@provider.example".into()),
        (
            "ITEM_QUEUE_URL",
            "https://sqs.eu-central-1.amazonaws.com/1/items".into(),
        ),
        ("RUST_LOG", "warn".into()),
    ]
}
