//! The AWS cost of a run, from the requests moto recorded while the
//! functions ran (every client's, the functions' and SES's S3 writes alike)
//! and the Lambda invocations the bench timed, at the public prices of
//! [`prices`].

pub mod item_size;
pub mod prices;
pub mod recording;

use std::collections::BTreeMap;

pub use prices::{Prices, US_EAST_1};
pub use recording::{Recorded, Tally};

/// One function's invocations in a run: what Lambda bills.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Invocations {
    pub count: u64,
    /// Billed milliseconds (each invocation rounded up to 1 ms).
    pub billed_ms: u64,
    pub memory_mb: u64,
}

impl Invocations {
    pub fn new(memory_mb: u64) -> Self {
        Self {
            memory_mb,
            ..Self::default()
        }
    }

    pub fn record(&mut self, elapsed: std::time::Duration) {
        self.count += 1;
        self.billed_ms += (elapsed.as_secs_f64() * 1e3).ceil().max(1.0) as u64;
    }

    pub fn gb_seconds(&self) -> f64 {
        self.billed_ms as f64 / 1e3 * self.memory_mb as f64 / 1024.0
    }
}

/// A run's bill, per line, in US dollars.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bill {
    pub lines: BTreeMap<&'static str, f64>,
}

impl Bill {
    pub fn of(
        tally: &Tally,
        functions: &BTreeMap<String, Invocations>,
        mails_received: u64,
        mail_chunks: u64,
        prices: &Prices,
    ) -> Self {
        let requests: u64 = functions.values().map(|f| f.count).sum();
        let gb_seconds: f64 = functions.values().map(Invocations::gb_seconds).sum();
        let per_million = |n: f64, price: f64| n / 1e6 * price;
        let per_thousand = |n: f64, price: f64| n / 1e3 * price;
        let mut lines = BTreeMap::new();
        lines.insert(
            "Lambda requests",
            per_million(requests as f64, prices.lambda_per_million_requests),
        );
        lines.insert(
            "Lambda duration (arm64)",
            gb_seconds * prices.lambda_arm_per_gb_second,
        );
        lines.insert(
            "DynamoDB writes (on-demand)",
            per_million(tally.write_units, prices.dynamodb_per_million_wru),
        );
        lines.insert(
            "DynamoDB reads (on-demand)",
            per_million(tally.read_units, prices.dynamodb_per_million_rru),
        );
        lines.insert(
            "S3 PUT/COPY/POST/LIST",
            per_thousand(tally.s3_tier1 as f64, prices.s3_per_thousand_tier1),
        );
        lines.insert(
            "S3 GET and others",
            per_thousand(tally.s3_tier2 as f64, prices.s3_per_thousand_tier2),
        );
        lines.insert(
            "SQS requests",
            per_million(tally.sqs_requests as f64, prices.sqs_per_million_requests),
        );
        lines.insert(
            "SES mail received",
            per_thousand(mails_received as f64, prices.ses_per_thousand_received)
                + per_thousand(mail_chunks as f64, prices.ses_per_thousand_chunks),
        );
        lines.insert(
            "SES mail sent",
            per_thousand(tally.ses_sent as f64, prices.ses_per_thousand_sent),
        );
        Self { lines }
    }

    pub fn total(&self) -> f64 {
        self.lines.values().sum()
    }

    /// The bill of `scale` times this run (the runs are linear in their
    /// items: one request, one mail, one list page per so many domains).
    pub fn scaled(&self, scale: f64) -> Self {
        Self {
            lines: self.lines.iter().map(|(k, v)| (*k, v * scale)).collect(),
        }
    }
}

/// SES bills received mail per message and per 256 KB chunk begun.
pub fn mail_chunks(bytes: usize) -> u64 {
    bytes.div_ceil(256 * 1024).max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invocation_is_billed_by_the_millisecond_begun_at_its_memory() {
        let mut f = Invocations::new(512);
        f.record(std::time::Duration::from_micros(1_200));
        f.record(std::time::Duration::from_micros(10));
        assert_eq!((f.count, f.billed_ms), (2, 3));
        assert!((f.gb_seconds() - 0.0015).abs() < 1e-12);
    }

    #[test]
    fn the_bill_prices_each_measured_quantity_once() {
        let tally = Tally {
            write_units: 2e6,
            read_units: 4e6,
            s3_tier1: 1_000,
            s3_tier2: 10_000,
            sqs_requests: 1_000_000,
            ses_sent: 0,
            ..Tally::default()
        };
        let mut functions = BTreeMap::new();
        let mut f = Invocations::new(1024);
        for _ in 0..1_000 {
            f.record(std::time::Duration::from_millis(1_000));
        }
        functions.insert("x".to_owned(), f);
        let p = &US_EAST_1;
        let bill = Bill::of(&tally, &functions, 1_000, 1_000, p);
        let expected = 1_000.0 / 1e6 * p.lambda_per_million_requests
            + 1_000.0 * p.lambda_arm_per_gb_second
            + 2.0 * p.dynamodb_per_million_wru
            + 4.0 * p.dynamodb_per_million_rru
            + p.s3_per_thousand_tier1
            + 10.0 * p.s3_per_thousand_tier2
            + p.sqs_per_million_requests
            + p.ses_per_thousand_received
            + p.ses_per_thousand_chunks;
        assert!((bill.total() - expected).abs() < 1e-9, "{bill:?}");
        assert!((bill.scaled(10.0).total() - 10.0 * expected).abs() < 1e-9);
    }

    #[test]
    fn a_mail_costs_a_chunk_per_256_kb_begun() {
        assert_eq!(mail_chunks(0), 1);
        assert_eq!(mail_chunks(256 * 1024), 1);
        assert_eq!(mail_chunks(256 * 1024 + 1), 2);
    }
}
