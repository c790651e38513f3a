//! What every request to the console passes first: the `Host` it names
//! must be the console's own (a page of another site that rebinds its name
//! to 127.0.0.1 names its own host: DNS rebinding), every answer carries a
//! strict Content-Security-Policy and is never cached, and every browser
//! gets a session cookie whose HMAC is the CSRF token of its forms.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use super::Console;

const COOKIE: &str = "ixb_console";

/// No script at all, styles and images only from the console itself, forms
/// only to it, never framed.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The browser's session, as the guard found or made it.
#[derive(Debug, Clone)]
pub struct Session(pub String);

/// The hosts a request may name: the address the console listens on, and
/// the loopback names of its port.
pub fn allowed_hosts(bind: std::net::SocketAddr, extra: &[String]) -> Vec<String> {
    let port = bind.port();
    let mut hosts = vec![
        bind.to_string(),
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    hosts.extend(extra.iter().cloned());
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The CSRF token of a session: HMAC-SHA256 under the process's own key.
pub fn csrf_token(key: &[u8], session: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(session.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `token` is the session's CSRF token (compared in constant time).
pub fn csrf_valid(key: &[u8], session: &str, token: &str) -> bool {
    let Ok(token) = hex::decode(token.trim()) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(session.as_bytes());
    mac.verify_slice(&token).is_ok()
}

fn cookie_session(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn refused(status: StatusCode, why: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        why.to_owned(),
    )
        .into_response()
}

/// The guard itself (an axum middleware).
pub async fn guard(
    State(console): State<Arc<Console>>,
    mut request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !console.hosts.contains(&host) {
        eprintln!("console: refused a request for host {host:?} (not this console's own name)");
        return refused(
            StatusCode::MISDIRECTED_REQUEST,
            "This console answers only to its own address.",
        );
    }
    // A state change comes from this console's own pages: a browser names
    // their origin (or sends none, for an older one).
    if request.method() != axum::http::Method::GET {
        let origin = request
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok());
        if origin.is_some_and(|o| o != format!("http://{host}")) {
            return refused(
                StatusCode::FORBIDDEN,
                "A request from another site is refused.",
            );
        }
    }
    let found = cookie_session(request.headers());
    let session = found.clone().unwrap_or_else(|| {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    });
    request.extensions_mut().insert(Session(session.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if found.is_none() {
        if let Ok(cookie) = HeaderValue::from_str(&format!(
            "{COOKIE}={session}; HttpOnly; SameSite=Strict; Path=/"
        )) {
            headers.append(header::SET_COOKIE, cookie);
        }
    }
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        // Same-origin, not no-referrer: with no-referrer a browser sends
        // `Origin: null` on the console's own forms.
        (header::REFERRER_POLICY, "same-origin"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// A POST without its session's token.
pub fn forged() -> Response<Body> {
    refused(
        StatusCode::FORBIDDEN,
        "The form's token does not match this browser's session: reload the page and try again.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_valid_only_for_its_own_session_and_key() {
        let key = b"0123456789abcdef0123456789abcdef";
        let token = csrf_token(key, "session-a");
        assert!(csrf_valid(key, "session-a", &token));
        assert!(!csrf_valid(key, "session-b", &token));
        assert!(!csrf_valid(b"another key", "session-a", &token));
        assert!(!csrf_valid(key, "session-a", ""));
        assert!(!csrf_valid(key, "session-a", "not hex"));
    }

    #[test]
    fn only_the_consoles_own_names_are_hosts() {
        let hosts = allowed_hosts("127.0.0.1:8765".parse().unwrap(), &[]);
        assert!(hosts.contains(&"localhost:8765".to_owned()));
        assert!(hosts.contains(&"127.0.0.1:8765".to_owned()));
        assert!(!hosts.iter().any(|h| h.contains("evil")));
        assert!(
            !hosts.contains(&"127.0.0.1".to_owned()),
            "the port is part of it"
        );
    }

    #[test]
    fn a_session_cookie_is_read_only_in_its_own_form() {
        let mut headers = HeaderMap::new();
        let id = "ab".repeat(32);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {COOKIE}={id}")).unwrap(),
        );
        assert_eq!(cookie_session(&headers), Some(id));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("ixb_console=<script>"),
        );
        assert_eq!(cookie_session(&headers), None);
    }
}
