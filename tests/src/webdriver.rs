//! A headless Chromium driven over the W3C WebDriver protocol (JSON over
//! HTTP to Debian's chromedriver, https://www.w3.org/TR/webdriver2/): the
//! few commands the console's browser tests need — open a page, find an
//! element, read its text, click, take a screenshot.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::process::{Child, Command};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The element reference's key in a WebDriver answer (the spec's constant).
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One browser session; chromedriver and the browser stop when dropped.
pub struct Browser {
    _driver: Child,
    http: reqwest::Client,
    session: String,
}

/// Whether Debian's Chromium and its driver are installed (tests/browser.sh).
pub fn available() -> bool {
    Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists()
}

impl Browser {
    /// A headless browser at a phone's width or a desktop's.
    pub async fn start(width: u32, height: u32) -> Browser {
        let port = crate::free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .kill_on_drop(true)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start chromedriver (tests/browser.sh installs it)");
        let http = internetx::https::client_builder()
            .build()
            .expect("a client");
        let base = format!("http://127.0.0.1:{port}");
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                // Headless, and nothing a test does not need (the machine
                // has two cores and a dozen tests running beside).
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--disable-extensions", "--disable-background-networking",
                         "--disable-sync", "--disable-component-update", "--disable-default-apps",
                         format!("--window-size={width},{height}")]
            }
        }}});
        for _ in 0..100 {
            if let Ok(answer) = http
                .post(format!("{base}/session"))
                .header("content-type", "application/json")
                .body(capabilities.to_string())
                .send()
                .await
            {
                let body: Value = serde_json::from_str(&answer.text().await.unwrap_or_default())
                    .unwrap_or_default();
                let session = body["value"]["sessionId"].as_str().unwrap_or_default();
                assert!(!session.is_empty(), "no browser session: {body}");
                return Browser {
                    _driver: driver,
                    http,
                    session: format!("{base}/session/{session}"),
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("chromedriver did not start on port {port}");
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let text = request
            .send()
            .await
            .expect("a WebDriver command")
            .text()
            .await
            .expect("a WebDriver answer");
        let answer: Value = serde_json::from_str(&text).expect("a WebDriver answer in JSON");
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    pub async fn open(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    pub async fn source(&self) -> String {
        self.call(reqwest::Method::GET, "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn title(&self) -> String {
        self.call(reqwest::Method::GET, "/title", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The elements a CSS selector finds.
    pub async fn find_all(&self, css: &str) -> Vec<String> {
        let found = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
            .collect()
    }

    /// The first element a CSS selector finds, waiting (up to 30 s) for a
    /// page that is still loading after a click.
    pub async fn wait_for(&self, css: &str) -> String {
        for _ in 0..300 {
            if let Some(found) = self.find_all(css).await.into_iter().next() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {css} within 30 s: {}", self.source().await);
    }

    /// The one element a CSS selector finds first.
    pub async fn find(&self, css: &str) -> String {
        let value = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        value[ELEMENT].as_str().unwrap_or_default().to_owned()
    }

    pub async fn text(&self, element: &str) -> String {
        self.call(
            reqwest::Method::GET,
            &format!("/element/{element}/text"),
            None,
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    pub async fn click(&self, element: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    /// Types `text` into a field, as the keyboard would.
    pub async fn type_text(&self, element: &str, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// A PNG of the viewport, written to `path`.
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let png = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("a base64 PNG");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the screenshot's folder");
        }
        std::fs::write(path, bytes).expect("write the screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The session ends with its driver (killed on drop); closing it
        // first lets the browser exit cleanly.
        let url = self.session.clone();
        let http = self.http.clone();
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                let _ = http.delete(url).send().await;
            });
        }
    }
}
