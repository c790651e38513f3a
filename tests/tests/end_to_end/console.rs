//! The operator console (issue 30) as a browser meets it, over HTTP against
//! moto and the simulator: the list and a domain's log, hostile text as
//! text, a retry from the page that sends exactly one request, and the
//! guards — a foreign `Host`, a POST without its session's token, a
//! read-only console.

use std::time::Duration;

use e2e::{event, lambda::workspace_root, text, Options, World};
use serde_json::json;
use tokio::process::{Child, Command};

/// A console process on a port of its own, stopped when dropped.
struct Console {
    _child: Child,
    base: String,
    host: String,
}

impl Console {
    async fn start(w: &World, extra: &[&str]) -> Console {
        let port = e2e::free_port();
        let host = format!("127.0.0.1:{port}");
        let binary = workspace_root().join("target/debug/internetx-bridge");
        let child = Command::new(binary)
            .args(["console", "--bind", &host])
            .args(extra)
            .envs(w.function_env())
            .kill_on_drop(true)
            .spawn()
            .expect("start the console");
        let base = format!("http://{host}");
        for _ in 0..100 {
            if reqwest::get(format!("{base}/style.css")).await.is_ok() {
                return Console {
                    _child: child,
                    base,
                    host,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the console did not start on {host}");
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
            client: reqwest::Client::builder()
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

#[tokio::test]
async fn the_console_lists_shows_and_retries_behind_its_guards() {
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
    evil["domain"] = json!("<script>alert(1)</script>\"><img src=x onerror=alert(1)>.de");
    hostile["detail"]["items"] = json!([item, evil]);
    w.send(&hostile).await.unwrap();
    w.wait_for_status("example.de", "Registered").await;
    w.wait_for_status("example.com", "Registered").await;
    w.wait_for_status("fails.com", "Error").await;
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
    let rebound = reqwest::Client::new()
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
    assert!(read_only.host.starts_with("127.0.0.1:"));
    assert_eq!(registrations(&w, "fails.com"), 2);
}
