use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    adapters::telemetry::init();
    let aws = adapters::aws::load().await;
    let env = adapters::config::ProcessEnv;
    let config = adapters::Config::from_env(&env, &aws).await?;
    // It may seal an auth code: only under the sealing key (N14).
    config.require_sealing()?;
    let policy = adapters::config::reconcile_policy(&env)?;
    let metrics = adapters::metrics::Metrics::from_env("reconcile");
    let app = adapters::wiring::registrar(
        &config,
        &aws,
        &metrics,
        registrar::state_event::Cause::Reconcile,
    )?;
    run(service_fn(|event: LambdaEvent<Value>| {
        let request_id = event.context.request_id.clone();
        let deadline = registrar::deadline::Deadline::from_epoch_millis(event.context.deadline);
        metrics.invocation(
            request_id,
            reconcile::handle(&app, policy, deadline, &metrics),
        )
    }))
    .await
}
