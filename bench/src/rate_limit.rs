//! `cargo run --release -p bench -- rate-limit` (after `. tests/setup.sh`,
//! which provides moto): a paid order of 1,000 domains (`ITEMS` to change it)
//! through the item queue and `order-items` at InterNetX's real limit of 3
//! requests per second, against the simulator enforcing that limit. Prints
//! the achieved rate as a share of the limit, the most requests seen in any
//! one-second window, and how many the simulator refused for rate. A
//! benchmark, not a test: it takes about six minutes.

use std::time::{Duration, Instant};

use e2e::{order_of_many, Options, World};

const RATE: usize = 3;

/// The most arrivals within any window of `window_ms` (sorted input).
fn max_in_window(times: &[u64], window_ms: u64) -> usize {
    let mut best = 0;
    let mut start = 0;
    for end in 0..times.len() {
        while times[end] - times[start] >= window_ms {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

#[tokio::main]
pub async fn main() {
    let items: usize = std::env::var("ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000);
    let w = World::start_with(Options::fanned_out_at(RATE)).await;
    let started = Instant::now();
    w.send(&order_of_many("ORD-RATE", "rate", items))
        .await
        .expect("the order is queued");
    let budget = Duration::from_secs((items / RATE) as u64 * 2 + 120);
    loop {
        let sent = w
            .simulator
            .tasks_with_code("0101")
            .iter()
            .filter(|r| r.answered != "HTTP 429")
            .count();
        if sent >= items || started.elapsed() > budget {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let requests = w.simulator.tasks_with_code("0101");
    let refused = requests.iter().filter(|r| r.answered == "HTTP 429").count();
    let mut times: Vec<u64> = requests
        .iter()
        .filter(|r| r.answered != "HTTP 429")
        .map(|r| r.received_ms)
        .collect();
    times.sort_unstable();
    let (Some(&first), Some(&last)) = (times.first(), times.last()) else {
        eprintln!("the simulator received no registration within {budget:?}");
        std::process::exit(1);
    };
    let seconds = (last - first) as f64 / 1000.0;
    let achieved = (times.len() - 1) as f64 / seconds;
    println!("domains sent            {} of {items}", times.len());
    println!("refused for rate (429)  {refused}");
    println!("first to last request   {seconds:.1} s");
    println!(
        "achieved rate           {achieved:.3} requests/s = {:.1} % of the limit ({RATE}/s)",
        achieved / RATE as f64 * 100.0
    );
    println!(
        "most in any 1 s window  {} (limit {RATE})",
        max_in_window(&times, 1_000)
    );
}
