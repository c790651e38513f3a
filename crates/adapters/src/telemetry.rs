//! Logging: JSON lines in Lambda (one event per step, with fields), readable
//! text on a terminal.
//!
//! The level is `RUST_LOG` when set (the template's `LogLevel`), else
//! Lambda's own `AWS_LAMBDA_LOG_LEVEL` (a function's `LoggingConfig`), else
//! `info`; the format is Lambda's `AWS_LAMBDA_LOG_FORMAT` (`JSON` or
//! `Text`), else JSON inside Lambda and text on a terminal (`LOG_FORMAT=json`
//! asks for JSON there).
//!
//! Whatever the level, the runtime, the AWS SDK and the HTTP stack never
//! log below `info`: at `debug`/`trace` they print raw events and request
//! bodies, which carry auth codes (security review L9).
//!
//! A JSON line carries the event's own fields (`domain`, `ctid`, `request`
//! for the event's request, …) at the top level and, under `span`, the
//! fields of the Lambda runtime's invocation span: `requestId` (the Lambda
//! request id) and `xrayTraceId`, so one query finds every line of one
//! invocation, one domain or one ctid.

use tracing_subscriber::EnvFilter;

/// Crates whose debug output holds raw payloads.
const PAYLOAD_LOGGERS: [&str; 8] = [
    "lambda_runtime",
    "lambda_runtime_api_client",
    "aws_smithy_runtime",
    "aws_smithy_http",
    "aws_sdk_ses",
    "hyper",
    "hyper_util",
    "reqwest",
];

pub fn init() {
    let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let filter = filter(get("RUST_LOG"), get("AWS_LAMBDA_LOG_LEVEL"));
    let json = match get("AWS_LAMBDA_LOG_FORMAT").as_deref() {
        Some(f) if f.eq_ignore_ascii_case("text") => false,
        Some(_) => true,
        None => {
            std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some()
                || get("LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"))
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter))
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

/// The filter directives: `rust_log`, else Lambda's level (`FATAL` is
/// `error`: tracing has no higher), else `info`; payload loggers capped.
fn filter(rust_log: Option<String>, lambda_level: Option<String>) -> String {
    let base = rust_log.unwrap_or_else(|| {
        match lambda_level
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("trace") => "trace",
            Some("debug") => "debug",
            Some("warn") => "warn",
            Some("error") | Some("fatal") => "error",
            _ => "info",
        }
        .to_owned()
    });
    // A directive of RUST_LOG for one of these crates (or a module of
    // one) would be as specific as the cap and might win: it is dropped.
    let capped = |directive: &str| {
        let target = directive
            .split(['=', '['])
            .next()
            .unwrap_or_default()
            .trim();
        PAYLOAD_LOGGERS
            .iter()
            .any(|c| target == *c || target.starts_with(&format!("{c}::")))
    };
    let mut directives: Vec<String> = base
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty() && !capped(d))
        .map(str::to_owned)
        .collect();
    directives.extend(
        PAYLOAD_LOGGERS
            .iter()
            .map(|target| format!("{target}=info")),
    );
    directives.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_level_comes_from_rust_log_then_lambda_and_payloads_stay_unlogged() {
        let f = filter(None, Some("DEBUG".into()));
        assert!(f.starts_with("debug,"), "{f}");
        assert!(f.contains("lambda_runtime=info") && f.contains("aws_smithy_runtime=info"));
        assert!(filter(None, Some("FATAL".into())).starts_with("error,"));
        assert!(filter(None, None).starts_with("info,"));
        let f = filter(
            Some("warn,lambda_runtime=trace,aws_smithy_runtime::client=debug".into()),
            Some("ERROR".into()),
        );
        assert!(!f.contains("trace") && !f.contains("debug"), "{f}");
        let parsed = EnvFilter::try_new(&f).expect("valid directives");
        assert_eq!(
            parsed.max_level_hint(),
            Some(tracing::level_filters::LevelFilter::INFO),
            "no payload logger above info: {f}"
        );
    }
}
