//! The OpenID provider under test, as a relying party meets it: a running Gerbang with its
//! clients (`rp` confidential with back-channel logout, `rp-es` with ES256 ID tokens, `spa`
//! public, `native` with a loopback redirect, `partner` a third party that needs consent,
//! `down` whose back-channel endpoint refuses connections) and one user, driven by the
//! `openidconnect` crate. Shared by the `oidc_*` suites, one per area of
//! `shared/checklists/oidc-provider.md`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::browser::{self, location};
use crate::{Gerbang, Refusing, Spec};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreTokenResponse,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde_json::Value;

pub const RP: &str = "rp";
pub const RP_SECRET: &str = "rp-secret-0123456789abcdef";
pub const RP_REDIRECT: &str = "https://rp.test/callback";
pub const USER: &str = "budi";
pub const PASSWORD: &str = "kuda laut biru";

pub type Client = CoreClient<
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
pub struct Op {
    pub gw: Gerbang,
    /// Logout tokens the RP's back-channel endpoint received.
    pub logout_tokens: Arc<Mutex<Vec<String>>>,
    pub http: reqwest::Client,
    pub browser: reqwest::Client,
    pub issuer: String,
    /// The `down` client's back-channel address, which refuses every connection.
    _refusing: Refusing,
}

impl Op {
    pub async fn start() -> Op {
        Op::start_on(None).await
    }

    /// The provider on a given `[store]` table (`None`: the embedded sled store).
    pub async fn start_on(store: Option<String>) -> Op {
        Op::start_with(store, "").await
    }

    /// The provider on a given `[store]` table, with `more` TOML tables in its configuration.
    pub async fn start_with(store: Option<String>, more: &str) -> Op {
        let logout_tokens = Arc::new(Mutex::new(Vec::new()));
        let backchannel = backchannel_receiver(Arc::clone(&logout_tokens)).await;
        let refusing = Refusing::bind();
        let closed = refusing.addr;
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
             [[client]]\nid = \"partner\"\nname = \"Mitra\"\nsecret = \"partner-secret-0123456789\"\nredirect_uris = [\"https://partner.test/cb\"]\n\n{more}",
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
            _refusing: refusing,
        }
    }

    pub async fn metadata(&self) -> CoreProviderMetadata {
        CoreProviderMetadata::discover_async(
            IssuerUrl::new(self.issuer.clone()).unwrap(),
            &self.http,
        )
        .await
        .unwrap()
    }

    /// The `rp` client, configured from discovery.
    pub async fn client(&self) -> Client {
        CoreClient::from_provider_metadata(
            self.metadata().await,
            ClientId::new(RP.into()),
            Some(ClientSecret::new(RP_SECRET.into())),
        )
        .set_redirect_uri(RedirectUrl::new(RP_REDIRECT.into()).unwrap())
    }

    pub async fn get_json(&self, path: &str) -> Value {
        browser::get_json(&self.http, &format!("{}{path}", self.issuer)).await
    }

    /// Logs in through the browser and returns the callback's query parameters.
    pub async fn authorize(&self, url: &str) -> HashMap<String, String> {
        let back = browser::log_in(&self.browser, url, &self.issuer, USER, PASSWORD).await;
        query(&back)
    }

    /// A hand-written request of `rp` (no nonce, state `s`) for `scope`, plus `extra`.
    pub fn plain_request(&self, scope: &str, extra: &str) -> String {
        format!(
            "{}/authorize?client_id={RP}&response_type=code&state=s&scope={}&redirect_uri={}{extra}",
            self.issuer,
            encode(scope),
            encode(RP_REDIRECT)
        )
    }

    /// Exchanges `code` with the RP's client, PKCE verifier if given.
    pub async fn exchange_with(
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
    pub async fn log_in_tokens(&self, client: &Client) -> CoreTokenResponse {
        let (url, _, _) = code_flow(client);
        let back = self.authorize(url.as_str()).await;
        self.exchange_with(client, &back["code"], None).await
    }

    /// Logs in and returns the ID token, to use as `id_token_hint`.
    pub async fn hint(&self, client: &Client) -> String {
        self.log_in_tokens(client)
            .await
            .id_token()
            .unwrap()
            .to_string()
    }

    /// POSTs `form` to the token endpoint, as the RP with Basic authentication when `secret`
    /// is given; returns the status and the JSON body.
    pub async fn token(&self, secret: Option<&str>, form: &[(&str, &str)]) -> (u16, Value) {
        let mut request = self.http.post(format!("{}/token", self.issuer)).form(form);
        if let Some(secret) = secret {
            request = request.basic_auth(RP, Some(secret));
        }
        let response = request.send().await.unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    /// Exchanges `code` as the RP (Basic authentication, the usual redirect URI).
    pub async fn exchange(&self, code: &str) -> (u16, Value) {
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

    pub async fn userinfo(&self, access_token: &str) -> reqwest::Response {
        self.http
            .get(format!("{}/userinfo", self.issuer))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
    }

    /// The authorization request's answer without any login page: the browser follows only
    /// the provider's redirects and stops at the first one leaving it.
    pub async fn silent(&self, url: &str) -> reqwest::Response {
        self.browser.get(url).send().await.unwrap()
    }

    /// The query parameters of where a silent answer redirects to.
    pub async fn back(&self, url: &str) -> HashMap<String, String> {
        let response = self.silent(url).await;
        let to = location(&response)
            .unwrap_or_else(|| panic!("no redirect for {url}: {}", response.status()));
        assert!(to.starts_with("http"), "{url} was answered with {to}");
        query(&to)
    }

    /// The login page an authorization request leads to.
    pub async fn login_page(&self, url: &str) -> String {
        browser::follow(&self.browser, url)
            .await
            .text()
            .await
            .unwrap()
    }

    /// Logs in with `scope` and returns the ID token's claims and the userinfo answer.
    pub async fn scope_claims(&self, scope: &str) -> (Value, Value) {
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
    pub async fn assert_same_login(&self, client: &Client, extra: &str, first: &Value) {
        let back = self.back(&silent_url(client, extra)).await;
        assert!(back.contains_key("code"), "{extra}: {back:?}");
        let (_, tokens) = self.exchange(&back["code"]).await;
        let again = jwt_part(tokens["id_token"].as_str().unwrap(), 1);
        assert_eq!(again["sub"], first["sub"]);
        assert_eq!(again["auth_time"], first["auth_time"]);
    }

    /// After a first login and a pause of more than a second, a request with `extra` shows the
    /// login page again; logging in gives the same `sub` and a later `auth_time`.
    pub async fn assert_login_asked_again(&self, extra: &str) {
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
    pub async fn assert_code_reuse_refused(&self, pause: std::time::Duration) {
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
    pub async fn logout(&self, params: Vec<(&'static str, String)>) -> reqwest::Response {
        self.browser
            .get(format!("{}/logout", self.issuer))
            .query(&params)
            .send()
            .await
            .unwrap()
    }

    /// Confirms a logout the provider asked about.
    pub async fn confirm_logout(&self, state: &str) -> reqwest::Response {
        self.browser
            .post(format!("{}/logout", self.issuer))
            .form(&[("confirm", "yes"), ("state", state)])
            .send()
            .await
            .unwrap()
    }

    /// Whether `prompt=none` still gets a code: the provider session lives.
    pub async fn still_logged_in(&self, client: &Client) -> bool {
        self.back(&silent_url(client, "prompt=none"))
            .await
            .contains_key("code")
    }

    /// The first logout token the RP's back-channel endpoint receives, within 5 s.
    pub async fn next_logout_token(&self) -> String {
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
pub fn code_flow(client: &Client) -> (url::Url, CsrfToken, Nonce) {
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
pub fn silent_url(client: &Client, extra: &str) -> String {
    let (url, _, _) = code_flow(client);
    format!("{url}&{extra}")
}

/// An RP's back-channel logout endpoint on loopback that keeps what it receives.
pub async fn backchannel_receiver(received: Arc<Mutex<Vec<String>>>) -> String {
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

pub fn query(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

pub fn jwt_part(token: &str, index: usize) -> Value {
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
pub fn id_claims(tokens: &CoreTokenResponse) -> Value {
    jwt_part(&tokens.id_token().unwrap().to_string(), 1)
}
