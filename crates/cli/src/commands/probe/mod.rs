//! `internetx-bridge probe`: the protocol audit's open questions asked of
//! InterNetX's demo system, every exchange written as a fixture file.
//!
//! What the public documentation leaves open (protocol audit round 3, §6
//! and §7, and the D-items before it) can only be settled by asking the
//! gateway itself. The probe sends the [`plan`] — every request type the
//! connector sends, and the variants whose answer is the question — with
//! the user's own demo credentials, and writes each raw exchange (password,
//! auth codes and reply tokens removed) as `NN-<check>.request.xml` /
//! `.answer.xml` plus a `manifest.json` naming the audit item each one
//! answers, ready to be copied into `crates/internetx/tests/fixtures/`.
//! Without a password (or with `--dry-run`) it sends nothing and writes the
//! plan: each request as it would go out, and the question it asks. It
//! refuses the live gateway: it registers, transfers and cancels throw-away
//! domains.

mod plan;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use internetx::client::ClientConfig;
use internetx::mail::parse_result_mail;
use internetx::notification::Notification;
use internetx::redact::redact;
use internetx::{Credentials, Envelope, GatewayClient, GatewayError, Secret, Task, TaskKind};
use plan::{Request, Step};
use registrar::ports::{MailStore, StoredMail};
use registrar::reply_address::ReplyAddress;
use serde_json::{json, Value};

#[derive(clap::Args)]
pub struct ProbeArgs {
    /// Where the fixtures go.
    #[arg(long)]
    out: PathBuf,
    #[arg(
        long,
        env = "INTERNETX_URL",
        default_value = "https://demo.autodns.com/gateway/"
    )]
    url: String,
    /// Needed to send; a dry run names it in the requests if given.
    #[arg(long, env = "INTERNETX_USER")]
    user: Option<String>,
    #[arg(long, env = "INTERNETX_CONTEXT", default_value = "1")]
    context: String,
    /// Names the throw-away domains (`<prefix>-<check>.com`).
    #[arg(long)]
    prefix: Option<String>,
    /// Name servers for the complete requests (comma-separated).
    #[arg(long, default_value = "a.demo.autodns.com,b.demo.autodns.com")]
    nameservers: String,
    /// A domain the demo account may transfer in (auth code from
    /// PROBE_AUTH_CODE): adds the running-transfer checks.
    #[arg(long)]
    transfer_domain: Option<String>,
    /// A domain of the demo account with an outgoing transfer pending (an
    /// internal transfer to a second demo user starts one): adds the
    /// transfer-out answers, text and numbered nack.
    #[arg(long)]
    transfer_out_domain: Option<String>,
    /// An existing contact handle of the demo account: adds a transfer
    /// with that owner and no owner consent (D5).
    #[arg(long)]
    owner_handle: Option<String>,
    /// Send nothing; write the plan (also what happens without
    /// INTERNETX_PASSWORD).
    #[arg(long)]
    dry_run: bool,
    /// How long to wait for the result mails in MAIL_BUCKET (`10m`, `90s`;
    /// none by default). The demo system mails within minutes.
    #[arg(long)]
    wait_mails: Option<String>,
}

/// The command: options from the arguments and the environment
/// (`INTERNETX_PASSWORD`, and for result mails `REPLY_TO_ADDRESS`,
/// `REPLY_TOKEN_SECRET`, `MAIL_BUCKET`, `INBOUND_PREFIX`).
pub async fn command(args: ProbeArgs) -> Result<(), String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let password = env("INTERNETX_PASSWORD")
        .filter(|_| !args.dry_run)
        .map(Secret::new);
    if password.is_none() {
        println!(
            "dry run ({}): nothing is sent; each planned exchange and the question it asks:",
            if args.dry_run {
                "--dry-run"
            } else {
                "no INTERNETX_PASSWORD"
            }
        );
    }
    let user = match (args.user, &password) {
        (Some(user), _) => user,
        (None, None) => "<demo user>".into(),
        (None, Some(_)) => return Err("set INTERNETX_USER or --user".into()),
    };
    let reply = match (env("REPLY_TO_ADDRESS"), env("REPLY_TOKEN_SECRET")) {
        (Some(address), Some(secret)) => {
            Some(ReplyAddress::new(&address, secret.as_bytes()).map_err(|e| e.to_string())?)
        }
        _ => None,
    };
    let wait = args
        .wait_mails
        .map(|age| crate::operator::parse_age(&age))
        .transpose()?;
    let mails = match (env("MAIL_BUCKET"), wait) {
        (Some(bucket), Some(seconds)) if seconds > 0 && password.is_some() => {
            let aws = adapters::aws::load().await;
            let path_style = adapters::config::s3_force_path_style(&adapters::config::ProcessEnv);
            Some((
                adapters::mailbox::Mailbox::new(adapters::wiring::s3_client(&aws, path_style)),
                bucket,
                env("INBOUND_PREFIX").unwrap_or_else(|| "inbound/".into()),
                Duration::from_secs(seconds.unsigned_abs()),
            ))
        }
        (None, Some(_)) => return Err("--wait-mails needs MAIL_BUCKET".into()),
        _ => None,
    };
    let transfer = match (args.transfer_domain, env("PROBE_AUTH_CODE")) {
        (Some(domain), Some(code)) => Some((domain, Secret::new(code))),
        (Some(domain), None) if password.is_none() => Some((domain, Secret::new("<auth code>"))),
        (Some(_), None) => return Err("--transfer-domain needs PROBE_AUTH_CODE".into()),
        _ => None,
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let out = args.out.clone();
    let sent = password.is_some();
    let manifest = run(ProbeOptions {
        url: args.url,
        user,
        context: args.context,
        password,
        out: args.out,
        prefix: args.prefix.unwrap_or_else(|| format!("ib-probe-{now}")),
        nameservers: args
            .nameservers
            .split(',')
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect(),
        transfer,
        transfer_out: args.transfer_out_domain,
        owner_handle: args.owner_handle,
        reply,
        mails,
    })
    .await?;
    let exchanges = manifest["exchanges"].as_array().map_or(0, Vec::len);
    if sent {
        println!(
            "{exchanges} exchange(s) and {} mail(s) written to {}",
            manifest["mails"].as_array().map_or(0, Vec::len),
            out.display()
        );
    } else {
        println!(
            "{exchanges} planned request(s) written to {}; set INTERNETX_USER and INTERNETX_PASSWORD (demo credentials) to send them",
            out.display()
        );
    }
    Ok(())
}

/// The hosts the probe talks to: InterNetX's demo system and a simulator
/// on loopback. Anything else — the live gateway above all, in any
/// spelling (`https://Gateway.AutoDNS.com:443/`) — is refused, as the probe
/// registers and cancels throw-away domains (security review N18).
const DEMO_HOST: &str = "demo.autodns.com";

fn check_target(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("--url {url}: {e}"))?;
    let domain = match parsed.host() {
        Some(url::Host::Domain(host)) => host.trim_end_matches('.').to_ascii_lowercase(),
        _ => String::new(),
    };
    if domain == "gateway.autodns.com" || (domain.ends_with(".autodns.com") && domain != DEMO_HOST)
    {
        return Err(format!(
            "{url} is the live gateway; the probe registers and cancels throw-away domains and runs only against the demo system (https://demo.autodns.com/gateway/) or a simulator"
        ));
    }
    let allowed = domain == DEMO_HOST || adapters::config::on_this_machine(&parsed);
    if allowed {
        Ok(())
    } else {
        Err(format!(
            "{url}: the probe runs only against the demo system (https://demo.autodns.com/gateway/) or a simulator on loopback"
        ))
    }
}

pub struct ProbeOptions {
    pub url: String,
    pub user: String,
    pub context: String,
    /// `None`: a dry run.
    pub password: Option<Secret>,
    pub out: PathBuf,
    /// Names the throw-away domains: `<prefix>-<check>.com`.
    pub prefix: String,
    pub nameservers: Vec<String>,
    /// A domain the demo account may transfer in, with its auth code.
    pub transfer: Option<(String, Secret)>,
    /// A domain with an outgoing transfer pending.
    pub transfer_out: Option<String>,
    /// An existing contact handle of the demo account.
    pub owner_handle: Option<String>,
    /// Tokenised reply addresses, so result mails reach the mail bucket.
    pub reply: Option<ReplyAddress>,
    /// Where to look for the result mails, and for how long.
    pub mails: Option<(adapters::mailbox::Mailbox, String, String, Duration)>,
}

/// One exchange as written to disk.
struct Record {
    check: &'static str,
    audit: &'static str,
    question: &'static str,
    code: &'static str,
    ctid: String,
    outcome: String,
}

/// Sends the plan (or, without a password, writes it), and returns the
/// manifest.
pub async fn run(options: ProbeOptions) -> Result<Value, String> {
    check_target(&options.url)?;
    std::fs::create_dir_all(&options.out).map_err(|e| format!("{}: {e}", options.out.display()))?;
    let started = SystemTime::now();
    let steps = plan::plan(&plan::PlanInput {
        prefix: &options.prefix,
        nameservers: &options.nameservers,
        transfer: options.transfer.as_ref(),
        transfer_out: options.transfer_out.as_deref(),
        owner_handle: options.owner_handle.as_deref(),
    });
    let mut probe = Probe {
        options: &options,
        records: Vec::new(),
        secrets: options
            .password
            .iter()
            .chain(options.transfer.as_ref().map(|(_, code)| code))
            .map(|s| s.expose().to_owned())
            .collect(),
    };
    let Some(password) = &options.password else {
        for step in &steps {
            probe.plan_only(step)?;
        }
        return probe.manifest(false, Vec::new());
    };
    let envelope = Envelope::new(Credentials {
        user: options.user.clone(),
        password: password.clone(),
        context: options.context.clone(),
    });
    let client = |rate: f64| {
        let config = ClientConfig {
            max_requests_per_second: rate,
            retries: 0,
            ..ClientConfig::new(options.url.clone())
        };
        GatewayClient::new(config, envelope.clone()).map_err(|e| internetx::error_chain(&e))
    };
    // Paced below the documented limit, except where the limit is the question.
    let paced = client(2.0)?;
    let unpaced = client(1_000.0)?;
    for step in &steps {
        match &step.request {
            Request::Burst { kind, times } => {
                let tasks: Vec<Task> = (0..*times)
                    .map(|i| probe.task(kind.clone(), &format!("{}-{i}", step.check)))
                    .collect();
                let started: Vec<_> = tasks
                    .iter()
                    .map(|task| {
                        let (client, task) = (unpaced.clone(), task.clone());
                        tokio::spawn(async move { client.send(&task).await })
                    })
                    .collect();
                for (task, handle) in tasks.iter().zip(started) {
                    let result = handle
                        .await
                        .unwrap_or_else(|e| Err(GatewayError::NotSent(e.to_string())));
                    probe.write(task, step, Some(result))?;
                }
            }
            request => {
                let task = probe.task(request.kind().clone(), step.check);
                let result = match request {
                    Request::Edited { .. } => {
                        paced
                            .send_xml(request.body(task.to_xml(paced.envelope())))
                            .await
                    }
                    _ => paced.send(&task).await,
                };
                probe.write(&task, step, Some(result))?;
            }
        }
    }
    let mails = probe.collect_mails(started).await?;
    probe.manifest(true, mails)
}

struct Probe<'a> {
    options: &'a ProbeOptions,
    records: Vec<Record>,
    /// Values that must not reach a file, whatever element carries them.
    secrets: Vec<String>,
}

impl Probe<'_> {
    fn task(&self, kind: TaskKind, check: &str) -> Task {
        let ctid = format!("ib-probe-{}-{check}", self.options.prefix);
        let reply_to = self.options.reply.as_ref().map(|r| r.for_ctid(&ctid));
        Task {
            kind,
            ctid,
            reply_to,
        }
    }

    /// A dry run's entry: the request as it would go out, nothing sent.
    fn plan_only(&mut self, step: &Step) -> Result<(), String> {
        let task = self.task(step.request.kind().clone(), step.check);
        self.write(&task, step, None)
    }

    /// Writes one exchange: the request (as sent, secrets removed) and
    /// what came back, answer or failure (`None`: not sent).
    fn write(
        &mut self,
        task: &Task,
        step: &Step,
        result: Option<Result<internetx::Exchange, GatewayError>>,
    ) -> Result<(), String> {
        let n = self.records.len() + 1;
        let base = self.options.out.join(format!("{n:02}-{}", step.check));
        let envelope = Envelope::new(Credentials {
            user: self.options.user.clone(),
            password: Secret::new("***"),
            context: self.options.context.clone(),
        });
        let request = step.request.body(task.to_xml(&envelope));
        write(
            &base.with_extension("request.xml"),
            &self.scrub(&redact(&request)),
        )?;
        let outcome = match result {
            None => {
                println!(
                    "{n:02} {:<38} {:<7} {:<18} {}",
                    step.check,
                    task.kind.code(),
                    step.audit,
                    step.question
                );
                "not sent (dry run)".to_owned()
            }
            Some(result) => {
                let (answer, outcome) = match result {
                    Ok(exchange) => {
                        let outcome = exchange.answer.summary();
                        (exchange.response_xml, outcome)
                    }
                    Err(GatewayError::Protocol {
                        response_xml,
                        source,
                        ..
                    }) => (response_xml, format!("unreadable answer: {source}")),
                    Err(GatewayError::Http { status, body, .. }) => {
                        (body, format!("HTTP {status}"))
                    }
                    Err(other) => (String::new(), other.to_string()),
                };
                // Redacted as the connector stores answers: `authinfo1-create`
                // may bring an auth code back.
                write(
                    &base.with_extension("answer.xml"),
                    &self.scrub(&redact(&answer)),
                )?;
                let outcome = self.scrub(&outcome);
                println!("{n:02} {:<38} {:<18} {outcome}", step.check, step.audit);
                outcome
            }
        };
        self.records.push(Record {
            check: step.check,
            audit: step.audit,
            question: step.question,
            code: task.kind.code(),
            ctid: task.ctid.clone(),
            outcome,
        });
        Ok(())
    }

    /// `manifest.json`: each exchange with the audit item it answers.
    fn manifest(&self, sent: bool, mails: Vec<Value>) -> Result<Value, String> {
        let manifest = json!({
            "gateway": self.options.url,
            "context": self.options.context,
            "sent": sent,
            "audit": "shared/reviews/protocol-audit.md, round 3: D-items; §6.N is the N-th open question of section 6, §7.N the N-th check of section 7",
            "exchanges": self.records.iter().map(|r| json!({
                "check": r.check, "audit": r.audit, "question": r.question,
                "task": r.code, "ctid": r.ctid, "outcome": r.outcome,
            })).collect::<Vec<_>>(),
            "mails": mails,
        });
        let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
        write(&self.options.out.join("manifest.json"), &self.scrub(&text))?;
        Ok(manifest)
    }

    /// The result mails that answer the probe's ctids, kept as they came
    /// (reply tokens replaced by `TOKEN`).
    async fn collect_mails(&self, since: SystemTime) -> Result<Vec<Value>, String> {
        let Some((mailbox, bucket, prefix, wait)) = &self.options.mails else {
            return Ok(Vec::new());
        };
        let ctids: Vec<&str> = self.records.iter().map(|r| r.ctid.as_str()).collect();
        let deadline = tokio::time::Instant::now() + *wait;
        let mut found: Vec<Value> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        loop {
            let keys = mailbox
                .keys_since(bucket, prefix, since, 1_000)
                .await
                .map_err(|e| e.to_string())?;
            for key in keys.into_iter().filter(|k| seen.insert(k.clone())) {
                let Ok(StoredMail::Bytes(raw)) = mailbox.read(bucket, &key, 10 << 20).await else {
                    continue;
                };
                let Ok(mail) = parse_result_mail(&raw) else {
                    continue;
                };
                let answers = mail.notifications.iter().find_map(|n| match n {
                    Notification::Job(job) => job
                        .ctids
                        .iter()
                        .find(|c| ctids.contains(&c.as_str()))
                        .cloned(),
                    _ => None,
                });
                let by_token = ctids.iter().find(|c| {
                    let reply = self.options.reply.as_ref();
                    mail.recipients
                        .iter()
                        .any(|r| reply.is_some_and(|reply| reply.verify(r, c)))
                });
                if let Some(ctid) = answers.or(by_token.map(|c| c.to_string())) {
                    let file = format!("mail-{:02}.eml", found.len() + 1);
                    let text = String::from_utf8_lossy(&raw);
                    write(&self.options.out.join(&file), &self.scrub(&redact(&text)))?;
                    found.push(json!({"file": file, "ctid": ctid, "s3_key": key}));
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(found);
            }
            tokio::time::sleep(Duration::from_secs(15).min(*wait)).await;
        }
    }

    /// Removes secrets wherever they stand, and reply tokens.
    fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in self.secrets.iter().filter(|s| !s.is_empty()) {
            out = out.replace(secret.as_str(), "***");
        }
        mask_tokens(&out)
    }
}

/// `internetx+<token>@` → `internetx+TOKEN@`: a token answers for one ctid.
fn mask_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('+') {
        let (head, tail) = rest.split_at(at + 1);
        out.push_str(head);
        let token_len = tail.chars().take_while(char::is_ascii_hexdigit).count();
        if token_len >= 16 && tail[token_len..].starts_with('@') {
            out.push_str("TOKEN");
            rest = &tail[token_len..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_the_demo_system_and_loopback_are_probed() {
        for live in [
            "https://gateway.autodns.com",
            "https://Gateway.AutoDNS.com:443/",
            "https://gateway.autodns.com./gateway",
            "https://user@GATEWAY.autodns.com/",
        ] {
            let err = super::check_target(live).unwrap_err();
            assert!(err.contains("live gateway"), "{live}: {err}");
        }
        for other in [
            "https://example.net/gateway",
            "not a url",
            "http://10.0.0.1:8080/",
        ] {
            assert!(super::check_target(other).is_err(), "{other}");
        }
        for fine in [
            "https://demo.autodns.com/gateway/",
            "http://127.0.0.1:4000/gateway",
            "http://localhost:4000/",
            "http://[::1]:4000/",
        ] {
            assert!(super::check_target(fine).is_ok(), "{fine}");
        }
    }

    /// Without a password nothing is sent (the URL is a closed port) and
    /// the plan is written: every request, redacted, and the manifest.
    #[test]
    fn a_dry_run_writes_the_plan_and_sends_nothing() {
        let out = std::env::temp_dir().join(format!("probe-dry-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let options = super::ProbeOptions {
            url: "http://127.0.0.1:9/gateway".into(),
            user: "<demo user>".into(),
            context: "1".into(),
            password: None,
            out: out.clone(),
            prefix: "dry".into(),
            nameservers: vec!["a.example.net".into(), "b.example.net".into()],
            transfer: Some(("incoming.com".into(), super::Secret::new("s3cret-code"))),
            transfer_out: Some("leaving.com".into()),
            owner_handle: None,
            reply: None,
            mails: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let manifest = runtime.block_on(super::run(options)).unwrap();
        assert_eq!(manifest["sent"], false);
        let exchanges = manifest["exchanges"].as_array().unwrap();
        assert!(exchanges
            .iter()
            .all(|e| e["outcome"] == "not sent (dry run)"));
        assert!(exchanges
            .iter()
            .all(|e| !e["question"].as_str().unwrap().is_empty()));
        let checks: Vec<&str> = exchanges
            .iter()
            .map(|e| e["check"].as_str().unwrap())
            .collect();
        for check in [
            "transfer-out-nack-text-pending",
            "list-limit-5000",
            "authinfo2-be",
        ] {
            assert!(checks.contains(&check), "{check}: {checks:?}");
        }
        let mut requests = 0;
        for entry in std::fs::read_dir(&out).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            assert!(!name.ends_with(".answer.xml"), "{name}: nothing was sent");
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(!text.contains("s3cret-code"), "auth code in {name}");
            if name.ends_with(".request.xml") {
                requests += 1;
            }
        }
        assert_eq!(requests, exchanges.len());
        let text_nack = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.to_string_lossy()
                    .ends_with("transfer-out-nack-text-pending.request.xml")
            })
            .unwrap();
        assert!(std::fs::read_to_string(text_nack)
            .unwrap()
            .contains(&format!(
                "<nack_reason>{}</nack_reason>",
                super::plan::TEXT_NACK_REASON
            )));
        let _ = std::fs::remove_dir_all(&out);
    }

    #[test]
    fn reply_tokens_are_masked() {
        let text = "To: internetx+0123456789abcdef0123456789abcdef@inbound.example.net, a+b@c.d";
        assert_eq!(
            super::mask_tokens(text),
            "To: internetx+TOKEN@inbound.example.net, a+b@c.d"
        );
    }
}
