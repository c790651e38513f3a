//! The newcomer's path (events/README.md, "One function by hand"): the
//! simulator as a process with the password `events/local.env` names,
//! `cargo lambda watch --env-file` with that file — only where this
//! machine's servers listen and what the stack named put in — and the
//! sample SQS batch for `order-items`, its result mail back through
//! `inbound-mail`.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use e2e::lambda::{workspace_root, LambdaWatch};
use e2e::{free_port, Moto};

#[tokio::test]
async fn one_function_by_hand_with_the_documented_environment_file() {
    let (moto, stack) = Moto::with_stack(&[]).await;
    let mut env = e2e::env_file("local.env");
    let value = |env: &[(String, String)], key: &str| -> String {
        env.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("events/local.env sets no {key}"))
    };
    // The names the README says to fill in, and the ports of this run.
    let sim_port = free_port();
    let watch_port = LambdaWatch::port();
    let gateway = value(&env, "INTERNETX_URL").replace(":8700/", &format!(":{sim_port}/"));
    assert_ne!(
        gateway,
        value(&env, "INTERNETX_URL"),
        "the README's port 8700"
    );
    let local = [
        ("DOMAIN_TABLE", stack.output("DomainTableName").to_owned()),
        ("MAIL_BUCKET", stack.output("MailBucketName").to_owned()),
        ("ITEM_QUEUE_URL", stack.output("ItemQueueUrl").to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
        ("INTERNETX_URL", gateway),
    ];
    for (key, new) in local {
        let slot = env.iter_mut().find(|(k, _)| k == key).unwrap();
        slot.1 = new;
    }
    // What the stack gives the functions, the file gives them too.
    assert_eq!(
        value(&env, "REPLY_TO_ADDRESS"),
        stack.output("InboundAddress")
    );
    assert_eq!(value(&env, "INBOUND_PREFIX"), stack.output("InboundPrefix"));
    let file = std::env::temp_dir().join(format!("local-{watch_port}.env"));
    let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(&file, text).unwrap();

    let binary = workspace_root().join("target/debug/internetx-simulator");
    assert!(
        binary.exists(),
        "build the binaries first (tests/run.sh does)"
    );
    let aws_env = ["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];
    let _simulator = tokio::process::Command::new(binary)
        .args(["--listen", &format!("127.0.0.1:{sim_port}")])
        .args(["--password", &value(&env, "INTERNETX_PASSWORD")])
        .args(["--mail-bucket", stack.output("MailBucketName")])
        .args(["--mail-delay-ms", "100"])
        .args([
            "--notify-url",
            &LambdaWatch::invoke_url_at(watch_port, "inbound-mail"),
        ])
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .envs(aws_env.map(|k| (k, value(&env, k))))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let watch = LambdaWatch::start_with_env_file(watch_port, &file, true).await;

    let answer = watch
        .invoke_file(
            "order-items",
            &workspace_root().join("events/sqs-order-items.json"),
        )
        .await;
    let _ = std::fs::remove_file(&file);
    let answer = answer.unwrap_or_else(|e| panic!("order-items failed: {e}\n{}", watch.output()));
    assert_eq!(
        answer["batchItemFailures"],
        serde_json::json!([]),
        "{answer}"
    );

    let dynamo = aws_sdk_dynamodb::Client::new(&moto.sdk_config().await);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let item = dynamo
            .get_item()
            .table_name(stack.output("DomainTableName"))
            .key("pk", AttributeValue::S("DOMAIN#queued-example.de".into()))
            .key("sk", AttributeValue::S("DOMAIN".into()))
            .send()
            .await
            .unwrap()
            .item;
        let status = item
            .as_ref()
            .and_then(|i| i.get("status"))
            .and_then(|s| s.as_s().ok())
            .cloned();
        if status.as_deref() == Some("Registered") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "queued-example.de is {status:?}, not Registered; the functions said:\n{}",
            watch.output()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    watch.stop().await;
}
