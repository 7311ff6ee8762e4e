//! What attackers try at the proxy (see `shared/checklists/security.md`, "The proxy"): each
//! attempt goes through the real binary and must fail to get in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::{raw_request, App, Gerbang, Spec};
use serde_json::Value;

/// Host `c.test`: `/` public (app `public`), `/admin` authenticated (app `admin`).
async fn two_policies() -> (Gerbang, App, App) {
    let public = App::start("public").await;
    let admin = App::start("admin").await;
    let routes = format!(
        "[[route]]\nname = \"public\"\nhost = \"c.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n\n\
         [[route]]\nname = \"admin\"\nhost = \"c.test\"\npath_prefix = \"/admin\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\n",
        public.addr, admin.addr
    );
    (Gerbang::start(Spec::http(routes)).await, public, admin)
}

fn get(path: &str, extra_headers: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: c.test\r\nAccept: application/json\r\n{extra_headers}Connection: close\r\n\r\n")
}

#[tokio::test]
async fn spoofed_identity_headers_never_reach_the_upstream() {
    let (gw, _public, _admin) = two_policies().await;
    let spoofed = [
        "X-Gerbang-User: admin",
        "x-gerbang-email: admin@oss.go.id",
        "X-GERBANG-IDENTITY: forged.jwt.value",
        "X_Gerbang_User: admin",
        "X-Forwarded-User: admin",
        "x-forwarded-user: admin",
        "X_Forwarded_User: admin",
        "X-Forwarded-Email: admin@oss.go.id",
        "X-Forwarded-Preferred-Username: admin",
        "X-Forwarded-Groups: admins",
        "X-Auth-Request-User: admin",
        "X-Auth-Request-Email: admin@oss.go.id",
        "x_auth_request_groups: admins",
        "Remote-User: admin",
        "REMOTE_USER: admin",
        "Remote-Groups: admins",
        "X-Forwarded-User: second",
        "X-Forwarded-For: 10.0.0.1",
        "X-Forwarded-Host: evil.example",
        "X-Forwarded-Proto: https",
        "X-Forwarded-Uri: /admin",
        "Forwarded: for=10.0.0.1;host=evil.example",
        "X-Real-IP: 10.0.0.1",
        "X-Request-Id: chosen-by-client",
        // What other gateways and apps trust (issue 16, item 11).
        "X-WEBAUTH-USER: admin",
        "X-Remote-User: admin",
        "X-Remote-Email: admin@oss.go.id",
        "X-Remote-Groups: admins",
        "X-Authenticated-User: admin",
        "X-Auth-User: admin",
        "X-Username: admin",
        "X-User-Id: 1",
        "Cf-Access-Authenticated-User-Email: admin@oss.go.id",
        "Cf-Access-Jwt-Assertion: forged",
        "X-Goog-Authenticated-User-Email: accounts.google.com:admin@oss.go.id",
        "X-Amzn-Oidc-Identity: admin",
        "X-Amzn-Oidc-Data: forged",
        "True-Client-IP: 10.0.0.1",
        "CF-Connecting-IP: 10.0.0.1",
        "X-Client-IP: 10.0.0.1",
        "X-Original-URI: /admin",
    ];
    let headers: String = spoofed.iter().map(|h| format!("{h}\r\n")).collect();
    let response = raw_request(gw.http.unwrap(), &get("/whoami", &headers)).await;
    assert_eq!(response.status, 200, "{response:?}");
    let body: Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(
        body["app"], "public",
        "X-Forwarded-Uri must not change the route"
    );
    let received = body["headers"].as_object().unwrap();
    for name in received.keys() {
        let folded = name.replace('_', "-");
        assert!(
            !folded.starts_with("x-gerbang-")
                && !folded.starts_with("x-auth-request-")
                && ![
                    "x-forwarded-user",
                    "x-forwarded-email",
                    "x-forwarded-preferred-username",
                    "x-forwarded-groups",
                    "remote-user",
                    "remote-groups",
                    "forwarded",
                    "x-forwarded-uri",
                    "x-webauth-user",
                    "x-remote-user",
                    "x-remote-email",
                    "x-remote-groups",
                    "x-authenticated-user",
                    "x-auth-user",
                    "x-username",
                    "x-user-id",
                    "cf-access-authenticated-user-email",
                    "cf-access-jwt-assertion",
                    "x-goog-authenticated-user-email",
                    "x-amzn-oidc-identity",
                    "x-amzn-oidc-data",
                    "true-client-ip",
                    "cf-connecting-ip",
                    "x-client-ip",
                    "x-original-uri",
                ]
                .contains(&folded.as_str()),
            "{name} reached the upstream: {received:?}"
        );
    }
    // The gateway's own forwarding headers, one value each, set from what it saw.
    assert_eq!(
        body["headers"]["x-forwarded-for"],
        serde_json::json!(["127.0.0.1"])
    );
    assert_eq!(
        body["headers"]["x-forwarded-host"],
        serde_json::json!(["c.test"])
    );
    assert_eq!(
        body["headers"]["x-real-ip"],
        serde_json::json!(["127.0.0.1"]),
        "the client's X-Real-IP is replaced, not trusted"
    );
    assert_eq!(
        body["headers"]["x-forwarded-proto"],
        serde_json::json!(["http"])
    );
    let request_id = body["headers"]["x-request-id"][0].as_str().unwrap();
    assert_ne!(request_id, "chosen-by-client");
    assert_eq!(
        response.header("x-request-id"),
        Some(request_id),
        "the client sees the id the upstream saw"
    );
}

/// Behind a trusted proxy (here: loopback, where the test connects from), the gateway extends
/// the client's `X-Forwarded-For` chain and takes the client to be the rightmost address that
/// is not a trusted proxy; every address to the left of that one is the client's own claim.
#[tokio::test]
async fn a_trusted_proxys_chain_is_extended_and_read_from_the_right() {
    let public = App::start("public").await;
    let routes = format!(
        "[[route]]\nname = \"public\"\nhost = \"c.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
        public.addr
    );
    let gw = Gerbang::start(Spec {
        server_extra: "trusted_proxies = [\"127.0.0.1\", \"10.0.0.2\"]\n".into(),
        ..Spec::http(routes)
    })
    .await;
    let chain = "X-Forwarded-For: 198.51.100.9, 203.0.113.7, 10.0.0.2\r\nX-Real-IP: 192.0.2.1\r\n";
    let response = raw_request(gw.http.unwrap(), &get("/whoami", chain)).await;
    assert_eq!(response.status, 200, "{response:?}");
    let body: Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(
        body["headers"]["x-forwarded-for"],
        serde_json::json!(["198.51.100.9, 203.0.113.7, 10.0.0.2, 127.0.0.1"]),
        "the chain, then the peer that sent it"
    );
    assert_eq!(
        body["headers"]["x-real-ip"],
        serde_json::json!(["203.0.113.7"]),
        "the rightmost address no trusted proxy added"
    );
}

#[tokio::test]
async fn path_confusion_cannot_reach_the_protected_prefix() {
    let (gw, _public, _admin) = two_policies().await;
    let addr = gw.http.unwrap();
    // The protected prefix itself: 401 for this API-style client.
    assert_eq!(
        raw_request(addr, &get("/admin/users", "")).await.status,
        401
    );
    let attempts = [
        "/public/../admin/users",
        "/public/%2e%2e/admin/users",
        "/public/%2E%2E/admin/users",
        "/public/.%2e/admin/users",
        "/%2e%2e/admin/users",
        "/public/..;/admin/users",
        "/public;x/../admin/users",
        "//admin/users",
        "/./admin/users",
        "/%61dmin/users",
        "/public%2f..%2fadmin/users",
        "/public%5c..%5cadmin/users",
        "/public/%252e%252e/admin/users",
        "/admin%00/users",
        "/public/..%00/admin/users",
        "/admin;/users",
        // Double encoding made by decoding (`%25%32%65` would go out as `%252e`) and a segment
        // of parameters only: both found by the path_route fuzz target.
        "/public/%25%32%65%25%32%65/admin/users",
        "/;x/admin/users",
        "/;/admin/users",
        // Case and Windows padding (issue 16, item 5): Express, ASP.NET and IIS serve these as
        // `/admin`.
        "/ADMIN",
        "/Admin/users",
        "/aDmIn/users",
        "/%41dmin/users",
        "/admin.",
        "/admin./users",
        "/admin%20",
        "/admin%20/users",
        "/admin.%20.",
        "/admin;x",
    ];
    for path in attempts {
        let response = raw_request(addr, &get(path, "")).await;
        assert!(
            matches!(response.status, 400 | 401),
            "{path} answered {} {}",
            response.status,
            response.body
        );
        assert!(
            !response.body.contains("\"app\""),
            "{path} reached an upstream: {}",
            response.body
        );
    }
    // The upstream receives the normal path the route was chosen on.
    let response = raw_request(addr, &get("/docs/./guide/../index%2Ehtml", "")).await;
    let body: Value = serde_json::from_str(&response.body).unwrap();
    assert_eq!(body["app"], "public");
    assert_eq!(body["path"], "/docs/index.html");
}

#[tokio::test]
async fn conflicting_lengths_are_refused() {
    let (gw, _public, _admin) = two_policies().await;
    let addr = gw.http.unwrap();
    let smuggle = "POST /whoami HTTP/1.1\r\nHost: c.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\nGET /admin/users HTTP/1.1\r\nHost: c.test\r\n\r\n";
    let response = raw_request(addr, smuggle).await;
    assert_eq!(response.status, 400, "{response:?}");
    let twice = "POST /whoami HTTP/1.1\r\nHost: c.test\r\nContent-Length: 4\r\nContent-Length: 40\r\nConnection: close\r\n\r\nabcd";
    assert_eq!(raw_request(addr, twice).await.status, 400);
}

#[tokio::test]
async fn host_header_decides_nothing_it_should_not() {
    let (gw, _public, _admin) = two_policies().await;
    let addr = gw.http.unwrap();
    for host in [
        "evil.example",
        "c.test.evil.example",
        "c.test@evil.example",
        "",
    ] {
        let request = format!("GET /whoami HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        let status = raw_request(addr, &request).await.status;
        assert!(
            matches!(status, 400 | 404),
            "Host {host:?} answered {status}"
        );
    }
    // The login redirect is built from configured names, never from anything else the client sent.
    let request = "GET /admin HTTP/1.1\r\nHost: c.test\r\nAccept: text/html\r\nX-Forwarded-Host: evil.example\r\nConnection: close\r\n\r\n";
    let response = raw_request(addr, request).await;
    assert_eq!(response.status, 302);
    let location = response.header("location").unwrap();
    assert!(location.starts_with("https://sso.test:"), "{location}");
    assert!(!location.contains("evil"), "{location}");
}

/// A route's own `strip_headers`, and a case-sensitive route that keeps its case.
#[tokio::test]
async fn a_route_strips_its_own_headers_and_may_keep_its_case() {
    let public = App::start("public").await;
    let legacy = App::start("legacy").await;
    let routes = format!(
        "[[route]]\nname = \"public\"\nhost = \"c.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\nstrip_headers = [\"X-Perizinan-Role\"]\n\n\
         [[route]]\nname = \"legacy\"\nhost = \"c.test\"\npath_prefix = \"/Legacy\"\ncase_sensitive = true\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
        public.addr, legacy.addr
    );
    let gw = Gerbang::start(Spec::http(routes)).await;
    let addr = gw.http.unwrap();
    let response = raw_request(
        addr,
        &get(
            "/whoami",
            "X-Perizinan-Role: admin\r\nX_PERIZINAN_ROLE: admin\r\nX-Kept: 1\r\n",
        ),
    )
    .await;
    let body: Value = serde_json::from_str(&response.body).unwrap();
    let received = body["headers"].as_object().unwrap();
    assert!(
        !received
            .keys()
            .any(|k| k.replace('_', "-") == "x-perizinan-role"),
        "{received:?}"
    );
    assert_eq!(body["headers"]["x-kept"], serde_json::json!(["1"]));
    let app_of = |path: &'static str| async move {
        let response = raw_request(addr, &get(path, "")).await;
        let body: Value = serde_json::from_str(&response.body).unwrap();
        body["app"].as_str().unwrap().to_string()
    };
    assert_eq!(app_of("/Legacy/x").await, "legacy");
    assert_eq!(app_of("/legacy/x").await, "public", "case-sensitive");
}

/// An app may set its own cookies, never the gateway's: a planted session or pending login
/// would log the browser in as someone else (session fixation through the app).
#[tokio::test]
async fn an_upstream_cannot_set_the_gateways_cookies() {
    use axum::response::IntoResponse;
    let planting =
        gerbang_tests::Reserved::new("planting")
            .await
            .serve_router(axum::Router::new().route(
                "/plant",
                axum::routing::get(|| async {
                    let mut response = "planted".into_response();
                    for cookie in [
                        "app=1; Path=/",
                        "__Host-gerbang-session=forged; Path=/; Secure",
                        "__host-GERBANG-login-abc=forged; Path=/; Secure",
                        "theme=dark; Path=/",
                    ] {
                        response.headers_mut().append(
                            axum::http::header::SET_COOKIE,
                            axum::http::HeaderValue::from_static(cookie),
                        );
                    }
                    response
                }),
            ));
    let routes = format!(
        "[[route]]\nname = \"public\"\nhost = \"c.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
        planting.addr
    );
    let gw = Gerbang::start(Spec::http(routes)).await;
    let response = raw_request(gw.http.unwrap(), &get("/plant", "")).await;
    assert_eq!(response.status, 200, "{response:?}");
    let set: Vec<&str> = response.headers_named("set-cookie");
    assert_eq!(set, ["app=1; Path=/", "theme=dark; Path=/"], "{response:?}");
}

/// A request head that does not parse is answered by the gateway's own 400, not Pingora's
/// bare one (`Server: Pingora`, no security headers) (issue 16, item 11).
#[tokio::test]
async fn a_malformed_request_gets_the_gateways_own_400() {
    let (gw, _public, _admin) = two_policies().await;
    for malformed in [
        "GET /whoami HTTP/1.1\r\nHost: c.test\r\nNo colon here\r\n\r\n",
        "GET /whoami HTTP/1.1\r\nHost: c.test\r\nBad Name: x\r\n\r\n",
    ] {
        let response = raw_request(gw.http.unwrap(), malformed).await;
        assert_eq!(response.status, 400, "{response:?}");
        assert_eq!(response.header("server"), None, "{response:?}");
        assert_eq!(response.header("x-request-id").map(str::len), Some(32));
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert!(
            response.body.contains("Permintaan ini tidak dapat dibaca."),
            "{response:?}"
        );
        let id = response.header("x-request-id").unwrap();
        assert!(
            response.body.contains(id),
            "the page names the request: {response:?}"
        );
    }
}

/// A client that trickles its request head (slowloris) is disconnected once
/// `request_head_timeout_secs` has run out, however steadily it sends (issue 16, item 10).
#[tokio::test]
async fn a_trickled_request_head_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let public = App::start("public").await;
    let routes = format!(
        "[[route]]\nname = \"public\"\nhost = \"c.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
        public.addr
    );
    let gw = Gerbang::start(Spec {
        server_extra: "request_head_timeout_secs = 2\n".into(),
        ..Spec::http(routes)
    })
    .await;
    let head = get(
        "/whoami",
        "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
    );
    let mut stream = tokio::net::TcpStream::connect(gw.http.unwrap())
        .await
        .unwrap();
    let started = std::time::Instant::now();
    // A byte every 200 ms: the whole head would take over 20 s.
    let mut sent = 0;
    for byte in head.bytes() {
        if stream.write_all(&[byte]).await.is_err() {
            break;
        }
        sent += 1;
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        if started.elapsed() > std::time::Duration::from_secs(15) {
            break;
        }
    }
    let mut rest = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut rest),
    )
    .await;
    assert!(
        sent < head.len(),
        "the whole head went through ({sent} bytes)"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "still connected after {:?}",
        started.elapsed()
    );
    assert!(read.is_ok(), "the connection was not closed");
    // A request sent at once is served as always.
    assert_eq!(
        raw_request(gw.http.unwrap(), &get("/whoami", ""))
            .await
            .status,
        200
    );
}

/// A connection from `source` (a loopback address of its own) to `to`.
async fn connect_from(source: &str, to: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(to).await.unwrap()
}

/// Sends one request on `stream` and reads to the end: the status, or `None` when the
/// connection was closed without an answer.
async fn status_on(mut stream: tokio::net::TcpStream) -> Option<u16> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let _ = stream.write_all(get("/whoami", "").as_bytes()).await;
    let mut answer = Vec::new();
    // A reset (the refused connection closed before the request was read) ends it as EOF does.
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("answered or closed within 10 s");
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// One client address holds at most `max_connections_per_address` connections open at once
/// (issue 16, item 10): one more is closed on arrival and counted; other addresses are served
/// meanwhile, and a closed connection frees its place.
#[tokio::test]
async fn one_address_holds_a_bounded_number_of_connections() {
    let public = App::start("public").await;
    let internal = std::net::SocketAddr::from(([127, 0, 0, 1], gerbang_tests::free_port()));
    let routes = format!(
        "[[route]]\nname = \"public\"\nhost = \"c.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
        public.addr
    );
    let gw = Gerbang::start(Spec {
        server_extra: format!("max_connections_per_address = 3\ninternal = \"{internal}\"\n"),
        ..Spec::http(routes)
    })
    .await;
    let to = gw.http.unwrap();
    // Three idle connections, as a slowloris client keeps them.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from("127.0.0.2", to).await);
    }
    // The gateway counts a connection once it has taken it from the accept queue: a fourth is
    // refused as soon as the three are counted. Accept queues need not hand connections over in
    // the order they were made (under load a probe was counted before a held one, which was
    // then the one refused): a held connection the gateway closed is made again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        for stream in held.iter_mut() {
            if matches!(stream.try_read(&mut [0u8; 1]), Ok(0)) {
                *stream = connect_from("127.0.0.2", to).await;
            }
        }
        let fourth = status_on(connect_from("127.0.0.2", to).await).await;
        if fourth.is_none() {
            break;
        }
        if std::time::Instant::now() >= deadline {
            // Whether the gateway closed the held ones (a closed one reads 0 bytes at once).
            let closed = held
                .iter()
                .filter(|s| matches!(s.try_read(&mut [0u8; 1]), Ok(0)))
                .count();
            panic!("a fourth connection kept being served; {closed} of the 3 held were closed by the gateway");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        status_on(connect_from("127.0.0.3", to).await).await,
        Some(200),
        "another address is served meanwhile"
    );
    let metrics = gerbang_tests::scrape(internal).await;
    assert!(gerbang_tests::metric(&metrics, "gerbang_connections_refused_total") >= 1.0);
    // Closing one frees its place.
    drop(held.pop());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while status_on(connect_from("127.0.0.2", to).await).await != Some(200) {
        assert!(
            std::time::Instant::now() < deadline,
            "the closed connection's place was never freed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
