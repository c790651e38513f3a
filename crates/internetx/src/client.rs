//! Posting a request to the gateway over HTTPS.

use std::time::Duration;

use crate::redact::redact;
use crate::request::{Envelope, Task};
use crate::response::{parse_answer, Answer, ProtocolError};

/// One request and its answer, with secrets removed from both documents.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub request_xml: String,
    pub response_xml: String,
    pub answer: Answer,
    /// Refusals before processing that were retried before this answer
    /// (`HTTP 503`, …), for the action log.
    pub retried: Vec<String>,
}

/// Why no usable answer came back. What matters to the caller is whether the
/// gateway may have received the request: a resend could register twice.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The connection was never made: the request certainly did not arrive.
    #[error("InterNetX gateway unreachable (request not sent): {0}")]
    NotSent(String),
    /// Sent, but the answer was lost (timeout, reset): the outcome is unknown.
    #[error("no answer from the InterNetX gateway (request may have arrived): {0}")]
    OutcomeUnknown(String),
    /// The gateway answered with an HTTP error status.
    #[error("InterNetX gateway answered HTTP {status}: {body}")]
    Http {
        status: u16,
        body: String,
        retry_after: Option<Duration>,
    },
    /// The gateway answered 2xx, but not with a readable answer document.
    #[error("{source}")]
    Protocol {
        source: ProtocolError,
        request_xml: String,
        response_xml: String,
    },
}

impl GatewayError {
    /// Whether sending the same request again cannot double an order.
    pub fn is_safe_to_resend(&self) -> bool {
        match self {
            GatewayError::NotSent(_) => true,
            // Rate limiting and "unavailable" answers are given before processing.
            GatewayError::Http { status, .. } => *status == 429 || *status == 503,
            GatewayError::OutcomeUnknown(_) | GatewayError::Protocol { .. } => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    pub url: String,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    /// Requests started per second at most (InterNetX allows 3 per IP).
    pub max_requests_per_second: f64,
    /// Retries of a request the gateway provably did not process.
    pub retries: u32,
    pub retry_base_delay: Duration,
}

impl ClientConfig {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            connect_timeout: Duration::from_secs(5),
            timeout: DEFAULT_TIMEOUT,
            max_requests_per_second: 3.0,
            retries: DEFAULT_RETRIES,
            retry_base_delay: Duration::from_millis(500),
        }
    }

    /// The longest one [`GatewayClient::send`] can take with these settings.
    pub fn worst_case(&self) -> Duration {
        worst_case(self.timeout, self.retries)
    }
}

/// The answer timeout a client has unless configured otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The retries a client has unless configured otherwise.
pub const DEFAULT_RETRIES: u32 = 3;

/// The longest a shared [`Throttle`] may wait for a start before it gives
/// up (the request is then not sent), so that the wait counts in the worst
/// case instead of growing with the number of instances in line (security
/// review N6).
pub const MAX_SLOT_WAIT: Duration = Duration::from_secs(5);

/// What this process's own pacing may add to an attempt: the few requests
/// one process has in progress at once (`order-items` overlaps 4) queued at
/// 3 per second.
const PACER_WAIT: Duration = Duration::from_secs(2);

/// The longest one request can take: every attempt (the first and each
/// retry) may wait its longest for a start and then its full answer
/// timeout — a refusal with `Retry-After` is retried however long it took,
/// and the timeout covers connecting too — and each retry waits the longest
/// backoff first. With the defaults: 4 × (2 + 5 + 30) + 3 × 20 = 208 s.
pub const fn worst_case(timeout: Duration, retries: u32) -> Duration {
    let attempt = PACER_WAIT
        .saturating_add(MAX_SLOT_WAIT)
        .saturating_add(timeout);
    attempt
        .saturating_mul(retries.saturating_add(1))
        .saturating_add(MAX_BACKOFF.saturating_mul(retries))
}

/// Spaces request starts at least `interval` apart, across all tasks that
/// share the client.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pacer {
    fn new(per_second: f64) -> Self {
        let interval = if per_second > 0.0 {
            Duration::from_secs_f64(1.0 / per_second)
        } else {
            Duration::ZERO
        };
        Self {
            interval,
            next: tokio::sync::Mutex::new(tokio::time::Instant::now()),
        }
    }

    async fn wait(&self) {
        let mut next = self.next.lock().await;
        let now = tokio::time::Instant::now();
        let start = (*next).max(now);
        *next = start + self.interval;
        drop(next);
        tokio::time::sleep_until(start).await;
    }
}

/// A rate limit shared by every process that talks to the gateway (the
/// gateway counts per source IP, not per process): `acquire` returns when
/// this process may start one request, within [`MAX_SLOT_WAIT`]. An error
/// means the limit could not be consulted or had no start free in time;
/// nothing is sent then.
pub trait Throttle: Send + Sync {
    fn acquire(
        &self,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + '_>>;
}

/// The gateway client: one reqwest client (connection pool), built once.
#[derive(Clone)]
pub struct GatewayClient {
    http: reqwest::Client,
    url: String,
    envelope: Envelope,
    pacer: std::sync::Arc<Pacer>,
    throttle: Option<std::sync::Arc<dyn Throttle>>,
    retries: u32,
    retry_base_delay: Duration,
    /// A 429/503 that took longer than this is no proof of a refusal.
    quick_refusal: Duration,
    worst_case: Duration,
}

impl std::fmt::Debug for GatewayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayClient")
            .field("url", &self.url)
            .field("envelope", &self.envelope)
            .field("shared_throttle", &self.throttle.is_some())
            .finish()
    }
}

impl GatewayClient {
    pub fn new(config: ClientConfig, envelope: Envelope) -> Result<Self, reqwest::Error> {
        let http = crate::https::client_builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("internetx-bridge/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let worst_case = config.worst_case();
        Ok(Self {
            http,
            url: config.url,
            envelope,
            pacer: std::sync::Arc::new(Pacer::new(config.max_requests_per_second)),
            throttle: None,
            retries: config.retries,
            retry_base_delay: config.retry_base_delay,
            quick_refusal: (config.timeout / 6).min(QUICK_REFUSAL),
            worst_case,
        })
    }

    /// Adds the limit shared with other processes (see [`Throttle`]).
    pub fn with_throttle(mut self, throttle: std::sync::Arc<dyn Throttle>) -> Self {
        self.throttle = Some(throttle);
        self
    }

    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// The longest one [`send`](Self::send) can take.
    pub fn worst_case(&self) -> Duration {
        self.worst_case
    }

    /// Posts one task and reads the answer. Failures that prove the gateway
    /// did not process the request (no connection; HTTP 429/503) are retried
    /// with capped exponential backoff and jitter (honouring `Retry-After`);
    /// nothing else is, since a resend could order twice.
    pub async fn send(&self, task: &Task) -> Result<Exchange, GatewayError> {
        let body = task.to_xml(&self.envelope);
        let mut attempt = 0;
        let mut retried = Vec::new();
        loop {
            match self.send_once(body.clone()).await {
                Err(err) if err.is_safe_to_resend() && attempt < self.retries => {
                    let backoff = self.retry_base_delay.saturating_mul(1 << attempt.min(6));
                    let hinted = match &err {
                        GatewayError::Http {
                            retry_after: Some(after),
                            ..
                        } => *after,
                        _ => Duration::ZERO,
                    };
                    let jitter = backoff.mul_f64(rand_fraction());
                    let wait = (backoff + jitter).max(hinted).min(MAX_BACKOFF);
                    attempt += 1;
                    tracing::warn!(ctid = %task.ctid, attempt, wait_ms = wait.as_millis() as u64, error = %err, "gateway refused before processing; retrying");
                    retried.push(match &err {
                        GatewayError::Http { status, .. } => format!("HTTP {status}"),
                        other => clip(&other.to_string(), 120),
                    });
                    tokio::time::sleep(wait).await;
                }
                Ok(mut exchange) => {
                    exchange.retried = retried;
                    return Ok(exchange);
                }
                result => return result,
            }
        }
    }

    /// Posts a request body as given, once, without retries: for asking
    /// the gateway about a form the connector itself never sends (the
    /// probe's variants). The answer is read as [`send`](Self::send) reads it.
    pub async fn send_xml(&self, body: String) -> Result<Exchange, GatewayError> {
        self.send_once(body).await
    }

    async fn send_once(&self, body: String) -> Result<Exchange, GatewayError> {
        let request_xml = redact(&body);
        self.pacer.wait().await;
        if let Some(throttle) = &self.throttle {
            throttle.acquire().await.map_err(|e| {
                GatewayError::NotSent(format!("the shared rate limit could not be read: {e}"))
            })?;
        }
        let started = std::time::Instant::now();
        let response = self
            .http
            .post(&self.url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/xml; charset=utf-8",
            )
            .body(body)
            .send()
            .await
            .map_err(classify)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let waited = started.elapsed();
        let text = response.text().await.map_err(classify)?;
        // A 503 (or 429) after a long wait is typically a proxy giving up
        // on its upstream, which may have processed the request: only a
        // quick refusal, or one that names when to come back, proves
        // nothing was done (security review N13).
        let refusal = status.as_u16() == 429 || status.as_u16() == 503;
        if refusal && retry_after.is_none() && waited > self.quick_refusal {
            return Err(GatewayError::OutcomeUnknown(format!(
                "HTTP {} after {} ms, too late to prove the request was not processed",
                status.as_u16(),
                waited.as_millis()
            )));
        }
        if !status.is_success() {
            return Err(GatewayError::Http {
                status: status.as_u16(),
                body: clip(&redact(&text), 500),
                retry_after,
            });
        }
        let response_xml = redact(&text);
        match parse_answer(&text) {
            Ok(answer) => Ok(Exchange {
                request_xml,
                response_xml,
                answer,
                retried: Vec::new(),
            }),
            Err(source) => Err(GatewayError::Protocol {
                source,
                request_xml,
                response_xml,
            }),
        }
    }
}

fn classify(err: reqwest::Error) -> GatewayError {
    if err.is_connect() {
        GatewayError::NotSent(crate::error_chain(&err))
    } else {
        GatewayError::OutcomeUnknown(crate::error_chain(&err))
    }
}

/// The longest a 429/503 may take to count as a refusal before processing
/// (at most a sixth of the answer timeout).
const QUICK_REFUSAL: Duration = Duration::from_secs(5);

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// A number in [0, 1) for jitter; the clock's nanoseconds are random enough.
fn rand_fraction() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1_000) / 1_000.0
}

/// Cuts text to at most `max` bytes at a character boundary.
pub fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
