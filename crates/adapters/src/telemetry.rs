//! Logging: JSON lines in Lambda (one event per step, with fields), readable
//! text on a terminal. `RUST_LOG` filters as usual; the default is `info`.
//!
//! A JSON line carries the event's own fields (`domain`, `ctid`, `request`
//! for the event's request, …) at the top level and, under `span`, the
//! fields of the Lambda runtime's invocation span: `requestId` (the Lambda
//! request id) and `xrayTraceId`, so one query finds every line of one
//! invocation, one domain or one ctid.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
    let json = in_lambda || std::env::var("LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // try_init: a second call (tests) keeps the first subscriber.
    let _ = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .without_time()
            .try_init()
    } else {
        builder.with_ansi(false).try_init()
    };
}
