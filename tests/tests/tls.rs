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
}
