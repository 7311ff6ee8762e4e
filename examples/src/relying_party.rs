//! `berusaha`'s way to trust Gerbang: as an OpenID Connect client of the provider itself (code
//! flow with PKCE through the `openidconnect` crate), with its own session, still reached
//! through the gateway on a public route. It takes part in single sign-on like any app, and a
//! back-channel logout from the provider ends its sessions.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde_json::{json, Value};
use tokio::sync::{Mutex, OnceCell};

use crate::identity::{JwksSource, Verifier};

const COOKIE: &str = "berusaha-session";
const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How the app reaches its provider and who it is there.
pub struct RpConfig {
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// This app's public origin, e.g. `https://berusaha.localhost:8443`.
    pub origin: String,
    /// An HTTP client that reaches the issuer (a private CA, a fixed address) and follows no redirect.
    pub http: reqwest::Client,
    pub jwks: JwksSource,
}

struct Pending {
    verifier: String,
    nonce: String,
}

/// Who is logged in here: the ID token's claims and the hint kept for logout.
struct Login {
    claims: Value,
    id_token: String,
}

struct Rp {
    config: RpConfig,
    metadata: OnceCell<CoreProviderMetadata>,
    logout_tokens: Verifier,
    pending: Mutex<HashMap<String, Pending>>,
    sessions: Mutex<HashMap<String, Login>>,
}

/// The relying-party app: `/` (log in or show who is logged in), `/whoami`, `/auth/callback`,
/// `/auth/backchannel-logout`, `/logout`.
pub fn app(config: RpConfig) -> Router {
    let logout_tokens = Verifier::new(&config.issuer, &config.client_id, config.jwks.clone());
    let rp = Arc::new(Rp {
        config,
        metadata: OnceCell::new(),
        logout_tokens,
        pending: Mutex::new(HashMap::new()),
        sessions: Mutex::new(HashMap::new()),
    });
    Router::new()
        .route("/", get(home))
        .route("/whoami", get(whoami))
        .route("/auth/callback", get(callback))
        .route("/auth/backchannel-logout", post(backchannel_logout))
        .route("/logout", get(logout))
        .with_state(rp)
}

fn random() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    cookies
        .split(';')
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, v)| v.to_string())
}

fn failure(status: StatusCode, what: impl std::fmt::Display) -> Response {
    (status, what.to_string()).into_response()
}

impl Rp {
    async fn client(
        &self,
    ) -> Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
        String,
    > {
        let metadata = self
            .metadata
            .get_or_try_init(|| async {
                let issuer =
                    IssuerUrl::new(self.config.issuer.clone()).map_err(|e| e.to_string())?;
                CoreProviderMetadata::discover_async(issuer, &self.config.http)
                    .await
                    .map_err(|e| e.to_string())
            })
            .await?;
        let redirect = RedirectUrl::new(format!("{}/auth/callback", self.config.origin))
            .map_err(|e| e.to_string())?;
        Ok(CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            Some(ClientSecret::new(self.config.client_secret.clone())),
        )
        .set_redirect_uri(redirect))
    }
}

async fn home(State(rp): State<Arc<Rp>>, headers: HeaderMap) -> Response {
    if let Some(login) = session_id(&headers) {
        if let Some(l) = rp.sessions.lock().await.get(&login) {
            return format!(
                "{}: {}",
                rp.config.name,
                l.claims["preferred_username"].as_str().unwrap_or("?")
            )
            .into_response();
        }
    }
    let client = match rp.client().await {
        Ok(c) => c,
        Err(e) => return failure(StatusCode::BAD_GATEWAY, e),
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    rp.pending.lock().await.insert(
        state.secret().clone(),
        Pending {
            verifier: verifier.secret().clone(),
            nonce: nonce.secret().clone(),
        },
    );
    Redirect::to(url.as_str()).into_response()
}

async fn callback(State(rp): State<Arc<Rp>>, Query(q): Query<HashMap<String, String>>) -> Response {
    let (Some(code), Some(state)) = (q.get("code"), q.get("state")) else {
        return failure(StatusCode::BAD_REQUEST, "no code");
    };
    let Some(pending) = rp.pending.lock().await.remove(state) else {
        return failure(StatusCode::BAD_REQUEST, "unknown state");
    };
    let client = match rp.client().await {
        Ok(c) => c,
        Err(e) => return failure(StatusCode::BAD_GATEWAY, e),
    };
    let exchange = match client.exchange_code(AuthorizationCode::new(code.clone())) {
        Ok(e) => e,
        Err(e) => return failure(StatusCode::BAD_GATEWAY, e),
    };
    let tokens = match exchange
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
        .request_async(&rp.config.http)
        .await
    {
        Ok(t) => t,
        Err(e) => return failure(StatusCode::BAD_GATEWAY, e),
    };
    let Some(id_token) = tokens.id_token() else {
        return failure(StatusCode::BAD_GATEWAY, "no ID token");
    };
    if let Err(e) = id_token.claims(&client.id_token_verifier(), &Nonce::new(pending.nonce)) {
        return failure(StatusCode::BAD_GATEWAY, e);
    }
    // The claims as JSON (the `sid` the provider adds included), from the verified token.
    let claims: Value = id_token
        .to_string()
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, p).ok()
        })
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let id = random();
    rp.sessions.lock().await.insert(
        id.clone(),
        Login {
            claims,
            id_token: id_token.to_string(),
        },
    );
    (
        [(
            header::SET_COOKIE,
            format!("{COOKIE}={id}; Path=/; Secure; HttpOnly; SameSite=Lax"),
        )],
        Redirect::to("/"),
    )
        .into_response()
}

async fn whoami(State(rp): State<Arc<Rp>>, headers: HeaderMap) -> Json<Value> {
    let user = match session_id(&headers) {
        Some(id) => rp.sessions.lock().await.get(&id).map(|l| l.claims.clone()),
        None => None,
    };
    Json(json!({ "app": rp.config.name, "user": user }))
}

/// OIDC Back-Channel Logout: a verified logout token ends the sessions of its `sid`.
async fn backchannel_logout(
    State(rp): State<Arc<Rp>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(token) = form.get("logout_token") else {
        return failure(StatusCode::BAD_REQUEST, "no logout_token");
    };
    let claims = match rp.logout_tokens.verify_logout(token).await {
        Ok(c) => c,
        Err(e) => return failure(StatusCode::BAD_REQUEST, e),
    };
    if !claims["events"][BACKCHANNEL_EVENT].is_object() || claims.get("nonce").is_some() {
        return failure(StatusCode::BAD_REQUEST, "not a logout token");
    }
    let sid = claims["sid"].as_str().unwrap_or_default().to_string();
    rp.sessions
        .lock()
        .await
        .retain(|_, login| login.claims["sid"] != sid.as_str());
    StatusCode::OK.into_response()
}

/// Ends this app's session and the provider's (RP-initiated logout with the ID token as hint).
async fn logout(State(rp): State<Arc<Rp>>, headers: HeaderMap) -> Response {
    let login = match session_id(&headers) {
        Some(id) => rp.sessions.lock().await.remove(&id),
        None => None,
    };
    let mut url = format!(
        "{}/logout?client_id={}",
        rp.config.issuer, rp.config.client_id
    );
    if let Some(login) = login {
        url.push_str(&format!("&id_token_hint={}", login.id_token));
    }
    Redirect::to(&url).into_response()
}
