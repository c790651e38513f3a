//! `internetx-simulator`: the gateway simulator as a process.
//!
//! With `--mail-bucket` it also delivers result mails the way InterNetX and
//! SES do together: the raw mail into the bucket (S3 endpoint from the usual
//! `AWS_ENDPOINT_URL`), then the S3 event to `--notify-url` (the mail
//! function's Lambda Invoke API, e.g. under `cargo lambda watch`).

use std::net::SocketAddr;
use std::time::Duration;

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use clap::{Parser, ValueEnum};
use internetx_simulator::{MailDelivery, MailFormat, Notify, Simulator, SimulatorConfig};

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    XmlInline,
    XmlAttachment,
    Standard,
}

#[derive(Parser)]
#[command(about = "A local InterNetX XML gateway simulator")]
struct Args {
    /// Address to listen on (loopback only is sensible).
    #[arg(long, default_value = "127.0.0.1:8700")]
    listen: SocketAddr,
    #[arg(long, env = "SIM_USER", default_value = "bridge")]
    user: String,
    #[arg(long, env = "SIM_PASSWORD", default_value = "sim-password")]
    password: String,
    #[arg(long, env = "SIM_CONTEXT", default_value = "4")]
    context: String,
    /// Domains registered elsewhere (create is refused); repeatable.
    #[arg(long = "taken")]
    taken: Vec<String>,
    /// Accept, then fail in the result mail: `domain` or `domain/code`; repeatable.
    #[arg(long = "fail-async")]
    fail_async: Vec<String>,
    /// `domain=fault`, once each: slow:2s, timeout-after-accept, reset-before,
    /// reset-after, http-500, http-503:N, malformed-xml, mail-never,
    /// mail-twice, mail-wrong-domain.
    #[arg(long = "fault", value_parser = parse_fault)]
    faults: Vec<(String, internetx_simulator::Fault)>,
    /// Requests accepted per second; more get HTTP 429 (InterNetX: 3).
    #[arg(long)]
    rate_limit: Option<usize>,
    /// Cut every domain-list page to this many, silently, instead of
    /// refusing a `limit` above the simulator's maximum.
    #[arg(long)]
    list_cap: Option<u64>,
    /// The account's renewal mode: auto-delete lets uncancelled domains
    /// lapse at expiry (their `autorenew` reads false).
    #[arg(long)]
    auto_delete: bool,
    /// Deliver result mails into this bucket.
    #[arg(long)]
    mail_bucket: Option<String>,
    #[arg(long, default_value = "inbound/")]
    mail_prefix: String,
    /// Where to send the S3 event (Lambda Invoke API URL of the mail function).
    #[arg(long)]
    notify_url: Option<String>,
    #[arg(long, default_value_t = 1000)]
    mail_delay_ms: u64,
    #[arg(long, value_enum, default_value = "xml-inline")]
    mail_format: Format,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let mut config = SimulatorConfig {
        user: args.user,
        password: args.password,
        context: args.context,
        ..SimulatorConfig::default()
    };
    config.taken.extend(args.taken);
    config.fail_async.extend(args.fail_async);
    config.faults = args.faults;
    config.rate_limit = args.rate_limit;
    config.list_cap = args.list_cap;
    if args.auto_delete {
        config.renewal = internetx_simulator::RenewalMode::AutoDelete;
    }
    if let Some(bucket) = args.mail_bucket {
        // The SDK crates have no default HTTPS client here (the workspace's
        // Cargo.toml): the SDK's own, on ring, as `adapters::aws` names it.
        let https = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let aws = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(https)
            .load()
            .await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&aws)
                .force_path_style(std::env::var_os("AWS_ENDPOINT_URL").is_some())
                .build(),
        );
        config.mail = Some(MailDelivery {
            s3,
            bucket,
            prefix: args.mail_prefix,
            delay: Duration::from_millis(args.mail_delay_ms),
            notify: args.notify_url.map_or(Notify::None, Notify::Invoke),
            format: match args.mail_format {
                Format::XmlInline => MailFormat::XmlInline,
                Format::XmlAttachment => MailFormat::XmlAttachment,
                Format::Standard => MailFormat::Standard,
            },
            from: "robot@autodns.com".into(),
        });
    }
    let sim = Simulator::start(config, args.listen).await?;
    eprintln!("internetx-simulator listening on {}", sim.url());
    sim.wait().await;
    Ok(())
}

fn parse_fault(text: &str) -> Result<(String, internetx_simulator::Fault), String> {
    let (domain, fault) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?}: expected domain=fault"))?;
    Ok((domain.to_ascii_lowercase(), fault.parse()?))
}
