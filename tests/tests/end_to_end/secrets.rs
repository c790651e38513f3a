//! Secrets never leave their place. Every workflow runs with
//! recognisable password, token key and auth-code values — registration,
//! transfers (one lost at the gateway, so reconciliation unseals its auth
//! code and sends it again), result mails, name-server and contact changes,
//! cancellation, status mails and the operator CLI — and none of those values
//! may appear in a log line, an action-log entry, a stored XML document, a
//! queued status mail or the CLI's output.

use std::time::Duration;

use e2e::{
    captured_logs, event, text, Options, World, GATEWAY_PASSWORD, REPLY_SECRET, SEALING_SECRET,
};
use internetx_simulator::Fault;
use registrar::workflows::reconcile::ReconcilePolicy;
use serde_json::json;

const AUTH_CODE: &str = "Auth-S3cr3t-<&>\"'-7731";

fn secrets() -> Vec<String> {
    vec![
        GATEWAY_PASSWORD.to_owned(),
        REPLY_SECRET.to_owned(),
        SEALING_SECRET.to_owned(),
        AUTH_CODE.to_owned(),
        // As it travels in XML, and its distinctive core.
        "Auth-S3cr3t-&lt;&amp;&gt;".to_owned(),
        "S3cr3t".to_owned(),
        "X7#k2".to_owned(),
    ]
}

#[tokio::test]
async fn no_secret_reaches_a_log_the_table_a_mail_or_the_cli() {
    let w = World::start_with(Options {
        status_mails: true,
        faults: vec![("moving-example.com".into(), Fault::ResetBeforeProcessing)],
        gateway_timeout: Duration::from_secs(2),
        ..Options::default()
    })
    .await;
    let mut order = event("order-paid.json");
    order["detail"]["account"]["email"] = json!("billing@customer.example");
    w.send(&order).await.unwrap();
    let mut transfer = event("domain-requested-transfer-provider.json");
    transfer["detail"]["auth_code"] = json!(AUTH_CODE);
    transfer["detail"]["account"]["email"] = json!("ops@provider.example");
    w.send(&transfer).await.unwrap();
    w.send(&event("domain-requested-provider.json"))
        .await
        .unwrap();
    w.wait_for_status("provider-example.net", "Registered")
        .await;
    for change in [
        "nameservers-change-requested.json",
        "contacts-change-requested.json",
    ] {
        w.send(&event(change)).await.unwrap();
        w.wait_for_status("provider-example.net", "Registered")
            .await;
    }
    w.send(&event("cancellation-requested.json")).await.unwrap();
    w.wait_for_status("provider-example.net", "Cancelled").await;

    // The lost transfer is never sent again by reconciliation: given up,
    // then an operator retries it, auth code unsealed.
    let run = w
        .reconcile(ReconcilePolicy {
            after: time::Duration::ZERO,
            give_up: time::Duration::ZERO,
            stuck_after: time::Duration::days(2),
            batch: 100,
        })
        .await;
    assert_eq!(run["given_up"], 1, "{run}");
    let name = registrar::DomainName::parse("moving-example.com").unwrap();
    w.app
        .registrar
        .retry(&name, registrar::workflows::retry::Absence::NoJobConfirmed)
        .await
        .unwrap()
        .unwrap();
    w.wait_for_status("moving-example.com", "Registered").await;
    let resent = w.simulator.tasks_with_code("0104");
    assert!(
        resent
            .iter()
            .any(|r| r.xml.contains("Auth-S3cr3t-&lt;&amp;&gt;")),
        "the resend carried the auth code to InterNetX"
    );

    let mails = adapters::wiring::status_mails(
        &w.status_mail_config(e2e::STATUS_MAIL_FROM),
        &w.aws,
        Some(e2e::opening_sealer()),
    );
    let sent = e2e::status_mail_run(&mails, 100).await;
    assert!(sent["sent"].as_u64().unwrap() >= 3, "{sent}");

    let (ok, show, _) = w.cli(&["show", "moving-example.com"]).await;
    assert!(ok);
    let (ok, list, _) = w.cli(&["domains", "--json"]).await;
    assert!(ok);

    let table = format!("{:?}", w.scan().await);
    assert!(
        table.contains("request_xml") && table.contains("NOTICE"),
        "the table holds the XML and the notices"
    );
    let logs = captured_logs();
    assert!(
        logs.contains("request claimed"),
        "the logs were not captured"
    );
    for secret in secrets() {
        assert!(!table.contains(&secret), "{secret:?} stored in the table");
        assert!(!logs.contains(&secret), "{secret:?} written to the log");
        assert!(
            !show.contains(&secret) && !list.contains(&secret),
            "{secret:?} shown by the CLI"
        );
    }
    // The transfer's auth code was kept sealed for the retry (which used
    // it) and is gone once the transfer succeeded (security review L2).
    let item = w.domain("moving-example.com").await.unwrap();
    assert!(text(&item, "pending_auth_code").is_empty());
}

/// A password kept as an SSM SecureString: the configuration asks SSM for
/// it (signed, decrypted) at cold start; a parameter that is not there
/// fails the cold start naming the variable and SSM's reason.
#[tokio::test]
async fn a_password_in_ssm_parameter_store_is_read_at_cold_start() {
    let moto = e2e::Moto::start().await;
    let aws = moto.sdk_config().await;
    let put = internetx::https::client_builder()
        .build()
        .expect("a client")
        .post(&moto.endpoint)
        .header("Content-Type", "application/x-amz-json-1.1")
        .header("X-Amz-Target", "AmazonSSM.PutParameter")
        .header(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=testing/20261130/us-east-1/ssm/aws4_request, \
             SignedHeaders=host, Signature=0",
        )
        .body(
            json!({"Name": "/bridge/internetx-password", "Value": "from-ssm-4711",
                   "Type": "SecureString"})
            .to_string(),
        )
        .send()
        .await
        .expect("moto answers");
    assert!(put.status().is_success(), "{:?}", put.text().await);

    let env = |reference: &'static str| {
        [
            ("DOMAIN_TABLE", "domains"),
            ("INTERNETX_URL", "https://gateway.autodns.com"),
            ("INTERNETX_USER", "api"),
            ("INTERNETX_CONTEXT", "4"),
            ("INTERNETX_PASSWORD_SECRET", reference),
            ("REPLY_TO_ADDRESS", "internetx@inbound.example.net"),
            ("REPLY_TOKEN_SECRET", "0123456789abcdef"),
        ]
    };
    for reference in [
        "/bridge/internetx-password",
        "ssm:/bridge/internetx-password",
    ] {
        let config = adapters::Config::from_env(&env(reference), &aws)
            .await
            .unwrap_or_else(|e| panic!("{reference}: {e}"));
        assert_eq!(config.internetx_password.expose(), "from-ssm-4711");
    }
    let missing = adapters::Config::from_env(&env("/bridge/nothing-here"), &aws)
        .await
        .expect_err("a parameter that is not there");
    let message = missing.to_string();
    assert!(
        message.contains("INTERNETX_PASSWORD_SECRET") && message.contains("ParameterNotFound"),
        "{message}"
    );
}
