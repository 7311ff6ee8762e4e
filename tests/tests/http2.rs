//! Clients that keep one HTTP/2 connection open for a long time: a backend calling the token
//! endpoint, an API client calling a route. Every request on that connection must be answered;
//! the connection must not be closed under them (the `h2` crate closes a connection with
//! `GOAWAY ENHANCE_YOUR_CALM` once the server has reset 1,024 of its streams).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use gerbang_tests::h2_frames::H2Connection;
use gerbang_tests::{App, Gerbang, Spec};

const SECRET: &str = "machine-secret-0123456789";
/// More than the `h2` crate's reset budget (1,024 per connection), so one reset per request
/// would close the connection before the end; half of them (5,000) token requests.
const REQUESTS: usize = 10_000;
const CONCURRENCY: usize = 64;
const PING: &str = "ping";

/// A Gerbang over HTTPS with a `client_credentials` client and a public route to `app`.
async fn start(app: &App) -> Gerbang {
    Gerbang::start(Spec {
        https: true,
        http: false,
        extra: format!(
            "[[client]]\nid = \"machine\"\nsecret = \"{SECRET}\"\ngrant_types = [\"client_credentials\"]\n\
             access_token_signed_response_alg = \"ES256\"\n"
        ),
        ..Spec::http(format!(
            "[[route]]\nname = \"api\"\nhost = \"api.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
            app.addr
        ))
    })
    .await
}

#[tokio::test]
async fn one_connection_carries_thousands_of_form_posts_and_route_requests() {
    let app = App::start("api").await;
    let gw = start(&app).await;
    let http = gw.client(&["api.test", Gerbang::PROVIDER_HOST]);
    let token_url = gw.url(Gerbang::PROVIDER_HOST, "/token");
    let route_url = gw.url("api.test", "/echo");

    let next = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(Mutex::new(Vec::new()));
    let versions = Arc::new(Mutex::new(std::collections::BTreeSet::new()));
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|_| {
            let (http, next, failures, versions) = (
                http.clone(),
                Arc::clone(&next),
                Arc::clone(&failures),
                Arc::clone(&versions),
            );
            let (token_url, route_url) = (token_url.clone(), route_url.clone());
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= REQUESTS {
                        break;
                    }
                    // Alternate: a form POST to the token endpoint, a POST with a body to a route.
                    let to_route = n % 2 == 1;
                    let sent = if to_route {
                        http.post(&route_url).body(PING).send().await
                    } else {
                        http.post(&token_url)
                            .basic_auth("machine", Some(SECRET))
                            .form(&[("grant_type", "client_credentials")])
                            .send()
                            .await
                    };
                    match sent {
                        Ok(response) => {
                            versions
                                .lock()
                                .unwrap()
                                .insert(format!("{:?}", response.version()));
                            let status = response.status();
                            let body = response.text().await;
                            // The app says how many bytes of the body reached it.
                            let body_arrived = !to_route
                                || body.as_ref().is_ok_and(|b| {
                                    serde_json::from_str::<serde_json::Value>(b)
                                        .is_ok_and(|seen| seen["body_bytes"] == PING.len())
                                });
                            if status != 200 || body.is_err() || !body_arrived {
                                failures.lock().unwrap().push(format!("{status} {body:?}"));
                            }
                        }
                        Err(e) => failures.lock().unwrap().push(format!("{e:?}")),
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let failures = failures.lock().unwrap();
    assert_eq!(
        *versions.lock().unwrap(),
        ["HTTP/2.0".to_string()].into(),
        "the client spoke HTTP/2"
    );
    assert!(
        failures.is_empty(),
        "{} of {REQUESTS} requests failed, first: {:?}",
        failures.len(),
        failures.first()
    );
}

/// A client may send a request's end of stream in a frame of its own, and a busy one can send
/// it after the response has come. Were the gateway to answer and then reset such a stream, the
/// late frame would count against the connection (the `h2` crate closes it with `GOAWAY
/// ENHANCE_YOUR_CALM` after 1,024): Pingora reads a request's body to its end before it lets
/// the stream go, and this keeps it so (docs/benchmarks.md, issue 22).
#[tokio::test]
async fn a_late_end_of_stream_is_read_not_reset() {
    let app = App::start("api").await;
    let gw = start(&app).await;
    let address = gw.https.unwrap();
    let mut connection = H2Connection::open(address, Gerbang::PROVIDER_HOST, &gw.ca_path()).await;
    let authority = format!("{}:{}", Gerbang::PROVIDER_HOST, address.port());
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("machine:{SECRET}"))
    );
    let body = b"grant_type=client_credentials";
    let length = body.len().to_string();
    let fields = [
        (":method", "POST"),
        (":scheme", "https"),
        (":authority", authority.as_str()),
        (":path", "/token"),
        ("content-type", "application/x-www-form-urlencoded"),
        ("content-length", length.as_str()),
        ("authorization", basic.as_str()),
    ];
    for n in 0..100 {
        let stream = connection.post_without_end(&fields, body).await;
        let whole = connection.answer_of(stream, Duration::from_secs(10)).await;
        let answer = connection.answers.remove(&stream).unwrap_or_default();
        assert!(
            whole && answer.reset.is_none(),
            "request {n}: {answer:?}, GOAWAY {:?}",
            connection.goaway
        );
        let text = String::from_utf8_lossy(&answer.body);
        assert!(text.contains("\"access_token\""), "request {n}: {text}");
        connection.end(stream).await;
    }
    // A last request, ended at once, reads whatever the server said about the late ends.
    let stream = connection.post_without_end(&fields, body).await;
    connection.end(stream).await;
    assert!(connection.answer_of(stream, Duration::from_secs(10)).await);
    assert_eq!(connection.goaway, None);
    let resets: Vec<_> = connection
        .answers
        .values()
        .filter_map(|a| a.reset)
        .collect();
    assert!(resets.is_empty(), "streams reset: {resets:?}");
}
