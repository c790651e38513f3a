//! Status mails out through SES (v2 `SendEmail`, plain text, UTF-8).

use aws_sdk_sesv2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_sdk_sesv2::Client;
use registrar::ports::{MailError, Mailer};
use registrar::status_mail::StatusMail;

#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        Self {
            client,
            from: from.into(),
            configuration_set,
        }
    }
}

fn text(data: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError {
            message: e.to_string(),
            permanent: true,
        })
}

impl Mailer for SesMailer {
    async fn send(&self, to: &str, mail: &StatusMail) -> Result<String, MailError> {
        let message = Message::builder()
            .subject(text(&mail.subject)?)
            .body(Body::builder().text(text(&mail.body)?).build())
            .build();
        let result = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await;
        match result {
            Ok(out) => Ok(out.message_id.unwrap_or_default()),
            Err(SdkError::ServiceError(e)) => {
                let err = e.into_err();
                // Refusals of this mail or this sender do not heal by retrying.
                let permanent = matches!(
                    err,
                    SendEmailError::MessageRejected(_)
                        | SendEmailError::MailFromDomainNotVerifiedException(_)
                        | SendEmailError::AccountSuspendedException(_)
                        | SendEmailError::BadRequestException(_)
                        | SendEmailError::NotFoundException(_)
                );
                Err(MailError {
                    message: format!(
                        "SES SendEmail: {}: {}",
                        err.code().unwrap_or("error"),
                        err.message().unwrap_or("")
                    ),
                    permanent,
                })
            }
            Err(other) => Err(MailError {
                message: format!("SES SendEmail: {}", internetx::error_chain(&other)),
                permanent: false,
            }),
        }
    }
}
