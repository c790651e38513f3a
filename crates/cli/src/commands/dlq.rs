//! `dlq list` and `dlq replay`: the dead-letter queue's events, looked at
//! or run through their workflow again.

use adapters::queue::{DeadLetterMessage, DeadLetterQueue};
use adapters::wiring::{GatewayRegistrar, InboundMail};
use registrar::event::{parse_dead_letter, DeadLetter};
use registrar::text::printable;
use registrar::workflows::inbound_mail::MailOutcome;
use serde_json::Value;

use crate::context::Context;
use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
    /// The queue (the stack output DeadLetterQueueUrl).
    #[arg(long, env = "DLQ_URL", global = true)]
    queue_url: Option<String>,
}

#[derive(clap::Subcommand)]
enum Action {
    /// What waits in the queue: one line per event.
    List,
    /// Run each event through the domain-events workflow again; events that
    /// succeed leave the queue, the others stay with the reason printed.
    Replay,
}

/// What `dlq replay` runs dead letters through.
pub struct Replayer {
    registrar: GatewayRegistrar,
    /// Failed mails (S3 events) need the mail function's configuration;
    /// without it only they are left alone.
    mail: Result<InboundMail, String>,
}

impl Replayer {
    pub async fn new(ctx: &Context) -> Result<Self, CliError> {
        Ok(Self {
            registrar: ctx.gateway_app(true).await?,
            mail: match adapters::MailConfig::from_env(&adapters::config::ProcessEnv, &ctx.aws)
                .await
            {
                Ok(config) => {
                    adapters::wiring::inbound_mail(&config, &ctx.aws).map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            },
        })
    }
}

pub fn queue(ctx: &Context, url: String) -> DeadLetterQueue {
    DeadLetterQueue::new(aws_sdk_sqs::Client::new(&ctx.aws), url)
}

pub async fn run(ctx: &Context, args: Args) -> Result<(), CliError> {
    let url = args
        .queue_url
        .ok_or_else(|| CliError::Usage("no queue: pass --queue-url or set DLQ_URL".into()))?;
    let replayer = match args.action {
        Action::List => None,
        Action::Replay => Some(Replayer::new(ctx).await?),
    };
    for line in visit(&queue(ctx, url), replayer.as_ref()).await? {
        println!("{line}");
    }
    Ok(())
}

/// Every message of the queue, one line each (and a line per mail a
/// replay handled), ending with the count: listed and left visible again
/// without a replayer, run through their workflow again with one (those
/// that succeed leave the queue).
pub async fn visit(
    queue: &DeadLetterQueue,
    replayer: Option<&Replayer>,
) -> Result<Vec<String>, CliError> {
    let mut lines = Vec::new();
    let mut seen = 0;
    let mut looked_at = Vec::new();
    loop {
        let batch = queue.receive().await?;
        if batch.is_empty() {
            break;
        }
        for message in batch {
            seen += 1;
            // Read once: the label and the replay look at the same body.
            let event: Value = serde_json::from_str(&message.body).unwrap_or(Value::Null);
            let label = label(&message, &event);
            let Some(replayer) = replayer else {
                lines.push(format!("{seen:>4}  {label}"));
                looked_at.push(message);
                continue;
            };
            let mut handled = Vec::new();
            match replay(replayer, &message.body, &event, &mut handled).await {
                Ok(failed) => {
                    queue.delete(&message).await?;
                    lines.push(format!("{seen:>4}  {label}: replayed ({failed} item(s) failed, see their action logs)"));
                }
                Err(e) => lines.push(format!(
                    "{seen:>4}  {label}: still failing, left in the queue: {e}"
                )),
            }
            lines.append(&mut handled);
        }
    }
    // Listing only looked: the messages are visible again at once.
    for message in &looked_at {
        queue.release(message).await?;
    }
    lines.push(format!("{seen} message(s)"));
    Ok(lines)
}

/// One line naming a dead letter: its event type, or what its body holds.
fn label(message: &DeadLetterMessage, event: &Value) -> String {
    let mails = s3_objects(event);
    let kind = match event["detail-type"].as_str() {
        Some(kind) => kind.to_owned(),
        None if event[0]["item_id"].is_string() => format!(
            "{} order item(s) of {}",
            event.as_array().map_or(0, Vec::len),
            event[0]["order_id"].as_str().unwrap_or("")
        ),
        None if !mails.is_empty() => format!(
            "mail {}",
            mails
                .iter()
                .map(|(_, key)| key.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => "(not an event)".into(),
    };
    let id = event["id"]
        .as_str()
        .unwrap_or(message.message_id.as_deref().unwrap_or(""));
    format!("{kind} {id}")
}

/// The `(bucket, key)` of each record of an S3 event (a mail whose handling
/// failed twice), keys decoded.
fn s3_objects(event: &Value) -> Vec<(String, String)> {
    event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            let bucket = r["s3"]["bucket"]["name"].as_str()?;
            let key = r["s3"]["object"]["key"].as_str()?;
            Some((bucket.to_owned(), adapters::mailbox::decode_s3_key(key)))
        })
        .collect()
}

/// A dead letter handled again; how many of its items failed for good
/// (a line for each mail handled is added to `lines`).
async fn replay(
    app: &Replayer,
    body: &str,
    event: &Value,
    lines: &mut Vec<String>,
) -> Result<usize, String> {
    let mails = s3_objects(event);
    if mails.is_empty() {
        let letter: DeadLetter = parse_dead_letter(body);
        return app
            .registrar
            .replay(&letter)
            .await
            .map(|report| report.failed().count());
    }
    let mail = app
        .mail
        .as_ref()
        .map_err(|e| format!("failed mails need the mail function's configuration: {e}"))?;
    let mut failed = 0;
    for (bucket, key) in mails {
        if bucket != mail.bucket || !key.starts_with(&mail.prefix) {
            return Err(format!(
                "s3://{bucket}/{key} is not in the mail bucket's inbound prefix"
            ));
        }
        if let Some(verdict) = mail
            .inbound
            .handle_stored(&mail.mailbox, &bucket, &key)
            .await?
        {
            lines.push(format!(
                "        {key}: {} ({})",
                verdict.outcome.as_str(),
                printable(&verdict.reason, 300)
            ));
            failed += usize::from(matches!(
                verdict.outcome,
                MailOutcome::Failed | MailOutcome::Quarantined
            ));
        }
    }
    Ok(failed)
}
