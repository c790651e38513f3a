//! `cargo run --release -p bench -- sync-cost` (after `. tests/setup.sh`, which
//! provides moto): an InterNetX account of 1,000 domains (`DOMAINS` to
//! change it) adopted with `import`, then synced from the first page to the
//! end of the sweep with the defaults (`SYNC_PAGE` 100). Prints the gateway
//! requests per 1,000 domains, the DynamoDB calls per domain by operation,
//! and what a full sweep of 10,000 domains takes at InterNetX's 3 requests
//! per second. A benchmark, not a test.

use std::collections::BTreeMap;
use std::time::Instant;

use e2e::calls::Calls;
use e2e::World;
use registrar::deadline::Deadline;
use registrar::record::AccountKind;
use registrar::workflows::sync::SyncPolicy;

#[tokio::main]
pub async fn main() {
    let domains: usize = std::env::var("DOMAINS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let w = World::without_mail().await;
    w.simulator
        .seed_domains((0..domains).map(|i| format!("bench-{i:05}.com")));
    let calls = Calls::default();
    let mut app = adapters::wiring::registrar(
        &w.config,
        &w.aws,
        &adapters::metrics::Metrics::off(),
        registrar::state_event::Cause::Sync,
    )
    .expect("the registrar");
    app.store = calls.store(&w);
    let import = app
        .import("PROV-BENCH", AccountKind::Provider, 100, true)
        .await
        .expect("import");
    let import_calls = calls.take();
    let policy = SyncPolicy::default();
    let started = Instant::now();
    let mut requests = 0;
    let mut runs = 0;
    loop {
        let report = app
            .sync(policy.clone(), Deadline::none())
            .await
            .expect("sync run");
        requests += report.requests;
        runs += 1;
        if report.sweep_completed || runs > 1_000 {
            break;
        }
    }
    let elapsed = started.elapsed();
    let sync_calls = calls.take();
    let per_domain = |calls: &BTreeMap<String, usize>| -> String {
        calls
            .iter()
            .map(|(op, n)| format!("{op} {:.3}", *n as f64 / domains as f64))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let total: usize = sync_calls.values().sum();
    let per_thousand = requests as f64 * 1_000.0 / domains as f64;
    // At 3 requests per second the gateway alone needs this per sweep.
    let ten_thousand_requests = (10_000 / policy.page as usize) + 1;
    println!("domains                          {domains}");
    println!(
        "import                           {} adopted, {} gateway requests; DynamoDB per domain: {}",
        import.adopted.len(),
        import.requests,
        per_domain(&import_calls)
    );
    println!(
        "sync runs to a complete sweep    {runs} (SYNC_PAGES_PER_RUN {})",
        policy.pages_per_run
    );
    println!("gateway requests per 1,000       {per_thousand:.1}");
    println!(
        "DynamoDB calls per domain        {:.3} ({})",
        total as f64 / domains as f64,
        per_domain(&sync_calls)
    );
    println!(
        "sweep wall time (moto, 200/s)    {:.1} s",
        elapsed.as_secs_f64()
    );
    println!(
        "10,000 domains at 3 requests/s   {ten_thousand_requests} list requests = {:.0} s of gateway time; {} run(s) of {} pages",
        ten_thousand_requests as f64 / 3.0,
        ten_thousand_requests.div_ceil(policy.pages_per_run),
        policy.pages_per_run
    );
}
