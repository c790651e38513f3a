//! Status mails out through SES (v2 `SendEmail`, plain text, UTF-8): one
//! signed REST call (`POST /v2/email/outbound-emails`), which is all this
//! function needs of SES — the SDK crate for it took longer to build than
//! the rest of the function.

use aws_config::SdkConfig;
use registrar::ports::{MailError, Mailer};
use registrar::status_mail::StatusMail;
use serde_json::{json, Value};

use crate::signed::{self, Service};

/// SES v2: signing name `ses`, host `email.<region>.amazonaws.com`,
/// endpoint variable `AWS_ENDPOINT_URL_SESV2`.
const SESV2: Service = Service {
    name: "ses",
    env: "SESV2",
    host: "email",
};

/// Refusals of this mail or this sender, which do not heal by retrying
/// (SES v2 `SendEmail`'s error types); throttling, a paused account and
/// anything unknown may.
const PERMANENT: [&str; 5] = [
    "MessageRejected",
    "MailFromDomainNotVerifiedException",
    "AccountSuspendedException",
    "BadRequestException",
    "NotFoundException",
];

#[derive(Debug, Clone)]
pub struct SesMailer {
    aws: SdkConfig,
    /// Kept: a run's mails reuse its connections.
    http: Result<reqwest::Client, String>,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(aws: SdkConfig, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        Self {
            aws,
            http: signed::client(),
            from: from.into(),
            configuration_set,
        }
    }

    /// The `SendEmail` request body.
    fn request(&self, to: &str, mail: &StatusMail) -> Value {
        let text = |data: &str| json!({ "Data": data, "Charset": "UTF-8" });
        let mut body = json!({
            "FromEmailAddress": self.from,
            "Destination": { "ToAddresses": [to] },
            "Content": { "Simple": {
                "Subject": text(&mail.subject),
                "Body": { "Text": text(&mail.body) },
            } },
        });
        if let Some(set) = &self.configuration_set {
            body["ConfigurationSetName"] = json!(set);
        }
        body
    }
}

impl Mailer for SesMailer {
    async fn send(&self, to: &str, mail: &StatusMail) -> Result<String, MailError> {
        let http = self.http.as_ref().map_err(|message| MailError {
            message: format!("SES SendEmail: {message}"),
            permanent: false,
        })?;
        let answer = signed::request_on(
            http,
            &self.aws,
            &SESV2,
            "POST",
            "v2/email/outbound-emails",
            &[("content-type", "application/json")],
            self.request(to, mail).to_string(),
        )
        .await
        .map_err(|message| MailError {
            message: format!("SES SendEmail: {message}"),
            permanent: false,
        })?;
        let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
        if (200..300).contains(&answer.status) {
            return Ok(body["MessageId"].as_str().unwrap_or_default().to_owned());
        }
        // restJson1 names the error in a header, some services in the body.
        let kind = answer
            .error_type
            .or_else(|| body["__type"].as_str().map(str::to_owned))
            .or_else(|| body["code"].as_str().map(str::to_owned))
            .map(|t| t.rsplit('#').next().unwrap_or_default().to_owned())
            .unwrap_or_else(|| format!("HTTP {}", answer.status));
        let message = body["message"]
            .as_str()
            .or_else(|| body["Message"].as_str())
            .unwrap_or_default();
        Err(MailError {
            message: format!("SES SendEmail: {kind}: {message}"),
            permanent: PERMANENT.contains(&kind.as_str()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_a_plain_text_utf8_mail_with_its_configuration_set() {
        let aws = SdkConfig::builder().build();
        let mail = StatusMail {
            subject: "Registriert: münchen.de".into(),
            body: "Grüße".into(),
        };
        let plain = SesMailer::new(aws.clone(), "noreply@provider.example", None);
        let body = plain.request("owner@customer.example", &mail);
        assert_eq!(
            body,
            json!({
                "FromEmailAddress": "noreply@provider.example",
                "Destination": { "ToAddresses": ["owner@customer.example"] },
                "Content": { "Simple": {
                    "Subject": { "Data": "Registriert: münchen.de", "Charset": "UTF-8" },
                    "Body": { "Text": { "Data": "Grüße", "Charset": "UTF-8" } },
                } },
            })
        );
        let with_set = SesMailer::new(aws, "noreply@provider.example", Some("tracked".into()));
        assert_eq!(
            with_set.request("a@b.example", &mail)["ConfigurationSetName"],
            "tracked"
        );
    }
}
