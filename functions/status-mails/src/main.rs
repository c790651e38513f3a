use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::telemetry::init();
    let aws = adapters::aws::load().await;
    let env = adapters::config::ProcessEnv;
    let config = adapters::StatusMailConfig::from_env(&env)?;
    let sealer = adapters::config::opening_sealer(&env, &aws).await?;
    let app = adapters::wiring::status_mails(&config, &aws, sealer);
    let metrics = adapters::metrics::Metrics::from_env("status-mails");
    run(service_fn(|event: LambdaEvent<Value>| {
        let request_id = event.context.request_id.clone();
        let deadline = registrar::deadline::Deadline::from_epoch_millis(event.context.deadline);
        metrics.invocation(
            request_id,
            status_mails::handle(&app, config.batch, deadline, &metrics),
        )
    }))
    .await
}
