//! `internetx-bridge doctor`: checks a deployed stack the way a provider
//! would before the first order, one line per check with what to do when
//! it fails. It reads and asks; it changes nothing (the gateway check is a
//! one-domain list request).

mod dns;

use std::net::SocketAddr;

use aws_config::SdkConfig;
use internetx::{AnswerKind, Task, TaskKind};
use registrar::ports::{DomainStore, Gateway};

/// Where the stack's parts are (the stack's outputs; the same variables as
/// the functions where there is one).
#[derive(clap::Args)]
pub struct DoctorArgs {
    /// The mail bucket (stack output MailBucketName).
    #[arg(long, env = "MAIL_BUCKET")]
    bucket: Option<String>,
    /// The key prefix SES writes under (InboundPrefix).
    #[arg(long, env = "INBOUND_PREFIX", default_value = "inbound/")]
    prefix: String,
    /// A dead-letter queue to find empty (stack output DeadLetterQueueUrl);
    /// repeat for the item queue's.
    #[arg(long = "queue-url", env = "DLQ_URL")]
    queues: Vec<String>,
    /// The region SES receives in: the stack's, or InboundRegion with
    /// InboundMode=remote (default: the SDK's region).
    #[arg(long)]
    inbound_region: Option<String>,
    /// The DNS resolver for the MX check (default: /etc/resolv.conf's).
    #[arg(long)]
    resolver: Option<SocketAddr>,
}

/// One check's verdict.
pub struct Line {
    pub check: &'static str,
    pub ok: bool,
    pub detail: String,
    pub fix: Option<String>,
}

impl Line {
    fn ok(check: &'static str, detail: impl Into<String>) -> Self {
        Self {
            check,
            ok: true,
            detail: detail.into(),
            fix: None,
        }
    }

    fn fail(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            ok: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

pub async fn command(aws: &SdkConfig, table: &str, args: DoctorArgs) -> Result<(), String> {
    let lines = run(aws, table, &args).await;
    for line in &lines {
        println!(
            "{:<4}  {:<22} {}",
            if line.ok { "ok" } else { "FAIL" },
            line.check,
            line.detail
        );
        if let Some(fix) = &line.fix {
            println!("      {:<22} fix: {fix}", "");
        }
    }
    let failed = lines.iter().filter(|l| !l.ok).count();
    if failed == 0 {
        println!("all {} checks passed", lines.len());
        Ok(())
    } else {
        Err(format!("{failed} of {} checks failed", lines.len()))
    }
}

async fn run(aws: &SdkConfig, table: &str, args: &DoctorArgs) -> Vec<Line> {
    let mut lines = Vec::new();
    let config = adapters::Config::from_env(&adapters::config::ProcessEnv, aws).await;
    let region = args
        .inbound_region
        .clone()
        .or_else(|| aws.region().map(|r| r.to_string()))
        .unwrap_or_default();
    let inbound = aws
        .to_builder()
        .region(aws_config::Region::new(region.clone()))
        .build();
    let store = adapters::wiring::operator_store(table, aws);
    lines.push(match store.load("doctor.invalid").await {
        Ok(_) => Line::ok("domain table", format!("{table} readable")),
        Err(e) => Line::fail(
            "domain table",
            format!("{table}: {e}"),
            "--table / DOMAIN_TABLE is the stack output DomainTableName; the caller needs dynamodb:GetItem on it",
        ),
    });
    let config = match config {
        Ok(config) => {
            lines.push(Line::ok(
                "configuration",
                "INTERNETX_*, REPLY_* and their secrets read",
            ));
            config
        }
        Err(e) => {
            lines.push(Line::fail(
                "configuration",
                e.to_string(),
                "set the variable it names as the gateway functions have it (README, Configuration); a *_SECRET names a secret this caller may read",
            ));
            lines.push(Line::fail(
                "InterNetX login",
                "not tried: the configuration is incomplete",
                "fix the configuration first",
            ));
            return finish(lines, &inbound, args, None, &region).await;
        }
    };
    lines.extend(gateway(&config, aws).await);
    let domain = config
        .reply_to_address
        .rsplit('@')
        .next()
        .unwrap_or_default()
        .to_owned();
    finish(lines, &inbound, args, Some(&domain), &region).await
}

/// The checks that need no gateway configuration.
async fn finish(
    mut lines: Vec<Line>,
    inbound: &SdkConfig,
    args: &DoctorArgs,
    domain: Option<&str>,
    region: &str,
) -> Vec<Line> {
    if let Some(domain) = domain {
        lines.push(identity(inbound, domain, region).await);
        lines.push(rule_set(inbound, domain, region).await);
        lines.push(mail_exchanger(domain, region, args.resolver).await);
    }
    lines.push(notification(inbound, args).await);
    if args.queues.is_empty() {
        lines.push(Line::fail(
            "dead letters",
            "no queue given",
            "pass --queue-url (stack output DeadLetterQueueUrl) or set DLQ_URL",
        ));
    }
    let sqs = aws_sdk_sqs::Client::new(inbound);
    for queue in &args.queues {
        lines.push(dead_letters(&sqs, queue).await);
    }
    lines
}

/// Domains of the account the renewal check looks at: one list page.
const RENEWAL_SAMPLE: u64 = 50;

/// A short domain list: harmless, and only answered for valid credentials.
/// Its page is also the sample the renewal check reads.
async fn gateway(config: &adapters::Config, aws: &SdkConfig) -> Vec<Line> {
    let fix = "check INTERNETX_USER, INTERNETX_CONTEXT (4 live, 1 demo) and the password behind INTERNETX_PASSWORD_SECRET";
    let app = match adapters::wiring::registrar(
        config,
        aws,
        &adapters::metrics::Metrics::off(),
        registrar::state_event::Cause::Operator,
    ) {
        Ok(app) => app,
        Err(e) => return vec![Line::fail("InterNetX login", e.to_string(), fix)],
    };
    let task = Task {
        kind: TaskKind::DomainList {
            offset: 0,
            limit: RENEWAL_SAMPLE,
        },
        ctid: registrar::request::new_ctid(),
        reply_to: None,
    };
    match app.gateway.send(&task).await {
        Ok(exchange) if exchange.answer.status.kind == AnswerKind::Error => vec![Line::fail(
            "InterNetX login",
            format!("refused: {}", exchange.answer.summary()),
            fix,
        )],
        Ok(exchange) => vec![
            Line::ok(
                "InterNetX login",
                match exchange.answer.total {
                    Some(n) => format!("accepted; the account holds {n} domains"),
                    None => "accepted".to_owned(),
                },
            ),
            renewal_mode(&exchange.answer.domains),
        ],
        Err(e) => vec![Line::fail(
            "InterNetX login",
            internetx::error_chain(&e),
            format!("is {} reachable from here?", config.internetx_url),
        )],
    }
}

/// The bridge never sends a renewal: a paid domain lives on only while
/// InterNetX renews it by itself, as an account in AutoRenew mode does. In
/// AutoDelete mode (InterNetX's QuickGuide AutoDelete: set per customer on
/// request) domains are deleted at expiry and a `.de` goes to TRANSIT. The
/// mode is not asked for by any task the bridge knows, so the sample's
/// domains tell: one not cancelled and not renewed by itself is enough.
fn renewal_mode(sample: &[internetx::DomainData]) -> Line {
    let known: Vec<&internetx::DomainData> =
        sample.iter().filter(|d| d.autorenew.is_some()).collect();
    let lapsing: Vec<&str> = known
        .iter()
        .filter(|d| d.autorenew == Some(false) && d.cancelation.is_none())
        .map(|d| d.name.as_str())
        .collect();
    if known.is_empty() {
        return Line::ok(
            "renewal mode",
            if sample.is_empty() {
                "no domain in the account to tell by yet".to_owned()
            } else {
                format!(
                    "not shown for the {} domains sampled; the sync's drift lines will tell",
                    sample.len()
                )
            },
        );
    }
    if lapsing.is_empty() {
        return Line::ok(
            "renewal mode",
            format!(
                "AutoRenew: the {} sampled domains without a cancelation renew by themselves",
                known.len()
            ),
        );
    }
    let shown: Vec<&str> = lapsing.iter().take(3).copied().collect();
    Line::fail(
        "renewal mode",
        format!(
            "{} of {} sampled domains will lapse at expiry though nobody cancelled them (autorenew off: {}{}); the account looks like AutoDelete mode",
            lapsing.len(),
            known.len(),
            registrar::text::printable(&shown.join(", "), 300),
            if lapsing.len() > shown.len() { ", …" } else { "" }
        ),
        "ask InterNetX to set the account's renewal mode to AutoRenew (or each domain's autorenew): the bridge never sends renewals, it relies on InterNetX renewing until a cancelation",
    )
}

/// The reply domain's verification, as SES keeps it for both of its APIs.
async fn identity(aws: &SdkConfig, domain: &str, region: &str) -> Line {
    let fix = format!(
        "aws sesv2 create-email-identity --email-identity {domain} --region {region}, then publish its three DKIM CNAME records"
    );
    let answer = aws_sdk_ses::Client::new(aws)
        .get_identity_verification_attributes()
        .identities(domain)
        .send()
        .await;
    let attributes = match answer {
        Ok(answer) => answer,
        Err(e) => return Line::fail("SES identity", ses_refusal(&e), fix),
    };
    use aws_sdk_ses::types::VerificationStatus;
    match attributes
        .verification_attributes()
        .get(domain)
        .map(|a| a.verification_status())
    {
        Some(VerificationStatus::Success) => {
            Line::ok("SES identity", format!("{domain} verified in {region}"))
        }
        Some(status) => Line::fail(
            "SES identity",
            format!("{domain} in {region}: verification {}", status.as_str()),
            "publish the DKIM CNAME records `aws sesv2 get-email-identity` lists, then wait",
        ),
        None => Line::fail(
            "SES identity",
            format!("{domain} is not an identity in {region}"),
            fix,
        ),
    }
}

/// Why SES refused a call, in one line.
fn ses_refusal<E>(e: &aws_sdk_ses::error::SdkError<E>) -> String
where
    E: aws_sdk_ses::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_ses::error::ProvideErrorMetadata;
    match (e.code(), e.message()) {
        (Some(code), Some(message)) => format!("SES refused: {code}: {message}"),
        (Some(code), None) => format!("SES refused: {code}"),
        _ => format!("SES unreachable: {}", internetx::error_chain(e)),
    }
}

/// SES's active rule set must have a rule for the reply domain that stores
/// the mail in S3 (classic SES API: rule sets have no SESv2 equivalent).
async fn rule_set(aws: &SdkConfig, domain: &str, region: &str) -> Line {
    let fix = format!(
        "aws ses set-active-receipt-rule-set --rule-set-name <stack output ReceiptRuleSetName> --region {region}"
    );
    let answer = aws_sdk_ses::Client::new(aws)
        .describe_active_receipt_rule_set()
        .send()
        .await;
    let active = match answer {
        Ok(active) => active,
        Err(e) => return Line::fail("receipt rule set", ses_refusal(&e), fix),
    };
    let Some(name) = active.metadata().and_then(|m| m.name()) else {
        return Line::fail(
            "receipt rule set",
            format!("no rule set is active in {region}"),
            fix,
        );
    };
    let suffix = format!("@{domain}");
    let stores = active.rules().iter().any(|rule| {
        let covers = rule
            .recipients()
            .iter()
            .any(|r| r.eq_ignore_ascii_case(domain) || r.to_ascii_lowercase().ends_with(&suffix));
        covers && rule.enabled() && rule.actions().iter().any(|a| a.s3_action().is_some())
    });
    if stores {
        Line::ok(
            "receipt rule set",
            format!("{name} is active and stores mail for {domain} in S3"),
        )
    } else {
        Line::fail(
            "receipt rule set",
            format!("the active rule set {name} has no enabled rule storing mail for {domain}"),
            fix,
        )
    }
}

async fn mail_exchanger(domain: &str, region: &str, resolver: Option<SocketAddr>) -> Line {
    let expected = format!("inbound-smtp.{region}.amazonaws.com");
    let fix = format!("publish the MX record `{domain}. MX 10 {expected}`");
    let Some(resolver) = resolver.or_else(dns::system_resolver) else {
        return Line::fail(
            "MX record",
            "no resolver in /etc/resolv.conf",
            "pass --resolver <ip:port>",
        );
    };
    match dns::mx(domain, resolver).await {
        Ok(hosts) if hosts.iter().any(|(_, h)| *h == expected) => {
            Line::ok("MX record", format!("{domain} → {expected}"))
        }
        Ok(hosts) if hosts.is_empty() => Line::fail("MX record", format!("{domain} has none"), fix),
        Ok(hosts) => Line::fail(
            "MX record",
            format!(
                "{domain} → {}, not {expected}",
                hosts
                    .iter()
                    .map(|(_, h)| h.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            fix,
        ),
        Err(e) => Line::fail("MX record", e, fix),
    }
}

async fn notification(aws: &SdkConfig, args: &DoctorArgs) -> Line {
    let Some(bucket) = &args.bucket else {
        return Line::fail(
            "bucket notification",
            "no bucket given",
            "pass --bucket (stack output MailBucketName) or set MAIL_BUCKET",
        );
    };
    let fix = "deploy the stack again: the template sets the notification (the mail function on s3:ObjectCreated:* under InboundPrefix)";
    let s3 = adapters::wiring::s3_client(
        aws,
        adapters::config::s3_force_path_style(&adapters::config::ProcessEnv),
    );
    let config = match s3
        .get_bucket_notification_configuration()
        .bucket(bucket)
        .send()
        .await
    {
        Ok(config) => config,
        Err(e) => return Line::fail("bucket notification", internetx::error_chain(&e), fix),
    };
    let reaches = config.lambda_function_configurations().iter().any(|c| {
        let created = c
            .events()
            .iter()
            .any(|e| e.as_str().starts_with("s3:ObjectCreated:"));
        let prefixes: Vec<&str> = c
            .filter()
            .and_then(|f| f.key())
            .map(|k| k.filter_rules().iter().filter_map(|r| r.value()).collect())
            .unwrap_or_default();
        created && (prefixes.is_empty() || prefixes.iter().any(|p| args.prefix.starts_with(p)))
    });
    if reaches {
        Line::ok(
            "bucket notification",
            format!("new mail under {bucket}/{} runs a function", args.prefix),
        )
    } else {
        Line::fail(
            "bucket notification",
            format!(
                "nothing runs for new objects under {bucket}/{}",
                args.prefix
            ),
            fix,
        )
    }
}

async fn dead_letters(sqs: &aws_sdk_sqs::Client, queue: &str) -> Line {
    let name = queue.rsplit('/').next().unwrap_or(queue).to_owned();
    let waiting = sqs
        .get_queue_attributes()
        .queue_url(queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .map_err(|e| internetx::error_chain(&e))
        .map(|out| {
            out.attributes()
                .and_then(|a| {
                    a.get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
                })
                .and_then(|n| n.parse::<u64>().ok())
                .unwrap_or(0)
        });
    match waiting {
        Ok(0) => Line::ok("dead letters", format!("{name} is empty")),
        Ok(n) => Line::fail(
            "dead letters",
            format!("{n} waiting in {name}"),
            format!("internetx-bridge dlq list --queue-url {queue}, then dlq replay"),
        ),
        Err(e) => Line::fail(
            "dead letters",
            format!("{name}: {e}"),
            "the caller needs sqs:GetQueueAttributes on the queue",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use internetx::DomainData;

    fn domain(name: &str, autorenew: Option<bool>, cancelled: bool) -> DomainData {
        DomainData {
            name: name.to_owned(),
            autorenew,
            cancelation: cancelled.then(|| "delete".to_owned()),
            ..DomainData::default()
        }
    }

    #[test]
    fn a_sample_that_renews_by_itself_is_auto_renew() {
        let line = renewal_mode(&[
            domain("a.de", Some(true), false),
            // A cancelled domain is not renewed, on purpose.
            domain("b.com", Some(false), true),
        ]);
        assert!(line.ok, "{}", line.detail);
        assert!(line.detail.starts_with("AutoRenew"), "{}", line.detail);
    }

    #[test]
    fn one_uncancelled_domain_left_to_lapse_fails_naming_it() {
        let line = renewal_mode(&[
            domain("a.de", Some(false), false),
            domain("b.com", Some(true), false),
            domain("c.net", Some(false), true),
        ]);
        assert!(!line.ok);
        assert!(line.detail.contains("1 of 3"), "{}", line.detail);
        assert!(line.detail.contains("a.de"), "{}", line.detail);
        assert!(!line.detail.contains("c.net"), "{}", line.detail);
        assert!(line.fix.as_deref().unwrap().contains("AutoRenew"));
    }

    #[test]
    fn an_empty_account_or_a_sample_without_the_field_tells_nothing() {
        assert!(renewal_mode(&[]).ok);
        let line = renewal_mode(&[domain("a.de", None, false)]);
        assert!(line.ok && line.detail.contains("drift"), "{}", line.detail);
    }
}
