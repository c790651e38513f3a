use aws_lambda_events::s3::S3Event;
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::telemetry::init();
    let aws = adapters::aws::load().await;
    let config = adapters::MailConfig::from_env(&adapters::config::ProcessEnv, &aws).await?;
    let app = adapters::wiring::inbound_mail(&config, &aws)?;
    let metrics = adapters::metrics::Metrics::from_env("inbound-mail");
    run(service_fn(|event: LambdaEvent<S3Event>| {
        let request_id = event.context.request_id.clone();
        metrics.invocation(
            request_id,
            inbound_mail::handle(&app, event.payload, &metrics),
        )
    }))
    .await
}
