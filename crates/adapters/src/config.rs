//! Configuration from the environment variables of CONTRACT.md §3, parsed
//! once at cold start. A missing variable fails the start, naming it.
//!
//! Secrets come either as a value (`INTERNETX_PASSWORD`, for local use) or as
//! a reference in `<NAME>_SECRET`: a Secrets Manager secret name or ARN, or an
//! SSM SecureString parameter (a name starting with `/` or an `ssm:` prefix).

use std::time::Duration;

use aws_config::SdkConfig;
use internetx::{Protection, Secret};
use registrar::defaults::RequestDefaults;
use registrar::workflows::reconcile::ReconcilePolicy;
use registrar::workflows::sync::{SyncPolicy, TransferOutPolicy};

#[derive(Debug, Clone)]
pub struct Config {
    pub domain_table: String,
    pub internetx_url: String,
    pub internetx_user: String,
    pub internetx_context: String,
    pub internetx_password: Secret,
    pub reply_to_address: String,
    pub reply_token_secret: Secret,
    /// `SEALING_SECRET` / `SEALING_SECRET_SECRET`: the key of sealed auth
    /// codes. Optional for stacks deployed before it existed: without it the
    /// reply-token secret seals; with it, values sealed under the reply-token
    /// secret still open.
    pub sealing_secret: Option<Secret>,
    pub gateway_connect_timeout: Duration,
    pub gateway_timeout: Duration,
    /// `INTERNETX_MAX_REQUESTS_PER_SECOND` (default 3, InterNetX's limit per IP).
    pub gateway_rate: f64,
    /// `STATUS_MAILS=enabled`: state changes queue status mails.
    pub status_mails: bool,
    /// `ITEM_QUEUE_URL`: where the domain items of paid orders go to be sent
    /// at the gateway's pace; without it they are sent in the event handler.
    pub item_queue_url: Option<String>,
    /// What registrations and transfers take when an item leaves it out.
    pub defaults: RequestDefaults,
    /// `AWAITING_PAYMENT_DAYS` (default 30): how long an unpaid request
    /// holds its name against other customers' unpaid requests.
    pub payment_window: time::Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: environment variable {0} is not set")]
    Missing(&'static str),
    #[error("configuration: {name} is invalid: {problem}")]
    Invalid { name: &'static str, problem: String },
    #[error("configuration: secret {reference} (from {name}) could not be read: {problem}")]
    Secret {
        name: String,
        reference: String,
        problem: String,
    },
}

/// Where variables come from: the process environment, or a map in tests.
pub trait Env {
    fn get(&self, name: &str) -> Option<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl<const N: usize> Env for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<String> {
        self.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

/// Whether `url` names this machine (`localhost`, a loopback address):
/// the one place plain http is allowed (a simulator, moto).
pub fn on_this_machine(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The gateway's URL: `https://`, as every request carries the password;
/// plain `http://` only to a loopback host (the simulator, a local tunnel)
/// — security review N14.
fn gateway_url(url: &str) -> Result<String, ConfigError> {
    let invalid = |problem: String| ConfigError::Invalid {
        name: "INTERNETX_URL",
        problem,
    };
    let parsed = url::Url::parse(url).map_err(|e| invalid(format!("{url:?} is not a URL: {e}")))?;
    let loopback = on_this_machine(&parsed);
    match parsed.scheme() {
        "https" => Ok(url.to_owned()),
        "http" if loopback => Ok(url.to_owned()),
        "http" => Err(invalid(format!(
            "{url:?} is plain http to a host that is not this machine: the password would travel in clear; use https://"
        ))),
        other => Err(invalid(format!("{url:?} is not an http(s) URL ({other})"))),
    }
}

impl Config {
    /// The sealing key, which every process that may seal an auth code must
    /// have: without it a value would be sealed under the reply-token
    /// secret, which the internet-facing mail function holds (security
    /// review N14). `sync` never seals and runs without one.
    pub fn require_sealing(&self) -> Result<(), ConfigError> {
        match self.sealing_secret {
            Some(_) => Ok(()),
            None => Err(ConfigError::Missing("SEALING_SECRET")),
        }
    }

    pub async fn from_env(env: &impl Env, aws: &SdkConfig) -> Result<Self, ConfigError> {
        let required = |name: &'static str| env.get(name).ok_or(ConfigError::Missing(name));
        let url = gateway_url(&required("INTERNETX_URL")?)?;
        let context = required("INTERNETX_CONTEXT")?;
        if context.parse::<u32>().is_err() {
            return Err(ConfigError::Invalid {
                name: "INTERNETX_CONTEXT",
                problem: format!("{context:?} is not a number"),
            });
        }
        Ok(Self {
            domain_table: required("DOMAIN_TABLE")?,
            internetx_url: url,
            internetx_user: required("INTERNETX_USER")?,
            internetx_context: context,
            internetx_password: secret(env, aws, "INTERNETX_PASSWORD", "INTERNETX_PASSWORD_SECRET")
                .await?,
            reply_to_address: required("REPLY_TO_ADDRESS")?,
            reply_token_secret: secret(env, aws, "REPLY_TOKEN_SECRET", "REPLY_TOKEN_SECRET_SECRET")
                .await?,
            sealing_secret: match (env.get("SEALING_SECRET"), env.get("SEALING_SECRET_SECRET")) {
                (None, None) => None,
                _ => Some(secret(env, aws, "SEALING_SECRET", "SEALING_SECRET_SECRET").await?),
            },
            gateway_connect_timeout: seconds(env, "INTERNETX_CONNECT_TIMEOUT_SECONDS", 5)?,
            gateway_timeout: seconds(env, "INTERNETX_TIMEOUT_SECONDS", 30)?,
            gateway_rate: match env.get("INTERNETX_MAX_REQUESTS_PER_SECOND") {
                None => 3.0,
                Some(v) => v
                    .parse::<f64>()
                    .ok()
                    .filter(|r| *r > 0.0 && *r <= 1000.0)
                    .ok_or(ConfigError::Invalid {
                        name: "INTERNETX_MAX_REQUESTS_PER_SECOND",
                        problem: format!("{v:?} is not a rate from 0 to 1000"),
                    })?,
            },
            status_mails: status_mails(env)?,
            item_queue_url: env.get("ITEM_QUEUE_URL"),
            defaults: request_defaults(env)?,
            payment_window: time::Duration::days(bounded(
                env,
                "AWAITING_PAYMENT_DAYS",
                30,
                1..=3650,
            )? as i64),
        })
    }
}

/// The provider's defaults: `DEFAULT_NAMESERVERS` (comma-separated host
/// names, at least two), `DEFAULT_ADMIN_HANDLE`, `DEFAULT_TECH_HANDLE`,
/// `DEFAULT_ZONE_HANDLE` (InterNetX handle ids) and `CONTACT_PROTECTION`
/// (`A` or `B`, default `B` as in every official example). All optional:
/// without them an item must give what it needs itself.
pub fn request_defaults(env: &impl Env) -> Result<RequestDefaults, ConfigError> {
    let nameservers: Vec<String> = env
        .get("DEFAULT_NAMESERVERS")
        .unwrap_or_default()
        .split([',', ' '])
        .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .collect();
    let invalid = |name: &'static str, problem: String| ConfigError::Invalid { name, problem };
    if nameservers.len() == 1 || nameservers.len() > registrar::nameserver::MAX_NAMESERVERS {
        return Err(invalid(
            "DEFAULT_NAMESERVERS",
            format!(
                "{} host(s) given; a default set needs 2 to {}",
                nameservers.len(),
                registrar::nameserver::MAX_NAMESERVERS
            ),
        ));
    }
    for ns in &nameservers {
        registrar::DomainName::parse(ns)
            .map_err(|e| invalid("DEFAULT_NAMESERVERS", format!("{ns:?}: {e}")))?;
    }
    let handle = |name: &'static str| -> Result<Option<String>, ConfigError> {
        match env.get(name) {
            None => Ok(None),
            Some(h) => {
                let h = h.trim().to_owned();
                let valid = h.len() <= 64
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
                if valid {
                    Ok(Some(h))
                } else {
                    Err(invalid(
                        name,
                        format!("{h:?} is not an InterNetX handle id"),
                    ))
                }
            }
        }
    };
    let protection = match env.get("CONTACT_PROTECTION") {
        None => Protection::default(),
        Some(p) => Protection::parse(&p)
            .ok_or_else(|| invalid("CONTACT_PROTECTION", format!("{p:?} is neither A nor B")))?,
    };
    Ok(RequestDefaults {
        nameservers,
        admin: handle("DEFAULT_ADMIN_HANDLE")?,
        tech: handle("DEFAULT_TECH_HANDLE")?,
        zone: handle("DEFAULT_ZONE_HANDLE")?,
        protection,
    })
}

/// The mail function's configuration.
#[derive(Debug, Clone)]
pub struct MailConfig {
    pub domain_table: String,
    /// The bucket SES writes to; events for other buckets are refused.
    pub mail_bucket: String,
    pub inbound_prefix: String,
    pub reply_to_address: String,
    pub reply_token_secret: Secret,
    pub max_mail_bytes: u64,
    /// `ALLOWED_SENDERS`: comma-separated addresses or `@domain`s; empty: any.
    pub allowed_senders: Vec<String>,
    /// `S3_FORCE_PATH_STYLE=true` for S3-compatible endpoints that serve
    /// buckets by path (a local emulator); AWS itself needs no setting.
    pub s3_force_path_style: bool,
    pub status_mails: bool,
}

impl MailConfig {
    pub async fn from_env(env: &impl Env, aws: &SdkConfig) -> Result<Self, ConfigError> {
        let required = |name: &'static str| env.get(name).ok_or(ConfigError::Missing(name));
        let max_mail_bytes = match env.get("MAX_MAIL_BYTES") {
            None => 10 * 1024 * 1024,
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(ConfigError::Invalid {
                    name: "MAX_MAIL_BYTES",
                    problem: format!("{v:?} is not a positive number of bytes"),
                })?,
        };
        Ok(Self {
            domain_table: required("DOMAIN_TABLE")?,
            mail_bucket: required("MAIL_BUCKET")?,
            inbound_prefix: env
                .get("INBOUND_PREFIX")
                .unwrap_or_else(|| "inbound/".into()),
            reply_to_address: required("REPLY_TO_ADDRESS")?,
            reply_token_secret: secret(env, aws, "REPLY_TOKEN_SECRET", "REPLY_TOKEN_SECRET_SECRET")
                .await?,
            max_mail_bytes,
            allowed_senders: env
                .get("ALLOWED_SENDERS")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
            s3_force_path_style: s3_force_path_style(env),
            status_mails: status_mails(env)?,
        })
    }
}

/// `STATUS_MAILS`: `enabled` or `disabled` (the default), as the template's
/// `StatusMails` parameter passes it.
pub fn status_mails(env: &impl Env) -> Result<bool, ConfigError> {
    match env.get("STATUS_MAILS").map(|v| v.to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if v == "enabled" || v == "true" => Ok(true),
        Some(v) if v == "disabled" || v == "false" => Ok(false),
        Some(v) => Err(ConfigError::Invalid {
            name: "STATUS_MAILS",
            problem: format!("{v:?} is not enabled or disabled"),
        }),
    }
}

/// A whole number from the environment within `range`, or `default`.
pub fn bounded(
    env: &impl Env,
    name: &'static str,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    match env.get(name) {
        None => Ok(default),
        Some(v) => {
            v.parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .ok_or(ConfigError::Invalid {
                    name,
                    problem: format!(
                        "{v:?} is not a number from {} to {}",
                        range.start(),
                        range.end()
                    ),
                })
        }
    }
}

/// The `status-mails` function's configuration.
#[derive(Debug, Clone)]
pub struct StatusMailConfig {
    pub domain_table: String,
    /// `STATUS_MAIL_FROM`: a sender SES has verified.
    pub from: String,
    /// `STATUS_MAIL_CONFIGURATION_SET`: optional SES configuration set.
    pub configuration_set: Option<String>,
    /// `STATUS_MAIL_BATCH`: notices per run (default 200).
    pub batch: usize,
    /// `STATUS_MAIL_MAX_ATTEMPTS`: sends before a notice is given up (default 5).
    pub max_attempts: u32,
    /// A claim older than this belongs to a run that died (the function's
    /// timeout is far shorter): 15 minutes.
    pub stale_after: time::Duration,
}

impl StatusMailConfig {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        let required = |name: &'static str| env.get(name).ok_or(ConfigError::Missing(name));
        let from = required("STATUS_MAIL_FROM")?;
        if !registrar::status_mail::valid_email(&from) {
            return Err(ConfigError::Invalid {
                name: "STATUS_MAIL_FROM",
                problem: format!("{from:?} is not a mail address"),
            });
        }
        Ok(Self {
            domain_table: required("DOMAIN_TABLE")?,
            from,
            configuration_set: env.get("STATUS_MAIL_CONFIGURATION_SET"),
            batch: bounded(env, "STATUS_MAIL_BATCH", 200, 1..=1000)? as usize,
            max_attempts: bounded(env, "STATUS_MAIL_MAX_ATTEMPTS", 5, 1..=50)? as u32,
            stale_after: time::Duration::minutes(15),
        })
    }
}

/// The `publish-events` function's configuration.
#[derive(Debug, Clone)]
pub struct PublishConfig {
    pub domain_table: String,
    /// `EVENT_BUS_NAME`: the bus the storefront listens on (name or ARN).
    pub event_bus: String,
}

impl PublishConfig {
    pub fn from_env(env: &impl Env) -> Result<Self, ConfigError> {
        let required = |name: &'static str| env.get(name).ok_or(ConfigError::Missing(name));
        Ok(Self {
            domain_table: required("DOMAIN_TABLE")?,
            event_bus: required("EVENT_BUS_NAME")?,
        })
    }
}

/// What opens sealed auth codes outside the gateway functions (the
/// status-mails function, for the code a customer asked for): the sealing
/// key (`SEALING_SECRET` / `SEALING_SECRET_SECRET`), also opening what the
/// reply-token secret sealed when that is configured too; `None` without
/// either.
pub async fn opening_sealer(
    env: &impl Env,
    aws: &SdkConfig,
) -> Result<Option<registrar::seal::Sealer>, ConfigError> {
    let optional = |value: &'static str, reference: &'static str| {
        env.get(value).is_some() || env.get(reference).is_some()
    };
    let reply = if optional("REPLY_TOKEN_SECRET", "REPLY_TOKEN_SECRET_SECRET") {
        Some(secret(env, aws, "REPLY_TOKEN_SECRET", "REPLY_TOKEN_SECRET_SECRET").await?)
    } else {
        None
    };
    let sealing = if optional("SEALING_SECRET", "SEALING_SECRET_SECRET") {
        Some(secret(env, aws, "SEALING_SECRET", "SEALING_SECRET_SECRET").await?)
    } else {
        None
    };
    Ok(match (sealing, reply) {
        (Some(key), Some(old)) => Some(
            registrar::seal::Sealer::new(key.expose().as_bytes())
                .also_opening(old.expose().as_bytes()),
        ),
        (Some(key), None) => Some(registrar::seal::Sealer::new(key.expose().as_bytes())),
        (None, Some(old)) => Some(registrar::seal::Sealer::new(old.expose().as_bytes())),
        (None, None) => None,
    })
}

/// `S3_FORCE_PATH_STYLE` (`true` or `1`): S3 by path, for S3-compatible
/// endpoints (moto); the mail function's and the CLI's S3 clients alike.
pub fn s3_force_path_style(env: &impl Env) -> bool {
    env.get("S3_FORCE_PATH_STYLE")
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The `reconcile` function's policy. `RECONCILE_AFTER_MINUTES` (default
/// 60): how long an operation may wait for its mail before it is checked.
/// `RECONCILE_GIVE_UP_HOURS` (default 168, transfers can take days): when an
/// operation without evidence ends in `Error`. `RECONCILE_STUCK_HOURS`
/// (default 48, at most the give-up): from when a waiting operation counts
/// as stuck (the `StuckDomains` metric and alarm). `RECONCILE_BATCH` (default
/// 50): domains per run, so a run stays well inside its timeout at the
/// gateway's pace.
pub fn reconcile_policy(env: &impl Env) -> Result<ReconcilePolicy, ConfigError> {
    let minutes = bounded(env, "RECONCILE_AFTER_MINUTES", 60, 0..=100_000)?;
    let hours = bounded(env, "RECONCILE_GIVE_UP_HOURS", 168, 0..=10_000)?;
    let (after, give_up) = (
        time::Duration::minutes(minutes as i64),
        time::Duration::hours(hours as i64),
    );
    if give_up < after {
        return Err(ConfigError::Invalid {
            name: "RECONCILE_GIVE_UP_HOURS",
            problem: "is shorter than RECONCILE_AFTER_MINUTES".into(),
        });
    }
    // An operation never waits longer than the give-up, so neither does the
    // default.
    let stuck = bounded(env, "RECONCILE_STUCK_HOURS", hours.min(48), 0..=10_000)?;
    let stuck_after = time::Duration::hours(stuck as i64);
    if stuck_after > give_up {
        return Err(ConfigError::Invalid {
            name: "RECONCILE_STUCK_HOURS",
            problem: "is longer than RECONCILE_GIVE_UP_HOURS".into(),
        });
    }
    Ok(ReconcilePolicy {
        after,
        give_up,
        stuck_after,
        batch: bounded(env, "RECONCILE_BATCH", 50, 1..=1_000)? as usize,
    })
}

/// The `sync` function's policy: `SYNC_PAGE` (100 domains per list
/// request), `SYNC_PAGES_PER_RUN` (50), `SYNC_CHECKS_PER_RUN` (20 domain-info
/// checks: registry events, then domains the list did not show), and
/// `TRANSFER_OUT_POLICY` with `TRANSFER_OUT_NACK_REASON`.
pub fn sync_policy(env: &impl Env) -> Result<SyncPolicy, ConfigError> {
    Ok(SyncPolicy {
        page: bounded(env, "SYNC_PAGE", 100, 1..=1_000)?,
        pages_per_run: bounded(env, "SYNC_PAGES_PER_RUN", 50, 0..=1_000)? as usize,
        checks_per_run: bounded(env, "SYNC_CHECKS_PER_RUN", 20, 1..=1_000)? as usize,
        transfer_out: transfer_out_policy(env)?,
    })
}

/// `TRANSFER_OUT_POLICY`: `operator` (the default: nothing is answered by
/// itself), `ack`, or `nack-locked` — which needs the `nack_reason` to send
/// in `TRANSFER_OUT_NACK_REASON`: one of InterNetX's six, by number or name
/// ([`internetx::NackReason`]).
pub fn transfer_out_policy(env: &impl Env) -> Result<TransferOutPolicy, ConfigError> {
    let reason = env
        .get("TRANSFER_OUT_NACK_REASON")
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.parse::<internetx::NackReason>()
                .map_err(|e| ConfigError::Invalid {
                    name: "TRANSFER_OUT_NACK_REASON",
                    problem: e.to_string(),
                })
        })
        .transpose()?;
    match env.get("TRANSFER_OUT_POLICY").as_deref().map(str::trim) {
        None | Some("") | Some("operator") => Ok(TransferOutPolicy::Operator),
        Some("ack") => Ok(TransferOutPolicy::Ack),
        Some("nack-locked") => match reason {
            Some(reason) => Ok(TransferOutPolicy::NackWhileLocked { reason }),
            None => Err(ConfigError::Invalid {
                name: "TRANSFER_OUT_NACK_REASON",
                problem: format!(
                    "TRANSFER_OUT_POLICY=nack-locked sends a nack, and a nack needs its reason (nack_reason): one of {}",
                    internetx::NackReason::choices()
                ),
            }),
        },
        Some(_) => Err(ConfigError::Invalid {
            name: "TRANSFER_OUT_POLICY",
            problem: "not one of operator, ack, nack-locked".into(),
        }),
    }
}

fn seconds(env: &impl Env, name: &'static str, default: u64) -> Result<Duration, ConfigError> {
    match env.get(name) {
        None => Ok(Duration::from_secs(default)),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|s| (1..=900).contains(s))
            .map(Duration::from_secs)
            .ok_or(ConfigError::Invalid {
                name,
                problem: format!("{v:?} is not a number of seconds from 1 to 900"),
            }),
    }
}

async fn secret(
    env: &impl Env,
    aws: &SdkConfig,
    value_name: &'static str,
    reference_name: &'static str,
) -> Result<Secret, ConfigError> {
    if let Some(reference) = env.get(reference_name) {
        let fail = |problem: String| ConfigError::Secret {
            name: reference_name.to_owned(),
            reference: reference.clone(),
            problem,
        };
        let value = if let Some(parameter) = ssm_parameter(&reference) {
            Some(
                crate::ssm::secure_string(aws, parameter)
                    .await
                    .map_err(fail)?,
            )
        } else {
            aws_sdk_secretsmanager::Client::new(aws)
                .get_secret_value()
                .secret_id(&reference)
                .send()
                .await
                .map_err(|e| fail(internetx::error_chain(&e)))?
                .secret_string
        };
        return value
            .filter(|v| !v.is_empty())
            .map(Secret::new)
            .ok_or_else(|| fail("it is empty".into()));
    }
    env.get(value_name)
        .map(Secret::new)
        .ok_or(ConfigError::Missing(value_name))
}

fn ssm_parameter(reference: &str) -> Option<&str> {
    if let Some(name) = reference.strip_prefix("ssm:") {
        return Some(name);
    }
    (reference.starts_with('/') || reference.starts_with("arn:aws:ssm:")).then_some(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gateway_is_reached_by_https_or_on_this_machine_only() {
        for ok in [
            "https://gateway.autodns.com",
            "https://demo.autodns.com/gateway/",
            "http://127.0.0.1:8090/",
            "http://localhost:8090",
            "http://[::1]:8090",
        ] {
            assert_eq!(gateway_url(ok).unwrap(), ok);
        }
        for bad in [
            "http://gateway.autodns.com",
            "http://10.0.0.5:8090",
            "http://localhost.evil.example",
            "ftp://gateway.autodns.com",
            "gateway.autodns.com",
        ] {
            let err = gateway_url(bad).unwrap_err().to_string();
            assert!(err.contains("INTERNETX_URL"), "{bad}: {err}");
        }
    }

    #[test]
    fn reconcile_policy_defaults_and_bounds() {
        let p = reconcile_policy(&[("X", "1")]).unwrap();
        assert_eq!(
            (p.after, p.give_up, p.batch),
            (time::Duration::hours(1), time::Duration::days(7), 50)
        );
        assert_eq!(p.stuck_after, time::Duration::hours(48));
        assert!(reconcile_policy(&[("RECONCILE_BATCH", "many")]).is_err());
        let err = reconcile_policy(&[("RECONCILE_STUCK_HOURS", "500")]).unwrap_err();
        assert!(err.to_string().contains("RECONCILE_STUCK_HOURS"), "{err}");
        let err = reconcile_policy(&[("RECONCILE_GIVE_UP_HOURS", "0")]).unwrap_err();
        assert!(err.to_string().contains("RECONCILE_GIVE_UP_HOURS"), "{err}");
    }

    #[test]
    fn the_transfer_out_policy_is_operator_unless_set_and_a_nack_names_its_reason() {
        assert_eq!(
            transfer_out_policy(&[("X", "1")]).unwrap(),
            TransferOutPolicy::Operator
        );
        assert_eq!(
            transfer_out_policy(&[("TRANSFER_OUT_POLICY", "ack")]).unwrap(),
            TransferOutPolicy::Ack
        );
        for given in [" 6 ", "written-objection"] {
            assert_eq!(
                transfer_out_policy(&[
                    ("TRANSFER_OUT_POLICY", "nack-locked"),
                    ("TRANSFER_OUT_NACK_REASON", given),
                ])
                .unwrap(),
                TransferOutPolicy::NackWhileLocked {
                    reason: internetx::NackReason::WrittenObjection
                }
            );
        }
        // Text is not a nack_reason InterNetX takes (D19): refused at start,
        // whatever the policy, with the six values named.
        for policy in ["nack-locked", "operator"] {
            let err = transfer_out_policy(&[
                ("TRANSFER_OUT_POLICY", policy),
                ("TRANSFER_OUT_NACK_REASON", "locked-by-holder"),
            ])
            .unwrap_err();
            assert!(
                err.to_string().contains("TRANSFER_OUT_NACK_REASON"),
                "{err}"
            );
            assert!(err.to_string().contains("4 (identity-dispute)"), "{err}");
        }
        let err = transfer_out_policy(&[("TRANSFER_OUT_POLICY", "nack-locked")]).unwrap_err();
        assert!(
            err.to_string().contains("TRANSFER_OUT_NACK_REASON"),
            "{err}"
        );
        let err = transfer_out_policy(&[("TRANSFER_OUT_POLICY", "yes")]).unwrap_err();
        assert!(err.to_string().contains("TRANSFER_OUT_POLICY"), "{err}");
    }

    #[test]
    fn request_defaults_are_optional_and_checked() {
        let none = request_defaults(&[("X", "1")]).unwrap();
        assert_eq!(none, RequestDefaults::default());
        let set = request_defaults(&[
            ("DEFAULT_NAMESERVERS", "NS1.provider.net., ns2.provider.net"),
            ("DEFAULT_TECH_HANDLE", "12345"),
            ("CONTACT_PROTECTION", "a"),
        ])
        .unwrap();
        assert_eq!(set.nameservers, ["ns1.provider.net", "ns2.provider.net"]);
        assert_eq!(set.tech.as_deref(), Some("12345"));
        assert_eq!(set.protection, Protection::All);
        for bad in [
            ("DEFAULT_NAMESERVERS", "ns1.provider.net"),
            ("DEFAULT_NAMESERVERS", "ns1.provider.net,not a host!"),
            ("DEFAULT_ADMIN_HANDLE", "<x>"),
            ("CONTACT_PROTECTION", "C"),
        ] {
            let err = request_defaults(&[bad]).unwrap_err();
            assert!(err.to_string().contains(bad.0), "{err}");
        }
    }

    fn aws() -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build()
    }

    const FULL: [(&str, &str); 7] = [
        ("DOMAIN_TABLE", "domains"),
        ("INTERNETX_URL", "https://gateway.autodns.com"),
        ("INTERNETX_USER", "api"),
        ("INTERNETX_CONTEXT", "4"),
        ("INTERNETX_PASSWORD", "pw"),
        ("REPLY_TO_ADDRESS", "internetx@inbound.example.net"),
        ("REPLY_TOKEN_SECRET", "0123456789abcdef"),
    ];

    #[tokio::test]
    async fn reads_every_variable() {
        let c = Config::from_env(&FULL, &aws()).await.unwrap();
        assert_eq!(c.domain_table, "domains");
        assert_eq!(c.internetx_password.expose(), "pw");
        assert!(
            !format!("{c:?}").contains("pw\""),
            "password in Debug output"
        );
    }

    #[tokio::test]
    async fn names_the_missing_variable() {
        for missing in FULL.map(|(k, _)| k) {
            let mut env = FULL;
            for entry in env.iter_mut() {
                if entry.0 == missing {
                    *entry = ("UNRELATED", "x");
                }
            }
            let err = Config::from_env(&env, &aws()).await.unwrap_err();
            assert!(err.to_string().contains(missing), "{err}");
        }
    }

    #[tokio::test]
    async fn status_mails_are_off_unless_enabled() {
        assert!(!Config::from_env(&FULL, &aws()).await.unwrap().status_mails);
        assert!(status_mails(&[("STATUS_MAILS", "Enabled")]).unwrap());
        assert!(!status_mails(&[("STATUS_MAILS", "disabled")]).unwrap());
        assert!(status_mails(&[("STATUS_MAILS", "yes please")]).is_err());
        let err = StatusMailConfig::from_env(&[("DOMAIN_TABLE", "t")]).unwrap_err();
        assert!(err.to_string().contains("STATUS_MAIL_FROM"), "{err}");
        let c = StatusMailConfig::from_env(&[
            ("DOMAIN_TABLE", "t"),
            ("STATUS_MAIL_FROM", "noreply@provider.example"),
        ])
        .unwrap();
        assert_eq!((c.batch, c.max_attempts), (200, 5));
    }

    #[test]
    fn tells_ssm_from_secrets_manager() {
        assert_eq!(ssm_parameter("/bridge/password"), Some("/bridge/password"));
        assert_eq!(
            ssm_parameter("ssm:bridge-password"),
            Some("bridge-password")
        );
        assert_eq!(ssm_parameter("bridge/internetx"), None);
    }
}
