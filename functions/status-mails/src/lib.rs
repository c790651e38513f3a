//! `status-mails`: runs on a schedule and sends the status mails that state
//! changes queued (`NOTICE#…` items), each once. The event's content does
//! not matter; every run works through at most `STATUS_MAIL_BATCH` notices.
//!
//! A failed send is the notice's business, not the run's: it is logged on
//! the domain and retried next run. Only a table outage fails the run.

use adapters::failure::FunctionError;
use adapters::metrics::{name, Metrics};
use registrar::deadline::Deadline;
use registrar::ports::{Clock, Mailer, NoticeQueue};
use registrar::workflows::status_mails::Notifier;
use serde_json::Value;

pub async fn handle<Q: NoticeQueue, M: Mailer, C: Clock>(
    app: &Notifier<Q, M, C>,
    batch: usize,
    deadline: Deadline,
    metrics: &Metrics,
) -> Result<Value, FunctionError> {
    let report = app.run_within(batch, deadline).await?;
    tracing::info!(
        sent = report.sent,
        retrying = report.retrying,
        failed = report.failed,
        unknown = report.unknown,
        skipped = report.skipped,
        "status mails"
    );
    let report = serde_json::to_value(report)?;
    metrics.report(name::STATUS_MAILS, "Outcome", &report);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use registrar::event::parse_event;
    use registrar::testing::{
        registrar, MemoryStore, RecordingMailer, Script, ScriptedGateway, TestClock,
    };
    use serde_json::json;

    /// A refused registration for an account with an address owes one mail.
    async fn one_notice_owed() -> MemoryStore {
        let app = registrar(ScriptedGateway::answering(Script::Refuse));
        let event = parse_event(
            "DomainRequested",
            &json!({"request_id": "REQ-1", "operation": "register",
                    "account": {"id": "PROV-1", "kind": "provider", "email": "billing@customer.example"},
                    "domain": "taken.de",
                    "contacts": {"owner": {"kind": "person", "first_name": "Erika", "last_name": "Muster",
                        "address": ["Heidestr. 17"], "postal_code": "51147", "city": "Köln",
                        "country": "DE", "phone": "+49 221 1234567", "email": "erika@example.de"}},
                    "nameservers": [{"name": "ns1.provider.net"}, {"name": "ns2.provider.net"}]}),
        )
        .unwrap();
        app.handle(&event).await;
        app.store
    }

    #[tokio::test]
    async fn the_owed_mail_goes_out_once() {
        let notifier = Notifier {
            queue: one_notice_owed().await,
            mailer: RecordingMailer::default(),
            clock: TestClock::default(),
            max_attempts: 5,
            stale_after: time::Duration::minutes(15),
            sealer: None,
        };
        assert_eq!(
            handle(&notifier, 10, Deadline::none(), &Metrics::off())
                .await
                .unwrap()["sent"],
            1
        );
        assert_eq!(
            handle(&notifier, 10, Deadline::none(), &Metrics::off())
                .await
                .unwrap()["sent"],
            0
        );
        let sent = notifier.mailer.sent();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, "billing@customer.example");
        assert!(notifier.queue.actions("taken.de").contains(&"notice.sent"));
    }

    #[tokio::test]
    async fn a_refusing_mail_service_does_not_fail_the_run() {
        let notifier = Notifier {
            queue: one_notice_owed().await,
            mailer: RecordingMailer::failing(true),
            clock: TestClock::default(),
            max_attempts: 5,
            stale_after: time::Duration::minutes(15),
            sealer: None,
        };
        let out = handle(&notifier, 10, Deadline::none(), &Metrics::off())
            .await
            .expect("the run succeeds");
        assert_eq!(out["failed"], 1);
        assert!(notifier.queue.notices().is_empty(), "given up, not retried");
    }
}
