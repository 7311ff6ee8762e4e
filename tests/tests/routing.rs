//! Routing through the real binary: hosts, prefixes, balancing, failover, policies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::Duration;

use gerbang_tests::tcp_proxy::TcpProxy;
use gerbang_tests::{App, Gerbang, Refusing, Spec};
use serde_json::Value;

fn route(name: &str, host: &str, prefix: &str, upstreams: &[&App], policy: &str) -> String {
    let list: Vec<String> = upstreams
        .iter()
        .map(|a| format!("\"{}\"", a.addr))
        .collect();
    format!(
        "[[route]]\nname = \"{name}\"\nhost = \"{host}\"\npath_prefix = \"{prefix}\"\nupstreams = [{}]\npolicy = \"{policy}\"\nhealth_check_secs = 1\n\n",
        list.join(", ")
    )
}

async fn app_of(client: &reqwest::Client, url: &str) -> String {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let body: Value = response.json().await.unwrap();
    body["app"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn routes_by_host_then_longest_prefix() {
    let (root, api, admin, other) = (
        App::start("root").await,
        App::start("api").await,
        App::start("admin").await,
        App::start("other").await,
    );
    let routes = [
        route("root", "app.test", "/", &[&root], "public"),
        route("api", "app.test", "/api", &[&api], "public"),
        route("admin", "app.test", "/api/admin", &[&admin], "public"),
        route("other", "*.test", "/", &[&other], "public"),
    ]
    .concat();
    let gw = Gerbang::start(Spec::http(routes)).await;
    let c = gw.client(&["app.test", "x.test", "deep.x.test"]);
    assert_eq!(app_of(&c, &gw.url("app.test", "/whoami")).await, "root");
    assert_eq!(app_of(&c, &gw.url("app.test", "/api")).await, "api");
    assert_eq!(app_of(&c, &gw.url("app.test", "/api/orders")).await, "api");
    assert_eq!(app_of(&c, &gw.url("app.test", "/apix")).await, "root");
    assert_eq!(
        app_of(&c, &gw.url("app.test", "/api/admin/users")).await,
        "admin"
    );
    assert_eq!(
        app_of(&c, &gw.url("app.test", "/api/administrator")).await,
        "api"
    );
    assert_eq!(app_of(&c, &gw.url("x.test", "/api")).await, "other");
    assert_eq!(app_of(&c, &gw.url("deep.x.test", "/whoami")).await, "other");
}

#[tokio::test]
async fn unknown_host_gets_404() {
    let app = App::start("app").await;
    let gw = Gerbang::start(Spec::http(route("app", "app.test", "/", &[&app], "public"))).await;
    let c = gw.client(&["nobody.example", "app.test"]);
    let response = c.get(gw.url("nobody.example", "/")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Halaman tidak ditemukan"));
}

/// A provider page that does not exist says so in the reader's language, with the way home,
/// the login and the helpdesk.
#[tokio::test]
async fn a_missing_provider_page_leads_home() {
    let app = App::start("app").await;
    let gw = Gerbang::start(Spec::http(route("app", "app.test", "/", &[&app], "public"))).await;
    let c = gw.client(&[Gerbang::PROVIDER_HOST]);
    for (lang, words) in [("id", "Halaman tidak ditemukan"), ("en", "Page not found")] {
        let response = c
            .get(gw.url(Gerbang::PROVIDER_HOST, "/tidak-ada"))
            .header("accept-language", lang)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404);
        let page = response.text().await.unwrap();
        assert!(page.contains(words), "{page}");
        assert!(page.contains(r#"href="/""#) && page.contains(r#"href="/login""#));
        assert!(page.contains(r#"class="helpdesk""#), "{page}");
    }
}

#[tokio::test]
async fn round_robin_and_failover() {
    let (a, b) = (App::start("a").await, App::start("b").await);
    let gw = Gerbang::start(Spec::http(route(
        "pool",
        "pool.test",
        "/",
        &[&a, &b],
        "public",
    )))
    .await;
    let c = gw.client(&["pool.test"]);
    let mut seen: HashMap<String, usize> = HashMap::new();
    for _ in 0..20 {
        *seen
            .entry(app_of(&c, &gw.url("pool.test", "/whoami")).await)
            .or_default() += 1;
    }
    assert_eq!(seen.get("a"), Some(&10), "{seen:?}");
    assert_eq!(seen.get("b"), Some(&10), "{seen:?}");

    // One upstream goes away: every request still succeeds, on the other one, at once (the
    // failed connection is retried on the next address) and after the health check notices.
    a.stop().await;
    for _ in 0..10 {
        assert_eq!(app_of(&c, &gw.url("pool.test", "/whoami")).await, "b");
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for _ in 0..10 {
        assert_eq!(app_of(&c, &gw.url("pool.test", "/whoami")).await, "b");
    }
    b.stop().await;
    let response = c.get(gw.url("pool.test", "/whoami")).send().await.unwrap();
    assert_eq!(response.status(), 502);
}

#[tokio::test]
async fn authenticated_route_sends_browsers_to_the_provider() {
    let app = App::start("app").await;
    let gw = Gerbang::start(Spec::http(route(
        "app",
        "app.test",
        "/",
        &[&app],
        "authenticated",
    )))
    .await;
    let c = gw.client(&["app.test", Gerbang::PROVIDER_HOST]);
    let response = c
        .get(gw.url("app.test", "/orders?id=7"))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.host_str(), Some(Gerbang::PROVIDER_HOST));
    assert_eq!(location.path(), "/authorize");
    let q: HashMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43, "base64url of a SHA-256");
    assert!(q["state"].len() >= 22);
    assert!(q["nonce"].len() >= 22);
    assert_eq!(
        q["redirect_uri"],
        format!("https://app.test:{}/_gerbang/callback", gw.public_port)
    );
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-gerbang-login-"), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");

    // Two redirects never share a state.
    let again = c
        .get(gw.url("app.test", "/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let again = url::Url::parse(again.headers()["location"].to_str().unwrap()).unwrap();
    let q2: HashMap<String, String> = again.query_pairs().into_owned().collect();
    assert_ne!(q["state"], q2["state"]);

    // The provider's authorization endpoint, reached through the gateway, accepts the
    // gateway's request and asks the user to log in.
    let provider = c
        .get(location.as_str().replace("https://", "http://"))
        .send()
        .await
        .unwrap();
    assert_eq!(provider.status(), 302);
    let login = provider.headers()["location"].to_str().unwrap();
    assert!(login.starts_with("/login?request="), "{login}");
}

#[tokio::test]
async fn authenticated_route_answers_api_clients_with_401() {
    let app = App::start("app").await;
    let gw = Gerbang::start(Spec::http(route(
        "app",
        "app.test",
        "/",
        &[&app],
        "authenticated",
    )))
    .await;
    let c = gw.client(&["app.test"]);
    for request in [
        c.get(gw.url("app.test", "/api/orders"))
            .header("accept", "application/json"),
        c.get(gw.url("app.test", "/api/orders")),
        c.post(gw.url("app.test", "/orders"))
            .header("accept", "text/html")
            .body("x=1"),
    ] {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer realm=\"gerbang\""
        );
        assert!(response.headers().get("set-cookie").is_none());
    }
}

#[tokio::test]
async fn websocket_and_streaming_pass_through() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let app = App::start("ws").await;
    let gw = Gerbang::start(Spec::http(route("ws", "ws.test", "/", &[&app], "public"))).await;
    let mut request = format!("ws://{}/ws", gw.http.unwrap())
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("host", "ws.test".parse().unwrap());
    let (mut socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
    for n in 0..3 {
        socket
            .send(Message::text(format!("halo {n}")))
            .await
            .unwrap();
        let reply = socket.next().await.unwrap().unwrap();
        assert_eq!(reply.into_text().unwrap().as_str(), format!("ws: halo {n}"));
    }
    socket.close(None).await.unwrap();

    let c = gw.client(&["ws.test"]);
    let mut response = c
        .get(gw.url("ws.test", "/stream?chunks=5"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut chunks = Vec::new();
    while let Some(chunk) = response.chunk().await.unwrap() {
        chunks.push(chunk);
    }
    let body: Vec<u8> = chunks.concat();
    assert_eq!(
        String::from_utf8(body).unwrap(),
        (0..5).map(|i| format!("chunk {i}\n")).collect::<String>()
    );
}

/// A dead upstream (502) and a slow one (504) get the gateway's own answer, not Pingora's bare
/// one: the provider's page in the browser's language (naming the request, with the way home
/// and the helpdesk) or JSON for an API client, with `X-Request-Id` and the security headers
/// (issue 17, item 5; issue 21).
#[tokio::test]
async fn upstream_failures_get_the_gateways_own_answer() {
    let slow = App::start("slow").await;
    let refusing = Refusing::bind();
    let dead = refusing.addr;
    let routes = format!(
        "[[route]]\nname = \"dead\"\nhost = \"dead.test\"\nupstreams = [\"{dead}\"]\npolicy = \"public\"\n\n\
         [[route]]\nname = \"slow\"\nhost = \"slow.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\nupstream_timeout_secs = 1\n",
        slow.addr
    );
    let gw = Gerbang::start(Spec::http(routes)).await;
    let c = gw.client(&["dead.test", "slow.test"]);
    let provider = format!("https://{}:{}/", Gerbang::PROVIDER_HOST, gw.public_port);
    for (url, status, id, en, error) in [
        (
            gw.url("dead.test", "/x"),
            502,
            "Aplikasi ini sedang tidak dapat dihubungi.",
            "cannot be reached",
            "bad_gateway",
        ),
        (
            gw.url("slow.test", "/slow?ms=3000"),
            504,
            "tidak menjawab tepat waktu",
            "did not answer in time",
            "gateway_timeout",
        ),
    ] {
        for (lang, words) in [("id", id), ("en", en)] {
            let page = c
                .get(&url)
                .header("accept", "text/html")
                .header("accept-language", lang)
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), status, "{url}");
            let headers = page.headers().clone();
            let request_id = headers["x-request-id"].to_str().unwrap().to_string();
            assert_eq!(request_id.len(), 32, "{url}");
            assert_eq!(headers["x-frame-options"], "DENY");
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"));
            assert!(headers.get("server").is_none(), "{headers:?}");
            let text = page.text().await.unwrap();
            assert!(text.contains(words), "{text}");
            assert!(text.contains(&format!("lang=\"{lang}\"")), "{text}");
            assert!(text.contains(&request_id), "the request code: {text}");
            assert!(
                text.contains(&format!("href=\"{provider}\"")),
                "the way home: {text}"
            );
            assert!(text.contains(r#"class="helpdesk""#), "{text}");
            assert!(
                text.contains(&format!("href=\"{provider}static/gerbang.css\"")),
                "the provider's stylesheet: {text}"
            );
        }
        let api = c
            .get(&url)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(api.status(), status);
        assert!(api.headers().contains_key("x-request-id"));
        let body: Value = api.json().await.unwrap();
        assert_eq!(body["error"], error);
    }
}

/// An upstream connection one proxy thread returned to the pool and another picks up is
/// reused, not closed with "failed to acquire reusable stream" logged: in Pingora 0.9.1 the
/// idle poll unlocks a pooled stream a moment before it lets go of it, and the picker gave up
/// (patched in `third_party/pingora-core`).
#[tokio::test]
async fn pooled_upstream_connections_pass_between_threads_without_an_error() {
    let app = App::start("pooled").await;
    let relay = TcpProxy::start(vec![app.addr]).await;
    let routes = format!(
        "[[route]]\nname = \"pooled\"\nhost = \"app.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
        relay.addr
    );
    let gw = Gerbang::start(Spec {
        server_extra: "threads = 4\n".into(),
        ..Spec::http(routes)
    })
    .await;
    let url = gw.url("app.test", "/whoami");
    let clients: Vec<_> = (0..16)
        .map(|_| {
            let (client, url) = (gw.client(&["app.test"]), url.clone());
            tokio::spawn(async move {
                for _ in 0..200 {
                    let response = client.get(&url).send().await.unwrap();
                    assert_eq!(response.status(), 200);
                    response.bytes().await.unwrap();
                }
            })
        })
        .collect();
    for client in clients {
        client.await.unwrap();
    }
    let logs = gw.logs();
    assert!(
        !logs.contains("failed to acquire reusable stream") && !logs.contains("still shared"),
        "{logs}"
    );
    let connections = relay.relayed();
    assert!(
        connections <= 24,
        "3,200 requests from 16 clients took {connections} upstream connections"
    );
}

/// An upstream that answers `GET /<length>` with that many bytes of body, the head and the
/// body in one write or (`/<length>/apart`) the body 20 ms after the head, on one kept
/// connection; counts the connections it accepts.
async fn sized_upstream() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = Vec::new();
                loop {
                    let mut chunk = [0u8; 4096];
                    let Ok(n) = stream.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&buf[..end]).to_string();
                    buf.drain(..end + 4);
                    let path = head.split(' ').nth(1).unwrap_or("/0").to_string();
                    let mut parts = path.trim_start_matches('/').split('/');
                    let length: usize = parts.next().and_then(|l| l.parse().ok()).unwrap_or(0);
                    let apart = parts.next() == Some("apart");
                    let body: Vec<u8> = (0..length).map(|i| b'a' + (i % 26) as u8).collect();
                    let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {length}\r\n\r\n");
                    if apart {
                        stream.write_all(head.as_bytes()).await.unwrap();
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        stream.write_all(&body).await.unwrap();
                    } else {
                        stream
                            .write_all(&[head.as_bytes(), &body].concat())
                            .await
                            .unwrap();
                    }
                }
            });
        }
    });
    (addr, accepted)
}

/// A response body reaches the client whole at every size, whether it came with the head (the
/// patched Pingora then sizes its buffer to it rather than to 64 KiB) or after it, and the
/// upstream connection is kept for the next request either way.
#[tokio::test]
async fn response_bodies_of_every_size_pass_whole_on_a_kept_connection() {
    let (upstream, accepted) = sized_upstream().await;
    let routes = format!(
        "[[route]]\nname = \"sized\"\nhost = \"app.test\"\nupstreams = [\"{upstream}\"]\npolicy = \"public\"\n"
    );
    let gw = Gerbang::start(Spec::http(routes)).await;
    let client = gw.client(&["app.test"]);
    for length in [0usize, 1, 3, 1_000, 16_384, 65_535, 65_536, 65_537, 200_000] {
        for apart in ["", "/apart"] {
            let response = client
                .get(gw.url("app.test", &format!("/{length}{apart}")))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200, "{length}{apart}");
            let body = response.bytes().await.unwrap();
            assert_eq!(body.len(), length, "{length}{apart}");
            assert!(
                body.iter()
                    .enumerate()
                    .all(|(i, b)| *b == b'a' + (i % 26) as u8),
                "{length}{apart}: the body's bytes"
            );
        }
    }
    let connections = accepted.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        connections <= 2,
        "18 requests one after another took {connections} upstream connections"
    );
    assert!(!gw.logs().contains("ERROR"), "{}", gw.logs());
}

/// A client that hangs up while its request is with the upstream is not the gateway's
/// failure: no error line (an error line must mean something failed), an info line instead.
#[tokio::test]
async fn a_client_that_hangs_up_leaves_no_error_line() {
    use tokio::io::AsyncWriteExt;
    let slow = App::start("slow").await;
    let routes = format!(
        "[[route]]\nname = \"slow\"\nhost = \"slow.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
        slow.addr
    );
    let gw = Gerbang::start(Spec::http(routes)).await;
    let mut client = tokio::net::TcpStream::connect(gw.http.unwrap())
        .await
        .unwrap();
    client
        .write_all(b"GET /slow?ms=1500 HTTP/1.1\r\nHost: slow.test\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(client);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !gw
        .logs()
        .contains("the client closed its connection before the answer")
    {
        assert!(std::time::Instant::now() < deadline, "{}", gw.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(!gw.logs().contains(" ERROR "), "{}", gw.logs());
}
