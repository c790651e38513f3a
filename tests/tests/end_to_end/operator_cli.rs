//! The operator CLI (`internetx-bridge`) against a table in moto.

use e2e::{event, text, World};

async fn cli(w: &World, args: &[&str]) -> (bool, String, String) {
    w.cli(args).await
}

#[tokio::test]
async fn operators_list_read_and_settle_domains() {
    let w = World::without_mail().await;
    w.send(&event("order-paid.json")).await.unwrap();

    let (ok, table, _) = cli(&w, &["domains"]).await;
    assert!(ok);
    let line = table
        .lines()
        .find(|l| l.starts_with("example.de "))
        .expect(&table);
    assert!(line.contains("Registering") && line.contains('✓'), "{line}");
    assert!(table.contains("(3 domain(s))"), "{table}");

    let (ok, json, _) = cli(&w, &["domains", "--status", "Error", "--json"]).await;
    assert!(ok);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["domain"], "-invalid-.de");

    let (_, pending, _) = cli(&w, &["domains", "--pending-longer-than", "0s", "--json"]).await;
    let pending: serde_json::Value = serde_json::from_str(&pending).unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 2, "{pending}");
    let (_, none, _) = cli(&w, &["domains", "--pending-longer-than", "6h", "--json"]).await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&none)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let (ok, show, _) = cli(&w, &["show", "Example.DE"]).await;
    assert!(ok);
    assert!(
        show.contains("request.sent")
            && show.contains("gateway.replied")
            && show.contains("[N0101]"),
        "{show}"
    );
    assert!(show.contains("in flight   ctid ib-"), "{show}");

    let (ok, said, err) = cli(
        &w,
        &[
            "resolve",
            "example.de",
            "--as",
            "Registered",
            "--reason",
            "confirmed in the AutoDNS UI",
            "--operator",
            "alice",
        ],
    )
    .await;
    assert!(ok, "{err}");
    assert!(said.contains("Registering → Registered"), "{said}");
    let d = w.domain("example.de").await.unwrap();
    assert_eq!(text(&d, "status"), "Registered");
    let last = w.log("example.de").await.pop().unwrap();
    assert_eq!(text(&last, "action"), "operator.resolved");
    assert!(text(&last, "message").contains("by alice: confirmed in the AutoDNS UI"));

    // Refused: the domain is settled; one clear line, non-zero exit.
    let (ok, _, err) = cli(
        &w,
        &["resolve", "example.de", "--as", "Error", "--reason", "x"],
    )
    .await;
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("only a domain with an operation in flight or in Error"),
        "{err}"
    );
    let (ok, _, err) = cli(&w, &["show", "unknown-here.de"]).await;
    assert!(!ok && err.contains("not in the domain table"), "{err}");
}

#[tokio::test]
async fn retry_resends_an_error_domain_only_when_it_is_safe() {
    let w = World::start().await;
    let mut register = event("domain-requested-provider.json");
    register["detail"]["domain"] = serde_json::json!("registry-refuses.de");
    register["detail"]["request_id"] = serde_json::json!("REQ-REFUSED");
    w.send(&register).await.unwrap();
    w.wait_for_status("registry-refuses.de", "Error").await;

    // InterNetX accepted it once: a plain retry is refused.
    let (ok, _, err) = cli(&w, &["retry", "registry-refuses.de"]).await;
    assert!(!ok);
    assert!(
        err.contains("may already have it") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(w.simulator.tasks_with_code("0101").len(), 1);

    // --force asks InterNetX first; it does not list the domain, so it goes.
    let (ok, out, err) = cli(&w, &["retry", "registry-refuses.de", "--force"]).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("does not list") && out.contains("accepted"),
        "{out}"
    );
    assert_eq!(w.simulator.tasks_with_code("0105").len(), 1);
    let sent = w.simulator.tasks_with_code("0101");
    assert_eq!(sent.len(), 2);
    assert_ne!(sent[0].ctid, sent[1].ctid, "a retry has a new ctid");
    // The retried registration carries the stored contacts.
    assert!(
        sent[1]
            .xml
            .contains("<ownerc><alias>ib-owner-registry-refuses.de</alias>"),
        "{}",
        sent[1].xml
    );

    // A domain InterNetX lists is never retried.
    w.send(&event("domain-requested-provider.json"))
        .await
        .unwrap();
    w.wait_for_status("provider-example.net", "Registered")
        .await;
    let (ok, _, err) = cli(&w, &["retry", "provider-example.net", "--force"]).await;
    assert!(!ok);
    assert!(
        err.contains("only a domain in Error") || err.contains("InterNetX lists"),
        "{err}"
    );
}

#[tokio::test]
async fn dead_letters_are_listed_and_replayed() {
    let w = World::without_mail().await;
    let queue = w.stack.output("DeadLetterQueueUrl").to_owned();
    let sqs = aws_sdk_sqs::Client::new(&w.aws);
    let good = event("domain-requested-provider.json");
    let mut broken = event("order-paid.json");
    broken["detail"]["items"] = serde_json::json!("not a list");
    for body in [good.to_string(), broken.to_string()] {
        sqs.send_message()
            .queue_url(&queue)
            .message_body(body)
            .send()
            .await
            .unwrap();
    }
    let (ok, listed, err) = cli(&w, &["dlq", "list", "--queue-url", &queue]).await;
    assert!(ok, "{err}");
    assert!(
        listed.contains("DomainRequested")
            && listed.contains("OrderPaid")
            && listed.contains("2 message(s)"),
        "{listed}"
    );

    let (ok, replayed, err) = cli(&w, &["dlq", "replay", "--queue-url", &queue]).await;
    assert!(ok, "{err}");
    assert!(
        replayed.contains("replayed") && replayed.contains("still failing"),
        "{replayed}"
    );
    let d = w
        .domain("provider-example.net")
        .await
        .expect("the replayed request was handled");
    assert_eq!(text(&d, "status"), "Registering");
    // The broken one stays for a human.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let attributes = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let attrs = attributes.attributes.unwrap_or_default();
    let total: u32 = [
        aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages,
        aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .filter_map(|k| attrs.get(k)?.parse::<u32>().ok())
    .sum();
    assert_eq!(total, 1, "{attrs:?}");
}

/// Security review M6: a mail whose handling failed twice rests in the
/// dead-letter queue as its S3 event; `dlq replay` handles it again.
#[tokio::test]
async fn a_failed_mail_in_the_dead_letter_queue_is_replayed() {
    let w = World::start_with(e2e::Options {
        deliver: e2e::Delivery::Nobody,
        ..e2e::Options::default()
    })
    .await;
    w.send(&event("domain-requested-provider.json"))
        .await
        .unwrap();
    let key = w.first_mail_key().await;
    let queue = w.stack.output("DeadLetterQueueUrl").to_owned();
    let s3_event = internetx_simulator::mailer::s3_event(&w.mail_bucket, &key, 1);
    aws_sdk_sqs::Client::new(&w.aws)
        .send_message()
        .queue_url(&queue)
        .message_body(s3_event.to_string())
        .send()
        .await
        .unwrap();
    let (ok, listed, err) = cli(&w, &["dlq", "list", "--queue-url", &queue]).await;
    assert!(ok && listed.contains("mail inbound/"), "{listed}{err}");
    let (ok, replayed, err) = cli(&w, &["dlq", "replay", "--queue-url", &queue]).await;
    assert!(ok, "{err}");
    assert!(
        replayed.contains("applied") && replayed.contains("replayed"),
        "{replayed}"
    );
    assert_eq!(
        text(&w.domain("provider-example.net").await.unwrap(), "status"),
        "Registered"
    );
    assert_eq!(w.mail_tag(&key).await.as_deref(), Some("applied"));
}

/// The probe for the real thing (issue 14, item 4), run against the
/// simulator: every check's exchange written as a fixture, no secret in any
/// file, the result mails collected, and the live gateway refused.
#[tokio::test]
async fn the_probe_writes_every_exchange_as_a_fixture_without_secrets() {
    let w = World::start_with(e2e::Options {
        rate_limit: Some(3),
        ..e2e::Options::default()
    })
    .await;
    // A domain of the account another registrar asks for (§7.1).
    w.simulator.seed_domains(["leaving.com".to_owned()]);
    w.simulator.start_transfer_out("leaving.com", "greg").await;
    let out = std::env::temp_dir().join(format!("probe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let dir = out.to_str().unwrap();
    let (ok, said, err) = cli(
        &w,
        &[
            "probe",
            "--out",
            dir,
            "--prefix",
            "p1",
            "--nameservers",
            "ns1.provider.net,ns2.provider.net",
            "--wait-mails",
            "3s",
            "--transfer-out-domain",
            "leaving.com",
        ],
    )
    .await;
    assert!(ok, "{said}\n{err}");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let outcome = |check: &str| -> Vec<String> {
        manifest["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["check"] == check)
            .map(|e| e["outcome"].as_str().unwrap().to_owned())
            .collect()
    };
    // The simulator's strict scenario refuses what no example shows.
    assert!(
        outcome("create-without-nameservers")[0].contains("EF01020"),
        "{manifest}"
    );
    assert!(
        outcome("transfer-without-contacts")[0].contains("EF01090"),
        "{manifest}"
    );
    assert!(
        outcome("phone-three-groups")[0].contains("EF01094"),
        "{manifest}"
    );
    assert!(
        outcome("phone-two-groups")[0].contains("N0101"),
        "{manifest}"
    );
    assert!(
        outcome("info-while-create-runs")[0].contains("S0105"),
        "{manifest}"
    );
    assert!(
        outcome("transfer-out-answer-nothing-pending")[0].contains("EF01064"),
        "{manifest}"
    );
    // The audit's round-3 questions are asked (D5, D19, D20, D22, D23,
    // §7): what the simulator's published sources say comes back.
    for (check, answer) in [
        ("create-without-owner-consent", "EF01095"),
        ("transfer-out-info-nothing-pending", "E0106001"),
        ("transfer-out-nack-text-reason", "EF01065"),
        ("transfer-out-info-pending", "S0106001"),
        ("transfer-out-nack-text-pending", "EF01065"),
        ("transfer-out-nack-numbered-pending", "N0106"),
        ("transfer-out-info-after-nack", "E0106001"),
        ("list-limit-5000", "E0105"),
        ("authinfo2-be", "S0113003"),
        ("authinfo2-eu", "S0113003"),
        ("registry-unlock", "0102002"),
        ("info-with-cancelation", "S0105"),
        ("cancelation-withdrawal-execdate-now", "0103103"),
    ] {
        let got = outcome(check);
        assert!(
            got.len() == 1 && got[0].contains(answer),
            "{check}: {answer} expected, {got:?}"
        );
    }
    for check in [
        "transfer-out-nack-numbered-reason",
        "list-with-our-keys",
        "list-limit-1000",
        "authinfo1-create",
        "authinfo1-create-be",
        "authinfo-to-owner",
        "registry-lock",
        "update-nameservers",
        "update-owner",
        "cancelation-withdrawal",
    ] {
        assert_eq!(outcome(check).len(), 1, "{check}: {manifest}");
    }
    let asked = manifest["exchanges"].as_array().unwrap();
    assert!(
        asked
            .iter()
            .all(|e| !e["audit"].as_str().unwrap().is_empty()),
        "every exchange names its audit item"
    );
    let burst = outcome("four-in-one-second");
    assert_eq!(burst.len(), 4);
    assert!(burst.iter().any(|o| o == "HTTP 429"), "{burst:?}");
    assert!(
        !manifest["mails"].as_array().unwrap().is_empty(),
        "the result mails of the probe's requests are collected: {manifest}"
    );
    let mut files = 0;
    for entry in std::fs::read_dir(&out).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            !text.contains(e2e::GATEWAY_PASSWORD),
            "password in a fixture"
        );
        assert!(!text.contains("probe-auth-code"), "auth code in a fixture");
        // The simulator's issued codes (`Sim…&<Auth>`), from 0113001.
        assert!(
            !text.contains("&lt;Auth&gt;"),
            "issued auth code in a fixture"
        );
        assert!(
            !text.contains("internetx+") || text.contains("internetx+TOKEN@"),
            "a reply token in a fixture"
        );
        files += 1;
    }
    assert!(files > 20, "{files} files");

    let (ok, _, err) = cli(
        &w,
        &[
            "probe",
            "--out",
            dir,
            "--url",
            "https://gateway.autodns.com",
            "--user",
            "x",
        ],
    )
    .await;
    assert!(!ok && err.contains("live gateway"), "{err}");
    let _ = std::fs::remove_dir_all(&out);
}

/// A DNS server on loopback that answers every MX question with `host`.
async fn dns_answering(host: std::sync::Arc<std::sync::Mutex<String>>) -> std::net::SocketAddr {
    let socket = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = [0u8; 512];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let query = &buf[..n];
            // Header with the query's id, QR + RD + RA, one question, one answer.
            let mut reply = query[..2].to_vec();
            reply.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
            reply.extend_from_slice(&query[12..]);
            reply.extend_from_slice(&[0xc0, 12, 0, 15, 0, 1, 0, 0, 1, 44]);
            let mut exchange = Vec::new();
            for label in host.lock().unwrap().split('.') {
                exchange.push(label.len() as u8);
                exchange.extend_from_slice(label.as_bytes());
            }
            exchange.push(0);
            reply.extend_from_slice(&((exchange.len() + 2) as u16).to_be_bytes());
            reply.extend_from_slice(&10u16.to_be_bytes());
            reply.extend_from_slice(&exchange);
            let _ = socket.send_to(&reply, from).await;
        }
    });
    addr
}

/// `doctor` before the stack is ready (SES identity unverified, no active
/// rule set, MX elsewhere, no bucket notification, a dead letter waiting)
/// and after each is put right: every line fails with its fix, then
/// passes; the gateway login is checked against the simulator.
#[tokio::test]
async fn doctor_checks_a_deployed_stack_line_by_line() {
    let w = World::without_mail().await;
    let queue = w.stack.output("DeadLetterQueueUrl").to_owned();
    let mx = std::sync::Arc::new(std::sync::Mutex::new("mx.elsewhere.example".to_owned()));
    let resolver = dns_answering(mx.clone()).await.to_string();
    let sqs = aws_sdk_sqs::Client::new(&w.aws);
    sqs.send_message()
        .queue_url(&queue)
        .message_body(event("domain-requested-provider.json").to_string())
        .send()
        .await
        .unwrap();
    let args = [
        "doctor",
        "--queue-url",
        &queue,
        "--inbound-region",
        "us-east-1",
        "--resolver",
        &resolver,
    ];
    let (ok, out, err) = cli(&w, &args).await;
    assert!(!ok, "{out}");
    assert!(err.contains("checks failed"), "{err}");
    let line = |out: &str, check: &str| -> String {
        out.lines()
            .find(|l| l.contains(check))
            .unwrap_or_else(|| panic!("no {check} line in {out}"))
            .to_owned()
    };
    // An empty account tells nothing of its renewal mode (the sample is
    // the login's list page).
    for passing in [
        "domain table",
        "configuration",
        "InterNetX login",
        "renewal mode",
    ] {
        assert!(line(&out, passing).starts_with("ok"), "{out}");
    }
    for failing in [
        "SES identity",
        "receipt rule set",
        "MX record",
        "bucket notification",
        "dead letters",
    ] {
        assert!(line(&out, failing).starts_with("FAIL"), "{failing}: {out}");
    }
    assert!(
        out.contains("fix: aws ses set-active-receipt-rule-set"),
        "{out}"
    );
    assert!(
        out.contains("MX 10 inbound-smtp.us-east-1.amazonaws.com"),
        "{out}"
    );
    assert!(
        out.contains("1 waiting") && out.contains("dlq list"),
        "{out}"
    );

    // Put each right, as the walkthrough in infra/README.md says.
    e2e::verify_in_ses(&w.aws, e2e::INBOUND_DOMAIN).await;
    let rule_set = w
        .stack
        .receipt_rules
        .keys()
        .next()
        .expect("the stack's rule set")
        .to_owned();
    aws_sdk_ses::Client::new(&w.moto.sdk_config().await)
        .set_active_receipt_rule_set()
        .rule_set_name(&rule_set)
        .send()
        .await
        .expect("SES SetActiveReceiptRuleSet");
    *mx.lock().unwrap() = "inbound-smtp.us-east-1.amazonaws.com".to_owned();
    use aws_sdk_s3::types::{
        FilterRule, FilterRuleName, LambdaFunctionConfiguration, NotificationConfiguration,
        NotificationConfigurationFilter, S3KeyFilter,
    };
    let prefix = w.stack.output("InboundPrefix").to_owned();
    w.s3.put_bucket_notification_configuration()
        .bucket(&w.mail_bucket)
        .notification_configuration(
            NotificationConfiguration::builder()
                .lambda_function_configurations(
                    LambdaFunctionConfiguration::builder()
                        .lambda_function_arn(w.stack.output("InboundMailFunctionArn"))
                        .events(aws_sdk_s3::types::Event::S3ObjectCreated)
                        .filter(
                            NotificationConfigurationFilter::builder()
                                .key(
                                    S3KeyFilter::builder()
                                        .filter_rules(
                                            FilterRule::builder()
                                                .name(FilterRuleName::Prefix)
                                                .value(&prefix)
                                                .build(),
                                        )
                                        .build(),
                                )
                                .build(),
                        )
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (ok, out, _) = cli(&w, &args).await;
    assert!(!ok, "the dead letter still waits: {out}");
    for passing in [
        "SES identity",
        "receipt rule set",
        "MX record",
        "bucket notification",
    ] {
        assert!(line(&out, passing).starts_with("ok"), "{passing}: {out}");
    }

    let (ok, replayed, err) = cli(&w, &["dlq", "replay", "--queue-url", &queue]).await;
    assert!(ok, "{replayed}{err}");
    let (ok, out, err) = cli(&w, &args).await;
    assert!(ok, "{out}{err}");
    assert!(out.contains("all 9 checks passed"), "{out}");
}
