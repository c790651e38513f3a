//! A paid order of 250 domains (1,000 with `E2E_FULL=1`) goes through the
//! template's item queue to `order-items` under the gateway's rate limit
//! (scaled up to 200 per second so the test stays quick), while the
//! OrderPaid event is delivered twice, the second time a third of the way
//! through. InterNetX must see every registration once: none refused for
//! rate, none doubled.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use e2e::{order_of_many, scaled, Options, World};
use serde_json::Value;

const RATE: usize = 200;

fn big_order(items: usize) -> Value {
    order_of_many("ORD-BULK", "bulk", items)
}

#[tokio::test]
async fn a_large_order_goes_through_once_within_the_rate() {
    let count = scaled(250, 1_000);
    let w = World::start_with(Options::fanned_out_at(RATE)).await;
    let order = big_order(count);
    let out = w.send(&order).await.unwrap();
    let items = out["items"].as_array().unwrap();
    assert_eq!(items.len(), count);
    assert!(
        items.iter().all(|i| i["outcome"] == "queued"),
        "{}",
        items[0]
    );

    // EventBridge delivers the event again once part of it is sent: every
    // item is queued a second time.
    let start = Instant::now();
    while w.simulator.tasks_with_code("0101").len() < count / 3 {
        assert!(start.elapsed() < Duration::from_secs(120), "stalled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = w.send(&order).await.unwrap();
    assert_eq!(again["items"].as_array().unwrap().len(), count);

    let mut sent = 0;
    while start.elapsed() < Duration::from_secs(240) {
        sent = w.simulator.tasks_with_code("0101").len();
        if sent >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let the second copies drain: nothing more may go out.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let requests = w.simulator.tasks_with_code("0101");
    let refused = requests.iter().filter(|r| r.answered == "HTTP 429").count();
    assert_eq!(refused, 0, "refused for rate");
    let mut per_domain: HashMap<String, usize> = HashMap::new();
    for r in &requests {
        *per_domain
            .entry(r.domain.clone().unwrap_or_default())
            .or_default() += 1;
    }
    assert_eq!(per_domain.len(), count, "every item sent ({sent} requests)");
    let doubled: Vec<_> = per_domain.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "sent twice: {doubled:?}");
    assert_eq!(requests.len(), count);
    let elapsed = start.elapsed().as_secs_f64();
    eprintln!(
        "{count} items in {elapsed:.1} s ({:.0} requests/s, limit {RATE})",
        count as f64 / elapsed
    );
}
