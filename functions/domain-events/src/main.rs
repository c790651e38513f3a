use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::telemetry::init();
    let aws = adapters::aws::load().await;
    let config = adapters::Config::from_env(&adapters::config::ProcessEnv, &aws).await?;
    // It may seal an auth code: only under the sealing key (N14).
    config.require_sealing()?;
    let metrics = adapters::metrics::Metrics::from_env("domain-events");
    let app = adapters::wiring::domain_events(&config, &aws, &metrics)?;
    run(service_fn(|event: LambdaEvent<Value>| {
        let request_id = event.context.request_id.clone();
        // Every request the event sends checks this deadline right before
        // sending (registrar::deadline::current).
        let deadline = registrar::deadline::Deadline::from_epoch_millis(event.context.deadline);
        metrics.invocation(
            request_id,
            registrar::deadline::within(
                deadline,
                domain_events::handle(&app.registrar, app.queue.as_ref(), event.payload, &metrics),
            ),
        )
    }))
    .await
}
