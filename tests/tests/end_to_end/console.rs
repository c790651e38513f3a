//! The operator console (issue 30) as a browser meets it, over HTTP against
//! moto and the simulator: the list and a domain's log, hostile text as
//! text, a retry from the page that sends exactly one request, and the
//! guards — a foreign `Host`, a POST without its session's token, a
//! read-only console.

use e2e::console::ConsoleProcess;
use e2e::webdriver::{self, Browser as Chromium};
use e2e::{event, text, Options, World};
use serde_json::json;

/// A console of this world.
struct Console {
    process: ConsoleProcess,
    base: String,
}

impl Console {
    async fn start(w: &World, extra: &[&str]) -> Console {
        let process = ConsoleProcess::start(&w.function_env(), extra).await;
        let base = process.base.clone();
        Console { process, base }
    }
}

/// A browser: one client, its session cookie kept by hand.
struct Browser {
    client: reqwest::Client,
    cookie: Option<String>,
}

impl Browser {
    fn new() -> Self {
        Self {
            client: internetx::https::client_builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("a client"),
            cookie: None,
        }
    }

    async fn get(
        &mut self,
        console: &Console,
        path: &str,
    ) -> (u16, String, reqwest::header::HeaderMap) {
        let mut request = self.client.get(format!("{}{path}", console.base));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("GET");
        if let Some(set) = response.headers().get("set-cookie") {
            let pair = set
                .to_str()
                .unwrap_or_default()
                .split(';')
                .next()
                .unwrap_or_default();
            self.cookie = Some(pair.to_owned());
        }
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        (status, response.text().await.unwrap_or_default(), headers)
    }

    async fn post(&self, console: &Console, path: &str, csrf: Option<&str>) -> (u16, String) {
        let mut request = self
            .client
            .post(format!("{}{path}", console.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(csrf.map(|t| format!("csrf={t}")).unwrap_or_default());
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("POST");
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    }
}

fn csrf_of(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with its token")
        + 19;
    page[at..].split('"').next().unwrap_or_default().to_owned()
}

fn registrations(w: &World, domain: &str) -> usize {
    w.simulator
        .tasks_with_code("0101")
        .iter()
        .filter(|r| r.domain.as_deref() == Some(domain))
        .count()
}

/// The demo's order (two domains registered, one invalid item), fails.com
/// failing in its result mail, and an item whose name is hostile markup.
async fn world_with_an_error_and_a_hostile_name() -> World {
    let w = World::start_with(Options {
        fail_async: vec!["fails.com/0101".into()],
        ..Options::default()
    })
    .await;
    w.send(&event("order-paid.json")).await.unwrap();
    let mut hostile = event("order-paid.json");
    hostile["detail"]["order_id"] = json!("ORD-HOSTILE");
    let mut item = hostile["detail"]["items"][0].clone();
    item["item_id"] = json!("ORD-HOSTILE-1");
    item["domain"] = json!("fails.com");
    let mut evil = item.clone();
    evil["item_id"] = json!("ORD-HOSTILE-2");
    evil["domain"] = json!("<script>alert(1)</script>\"><img/src=x/onerror=alert(1)>.de");
    hostile["detail"]["items"] = json!([item, evil]);
    w.send(&hostile).await.unwrap();
    w.wait_for_status("example.de", "Registered").await;
    w.wait_for_status("example.com", "Registered").await;
    w.wait_for_status("fails.com", "Error").await;
    w
}

#[tokio::test]
async fn the_console_lists_shows_and_retries_behind_its_guards() {
    let w = world_with_an_error_and_a_hostile_name().await;
    assert_eq!(registrations(&w, "fails.com"), 1);

    let console = Console::start(&w, &[]).await;
    let mut browser = Browser::new();
    let (status, list, headers) = browser.get(&console, "/").await;
    assert_eq!(status, 200, "{list}");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'"),
        "{headers:?}"
    );
    assert!(browser.cookie.is_some(), "a session cookie");
    for domain in ["example.de", "example.com", "fails.com"] {
        assert!(
            list.contains(&format!("href=\"/domain/{domain}\"")),
            "{domain} listed"
        );
    }
    assert!(
        list.contains("s-Registered") && list.contains("s-Error"),
        "{list}"
    );
    assert!(list.contains("aria-label=\"registered\""), "the tick");
    // Hostile text (the refused item's name and its reason) is text.
    assert!(
        !list.contains("<script") && !list.contains("<img"),
        "{list}"
    );
    let (_, filtered, _) = browser.get(&console, "/?status=Error").await;
    assert!(filtered.contains("fails.com") && !filtered.contains("href=\"/domain/example.de\""));

    // The domain in Error: its log, its retry behind a confirmation.
    let (status, page, _) = browser.get(&console, "/domain/fails.com").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("request.sent") && page.contains("status.changed"),
        "{page}"
    );
    assert!(page.contains("href=\"/domain/fails.com/retry\""), "{page}");
    assert!(!page.contains("<password>") && !page.contains("sim-local-password"));
    let (_, confirm, _) = browser.get(&console, "/domain/fails.com/retry").await;
    let token = csrf_of(&confirm);

    // Refused: no token, another session's token, a foreign Host.
    let (status, _) = browser
        .post(&console, "/domain/fails.com/retry", None)
        .await;
    assert_eq!(status, 403);
    let mut stranger = Browser::new();
    stranger.get(&console, "/").await;
    let (status, _) = stranger
        .post(&console, "/domain/fails.com/retry", Some(&token))
        .await;
    assert_eq!(status, 403, "a token is its own session's");
    let rebound = internetx::https::client_builder()
        .build()
        .expect("a client")
        .get(format!("{}/", console.base))
        .header("host", "attacker.example:80")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status().as_u16(), 421);
    assert_eq!(registrations(&w, "fails.com"), 1, "nothing was sent");

    // A plain retry is refused as the CLI's is (InterNetX accepted the
    // registration once); asking InterNetX first sends exactly one request.
    let (status, refused) = browser
        .post(&console, "/domain/fails.com/retry", Some(&token))
        .await;
    assert_eq!(status, 200, "{refused}");
    assert!(
        refused.contains("Not retried") && refused.contains("--force"),
        "{refused}"
    );
    assert_eq!(registrations(&w, "fails.com"), 1);
    let (status, done) = browser
        .post(
            &console,
            "/domain/fails.com/retry",
            Some(&format!("{token}&force=1")),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert!(
        done.contains("does not list fails.com") && done.contains("fails.com: accepted"),
        "{done}"
    );
    assert_eq!(registrations(&w, "fails.com"), 2);
    let item = w.domain("fails.com").await.unwrap();
    assert_eq!(text(&item, "status"), "Registering");

    // Read-only: no action shown, none taken (the retry failed again).
    w.wait_for_status("fails.com", "Error").await;
    let read_only = Console::start(&w, &["--read-only"]).await;
    let mut viewer = Browser::new();
    let (_, page, _) = viewer.get(&read_only, "/domain/fails.com").await;
    assert!(
        page.contains("s-Error") && !page.contains("/retry"),
        "{page}"
    );
    let (status, _, _) = viewer.get(&read_only, "/domain/fails.com/retry").await;
    assert_eq!(status, 403);
    let token = csrf_of(&browser.get(&console, "/domain/fails.com/retry").await.1);
    let (status, _) = viewer
        .post(&read_only, "/domain/fails.com/retry", Some(&token))
        .await;
    assert_eq!(status, 403, "another console's token, and read-only");
    assert!(read_only.process.base.starts_with("http://127.0.0.1:"));
    assert_eq!(registrations(&w, "fails.com"), 2);
}

#[tokio::test]
async fn in_a_real_browser_the_list_shows_the_domains_a_retry_sends_one_request_and_a_resolve_settles(
) {
    assert!(
        webdriver::available(),
        "Debian's chromium and chromium-driver are needed: tests/browser.sh (the test command runs it)"
    );
    let w = world_with_an_error_and_a_hostile_name().await;
    let console = Console::start(&w, &[]).await;
    // A phone's width: the list must still fit and work.
    let browser = Chromium::start(390, 844).await;
    browser.open(&format!("{}/", console.base)).await;
    assert_eq!(browser.title().await, "Domains · InterNetX bridge");
    let mut rows = Vec::new();
    for row in browser.find_all("tbody tr").await {
        rows.push(browser.text(&row).await);
    }
    let row = |domain: &str| {
        rows.iter()
            .find(|r| r.contains(domain))
            .unwrap_or_else(|| panic!("{domain} not listed: {rows:?}"))
            .clone()
    };
    for domain in ["example.de", "example.com"] {
        let shown = row(domain);
        assert!(
            shown.contains("Registered") && shown.contains('✓'),
            "{shown}"
        );
    }
    let failed = row("fails.com");
    assert!(failed.contains("Error") && failed.contains('–'), "{failed}");
    // The hostile name is shown as the text it is: had it become markup,
    // its script would have opened an alert and every command would fail.
    assert!(
        rows.iter()
            .any(|r| r.contains("<script>alert(1)</script>\"><img/src=x/onerror=alert(1)>")),
        "{rows:?}"
    );
    assert!(
        browser.find_all("img").await.is_empty(),
        "no image was made of it"
    );

    // Its page and its log (the refusal names it) show it as text too.
    let hostile = browser.find("a[href^='/domain/%3Cscript']").await;
    browser.click(&hostile).await;
    browser.wait_for("ol.log li").await;
    let heading = browser.find("h1").await;
    assert!(
        browser
            .text(&heading)
            .await
            .starts_with("<script>alert(1)</script>"),
        "{}",
        browser.source().await
    );
    let entry = browser.find("ol.log li").await;
    assert!(browser
        .text(&entry)
        .await
        .contains("<img/src=x/onerror=alert(1)>"));
    assert!(browser.find_all("img").await.is_empty());
    browser.open(&format!("{}/", console.base)).await;

    // The domain in Error, its log, and a retry from the page.
    let link = browser.wait_for("a[href='/domain/fails.com']").await;
    browser.click(&link).await;
    browser.wait_for("a[href='/domain/fails.com/retry']").await;
    let entries = browser.find_all("ol.log li").await;
    assert!(entries.len() >= 3, "{}", browser.source().await);
    let mut log = String::new();
    for entry in &entries {
        log.push_str(&browser.text(entry).await);
    }
    assert!(
        log.contains("request.sent") && log.contains("status.changed"),
        "{log}"
    );
    let retry = browser.find("a[href='/domain/fails.com/retry']").await;
    browser.click(&retry).await;
    let ask_first = browser.wait_for("button[name='force']").await;
    browser.click(&ask_first).await;
    let result = browser.wait_for("p.notice[role='status']").await;
    let said = browser.text(&result).await;
    assert!(said.contains("fails.com: accepted"), "{said}");
    assert_eq!(registrations(&w, "fails.com"), 2, "exactly one request");

    // Failed again: the Attention page names it, and it is settled by
    // hand through the resolve form (a select, a required text, a button).
    w.wait_for_status("fails.com", "Error").await;
    browser.open(&format!("{}/attention", console.base)).await;
    let listed = browser.wait_for("#error a[href='/domain/fails.com']").await;
    browser.click(&listed).await;
    let resolve = browser
        .wait_for("a[href='/domain/fails.com/resolve']")
        .await;
    browser.click(&resolve).await;
    let reason = browser.wait_for("textarea[name='reason']").await;
    browser.type_text(&reason, "registered after all").await;
    let yes = browser.find("form button[type='submit']").await;
    browser.click(&yes).await;
    let result = browser.wait_for("p.notice[role='status']").await;
    let said = browser.text(&result).await;
    assert!(said.contains("Error → Registered"), "{said}");
    assert_eq!(
        text(&w.domain("fails.com").await.unwrap(), "status"),
        "Registered"
    );
}

/// Seeds a domain item as it is (outside the life cycle), as the sync or a
/// lost mail would have left it.
async fn seed(w: &World, record: registrar::DomainRecord) {
    use registrar::ports::DomainStore;
    w.store
        .commit(&registrar::testing::seed(record, None))
        .await
        .unwrap();
}

/// One domain for each reason the Attention page names but `Error`: in
/// flight three days, differing from InterNetX, not renewed, held.
async fn seed_attention(w: &World) {
    use registrar::testing::{in_flight_record, settled_as};
    use registrar::{Operation, Status};
    let now = time::OffsetDateTime::now_utc();
    seed(
        w,
        in_flight_record(
            "stuck.de",
            Operation::Register,
            "ib-STUCK-1",
            now - time::Duration::days(3),
        ),
    )
    .await;
    let registered = |domain: &str| {
        settled_as(
            in_flight_record(domain, Operation::Register, "ib-SEEDED", now),
            Status::Registered,
        )
    };
    let mut drift = registered("drift.de");
    drift.portfolio.drift = Some("name servers: InterNetX has ns9.elsewhere.net".into());
    let mut lapse = registered("lapse.de");
    lapse.portfolio.autorenew = Some(false);
    lapse.portfolio.expires_at = Some("2027-01-15T00:00:00Z".into());
    let mut held = registered("held.de");
    held.portfolio.hold = Some(true);
    held.portfolio.registry_status = Some("HOLD".into());
    for record in [drift, lapse, held] {
        seed(w, record).await;
    }
}

/// The part of `page` from the element `id` on to the end of its section.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let from = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id} in {page}"));
    let rest = &page[from..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn the_console_settles_answers_replays_and_shows_what_needs_attention() {
    use super::transfer_out::{answered, policy, wait_for_event_lines};
    let w = world_with_an_error_and_a_hostile_name().await;
    seed_attention(&w).await;
    // An outgoing transfer the operator is to answer (the sync only logs).
    w.simulator.seed_domains(["asked.com".to_owned()]);
    let (ok, _, err) = w.cli(&["import", "--account", "PROV-1", "--apply"]).await;
    assert!(ok, "{err}");
    w.simulator.start_transfer_out("asked.com", "greg").await;
    wait_for_event_lines(&w, &["asked.com"]).await;
    w.sync(policy(
        registrar::workflows::sync::TransferOutPolicy::Operator,
    ))
    .await;
    // A forged mail, kept and tagged; an event in the dead-letter queue.
    let raw = std::fs::read(e2e::events_dir().join("mail/forged-plain-address.eml")).unwrap();
    w.deliver_mail("inbound/console-forged.eml", &raw)
        .await
        .unwrap();
    assert_eq!(
        w.mail_tag("inbound/console-forged.eml").await.as_deref(),
        Some("quarantined")
    );
    let queue = w.stack.output("DeadLetterQueueUrl").to_owned();
    aws_sdk_sqs::Client::new(&w.aws)
        .send_message()
        .queue_url(&queue)
        .message_body(event("domain-requested-provider.json").to_string())
        .send()
        .await
        .unwrap();

    let console = Console::start(
        &w,
        &["--queue-url", &queue, "--mail-bucket", &w.mail_bucket],
    )
    .await;
    let mut browser = Browser::new();
    let (status, page, _) = browser.get(&console, "/attention").await;
    assert_eq!(status, 200, "{page}");
    for (id, domain) in [
        ("error", "fails.com"),
        ("stuck", "stuck.de"),
        ("drift", "drift.de"),
        ("lapsing", "lapse.de"),
        ("hold", "held.de"),
    ] {
        let part = section(&page, id);
        assert!(
            part.contains(&format!("href=\"/domain/{domain}\"")),
            "{domain} under {id}: {part}"
        );
        assert!(!part.contains("href=\"/domain/example.de\""), "{part}");
    }
    assert!(section(&page, "drift").contains("ns9.elsewhere.net"));
    let dead = section(&page, "dead-letters-list");
    assert!(dead.contains("DomainRequested"), "{dead}");
    let mails = section(&page, "quarantined-mails");
    assert!(
        mails.contains("inbound/console-forged.eml") && mails.contains("outcome=quarantined"),
        "{mails}"
    );
    assert!(
        !page.contains("ib-CORPUS-07B") && !page.contains("AutoDNS S0101"),
        "a mail's body never reaches the page"
    );

    // The dead letter replayed from the page, behind its confirmation.
    let (_, confirm, _) = browser.get(&console, "/dead-letters/replay").await;
    let token = csrf_of(&confirm);
    let (status, _) = browser.post(&console, "/dead-letters/replay", None).await;
    assert_eq!(status, 403);
    assert!(w.domain("provider-example.net").await.is_none());
    let (status, replayed) = browser
        .post(&console, "/dead-letters/replay", Some(&token))
        .await;
    assert_eq!(status, 200, "{replayed}");
    assert!(replayed.contains("replayed"), "{replayed}");
    assert!(w.domain("provider-example.net").await.is_some());
    let (_, page, _) = browser.get(&console, "/attention").await;
    assert!(section(&page, "dead-letters").contains("Empty."), "{page}");

    // Resolve: offered for the domain in Error, refused without a reason,
    // then settled and logged with the operator's name.
    let (_, page, _) = browser.get(&console, "/domain/fails.com").await;
    assert!(
        page.contains("href=\"/domain/fails.com/resolve\""),
        "{page}"
    );
    assert!(!page.contains("/transfer-out"), "{page}");
    let (_, confirm, _) = browser.get(&console, "/domain/fails.com/resolve").await;
    assert!(confirm.contains("name=\"reason\""), "{confirm}");
    let token = csrf_of(&confirm);
    let (_, refused) = browser
        .post(
            &console,
            "/domain/fails.com/resolve",
            Some(&format!("{token}&target=Registered&reason=")),
        )
        .await;
    assert!(refused.contains("Not resolved"), "{refused}");
    assert_eq!(
        text(&w.domain("fails.com").await.unwrap(), "status"),
        "Error"
    );
    let (status, settled) = browser
        .post(
            &console,
            "/domain/fails.com/resolve",
            Some(&format!(
                "{token}&target=Registered&reason=seen+registered+in+AutoDNS"
            )),
        )
        .await;
    assert_eq!(status, 200, "{settled}");
    assert!(settled.contains("Error → Registered"), "{settled}");
    assert_eq!(
        text(&w.domain("fails.com").await.unwrap(), "status"),
        "Registered"
    );
    assert!(w.log("fails.com").await.iter().any(|e| {
        text(e, "action") == "operator.resolved"
            && text(e, "message").contains("(console): seen registered in AutoDNS")
    }));

    // The outgoing transfer: offered, refused without the token, answered
    // with a nack once.
    let (_, page, _) = browser.get(&console, "/domain/asked.com").await;
    assert!(
        page.contains("href=\"/domain/asked.com/transfer-out\""),
        "{page}"
    );
    let (_, confirm, _) = browser
        .get(&console, "/domain/asked.com/transfer-out")
        .await;
    assert!(confirm.contains("value=\"fraud\""), "{confirm}");
    let token = csrf_of(&confirm);
    let (status, _) = browser
        .post(&console, "/domain/asked.com/transfer-out", None)
        .await;
    assert_eq!(status, 403);
    assert!(answered(&w, "asked.com").is_empty());
    let (status, done) = browser
        .post(
            &console,
            "/domain/asked.com/transfer-out",
            Some(&format!("{token}&answer=nack&reason=fraud")),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("asked.com: accepted"), "{done}");
    assert_eq!(answered(&w, "asked.com").len(), 1);
}
