use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::telemetry::init();
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let config = adapters::Config::from_env(&adapters::config::ProcessEnv, &aws).await?;
    let app = domain_events::build(&config, &aws)?;
    run(service_fn(|event: LambdaEvent<Value>| {
        domain_events::handle(&app, event.payload)
    }))
    .await
}
