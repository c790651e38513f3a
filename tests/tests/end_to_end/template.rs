//! The SAM template, held against the contract: the stack it creates in moto
//! (and, where moto drops a property, the translated template itself).

use e2e::{Moto, INBOUND_DOMAIN};
use serde_json::Value;

async fn stack() -> (Moto, e2e::StackInfo) {
    Moto::with_stack(&[]).await
}

fn resources_of<'a>(
    template: &'a Value,
    kind: &'a str,
) -> impl Iterator<Item = (&'a String, &'a Value)> + 'a {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(move |(_, r)| r["Type"] == kind)
}

#[tokio::test]
async fn the_table_is_the_contracts_table() {
    let (_moto, info) = stack().await;
    let table = &info.facts["table"];
    assert_eq!(
        table["key_schema"],
        serde_json::json!([{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}])
    );
    assert_eq!(table["billing"], "PAY_PER_REQUEST");
    let index = &table["indexes"][0];
    assert_eq!(index["name"], adapters::dynamo::INFLIGHT_INDEX);
    assert_eq!(index["key_schema"][0]["AttributeName"], "inflight_pk");
    assert_eq!(index["key_schema"][1]["AttributeName"], "inflight_since");
    let (_, t) = resources_of(&info.facts["template"], "AWS::DynamoDB::Table")
        .next()
        .unwrap();
    let p = &t["Properties"];
    assert_eq!(
        p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        true
    );
    assert_eq!(p["SSESpecification"]["SSEEnabled"], true);
    // The TTL on the attribute the code writes, which no domain item has
    // (the unit test `no_domain_item_carries_the_time_to_live`); the old
    // name only to switch it off on the way over.
    let ttl = &p["TimeToLiveSpecification"];
    assert_eq!(
        ttl["AttributeName"]["Fn::If"],
        serde_json::json!([
            "RetiringOldTimeToLive",
            "expires_at",
            adapters::dynamo::layout::TTL_ATTRIBUTE
        ])
    );
    assert_eq!(
        ttl["Enabled"]["Fn::If"],
        serde_json::json!(["RetiringOldTimeToLive", false, true])
    );
    assert_eq!(
        p["DeletionProtectionEnabled"],
        serde_json::json!({"Ref": "DeletionProtection"})
    );
}

#[tokio::test]
async fn every_event_type_has_its_rule() {
    let (_moto, info) = stack().await;
    let rules: Vec<&Value> = info.facts["event_rules"]
        .as_object()
        .unwrap()
        .values()
        .collect();
    for (source, detail_type) in [
        ("storefront", "OrderPaid"),
        ("control-center", "DomainRequested"),
    ] {
        assert!(
            rules
                .iter()
                .any(|p| p["source"][0] == source && p["detail-type"][0] == detail_type),
            "no rule for {source}/{detail_type}: {rules:?}"
        );
    }
    // Every control-center change, the later ones included (issue 17).
    for detail_type in [
        "NameserversChangeRequested",
        "ContactsChangeRequested",
        "CancellationRequested",
        "TransferLockChangeRequested",
        "CancellationWithdrawn",
        "AuthCodeRequested",
        "VerificationResendRequested",
    ] {
        assert!(
            rules.iter().any(|p| p["source"][0] == "control-center"
                && p["detail-type"]
                    .as_array()
                    .is_some_and(|types| types.iter().any(|t| t == detail_type))),
            "no rule for {detail_type}: {rules:?}"
        );
    }
    // Without an allow-list the rules take any account's events…
    assert!(
        rules.iter().all(|p| p.get("account").is_none()),
        "{rules:?}"
    );
    // …and EventBridge may deliver undeliverable ones to the dead-letter
    // queue (a rule's DLQ needs this policy; security review M6).
    let template = &info.facts["template"];
    let (_, policy) = resources_of(template, "AWS::SQS::QueuePolicy")
        .find(|(name, _)| name.as_str() == "DeadLetterQueuePolicy")
        .expect("the dead-letter queue's policy");
    let statement = &policy["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(statement["Principal"]["Service"], "events.amazonaws.com");
    assert_eq!(statement["Action"], "sqs:SendMessage");
    assert_eq!(
        statement["Condition"]["ArnEquals"]["aws:SourceArn"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "one source per rule"
    );
}

/// Security review M3: with `EventSourceAccounts`, the rules accept only
/// events from those accounts.
#[tokio::test]
async fn an_account_allow_list_narrows_every_rule() {
    let moto = Moto::start().await;
    let info = e2e::create_stack(
        &moto.endpoint,
        &["EventSourceAccounts=111122223333,444455556666"],
    )
    .await;
    // The event rules (the schedules have no pattern).
    let rules: Vec<&Value> = info.facts["event_rules"]
        .as_object()
        .unwrap()
        .values()
        .filter(|p| p.get("source").is_some())
        .collect();
    assert_eq!(rules.len(), 3, "{rules:?}");
    for rule in rules {
        assert_eq!(
            rule["account"],
            serde_json::json!(["111122223333", "444455556666"]),
            "{rule}"
        );
    }
}

#[tokio::test]
async fn ses_stores_inbound_mail_where_the_mail_function_reads_it() {
    let (_moto, info) = stack().await;
    assert_eq!(info.receipt_rules.len(), 1, "one receipt rule set");
    let rule = info.receipt_rules.values().next().unwrap();
    assert_eq!(rule["Enabled"], true);
    assert_eq!(
        rule["ScanEnabled"], true,
        "spam and virus verdicts need scanning"
    );
    assert_eq!(rule["TlsPolicy"], "Require");
    let recipients: Vec<&str> = rule["Recipients"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let reply_domain = info
        .output("InboundAddress")
        .split('@')
        .nth(1)
        .unwrap()
        .to_owned();
    assert_eq!(reply_domain, INBOUND_DOMAIN);
    assert!(
        recipients.contains(&reply_domain.as_str()),
        "{recipients:?} does not cover {reply_domain}"
    );
    let action = &rule["Actions"][0]["S3Action"];
    assert_eq!(action["BucketName"], info.output("MailBucketName"));
    assert_eq!(action["ObjectKeyPrefix"], info.output("InboundPrefix"));

    // The bucket notifies the mail function of new objects under that prefix.
    let template = &info.facts["template"];
    let (_, bucket) = resources_of(template, "AWS::S3::Bucket").next().unwrap();
    let lambda = &bucket["Properties"]["NotificationConfiguration"]["LambdaConfigurations"][0];
    assert_eq!(lambda["Event"], "s3:ObjectCreated:*");
    assert_eq!(
        lambda["Filter"]["S3Key"]["Rules"][0]["Value"],
        serde_json::json!({"Ref": "InboundPrefix"})
    );
    let functions = &info.facts["functions"];
    let mail_env = &functions["InboundMailFunction"]["environment"];
    assert_eq!(mail_env["MAIL_BUCKET"], info.output("MailBucketName"));
    assert_eq!(mail_env["INBOUND_PREFIX"], info.output("InboundPrefix"));

    // Only SES of this account may write there.
    let (_, policy) = resources_of(template, "AWS::S3::BucketPolicy")
        .next()
        .unwrap();
    // (A statement of stacks whose SES receives here: InboundMode=local.)
    let statement = &policy["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(statement["Fn::If"][0], "LocalInbound");
    let allow = &statement["Fn::If"][1];
    assert_eq!(allow["Principal"]["Service"], "ses.amazonaws.com");
    assert!(allow["Condition"]["StringEquals"]["aws:SourceAccount"].is_object());
    assert!(allow["Condition"]["ArnLike"]["aws:SourceArn"].is_object());
}

#[tokio::test]
async fn functions_get_the_contracts_configuration_and_no_secret_values() {
    let (_moto, info) = stack().await;
    let template = &info.facts["template"];
    let functions: Vec<(&String, &Value)> =
        resources_of(template, "AWS::Lambda::Function").collect();
    // domain-events, inbound-mail, order-items, reconcile, sync,
    // publish-events and (when enabled) status-mails.
    assert_eq!(functions.len(), 7);
    for (name, f) in &functions {
        let p = &f["Properties"];
        assert_eq!(p["Architectures"], serde_json::json!(["arm64"]), "{name}");
        assert_eq!(p["Runtime"], "provided.al2023");
        // Scheduled runs are repeated by their schedule; the item queue
        // keeps its own dead letters (redrive policy, below); what an event
        // or a mail started must not vanish.
        let exempt = name.starts_with("Reconcile")
            || name.starts_with("Sync")
            || name.starts_with("StatusMails")
            || name.starts_with("OrderItems");
        assert!(
            exempt || p["DeadLetterConfig"]["TargetArn"].is_object(),
            "{name} has a dead-letter queue"
        );
        let env = p["Environment"]["Variables"].as_object().unwrap();
        for plain in ["INTERNETX_PASSWORD", "REPLY_TOKEN_SECRET"] {
            assert!(!env.contains_key(plain), "{name} carries {plain} in clear");
        }
        // status-mails opens notices only, publish-events nothing: the
        // reply-token secret of the Globals is withheld from them (N14).
        let reply_secret = env.get("REPLY_TOKEN_SECRET_SECRET");
        if name.starts_with("StatusMails") || name.starts_with("PublishEvents") {
            assert_eq!(reply_secret, Some(&serde_json::json!("")), "{name}");
        } else {
            assert!(reply_secret.is_some(), "{name}");
        }
        // Only the functions that send to InterNetX open sealed auth codes,
        // and status-mails for the code a customer asked for; the
        // internet-facing mail function gets no sealing key.
        let sends = name.starts_with("DomainEvents")
            || name.starts_with("OrderItems")
            || name.starts_with("Reconcile")
            || name.starts_with("StatusMails");
        assert_eq!(env.contains_key("SEALING_SECRET_SECRET"), sends, "{name}");
        assert!(
            !env.contains_key("SEALING_SECRET"),
            "{name} carries SEALING_SECRET in clear"
        );
        assert!(
            env.contains_key("DOMAIN_TABLE") && env.contains_key("REPLY_TO_ADDRESS"),
            "{name}"
        );
    }
    timeouts_outlast_the_worst_request(&functions);
    // Every function logs JSON into a log group of the stack's that expires.
    for (name, f) in &functions {
        let logging = &f["Properties"]["LoggingConfig"];
        assert_eq!(logging["LogFormat"], "JSON", "{name}");
        let group = logging["LogGroup"]["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{name} has no log group of the stack's"));
        let (_, g) = resources_of(template, "AWS::Logs::LogGroup")
            .find(|(logical, _)| logical.as_str() == group)
            .unwrap_or_else(|| panic!("{name}: no {group}"));
        assert!(
            !g["Properties"]["RetentionInDays"].is_null(),
            "{group} keeps its lines forever"
        );
    }
    table_access_is_narrowed_to_its_keys(template);
    let (_, items) = resources_of(template, "AWS::SQS::Queue")
        .find(|(name, _)| name.as_str() == "ItemQueue")
        .expect("the item queue");
    assert_eq!(
        items["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0],
        "DeadLetterQueue"
    );
    // Only domain-events may put items on it (N4).
    let (_, policy) = resources_of(template, "AWS::SQS::QueuePolicy")
        .find(|(_, p)| p["Properties"]["Queues"][0]["Ref"] == "ItemQueue")
        .expect("the item queue's policy");
    let deny = &policy["Properties"]["PolicyDocument"]["Statement"][0];
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Action"], "sqs:SendMessage");
    assert_eq!(
        deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]["Fn::GetAtt"][0],
        "DomainEventsFunctionRole"
    );
    let events_env = &info.facts["functions"]["DomainEventsFunction"]["environment"];
    assert_eq!(events_env["DOMAIN_TABLE"], info.output("DomainTableName"));
    for var in ["INTERNETX_URL", "INTERNETX_USER", "INTERNETX_CONTEXT"] {
        assert!(events_env.get(var).is_some(), "{var}");
    }

    // Least privilege: no wildcard actions on data.
    for (name, role) in resources_of(template, "AWS::IAM::Role") {
        for policy in role["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for statement in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
                let actions: Vec<&str> = match &statement["Action"] {
                    Value::String(a) => vec![a.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                for action in actions {
                    let data = action.starts_with("dynamodb:")
                        || action.starts_with("s3:")
                        || action.starts_with("secretsmanager:");
                    assert!(!(data && action.contains('*')), "{name} allows {action}");
                }
            }
        }
    }
    // Alarms on errors and on the dead-letter queue.
    let alarms: Vec<String> = resources_of(template, "AWS::CloudWatch::Alarm")
        .map(|(_, a)| a["Properties"]["MetricName"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        alarms.iter().filter(|m| *m == "Errors").count() >= 2,
        "{alarms:?}"
    );
    assert!(
        alarms
            .iter()
            .any(|m| m == "ApproximateNumberOfMessagesVisible"),
        "{alarms:?}"
    );
    a_refused_nack_raises_an_alarm(template);
    a_domain_that_will_lapse_raises_an_alarm(template);
    observability_is_wired(&info);
}

/// D19: the sync's refused nack is alarmed on, with the dimensions the
/// metered gateway writes for it.
fn a_refused_nack_raises_an_alarm(template: &Value) {
    let nack = internetx::TaskKind::TransferOutAnswer {
        name: "kept.com".into(),
        answer: internetx::TransferOutAnswer::Nack {
            reason: internetx::NackReason::Fraud,
        },
    };
    let wanted = [
        ("Function", "sync"),
        ("Operation", adapters::metrics::operation(&nack)),
        ("Outcome", "error"),
    ];
    assert_alarm(template, "GatewayRequests", &wanted);
}

/// Issue 29 §2: a registered domain InterNetX will not renew is alarmed on,
/// under the name and dimension the sync function measures it by.
fn a_domain_that_will_lapse_raises_an_alarm(template: &Value) {
    assert_alarm(
        template,
        adapters::metrics::name::WILL_LAPSE,
        &[("Function", "sync")],
    );
}

fn assert_alarm(template: &Value, metric: &str, wanted: &[(&str, &str)]) {
    let found = resources_of(template, "AWS::CloudWatch::Alarm").any(|(_, a)| {
        let p = &a["Properties"];
        let dims: Vec<(&str, &str)> = p["Dimensions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| Some((d["Name"].as_str()?, d["Value"].as_str()?)))
            .collect();
        p["MetricName"] == metric && dims == wanted
    });
    assert!(found, "no alarm on {metric} {wanted:?}");
}

/// Every function that sends to InterNetX outlives one request sent,
/// answered and recorded (security review N6): a request is sent only while
/// that budget is left, so a shorter timeout would send nothing.
/// `order-items` outlives one message of three waves; `domain-events` is
/// capped so a burst waits in Lambda's queue, not in the rate limit's line.
fn timeouts_outlast_the_worst_request(functions: &[(&String, &Value)]) {
    let budget = registrar::deadline::request_budget(registrar::deadline::GATEWAY_WORST_CASE);
    let timeout = |prefix: &str| {
        let (_, f) = functions
            .iter()
            .find(|(name, _)| name.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} function"));
        let seconds = f["Properties"]["Timeout"].as_u64().expect("a timeout");
        (std::time::Duration::from_secs(seconds), &f["Properties"])
    };
    for sender in ["DomainEvents", "Reconcile", "Sync"] {
        let (t, _) = timeout(sender);
        assert!(t > budget, "{sender}: {t:?} < {budget:?}");
    }
    let (t, _) = timeout("OrderItems");
    assert!(t >= budget * 3, "order-items: {t:?} < 3 × {budget:?}");
    let (_, events) = timeout("DomainEvents");
    assert!(
        events["ReservedConcurrentExecutions"].as_u64().is_some()
            || events["ReservedConcurrentExecutions"].is_object(),
        "domain-events has a concurrency cap: {events}"
    );
}

/// The internet-facing mail function writes only the keys a mail's commit
/// touches, the sync deletes only hints, and status-mails reads no
/// reply-token secret (security review N14).
fn table_access_is_narrowed_to_its_keys(template: &Value) {
    let statements = |role: &str| -> Vec<Value> {
        let (_, r) = resources_of(template, "AWS::IAM::Role")
            .find(|(name, _)| name.starts_with(role))
            .unwrap_or_else(|| panic!("{role}"));
        r["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|p| {
                p["PolicyDocument"]["Statement"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .collect()
    };
    let actions = |s: &Value| s["Action"].to_string();
    for s in statements("InboundMail") {
        if actions(&s).contains("dynamodb:PutItem") {
            let keys = &s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"];
            assert!(
                keys.as_array().is_some_and(|k| {
                    k.contains(&serde_json::json!("DOMAIN#*"))
                        && k.contains(&serde_json::json!("OUTBOX#*"))
                }),
                "{s}"
            );
            assert!(
                !keys.to_string().contains("ORDER#") && !keys.to_string().contains("RATE#"),
                "{s}"
            );
        }
    }
    for s in statements("Sync") {
        if actions(&s).contains("dynamodb:DeleteItem") {
            assert_eq!(
                s["Condition"]["ForAllValues:StringEquals"]["dynamodb:LeadingKeys"],
                serde_json::json!(["HINT"]),
                "{s}"
            );
        }
    }
    // publish-events may put only its own source's events, and touches
    // the table only to read and mark the outbox.
    let publisher = statements("PublishEvents");
    let put = publisher
        .iter()
        .find(|s| actions(s).contains("events:PutEvents"))
        .expect("publish-events may put events");
    assert_eq!(
        put["Condition"]["StringEquals"]["events:source"],
        "internetx-bridge"
    );
    for s in &publisher {
        let a = actions(s);
        assert!(
            !a.contains("PutItem") && !a.contains("DeleteItem") && !a.contains("TransactWrite"),
            "{s}"
        );
    }
    for s in statements("StatusMails") {
        assert!(
            !s["Resource"].to_string().contains("ReplyTokenSecret"),
            "{s}"
        );
    }
}

/// The metric names the functions print (`crates/adapters/src/metrics.rs`).
fn metric_names() -> Vec<String> {
    let source = std::fs::read_to_string(
        e2e::lambda::workspace_root().join("crates/adapters/src/metrics.rs"),
    )
    .unwrap();
    source
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub const "))
        .filter(|l| !l.starts_with("DEFAULT_NAMESPACE"))
        .filter_map(|l| l.split('"').nth(1).map(str::to_owned))
        .collect()
}

/// The alarms and the dashboard read the functions' own metrics, by the
/// names the functions print, in the namespace they are given.
fn observability_is_wired(info: &e2e::StackInfo) {
    let names = metric_names();
    assert!(names.len() >= 9, "{names:?}");
    let stack = info.facts["parameters"]["AWS::StackName"].as_str().unwrap();
    let namespace = format!("InternetxBridge/{stack}");
    let env = &info.facts["functions"]["DomainEventsFunction"]["environment"];
    assert_eq!(env["METRICS_NAMESPACE"], namespace.as_str());

    let alarms = info.facts["alarms"].as_array().unwrap();
    let ours: Vec<&Value> = alarms
        .iter()
        .filter(|a| a["namespace"] == namespace.as_str())
        .collect();
    for alarm in &ours {
        let metric = alarm["metric"].as_str().unwrap();
        assert!(names.iter().any(|n| n == metric), "{alarm} reads {metric}");
        assert!(alarm["dimensions"]["Function"].is_string(), "{alarm}");
    }
    let has = |metric: &str, key: &str, value: &str| {
        ours.iter()
            .any(|a| a["metric"] == metric && (key.is_empty() || a["dimensions"][key] == value))
    };
    assert!(has("ReconcileActions", "Action", "given_up"), "{ours:?}");
    assert!(has("StuckDomains", "", ""), "{ours:?}");
    // A storefront event that waits too long (issue 29).
    assert!(has("OutboxAge", "Function", "publish-events"), "{ours:?}");
    assert!(has("Mails", "Outcome", "failed"), "{ours:?}");
    assert!(has("Mails", "Outcome", "quarantined"), "{ours:?}");
    // Errors of every function and the dead-letter queue's depth.
    assert!(
        alarms.iter().filter(|a| a["metric"] == "Errors").count() >= 5,
        "{alarms:?}"
    );
    assert!(alarms
        .iter()
        .any(|a| a["metric"] == "ApproximateNumberOfMessagesVisible"));

    let body: Value = serde_json::from_str(info.facts["dashboard"].as_str().expect("a dashboard"))
        .expect("the dashboard body is JSON");
    let widgets = body["widgets"].as_array().unwrap();
    assert!(widgets.len() >= 8);
    let text = body.to_string();
    assert!(!text.contains("${"), "unresolved substitution: {text}");
    for name in &names {
        assert!(
            text.contains(&format!("MetricName=\\\"{name}\\\""))
                || text.contains(&format!("\"{name}\"")),
            "the dashboard shows {name}"
        );
    }
    for widget in widgets {
        for metric in widget["properties"]["metrics"].as_array().unwrap() {
            if let Some(expression) = metric[0]["expression"].as_str() {
                assert!(expression.contains(&namespace), "{expression}");
            }
        }
    }
}

/// Security review L2: failed events rest in the dead-letter queue as the
/// storefront sent them (a transfer's auth code among them). The queue is
/// encrypted with the stack's own key: reading takes kms:Decrypt, which
/// only the writers (EventBridge, SQS's redrive, the two functions Lambda
/// dead-letters for) are given; an operator's IAM policy grants the rest.
#[tokio::test]
async fn dead_letters_are_readable_only_with_the_stacks_key() {
    let (_moto, info) = stack().await;
    let template = &info.facts["template"];
    let resources = &template["Resources"];
    let queue = &resources["DeadLetterQueue"]["Properties"];
    assert_eq!(
        queue["KmsMasterKeyId"],
        serde_json::json!({"Ref": "DeadLetterKey"})
    );
    assert!(queue.get("SqsManagedSseEnabled").is_none());
    assert!(info.output("DeadLetterKeyArn").contains(":key/"));

    let key = &resources["DeadLetterKey"]["Properties"];
    assert_eq!(key["EnableKeyRotation"], true);
    let statements = key["KeyPolicy"]["Statement"].as_array().unwrap();
    for statement in statements {
        let principal = &statement["Principal"];
        if principal.get("Service").is_some() {
            // Services may write (and must decrypt to write), only for
            // this account.
            assert_eq!(
                statement["Action"],
                serde_json::json!(["kms:GenerateDataKey", "kms:Decrypt"])
            );
            assert!(statement["Condition"]["StringEquals"]["aws:SourceAccount"].is_object());
        } else {
            // Everything else goes through IAM (the account root principal).
            assert!(principal["AWS"]["Fn::Sub"]
                .as_str()
                .is_some_and(|p| p.ends_with(":root")));
        }
    }

    // The functions Lambda dead-letters for may use the key; no other may.
    for (name, role) in resources_of(template, "AWS::IAM::Role") {
        let document = role["Properties"].to_string();
        let uses_key = document.contains("DeadLetterKey");
        let dead_letters =
            name.starts_with("DomainEventsFunction") || name.starts_with("InboundMailFunction");
        assert_eq!(uses_key, dead_letters, "{name}");
    }
    for (name, function) in resources_of(template, "AWS::Lambda::Function") {
        let target = function["Properties"]["DeadLetterConfig"]["TargetArn"].to_string();
        if target.contains("\"DeadLetterQueue\"") {
            assert!(
                name.starts_with("DomainEventsFunction") || name.starts_with("InboundMailFunction"),
                "{name} dead-letters without the key"
            );
        }
    }
    // publish-events' dead letters are schedule ticks: a queue of their own.
    let (_, publisher) = resources_of(template, "AWS::Lambda::Function")
        .find(|(name, _)| name.starts_with("PublishEventsFunction"))
        .expect("publish-events");
    assert!(
        publisher["Properties"]["DeadLetterConfig"]["TargetArn"]
            .to_string()
            .contains("PublishEventsDeadLetterQueue"),
        "{publisher}"
    );
}

/// `sam build` and `sam sync` with the template's build settings: every
/// function built by cargo lambda from the workspace package of its name
/// (all six of `functions/`), and the beta flag that SAM's
/// `rust-cargolambda` method needs in `samconfig.toml` for both commands,
/// which otherwise stop to ask.
#[tokio::test]
async fn sam_builds_every_function_from_its_package() {
    let (_moto, info) = stack().await;
    let root = e2e::lambda::workspace_root();
    let mut built = Vec::new();
    for (name, f) in resources_of(&info.facts["template"], "AWS::Lambda::Function") {
        let meta = &f["Metadata"];
        assert_eq!(meta["BuildMethod"], "rust-cargolambda", "{name}: {meta}");
        let binary = meta["BuildProperties"]["Binary"]
            .as_str()
            .unwrap()
            .to_owned();
        let manifest =
            std::fs::read_to_string(root.join("functions").join(&binary).join("Cargo.toml"))
                .unwrap_or_else(|e| {
                    panic!("{name} builds {binary}, which is no package of functions/: {e}")
                });
        assert!(manifest.contains(&format!("name = \"{binary}\"")), "{name}");
        let p = &f["Properties"];
        assert_eq!(p["Handler"], "bootstrap", "{name}");
        assert_eq!(p["Runtime"], "provided.al2023", "{name}");
        assert_eq!(p["Architectures"], serde_json::json!(["arm64"]), "{name}");
        built.push(binary);
    }
    built.sort();
    let mut packages: Vec<String> = std::fs::read_dir(root.join("functions"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    packages.sort();
    assert_eq!(built, packages);

    let config = std::fs::read_to_string(root.join("infra/samconfig.toml")).unwrap();
    for command in ["build", "sync"] {
        let section = format!("[default.{command}.parameters]");
        let body = config
            .split(&section)
            .nth(1)
            .unwrap_or_else(|| panic!("samconfig.toml has no {section}"));
        let body = body.split("\n[").next().unwrap_or_default();
        assert!(
            body.lines().any(|l| l.trim() == "beta_features = true"),
            "{section} lacks beta_features = true"
        );
    }
}
