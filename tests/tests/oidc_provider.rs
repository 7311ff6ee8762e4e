//! The provider against `shared/checklists/oidc-provider.md`, driven by a real relying party
//! (the `openidconnect` crate) through the running binary. Tests are named after the
//! conformance-suite modules they stand for.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gerbang_tests::browser::{self, location};
use gerbang_tests::{Gerbang, Spec};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl,
    RefreshToken, Scope, TokenResponse,
};
use serde_json::Value;

const RP: &str = "rp";
const RP_SECRET: &str = "rp-secret-0123456789abcdef";
const RP_REDIRECT: &str = "https://rp.test/callback";
const USER: &str = "budi";
const PASSWORD: &str = "kuda laut biru";

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A running Gerbang with two clients and one user, a relying party's HTTP client and a browser.
struct Op {
    gw: Gerbang,
    /// Logout tokens the RP's back-channel endpoint received.
    logout_tokens: Arc<Mutex<Vec<String>>>,
    http: reqwest::Client,
    browser: reqwest::Client,
    issuer: String,
}

impl Op {
    async fn start() -> Op {
        let logout_tokens = Arc::new(Mutex::new(Vec::new()));
        let backchannel = backchannel_receiver(Arc::clone(&logout_tokens)).await;
        let extra = format!(
            "[captcha]\ntest_answer = \"{}\"\n\n\
             [[client]]\nid = \"{RP}\"\nsecret = \"{RP_SECRET}\"\nredirect_uris = [\"{RP_REDIRECT}\", \"https://rp.test/other\"]\n\
             post_logout_redirect_uris = [\"https://rp.test/bye\", \"https://rp.test/bye?from=gerbang\"]\n\
             backchannel_logout_uri = \"{backchannel}\"\n\
             grant_types = [\"authorization_code\", \"refresh_token\", \"client_credentials\"]\nscopes = [\"openid\", \"profile\", \"email\", \"phone\"]\nfirst_party = true\n\n\
             [[client]]\nid = \"spa\"\nredirect_uris = [\"https://spa.test/cb\"]\nfirst_party = true\n\n\
             [[client]]\nid = \"partner\"\nname = \"Mitra\"\nsecret = \"partner-secret-0123456789\"\nredirect_uris = [\"https://partner.test/cb\"]\n",
            browser::CAPTCHA_TEST_ANSWER
        );
        let gw = Gerbang::start(Spec {
            https: true,
            http: false,
            extra,
            users: vec![(USER.into(), PASSWORD.into())],
            ..Spec::http("")
        })
        .await;
        let hosts = [Gerbang::PROVIDER_HOST];
        let issuer = gw.url(Gerbang::PROVIDER_HOST, "");
        Op {
            logout_tokens,
            http: gw.client(&hosts),
            browser: gw.client(&hosts),
            issuer,
            gw,
        }
    }

    async fn metadata(&self) -> CoreProviderMetadata {
        CoreProviderMetadata::discover_async(
            IssuerUrl::new(self.issuer.clone()).unwrap(),
            &self.http,
        )
        .await
        .unwrap()
    }

    async fn client(&self) -> Client {
        CoreClient::from_provider_metadata(
            self.metadata().await,
            ClientId::new(RP.into()),
            Some(ClientSecret::new(RP_SECRET.into())),
        )
        .set_redirect_uri(RedirectUrl::new(RP_REDIRECT.into()).unwrap())
    }

    /// Logs in through the browser and returns the callback's query parameters.
    async fn authorize(&self, url: &str) -> HashMap<String, String> {
        let back = browser::log_in(&self.browser, url, &self.issuer, USER, PASSWORD).await;
        query(&back)
    }

    /// Logs in through the browser with a plain code-flow request and exchanges the code.
    async fn log_in_tokens(&self, client: &Client) -> openidconnect::core::CoreTokenResponse {
        let (url, _, _) = code_flow(client);
        let back = self.authorize(url.as_str()).await;
        client
            .exchange_code(AuthorizationCode::new(back["code"].clone()))
            .unwrap()
            .request_async(&self.http)
            .await
            .unwrap()
    }

    /// POSTs `form` to the token endpoint, as the RP with Basic authentication when `secret`
    /// is given; returns the status and the JSON body.
    async fn token(&self, secret: Option<&str>, form: &[(&str, &str)]) -> (u16, Value) {
        let mut request = self.http.post(format!("{}/token", self.issuer)).form(form);
        if let Some(secret) = secret {
            request = request.basic_auth(RP, Some(secret));
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// The authorization request's answer without any login page: the browser follows only
    /// the provider's redirects and stops at the first one leaving it.
    async fn silent(&self, url: &str) -> reqwest::Response {
        self.browser.get(url).send().await.unwrap()
    }
}

/// A plain code-flow request of the RP: its URL, state and nonce.
fn code_flow(client: &Client) -> (url::Url, CsrfToken, Nonce) {
    client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .url()
}

/// An RP's back-channel logout endpoint on loopback that keeps what it receives.
async fn backchannel_receiver(received: Arc<Mutex<Vec<String>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/backchannel",
        axum::routing::post(
            move |axum::Form(form): axum::Form<HashMap<String, String>>| {
                let received = Arc::clone(&received);
                async move {
                    if let Some(token) = form.get("logout_token") {
                        received.lock().unwrap().push(token.clone());
                    }
                    "ok"
                }
            },
        ),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/backchannel")
}

fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test]
async fn oidcc_server_and_idtoken_signature_and_userinfo() {
    let op = Op::start().await;
    let client = op.client().await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let back = op.authorize(url.as_str()).await;
    assert_eq!(back.get("state"), Some(state.secret()));
    assert_eq!(back.get("iss"), Some(&op.issuer), "RFC 9207");
    let tokens = client
        .exchange_code(AuthorizationCode::new(back["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&op.http)
        .await
        .unwrap();
    let id_token = tokens.id_token().unwrap();
    let claims = id_token
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(claims.preferred_username().map(|u| u.as_str()), Some(USER));
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some("budi@example.test")
    );
    assert!(claims.auth_time().is_some());
    assert_eq!(
        claims.auth_context_ref().map(|a| a.as_str()),
        Some("urn:gerbang:acr:password-captcha")
    );
    assert!(claims.access_token_hash().is_some());

    // oidcc-idtoken-signature: RS256, and the kid is in the JWKS.
    let header: Value = {
        use base64::Engine;
        let first = id_token.to_string().split('.').next().unwrap().to_string();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(first)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(header["alg"], "RS256");
    let jwks: Value = op
        .http
        .get(format!("{}/jwks", op.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == header["kid"]));

    // oidcc-userinfo-get
    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&op.http)
        .await
        .unwrap();
    assert_eq!(info.subject(), claims.subject());
    assert_eq!(info.email().map(|e| e.as_str()), Some("budi@example.test"));
    // oidcc-userinfo-post-header and oidcc-userinfo-post-body
    let userinfo = format!("{}/userinfo", op.issuer);
    let token = tokens.access_token().secret();
    let by_header: Value = op
        .http
        .post(&userinfo)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let by_body: Value = op
        .http
        .post(&userinfo)
        .form(&[("access_token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_header["sub"], claims.subject().as_str());
    assert_eq!(by_body["sub"], claims.subject().as_str());
    let bad = op
        .http
        .get(&userinfo)
        .bearer_auth("not.a.token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
}

#[tokio::test]
async fn oidcc_codereuse_and_ensure_request_without_nonce_succeeds() {
    let op = Op::start().await;
    let client = op.client().await;
    let (url, _, _) = code_flow(&client);
    // No nonce in the request: the code flow still succeeds.
    let without_nonce: String = url::Url::parse(url.as_str())
        .unwrap()
        .query_pairs()
        .filter(|(k, _)| k != "nonce")
        .fold(
            url::form_urlencoded::Serializer::new(String::new()),
            |mut s, (k, v)| {
                s.append_pair(&k, &v);
                s
            },
        )
        .finish();
    let back = op
        .authorize(&format!("{}/authorize?{without_nonce}", op.issuer))
        .await;
    let code = back["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", RP_REDIRECT),
    ];
    let first = op.token(Some(RP_SECRET), &form).await;
    assert_eq!(first.0, 200);
    let tokens = first.1;
    let second = op.token(Some(RP_SECRET), &form).await;
    assert_eq!(second.0, 400);
    assert_eq!(second.1["error"], "invalid_grant");
    // What the code issued is revoked: its access token and its refresh token no longer work.
    let userinfo = op
        .http
        .get(format!("{}/userinfo", op.issuer))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
    ];
    let refused = op.token(Some(RP_SECRET), &refresh).await;
    assert_eq!(refused.0, 400);
}

#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri_and_response_type_missing() {
    let op = Op::start().await;
    let base = format!(
        "{}/authorize?client_id={RP}&scope=openid&state=s&response_type=code",
        op.issuer
    );
    // Unregistered or missing redirect URI: an error page, never a redirect.
    for url in [
        format!("{base}&redirect_uri=https%3A%2F%2Fevil.test%2Fcb"),
        base.clone(),
        format!("{base}&client_id=ghost"),
    ] {
        let response = op.silent(&url).await;
        assert_eq!(response.status(), 400, "{url}");
        assert!(location(&response).is_none());
    }
    // Missing response_type: the error goes back to the (registered) redirect URI.
    let response = op
        .silent(&format!("{}/authorize?client_id={RP}&scope=openid&state=s&redirect_uri=https%3A%2F%2Frp.test%2Fcallback", op.issuer))
        .await;
    let back = query(&location(&response).unwrap());
    assert_eq!(back["error"], "invalid_request");
    assert_eq!(back["state"], "s");
    // Implicit and hybrid flows are refused.
    let response = op
        .silent(&format!("{}/authorize?client_id={RP}&scope=openid&response_type=token&redirect_uri=https%3A%2F%2Frp.test%2Fcallback", op.issuer))
        .await;
    assert_eq!(
        query(&location(&response).unwrap())["error"],
        "unsupported_response_type"
    );
}

#[tokio::test]
async fn oidcc_prompt_none_not_logged_in_then_logged_in() {
    let op = Op::start().await;
    let client = op.client().await;
    let url = |prompt: Option<&str>| {
        let mut request = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        if let Some(p) = prompt {
            request = request.add_prompt(match p {
                "none" => openidconnect::core::CoreAuthPrompt::None,
                _ => openidconnect::core::CoreAuthPrompt::Login,
            });
        }
        request.url().0.to_string()
    };
    let response = op.silent(&url(Some("none"))).await;
    let back = query(&location(&response).unwrap());
    assert_eq!(back["error"], "login_required", "no page is shown");

    let first = op.authorize(&url(None)).await;
    assert!(first.contains_key("code"));
    // Logged in now: prompt=none answers silently with a code.
    let response = op.silent(&url(Some("none"))).await;
    let back = query(&location(&response).unwrap());
    assert!(back.contains_key("code"), "{back:?}");
    // prompt=login shows the login page again.
    let response = op.silent(&url(Some("login"))).await;
    assert!(location(&response).unwrap().starts_with("/login?request="));
}

#[tokio::test]
async fn oidcc_refresh_token_rotates_and_reuse_revokes_the_family() {
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
    let second = rotated.refresh_token().unwrap().clone();
    assert_ne!(first.secret(), second.secret(), "refresh tokens rotate");
    // Bound to its client: another client cannot use it.
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
    // Reusing the spent one revokes the whole family, the newest token included.
    assert!(client
        .exchange_refresh_token(&first)
        .unwrap()
        .request_async(&op.http)
        .await
        .is_err());
    let newest = RefreshToken::new(second.secret().clone());
    assert!(client
        .exchange_refresh_token(&newest)
        .unwrap()
        .request_async(&op.http)
        .await
        .is_err());
}

#[tokio::test]
async fn client_credentials_and_pkce_rules() {
    let op = Op::start().await;
    let cc = op
        .token(
            Some(RP_SECRET),
            &[("grant_type", "client_credentials"), ("scope", "email")],
        )
        .await;
    assert_eq!(cc.0, 200);
    let body = cc.1;
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("id_token").is_none() && body.get("refresh_token").is_none());
    // Wrong secret: 401 invalid_client.
    let wrong = op
        .token(Some("wrong"), &[("grant_type", "client_credentials")])
        .await;
    assert_eq!(wrong.0, 401);
    // No password grant.
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
    // A public client must use PKCE, and only S256.
    let spa = format!("{}/authorize?client_id=spa&scope=openid&response_type=code&redirect_uri=https%3A%2F%2Fspa.test%2Fcb", op.issuer);
    let back = query(&location(&op.silent(&spa).await).unwrap());
    assert_eq!(back["error"], "invalid_request");
    let plain = format!("{spa}&code_challenge=abcdefabcdefabcdefabcdefabcdefabcdefabcdefa&code_challenge_method=plain");
    let back = query(&location(&op.silent(&plain).await).unwrap());
    assert_eq!(back["error"], "invalid_request");
}

#[tokio::test]
async fn config_op_discovery_document() {
    let op = Op::start().await;
    let doc: Value = op
        .http
        .get(format!("{}/.well-known/openid-configuration", op.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["issuer"],
        op.issuer.as_str(),
        "no trailing-slash mismatch"
    );
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        assert!(
            doc[endpoint]
                .as_str()
                .unwrap()
                .starts_with(&format!("{}/", op.issuer)),
            "{endpoint}"
        );
    }
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert!(doc["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&"RS256".into()));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    for key in [
        "subject_types_supported",
        "scopes_supported",
        "claims_supported",
        "grant_types_supported",
        "token_endpoint_auth_methods_supported",
    ] {
        assert!(doc[key].as_array().is_some_and(|a| !a.is_empty()), "{key}");
    }
    assert_eq!(doc["backchannel_logout_supported"], true);
    let jwks: Value = op
        .http
        .get(doc["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for key in jwks["keys"].as_array().unwrap() {
        assert!(key["kid"].is_string() && key["use"] == "sig", "{key}");
    }
}

#[tokio::test]
async fn failed_login_keeps_the_user_name_and_shows_the_helpdesk() {
    let op = Op::start().await;
    let page = browser::submit_login(&op.browser, &op.issuer, USER, "salah sekali", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("User name atau password salah."));
    assert!(
        page.contains(&format!("value=\"{USER}\"")),
        "the user name is kept"
    );
    assert!(
        !page.contains("salah sekali"),
        "the password is never shown again"
    );
    assert!(
        page.contains("Layanan OSS") || page.contains("Hubungi"),
        "helpdesk block"
    );
    let _ = &op.gw;
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

fn jwt_part(token: &str, index: usize) -> Value {
    use base64::Engine;
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .unwrap(),
    )
    .unwrap()
}

/// RP-initiated logout with a valid hint and a registered URI, and back-channel delivery.
#[tokio::test]
async fn oidcc_rp_initiated_logout_and_backchannel_logout() {
    let op = Op::start().await;
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let id_token = tokens.id_token().unwrap().to_string();
    let sid = jwt_part(&id_token, 1)["sid"].as_str().unwrap().to_string();

    // No parameters: only a confirmation page; the session lives on.
    let ask = op
        .browser
        .get(format!("{}/logout", op.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(ask.status(), 200);
    assert!(ask.text().await.unwrap().contains("method=\"post\""));
    let (url, _, _) = code_flow(&client);
    assert!(
        query(&location(&op.silent(url.as_str()).await).unwrap()).contains_key("code"),
        "still logged in"
    );

    // A tampered hint: an error page, no redirect.
    let mut forged = id_token.clone();
    forged.replace_range(forged.len() - 6.., "AAAAAA");
    let bad = op
        .browser
        .get(format!("{}/logout", op.issuer))
        .query(&[
            ("id_token_hint", forged.as_str()),
            ("post_logout_redirect_uri", "https://rp.test/bye"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(location(&bad).is_none());

    // An unregistered post-logout URI is not followed.
    // A valid hint with a registered URI that carries a query: redirected there with the state.
    let out = op
        .browser
        .get(format!("{}/logout", op.issuer))
        .query(&[
            ("id_token_hint", id_token.as_str()),
            (
                "post_logout_redirect_uri",
                "https://rp.test/bye?from=gerbang",
            ),
            ("state", "s9"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&out).as_deref(),
        Some("https://rp.test/bye?from=gerbang&state=s9")
    );
    // The session is over: prompt=none now answers login_required.
    let (url, _, _) = code_flow(&client);
    let silent = format!("{url}&prompt=none");
    assert_eq!(
        query(&location(&op.silent(&silent).await).unwrap())["error"],
        "login_required"
    );

    // The back-channel logout token arrives, well-formed.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let token = loop {
        if let Some(t) = op.logout_tokens.lock().unwrap().first().cloned() {
            break t;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no logout token within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(jwt_part(&token, 0)["typ"], "logout+jwt");
    let claims = jwt_part(&token, 1);
    assert_eq!(claims["iss"], op.issuer.as_str());
    assert_eq!(claims["aud"], RP);
    assert_eq!(claims["sid"], sid.as_str());
    assert!(claims["sub"].is_string() && claims["jti"].is_string() && claims["iat"].is_number());
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none());

    // Unregistered post-logout URI after a fresh login: the logged-out page, no redirect.
    let tokens = op.log_in_tokens(&client).await;
    let hint = tokens.id_token().unwrap().to_string();
    let page = op
        .browser
        .get(format!("{}/logout", op.issuer))
        .query(&[
            ("id_token_hint", hint.as_str()),
            ("post_logout_redirect_uri", "https://evil.test/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(location(&page).is_none());
}

/// The parameters a provider must accept without fuss, and the prompts and ages that decide
/// whether the user sees the login page: oidcc-display-page/-popup, -login-hint, -ui-locales,
/// -claims-locales, -ensure-request-with-acr-values-succeeds, -ensure-request-with-unknown-
/// parameter-succeeds, -alternate-happy-flow, -ensure-post-request-succeeds, -max-age-1,
/// -max-age-10000, -id-token-hint, -claims-essential, -server-client-secret-post, -scope-*.
#[tokio::test]
async fn oidcc_parameters_prompts_and_max_age() {
    let op = Op::start().await;
    let client = op.client().await;
    // Before any login: login_hint pre-fills the user name, ui_locales picks the language.
    let (url, _, _) = code_flow(&client);
    let to_login = op
        .silent(&format!("{url}&login_hint=budi&ui_locales=en"))
        .await;
    let login = format!("{}{}", op.issuer, location(&to_login).unwrap());
    let page = op
        .browser
        .get(&login)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"budi\""), "login_hint");
    assert!(
        page.contains("lang=\"en\"") && page.contains("Log in"),
        "ui_locales=en"
    );

    let tokens = op.log_in_tokens(&client).await;
    let first_auth_time = jwt_part(&tokens.id_token().unwrap().to_string(), 1)["auth_time"].clone();
    let hint = tokens.id_token().unwrap().to_string();
    // Logged in: each of these answers silently with a code.
    let base = format!("{}/authorize", op.issuer);
    let silent_with = |extra: &str| {
        let (url, _, _) = code_flow(&client);
        format!("{url}&{extra}")
    };
    for extra in [
        "display=page",
        "display=popup",
        "claims_locales=id",
        "acr_values=urn:gerbang:acr:password-captcha",
        "unknown_parameter=whatever",
        "max_age=10000",
        &format!("prompt=none&id_token_hint={hint}"),
        "claims=%7B%22id_token%22%3A%7B%22name%22%3A%7B%22essential%22%3Atrue%7D%7D%7D",
    ] {
        let back = query(&location(&op.silent(&silent_with(extra)).await).unwrap());
        assert!(back.contains_key("code"), "{extra}: {back:?}");
    }
    // Parameter order does not matter; POST works like GET.
    let reordered = format!("{base}?state=z&scope=email+openid&redirect_uri=https%3A%2F%2Frp.test%2Fcallback&response_type=code&client_id={RP}");
    assert!(query(&location(&op.silent(&reordered).await).unwrap()).contains_key("code"));
    let posted = op
        .browser
        .post(&base)
        .form(&[
            ("client_id", RP),
            ("response_type", "code"),
            ("scope", "openid phone"),
            ("redirect_uri", RP_REDIRECT),
            ("state", "p"),
        ])
        .send()
        .await
        .unwrap();
    let back = query(&location(&posted).unwrap());
    // client_secret_post at the token endpoint; the phone scope releases phone claims.
    let (status, tokens) = op
        .token(
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &back["code"]),
                ("redirect_uri", RP_REDIRECT),
                ("client_id", RP),
                ("client_secret", RP_SECRET),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let claims = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
    assert_eq!(claims["phone_number"], "+628120000000");
    assert!(claims.get("email").is_none(), "email was not asked for");

    // max_age=1 after a pause forces a new login, which gives a later auth_time.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let forced = op.silent(&silent_with("max_age=1")).await;
    assert!(
        location(&forced).unwrap().starts_with("/login?request="),
        "max_age=1 asks again"
    );
    let (url, _, _) = code_flow(&client);
    let back = op.authorize(&format!("{url}&max_age=1")).await;
    let (_, tokens) = op
        .token(
            Some(RP_SECRET),
            &[
                ("grant_type", "authorization_code"),
                ("code", &back["code"]),
                ("redirect_uri", RP_REDIRECT),
            ],
        )
        .await;
    let later = jwt_part(tokens["id_token"].as_str().unwrap(), 1)["auth_time"].clone();
    assert!(
        later.as_u64().unwrap() > first_auth_time.as_u64().unwrap(),
        "{later} > {first_auth_time}"
    );
}

/// A client that is not first-party gets a code only after the user agreed, once.
#[tokio::test]
async fn consent_for_third_party_clients() {
    let op = Op::start().await;
    let client = op.client().await;
    op.log_in_tokens(&client).await;
    let partner = |extra: &str| {
        format!("{}/authorize?client_id=partner&response_type=code&scope=openid+email&state=ps&redirect_uri=https%3A%2F%2Fpartner.test%2Fcb{extra}", op.issuer)
    };
    assert_eq!(
        query(&location(&op.silent(&partner("&prompt=none")).await).unwrap())["error"],
        "consent_required"
    );
    let page = op.silent(&partner("")).await;
    assert_eq!(page.status(), 200, "a consent page, not a redirect");
    let html = page.text().await.unwrap();
    assert!(html.contains("Mitra") && html.contains("email"));
    let request = browser::hidden_field(&html, "request").unwrap();
    let answer = |decision: &'static str, request: String| {
        let browser = op.browser.clone();
        let url = format!("{}/consent", op.issuer);
        async move {
            browser
                .post(url)
                .form(&[("request", request.as_str()), ("decision", decision)])
                .send()
                .await
                .unwrap()
        }
    };
    let denied = query(&location(&answer("deny", request.clone()).await).unwrap());
    assert_eq!(denied["error"], "access_denied");
    assert_eq!(denied["state"], "ps");
    let allowed = query(&location(&answer("allow", request).await).unwrap());
    assert!(allowed.contains_key("code"));
    // Remembered: no page next time, unless the client asks with prompt=consent.
    assert!(query(&location(&op.silent(&partner("")).await).unwrap()).contains_key("code"));
    assert_eq!(op.silent(&partner("&prompt=consent")).await.status(), 200);
    // A forged origin cannot answer for the user.
    let forged = op
        .browser
        .post(format!("{}/consent", op.issuer))
        .header("origin", "https://evil.test")
        .form(&[("request", "x"), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
}

/// oidcc-codereuse-30seconds: a code replayed 30 s after its first use is refused, and what the
/// first use issued is revoked.
#[tokio::test]
async fn oidcc_codereuse_30seconds() {
    let op = Op::start().await;
    let client = op.client().await;
    let (url, _, _) = code_flow(&client);
    let back = op.authorize(url.as_str()).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", back["code"].as_str()),
        ("redirect_uri", RP_REDIRECT),
    ];
    let (status, tokens) = op.token(Some(RP_SECRET), &form).await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_secs(30)).await;
    let (status, error) = op.token(Some(RP_SECRET), &form).await;
    assert_eq!(status, 400);
    assert_eq!(error["error"], "invalid_grant");
    let userinfo = op
        .http
        .get(format!("{}/userinfo", op.issuer))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        userinfo.status(),
        401,
        "the access token the code issued is revoked"
    );
    let refresh = [
        ("grant_type", "refresh_token"),
        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
    ];
    assert_eq!(op.token(Some(RP_SECRET), &refresh).await.0, 400);
}

/// oidcc-rp-initiated-logout variants: a valid hint without a post-logout URI ends the session
/// on the logged-out page; "only state" and "no state" with a registered URI.
#[tokio::test]
async fn oidcc_rp_initiated_logout_variants() {
    let op = Op::start().await;
    let client = op.client().await;
    let logout = |params: Vec<(&'static str, String)>| {
        let browser = op.browser.clone();
        let url = format!("{}/logout", op.issuer);
        async move { browser.get(url).query(&params).send().await.unwrap() }
    };
    let still_logged_in = || async {
        let (url, _, _) = code_flow(&client);
        query(&location(&op.silent(&format!("{url}&prompt=none")).await).unwrap())
            .contains_key("code")
    };

    // No post_logout_redirect_uri: the logged-out page, and the session is over.
    let hint = op
        .log_in_tokens(&client)
        .await
        .id_token()
        .unwrap()
        .to_string();
    let page = logout(vec![("id_token_hint", hint)]).await;
    assert_eq!(page.status(), 200);
    assert!(location(&page).is_none());
    assert!(!still_logged_in().await);

    // No state: redirected to the registered URI exactly, with no state added.
    let hint = op
        .log_in_tokens(&client)
        .await
        .id_token()
        .unwrap()
        .to_string();
    let out = logout(vec![
        ("id_token_hint", hint),
        ("post_logout_redirect_uri", "https://rp.test/bye".into()),
    ])
    .await;
    assert_eq!(location(&out).as_deref(), Some("https://rp.test/bye"));
    assert!(!still_logged_in().await);

    // Only state (no hint, no URI): asked to confirm, and the confirmation ends the session.
    op.log_in_tokens(&client).await;
    let ask = logout(vec![("state", "only".into())]).await;
    assert_eq!(ask.status(), 200);
    assert!(still_logged_in().await, "a GET without a hint only asks");
    let confirmed = op
        .browser
        .post(format!("{}/logout", op.issuer))
        .form(&[("confirm", "yes"), ("state", "only")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        confirmed.status(),
        200,
        "no URI to go back to: the logged-out page"
    );
    assert!(!still_logged_in().await);
}
