use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::telemetry::init();
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let config = adapters::Config::from_env(&adapters::config::ProcessEnv, &aws).await?;
    let app = adapters::wiring::domain_events(&config, &aws)?;
    run(service_fn(|event: LambdaEvent<Value>| {
        domain_events::handle(&app.registrar, app.queue.as_ref(), event.payload)
    }))
    .await
}
