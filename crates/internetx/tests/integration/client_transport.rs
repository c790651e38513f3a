//! The HTTPS client's failure classes: what matters is whether the gateway
//! may have received the request.

use std::time::Duration;

use internetx::client::ClientConfig;
use internetx::{Credentials, Envelope, GatewayClient, GatewayError, Secret, Task, TaskKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn client(url: String) -> GatewayClient {
    let config = ClientConfig {
        url,
        connect_timeout: Duration::from_millis(500),
        timeout: Duration::from_millis(700),
        max_requests_per_second: 1000.0,
        retries: 2,
        retry_base_delay: Duration::from_millis(10),
    };
    let envelope = Envelope::new(Credentials {
        user: "u".into(),
        password: Secret::new("p"),
        context: "4".into(),
    });
    GatewayClient::new(config, envelope).unwrap()
}

fn task() -> Task {
    Task {
        kind: TaskKind::DomainInfo {
            name: "example.de".into(),
        },
        ctid: "ib-1".into(),
        reply_to: None,
    }
}

/// An HTTP 200 with a successful domain-info answer.
fn ok_answer() -> &'static str {
    let body = "<response><result><status><code>S0105</code><text>ok</text><type>success</type></status></result><stid>x</stid></response>";
    Box::leak(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_boxed_str(),
    )
}

/// Serves one canned HTTP answer per connection (or none at all).
async fn server(answer: Option<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = socket.read(&mut buf).await;
                match answer {
                    Some(a) => {
                        let _ = socket.write_all(a.as_bytes()).await;
                    }
                    None => tokio::time::sleep(Duration::from_secs(5)).await,
                }
            });
        }
    });
    format!("http://{addr}/gateway")
}

#[tokio::test]
async fn a_closed_port_means_not_sent() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = client(format!("http://127.0.0.1:{port}/"))
        .send(&task())
        .await
        .unwrap_err();
    assert!(matches!(err, GatewayError::NotSent(_)), "{err:?}");
    assert!(err.is_safe_to_resend());
}

#[tokio::test]
async fn silence_after_sending_means_outcome_unknown() {
    let url = server(None).await;
    let err = client(url).send(&task()).await.unwrap_err();
    assert!(matches!(err, GatewayError::OutcomeUnknown(_)), "{err:?}");
    assert!(!err.is_safe_to_resend());
}

#[tokio::test]
async fn http_errors_and_garbage_are_told_apart() {
    let busy = server(Some(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nContent-Length: 4\r\n\r\nbusy",
    ))
    .await;
    match client(busy).send(&task()).await.unwrap_err() {
        GatewayError::Http {
            status,
            retry_after,
            ..
        } => {
            assert_eq!(status, 503);
            assert_eq!(retry_after, Some(Duration::from_secs(2)));
        }
        other => panic!("{other:?}"),
    }
    let garbage = server(Some(
        "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnot xml!!",
    ))
    .await;
    let err = client(garbage).send(&task()).await.unwrap_err();
    assert!(matches!(err, GatewayError::Protocol { .. }), "{err:?}");
    assert!(!err.is_safe_to_resend());
}

#[tokio::test]
async fn a_good_answer_comes_back_with_redacted_request() {
    let url = server(Some(ok_answer())).await;
    let exchange = client(url).send(&task()).await.unwrap();
    assert_eq!(exchange.answer.status.code, "S0105");
    assert!(exchange.request_xml.contains("<password>***</password>"));
}

#[tokio::test]
async fn requests_are_paced_to_the_configured_rate() {
    let url = server(Some(ok_answer())).await;
    let mut config = ClientConfig::new(url);
    config.max_requests_per_second = 20.0;
    let client = GatewayClient::new(
        config,
        Envelope::new(Credentials {
            user: "u".into(),
            password: Secret::new("p"),
            context: "4".into(),
        }),
    )
    .unwrap();
    let start = std::time::Instant::now();
    let sends: Vec<_> = (0..6)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.send(&task()).await.unwrap() })
        })
        .collect();
    for send in sends {
        send.await.unwrap();
    }
    // Six starts at 20 per second: the last one no sooner than 5 intervals in.
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
}

/// Answers the given responses in turn (the last one from then on) and
/// counts the requests.
async fn sequence(
    answers: Vec<&'static str>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let answer = answers[n.min(answers.len() - 1)];
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}/gateway"), count)
}

const BUSY: &str =
    "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy";
const LIMITED: &str =
    "HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 4\r\n\r\nslow";
const BROKEN: &str =
    "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 4\r\n\r\noops";

#[tokio::test]
async fn refusals_before_processing_are_retried_until_it_goes_through() {
    let (url, count) = sequence(vec![BUSY, LIMITED, ok_answer()]).await;
    let exchange = client(url).send(&task()).await.unwrap();
    assert_eq!(exchange.answer.status.code, "S0105");
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retries_stop_at_the_limit_and_never_touch_other_errors() {
    let (url, count) = sequence(vec![BUSY]).await;
    let err = client(url).send(&task()).await.unwrap_err();
    assert!(
        matches!(err, GatewayError::Http { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(
        count.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "one try and two retries"
    );

    // A 500 may come after processing: it is never resent.
    let (url, count) = sequence(vec![BROKEN, ok_answer()]).await;
    let err = client(url).send(&task()).await.unwrap_err();
    assert!(
        matches!(err, GatewayError::Http { status: 500, .. }),
        "{err:?}"
    );
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// N13: a 503 that comes back only after a long wait (a proxy's upstream
/// timeout) may follow processing: it is an unknown outcome, never resent.
/// A slow 503 that names a `Retry-After` is still a refusal.
#[tokio::test]
async fn a_slow_refusal_is_an_unknown_outcome_and_never_resent() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    async fn slow(answer: &'static str) -> (String, std::sync::Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let count = std::sync::Arc::new(AtomicUsize::new(0));
        let seen = count.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    let _ = socket.read(&mut buf).await;
                    // Past the client's quick-refusal bound (700 ms / 6),
                    // within its answer timeout.
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let _ = socket.write_all(answer.as_bytes()).await;
                });
            }
        });
        (format!("http://{addr}/gateway"), count)
    }
    let (url, count) = slow(BUSY).await;
    let err = client(url).send(&task()).await.unwrap_err();
    assert!(matches!(err, GatewayError::OutcomeUnknown(_)), "{err:?}");
    assert!(!err.is_safe_to_resend());
    assert_eq!(count.load(Ordering::SeqCst), 1, "never resent");

    let (url, count) = slow(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nConnection: close\r\nContent-Length: 4\r\n\r\nbusy",
    )
    .await;
    let err = client(url).send(&task()).await.unwrap_err();
    assert!(
        matches!(err, GatewayError::Http { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(count.load(Ordering::SeqCst), 3, "retried as a refusal");
}
