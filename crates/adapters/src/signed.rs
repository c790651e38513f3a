//! A single AWS API call signed with SigV4 and the SDK's own credentials,
//! region and endpoint — for the few calls whose SDK crate would cost more
//! to build than the rest of a function (SSM's `GetParameter`, SES v2's
//! `SendEmail`, SES's classic `DescribeActiveReceiptRuleSet` for `doctor`).

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
    let url = endpoint(aws, service, &region) + path;
    let credentials = aws
        .credentials_provider()
        .ok_or("no AWS credentials configured")?
        .provide_credentials()
        .await
        .map_err(|e| format!("no AWS credentials: {e}"))?;
    let identity = Identity::from(credentials);
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let mut signed_headers = vec![("host", host.as_str())];
    signed_headers.extend_from_slice(headers);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name(service.name)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("cannot sign the {} request: {e}", service.name))?
        .into();
    let signable = SignableRequest::new(
        method,
        &url,
        signed_headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| format!("cannot sign the {} request: {e}", service.name))?;
    let (signature, _) = sign(signable, &params)
        .map_err(|e| format!("cannot sign the {} request: {e}", service.name))?
        .into_parts();

    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|e| format!("{method} is no HTTP method: {e}"))?;
    let mut request = client.request(method, &url).body(body);
    for (header, value) in headers {
        request = request.header(*header, *value);
    }
    for (header, value) in signature.headers() {
        request = request.header(header, value);
    }
    let response = request.send().await.map_err(|e| {
        format!(
            "{} unreachable: {}",
            service.name,
            internetx::error_chain(&e)
        )
    })?;
    let status = response.status().as_u16();
    let error_type = response
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(':').next())
        .map(str::to_owned)
        .filter(|v| !v.is_empty());
    let body = response
        .text()
        .await
        .map_err(|e| format!("{}'s answer was cut off: {e}", service.name))?;
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
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))
}

fn endpoint(aws: &SdkConfig, service: &Service, region: &str) -> String {
    std::env::var(format!("AWS_ENDPOINT_URL_{}", service.env))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| aws.endpoint_url().map(str::to_owned))
        .unwrap_or_else(|| format!("https://{}.{region}.amazonaws.com", service.host))
        .trim_end_matches('/')
        .to_owned()
        + "/"
}
