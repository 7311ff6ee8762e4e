//! HTTPS with the development certificate, HTTP/2, and HTTP sent to HTTPS.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::{raw_request, App, Gerbang, Spec};
use serde_json::Value;

#[tokio::test]
async fn https_with_the_dev_certificate_and_http_redirects() {
    let app = App::start("app").await;
    let spec = Spec {
        https: true,
        ..Spec::http(format!(
            "[[route]]\nname = \"app\"\nhost = \"app.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
            app.addr
        ))
    };
    let gw = Gerbang::start(spec).await;

    let client = gw.client(&["app.test"]);
    let response = client
        .get(gw.url("app.test", "/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.version(),
        reqwest::Version::HTTP_2,
        "h2 is offered over TLS"
    );
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["headers"]["x-forwarded-proto"],
        serde_json::json!(["https"])
    );
    assert_eq!(
        body["headers"]["x-forwarded-host"],
        serde_json::json!([format!("app.test:{}", gw.public_port)])
    );

    // A client that does not trust the development CA refuses the handshake.
    let untrusting = reqwest::Client::builder()
        .resolve("app.test", gw.https.unwrap())
        .build()
        .unwrap();
    assert!(untrusting
        .get(gw.url("app.test", "/"))
        .send()
        .await
        .is_err());

    // Plain HTTP answers with a permanent redirect to the same path over HTTPS.
    let request =
        "GET /orders/../list?page=2 HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n";
    let redirect = raw_request(gw.http.unwrap(), request).await;
    assert_eq!(redirect.status, 308);
    assert_eq!(
        redirect.header("location"),
        Some(format!("https://app.test:{}/list?page=2", gw.public_port).as_str())
    );
    // …but only for hosts it serves.
    let unknown = "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n";
    assert_eq!(raw_request(gw.http.unwrap(), unknown).await.status, 404);

    // A connection that leaves before its handshake (a TCP health check) and the refused one
    // above are the clients' doing: noted at info, never logged as an error.
    drop(
        tokio::net::TcpStream::connect(gw.https.unwrap())
            .await
            .unwrap(),
    );
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let logs = gw.logs();
    let noted = logs
        .lines()
        .filter(|l| l.contains("Downstream handshake error"));
    assert!(noted.clone().count() >= 2, "{logs}");
    assert!(noted.clone().all(|l| l.contains(" INFO ")), "{logs}");
    assert!(!logs.contains(" ERROR "), "{logs}");
}

/// A route whose upstream is reached over TLS and verified against a configured CA: the
/// upstream here is a second Gerbang, with its own development CA, in front of the app.
#[tokio::test]
async fn upstream_over_verified_tls() {
    let app = App::start("inner").await;
    let route = |upstream: String, tls: &str| {
        format!("[[route]]\nname = \"front\"\nhost = \"front.test\"\nupstreams = [\"{upstream}\"]\npolicy = \"public\"\n{tls}")
    };
    let inner = Gerbang::start(Spec {
        https: true,
        http: false,
        ..Spec::http(route(app.addr.to_string(), ""))
    })
    .await;
    // A front Gerbang that reaches `inner` over TLS, naming it `sni`, and asks it for /whoami.
    let through_front = |sni: &'static str| {
        let spec = Spec {
            server_extra: format!("upstream_ca = \"{}\"\n", inner.ca_path().display()),
            ..Spec::http(route(
                inner.https.unwrap().to_string(),
                &format!("upstream_tls = {{ sni = \"{sni}\" }}\n"),
            ))
        };
        async move {
            let front = Gerbang::start(spec).await;
            let c = front.client(&["front.test"]);
            let response = c
                .get(front.url("front.test", "/whoami"))
                .send()
                .await
                .unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    let (status, body) = through_front("front.test").await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["app"], "inner");
    assert_eq!(
        body["headers"]["x-forwarded-proto"],
        serde_json::json!(["https"]),
        "the inner hop was TLS"
    );

    // A name the upstream's certificate does not cover fails verification: nothing gets through.
    let (status, _) = through_front("other.example").await;
    assert_eq!(status, 502);
}
