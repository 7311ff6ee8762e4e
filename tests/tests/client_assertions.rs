//! `private_key_jwt` at Gerbang's provider (OpenID Connect Core section 9, RFC 7523): a client
//! that publishes its keys (here at the fake provider's `/jwks`, over loopback HTTP) proves
//! itself with a signed assertion, which is accepted once, only for this provider, only while
//! it lives, and never replaced by a secret or by the client id alone.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use gerbang_tests::browser::get_json;
use gerbang_tests::fake_op::FakeOp;
use gerbang_tests::{Gerbang, Spec};
use serde_json::Value;

const CLIENT: &str = "pelapor";
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct Site {
    gw: Gerbang,
    keys: FakeOp,
    http: reqwest::Client,
    issuer: String,
}

impl Site {
    async fn start() -> Site {
        let keys = FakeOp::start(serde_json::json!({ "sub": "unused" })).await;
        let gw = Gerbang::start(Spec {
            https: true,
            http: false,
            extra: format!(
                "[[client]]\nid = \"{CLIENT}\"\njwks_uri = \"{}/jwks\"\n\
                 grant_types = [\"client_credentials\"]\nscopes = [\"email\"]\n",
                keys.issuer
            ),
            ..Spec::http("")
        })
        .await;
        let issuer = gw.url(Gerbang::PROVIDER_HOST, "");
        let http = gw.client(&[Gerbang::PROVIDER_HOST]);
        Site {
            gw,
            keys,
            http,
            issuer,
        }
    }

    fn assertion(&self, audience: &str, at: u64, rotated: bool) -> String {
        self.keys.client_assertion(CLIENT, audience, at, rotated)
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.issuer))
            .form(form)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn grant(&self, assertion: &str) -> (u16, Value) {
        self.post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
            ],
        )
        .await
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn a_client_with_keys_authenticates_with_an_assertion_once_and_only_so() {
    let site = Site::start().await;
    let discovery = get_json(
        &site.http,
        &format!("{}/.well-known/openid-configuration", site.issuer),
    )
    .await;
    let methods = discovery["token_endpoint_auth_methods_supported"].to_string();
    assert!(methods.contains("private_key_jwt"), "{methods}");
    assert_eq!(
        discovery["token_endpoint_auth_signing_alg_values_supported"],
        serde_json::json!(["RS256", "ES256"])
    );

    let token_endpoint = format!("{}/token", site.issuer);
    let assertion = site.assertion(&token_endpoint, now(), false);
    let (status, tokens) = site.grant(&assertion).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_string();

    let (status, body) = site.grant(&assertion).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "a replayed assertion: {body}"
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("used before"));

    // The issuer is an audience too (RFC 7523bis); another server's is not.
    assert_eq!(
        site.grant(&site.assertion(&site.issuer, now(), false))
            .await
            .0,
        200
    );
    for (why, assertion) in [
        (
            "another audience",
            site.assertion("https://other.example/token", now(), false),
        ),
        (
            "expired",
            site.assertion(&token_endpoint, now() - 120, false),
        ),
    ] {
        let (status, body) = site.grant(&assertion).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{why}: {body}"
        );
    }

    // Neither a secret nor the bare client id stands in for the assertion.
    for form in [
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT),
            ("client_secret", "guessed-secret-0123456789"),
        ],
        vec![("grant_type", "client_credentials"), ("client_id", CLIENT)],
    ] {
        let (status, body) = site.post("/token", &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
    }
    // An assertion beside a secret is two methods at once.
    let both = site.assertion(&token_endpoint, now(), false);
    let (status, body) = site
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_secret", "x"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &both),
            ],
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    // Introspection takes the same authentication, addressed to its own endpoint.
    let introspect = format!("{}/introspect", site.issuer);
    let assertion = site.assertion(&introspect, now(), false);
    let (status, info) = site
        .post(
            "/introspect",
            &[
                ("token", &access),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion),
            ],
        )
        .await;
    assert_eq!(
        (status, info["active"].as_bool()),
        (200, Some(true)),
        "{info}"
    );

    // The client rotates its key: a signature no cached key verifies fetches its keys again
    // (not more often than every ten seconds, so bad assertions cannot make Gerbang hammer it).
    tokio::time::sleep(Duration::from_secs(11)).await;
    let rotated = site.assertion(&token_endpoint, now(), true);
    let (status, body) = site.grant(&rotated).await;
    assert_eq!(status, 200, "the rotated key was fetched: {body}");

    let (ok, audit, err) = site.gw.admin(&["audit", "--limit", "50"], "");
    assert!(ok, "{err}");
    assert!(
        audit.matches("token.issued").count() >= 3,
        "the grants are audited:\n{audit}"
    );
}
