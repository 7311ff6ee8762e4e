//! Clients that keep one HTTP/2 connection open for a long time: a backend calling the token
//! endpoint, an API client calling a route. Every request on that connection must be answered;
//! the connection must not be closed under them (the `h2` crate closes a connection with
//! `GOAWAY ENHANCE_YOUR_CALM` once the server has reset 1,024 of its streams).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use gerbang_tests::{App, Gerbang, Spec};

const SECRET: &str = "machine-secret-0123456789";
/// More than the `h2` crate's reset budget (1,024 per connection), so one reset per request
/// would close the connection before the end.
const REQUESTS: usize = 3_000;
const CONCURRENCY: usize = 8;
const PING: &str = "ping";

#[tokio::test]
async fn one_connection_carries_thousands_of_form_posts_and_route_requests() {
    let app = App::start("api").await;
    let gw = Gerbang::start(Spec {
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
    .await;
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
