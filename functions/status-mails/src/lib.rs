//! `status-mails`: runs on a schedule and sends the status mails that state
//! changes queued (`NOTICE#…` items), each once. The event's content does
//! not matter; every run works through at most `STATUS_MAIL_BATCH` notices.
//!
//! A failed send is the notice's business, not the run's: it is logged on
//! the domain and retried next run. Only a table outage fails the run.

use adapters::ses::SesMailer;
use adapters::{DynamoStore, StatusMailConfig};
use aws_config::SdkConfig;
use lambda_runtime::Error;
use registrar::notify::Notifier;
use registrar::ports::SystemClock;
use serde_json::Value;

pub type App = Notifier<DynamoStore, SesMailer, SystemClock>;

/// A claim older than this belongs to a run that died (the function's
/// timeout is far shorter).
const STALE_CLAIM_MINUTES: i64 = 15;

pub fn build(config: &StatusMailConfig, aws: &SdkConfig) -> App {
    Notifier {
        queue: DynamoStore::new(aws_sdk_dynamodb::Client::new(aws), &config.domain_table),
        mailer: SesMailer::new(
            aws_sdk_sesv2::Client::new(aws),
            &config.from,
            config.configuration_set.clone(),
        ),
        clock: SystemClock,
        max_attempts: config.max_attempts,
        stale_after: time::Duration::minutes(STALE_CLAIM_MINUTES),
    }
}

pub async fn handle(app: &App, batch: usize) -> Result<Value, Error> {
    let report = app.run(batch).await?;
    tracing::info!(
        sent = report.sent,
        retrying = report.retrying,
        failed = report.failed,
        unknown = report.unknown,
        skipped = report.skipped,
        "status mails"
    );
    Ok(serde_json::to_value(report)?)
}
