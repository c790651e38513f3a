//! A paid order of 1,000 domains goes through the template's item
//! queue to `order-items` under the gateway's rate limit (scaled up to 200
//! per second so the test stays quick), while the OrderPaid event is
//! delivered twice, the second time half-way through. InterNetX must see
//! 1,000 registrations: none refused for rate, none doubled.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use e2e::{order_of_many, Options, World};
use serde_json::Value;

const ITEMS: usize = 1_000;
const RATE: usize = 200;

fn big_order() -> Value {
    order_of_many("ORD-BULK", "bulk", ITEMS)
}

#[tokio::test]
async fn a_thousand_domain_order_goes_through_once_within_the_rate() {
    let w = World::start_with(Options::fanned_out_at(RATE)).await;
    let order = big_order();
    let out = w.send(&order).await.unwrap();
    let items = out["items"].as_array().unwrap();
    assert_eq!(items.len(), ITEMS);
    assert!(
        items.iter().all(|i| i["outcome"] == "queued"),
        "{}",
        items[0]
    );

    // EventBridge delivers the event again once part of it is sent: every
    // item is queued a second time.
    let start = Instant::now();
    while w.simulator.tasks_with_code("0101").len() < ITEMS / 3 {
        assert!(start.elapsed() < Duration::from_secs(120), "stalled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = w.send(&order).await.unwrap();
    assert_eq!(again["items"].as_array().unwrap().len(), ITEMS);

    let mut sent = 0;
    while start.elapsed() < Duration::from_secs(240) {
        sent = w.simulator.tasks_with_code("0101").len();
        if sent >= ITEMS {
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
    assert_eq!(per_domain.len(), ITEMS, "every item sent ({sent} requests)");
    let doubled: Vec<_> = per_domain.iter().filter(|(_, n)| **n > 1).collect();
    assert!(doubled.is_empty(), "sent twice: {doubled:?}");
    assert_eq!(requests.len(), ITEMS);
    let elapsed = start.elapsed().as_secs_f64();
    eprintln!(
        "{ITEMS} items in {elapsed:.1} s ({:.0} requests/s, limit {RATE})",
        ITEMS as f64 / elapsed
    );
}
