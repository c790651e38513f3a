use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::telemetry::init();
    let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let config = adapters::StatusMailConfig::from_env(&adapters::config::ProcessEnv)?;
    let app = adapters::wiring::status_mails(&config, &aws);
    run(service_fn(|_: LambdaEvent<Value>| {
        status_mails::handle(&app, config.batch)
    }))
    .await
}
