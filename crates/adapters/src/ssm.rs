//! SSM Parameter Store's `GetParameter` (with decryption), the one SSM call
//! the bridge makes: once per cold start, for a password or key kept as a
//! SecureString. The SSM SDK crate would be the largest dependency of the
//! workspace (a fifth of a clean build) for this single call.

use aws_config::SdkConfig;
use serde_json::{json, Value};

use crate::signed::{post, Service};

const SSM: Service = Service {
    name: "ssm",
    env: "SSM",
    host: "ssm",
};

/// The decrypted value of parameter `name` (a name or an ARN).
pub async fn secure_string(aws: &SdkConfig, name: &str) -> Result<String, String> {
    let answer = post(
        aws,
        &SSM,
        &[
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "AmazonSSM.GetParameter"),
        ],
        json!({"Name": name, "WithDecryption": true}).to_string(),
    )
    .await?;
    let body: Value = serde_json::from_str(&answer.body)
        .map_err(|e| format!("SSM answered HTTP {}, not JSON: {e}", answer.status))?;
    if !(200..300).contains(&answer.status) {
        return Err(refusal(answer.status, &body));
    }
    body["Parameter"]["Value"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "SSM's answer has no Parameter.Value".to_owned())
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
