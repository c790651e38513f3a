//! A single AWS API call signed with SigV4 and the SDK's own credentials,
//! region and endpoint — only for services no crate of the design card
//! covers: SSM's `GetParameter` (a `ssm:` secret reference) and, in the
//! tests, Lambda's event-source mappings. SES, DynamoDB, S3, SQS and
//! Secrets Manager go through their SDK crates.
//!
//! What the SDK would do, done here too: calls refused for throttling or a
//! service error are tried again (three attempts, backoff), credentials are
//! cached until shortly before they expire, the host signed is the one the
//! request goes to (parsed from the URL), and no request leaves this machine
//! over plain http (security review N15).

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

/// One service's endpoint: `AWS_ENDPOINT_URL_<SERVICE>`, then the SDK's
/// (`AWS_ENDPOINT_URL`), then `https://<host>.<region>.amazonaws.com`.
pub struct Service {
    /// The signing name (`ssm`, `ses`).
    pub name: &'static str,
    /// The suffix of its endpoint variable (`SSM`, `SES`).
    pub env: &'static str,
    /// Its regional host name's first label (`ssm`, `email`).
    pub host: &'static str,
}

/// What the service answered: the HTTP status, the error type a REST
/// service names in `x-amzn-ErrorType` (without its `:…` suffix), the body.
pub struct Answer {
    pub status: u16,
    pub error_type: Option<String>,
    pub body: String,
}

/// POSTs `body` to `service`'s root path with `headers` (plus `host`),
/// signed: the form of the query and JSON-1.1 protocols.
pub async fn post(
    aws: &SdkConfig,
    service: &Service,
    headers: &[(&str, &str)],
    body: String,
) -> Result<Answer, String> {
    request(aws, service, "POST", "", headers, body).await
}

/// `method` on `path` (after the endpoint's `/`, e.g.
/// `v2/email/outbound-emails`) of `service` with `headers` (plus `host`)
/// and `body`, signed: the form of the REST protocols.
pub async fn request(
    aws: &SdkConfig,
    service: &Service,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: String,
) -> Result<Answer, String> {
    request_on(&client()?, aws, service, method, path, headers, body).await
}

/// [`request`] on a client the caller keeps.
pub async fn request_on(
    client: &reqwest::Client,
    aws: &SdkConfig,
    service: &Service,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: String,
) -> Result<Answer, String> {
    let region = aws
        .region()
        .ok_or("no AWS region configured (AWS_REGION)")?
        .to_string();
    let url = endpoint(aws, service, &region)? + path;
    let host = signed_host(&url)?;
    let mut attempt = 0;
    loop {
        let credentials = credentials(aws).await?;
        let answer = attempt_once(
            client,
            service,
            &region,
            &credentials,
            method,
            &url,
            &host,
            headers,
            &body,
        )
        .await;
        let again = match &answer {
            Err(Unanswered::Unreachable(_)) => true,
            Ok(a) => a.status >= 500 || a.status == 429 || throttled(a),
            Err(Unanswered::Unsigned(_)) => false,
        };
        attempt += 1;
        if !again || attempt >= ATTEMPTS {
            return answer.map_err(|e| match e {
                Unanswered::Unreachable(e) | Unanswered::Unsigned(e) => e,
            });
        }
        tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
    }
}

/// Attempts of one call (the SDK's standard retry mode makes three).
const ATTEMPTS: u32 = 3;

enum Unanswered {
    /// No answer came: worth another attempt.
    Unreachable(String),
    /// The request could not be made at all.
    Unsigned(String),
}

/// A 400 naming throttling (the query protocol's way of saying 429).
fn throttled(answer: &Answer) -> bool {
    answer.status == 400
        && [
            "Throttling",
            "ThrottlingException",
            "TooManyRequestsException",
        ]
        .iter()
        .any(|t| {
            answer.error_type.as_deref() == Some(*t)
                || answer.body.contains(&format!("<Code>{t}</Code>"))
                || answer.body.contains(&format!("\"{t}\""))
        })
}

#[allow(clippy::too_many_arguments)]
async fn attempt_once(
    client: &reqwest::Client,
    service: &Service,
    region: &str,
    credentials: &aws_credential_types::Credentials,
    method: &str,
    url: &str,
    host: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Answer, Unanswered> {
    let unsigned = |e: String| Unanswered::Unsigned(e);
    let identity = Identity::from(credentials.clone());
    let mut signed_headers = vec![("host", host)];
    signed_headers.extend_from_slice(headers);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service.name)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| unsigned(format!("cannot sign the {} request: {e}", service.name)))?
        .into();
    let signable = SignableRequest::new(
        method,
        url,
        signed_headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| unsigned(format!("cannot sign the {} request: {e}", service.name)))?;
    let (signature, _) = sign(signable, &params)
        .map_err(|e| unsigned(format!("cannot sign the {} request: {e}", service.name)))?
        .into_parts();

    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|e| unsigned(format!("{method} is no HTTP method: {e}")))?;
    let mut request = client.request(method, url).body(body.to_owned());
    for (header, value) in headers {
        request = request.header(*header, *value);
    }
    for (header, value) in signature.headers() {
        request = request.header(header, value);
    }
    let response = request.send().await.map_err(|e| {
        Unanswered::Unreachable(format!(
            "{} unreachable: {}",
            service.name,
            internetx::error_chain(&e)
        ))
    })?;
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(':').next())
        .map(str::to_owned)
        .filter(|v| !v.is_empty());
    let body = response.text().await.map_err(|e| {
        Unanswered::Unreachable(format!("{}'s answer was cut off: {e}", service.name))
    })?;
    Ok(Answer {
        status,
        error_type,
        body,
    })
}

/// An HTTP client for signed calls. A caller that makes many (a run of
/// status mails) keeps one, so its connections are reused instead of a TLS
/// handshake per call.
pub fn client() -> Result<reqwest::Client, String> {
    internetx::https::client_builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))
}

/// The process's credentials, fetched once and kept until five minutes
/// before they expire (the SDK's identity cache does the same for its
/// clients; here an IMDS or SSO provider would otherwise be asked per call).
/// One process runs under one identity, so one cache serves every call.
async fn credentials(aws: &SdkConfig) -> Result<aws_credential_types::Credentials, String> {
    static CACHE: std::sync::Mutex<Option<aws_credential_types::Credentials>> =
        std::sync::Mutex::new(None);
    let fresh = |c: &aws_credential_types::Credentials| {
        c.expiry()
            .is_none_or(|at| at > SystemTime::now() + Duration::from_secs(300))
    };
    if let Some(cached) = CACHE
        .lock()
        .ok()
        .and_then(|c| c.clone())
        .filter(|c| fresh(c))
    {
        return Ok(cached);
    }
    let credentials = aws
        .credentials_provider()
        .ok_or("no AWS credentials configured")?
        .provide_credentials()
        .await
        .map_err(|e| format!("no AWS credentials: {e}"))?;
    if let Ok(mut cache) = CACHE.lock() {
        *cache = Some(credentials.clone());
    }
    Ok(credentials)
}

/// `AWS_ENDPOINT_URL_<SERVICE>`, then the SDK's (`AWS_ENDPOINT_URL`), then
/// the regional endpoint of the region's partition; an endpoint over plain
/// http only on this machine (moto), as the body and the session token
/// would otherwise travel in clear.
fn endpoint(aws: &SdkConfig, service: &Service, region: &str) -> Result<String, String> {
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let url = std::env::var(format!("AWS_ENDPOINT_URL_{}", service.env))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| aws.endpoint_url().map(str::to_owned))
        .unwrap_or_else(|| format!("https://{}.{region}.{suffix}", service.host));
    let parsed =
        url::Url::parse(&url).map_err(|e| format!("{} endpoint {url:?}: {e}", service.name))?;
    let local = crate::config::on_this_machine(&parsed);
    if parsed.scheme() != "https" && !(parsed.scheme() == "http" && local) {
        return Err(format!(
            "{} endpoint {url:?} refused: only https leaves this machine",
            service.name
        ));
    }
    Ok(url.trim_end_matches('/').to_owned() + "/")
}

/// The `host` header reqwest sends for `url`, and so the one to sign: the
/// parsed host, with the port only when it is not the scheme's default.
fn signed_host(url: &str) -> Result<String, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url:?}: {e}"))?;
    let host = parsed.host_str().ok_or(format!("{url:?} names no host"))?;
    Ok(match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_signed_is_the_host_sent() {
        for (url, host) in [
            (
                "https://ssm.eu-central-1.amazonaws.com/",
                "ssm.eu-central-1.amazonaws.com",
            ),
            (
                "https://ssm.eu-central-1.amazonaws.com:443/",
                "ssm.eu-central-1.amazonaws.com",
            ),
            ("https://user:pw@ssm.example:8443/x", "ssm.example:8443"),
            ("http://127.0.0.1:5000/", "127.0.0.1:5000"),
            ("https://SSM.Example/", "ssm.example"),
        ] {
            assert_eq!(signed_host(url).unwrap(), host, "{url}");
        }
    }

    #[test]
    fn plain_http_never_leaves_this_machine() {
        const SSM: Service = Service {
            name: "ssm",
            env: "TEST_NEVER_SET",
            host: "ssm",
        };
        let with = |endpoint: &str| {
            let aws = SdkConfig::builder().endpoint_url(endpoint).build();
            super::endpoint(&aws, &SSM, "eu-central-1")
        };
        assert_eq!(
            with("http://127.0.0.1:5000").unwrap(),
            "http://127.0.0.1:5000/"
        );
        assert_eq!(
            with("https://vpce.example").unwrap(),
            "https://vpce.example/"
        );
        assert!(with("http://proxy.example:8080").is_err());
        let none = SdkConfig::builder().build();
        assert_eq!(
            super::endpoint(&none, &SSM, "cn-north-1").unwrap(),
            "https://ssm.cn-north-1.amazonaws.com.cn/"
        );
    }
}
