//! The end-to-end harness: each test gets its own moto server (DynamoDB,
//! S3, …, forked with the stack already in it) and its own gateway
//! simulator on free loopback ports, and builds the functions' real
//! adapters against them through configuration only.

pub mod calls;
pub mod console;
pub mod function_env;
pub mod lambda;
pub mod webdriver;

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use adapters::dynamo::layout::domain_pk;
use adapters::{Config, DynamoStore, MailConfig};
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
pub use function_env::FunctionEnv;
use internetx_simulator::{Fault, MailDelivery, MailFormat, Notify, Simulator, SimulatorConfig};
use serde_json::Value;
use tokio::process::Command;

pub type Item = HashMap<String, AttributeValue>;

/// Recognisable secrets: the secrets test looks for them everywhere.
pub const GATEWAY_PASSWORD: &str = "pw-Sup3r$ecret-4711";
pub const REPLY_SECRET: &str = "reply-token-secret-0815-abcdef";
/// The key of sealed auth codes, which the mail function never gets.
pub const SEALING_SECRET: &str = "sealing-secret-4711-fedcba98";
/// The metrics namespace the functions are given (as the template gives
/// `InternetxBridge/<stack>`).
pub const METRICS_NAMESPACE: &str = "InternetxBridge/bridge-e2e";

/// The repository's `events/` folder.
pub fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// An event file from `events/` as JSON.
pub fn event(name: &str) -> Value {
    let path = events_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// An environment file from `events/` (`KEY=VALUE` lines, `#` comments),
/// in its order.
pub fn env_file(name: &str) -> Vec<(String, String)> {
    let path = events_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("{}: {l:?} is not KEY=VALUE", path.display()));
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// `quick` in the test command, `full` with `E2E_FULL=1`: the long runs
/// (a 1,000-item order, a 2,500-domain account) keep their shape at a
/// smaller size unless asked for in full (tests/README.md).
pub fn scaled(quick: usize, full: usize) -> usize {
    if std::env::var("E2E_FULL").is_ok_and(|v| v == "1") {
        full
    } else {
        quick
    }
}

/// A paid order (`order-paid.json`'s first item as the template) of
/// `count` registrations of `<prefix>-NNNNN.de`, as order `order_id`.
pub fn order_of_many(order_id: &str, prefix: &str, count: usize) -> Value {
    let mut order = event("order-paid.json");
    let template = order["detail"]["items"][0].clone();
    let items: Vec<Value> = (0..count)
        .map(|i| {
            let mut item = template.clone();
            item["item_id"] = serde_json::json!(format!("{order_id}-{i:05}"));
            item["domain"] = serde_json::json!(format!("{prefix}-{i:05}.de"));
            item
        })
        .collect();
    order["detail"]["order_id"] = serde_json::json!(order_id);
    order["detail"]["items"] = serde_json::json!(items);
    order
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A moto server of this test's own, stopped when dropped. It comes from
/// `tests/moto_pool.py`, which starts moto and creates a stack once per
/// process and forks a server with a copy of that state for each test.
pub struct Moto {
    pub endpoint: String,
    _server: PooledServer,
}

/// One `tests/moto_pool.py` per stack (region, template, parameters),
/// shared by the tests of this process; the pool exits when the process
/// does (its input closes).
struct Pool {
    _child: std::process::Child,
    input: std::process::ChildStdin,
    output: std::io::BufReader<std::process::ChildStdout>,
    /// What the pool printed about its stack (`{}` without one).
    stack: Value,
}

type PoolSlot = Arc<Mutex<Option<Pool>>>;

fn pool_slot(key: &[String]) -> PoolSlot {
    static POOLS: OnceLock<Mutex<HashMap<Vec<String>, PoolSlot>>> = OnceLock::new();
    POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .entry(key.to_vec())
        .or_default()
        .clone()
}

impl Pool {
    fn start(key: &[String]) -> Pool {
        use std::io::BufRead;
        let program = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("moto_pool.py");
        let mut child = std::process::Command::new(&program)
            .arg(&script)
            .args(key)
            .current_dir(lambda::workspace_root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto ({program} {}: {e}). Install it with \
                     `python3 -m venv .venv && .venv/bin/pip install 'moto[server]'` \
                     and set PYTHON=.venv/bin/python, or run the README's test command \
                     (tests/run.sh), which does both",
                    script.display()
                )
            });
        let input = child.stdin.take().expect("the pool's input");
        let mut output = std::io::BufReader::new(child.stdout.take().expect("the pool's output"));
        let mut line = String::new();
        output.read_line(&mut line).expect("read the pool's stack");
        let stack: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("moto_pool.py printed {line:?} ({e})"));
        if let Some(error) = stack.get("error") {
            panic!(
                "creating the stack {key:?} failed (it needs aws-sam-translator and boto3: \
                 run tests/setup.sh): {error}"
            );
        }
        Pool {
            _child: child,
            input,
            output,
            stack,
        }
    }

    fn command(&mut self, command: &str) -> std::io::Result<()> {
        writeln!(self.input, "{command}")?;
        self.input.flush()
    }

    /// A new server: its port and process id.
    fn serve(&mut self) -> (u16, u32) {
        use std::io::BufRead;
        self.command("serve").expect("ask the pool for a server");
        let mut line = String::new();
        self.output
            .read_line(&mut line)
            .expect("read the server's port");
        let mut words = line.split_whitespace().map(str::parse::<u32>);
        match (words.next(), words.next()) {
            (Some(Ok(port)), Some(Ok(pid))) => (u16::try_from(port).expect("a port number"), pid),
            _ => panic!("moto_pool.py answered {line:?} to serve"),
        }
    }
}

/// Stops a pooled server when its test is done with it.
struct PooledServer {
    pool: PoolSlot,
    pid: u32,
}

impl Drop for PooledServer {
    fn drop(&mut self) {
        if let Some(pool) = self.pool.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            let _ = pool.command(&format!("stop {}", self.pid));
        }
    }
}

impl Moto {
    /// A moto without a stack.
    pub async fn start() -> Moto {
        Moto::from_pool(Vec::new()).await.0
    }

    /// A moto holding the stack [`STACK_NAME`] created from
    /// `infra/template.yaml` in us-east-1 with the tests' parameters and
    /// `parameters`, as [`create_stack`] creates it.
    pub async fn with_stack(parameters: &[&str]) -> (Moto, StackInfo) {
        let mut key = vec!["us-east-1".to_owned(), "infra/template.yaml".to_owned()];
        key.extend(stack_parameters(parameters));
        let (moto, stack) = Moto::from_pool(key).await;
        (moto, stack_info(stack))
    }

    async fn from_pool(key: Vec<String>) -> (Moto, Value) {
        let slot = pool_slot(&key);
        let pool = slot.clone();
        // The server listens before it is forked: no wait for it to start.
        let (port, pid, stack) = tokio::task::spawn_blocking(move || {
            let mut guard = slot.lock().unwrap_or_else(|e| e.into_inner());
            let pool = guard.get_or_insert_with(|| Pool::start(&key));
            let (port, pid) = pool.serve();
            (port, pid, pool.stack.clone())
        })
        .await
        .expect("the moto pool");
        (
            Moto {
                endpoint: format!("http://127.0.0.1:{port}"),
                _server: PooledServer { pool, pid },
            },
            stack,
        )
    }

    /// An S3 client for moto, which serves buckets by path.
    pub fn s3(&self, aws: &SdkConfig) -> aws_sdk_s3::Client {
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(aws)
                .force_path_style(true)
                .build(),
        )
    }

    /// How many mails SES has sent (`GetSendQuota`'s `SentLast24Hours`;
    /// moto's model dump, which would show their text, fails on its Lambda
    /// models without Docker, so the text is checked where it is composed).
    pub async fn sent_mail_count(&self) -> u64 {
        let quota = aws_sdk_ses::Client::new(&self.sdk_config().await)
            .get_send_quota()
            .send()
            .await
            .expect("SES GetSendQuota");
        quota.sent_last24_hours() as u64
    }

    pub async fn sdk_config(&self) -> SdkConfig {
        adapters::aws::defaults()
            .endpoint_url(&self.endpoint)
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "testing", "testing", None, None, "e2e",
            ))
            .load()
            .await
    }
}

/// Stops moto's own SQS pollers (it would invoke the functions in Docker,
/// absent here, and lose the messages it took): whoever plays Lambda's
/// poller calls this first.
pub async fn disable_event_source_mappings(aws: &SdkConfig) {
    let mappings = aws_call(
        aws,
        &LAMBDA,
        "GET",
        "2015-03-31/event-source-mappings/",
        Value::Null,
    )
    .await;
    for mapping in mappings["EventSourceMappings"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let uuid = mapping["UUID"].as_str().unwrap_or_default();
        aws_call(
            aws,
            &LAMBDA,
            "PUT",
            &format!("2015-03-31/event-source-mappings/{uuid}"),
            serde_json::json!({ "Enabled": false }),
        )
        .await;
    }
}

/// Plays Lambda's SQS poller for `order-items`: moto would invoke the
/// function itself (in Docker, absent here), so its event source mapping is
/// disabled and `pollers` tasks receive batches, run the handler and delete
/// what it did not report as failed, as Lambda does.
async fn sqs_pollers(aws: &SdkConfig, config: &Config, pollers: usize) {
    disable_event_source_mappings(aws).await;
    let queue = config
        .item_queue_url
        .clone()
        .expect("fan-out needs the queue");
    for _ in 0..pollers {
        let bridge = adapters::wiring::registrar(
            config,
            aws,
            &adapters::metrics::Metrics::off(),
            registrar::state_event::Cause::Event,
        )
        .expect("build order-items");
        let sqs = aws_sdk_sqs::Client::new(aws);
        let queue = queue.clone();
        tokio::spawn(async move { while poll_item_queue(&sqs, &queue, &bridge).await.is_ok() {} });
    }
}

/// One turn of Lambda's SQS poller for `order-items`: a batch of the
/// template's `BatchSize` (2), the handler run on it, what it did not report
/// as failed deleted. How long the handler ran; `None` when the queue
/// offered nothing within a second.
pub async fn poll_item_queue(
    sqs: &aws_sdk_sqs::Client,
    queue: &str,
    bridge: &adapters::wiring::GatewayRegistrar,
) -> Result<Option<Duration>, String> {
    let batch = sqs
        .receive_message()
        .queue_url(queue)
        .max_number_of_messages(2)
        .wait_time_seconds(1)
        .send()
        .await
        .map_err(|e| format!("receive from the item queue: {e}"))?;
    let messages = batch.messages.unwrap_or_default();
    if messages.is_empty() {
        return Ok(None);
    }
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            serde_json::json!({
                "messageId": m.message_id(),
                "receiptHandle": m.receipt_handle(),
                "body": m.body(),
                "eventSource": "aws:sqs",
                "awsRegion": "us-east-1",
            })
        })
        .collect();
    let event = serde_json::from_value(serde_json::json!({ "Records": records }))
        .map_err(|e| format!("an SQS event: {e}"))?;
    let started = Instant::now();
    let failed: Vec<String> =
        match order_items::handle(bridge, event, registrar::deadline::Deadline::none()).await {
            Ok(response) => response
                .batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier)
                .collect(),
            Err(_) => messages
                .iter()
                .filter_map(|m| m.message_id.clone())
                .collect(),
        };
    let ran = started.elapsed();
    let done: Vec<_> = messages
        .iter()
        .filter(|m| !failed.iter().any(|id| Some(id.as_str()) == m.message_id()))
        .enumerate()
        .filter_map(|(i, m)| {
            aws_sdk_sqs::types::DeleteMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .set_receipt_handle(m.receipt_handle.clone())
                .build()
                .ok()
        })
        .collect();
    if !done.is_empty() {
        sqs.delete_message_batch()
            .queue_url(queue)
            .set_entries(Some(done))
            .send()
            .await
            .map_err(|e| format!("delete from the item queue: {e}"))?;
    }
    Ok(Some(ran))
}

const LAMBDA: adapters::signed::Service = adapters::signed::Service {
    name: "lambda",
    env: "LAMBDA",
    host: "lambda",
};

/// One REST call to moto (the few the tests make of services whose SDK
/// crates the bridge does not need); panics unless it succeeds.
async fn aws_call(
    aws: &SdkConfig,
    service: &adapters::signed::Service,
    method: &str,
    path: &str,
    body: Value,
) -> Value {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let answer = adapters::signed::request(
        aws,
        service,
        method,
        path,
        &[("content-type", "application/json")],
        body,
    )
    .await
    .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    assert!(
        (200..300).contains(&answer.status),
        "{method} {path}: HTTP {} {}",
        answer.status,
        answer.body
    );
    serde_json::from_str(&answer.body).unwrap_or(Value::Null)
}

/// Verifies a domain or address in SES (moto verifies at once).
pub async fn verify_in_ses(aws: &SdkConfig, identity: &str) {
    let ses = aws_sdk_ses::Client::new(aws);
    if identity.contains('@') {
        ses.verify_email_identity()
            .email_address(identity)
            .send()
            .await
            .unwrap_or_else(|e| panic!("SES verify {identity}: {e:?}"));
    } else {
        ses.verify_domain_identity()
            .domain(identity)
            .send()
            .await
            .unwrap_or_else(|e| panic!("SES verify {identity}: {e:?}"));
    }
}

/// One `status-mails` invocation's answer (no deadline, no metrics).
pub async fn status_mail_run<Q, M, C>(
    app: &registrar::workflows::status_mails::Notifier<Q, M, C>,
    batch: usize,
) -> Value
where
    Q: registrar::ports::NoticeQueue,
    M: registrar::ports::Mailer,
    C: registrar::ports::Clock,
{
    status_mails::handle(
        app,
        batch,
        registrar::deadline::Deadline::none(),
        &adapters::metrics::Metrics::off(),
    )
    .await
    .expect("a status-mails run")
}

/// The stack the tests create from `infra/template.yaml` in moto.
pub const STACK_NAME: &str = "bridge-e2e";
pub const INBOUND_DOMAIN: &str = "inbound.example.net";
pub const STATUS_MAIL_FROM: &str = "noreply@provider.example";

/// What `tests/stack.py` reports about the stack it created.
#[derive(Debug, Clone)]
pub struct StackInfo {
    pub outputs: HashMap<String, String>,
    pub parameters: HashMap<String, Value>,
    /// SES receipt rules by rule-set name, as SES describes them.
    pub receipt_rules: serde_json::Map<String, Value>,
    /// Everything else stack.py read back (event rules, functions, bucket
    /// notification, table description).
    pub facts: Value,
}

impl StackInfo {
    pub fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("the stack has no output {name}: {:?}", self.outputs))
    }
}

/// The tests' parameters of `infra/template.yaml` and `parameters`.
fn stack_parameters(parameters: &[&str]) -> Vec<String> {
    let mut all = vec![
        "InternetxUser=bridge".to_owned(),
        "DeletionProtection=false".to_owned(),
        format!("InboundDomain={INBOUND_DOMAIN}"),
    ];
    all.extend(parameters.iter().map(|p| (*p).to_owned()));
    all
}

/// Translates the SAM template and creates it as a stack in the moto at
/// `endpoint` (and its SES receipt rule through the SES API), through
/// `tests/stack.py`. [`Moto::with_stack`] gives a new moto with the stack
/// already in it.
pub async fn create_stack(endpoint: &str, parameters: &[&str]) -> StackInfo {
    create_stack_from(
        endpoint,
        "us-east-1",
        "infra/template.yaml",
        &stack_parameters(parameters),
    )
    .await
}

/// Creates `template` (a path from the workspace root) as the stack
/// [`STACK_NAME`] in moto's `region`, with exactly `parameters`.
pub async fn create_stack_from(
    endpoint: &str,
    region: &str,
    template: &str,
    parameters: &[String],
) -> StackInfo {
    let root = lambda::workspace_root();
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .arg(root.join("tests/stack.py"))
        .arg(endpoint)
        .arg(STACK_NAME)
        .arg(root.join(template))
        .args(parameters)
        .env("STACK_REGION", region)
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {python} tests/stack.py: {e}"));
    assert!(
        out.status.success(),
        "creating the stack from {template} failed (it needs aws-sam-translator and \
         boto3: run tests/setup.sh): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stack_info(serde_json::from_slice(&out.stdout).expect("stack.py prints JSON"))
}

/// What `tests/stack.py` reported, read.
fn stack_info(info: Value) -> StackInfo {
    let outputs = info["outputs"]
        .as_object()
        .expect("outputs")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    StackInfo {
        outputs,
        parameters: info["parameters"]
            .as_object()
            .expect("parameters")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        receipt_rules: info["receipt_rules"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
        facts: info,
    }
}

/// How a world's simulator delivers result mails.
#[derive(Debug, Clone)]
pub struct Options {
    /// `None`: no result mails.
    pub mail_format: Option<MailFormat>,
    pub mail_delay: Duration,
    pub answer_delay: Duration,
    /// Where the simulator hands the S3 events.
    pub deliver: Delivery,
    /// Deploy with `StatusMails=enabled` (sender verified in SES).
    pub status_mails: bool,
    /// Faults the simulator injects, `(domain, fault)`.
    pub faults: Vec<(String, Fault)>,
    /// How long the gateway client waits for an answer.
    pub gateway_timeout: Duration,
    /// Order items go through the template's item queue to `order-items`,
    /// whose SQS poller this harness plays (two of them, as the template's
    /// `MaximumConcurrency`).
    pub fan_out: bool,
    /// The simulator's requests per second (HTTP 429 above).
    pub rate_limit: Option<usize>,
    /// The bridge's `INTERNETX_MAX_REQUESTS_PER_SECOND`.
    pub gateway_rate: f64,
    /// The simulator's scenario per domain, where InterNetX documents nothing.
    pub scenarios: Vec<(String, internetx_simulator::Scenario)>,
    /// The provider's defaults (`DEFAULT_NAMESERVERS`, …).
    pub defaults: registrar::defaults::RequestDefaults,
    /// Tasks accepted now that fail in their result mail (`domain` or
    /// `domain/code`), besides the simulator's own.
    pub fail_async: Vec<String>,
    /// The simulator cuts every domain-list page to this many, silently.
    pub list_cap: Option<u64>,
    /// The InterNetX account's renewal mode.
    pub renewal: internetx_simulator::RenewalMode,
}

#[derive(Debug, Clone)]
pub enum Delivery {
    /// The in-process mail function.
    InProcess,
    /// Nobody: the test drives the mail function itself.
    Nobody,
    /// A Lambda Invoke API URL (`cargo lambda watch`).
    Invoke(String),
}

impl Default for Options {
    fn default() -> Self {
        Self {
            mail_format: Some(MailFormat::XmlInline),
            mail_delay: Duration::from_millis(20),
            answer_delay: Duration::ZERO,
            deliver: Delivery::InProcess,
            status_mails: false,
            faults: Vec::new(),
            gateway_timeout: Duration::from_secs(10),
            fan_out: false,
            rate_limit: None,
            // The simulator has no rate limit by default; keep tests quick.
            gateway_rate: 200.0,
            scenarios: Vec::new(),
            defaults: provider_defaults(),
            fail_async: Vec::new(),
            list_cap: None,
            renewal: internetx_simulator::RenewalMode::AutoRenew,
        }
    }
}

/// What the status-mails function opens sealed auth codes with, as the
/// template configures it (the sealing key, and the reply-token secret for
/// what was sealed before there was one).
pub fn opening_sealer() -> registrar::seal::Sealer {
    registrar::seal::Sealer::new(SEALING_SECRET.as_bytes()).also_opening(REPLY_SECRET.as_bytes())
}

/// The defaults as the functions' environment gives them.
fn defaults_env(d: &registrar::defaults::RequestDefaults) -> Vec<(String, String)> {
    let mut env = vec![
        ("DEFAULT_NAMESERVERS".to_owned(), d.nameservers.join(",")),
        (
            "CONTACT_PROTECTION".to_owned(),
            d.protection.as_xml().to_owned(),
        ),
    ];
    for (name, handle) in [
        ("DEFAULT_ADMIN_HANDLE", &d.admin),
        ("DEFAULT_TECH_HANDLE", &d.tech),
        ("DEFAULT_ZONE_HANDLE", &d.zone),
    ] {
        if let Some(handle) = handle {
            env.push((name.to_owned(), handle.clone()));
        }
    }
    env
}

/// The defaults a provider typically configures: its two name servers.
pub fn provider_defaults() -> registrar::defaults::RequestDefaults {
    registrar::defaults::RequestDefaults {
        nameservers: vec!["ns1.provider.net".into(), "ns2.provider.net".into()],
        ..Default::default()
    }
}

impl Options {
    /// Order items through the item queue to `order-items`, the bridge and
    /// the simulator both at `rate` requests per second, no result mails.
    pub fn fanned_out_at(rate: usize) -> Self {
        Self {
            mail_format: None,
            fan_out: true,
            rate_limit: Some(rate),
            gateway_rate: rate as f64,
            ..Self::default()
        }
    }
}

/// moto + simulator + the domain-events and mail functions' real adapters.
pub struct World {
    pub moto: Moto,
    pub simulator: Simulator,
    pub aws: SdkConfig,
    pub config: Config,
    pub mail_config: MailConfig,
    /// The functions' environment: the template's, with the tests'
    /// differences ([`function_env`]).
    pub env: FunctionEnv,
    pub app: adapters::wiring::DomainEvents,
    pub mail_app: Arc<adapters::wiring::InboundMail>,
    pub store: DynamoStore,
    /// The table read raw, as the domain manager's screens read it.
    pub dynamo: aws_sdk_dynamodb::Client,
    pub table: String,
    pub s3: aws_sdk_s3::Client,
    pub stack: StackInfo,
    pub mail_bucket: String,
}

impl World {
    pub async fn start() -> World {
        World::start_with(Options::default()).await
    }

    /// A world whose simulator sends no result mails: statuses stay where
    /// the gateway's answer put them.
    pub async fn without_mail() -> World {
        World::start_with(Options {
            mail_format: None,
            ..Options::default()
        })
        .await
    }

    pub async fn start_with(options: Options) -> World {
        capture_logs();
        let from = format!("StatusMailFrom={STATUS_MAIL_FROM}");
        let (moto, stack) = if options.status_mails {
            Moto::with_stack(&["StatusMails=enabled", &from]).await
        } else {
            Moto::with_stack(&[]).await
        };
        let aws = moto.sdk_config().await;
        let s3 = moto.s3(&aws);
        // A deployment verifies its sender domain in SES once.
        verify_in_ses(&aws, STATUS_MAIL_FROM.split('@').nth(1).unwrap_or_default()).await;
        let mail_bucket = stack.output("MailBucketName").to_owned();
        let inbound_prefix = stack.output("InboundPrefix").to_owned();
        let reply_to_address = stack.output("InboundAddress").to_owned();
        let table = stack.output("DomainTableName").to_owned();
        let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
        let mail = options.mail_format.map(|format| MailDelivery {
            s3: s3.clone(),
            bucket: mail_bucket.clone(),
            prefix: inbound_prefix.clone(),
            delay: options.mail_delay,
            notify: match &options.deliver {
                Delivery::InProcess => Notify::Channel(events_tx.clone()),
                Delivery::Nobody => Notify::None,
                Delivery::Invoke(url) => Notify::Invoke(url.clone()),
            },
            format,
            from: "robot@autodns.com".into(),
        });
        let simulator = Simulator::start(
            SimulatorConfig {
                user: "bridge".into(),
                password: GATEWAY_PASSWORD.into(),
                context: "4".into(),
                mail,
                answer_delay: options.answer_delay,
                faults: options.faults.clone(),
                rate_limit: options.rate_limit,
                list_cap: options.list_cap,
                renewal: options.renewal,
                scenarios: options.scenarios.clone(),
                // Event mails go to the profile's address on the inbound domain.
                notification_address: Some(reply_to_address.clone()),
                fail_async: SimulatorConfig::default()
                    .fail_async
                    .into_iter()
                    .chain(options.fail_async.iter().cloned())
                    .collect(),
                ..SimulatorConfig::default()
            },
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
        .expect("start the simulator");
        let dynamo = aws_sdk_dynamodb::Client::new(&aws);
        let env = FunctionEnv::of_stack(
            &stack,
            &function_env::Differences {
                gateway_url: &simulator.url(),
                moto_endpoint: &moto.endpoint,
                gateway_rate: options.gateway_rate,
                gateway_timeout: options.gateway_timeout,
                fan_out: options.fan_out,
                defaults: &options.defaults,
            },
        );
        let mail_config = MailConfig::from_env(&env, &aws)
            .await
            .expect("the mail function's configuration, from the template");
        let mail_app = Arc::new(
            adapters::wiring::inbound_mail(&mail_config, &aws).expect("build the mail function"),
        );
        let consumer = mail_app.clone();
        tokio::spawn(async move {
            while let Some(event) = events_rx.recv().await {
                match serde_json::from_value(event) {
                    Ok(event) => {
                        if let Err(e) = inbound_mail::handle(
                            &consumer,
                            event,
                            &adapters::metrics::Metrics::off(),
                        )
                        .await
                        {
                            tracing::error!(error = %e, "mail function failed");
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "simulator sent an unreadable S3 event"),
                }
            }
        });
        let config = Config::from_env(&env, &aws)
            .await
            .expect("the domain-events function's configuration, from the template");
        if options.fan_out {
            sqs_pollers(&aws, &config, 2).await;
        }
        let app =
            adapters::wiring::domain_events(&config, &aws, &adapters::metrics::Metrics::off())
                .expect("build the function");
        World {
            store: DynamoStore::new(dynamo.clone(), table.clone()),
            dynamo,
            table,
            stack,
            mail_bucket,
            moto,
            simulator,
            aws,
            config,
            mail_config,
            env,
            app,
            mail_app,
            s3,
        }
    }

    /// Stores a raw mail as SES would and runs the mail function on its S3
    /// event; returns the function's answer.
    pub async fn deliver_mail(&self, key: &str, raw: &[u8]) -> Result<Value, String> {
        self.s3
            .put_object()
            .bucket(&self.mail_bucket)
            .key(key)
            .body(raw.to_vec().into())
            .send()
            .await
            .expect("put the mail");
        self.run_mail_event(internetx_simulator::mailer::s3_event(
            &self.mail_bucket,
            key,
            raw.len(),
        ))
        .await
    }

    pub async fn run_mail_event(&self, event: Value) -> Result<Value, String> {
        let event = serde_json::from_value(event).map_err(|e| e.to_string())?;
        inbound_mail::handle(&self.mail_app, event, &adapters::metrics::Metrics::off())
            .await
            .map_err(|e| e.to_string())
    }

    /// The key of the first result mail the simulator stored (waits for it).
    pub async fn first_mail_key(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(key) = self.simulator.mails().first() {
                return key.clone();
            }
            assert!(
                Instant::now() < deadline,
                "the simulator sent no result mail"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A stored mail's bytes.
    pub async fn mail_bytes(&self, key: &str) -> Vec<u8> {
        self.s3
            .get_object()
            .bucket(&self.mail_bucket)
            .key(key)
            .send()
            .await
            .expect("get the mail")
            .body
            .collect()
            .await
            .expect("read the mail")
            .into_bytes()
            .to_vec()
    }

    /// The `outcome` tag of a stored mail.
    pub async fn mail_tag(&self, key: &str) -> Option<String> {
        self.s3
            .get_object_tagging()
            .bucket(&self.mail_bucket)
            .key(key)
            .send()
            .await
            .expect("get the tags")
            .tag_set
            .into_iter()
            .find(|t| t.key == "outcome")
            .map(|t| t.value)
    }

    /// Waits until the domain's status is `status` (result mails arrive
    /// asynchronously); panics with the action log after `timeout`.
    pub async fn wait_for_status(&self, domain: &str, status: &str) -> Item {
        self.wait_for(domain, status, |item| text(item, "status") == status)
            .await
    }

    /// Waits until the domain item is as `wanted` says (`what` names it in
    /// the panic); panics with the action log after 20 s.
    pub async fn wait_for(&self, domain: &str, what: &str, wanted: impl Fn(&Item) -> bool) -> Item {
        self.wait_within(Duration::from_secs(20), domain, what, wanted)
            .await
    }

    /// [`World::wait_for_status`] with a longer patience: the first mail
    /// through `cargo lambda watch` waits for the emulator to start the mail
    /// function with `cargo run`, which waits for cargo's build lock while
    /// other tests run cargo (on 2 busy cores that took over 20 s in CI).
    pub async fn wait_for_cold_status(&self, domain: &str, status: &str) -> Item {
        self.wait_within(Duration::from_secs(120), domain, status, |item| {
            text(item, "status") == status
        })
        .await
    }

    async fn wait_within(
        &self,
        patience: Duration,
        domain: &str,
        what: &str,
        wanted: impl Fn(&Item) -> bool,
    ) -> Item {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(item) = self.domain(domain).await {
                if wanted(&item) {
                    return item;
                }
            }
            if Instant::now() > deadline {
                let log: Vec<String> = self
                    .log(domain)
                    .await
                    .iter()
                    .map(|e| text(e, "message"))
                    .collect();
                panic!("{domain} did not reach {what}; log: {log:#?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The functions' environment (CONTRACT.md §3) for this world, as
    /// `cargo lambda watch` or a deployed function gets it.
    pub fn function_env(&self) -> Vec<(String, String)> {
        self.env.vars()
    }

    /// Runs the operator CLI (`internetx-bridge`) with the functions'
    /// environment: success, standard output, standard error.
    pub async fn cli(&self, args: &[&str]) -> (bool, String, String) {
        let binary = lambda::workspace_root().join("target/debug/internetx-bridge");
        assert!(
            binary.exists(),
            "build the binaries first (tests/run.sh does)"
        );
        let out = Command::new(binary)
            .args(args)
            .envs(self.function_env())
            .output()
            .await
            .expect("run internetx-bridge");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// The status-mails function's configuration for this world, sending
    /// from `from`.
    pub fn status_mail_config(&self, from: &str) -> adapters::StatusMailConfig {
        adapters::StatusMailConfig {
            domain_table: self.config.domain_table.clone(),
            from: from.into(),
            configuration_set: None,
            batch: 200,
            max_attempts: 5,
            stale_after: time::Duration::minutes(15),
        }
    }

    /// One sync run, through the `sync` function's handler.
    pub async fn sync(&self, policy: registrar::workflows::sync::SyncPolicy) -> Value {
        sync::handle(
            &self.app.registrar,
            policy,
            registrar::deadline::Deadline::none(),
            &adapters::metrics::Metrics::off(),
        )
        .await
        .expect("sync run")
    }

    /// One reconciliation run, as the scheduled function makes it.
    pub async fn reconcile(
        &self,
        policy: registrar::workflows::reconcile::ReconcilePolicy,
    ) -> Value {
        reconcile::handle(
            &self.app.registrar,
            policy,
            registrar::deadline::Deadline::none(),
            &adapters::metrics::Metrics::off(),
        )
        .await
        .expect("reconciliation run")
    }

    /// Invokes the domain-events handler with an event.
    pub async fn send(&self, event: &Value) -> Result<Value, String> {
        domain_events::handle(
            &self.app.registrar,
            self.app.queue.as_ref(),
            event.clone(),
            &adapters::metrics::Metrics::off(),
        )
        .await
        .map_err(|e| e.to_string())
    }

    pub async fn domain(&self, name: &str) -> Option<Item> {
        self.dynamo
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(domain_pk(name)))
            .key("sk", AttributeValue::S("DOMAIN".into()))
            .consistent_read(true)
            .send()
            .await
            .expect("get_item")
            .item
    }

    pub async fn log(&self, name: &str) -> Vec<Item> {
        self.dynamo
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :log)")
            .expression_attribute_values(":pk", AttributeValue::S(domain_pk(name)))
            .expression_attribute_values(":log", AttributeValue::S("LOG#".into()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("query the log")
    }

    /// Every item of the table, sorted by key: the whole state.
    pub async fn scan(&self) -> Vec<Item> {
        let mut items = self
            .dynamo
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .expect("scan");
        items.sort_by_key(|i| (text(i, "pk"), text(i, "sk")));
        items
    }
}

pub fn text(item: &Item, name: &str) -> String {
    match item.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        Some(AttributeValue::N(n)) => n.clone(),
        Some(AttributeValue::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

pub fn flag(item: &Item, name: &str) -> bool {
    matches!(item.get(name), Some(AttributeValue::Bool(true)))
}

/// Everything any test in this process logged, for the secrets check.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&log_buffer().lock().unwrap_or_else(|e| e.into_inner())).into_owned()
}

fn log_buffer() -> &'static Arc<Mutex<Vec<u8>>> {
    static BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUFFER.get_or_init(|| Arc::new(Mutex::new(Vec::new())))
}

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        log_buffer()
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        if std::env::var_os("E2E_LOG").is_some() {
            std::io::stderr().write_all(buf)?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Routes all tracing output (at debug level, JSON as in Lambda) into the
/// capture buffer, once per test process; `E2E_LOG=1` also prints it.
pub fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .json()
            .with_env_filter("debug,aws_smithy_runtime=info,aws_smithy_http_client=info,aws_runtime=info,aws_sdk_dynamodb=info,aws_config=info,hyper=info,hyper_util=info,h2=info,reqwest=info,rustls=info")
            .with_writer(|| Capture)
            .try_init();
    });
}
