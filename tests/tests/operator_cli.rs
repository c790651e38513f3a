//! The operator CLI (`internetx-bridge`) against a table in moto.

use e2e::lambda::workspace_root;
use e2e::{event, text, World};

async fn cli(w: &World, args: &[&str]) -> (bool, String, String) {
    let binary = workspace_root().join("target/debug/internetx-bridge");
    assert!(
        binary.exists(),
        "build the binaries first (tests/run.sh does)"
    );
    let out = tokio::process::Command::new(binary)
        .args(args)
        .env("DOMAIN_TABLE", &w.config.domain_table)
        .env("AWS_ENDPOINT_URL", &w.moto.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
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
