//! The provider against `shared/checklists/oidc-provider.md`, driven by a real relying party
//! (the `openidconnect` crate) through the running binary. One test per line of the checklist,
//! named after the conformance-suite module it stands for (`oidcc_*`), or after the RFC for the
//! lines beyond the plans (`rfc9700_*`, `rfc9207_*`, `rfc7662_*`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use gerbang_tests::browser::{self, location};
use gerbang_tests::{Gerbang, Spec};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreTokenResponse, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, Scope, TokenResponse,
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

/// A running Gerbang with its clients and one user, a relying party's HTTP client and a browser.
/// Clients: `rp` (confidential, back-channel logout), `rp-es` (ES256 ID tokens), `spa` (public),
/// `native` (public, loopback redirect), `partner` (third party: consent), `down` (its
/// back-channel endpoint refuses connections).
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
        Op::start_on(None).await
    }

    /// The provider on a given `[store]` table (`None`: the embedded sled store).
    async fn start_on(store: Option<String>) -> Op {
        let logout_tokens = Arc::new(Mutex::new(Vec::new()));
        let backchannel = backchannel_receiver(Arc::clone(&logout_tokens)).await;
        let closed = {
            let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            socket.local_addr().unwrap()
        };
        let extra = format!(
            "[captcha]\ntest_answer = \"{}\"\n\n\
             [[client]]\nid = \"{RP}\"\nsecret = \"{RP_SECRET}\"\nredirect_uris = [\"{RP_REDIRECT}\", \"https://rp.test/other\"]\n\
             post_logout_redirect_uris = [\"https://rp.test/bye\", \"https://rp.test/bye?from=gerbang\"]\n\
             backchannel_logout_uri = \"{backchannel}\"\n\
             grant_types = [\"authorization_code\", \"refresh_token\", \"client_credentials\"]\nscopes = [\"openid\", \"profile\", \"email\", \"phone\", \"identity_document\"]\nfirst_party = true\n\n\
             [[client]]\nid = \"rp-es\"\nsecret = \"{RP_SECRET}\"\nredirect_uris = [\"https://rp-es.test/cb\"]\nid_token_signed_response_alg = \"ES256\"\nfirst_party = true\n\n\
             [[client]]\nid = \"spa\"\nredirect_uris = [\"https://spa.test/cb\"]\nweb_origins = [\"https://spa.test\"]\nfirst_party = true\n\n\
             [[client]]\nid = \"native\"\nredirect_uris = [\"http://127.0.0.1/cb\"]\nfirst_party = true\n\n\
             [[client]]\nid = \"down\"\nsecret = \"down-secret-0123456789\"\nredirect_uris = [\"https://down.test/cb\"]\nbackchannel_logout_uri = \"http://{closed}/backchannel\"\nfirst_party = true\n\n\
             [[client]]\nid = \"partner\"\nname = \"Mitra\"\nsecret = \"partner-secret-0123456789\"\nredirect_uris = [\"https://partner.test/cb\"]\n",
            browser::CAPTCHA_TEST_ANSWER
        );
        let gw = Gerbang::start(Spec {
            https: true,
            http: false,
            extra,
            users: vec![(USER.into(), PASSWORD.into())],
            store,
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

    /// The `rp` client, configured from discovery.
    async fn client(&self) -> Client {
        CoreClient::from_provider_metadata(
            self.metadata().await,
            ClientId::new(RP.into()),
            Some(ClientSecret::new(RP_SECRET.into())),
        )
        .set_redirect_uri(RedirectUrl::new(RP_REDIRECT.into()).unwrap())
    }

    async fn get_json(&self, path: &str) -> Value {
        browser::get_json(&self.http, &format!("{}{path}", self.issuer)).await
    }

    /// Logs in through the browser and returns the callback's query parameters.
    async fn authorize(&self, url: &str) -> HashMap<String, String> {
        let back = browser::log_in(&self.browser, url, &self.issuer, USER, PASSWORD).await;
        query(&back)
    }

    /// A hand-written request of `rp` (no nonce, state `s`) for `scope`, plus `extra`.
    fn plain_request(&self, scope: &str, extra: &str) -> String {
        format!(
            "{}/authorize?client_id={RP}&response_type=code&state=s&scope={}&redirect_uri={}{extra}",
            self.issuer,
            encode(scope),
            encode(RP_REDIRECT)
        )
    }

    /// Exchanges `code` with the RP's client, PKCE verifier if given.
    async fn exchange_with(
        &self,
        client: &Client,
        code: &str,
        verifier: Option<PkceCodeVerifier>,
    ) -> CoreTokenResponse {
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.into()))
            .unwrap();
        if let Some(verifier) = verifier {
            request = request.set_pkce_verifier(verifier);
        }
        request.request_async(&self.http).await.unwrap()
    }

    /// Logs in through the browser with a plain code-flow request and exchanges the code.
    async fn log_in_tokens(&self, client: &Client) -> CoreTokenResponse {
        let (url, _, _) = code_flow(client);
        let back = self.authorize(url.as_str()).await;
        self.exchange_with(client, &back["code"], None).await
    }

    /// Logs in and returns the ID token, to use as `id_token_hint`.
    async fn hint(&self, client: &Client) -> String {
        self.log_in_tokens(client)
            .await
            .id_token()
            .unwrap()
            .to_string()
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

    /// Exchanges `code` as the RP (Basic authentication, the usual redirect URI).
    async fn exchange(&self, code: &str) -> (u16, Value) {
        self.token(
            Some(RP_SECRET),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", RP_REDIRECT),
            ],
        )
        .await
    }

    async fn userinfo(&self, access_token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/userinfo", self.issuer))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
    }

    /// The authorization request's answer without any login page: the browser follows only
    /// the provider's redirects and stops at the first one leaving it.
    async fn silent(&self, url: &str) -> reqwest::Response {
        self.browser.get(url).send().await.unwrap()
    }

    /// The query parameters of where a silent answer redirects to.
    async fn back(&self, url: &str) -> HashMap<String, String> {
        let response = self.silent(url).await;
        let to = location(&response)
            .unwrap_or_else(|| panic!("no redirect for {url}: {}", response.status()));
        assert!(to.starts_with("http"), "{url} was answered with {to}");
        query(&to)
    }

    /// The login page an authorization request leads to.
    async fn login_page(&self, url: &str) -> String {
        browser::follow(&self.browser, url)
            .await
            .text()
            .await
            .unwrap()
    }

    /// Logs in with `scope` and returns the ID token's claims and the userinfo answer.
    async fn scope_claims(&self, scope: &str) -> (Value, Value) {
        let back = self.authorize(&self.plain_request(scope, "")).await;
        let (status, tokens) = self.exchange(&back["code"]).await;
        assert_eq!(status, 200, "{tokens}");
        let info = self
            .userinfo(tokens["access_token"].as_str().unwrap())
            .await
            .json()
            .await
            .unwrap();
        (jwt_part(tokens["id_token"].as_str().unwrap(), 1), info)
    }

    /// A silent request with `extra` gives a code whose ID token has the same `sub` and
    /// `auth_time` as `first`: no new login happened.
    async fn assert_same_login(&self, client: &Client, extra: &str, first: &Value) {
        let back = self.back(&silent_url(client, extra)).await;
        assert!(back.contains_key("code"), "{extra}: {back:?}");
        let (_, tokens) = self.exchange(&back["code"]).await;
        let again = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
        assert_eq!(again["sub"], first["sub"]);
        assert_eq!(again["auth_time"], first["auth_time"]);
    }

    /// After a first login and a pause of more than a second, a request with `extra` shows the
    /// login page again; logging in gives the same `sub` and a later `auth_time`.
    async fn assert_login_asked_again(&self, extra: &str) {
        let client = self.client().await;
        let first = id_claims(&self.log_in_tokens(&client).await);
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let url = silent_url(&client, extra);
        let asked = self.silent(&url).await;
        assert!(
            location(&asked).unwrap().starts_with("/login?request="),
            "{extra}"
        );
        let back = self.authorize(&url).await;
        let (_, tokens) = self.exchange(&back["code"]).await;
        let again = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
        assert_eq!(again["sub"], first["sub"]);
        assert!(
            again["auth_time"].as_u64().unwrap() > first["auth_time"].as_u64().unwrap(),
            "{extra}: {again} after {first}"
        );
    }

    /// A code used once, then again after `pause`: `invalid_grant`, and the access and refresh
    /// tokens of the first use no longer work.
    async fn assert_code_reuse_refused(&self, pause: std::time::Duration) {
        let back = self.authorize(&self.plain_request("openid", "")).await;
        let (status, tokens) = self.exchange(&back["code"]).await;
        assert_eq!(status, 200);
        tokio::time::sleep(pause).await;
        let (status, error) = self.exchange(&back["code"]).await;
        assert_eq!(status, 400);
        assert_eq!(error["error"], "invalid_grant");
        let access = tokens["access_token"].as_str().unwrap();
        assert_eq!(self.userinfo(access).await.status(), 401);
        let refresh = [
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ];
        assert_eq!(self.token(Some(RP_SECRET), &refresh).await.0, 400);
    }

    /// GET /logout with `params` in the browser.
    async fn logout(&self, params: Vec<(&'static str, String)>) -> reqwest::Response {
        self.browser
            .get(format!("{}/logout", self.issuer))
            .query(&params)
            .send()
            .await
            .unwrap()
    }

    /// Confirms a logout the provider asked about.
    async fn confirm_logout(&self, state: &str) -> reqwest::Response {
        self.browser
            .post(format!("{}/logout", self.issuer))
            .form(&[("confirm", "yes"), ("state", state)])
            .send()
            .await
            .unwrap()
    }

    /// Whether `prompt=none` still gets a code: the provider session lives.
    async fn still_logged_in(&self, client: &Client) -> bool {
        self.back(&silent_url(client, "prompt=none"))
            .await
            .contains_key("code")
    }

    /// The first logout token the RP's back-channel endpoint receives, within 5 s.
    async fn next_logout_token(&self) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            if let Some(t) = self.logout_tokens.lock().unwrap().first().cloned() {
                return t;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no logout token within 5 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
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
        .add_scope(Scope::new("profile".into()))
        .url()
}

/// A code-flow request of the RP with `extra` query parameters.
fn silent_url(client: &Client, extra: &str) -> String {
    let (url, _, _) = code_flow(client);
    format!("{url}&{extra}")
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

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
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

/// The ID token claims of a token response.
fn id_claims(tokens: &CoreTokenResponse) -> Value {
    jwt_part(&tokens.id_token().unwrap().to_string(), 1)
}

// ---------------------------------------------------------------------------------------------
// Basic OP plan
// ---------------------------------------------------------------------------------------------

/// oidcc-server: a normal login returns a code and the `state`; the ID token's `nonce` matches.
#[tokio::test]
async fn oidcc_server() {
    let op = Op::start().await;
    let client = op.client().await;
    let (url, state, nonce) = code_flow(&client);
    let back = op.authorize(url.as_str()).await;
    assert_eq!(back.get("state"), Some(state.secret()));
    let tokens = op.exchange_with(&client, &back["code"], None).await;
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(claims.nonce(), Some(&nonce));
    assert_eq!(claims.issuer().as_str(), op.issuer);
    assert!(claims.auth_time().is_some());
    assert!(claims.access_token_hash().is_some(), "at_hash");
    assert!(
        tokens.refresh_token().is_some(),
        "a refresh token for the RP"
    );
}

/// oidcc-response-type-missing: the error goes back to the registered redirect URI.
#[tokio::test]
async fn oidcc_response_type_missing() {
    let op = Op::start().await;
    let back = op
        .back(&format!(
            "{}/authorize?client_id={RP}&scope=openid&state=s&redirect_uri={}",
            op.issuer,
            encode(RP_REDIRECT)
        ))
        .await;
    assert_eq!(back["error"], "invalid_request");
    assert_eq!(back["state"], "s");
}

/// oidcc-idtoken-signature: RS256 by default, its `kid` in the JWKS, the signature good.
#[tokio::test]
async fn oidcc_idtoken_signature() {
    let op = Op::start().await;
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let id_token = tokens.id_token().unwrap().to_string();
    let header = jwt_part(&id_token, 0);
    assert_eq!(header["alg"], "RS256");
    let jwks = op.get_json("/jwks").await;
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == header["kid"] && k["alg"] == "RS256"));
    // The RP's verifier (JWKS from discovery) accepts it; a changed signature is refused.
    let verifier = client
        .id_token_verifier()
        .insecure_disable_signature_check();
    assert!(tokens
        .id_token()
        .unwrap()
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .is_ok());
    let mut forged = id_token.clone();
    forged.replace_range(forged.len() - 8.., "AAAAAAAA");
    let forged: openidconnect::core::CoreIdToken = forged.parse().unwrap();
    assert!(forged
        .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .is_err());
}

/// oidcc-idtoken-unsigned: `none` is never offered, and a client asking for it is refused by
/// the configuration check.
#[tokio::test]
async fn oidcc_idtoken_unsigned() {
    let op = Op::start().await;
    let doc = op.get_json("/.well-known/openid-configuration").await;
    let algs = doc["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(!algs.contains(&"none".into()), "{algs:?}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("unsigned.toml");
    let mut text = std::fs::read_to_string(op.gw.config_path()).unwrap();
    text.push_str("\n[[client]]\nid = \"lazy\"\nsecret = \"lazy-secret-0123456789\"\nredirect_uris = [\"https://lazy.test/cb\"]\nid_token_signed_response_alg = \"none\"\n");
    std::fs::write(&file, text).unwrap();
    let output = std::process::Command::new(gerbang_tests::gerbang_binary())
        .args(["config", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("id_token_signed_response_alg: unsigned tokens are never issued"),
        "{stderr}"
    );
}

/// A client registered with `id_token_signed_response_alg = "ES256"` gets ES256 ID tokens,
/// verifiable against the JWKS, and its `id_token_hint` is accepted at logout.
#[tokio::test]
async fn id_token_signed_response_alg_es256() {
    let op = Op::start().await;
    let client = CoreClient::from_provider_metadata(
        op.metadata().await,
        ClientId::new("rp-es".into()),
        Some(ClientSecret::new(RP_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new("https://rp-es.test/cb".into()).unwrap());
    let (url, _, nonce) = code_flow(&client);
    let back = op.authorize(url.as_str()).await;
    let tokens = op.exchange_with(&client, &back["code"], None).await;
    let id_token = tokens.id_token().unwrap();
    assert_eq!(jwt_part(&id_token.to_string(), 0)["alg"], "ES256");
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = id_token.claims(&verifier, &nonce).unwrap();
    assert_eq!(claims.audiences()[0].as_str(), "rp-es");
    let out = op
        .logout(vec![("id_token_hint", id_token.to_string())])
        .await;
    assert_eq!(out.status(), 200);
    assert!(!op.still_logged_in(&op.client().await).await);
}

/// oidcc-userinfo-get
#[tokio::test]
async fn oidcc_userinfo_get() {
    let op = Op::start().await;
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&op.http)
        .await
        .unwrap();
    let sub = jwt_part(&tokens.id_token().unwrap().to_string(), 1)["sub"].clone();
    assert_eq!(info.subject().as_str(), sub.as_str().unwrap());
    let bad = op
        .http
        .get(format!("{}/userinfo", op.issuer))
        .bearer_auth("not.a.token")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert!(bad.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Bearer"));
}

/// oidcc-userinfo-post-header
#[tokio::test]
async fn oidcc_userinfo_post_header() {
    let op = Op::start().await;
    let tokens = op.log_in_tokens(&op.client().await).await;
    let info: Value = op
        .http
        .post(format!("{}/userinfo", op.issuer))
        .bearer_auth(tokens.access_token().secret())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], id_claims(&tokens)["sub"]);
}

/// oidcc-userinfo-post-body
#[tokio::test]
async fn oidcc_userinfo_post_body() {
    let op = Op::start().await;
    let tokens = op.log_in_tokens(&op.client().await).await;
    let info: Value = op
        .http
        .post(format!("{}/userinfo", op.issuer))
        .form(&[("access_token", tokens.access_token().secret())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], id_claims(&tokens)["sub"]);
}

/// oidcc-ensure-request-without-nonce-succeeds-for-code-flow
#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_for_code_flow() {
    let op = Op::start().await;
    let back = op.authorize(&op.plain_request("openid", "")).await;
    let (status, tokens) = op.exchange(&back["code"]).await;
    assert_eq!(status, 200, "{tokens}");
    assert!(jwt_part(tokens["id_token"].as_str().unwrap(), 1)
        .get("nonce")
        .is_none());
}

/// oidcc-scope-profile
#[tokio::test]
async fn oidcc_scope_profile() {
    let op = Op::start().await;
    let (id_token, userinfo) = op.scope_claims("openid profile").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["name"], format!("Pengguna {USER}"));
        assert_eq!(claims["preferred_username"], USER);
        assert_eq!(claims["locale"], "id");
        assert!(claims.get("email").is_none() && claims.get("phone_number").is_none());
    }
}

/// oidcc-scope-email
#[tokio::test]
async fn oidcc_scope_email() {
    let op = Op::start().await;
    let (id_token, userinfo) = op.scope_claims("openid email").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["email"], format!("{USER}@example.test"));
        assert_eq!(claims["email_verified"], true);
        assert!(claims.get("name").is_none());
    }
}

/// oidcc-scope-address: the OSS registration collects no postal address, so `address` is not in
/// `scopes_supported` (the suite skips the module for such a provider); asking for it anyway is
/// harmless and releases nothing.
#[tokio::test]
async fn oidcc_scope_address() {
    let op = Op::start().await;
    let doc = op.get_json("/.well-known/openid-configuration").await;
    assert!(!doc["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&"address".into()));
    let (id_token, userinfo) = op.scope_claims("openid address").await;
    for claims in [&id_token, &userinfo] {
        assert!(claims.get("address").is_none());
        assert!(claims["sub"].is_string());
    }
}

/// oidcc-scope-phone
#[tokio::test]
async fn oidcc_scope_phone() {
    let op = Op::start().await;
    let (id_token, userinfo) = op.scope_claims("openid phone").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["phone_number"], "+628120000000");
        assert_eq!(claims["phone_number_verified"], false);
        assert!(claims.get("email").is_none());
    }
}

/// oidcc-scope-all: every supported scope at once releases all their claims.
#[tokio::test]
async fn oidcc_scope_all() {
    let op = Op::start().await;
    let (id_token, userinfo) = op.scope_claims("openid profile email address phone").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["name"], format!("Pengguna {USER}"));
        assert_eq!(claims["email"], format!("{USER}@example.test"));
        assert_eq!(claims["phone_number"], "+628120000000");
        assert!(
            claims.get("identity_document").is_none(),
            "identity documents leave only through their own scope"
        );
    }
}

/// Identity documents (NIK, passport) leave only through their own scope, for a client allowed it.
#[tokio::test]
async fn identity_document_scope_releases_the_nik() {
    let op = Op::start().await;
    let (id_token, userinfo) = op.scope_claims("openid identity_document").await;
    for claims in [&id_token, &userinfo] {
        assert_eq!(claims["identity_document"]["type"], "KTP");
        assert_eq!(claims["identity_document"]["number"], "3171014101000001");
    }
}

/// oidcc-alternate-happy-flow: scope order and parameter order do not matter.
#[tokio::test]
async fn oidcc_alternate_happy_flow() {
    let op = Op::start().await;
    let reordered = format!(
        "{}/authorize?state=z&scope=email+openid&redirect_uri={}&response_type=code&client_id={RP}&nonce=n1",
        op.issuer,
        encode(RP_REDIRECT)
    );
    let back = op.authorize(&reordered).await;
    assert_eq!(back["state"], "z");
    let (status, tokens) = op.exchange(&back["code"]).await;
    assert_eq!(status, 200);
    assert_eq!(tokens["scope"], "openid email");
    assert_eq!(
        jwt_part(tokens["id_token"].as_str().unwrap(), 1)["nonce"],
        "n1"
    );
}

/// Parameters a provider must accept without fuss: with a session, each answers silently with a
/// code (and the token exchange works).
macro_rules! accepted_parameter {
    ($(#[$doc:meta])* $name:ident, $parameter:expr) => {
        $(#[$doc])*
        #[tokio::test]
        async fn $name() {
            let op = Op::start().await;
            let client = op.client().await;
            op.log_in_tokens(&client).await;
            let back = op.back(&silent_url(&client, $parameter)).await;
            assert!(back.contains_key("code"), "{}: {back:?}", $parameter);
            let (status, tokens) = op.exchange(&back["code"]).await;
            assert_eq!(status, 200, "{tokens}");
        }
    };
}

accepted_parameter!(
    /// oidcc-display-page
    oidcc_display_page,
    "display=page"
);
accepted_parameter!(
    /// oidcc-display-popup
    oidcc_display_popup,
    "display=popup"
);
accepted_parameter!(
    /// oidcc-ensure-request-with-unknown-parameter-succeeds
    oidcc_ensure_request_with_unknown_parameter_succeeds,
    "unknown_parameter=whatever"
);
accepted_parameter!(
    /// oidcc-claims-locales
    oidcc_claims_locales,
    "claims_locales=id"
);
accepted_parameter!(
    /// oidcc-claims-essential: `name` asked as essential is harmlessly ignored without `profile`.
    oidcc_claims_essential,
    "claims=%7B%22id_token%22%3A%7B%22name%22%3A%7B%22essential%22%3Atrue%7D%7D%7D"
);

/// oidcc-prompt-login: the login page is shown again, and the new `auth_time` is later.
#[tokio::test]
async fn oidcc_prompt_login() {
    let op = Op::start().await;
    op.assert_login_asked_again("prompt=login").await;
}

/// oidcc-prompt-none-not-logged-in: back to the client with `login_required`, no page shown.
#[tokio::test]
async fn oidcc_prompt_none_not_logged_in() {
    let op = Op::start().await;
    let client = op.client().await;
    let back = op.back(&silent_url(&client, "prompt=none")).await;
    assert_eq!(back["error"], "login_required");
    assert_eq!(back["iss"], op.issuer);
    assert!(back.contains_key("state"));
}

/// oidcc-prompt-none-logged-in: a code silently; `sub` and `auth_time` unchanged.
#[tokio::test]
async fn oidcc_prompt_none_logged_in() {
    let op = Op::start().await;
    let client = op.client().await;
    let first = id_claims(&op.log_in_tokens(&client).await);
    op.assert_same_login(&client, "prompt=none", &first).await;
}

/// oidcc-max-age-1: after a pause, `max_age=1` forces a login; `auth_time` is returned, later.
#[tokio::test]
async fn oidcc_max_age_1() {
    let op = Op::start().await;
    op.assert_login_asked_again("max_age=1").await;
}

/// oidcc-max-age-10000: no new login; `auth_time` and `sub` unchanged.
#[tokio::test]
async fn oidcc_max_age_10000() {
    let op = Op::start().await;
    let client = op.client().await;
    let first = id_claims(&op.log_in_tokens(&client).await);
    op.assert_same_login(&client, "max_age=10000", &first).await;
}

/// oidcc-id-token-hint: `prompt=none` with the ID token as hint succeeds silently.
#[tokio::test]
async fn oidcc_id_token_hint() {
    let op = Op::start().await;
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let hint = tokens.id_token().unwrap().to_string();
    op.assert_same_login(
        &client,
        &format!("prompt=none&id_token_hint={hint}"),
        &id_claims(&tokens),
    )
    .await;
}

/// oidcc-login-hint: the login page comes with the user name filled in.
#[tokio::test]
async fn oidcc_login_hint() {
    let op = Op::start().await;
    let page = op
        .login_page(&silent_url(&op.client().await, "login_hint=budi"))
        .await;
    assert!(page.contains("value=\"budi\""), "login_hint");
}

/// oidcc-ui-locales: the login page speaks the asked language (Indonesian by default).
#[tokio::test]
async fn oidcc_ui_locales() {
    let op = Op::start().await;
    let client = op.client().await;
    for (locales, lang, button) in [
        ("ui_locales=en", "en", "Log in"),
        ("ui_locales=fr-CA+en", "en", "Log in"),
        ("ui_locales=id", "id", "Masuk"),
        ("ui_locales=fr", "id", "Masuk"),
    ] {
        let page = op.login_page(&silent_url(&client, locales)).await;
        assert!(
            page.contains(&format!("lang=\"{lang}\"")) && page.contains(button),
            "{locales}"
        );
    }
}

/// oidcc-ensure-request-with-acr-values-succeeds: accepted, and the `acr` claim is returned.
#[tokio::test]
async fn oidcc_ensure_request_with_acr_values_succeeds() {
    let op = Op::start().await;
    let client = op.client().await;
    op.log_in_tokens(&client).await;
    let back = op
        .back(&silent_url(
            &client,
            "acr_values=urn:gerbang:acr:password-captcha+urn:other",
        ))
        .await;
    let (_, tokens) = op.exchange(&back["code"]).await;
    assert_eq!(
        jwt_part(tokens["id_token"].as_str().unwrap(), 1)["acr"],
        "urn:gerbang:acr:password-captcha"
    );
}

/// oidcc-codereuse: a code used twice gives `invalid_grant`, and what it issued is revoked.
#[tokio::test]
async fn oidcc_codereuse() {
    let op = Op::start().await;
    op.assert_code_reuse_refused(std::time::Duration::ZERO)
        .await;
}

/// Made-up codes revoke nothing: only a code that was redeemed can be replayed, so a flood of
/// unknown codes adds nothing to the revocations every instance holds in memory (issue 16,
/// item 7), while a real replay still revokes its family (above).
#[tokio::test]
async fn unknown_codes_revoke_nothing() {
    let mut op = Op::start().await;
    for n in 0..200 {
        let code = format!("made-up-code-{n}");
        let (status, error) = op
            .token(
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", "spa"),
                    ("code", code.as_str()),
                    ("redirect_uri", "https://spa.test/cb"),
                    ("code_verifier", "a".repeat(43).as_str()),
                ],
            )
            .await;
        assert_eq!(
            (status, error["error"].as_str()),
            (400, Some("invalid_grant"))
        );
    }
    op.assert_code_reuse_refused(std::time::Duration::ZERO)
        .await;
    op.gw.stop();
    use gerbang_idp::store::RevocationStore;
    let store = gerbang_idp::store::SledStore::open(&op.gw.dir.path().join("store")).unwrap();
    let (revoked, _) = store.revocations_since(0).await.unwrap();
    let subjects: Vec<&str> = revoked.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(
        subjects.len(),
        1,
        "only the replayed code's family: {subjects:?}"
    );
    assert!(subjects[0].starts_with("code:"), "{subjects:?}");
}

/// oidcc-codereuse-30seconds: the same, 30 s after the first use.
#[tokio::test]
async fn oidcc_codereuse_30seconds() {
    let op = Op::start().await;
    op.assert_code_reuse_refused(std::time::Duration::from_secs(30))
        .await;
}

/// oidcc-ensure-registered-redirect-uri: an error page, never a redirect.
#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri() {
    let op = Op::start().await;
    for uri in [
        "https://evil.test/cb",
        "https://rp.test/callback/",
        "https://rp.test/callback?x=1",
    ] {
        let response = op
            .silent(&format!(
                "{}/authorize?client_id={RP}&scope=openid&state=s&response_type=code&redirect_uri={}",
                op.issuer,
                encode(uri)
            ))
            .await;
        assert_eq!(response.status(), 400, "{uri}");
        assert!(location(&response).is_none(), "{uri}");
    }
}

/// Full plan: a client with several redirect URIs that sends none gets an error page.
#[tokio::test]
async fn oidcc_ensure_redirect_uri_required_with_several_registered() {
    let op = Op::start().await;
    let response = op
        .silent(&format!(
            "{}/authorize?client_id={RP}&scope=openid&state=s&response_type=code",
            op.issuer
        ))
        .await;
    assert_eq!(response.status(), 400);
    assert!(location(&response).is_none());
}

/// oidcc-ensure-post-request-succeeds: the authorization endpoint accepts a form POST.
#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    let op = Op::start().await;
    op.log_in_tokens(&op.client().await).await;
    let posted = op
        .browser
        .post(format!("{}/authorize", op.issuer))
        .form(&[
            ("client_id", RP),
            ("response_type", "code"),
            ("scope", "openid"),
            ("redirect_uri", RP_REDIRECT),
            ("state", "p"),
        ])
        .send()
        .await
        .unwrap();
    let back = query(&location(&posted).unwrap());
    assert_eq!(back["state"], "p");
    assert_eq!(op.exchange(&back["code"]).await.0, 200);
}

/// oidcc-server-client-secret-post: the normal flow with the secret in the form body.
#[tokio::test]
async fn oidcc_server_client_secret_post() {
    let op = Op::start().await;
    let back = op.authorize(&op.plain_request("openid", "")).await;
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
    assert_eq!(status, 200, "{tokens}");
    assert!(tokens["id_token"].is_string());
    // Both methods at once is not one client authentication: refused.
    let back = op.back(&op.plain_request("openid", "")).await;
    let both = op
        .token(
            Some(RP_SECRET),
            &[
                ("grant_type", "authorization_code"),
                ("code", &back["code"]),
                ("redirect_uri", RP_REDIRECT),
                ("client_id", RP),
                ("client_secret", RP_SECRET),
            ],
        )
        .await;
    assert_eq!(both.0, 400, "{}", both.1);
}

/// oidcc-request-uri-unsigned-supported-correctly-or-rejected-as-unsupported: rejected as
/// unsupported, to the client, with its state.
#[tokio::test]
async fn oidcc_request_uri_unsigned_supported_correctly_or_rejected_as_unsupported() {
    let op = Op::start().await;
    let back = op
        .back(&op.plain_request("openid", "&request_uri=https%3A%2F%2Frp.test%2Frequest.jwt"))
        .await;
    assert_eq!(back["error"], "request_uri_not_supported");
    assert_eq!(back["state"], "s");
}

/// An unsigned request object (`alg: none`) carrying `claims`.
fn unsigned_request_object(claims: Value) -> String {
    use base64::Engine;
    let b64 = |v: Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap())
    };
    format!(
        "{}.{}.",
        b64(serde_json::json!({"alg": "none"})),
        b64(claims)
    )
}

/// oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported
#[tokio::test]
async fn oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported() {
    let op = Op::start().await;
    let object = unsigned_request_object(serde_json::json!({"client_id": RP, "scope": "openid"}));
    let back = op
        .back(&op.plain_request("openid", &format!("&request={object}")))
        .await;
    assert_eq!(back["error"], "request_not_supported");
    assert_eq!(back["state"], "s");
}

/// oidcc-ensure-request-object-with-redirect-uri: request objects are not supported, so the
/// object's `redirect_uri` never wins: the error goes to the registered URI of the query.
#[tokio::test]
async fn oidcc_ensure_request_object_with_redirect_uri() {
    let op = Op::start().await;
    let object = unsigned_request_object(
        serde_json::json!({"client_id": RP, "redirect_uri": "https://evil.test/cb"}),
    );
    let response = op
        .silent(&op.plain_request("openid", &format!("&request={object}")))
        .await;
    let to = location(&response).unwrap();
    assert!(to.starts_with(&format!("{RP_REDIRECT}?")), "{to}");
    assert_eq!(query(&to)["error"], "request_not_supported");
}

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
        "[store]\nbackend = \"postgres\"\nurl = \"{}\"\nschema = \"{}\"\npool_size = 8\n",
        database_url(),
        schema.name
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
// Config OP plan
// ---------------------------------------------------------------------------------------------

/// oidcc-discovery-endpoint-verification (Config OP): the discovery document and the JWKS.
#[tokio::test]
async fn oidcc_discovery_endpoint_verification() {
    let op = Op::start().await;
    let doc = op.get_json("/.well-known/openid-configuration").await;
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
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    // The openidconnect crate's discovery accepts it as a whole.
    op.metadata().await;
    let jwks = op.get_json("/jwks").await;
    for key in jwks["keys"].as_array().unwrap() {
        assert!(
            key["kid"].is_string() && key["use"] == "sig" && key["alg"].is_string(),
            "{key}"
        );
        assert!(key.get("d").is_none(), "no private part is ever published");
    }
}

// ---------------------------------------------------------------------------------------------
// RP-initiated logout plan
// ---------------------------------------------------------------------------------------------

/// What a GET /logout did: its status, where it redirected, whether the session lives on.
#[derive(Debug, PartialEq, Eq)]
struct LogoutOutcome {
    status: u16,
    location: Option<String>,
    logged_in: bool,
}

impl LogoutOutcome {
    /// Redirected to `to`, session over.
    fn redirected(to: &str) -> LogoutOutcome {
        LogoutOutcome {
            status: 302,
            location: Some(to.into()),
            logged_in: false,
        }
    }

    /// A page (no redirect) with `status`; the session lives on only if `logged_in`.
    fn page(status: u16, logged_in: bool) -> LogoutOutcome {
        LogoutOutcome {
            status,
            location: None,
            logged_in,
        }
    }
}

/// Logs in, sends GET /logout with `params(id_token)`, and tells what came of it.
async fn logout_outcome(
    params: impl FnOnce(String) -> Vec<(&'static str, String)>,
) -> (Op, LogoutOutcome) {
    let op = Op::start().await;
    let client = op.client().await;
    let hint = op.hint(&client).await;
    let response = op.logout(params(hint)).await;
    let outcome = LogoutOutcome {
        status: response.status().as_u16(),
        location: location(&response),
        logged_in: op.still_logged_in(&client).await,
    };
    (op, outcome)
}

/// After a GET that only asked, confirming ends the session.
async fn assert_confirmation_ends_the_session(op: &Op, state: &str) {
    let done = op.confirm_logout(state).await;
    assert_eq!(
        done.status(),
        200,
        "no URI to go back to: the logged-out page"
    );
    assert!(!op.still_logged_in(&op.client().await).await);
}

const BYE: &str = "https://rp.test/bye";

/// oidcc-rp-initiated-logout: a valid hint and a registered URI: back there with the state, and
/// the session is over.
#[tokio::test]
async fn oidcc_rp_initiated_logout() {
    let (_, outcome) = logout_outcome(|hint| {
        vec![
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", BYE.into()),
            ("state", "s9".into()),
        ]
    })
    .await;
    assert_eq!(
        outcome,
        LogoutOutcome::redirected("https://rp.test/bye?state=s9")
    );
}

/// oidcc-rp-initiated-logout-bad-id-token-hint: an error page, no redirect, session kept.
#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_id_token_hint() {
    let (_, outcome) = logout_outcome(|_| {
        vec![
            ("id_token_hint", "not-a-token".into()),
            ("post_logout_redirect_uri", BYE.into()),
        ]
    })
    .await;
    assert_eq!(outcome, LogoutOutcome::page(400, true));
}

/// oidcc-rp-initiated-logout-modified-id-token-hint: a tampered hint is refused the same way.
#[tokio::test]
async fn oidcc_rp_initiated_logout_modified_id_token_hint() {
    let (_, outcome) = logout_outcome(|mut forged| {
        forged.replace_range(forged.len() - 6.., "AAAAAA");
        vec![
            ("id_token_hint", forged),
            ("post_logout_redirect_uri", BYE.into()),
        ]
    })
    .await;
    assert_eq!(outcome, LogoutOutcome::page(400, true));
}

/// oidcc-rp-initiated-logout-no-id-token-hint: without a hint nobody can be sent anywhere; the
/// user is asked, and confirming ends the session.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_id_token_hint() {
    let (op, outcome) = logout_outcome(|_| {
        vec![
            ("post_logout_redirect_uri", BYE.into()),
            ("state", "s".into()),
        ]
    })
    .await;
    assert_eq!(outcome, LogoutOutcome::page(200, true), "a GET only asks");
    assert_confirmation_ends_the_session(&op, "s").await;
}

/// oidcc-rp-initiated-logout-no-params: a confirmation page; the session lives until confirmed.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_params() {
    let (op, outcome) = logout_outcome(|_| vec![]).await;
    assert_eq!(outcome, LogoutOutcome::page(200, true));
    assert_confirmation_ends_the_session(&op, "").await;
}

/// A hint that is ours but names another session (an earlier login's ID token, or another
/// user's) does not end this one without asking: the link may come from anywhere (issue 16,
/// item 8). A confirmation posted from another site is refused.
#[tokio::test]
async fn a_hint_for_another_session_only_asks() {
    let op = Op::start().await;
    let client = op.client().await;
    let old_hint = op.hint(&client).await;
    op.logout(vec![("id_token_hint", old_hint.clone())]).await;
    assert!(!op.still_logged_in(&client).await, "its own hint ended it");
    op.log_in_tokens(&client).await;
    let asked = op.logout(vec![("id_token_hint", old_hint)]).await;
    assert_eq!(asked.status(), 200);
    assert!(asked.text().await.unwrap().contains("method=\"post\""));
    assert!(op.still_logged_in(&client).await, "an old hint only asks");
    let cross_site = op
        .browser
        .post(format!("{}/logout", op.issuer))
        .header("origin", "https://evil.test")
        .form(&[("confirm", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert!(
        op.still_logged_in(&client).await,
        "a cross-site post is refused"
    );
    assert_confirmation_ends_the_session(&op, "").await;
}

/// oidcc-rp-initiated-logout-no-post-logout-redirect-uri: the logged-out page; session over.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_post_logout_redirect_uri() {
    let (_, outcome) = logout_outcome(|hint| vec![("id_token_hint", hint)]).await;
    assert_eq!(outcome, LogoutOutcome::page(200, false));
}

/// oidcc-rp-initiated-logout-bad-post-logout-redirect-uri: an unregistered URI is not followed;
/// the logged-out page, and the session is over.
#[tokio::test]
async fn oidcc_rp_initiated_logout_bad_post_logout_redirect_uri() {
    let (_, outcome) = logout_outcome(|hint| {
        vec![
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", "https://evil.test/".into()),
        ]
    })
    .await;
    assert_eq!(outcome, LogoutOutcome::page(200, false));
}

/// oidcc-rp-initiated-logout-no-state: the registered URI exactly, nothing added.
#[tokio::test]
async fn oidcc_rp_initiated_logout_no_state() {
    let (_, outcome) = logout_outcome(|hint| {
        vec![
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", BYE.into()),
        ]
    })
    .await;
    assert_eq!(outcome, LogoutOutcome::redirected(BYE));
}

/// oidcc-rp-initiated-logout-only-state: asked to confirm; the confirmation ends the session.
#[tokio::test]
async fn oidcc_rp_initiated_logout_only_state() {
    let (op, outcome) = logout_outcome(|_| vec![("state", "only".into())]).await;
    assert_eq!(
        outcome,
        LogoutOutcome::page(200, true),
        "a GET without a hint only asks"
    );
    assert_confirmation_ends_the_session(&op, "only").await;
}

/// oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri: a registered URI with a
/// query keeps it, and the state is added to it.
#[tokio::test]
async fn oidcc_rp_initiated_logout_query_added_to_post_logout_redirect_uri() {
    let (_, outcome) = logout_outcome(|hint| {
        vec![
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", format!("{BYE}?from=gerbang")),
            ("state", "s9".into()),
        ]
    })
    .await;
    assert_eq!(
        outcome,
        LogoutOutcome::redirected("https://rp.test/bye?from=gerbang&state=s9")
    );
}

// ---------------------------------------------------------------------------------------------
// Back-channel logout
// ---------------------------------------------------------------------------------------------

/// oidcc-backchannel-rp-initiated-logout: the RP receives a well-formed, signed logout token.
#[tokio::test]
async fn oidcc_backchannel_rp_initiated_logout() {
    let op = Op::start().await;
    let client = op.client().await;
    let hint = op.hint(&client).await;
    let sid = jwt_part(&hint, 1)["sid"].as_str().unwrap().to_string();
    op.logout(vec![("id_token_hint", hint)]).await;
    let token = op.next_logout_token().await;
    let header = jwt_part(&token, 0);
    assert_eq!(header["typ"], "logout+jwt");
    let jwks = op.get_json("/jwks").await;
    assert!(jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == header["kid"]));
    let claims = jwt_part(&token, 1);
    assert_eq!(claims["iss"], op.issuer.as_str());
    assert_eq!(claims["aud"], RP);
    assert_eq!(claims["sid"], sid.as_str());
    assert!(claims["sub"].is_string() && claims["jti"].is_string() && claims["iat"].is_number());
    assert!(claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object());
    assert!(claims.get("nonce").is_none());
}

/// A client whose back-channel endpoint is down (the `down` client of every test here) does
/// not hold up the user's logout, nor the delivery to the others.
#[tokio::test]
async fn backchannel_logout_with_a_client_down_does_not_block() {
    let op = Op::start().await;
    let client = op.client().await;
    let hint = op.hint(&client).await;
    let started = std::time::Instant::now();
    let page = op.logout(vec![("id_token_hint", hint)]).await;
    assert_eq!(page.status(), 200);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "the logout page waited for deliveries: {:?}",
        started.elapsed()
    );
    op.next_logout_token().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !op.gw.logs().contains("back-channel logout not delivered") {
        assert!(
            std::time::Instant::now() < deadline,
            "the failed delivery is logged"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
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

// ---------------------------------------------------------------------------------------------
// Pages and consent
// ---------------------------------------------------------------------------------------------

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
