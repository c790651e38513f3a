//! The functions' environment in the tests: what `infra/template.yaml`
//! gives the functions (moto's Lambda functions, as `tests/stack.py` read
//! them back), changed only where a test must differ — each difference is
//! one line of [`FunctionEnv::of_stack`], with why. The in-process
//! functions, `cargo lambda watch` and the CLI all get it, and the
//! functions' configuration is built from it by the production
//! `Config::from_env` / `MailConfig::from_env`: the harness keeps no second
//! copy that could drift from the template.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::StackInfo;

/// What a test varies, besides the stack's parameters.
pub struct Differences<'a> {
    pub gateway_url: &'a str,
    pub moto_endpoint: &'a str,
    pub gateway_rate: f64,
    pub gateway_timeout: Duration,
    pub fan_out: bool,
    pub defaults: &'a registrar::defaults::RequestDefaults,
}

#[derive(Debug, Clone, Default)]
pub struct FunctionEnv(BTreeMap<String, String>);

impl adapters::config::Env for FunctionEnv {
    /// As Lambda passes it and `ProcessEnv` reads it: an empty value is unset.
    fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).filter(|v| !v.trim().is_empty()).cloned()
    }
}

impl FunctionEnv {
    /// The functions' variables from the stack, then the tests'
    /// differences. One process serves them all here (`cargo lambda watch`,
    /// the CLI), so their variables are joined, the first function's value
    /// kept where another differs: the domain-events function's before the
    /// mail function's, then the others' (status-mails withholds the
    /// reply-token secret with an empty value, which must not unset it for
    /// the rest).
    pub fn of_stack(stack: &StackInfo, d: &Differences<'_>) -> Self {
        let mut vars = BTreeMap::new();
        let functions = stack.facts["functions"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let first = ["DomainEventsFunction", "InboundMailFunction"];
        let ordered = first.iter().filter_map(|name| functions.get(*name)).chain(
            functions
                .iter()
                .filter(|(name, _)| !first.contains(&name.as_str()))
                .map(|(_, f)| f),
        );
        for function in ordered {
            if let Some(env) = function["environment"].as_object() {
                for (k, v) in env {
                    // Lambda's variables are text; moto reads numbers back as numbers.
                    let text = match v {
                        serde_json::Value::String(text) => text.clone(),
                        other => other.to_string(),
                    };
                    vars.entry(k.clone()).or_insert(text);
                }
            }
        }
        assert!(
            vars.contains_key("DOMAIN_TABLE"),
            "the stack's functions have no environment: {:?}",
            stack.facts["functions"]
        );
        let mut set = |name: &str, value: String| {
            vars.insert(name.to_owned(), value);
        };
        // moto's Lambda functions come without the template's Secrets
        // Manager references; the tests give the values the simulator and
        // the tests' sealer know (the functions read either form).
        set("INTERNETX_PASSWORD", crate::GATEWAY_PASSWORD.to_owned());
        set("REPLY_TOKEN_SECRET", crate::REPLY_SECRET.to_owned());
        set("SEALING_SECRET", crate::SEALING_SECRET.to_owned());
        // The gateway is the simulator.
        set("INTERNETX_URL", d.gateway_url.to_owned());
        // The simulator takes far more than InterNetX's 3/s: tests stay quick.
        set(
            "INTERNETX_MAX_REQUESTS_PER_SECOND",
            d.gateway_rate.to_string(),
        );
        // Fault tests wait out a silent gateway in seconds, not half a minute.
        set(
            "INTERNETX_TIMEOUT_SECONDS",
            d.gateway_timeout.as_secs().max(1).to_string(),
        );
        set("INTERNETX_CONNECT_TIMEOUT_SECONDS", "2".into());
        // moto is AWS, on loopback; its S3 serves buckets by path.
        set("AWS_ENDPOINT_URL", d.moto_endpoint.to_owned());
        set("AWS_REGION", "us-east-1".into());
        set("AWS_ACCESS_KEY_ID", "testing".into());
        set("AWS_SECRET_ACCESS_KEY", "testing".into());
        set("S3_FORCE_PATH_STYLE", "true".into());
        // A test's provider defaults (the template's are its parameters').
        for name in [
            "DEFAULT_NAMESERVERS",
            "DEFAULT_ADMIN_HANDLE",
            "DEFAULT_TECH_HANDLE",
            "DEFAULT_ZONE_HANDLE",
            "CONTACT_PROTECTION",
        ] {
            vars.remove(name);
        }
        vars.extend(crate::defaults_env(d.defaults));
        // Without fan-out the domain-events function handles every item
        // itself; with it, the harness plays the queue's poller.
        if !d.fan_out {
            vars.remove("ITEM_QUEUE_URL");
        }
        FunctionEnv(vars)
    }

    pub fn vars(&self) -> Vec<(String, String)> {
        self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    pub fn var(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}
