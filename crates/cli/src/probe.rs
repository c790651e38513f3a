//! `internetx-bridge probe`: the protocol audit's section-5 checks against
//! InterNetX's demo system, every exchange written as a fixture file.
//!
//! What the public documentation leaves open (protocol audit D3, D4, D1/D2,
//! D6/D7/D10/D11, D12, D14, D17) can only be settled by asking the gateway
//! itself. The probe sends those requests with the user's own demo
//! credentials and writes each raw exchange — password, auth codes and
//! reply tokens removed — as `NN-<check>.request.xml` / `.answer.xml` plus a
//! `manifest.json` naming the audit item each one answers, ready to be
//! copied into `crates/internetx/tests/fixtures/`. It refuses the live
//! gateway: it registers, transfers and cancels throw-away domains.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use internetx::client::ClientConfig;
use internetx::mail::parse_result_mail;
use internetx::notification::Notification;
use internetx::redact::redact;
use internetx::{
    Contact, ContactKind, ContactRef, Credentials, DomainOrder, Envelope, GatewayClient,
    GatewayError, Nameserver, Protection, Secret, Task, TaskKind,
};
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
    #[arg(long, env = "INTERNETX_USER")]
    user: String,
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
    let password = env("INTERNETX_PASSWORD").ok_or("set INTERNETX_PASSWORD (never a flag)")?;
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
        (Some(bucket), Some(seconds)) if seconds > 0 => {
            let aws = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
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
        (Some(_), None) => return Err("--transfer-domain needs PROBE_AUTH_CODE".into()),
        _ => None,
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let out = args.out.clone();
    let manifest = run(ProbeOptions {
        url: args.url,
        user: args.user,
        context: args.context,
        password: Secret::new(password),
        out: args.out,
        prefix: args.prefix.unwrap_or_else(|| format!("ib-probe-{now}")),
        nameservers: args
            .nameservers
            .split(',')
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .collect(),
        transfer,
        reply,
        mails,
    })
    .await?;
    println!(
        "{} exchange(s) and {} mail(s) written to {}",
        manifest["exchanges"].as_array().map_or(0, Vec::len),
        manifest["mails"].as_array().map_or(0, Vec::len),
        out.display()
    );
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
    pub password: Secret,
    pub out: PathBuf,
    /// Names the throw-away domains: `<prefix>-<check>.com`.
    pub prefix: String,
    pub nameservers: Vec<String>,
    /// A domain the demo account may transfer in, with its auth code.
    pub transfer: Option<(String, Secret)>,
    /// Tokenised reply addresses, so result mails reach the mail bucket.
    pub reply: Option<ReplyAddress>,
    /// Where to look for the result mails, and for how long.
    pub mails: Option<(adapters::mailbox::Mailbox, String, String, Duration)>,
}

/// One exchange as written to disk.
struct Record {
    check: &'static str,
    audit: &'static str,
    ctid: String,
    outcome: String,
}

pub async fn run(options: ProbeOptions) -> Result<Value, String> {
    check_target(&options.url)?;
    std::fs::create_dir_all(&options.out).map_err(|e| format!("{}: {e}", options.out.display()))?;
    let started = SystemTime::now();
    let envelope = Envelope::new(Credentials {
        user: options.user.clone(),
        password: options.password.clone(),
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
    let mut probe = Probe {
        options: &options,
        records: Vec::new(),
        secrets: vec![options.password.expose().to_owned()],
    };
    if let Some((_, code)) = &options.transfer {
        probe.secrets.push(code.expose().to_owned());
    }
    let domain = |check: &str| format!("{}-{check}.com", options.prefix);
    let ns = probe.nameservers();

    // D4: a registration without name servers.
    let order = probe.order(&domain("no-ns"), Vec::new(), true);
    probe
        .send(
            &paced,
            "create-without-nameservers",
            "D4",
            TaskKind::DomainCreate(order),
        )
        .await?;
    // D3: a transfer without contacts and name servers, and one without name servers.
    let code = || Secret::new("probe-auth-code");
    let bare = probe.order(&domain("transfer-bare"), Vec::new(), false);
    probe
        .send(
            &paced,
            "transfer-without-contacts",
            "D3",
            transfer(bare, code()),
        )
        .await?;
    let no_ns = probe.order(&domain("transfer-no-ns"), Vec::new(), true);
    probe
        .send(
            &paced,
            "transfer-without-nameservers",
            "D3",
            transfer(no_ns, code()),
        )
        .await?;
    // D1/D2: domain info while a registration (and a transfer) still runs.
    let created = domain("running");
    let order = probe.order(&created, ns.clone(), true);
    probe
        .send(
            &paced,
            "create-complete",
            "D1",
            TaskKind::DomainCreate(order),
        )
        .await?;
    probe
        .send(&paced, "info-while-create-runs", "D1/D2", info(&created))
        .await?;
    if let Some((name, code)) = &options.transfer {
        let order = probe.order(name, ns.clone(), true);
        probe
            .send(
                &paced,
                "transfer-complete",
                "D2/D11",
                transfer(order, code.clone()),
            )
            .await?;
        probe
            .send(&paced, "info-while-transfer-runs", "D2", info(name))
            .await?;
    }
    // Issue 17: is `0106002` with a `<transfer>` object understood? On a
    // domain nobody asked for, the answer should be "nothing pending", not a
    // malformed request.
    probe
        .send(
            &paced,
            "transfer-out-answer-nothing-pending",
            "0106002",
            TaskKind::TransferOutAnswer {
                name: created.clone(),
                answer: internetx::TransferOutAnswer::Ack,
            },
        )
        .await?;
    // D22: Transfer-Out Info on a domain nobody asked for (what "nothing
    // pending" looks like; the sync confirms every reported transfer so).
    // D19: a nack with a numbered reason (1, fraud), nothing pending.
    let others = [
        (
            "transfer-out-info-nothing-pending",
            "D22",
            TaskKind::TransferOutInfo {
                name: created.clone(),
            },
        ),
        (
            "transfer-out-nack-numbered-reason",
            "D19",
            TaskKind::TransferOutAnswer {
                name: created.clone(),
                answer: internetx::TransferOutAnswer::Nack {
                    reason: internetx::NackReason::Fraud,
                },
            },
        ),
        // D21/D23: a list page with the connector's keys (is `status`
        // honoured, an empty `<cancelation/>` written, `summary` given?),
        // and one with a limit of 1000 (refused, capped or honoured?).
        (
            "list-with-our-keys",
            "D21/D23",
            TaskKind::DomainList {
                offset: 0,
                limit: 5,
            },
        ),
        (
            "list-limit-1000",
            "D23",
            TaskKind::DomainList {
                offset: 0,
                limit: 1_000,
            },
        ),
        // The auth-code tasks and the lock as the connector sends them
        // (D20: 0113001 answer, 0113005's codes; 0102002's answer).
        (
            "authinfo1-create",
            "D20",
            TaskKind::AuthInfoCreate {
                name: created.clone(),
            },
        ),
        (
            "authinfo-to-owner",
            "D20",
            TaskKind::AuthInfoToOwner {
                name: created.clone(),
            },
        ),
        (
            "registry-lock",
            "0102002",
            TaskKind::RegistryStatus {
                name: created.clone(),
                status: "LOCK".into(),
            },
        ),
    ];
    for (check, audit, task) in others {
        probe.send(&paced, check, audit, task).await?;
    }
    // D10: a cancelation's immediate answer (its mail, if any, below).
    probe
        .send(
            &paced,
            "cancel-at-expiry",
            "D10",
            TaskKind::CancelationAtExpiry {
                name: created.clone(),
            },
        )
        .await?;
    // Its withdrawal (0103103) as the connector sends it.
    probe
        .send(
            &paced,
            "cancelation-withdrawal",
            "0103103",
            TaskKind::CancelationDelete {
                name: created.clone(),
            },
        )
        .await?;
    // D12, D17: phone groups and a long alias.
    for (check, phone) in [
        ("phone-three-groups", "+1-555-123-4567"),
        ("phone-two-groups", "+1-5551234567"),
    ] {
        let mut order = probe.order(&domain(check), ns.clone(), true);
        set_owner(&mut order, |c| c.phone = phone.to_owned());
        probe
            .send(&paced, check, "D12", TaskKind::DomainCreate(order))
            .await?;
    }
    let mut order = probe.order(&domain("long-alias"), ns.clone(), true);
    set_owner(&mut order, |c| {
        c.alias = format!("ib-owner-{}", "a".repeat(250))
    });
    probe
        .send(
            &paced,
            "alias-250-characters",
            "D17",
            TaskKind::DomainCreate(order),
        )
        .await?;
    // D14: four requests inside one second (started together, unpaced).
    let tasks: Vec<Task> = (0..4)
        .map(|i| probe.task(info(&created), &format!("burst-{i}")))
        .collect();
    let (a, b, c, d) = tokio::join!(
        unpaced.send(&tasks[0]),
        unpaced.send(&tasks[1]),
        unpaced.send(&tasks[2]),
        unpaced.send(&tasks[3]),
    );
    for (task, result) in tasks.iter().zip([a, b, c, d]) {
        probe.write(task, "four-in-one-second", "D14", result)?;
    }
    let mails = probe.collect_mails(started).await?;
    let manifest = json!({
        "gateway": options.url,
        "context": options.context,
        "exchanges": probe.records.iter().map(|r| json!({
            "check": r.check, "audit": r.audit, "ctid": r.ctid, "outcome": r.outcome,
        })).collect::<Vec<_>>(),
        "mails": mails,
    });
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    write(&options.out.join("manifest.json"), &probe.scrub(&text))?;
    Ok(manifest)
}

struct Probe<'a> {
    options: &'a ProbeOptions,
    records: Vec<Record>,
    /// Values that must not reach a file, whatever element carries them.
    secrets: Vec<String>,
}

impl Probe<'_> {
    fn nameservers(&self) -> Vec<Nameserver> {
        self.options
            .nameservers
            .iter()
            .map(|name| Nameserver {
                name: name.clone(),
                ipv4: vec![],
                ipv6: vec![],
            })
            .collect()
    }

    /// A registration or transfer body; `contacts`: all four, in full.
    fn order(&self, name: &str, nameservers: Vec<Nameserver>, contacts: bool) -> DomainOrder {
        let contact = |slot: &str| {
            contacts.then(|| {
                ContactRef::Inline(Box::new(Contact {
                    alias: registrar::contact::alias(slot, name),
                    kind: ContactKind::Person,
                    first_name: "Probe".into(),
                    last_name: "Example".into(),
                    organization: None,
                    address: vec!["Example Street 1".into()],
                    postal_code: "10115".into(),
                    city: "Berlin".into(),
                    state: None,
                    country: "DE".into(),
                    phone: "+49-30-1234567".into(),
                    fax: None,
                    email: "probe@example.com".into(),
                    protection: Protection::Limited,
                    extension: Vec::new(),
                }))
            })
        };
        DomainOrder {
            name: name.to_owned(),
            owner: contact("owner"),
            admin: contact("admin"),
            tech: contact("tech"),
            zone: contact("zone"),
            nameservers,
            period_years: None,
            confirm_owner_consent: contacts,
        }
    }

    fn task(&self, kind: TaskKind, check: &str) -> Task {
        let ctid = format!("ib-probe-{}-{check}", self.options.prefix);
        let reply_to = self.options.reply.as_ref().map(|r| r.for_ctid(&ctid));
        Task {
            kind,
            ctid,
            reply_to,
        }
    }

    async fn send(
        &mut self,
        client: &GatewayClient,
        check: &'static str,
        audit: &'static str,
        kind: TaskKind,
    ) -> Result<(), String> {
        let task = self.task(kind, check);
        let result = client.send(&task).await;
        self.write(&task, check, audit, result)
    }

    /// Writes one exchange: the request (as sent, secrets removed) and
    /// what came back, answer or failure.
    fn write(
        &mut self,
        task: &Task,
        check: &'static str,
        audit: &'static str,
        result: Result<internetx::Exchange, GatewayError>,
    ) -> Result<(), String> {
        let n = self.records.len() + 1;
        let base = self.options.out.join(format!("{n:02}-{check}"));
        let envelope = Envelope::new(Credentials {
            user: self.options.user.clone(),
            password: Secret::new("***"),
            context: self.options.context.clone(),
        });
        write(
            &base.with_extension("request.xml"),
            &self.scrub(&redact(&task.to_xml(&envelope))),
        )?;
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
            Err(GatewayError::Http { status, body, .. }) => (body, format!("HTTP {status}")),
            Err(other) => (String::new(), other.to_string()),
        };
        // Redacted as the connector stores answers: `authinfo1-create` may
        // bring an auth code back.
        write(
            &base.with_extension("answer.xml"),
            &self.scrub(&redact(&answer)),
        )?;
        println!("{n:02} {check:<30} {audit:<7} {}", self.scrub(&outcome));
        self.records.push(Record {
            check,
            audit,
            ctid: task.ctid.clone(),
            outcome,
        });
        Ok(())
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

fn transfer(order: DomainOrder, auth_code: Secret) -> TaskKind {
    TaskKind::DomainTransfer { order, auth_code }
}

fn info(name: &str) -> TaskKind {
    TaskKind::DomainInfo {
        name: name.to_owned(),
    }
}

fn set_owner(order: &mut DomainOrder, change: impl FnOnce(&mut Contact)) {
    if let Some(ContactRef::Inline(owner)) = &mut order.owner {
        change(owner);
    }
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

    #[test]
    fn reply_tokens_are_masked() {
        let text = "To: internetx+0123456789abcdef0123456789abcdef@inbound.example.net, a+b@c.d";
        assert_eq!(
            super::mask_tokens(text),
            "To: internetx+TOKEN@inbound.example.net, a+b@c.d"
        );
    }
}
