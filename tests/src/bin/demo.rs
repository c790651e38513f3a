//! The demo: the whole flow on this machine. moto stands in for AWS, the
//! simulator for InterNetX (it mails its results into the mail bucket as SES
//! would and invokes the mail function), and `cargo lambda watch` runs the
//! functions as Lambda would. Events from `events/` go in through
//! `cargo lambda invoke`; one result mail is lost on purpose, so the
//! scheduled `reconcile` has something to settle, and `status-mails` mails
//! the customers (SES in moto); the domain table and action logs come out as
//! tables.

use std::time::{Duration, Instant};

use e2e::lambda::{workspace_root, LambdaWatch};
use e2e::{flag, text, Delivery, Options, World, STATUS_MAIL_FROM};
use internetx_simulator::Fault;

/// The transfer of the first order whose result mail InterNetX never sends.
const LOST_MAIL: &str = "example.com";

const EVENTS: [(&str, &str); 7] = [
    (
        "order-paid.json",
        "a paid order: a registration, a transfer, an invalid item, a hosting plan",
    ),
    (
        "order-paid-bad-item.json",
        "an order with bad items and a taken domain",
    ),
    (
        "domain-requested-provider.json",
        "a provider registers in the control center",
    ),
    (
        "domain-requested-transfer-refused.json",
        "a transfer the losing registrar will refuse",
    ),
    (
        "domain-requested-customer.json",
        "a customer requests a domain before paying",
    ),
    ("order-paid-customer.json", "…and pays"),
    ("order-paid.json", "the first order delivered again"),
];

#[tokio::main]
async fn main() {
    println!("starting moto, the InterNetX simulator and cargo lambda watch …");
    let port = LambdaWatch::port();
    let world = World::start_with(Options {
        mail_delay: Duration::from_millis(500),
        deliver: Delivery::Invoke(LambdaWatch::invoke_url_at(port, "inbound-mail")),
        status_mails: true,
        faults: vec![(LOST_MAIL.into(), Fault::MailNever)],
        ..Options::default()
    })
    .await;
    let mut env = world.function_env();
    env.extend([
        ("STATUS_MAIL_FROM".to_owned(), STATUS_MAIL_FROM.to_owned()),
        // The demo cannot wait an hour for a mail to count as lost.
        ("RECONCILE_AFTER_MINUTES".to_owned(), "0".to_owned()),
    ]);
    let watch = LambdaWatch::start(port, &env, true).await;
    for (file, what) in EVENTS {
        println!("\n▶ {what} (events/{file})");
        let path = workspace_root().join("events").join(file);
        let file = if file == "order-paid.json" {
            // The customer's notification address, for the status mails.
            let mut order: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            order["detail"]["account"]["email"] = "billing@customer.example".into();
            let with_address = std::env::temp_dir().join("order-paid-with-email.json");
            std::fs::write(&with_address, order.to_string()).unwrap();
            with_address
        } else {
            path
        };
        let path = file;
        match watch.invoke_file("domain-events", &path).await {
            Ok(answer) => {
                for item in answer["items"].as_array().into_iter().flatten() {
                    println!(
                        "  {:<12} {:<28} {:<16} {}",
                        item["item"].as_str().unwrap_or(""),
                        item["domain"].as_str().unwrap_or(""),
                        item["outcome"].as_str().unwrap_or(""),
                        item["reason"].as_str().unwrap_or("")
                    );
                }
            }
            Err(e) => println!("  invocation failed: {e}"),
        }
    }
    println!("\nwaiting for InterNetX's result mails (the one for {LOST_MAIL} never comes) …");
    wait_until_settled(&world, &[LOST_MAIL]).await;
    let scheduled = workspace_root().join("events/scheduled.json");
    println!("\n▶ the scheduled reconciliation runs (events/scheduled.json)");
    match watch.invoke_file("reconcile", &scheduled).await {
        Ok(report) => println!("  {report}"),
        Err(e) => println!("  invocation failed: {e}"),
    }
    for (file, what) in [
        (
            "nameservers-change-requested.json",
            "the provider changes provider-example.net's name servers",
        ),
        (
            "contacts-change-requested.json",
            "…its admin and tech contacts",
        ),
    ] {
        println!("\n▶ {what} (events/{file})");
        let path = workspace_root().join("events").join(file);
        match watch.invoke_file("domain-events", &path).await {
            Ok(answer) => println!("  {}", answer["items"][0]["outcome"].as_str().unwrap_or("")),
            Err(e) => println!("  invocation failed: {e}"),
        }
        wait_until_settled(&world, &[]).await;
    }
    println!("\n▶ the scheduled status mails go out (events/scheduled.json)");
    match watch.invoke_file("status-mails", &scheduled).await {
        Ok(report) => println!("  {report}"),
        Err(e) => println!("  invocation failed: {e}"),
    }
    print_table(&world).await;
    println!(
        "\nThe InterNetX simulator received {} domain request(s) and sent {} result mail(s); SES sent {} status mail(s).",
        world.simulator.domain_tasks().len(),
        world.simulator.mails().len(),
        world.moto.sent_mail_count().await
    );
    watch.stop().await;
    console(&world).await;
}

/// The operator console on the demo's table: its command, and — where
/// Debian's Chromium and its driver are installed (tests/browser.sh) —
/// screenshots of the domain list and of one action log. With
/// `DEMO_CONSOLE=keep` it stays up until Ctrl-C.
async fn console(world: &World) {
    let env = world.function_env();
    let console = e2e::console::ConsoleProcess::start(&env, &[]).await;
    let table = env
        .iter()
        .find(|(k, _)| k == "DOMAIN_TABLE")
        .map_or("<DomainTableName>", |(_, v)| v.as_str());
    println!("\n▶ the operator console: {}/", console.base);
    println!("  against a deployed stack: DOMAIN_TABLE={table} internetx-bridge console   (then http://127.0.0.1:8765/)");
    if e2e::webdriver::available() {
        let shots = workspace_root().join("target/demo");
        let browser = e2e::webdriver::Browser::start(1280, 900).await;
        browser.open(&format!("{}/", console.base)).await;
        browser.screenshot(&shots.join("console-domains.png")).await;
        browser
            .open(&format!("{}/domain/{LOST_MAIL}", console.base))
            .await;
        browser
            .screenshot(&shots.join("console-action-log.png"))
            .await;
        println!(
            "  screenshots: {} and {}",
            shots.join("console-domains.png").display(),
            shots.join("console-action-log.png").display()
        );
    } else {
        println!("  (no screenshots: tests/browser.sh installs Chromium and its driver)");
    }
    if std::env::var("DEMO_CONSOLE").as_deref() == Ok("keep") {
        println!("  DEMO_CONSOLE=keep: the console stays up; Ctrl-C ends the demo");
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Until no domain but `except` has an operation in flight (or a minute
/// passed).
async fn wait_until_settled(world: &World, except: &[&str]) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let pending = world
            .scan()
            .await
            .iter()
            .filter(|i| text(i, "sk") == "DOMAIN")
            .filter(|i| !except.contains(&text(i, "domain").as_str()))
            .filter(|i| {
                matches!(
                    text(i, "status").as_str(),
                    "Registering" | "Transferring" | "Updating" | "Cancelling"
                )
            })
            .count();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    println!("(some domains are still in flight after a minute)");
}

async fn print_table(world: &World) {
    let domains: Vec<_> = world
        .scan()
        .await
        .into_iter()
        .filter(|i| text(i, "sk") == "DOMAIN")
        .collect();
    println!("\nDomain table");
    println!(
        "{:<28} {:<16} {:<4} {:<18} last error",
        "domain", "status", "reg", "operation"
    );
    for d in &domains {
        println!(
            "{:<28} {:<16} {:<4} {:<18} {}",
            text(d, "domain_unicode"),
            text(d, "status"),
            if flag(d, "registered") { "✓" } else { "" },
            text(d, "operation"),
            text(d, "last_error")
        );
    }
    for d in &domains {
        let name = text(d, "domain");
        println!("\nAction log of {name}");
        for entry in world.log(&name).await {
            println!(
                "  {}  {:<24} {:<7} {}",
                &text(&entry, "sk")[4..31],
                text(&entry, "action"),
                text(&entry, "outcome"),
                text(&entry, "message")
            );
        }
    }
}
