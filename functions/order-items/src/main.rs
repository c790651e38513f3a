use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::telemetry::init();
    let aws = adapters::aws::load().await;
    let config = adapters::Config::from_env(&adapters::config::ProcessEnv, &aws).await?;
    // It may seal an auth code: only under the sealing key (N14).
    config.require_sealing()?;
    let metrics = adapters::metrics::Metrics::from_env("order-items");
    let app = adapters::wiring::registrar(
        &config,
        &aws,
        &metrics,
        registrar::state_event::Cause::Event,
    )?;
    run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let request_id = event.context.request_id.clone();
        let deadline = registrar::deadline::Deadline::from_epoch_millis(event.context.deadline);
        metrics.invocation(
            request_id,
            order_items::handle(&app, event.payload, deadline),
        )
    }))
    .await
}
