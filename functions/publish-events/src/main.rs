use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::telemetry::init();
    let aws = adapters::aws::load().await;
    let config = adapters::PublishConfig::from_env(&adapters::config::ProcessEnv)?;
    let app = adapters::wiring::publish_events(&config, &aws);
    let metrics = adapters::metrics::Metrics::from_env("publish-events");
    run(service_fn(|event: LambdaEvent<Value>| {
        let request_id = event.context.request_id.clone();
        let deadline = registrar::deadline::Deadline::from_epoch_millis(event.context.deadline);
        metrics.invocation(request_id, publish_events::handle(&app, deadline, &metrics))
    }))
    .await
}
