//! The simulator as a process (`internetx-simulator`, as the README runs it):
//! it answers the XML protocol and stores its result mail in the bucket.

use std::time::{Duration, Instant};

use e2e::lambda::workspace_root;
use e2e::{free_port, Moto};
use internetx::client::ClientConfig;
use internetx::{
    ContactRef, Credentials, DomainOrder, Envelope, GatewayClient, Nameserver, Secret, Task,
    TaskKind,
};

#[tokio::test]
async fn the_simulator_binary_answers_and_mails_its_result() {
    let moto = Moto::start().await;
    let aws = moto.sdk_config().await;
    let s3 = moto.s3(&aws);
    s3.create_bucket().bucket("sim-mail").send().await.unwrap();
    let port = free_port();
    let binary = workspace_root().join("target/debug/internetx-simulator");
    assert!(
        binary.exists(),
        "build the binaries first (tests/run.sh does)"
    );
    let _sim = tokio::process::Command::new(binary)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--password",
            "pw-1",
            "--mail-bucket",
            "sim-mail",
            "--mail-delay-ms",
            "10",
        ])
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "simulator did not listen");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let client = GatewayClient::new(
        ClientConfig::new(format!("http://127.0.0.1:{port}/gateway")),
        Envelope::new(Credentials {
            user: "bridge".into(),
            password: Secret::new("pw-1"),
            context: "4".into(),
        }),
    )
    .unwrap();
    let task = Task {
        kind: TaskKind::DomainCreate(DomainOrder {
            name: "process-example.de".into(),
            owner: Some(ContactRef::Handle("4711".into())),
            admin: Some(ContactRef::Handle("4711".into())),
            tech: Some(ContactRef::Handle("4712".into())),
            zone: Some(ContactRef::Handle("4712".into())),
            nameservers: ["ns1.provider.net", "ns2.provider.net"]
                .map(|name| Nameserver {
                    name: name.into(),
                    ipv4: vec![],
                    ipv6: vec![],
                })
                .to_vec(),
            period_years: None,
            confirm_owner_consent: false,
        }),
        ctid: "ib-process-1".into(),
        reply_to: Some("internetx+abc@inbound.example.net".into()),
    };
    let exchange = client.send(&task).await.unwrap();
    assert_eq!(exchange.answer.status.code, "N0101");
    let mail = loop {
        let listed = s3
            .list_objects_v2()
            .bucket("sim-mail")
            .prefix("inbound/")
            .send()
            .await
            .unwrap();
        if let Some(object) = listed.contents().first() {
            break object.key().unwrap().to_owned();
        }
        assert!(Instant::now() < deadline, "no result mail stored");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let raw = s3
        .get_object()
        .bucket("sim-mail")
        .key(&mail)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    let parsed = internetx::mail::parse_result_mail(&raw).unwrap();
    assert_eq!(parsed.recipients, ["internetx+abc@inbound.example.net"]);
    assert_eq!(parsed.spam_verdict.as_deref(), Some("PASS"));
    let internetx::notification::Notification::Job(job) = &parsed.notifications[0] else {
        panic!()
    };
    assert_eq!(job.ctids, ["ib-process-1"]);
    assert_eq!(job.status.code, "S0101");

    // A wrong password is refused as the gateway does.
    let wrong = GatewayClient::new(
        ClientConfig::new(format!("http://127.0.0.1:{port}/gateway")),
        Envelope::new(Credentials {
            user: "bridge".into(),
            password: Secret::new("nope"),
            context: "4".into(),
        }),
    )
    .unwrap();
    let refused = wrong.send(&task).await.unwrap();
    assert!(!refused.answer.accepted());
    assert!(refused.answer.summary().contains("EF00002"));
}
