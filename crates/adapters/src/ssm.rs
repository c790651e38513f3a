//! SSM Parameter Store's `GetParameter` (with decryption), the one SSM call
//! the bridge makes: once per cold start, for a password or key kept as a
//! SecureString. Signed with SigV4 and the SDK's own credentials, region and
//! endpoint; the SSM SDK crate would be the largest dependency of the
//! workspace (a fifth of a clean build) for this single call.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::{json, Value};

const TARGET: &str = "AmazonSSM.GetParameter";
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The decrypted value of parameter `name` (a name or an ARN).
pub async fn secure_string(aws: &SdkConfig, name: &str) -> Result<String, String> {
    let region = aws
        .region()
        .ok_or("no AWS region configured (AWS_REGION)")?
        .to_string();
    let url = endpoint(aws, &region);
    let credentials = aws
        .credentials_provider()
        .ok_or("no AWS credentials configured")?
        .provide_credentials()
        .await
        .map_err(|e| format!("no AWS credentials: {e}"))?;
    let identity = Identity::from(credentials);
    let body = json!({"Name": name, "WithDecryption": true}).to_string();
    let host = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let headers = [
        ("host", host.as_str()),
        ("content-type", CONTENT_TYPE),
        ("x-amz-target", TARGET),
    ];
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(&region)
        .name("ssm")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("cannot sign the SSM request: {e}"))?
        .into();
    let signable = SignableRequest::new(
        "POST",
        &url,
        headers.iter().copied(),
        SignableBody::Bytes(body.as_bytes()),
    )
    .map_err(|e| format!("cannot sign the SSM request: {e}"))?;
    let (signature, _) = sign(signable, &params)
        .map_err(|e| format!("cannot sign the SSM request: {e}"))?
        .into_parts();

    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| format!("no HTTP client: {e}"))?;
    let mut request = client
        .post(&url)
        .header("content-type", CONTENT_TYPE)
        .header("x-amz-target", TARGET)
        .body(body);
    for (header, value) in signature.headers() {
        request = request.header(header, value);
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("SSM unreachable: {}", internetx::error_chain(&e)))?;
    let status = response.status();
    let text = response
        .text()
        .await
        .map_err(|e| format!("SSM's answer was cut off: {e}"))?;
    let answer: Value = serde_json::from_str(&text)
        .map_err(|e| format!("SSM answered HTTP {status}, not JSON: {e}"))?;
    if !status.is_success() {
        return Err(refusal(status.as_u16(), &answer));
    }
    answer["Parameter"]["Value"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "SSM's answer has no Parameter.Value".to_owned())
}

/// `AWS_ENDPOINT_URL_SSM`, then the SDK's endpoint (`AWS_ENDPOINT_URL`),
/// then the regional one.
fn endpoint(aws: &SdkConfig, region: &str) -> String {
    std::env::var("AWS_ENDPOINT_URL_SSM")
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| aws.endpoint_url().map(str::to_owned))
        .unwrap_or_else(|| format!("https://ssm.{region}.amazonaws.com"))
        .trim_end_matches('/')
        .to_owned()
        + "/"
}

/// "ParameterNotFound: …" from an error answer (`__type` may carry a
/// namespace: `com.amazonaws…#ParameterNotFound`).
fn refusal(status: u16, answer: &Value) -> String {
    let kind = answer["__type"]
        .as_str()
        .map(|t| t.rsplit('#').next().unwrap_or(t))
        .unwrap_or("error");
    let message = answer["message"]
        .as_str()
        .or(answer["Message"].as_str())
        .unwrap_or("");
    format!("SSM refused (HTTP {status}): {kind}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_names_its_kind_without_the_namespace() {
        let answer = json!({"__type": "com.amazonaws.ssm#ParameterNotFound", "message": "gone"});
        assert_eq!(
            refusal(400, &answer),
            "SSM refused (HTTP 400): ParameterNotFound: gone"
        );
    }
}
