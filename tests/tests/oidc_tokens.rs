//! Tokens against `shared/checklists/oidc-provider.md` and `oauth-security.md`: refresh tokens
//! (rotation, client binding, concurrent use), CORS for browser-based clients, PKCE, and the
//! lines beyond the plans (RFC 9700 OAuth 2.0 Security BCP, RFC 9207, RFC 7662, RFC 7009).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::browser::{self, location};
use gerbang_tests::op::*;
use openidconnect::core::CoreAuthenticationFlow;
use openidconnect::{
    CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RefreshToken, TokenResponse,
};
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Refresh tokens, CORS and PKCE
// ---------------------------------------------------------------------------------------------

/// oidcc-refresh-token: refresh works, rotates, and is bound to its client.
#[tokio::test]
async fn oidcc_refresh_token() {
    let op = Op::start().await;
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let first = tokens.refresh_token().unwrap().clone();
    let rotated = client
        .exchange_refresh_token(&first)
        .unwrap()
        .request_async(&op.http)
        .await
        .unwrap();
    let second = rotated.refresh_token().unwrap();
    assert_ne!(first.secret(), second.secret(), "refresh tokens rotate");
    let claims = rotated
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .unwrap();
    assert_eq!(claims.subject().as_str(), id_claims(&tokens)["sub"]);
    // Another client cannot use it.
    let other = op
        .token(
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", second.secret().as_str()),
                ("client_id", "spa"),
            ],
        )
        .await;
    assert_eq!(other.0, 400);
    assert_eq!(other.1["error"], "invalid_grant");
    // ... nor spend it: the owner's token still works (checked before it is taken).
    let owners = op
        .token(
            Some(RP_SECRET),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", second.secret().as_str()),
            ],
        )
        .await;
    assert_eq!(owners.0, 200, "{}", owners.1);
}

/// RFC 9700 4.14.2 under a race: 50 concurrent refreshes of one token give at most one new set
/// of tokens, every other one is refused, and the reuse revokes the family, so even the
/// winner's tokens and the first access token stop working. Spending a token is one atomic store
/// operation (see the store conformance suite's `concurrent_spends_…`).
async fn assert_concurrent_refreshes_revoke_the_family(op: &Op) {
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let token = tokens.refresh_token().unwrap().secret().clone();
    let refresh = |token: String| async move {
        op.token(
            Some(RP_SECRET),
            &[("grant_type", "refresh_token"), ("refresh_token", &token)],
        )
        .await
    };
    let answers = futures_util::future::join_all((0..50).map(|_| refresh(token.clone()))).await;
    let won: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert!(won.len() <= 1, "{} refreshes of one token won", won.len());
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!(
            (*status, body["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    let first_access = tokens.access_token().secret();
    assert_eq!(
        op.userinfo(first_access).await.status(),
        401,
        "family revoked"
    );
    if let Some(won) = won.first() {
        let again = refresh(won["refresh_token"].as_str().unwrap().to_string()).await;
        assert_eq!(
            again.0, 400,
            "the winner's refresh token is of the revoked family"
        );
        let access = won["access_token"].as_str().unwrap();
        assert_eq!(op.userinfo(access).await.status(), 401);
    }
}

#[tokio::test]
async fn rfc9700_concurrent_refreshes_on_sled() {
    assert_concurrent_refreshes_revoke_the_family(&Op::start().await).await;
}

#[tokio::test]
async fn rfc9700_concurrent_refreshes_on_postgres() {
    use gerbang_idp::store::test_database::{database_url, TestSchema};
    let schema = TestSchema::create().await;
    let store = format!(
        "[store]\nbackend = \"postgres\"\nurl = \"{}\"\nschema = \"{}\"\npool_size = 8\n{}",
        database_url(),
        schema.name,
        gerbang_tests::POSTGRES_MFA
    );
    assert_concurrent_refreshes_revoke_the_family(&Op::start_on(Some(store)).await).await;
}

/// `max_age=0` asks for a login now, even within the second of the last one (OpenID Connect
/// Core 3.1.2.1; found by an independent RP, authlib).
#[tokio::test]
async fn oidcc_max_age_0_right_after_a_login() {
    let op = Op::start().await;
    let client = op.client().await;
    op.log_in_tokens(&client).await;
    let asked = op.silent(&silent_url(&client, "max_age=0")).await;
    assert!(
        location(&asked).unwrap().starts_with("/login?request="),
        "{:?}",
        location(&asked)
    );
}

/// A browser-based client (SPA) calls the token endpoint from its own origin (CORS): the
/// preflight and the answer allow exactly its registered origin; discovery and the JWKS are open
/// to all; token responses are never cached.
#[tokio::test]
async fn cors_for_browser_based_clients() {
    let op = Op::start().await;
    let preflight = |origin: &'static str| {
        op.http
            .request(reqwest::Method::OPTIONS, format!("{}/token", op.issuer))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://spa.test").await.unwrap();
    assert_eq!(allowed.status(), 204);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://spa.test"
    );
    assert!(allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    let refused = preflight("https://evil.test").await.unwrap();
    assert!(refused
        .headers()
        .get("access-control-allow-origin")
        .is_none());

    let exchange = |origin: &'static str| {
        op.http
            .post(format!("{}/token", op.issuer))
            .header("origin", origin)
            .form(&[
                ("grant_type", "authorization_code"),
                ("client_id", "spa"),
                ("code", "made-up"),
                ("redirect_uri", "https://spa.test/cb"),
                ("code_verifier", "a".repeat(43).as_str()),
            ])
            .send()
    };
    let answer = exchange("https://spa.test").await.unwrap();
    assert_eq!(answer.status(), 400, "a made-up code");
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        "https://spa.test"
    );
    assert_eq!(answer.headers()["cache-control"], "no-store");
    assert_eq!(answer.headers()["pragma"], "no-cache");
    let other = exchange("https://rp.test").await.unwrap();
    assert!(
        other.headers().get("access-control-allow-origin").is_none(),
        "another client's origin"
    );

    for path in ["/.well-known/openid-configuration", "/jwks"] {
        let open = op
            .http
            .get(format!("{}{path}", op.issuer))
            .header("origin", "https://anyone.test")
            .send()
            .await
            .unwrap();
        assert_eq!(open.headers()["access-control-allow-origin"], "*", "{path}");
    }
}

/// oidcc-ensure-request-with-valid-pkce-succeeds
#[tokio::test]
async fn oidcc_ensure_request_with_valid_pkce_succeeds() {
    let op = Op::start().await;
    let client = op.client().await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let back = op.authorize(url.as_str()).await;
    let tokens = op
        .exchange_with(&client, &back["code"], Some(verifier))
        .await;
    assert!(tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .is_ok());
}

// ---------------------------------------------------------------------------------------------
// Beyond the plans: RFC 9700 (OAuth 2.0 Security BCP), RFC 9207, RFC 7662, RFC 7009
// ---------------------------------------------------------------------------------------------

/// Codes are bound to their client, redirect URI and PKCE challenge: each mismatch is
/// `invalid_grant`.
#[tokio::test]
async fn rfc9700_code_bound_to_client_redirect_uri_and_challenge() {
    let op = Op::start().await;
    let client = op.client().await;
    op.log_in_tokens(&client).await;
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let with_pkce = format!(
        "&code_challenge={}&code_challenge_method=S256",
        challenge.as_str()
    );
    let code = || async { op.back(&op.plain_request("openid", &with_pkce)).await["code"].clone() };
    let wrong_uri = code().await;
    let wrong_client = code().await;
    let wrong_verifier = code().await;
    let verifier = "x".repeat(43);
    for (secret, form) in [
        (
            Some(RP_SECRET),
            vec![
                ("redirect_uri", "https://rp.test/other"),
                ("code", wrong_uri.as_str()),
                ("code_verifier", verifier.as_str()),
            ],
        ),
        (
            None,
            vec![
                ("redirect_uri", RP_REDIRECT),
                ("code", wrong_client.as_str()),
                ("client_id", "spa"),
                ("code_verifier", verifier.as_str()),
            ],
        ),
        (
            Some(RP_SECRET),
            vec![
                ("redirect_uri", RP_REDIRECT),
                ("code", wrong_verifier.as_str()),
                ("code_verifier", verifier.as_str()),
            ],
        ),
    ] {
        let mut form = form;
        form.push(("grant_type", "authorization_code"));
        let (status, body) = op.token(secret, &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{form:?}"
        );
    }
}

/// PKCE S256 is required of public clients; `plain` is refused; with S256 a public client
/// completes the flow without a secret.
#[tokio::test]
async fn rfc9700_pkce_required_for_public_clients() {
    let op = Op::start().await;
    let spa = format!(
        "{}/authorize?client_id=spa&scope=openid&response_type=code&state=q&redirect_uri={}",
        op.issuer,
        encode("https://spa.test/cb")
    );
    assert_eq!(op.back(&spa).await["error"], "invalid_request");
    let plain = format!(
        "{spa}&code_challenge={}&code_challenge_method=plain",
        "a".repeat(43)
    );
    assert_eq!(op.back(&plain).await["error"], "invalid_request");
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let s256 = format!(
        "{spa}&code_challenge={}&code_challenge_method=S256",
        challenge.as_str()
    );
    let back = op.authorize(&s256).await;
    let (status, tokens) = op
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &back["code"]),
                ("redirect_uri", "https://spa.test/cb"),
                ("client_id", "spa"),
                ("code_verifier", verifier.secret()),
            ],
        )
        .await;
    assert_eq!(status, 200, "{tokens}");
}

/// Redirect URIs match exactly, except the port of a native app's loopback URI (RFC 8252 7.3).
#[tokio::test]
async fn rfc9700_loopback_redirect_port_may_vary() {
    let op = Op::start().await;
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let request = |uri: &str| {
        format!(
            "{}/authorize?client_id=native&scope=openid&response_type=code&state=n&redirect_uri={}&code_challenge={}&code_challenge_method=S256",
            op.issuer,
            encode(uri),
            challenge.as_str()
        )
    };
    let back = browser::log_in(
        &op.browser,
        &request("http://127.0.0.1:49152/cb"),
        &op.issuer,
        USER,
        PASSWORD,
    )
    .await;
    assert!(back.starts_with("http://127.0.0.1:49152/cb?"), "{back}");
    assert!(query(&back).contains_key("code"));
    for bad in ["http://localhost:49152/cb", "http://127.0.0.1:49152/other"] {
        let response = op.silent(&request(bad)).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert!(location(&response).is_none());
    }
}

/// No implicit, hybrid or password grant: only `response_type=code`.
#[tokio::test]
async fn rfc9700_no_implicit_or_password_grant() {
    let op = Op::start().await;
    for response_type in ["token", "id_token", "code+id_token", "code+token"] {
        let back = op
            .back(&format!(
                "{}/authorize?client_id={RP}&scope=openid&state=s&response_type={response_type}&redirect_uri={}",
                op.issuer,
                encode(RP_REDIRECT)
            ))
            .await;
        assert_eq!(
            back["error"], "unsupported_response_type",
            "{response_type}"
        );
    }
    let password = op
        .token(
            Some(RP_SECRET),
            &[
                ("grant_type", "password"),
                ("username", USER),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(password.1["error"], "unsupported_grant_type");
}

/// No open redirector on any error path: an unknown client or an unregistered URI never
/// redirects, whatever else is wrong with the request.
#[tokio::test]
async fn rfc9700_no_open_redirector_on_error_paths() {
    let op = Op::start().await;
    let evil = encode("https://evil.test/cb");
    for url in [
        format!(
            "{}/authorize?client_id=ghost&response_type=code&redirect_uri={evil}",
            op.issuer
        ),
        format!(
            "{}/authorize?client_id={RP}&response_type=token&redirect_uri={evil}",
            op.issuer
        ),
        format!(
            "{}/authorize?client_id={RP}&prompt=none&redirect_uri={evil}",
            op.issuer
        ),
        format!("{}/authorize?redirect_uri={evil}", op.issuer),
    ] {
        let response = op.silent(&url).await;
        assert_eq!(response.status(), 400, "{url}");
        assert!(location(&response).is_none(), "{url}");
    }
}

/// RFC 9207: `iss` in every authorization response, success and error alike.
#[tokio::test]
async fn rfc9207_iss_in_authorization_response() {
    let op = Op::start().await;
    let client = op.client().await;
    let error = op.back(&silent_url(&client, "prompt=none")).await;
    assert_eq!(error["iss"], op.issuer);
    let (url, _, _) = code_flow(&client);
    let success = op.authorize(url.as_str()).await;
    assert_eq!(success["iss"], op.issuer);
}

/// client_credentials: an access token for the client itself, no ID or refresh token; a wrong
/// secret is `invalid_client` with 401.
#[tokio::test]
async fn client_credentials_grant() {
    let op = Op::start().await;
    let (status, body) = op
        .token(
            Some(RP_SECRET),
            &[("grant_type", "client_credentials"), ("scope", "email")],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    let wrong = op
        .token(Some("wrong"), &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong.1["error"], "invalid_client");
}

/// Reusing a spent refresh token revokes the whole family, the newest token included.
#[tokio::test]
async fn rfc9700_refresh_token_reuse_revokes_the_family() {
    let op = Op::start().await;
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let first = tokens.refresh_token().unwrap().clone();
    let rotated = client
        .exchange_refresh_token(&first)
        .unwrap()
        .request_async(&op.http)
        .await
        .unwrap();
    let second = RefreshToken::new(rotated.refresh_token().unwrap().secret().clone());
    for spent_then_newest in [&first, &second] {
        assert!(client
            .exchange_refresh_token(spent_then_newest)
            .unwrap()
            .request_async(&op.http)
            .await
            .is_err());
    }
    assert_eq!(
        op.userinfo(rotated.access_token().secret()).await.status(),
        401,
        "the family's access tokens end too"
    );
}

/// RFC 7662 and RFC 7009: introspection and revocation need client authentication, and a
/// client can neither see nor end another client's tokens.
#[tokio::test]
async fn rfc7662_introspection_and_rfc7009_revocation() {
    let op = Op::start().await;
    let client = op.client().await;
    let (url, _, _) = code_flow(&client);
    let back = op.authorize(url.as_str()).await;
    let tokens: Value = op
        .token(
            Some(RP_SECRET),
            &[
                ("grant_type", "authorization_code"),
                ("code", &back["code"]),
                ("redirect_uri", RP_REDIRECT),
            ],
        )
        .await
        .1;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let post = |path: &str, secret: Option<&str>, form: Vec<(&str, &str)>| {
        let mut request = op.http.post(format!("{}{path}", op.issuer)).form(&form);
        if let Some(s) = secret {
            request = request.basic_auth(RP, Some(s));
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        }
    };
    let (status, body) = post("/introspect", Some(RP_SECRET), vec![("token", access)]).await;
    assert_eq!(status, 200);
    let info: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], RP);
    let info: Value = serde_json::from_str(
        &post("/introspect", Some(RP_SECRET), vec![("token", refresh)])
            .await
            .1,
    )
    .unwrap();
    assert_eq!(info["active"], true);
    assert_eq!(info["token_type"], "refresh_token");
    // Another client sees nothing; no client authentication is refused.
    let foreign: Value = serde_json::from_str(
        &post(
            "/introspect",
            None,
            vec![("token", access), ("client_id", "spa")],
        )
        .await
        .1,
    )
    .unwrap();
    assert_eq!(foreign, serde_json::json!({"active": false}));
    assert_eq!(
        post("/introspect", None, vec![("token", access)]).await.0,
        401
    );
    // Another client cannot revoke it either.
    assert_eq!(
        post(
            "/revoke",
            None,
            vec![("token", refresh), ("client_id", "spa")]
        )
        .await
        .0,
        200
    );
    let still: Value = serde_json::from_str(
        &post("/introspect", Some(RP_SECRET), vec![("token", refresh)])
            .await
            .1,
    )
    .unwrap();
    assert_eq!(still["active"], true);
    // The owner revokes both.
    assert_eq!(
        post("/revoke", Some(RP_SECRET), vec![("token", refresh)])
            .await
            .0,
        200
    );
    assert_eq!(
        post("/revoke", Some(RP_SECRET), vec![("token", access)])
            .await
            .0,
        200
    );
    for token in [access, refresh] {
        let gone: Value = serde_json::from_str(
            &post("/introspect", Some(RP_SECRET), vec![("token", token)])
                .await
                .1,
        )
        .unwrap();
        assert_eq!(gone["active"], false);
    }
    let userinfo = op
        .http
        .get(format!("{}/userinfo", op.issuer))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
    assert_eq!(
        op.token(
            Some(RP_SECRET),
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)]
        )
        .await
        .0,
        400
    );
    // Revoking garbage is not an error (RFC 7009 2.2).
    assert_eq!(
        post("/revoke", Some(RP_SECRET), vec![("token", "garbage")])
            .await
            .0,
        200
    );
}
