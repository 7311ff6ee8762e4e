//! API clients through the gateway: `Authorization: Bearer <access token>`, verified locally.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use gerbang_tests::{browser, App, Gerbang, Spec};
use serde_json::Value;

#[tokio::test]
async fn bearer_tokens_of_the_routes_clients_are_accepted_and_revocable() {
    let app = App::start("api").await;
    let client = |id: &str| {
        format!("[[client]]\nid = \"{id}\"\nsecret = \"{id}-secret-0123456789\"\ngrant_types = [\"client_credentials\"]\nscopes = [\"openid\", \"email\"]\n\n")
    };
    let es256 = format!(
        "{}\naccess_token_signed_response_alg = \"ES256\"\n\n",
        client("machine-es").trim_end()
    );
    let gw = Gerbang::start(Spec {
        https: true,
        http: false,
        extra: [client("machine"), client("stranger"), es256].concat(),
        ..Spec::http(format!(
            "[[route]]\nname = \"api\"\nhost = \"api.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\napi_clients = [\"machine\", \"machine-es\"]\n",
            app.addr
        ))
    })
    .await;
    let http = gw.client(&["api.test", Gerbang::PROVIDER_HOST]);
    let token_for = |id: &'static str| {
        let http = http.clone();
        let url = gw.url(Gerbang::PROVIDER_HOST, "/token");
        async move {
            browser::client_credentials(&http, &url, id, &format!("{id}-secret-0123456789")).await
        }
    };
    let call = |token: String| {
        let http = http.clone();
        let url = gw.url("api.test", "/whoami");
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let token = token_for("machine").await;
    let ok = call(token.clone()).await;
    assert_eq!(ok.status(), 200);
    let seen: Value = ok.json().await.unwrap();
    // A client acting for itself is a client, never a user (issue 16, item 11).
    assert_eq!(
        seen["headers"]["x-gerbang-client"],
        serde_json::json!(["machine"])
    );
    assert!(seen["headers"].get("x-gerbang-user").is_none(), "{seen}");
    assert!(seen["headers"].get("x-gerbang-subject").is_none(), "{seen}");
    assert!(
        seen["headers"].get("authorization").is_some(),
        "the token itself still reaches the API"
    );

    // A client whose access tokens are ES256: signed so, and accepted alike.
    let es = token_for("machine-es").await;
    let header = es.split('.').next().unwrap();
    let header: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, header).unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "ES256");
    assert_eq!(call(es).await.status(), 200);

    assert_eq!(
        call(token_for("stranger").await).await.status(),
        401,
        "not one of the route's clients"
    );
    assert_eq!(call("not.a.token".into()).await.status(), 401);
    let mut tampered = token.clone();
    tampered.replace_range(tampered.len() - 4.., "AAAA");
    assert_eq!(call(tampered).await.status(), 401);

    // Revoked at the provider: the gateway refuses it within a couple of seconds.
    let revoked = http
        .post(gw.url(Gerbang::PROVIDER_HOST, "/revoke"))
        .basic_auth("machine", Some("machine-secret-0123456789"))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    while call(token.clone()).await.status() != 401 {
        assert!(
            Instant::now() < deadline,
            "a revoked token still passes after 5 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
