//! Status mails to the account: when a domain reaches `Registered`,
//! `Cancelled` or `Error`, the state change that does so also queues one
//! notice (same transaction), so a notice exists exactly when the transition
//! was committed (see [`crate::lifecycle`]). Sending is a separate, retryable
//! step ([`crate::workflows::status_mails`]).

use std::str::FromStr;

use crate::status::{Operation, Status};
use crate::text::is_clean;

/// The language of a status mail (`account.language`); English unless the
/// account asks for German.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    #[default]
    En,
    De,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::De => "de",
        }
    }
}

impl FromStr for Language {
    type Err = String;
    /// `de`, `de-DE`, `DE_at` → German; `en…` → English.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let primary = s.split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "de" => Ok(Language::De),
            "en" => Ok(Language::En),
            _ => Err(format!("language {s:?} is not supported (en, de)")),
        }
    }
}

/// Checks a notification address: one `@`, a dotted domain, no spaces or
/// control characters, at most 254 characters (RFC 5321).
pub fn valid_email(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    address.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && is_clean(address)
        && !address
            .chars()
            .any(|c| c.is_whitespace() || "<>,;\"()[]\\".contains(c))
}

/// One status mail owed to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusNotice {
    pub domain: String,
    pub domain_unicode: String,
    pub status: Status,
    pub operation: Operation,
    pub to: String,
    pub language: Language,
    /// `last_error` of the domain when the status is `Error`.
    pub reason: Option<String>,
    /// The domain item's version that made the transition: one notice per
    /// version, so a repeated transition is a new notice, a repeated write not.
    pub version: u64,
    /// An auth code for the customer, sealed (`AuthCodeRequested`): opened
    /// only to write the mail, dropped from the notice once it ended.
    pub sealed_auth_code: Option<String>,
    /// News of the owner's ICANN verification, when that is what the mail
    /// tells (the status did not move).
    pub verification: Option<VerificationNews>,
}

/// A change of the owner's verification the customer is told of: one mail
/// each (issue 29 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationNews {
    /// A verification started: the owner must click the link InterNetX
    /// mailed, by the deadline.
    Pending {
        deadline: Option<String>,
        address: Option<String>,
    },
    /// The registry holds the domain until the owner is verified.
    Hold,
    /// The owner is verified (again); a hold is lifted.
    Verified,
}

impl VerificationNews {
    pub fn as_str(&self) -> &'static str {
        match self {
            VerificationNews::Pending { .. } => "pending",
            VerificationNews::Hold => "hold",
            VerificationNews::Verified => "verified",
        }
    }

    /// From its stored parts (`as_str`, deadline, address).
    pub fn from_parts(
        kind: &str,
        deadline: Option<String>,
        address: Option<String>,
    ) -> Option<Self> {
        match kind {
            "pending" => Some(VerificationNews::Pending { deadline, address }),
            "hold" => Some(VerificationNews::Hold),
            "verified" => Some(VerificationNews::Verified),
            _ => None,
        }
    }

    fn mail(&self, name: &str, language: Language) -> (String, String) {
        let de = language == Language::De;
        match self {
            VerificationNews::Pending { deadline, address } => {
                let by = deadline.as_deref().map(|d| date_words(d, de));
                let to = address.as_deref().unwrap_or(if de {
                    "die E-Mail-Adresse des Inhabers"
                } else {
                    "the owner's e-mail address"
                });
                if de {
                    (
                        format!("{name}: Bitte bestätigen Sie die E-Mail-Adresse des Inhabers"),
                        format!(
                            "für Ihre Domain {name} verlangt die ICANN eine Bestätigung der Inhaberdaten. Unser Registrar InterNetX hat dazu eine E-Mail an {to} geschickt. Bitte klicken Sie auf den Link darin{}. Ohne Bestätigung wird die Domain gesperrt: Website und E-Mail sind dann nicht erreichbar.",
                            by.map(|d| format!(" bis spätestens {d}")).unwrap_or_default()
                        ),
                    )
                } else {
                    (
                        format!("{name}: please confirm the owner's e-mail address"),
                        format!(
                            "ICANN requires the owner's contact details of your domain {name} to be confirmed. Our registrar InterNetX sent a mail to {to} for this: please click the link in it{}. Without the confirmation the domain is suspended, and its website and e-mail stop working.",
                            by.map(|d| format!(" by {d} at the latest")).unwrap_or_default()
                        ),
                    )
                }
            }
            VerificationNews::Hold if de => (
                format!("{name} ist gesperrt: die Inhaberdaten sind nicht bestätigt"),
                format!("die Registry hat Ihre Domain {name} gesperrt, weil die E-Mail-Adresse des Inhabers nicht bestätigt wurde. Website und E-Mail der Domain sind nicht erreichbar, bis der Inhaber den Link in der Bestätigungs-E-Mail anklickt. Sie können die E-Mail über Ihr Kundencenter erneut anfordern."),
            ),
            VerificationNews::Hold => (
                format!("{name} is suspended: the owner is not verified"),
                format!("the registry has suspended your domain {name} because the owner's e-mail address was not confirmed. Its website and e-mail do not work until the owner clicks the link in the verification mail. You can have the mail sent again from your control center."),
            ),
            VerificationNews::Verified if de => (
                format!("{name}: die Inhaberdaten sind bestätigt"),
                format!("die E-Mail-Adresse des Inhabers Ihrer Domain {name} ist bestätigt. Die Domain ist aktiv; eine Sperre ist aufgehoben."),
            ),
            VerificationNews::Verified => (
                format!("{name}: the owner is verified"),
                format!("the owner's e-mail address of your domain {name} is confirmed. The domain is active; any suspension is lifted."),
            ),
        }
    }
}

/// An RFC 3339 UTC time as a reader expects it: `17 December 2026, 14:29
/// UTC` (`17.12.2026, 14:29 UTC`); what cannot be read stays as written.
fn date_words(at: &str, de: bool) -> String {
    let Some(t) = crate::log::parse_timestamp(at) else {
        return at.to_owned();
    };
    let (day, year, hour, minute) = (t.day(), t.year(), t.hour(), t.minute());
    if de {
        let month = u8::from(t.month());
        format!("{day:02}.{month:02}.{year}, {hour:02}:{minute:02} UTC")
    } else {
        format!("{day} {} {year}, {hour:02}:{minute:02} UTC", t.month())
    }
}

/// A plain-text mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMail {
    pub subject: String,
    pub body: String,
}

impl StatusNotice {
    /// The mail, in the account's language. It names the domain, the
    /// outcome and, on error, the cause in plain words; the technical detail
    /// follows for the provider's support, and no secret is ever in it (auth
    /// codes never reach `last_error`).
    pub fn compose(&self) -> StatusMail {
        self.compose_with(None)
    }

    /// The mail, with the auth code opened from `sealed_auth_code` when
    /// the notice carries one (only the status-mails function can open it).
    pub fn compose_with(&self, auth_code: Option<&str>) -> StatusMail {
        let name = if self.domain_unicode != self.domain {
            format!("{} ({})", self.domain_unicode, self.domain)
        } else {
            self.domain.clone()
        };
        let words = Words::of(self.language);
        if let Some(news) = &self.verification {
            let (subject, lead) = news.mail(&name, self.language);
            return StatusMail {
                subject,
                body: format!("{}\n\n{lead}\n\n{}\n", words.greeting, words.signature),
            };
        }
        let auth = (self.operation == Operation::AuthCode && self.status == Status::Registered)
            .then_some(auth_code)
            .flatten();
        let failed = self.status == Status::Error || self.reason.is_some();
        let (subject, lead) = match self.status {
            _ if failed => (words.error_subject, words.error),
            Status::Registered if auth.is_some() => (words.auth_subject, words.auth),
            Status::Cancelled => (words.cancelled_subject, words.cancelled),
            Status::TransferredAway => (words.away_subject, words.away),
            Status::Deleted => (words.deleted_subject, words.deleted),
            _ => match self.operation {
                Operation::Register => (words.registered_subject, words.registered),
                Operation::Transfer => (words.transferred_subject, words.transferred),
                _ => (words.updated_subject, words.updated),
            },
        };
        let mut body = format!(
            "{}\n\n{}\n",
            words.greeting,
            lead.replace("{domain}", &name)
                .replace("{code}", auth.unwrap_or_default())
        );
        if failed {
            body.push_str(&format!(
                "\n{}\n",
                cause(self.operation, self.reason.as_deref(), self.language)
            ));
            if let Some(detail) = &self.reason {
                body.push_str(&format!("\n{} {detail}\n", words.detail));
            }
            body.push_str(&format!("\n{}\n", words.next_steps));
        }
        body.push_str(&format!("\n{}\n", words.signature));
        StatusMail {
            subject: subject.replace("{domain}", &name),
            body,
        }
    }
}

/// The fixed sentences of a status mail in one language.
struct Words {
    greeting: &'static str,
    registered_subject: &'static str,
    registered: &'static str,
    transferred_subject: &'static str,
    transferred: &'static str,
    updated_subject: &'static str,
    updated: &'static str,
    cancelled_subject: &'static str,
    cancelled: &'static str,
    error_subject: &'static str,
    error: &'static str,
    auth_subject: &'static str,
    auth: &'static str,
    away_subject: &'static str,
    away: &'static str,
    deleted_subject: &'static str,
    deleted: &'static str,
    detail: &'static str,
    next_steps: &'static str,
    signature: &'static str,
}

impl Words {
    fn of(language: Language) -> &'static Words {
        match language {
            Language::En => &EN,
            Language::De => &DE,
        }
    }
}

const EN: Words = Words {
    greeting: "Hello,",
    registered_subject: "{domain} is registered",
    registered: "your domain {domain} is now registered and ready to use.",
    transferred_subject: "{domain} has been transferred",
    transferred: "the transfer of your domain {domain} is complete.",
    updated_subject: "{domain} has been updated",
    updated: "the change to your domain {domain} is complete.",
    cancelled_subject: "{domain} is cancelled",
    cancelled: "the cancellation of your domain {domain} is confirmed. The domain stays active until the end of its current term and is then not renewed.",
    error_subject: "{domain}: your request could not be completed",
    error: "we could not complete your request for the domain {domain}.",
    auth_subject: "{domain}: your auth code",
    auth: "the auth code (AuthInfo) for your domain {domain} is:\n\n    {code}\n\nUse it soon: a code is valid only for a while (for .de at most 30 days). Give it to your new provider to move the domain there; keep it to yourself otherwise.",
    away_subject: "{domain} has left your account",
    away: "your domain {domain} is no longer managed by us: it was transferred to another provider. If you did not ask for this, please contact our support at once.",
    deleted_subject: "{domain} has been deleted",
    deleted: "your domain {domain} has been deleted at the end of its term, as you cancelled it.",
    detail: "Technical detail for our support:",
    next_steps: "Please check the details above or reply to this mail; our support will help you.",
    signature: "This message was sent automatically.",
};

const DE: Words = Words {
    greeting: "Guten Tag,",
    registered_subject: "{domain} ist registriert",
    registered: "Ihre Domain {domain} ist jetzt registriert und einsatzbereit.",
    transferred_subject: "{domain} wurde übertragen",
    transferred: "der Transfer Ihrer Domain {domain} ist abgeschlossen.",
    updated_subject: "{domain} wurde geändert",
    updated: "die Änderung an Ihrer Domain {domain} ist abgeschlossen.",
    cancelled_subject: "{domain} ist gekündigt",
    cancelled: "die Kündigung Ihrer Domain {domain} ist bestätigt. Die Domain bleibt bis zum Ende der laufenden Laufzeit aktiv und wird danach nicht verlängert.",
    error_subject: "{domain}: Ihr Auftrag konnte nicht ausgeführt werden",
    error: "Ihr Auftrag für die Domain {domain} konnte nicht ausgeführt werden.",
    auth_subject: "{domain}: Ihr Auth-Code",
    auth: "der Auth-Code (AuthInfo) für Ihre Domain {domain} lautet:\n\n    {code}\n\nVerwenden Sie ihn bald: Ein Code gilt nur eine Zeit lang (bei .de höchstens 30 Tage). Geben Sie ihn Ihrem neuen Anbieter, um die Domain dorthin umzuziehen; sonst behalten Sie ihn bitte für sich.",
    away_subject: "{domain} wird nicht mehr von uns verwaltet",
    away: "Ihre Domain {domain} wird nicht mehr von uns verwaltet: Sie wurde zu einem anderen Anbieter übertragen. Falls Sie das nicht veranlasst haben, wenden Sie sich bitte sofort an unseren Support.",
    deleted_subject: "{domain} wurde gelöscht",
    deleted: "Ihre Domain {domain} wurde zum Ende der Laufzeit gelöscht, wie von Ihnen gekündigt.",
    detail: "Technische Angabe für unseren Support:",
    next_steps: "Bitte prüfen Sie die Angaben oder antworten Sie auf diese Nachricht; unser Support hilft Ihnen gern.",
    signature: "Diese Nachricht wurde automatisch versandt.",
};

/// The likely cause in a customer's words, read from the gateway's reason.
fn cause(operation: Operation, reason: Option<&str>, language: Language) -> &'static str {
    let reason = reason.unwrap_or_default().to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| reason.contains(w));
    let de = language == Language::De;
    if operation == Operation::Transfer && has(&["auth", "authinfo", "refus", "denied", "reject"]) {
        return if de {
            "Der bisherige Anbieter oder Inhaber hat den Transfer abgelehnt, oder der Auth-Code war nicht gültig."
        } else {
            "The current registrar or holder refused the transfer, or the auth code was not valid."
        };
    }
    if has(&[
        "exist",
        "taken",
        "not available",
        "already registered",
        "unavailable",
    ]) {
        return if de {
            "Die Domain ist bereits vergeben."
        } else {
            "The domain is already registered to someone else."
        };
    }
    if has(&["contact", "owner", "handle", "address", "phone", "country"]) {
        return if de {
            "Die Kontaktdaten des Inhabers wurden von der Registry nicht akzeptiert."
        } else {
            "The registry did not accept the holder's contact details."
        };
    }
    if has(&["nameserver", "name server", "name-server", "dns", "glue"]) {
        return if de {
            "Die Nameserver wurden von der Registry nicht akzeptiert."
        } else {
            "The registry did not accept the name servers."
        };
    }
    match (operation, de) {
        (Operation::Register, false) => "The registry did not accept the registration.",
        (Operation::Register, true) => "Die Registry hat die Registrierung nicht angenommen.",
        (Operation::Transfer, false) => "The transfer did not complete.",
        (Operation::Transfer, true) => "Der Transfer wurde nicht abgeschlossen.",
        (Operation::Cancel, false) => "The registry did not accept the cancellation.",
        (Operation::Cancel, true) => "Die Registry hat die Kündigung nicht angenommen.",
        (_, false) => "The registry did not accept the change.",
        (_, true) => "Die Registry hat die Änderung nicht angenommen.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settled(status: Status, email: Option<&str>) -> Option<StatusNotice> {
        Some(StatusNotice {
            domain: "example.de".into(),
            domain_unicode: "example.de".into(),
            status,
            operation: Operation::Register,
            to: email?.to_owned(),
            language: Language::En,
            reason: (status == Status::Error)
                .then(|| "EF01090 owner contact country missing".to_owned()),
            version: 4,
            sealed_auth_code: None,
            verification: None,
        })
    }

    #[test]
    fn verification_mails_name_the_deadline_and_address_in_both_languages() {
        let mut notice = settled(Status::Registered, Some("c@example.net")).expect("notice");
        notice.domain = "example.com".into();
        notice.domain_unicode = "example.com".into();
        notice.verification = Some(VerificationNews::Pending {
            deadline: Some("2026-12-17T14:29:00Z".into()),
            address: Some("owner@owner.example".into()),
        });
        let mail = notice.compose();
        assert_eq!(
            mail.subject,
            "example.com: please confirm the owner's e-mail address"
        );
        assert!(mail.body.contains("owner@owner.example"), "{}", mail.body);
        assert!(
            mail.body.contains("17 December 2026, 14:29 UTC"),
            "{}",
            mail.body
        );
        assert!(!mail.body.contains("is registered"), "{}", mail.body);
        notice.language = Language::De;
        let mail = notice.compose();
        assert!(mail.body.contains("17.12.2026, 14:29 UTC"), "{}", mail.body);
        assert!(mail.subject.contains("bestätigen"), "{}", mail.subject);
        notice.verification = Some(VerificationNews::Hold);
        assert!(notice.compose().subject.contains("gesperrt"));
        notice.language = Language::En;
        assert!(notice.compose().subject.contains("suspended"));
        notice.verification = Some(VerificationNews::Verified);
        assert_eq!(
            notice.compose().subject,
            "example.com: the owner is verified"
        );
        for news in [
            VerificationNews::Pending {
                deadline: None,
                address: None,
            },
            VerificationNews::Hold,
            VerificationNews::Verified,
        ] {
            let back = VerificationNews::from_parts(news.as_str(), None, None);
            assert_eq!(
                back.as_ref().map(VerificationNews::as_str),
                Some(news.as_str())
            );
        }
    }

    #[test]
    fn an_error_mail_names_the_cause_in_plain_words_and_the_detail() {
        let notice = settled(Status::Error, Some("c@example.net")).expect("notice");
        let mail = notice.compose();
        assert_eq!(
            mail.subject,
            "example.de: your request could not be completed"
        );
        assert!(mail
            .body
            .contains("The registry did not accept the holder's contact details."));
        assert!(mail.body.contains("EF01090 owner contact country missing"));

        let german = StatusNotice {
            language: Language::De,
            ..notice
        }
        .compose();
        assert!(german.body.contains("Kontaktdaten des Inhabers"));
        assert!(german.subject.contains("nicht ausgeführt"));
    }

    #[test]
    fn success_mails_say_what_was_done_with_the_unicode_name() {
        let mut notice = settled(Status::Registered, Some("c@example.net")).expect("notice");
        notice.domain = "xn--mller-kva.de".into();
        notice.domain_unicode = "müller.de".into();
        let mail = notice.compose();
        assert_eq!(mail.subject, "müller.de (xn--mller-kva.de) is registered");
        assert!(!mail.body.contains("Technical detail"));
        notice.status = Status::Cancelled;
        notice.operation = Operation::Cancel;
        assert!(notice.compose().subject.ends_with("is cancelled"));
    }

    #[test]
    fn a_domain_gone_from_the_account_is_told_in_both_languages() {
        let mut notice = settled(Status::TransferredAway, Some("c@example.net")).expect("notice");
        let mail = notice.compose();
        assert_eq!(mail.subject, "example.de has left your account");
        assert!(
            mail.body.contains("transferred to another provider"),
            "{}",
            mail.body
        );
        notice.language = Language::De;
        notice.status = Status::Deleted;
        let mail = notice.compose();
        assert_eq!(mail.subject, "example.de wurde gelöscht");
        assert!(mail.body.contains("gekündigt"), "{}", mail.body);
    }

    #[test]
    fn transfer_refusals_and_taken_names_read_as_such() {
        assert!(cause(
            Operation::Transfer,
            Some("0104 authinfo wrong"),
            Language::En
        )
        .contains("auth code"));
        assert!(cause(
            Operation::Register,
            Some("EF02010 domain already exists"),
            Language::En
        )
        .contains("already registered"));
        assert!(cause(Operation::Cancel, None, Language::De).contains("Kündigung"));
    }

    #[test]
    fn addresses_and_languages_are_checked() {
        assert!(valid_email("billing@customer.example"));
        for bad in [
            "",
            "a",
            "a@b",
            "@x.de",
            "a b@x.de",
            "a@x.de\n",
            "a@.de",
            "a@x.de,b@y.de",
            "<a@x.de>",
        ] {
            assert!(!valid_email(bad), "{bad:?}");
        }
        assert_eq!("de-DE".parse::<Language>(), Ok(Language::De));
        assert_eq!("EN".parse::<Language>(), Ok(Language::En));
        assert!("fr".parse::<Language>().is_err());
    }
}
