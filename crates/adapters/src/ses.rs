//! Status mails out through SES (`SendEmail` of the classic API, plain text,
//! UTF-8) with `aws-sdk-ses`: the SDK's retries (a throttle costs no
//! attempt of the notice), endpoint resolution (partitions, FIPS,
//! dual-stack, `AWS_ENDPOINT_URL_SES`), credential cache and typed errors.

use aws_config::SdkConfig;
use aws_sdk_ses::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ses::operation::send_email::{SendEmailError, SendEmailInput};
use aws_sdk_ses::types::{Body, Content, Destination, Message};
use registrar::ports::{MailError, Mailer};
use registrar::status_mail::StatusMail;

/// The longest one send takes, the SDK's retries included.
pub const SEND_WORST_CASE: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: aws_sdk_ses::Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(
        aws: &SdkConfig,
        from: impl Into<String>,
        configuration_set: Option<String>,
    ) -> Self {
        // Bounded, so a run knows what one notice may take
        // (`registrar::workflows::status_mails::ONE_NOTICE_WORST_CASE`).
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(std::time::Duration::from_secs(10))
            .operation_timeout(SEND_WORST_CASE)
            .build();
        let config = aws_sdk_ses::config::Builder::from(aws)
            .timeout_config(timeouts)
            .build();
        Self {
            client: aws_sdk_ses::Client::from_conf(config),
            from: from.into(),
            configuration_set,
        }
    }

    /// The `SendEmail` request.
    fn request(&self, to: &str, mail: &StatusMail) -> Result<SendEmailInput, MailError> {
        let text = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(built)
        };
        let message = Message::builder()
            .subject(text(&mail.subject)?)
            .body(Body::builder().text(text(&mail.body)?).build())
            .build();
        SendEmailInput::builder()
            .source(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .message(message)
            .set_configuration_set_name(self.configuration_set.clone())
            .build()
            .map_err(built)
    }
}

fn built(e: aws_sdk_ses::error::BuildError) -> MailError {
    MailError {
        message: format!("SES SendEmail not built: {e}"),
        permanent: true,
    }
}

impl Mailer for SesMailer {
    async fn send(&self, to: &str, mail: &StatusMail) -> Result<String, MailError> {
        let input = self.request(to, mail)?;
        let sent = self
            .client
            .send_email()
            .set_source(input.source)
            .set_destination(input.destination)
            .set_message(input.message)
            .set_configuration_set_name(input.configuration_set_name)
            .send()
            .await;
        match sent {
            Ok(out) => Ok(out.message_id),
            Err(e) => Err(classify(&e)),
        }
    }
}

/// Refusals of this mail or this sender do not heal by retrying; throttling
/// (after the SDK's own retries), a paused account and anything unknown
/// may.
fn classify(e: &SdkError<SendEmailError>) -> MailError {
    let permanent = e.as_service_error().is_some_and(|service| {
        matches!(
            service,
            SendEmailError::MessageRejected(_)
                | SendEmailError::MailFromDomainNotVerifiedException(_)
                | SendEmailError::ConfigurationSetDoesNotExistException(_)
        )
    });
    let kind = e.code().unwrap_or("no answer");
    let detail = e
        .message()
        .map(str::to_owned)
        .unwrap_or_else(|| internetx::error_chain(e));
    MailError {
        message: format!("SES SendEmail: {kind}: {detail}"),
        permanent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An SES endpoint on loopback that answers each request with the next
    /// of `answers` (HTTP status, awsQuery body) and counts the requests.
    async fn ses_answering(answers: Vec<(u16, &'static str)>) -> (SdkConfig, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let asked = Arc::new(AtomicUsize::new(0));
        let count = asked.clone();
        tokio::spawn(async move {
            for (status, body) in answers {
                let (mut socket, _) = listener.accept().await.unwrap();
                read_request(&mut socket).await;
                count.fetch_add(1, Ordering::SeqCst);
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                socket.write_all(answer.as_bytes()).await.unwrap();
                socket.shutdown().await.ok();
            }
        });
        let aws = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .http_client(crate::aws::https_client())
            .region(aws_config::Region::new("eu-central-1"))
            .endpoint_url(url)
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::for_tests(),
                ),
            )
            .retry_config(
                aws_config::retry::RetryConfig::standard()
                    .with_initial_backoff(std::time::Duration::from_millis(10)),
            )
            .build();
        (aws, asked)
    }

    async fn read_request(socket: &mut tokio::net::TcpStream) {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            seen.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
            if let Some(end) = text.find("\r\n\r\n") {
                let length = text
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if seen.len() >= end + 4 + length || n == 0 {
                    return;
                }
            }
        }
    }

    const THROTTLED: (u16, &str) = (
        400,
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>\
         <Message>Maximum sending rate exceeded.</Message></Error></ErrorResponse>",
    );
    const SENT: (u16, &str) = (
        200,
        "<SendEmailResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\
         <SendEmailResult><MessageId>0100-sent</MessageId></SendEmailResult>\
         </SendEmailResponse>",
    );
    const REJECTED: (u16, &str) = (
        400,
        "<ErrorResponse><Error><Type>Sender</Type><Code>MessageRejected</Code>\
         <Message>Email address is not verified.</Message></Error></ErrorResponse>",
    );

    fn mail() -> StatusMail {
        StatusMail {
            subject: "Registered: example.de".into(),
            body: "Done.".into(),
        }
    }

    #[tokio::test]
    async fn a_throttled_send_is_retried_within_the_run() {
        let (aws, asked) = ses_answering(vec![THROTTLED, SENT]).await;
        let mailer = SesMailer::new(&aws, "noreply@provider.example", None);
        let id = mailer.send("owner@customer.example", &mail()).await;
        assert_eq!(id.unwrap(), "0100-sent");
        assert_eq!(asked.load(Ordering::SeqCst), 2, "one throttle, one retry");
    }

    #[tokio::test]
    async fn a_refused_mail_is_given_up_at_once() {
        let (aws, asked) = ses_answering(vec![REJECTED, SENT]).await;
        let mailer = SesMailer::new(&aws, "noreply@provider.example", None);
        let err = mailer
            .send("owner@customer.example", &mail())
            .await
            .unwrap_err();
        assert!(err.permanent, "{err:?}");
        assert!(err.message.contains("MessageRejected"), "{}", err.message);
        assert_eq!(asked.load(Ordering::SeqCst), 1, "no retry of a refusal");
    }

    #[tokio::test]
    async fn a_throttle_that_outlasts_the_retries_may_heal_later() {
        let (aws, asked) = ses_answering(vec![THROTTLED; 3]).await;
        let mailer = SesMailer::new(&aws, "noreply@provider.example", None);
        let err = mailer
            .send("owner@customer.example", &mail())
            .await
            .unwrap_err();
        assert!(!err.permanent, "{err:?}");
        assert!(err.message.contains("Throttling"), "{}", err.message);
        assert_eq!(asked.load(Ordering::SeqCst), 3, "the SDK's three attempts");
    }

    #[test]
    fn the_request_is_a_plain_text_utf8_mail_with_its_configuration_set() {
        let aws = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-central-1"))
            .build();
        let mail = StatusMail {
            subject: "Registriert: münchen.de".into(),
            body: "Grüße".into(),
        };
        let plain = SesMailer::new(&aws, "noreply@provider.example", None);
        let input = plain.request("owner@customer.example", &mail).unwrap();
        assert_eq!(input.source.as_deref(), Some("noreply@provider.example"));
        assert_eq!(
            input.destination.unwrap().to_addresses(),
            ["owner@customer.example"]
        );
        let message = input.message.unwrap();
        let subject = message.subject().unwrap();
        assert_eq!(
            (subject.data(), subject.charset()),
            ("Registriert: münchen.de", Some("UTF-8"))
        );
        let body = message.body().unwrap().text().unwrap();
        assert_eq!((body.data(), body.charset()), ("Grüße", Some("UTF-8")));
        assert!(message.body().unwrap().html().is_none());
        assert!(input.configuration_set_name.is_none());
        let with_set = SesMailer::new(&aws, "noreply@provider.example", Some("tracked".into()));
        assert_eq!(
            with_set
                .request("a@b.example", &mail)
                .unwrap()
                .configuration_set_name
                .as_deref(),
            Some("tracked")
        );
    }
}
