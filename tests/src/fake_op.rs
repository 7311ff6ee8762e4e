//! A small OpenID provider that misbehaves on purpose, for the refusals a real provider never
//! produces: an ID token for another audience, with a broken signature, the wrong nonce, past
//! its expiry, or signed by a key it publishes only after the relying party read its JWKS. It
//! speaks plain HTTP on loopback (an issuer Gerbang accepts there), signs with Gerbang's own
//! key code, and checks what a relying party must send: PKCE S256, the redirect URI, Basic
//! client authentication. Its keys also serve a `private_key_jwt` client of Gerbang's own
//! provider: [`FakeOp::client_assertion`] signs with them, and its `/jwks` publishes them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use gerbang_idp::keys::{generate, Keyring, SigningAlg};
use gerbang_idp::protocol::{client_assertion, jwt};
use serde_json::{json, Value};
use sha2::Digest;

/// What the next ID token gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    None,
    WrongAudience,
    BadSignature,
    WrongNonce,
    Expired,
    /// Signed by a key added to its JWKS only now (a rotation the relying party has not seen).
    NewKey,
}

pub const CLIENT_ID: &str = "oss";
pub const CLIENT_SECRET: &str = "oss-at-fake-0123456789";

struct Pending {
    nonce: String,
    challenge: String,
    redirect_uri: String,
}

struct Inner {
    issuer: String,
    flaw: Flaw,
    keys: Keyring,
    rotated: Keyring,
    /// Whether the rotated key is in the JWKS yet.
    rotated_published: bool,
    codes: HashMap<String, Pending>,
    /// The claims of the next ID token beside the protocol's.
    claims: Value,
}

#[derive(Clone)]
pub struct FakeOp {
    pub issuer: String,
    inner: Arc<Mutex<Inner>>,
}

fn keyring() -> Keyring {
    let keys = [SigningAlg::Rs256, SigningAlg::Es256].map(|alg| generate(alg, 0).unwrap());
    Keyring::from_stored(&keys, 1).unwrap()
}

impl FakeOp {
    /// Starts it on a loopback port; its ID tokens carry `claims` (a `sub` and a NIK, say).
    pub async fn start(claims: Value) -> FakeOp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let issuer = format!("http://127.0.0.1:{}", addr.port());
        let op = FakeOp {
            issuer: issuer.clone(),
            inner: Arc::new(Mutex::new(Inner {
                issuer,
                flaw: Flaw::None,
                keys: keyring(),
                rotated: keyring(),
                rotated_published: false,
                codes: HashMap::new(),
                claims,
            })),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(op.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        op
    }

    pub fn flaw(&self, flaw: Flaw) {
        self.inner.lock().unwrap().flaw = flaw;
    }

    /// A back-channel logout token from this provider naming only the session `sid` (no
    /// `sub`, which the specification allows).
    pub fn logout_token_for_sid(&self, sid: &str) -> String {
        let inner = self.inner.lock().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let claims = json!({
            "iss": inner.issuer, "aud": CLIENT_ID, "iat": now, "jti": rand_hex(), "sid": sid,
            "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
        });
        jwt::sign(&inner.keys, SigningAlg::Rs256, "logout+jwt", &claims, now).unwrap()
    }

    /// As a `private_key_jwt` client whose keys are at `{issuer}/jwks`: an assertion for
    /// `client_id`, addressed to `audience`, made at `now`. With `rotated`, signed by the key
    /// it publishes from now on (a rotation the provider has not seen).
    pub fn client_assertion(
        &self,
        client_id: &str,
        audience: &str,
        now: u64,
        rotated: bool,
    ) -> String {
        let mut inner = self.inner.lock().unwrap();
        inner.rotated_published |= rotated;
        let keys = if rotated { &inner.rotated } else { &inner.keys };
        client_assertion::make(
            keys.active(SigningAlg::Rs256, now),
            client_id,
            audience,
            rand_hex(),
            now,
        )
        .unwrap()
    }
}

async fn discovery(State(op): State<FakeOp>) -> Json<Value> {
    let issuer = &op.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    }))
}

async fn jwks(State(op): State<FakeOp>) -> Json<Value> {
    let inner = op.inner.lock().unwrap();
    let mut keys = serde_json::to_value(inner.keys.jwks()).unwrap();
    if inner.rotated_published {
        let rotated = serde_json::to_value(inner.rotated.jwks()).unwrap();
        let list = keys["keys"].as_array_mut().unwrap();
        list.extend(rotated["keys"].as_array().unwrap().iter().cloned());
    }
    Json(keys)
}

/// Logs the person in at once and answers with a code (and `iss`, RFC 9207).
async fn authorize(State(op): State<FakeOp>, Query(q): Query<HashMap<String, String>>) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("code_challenge_method") != "S256" || get("client_id") != CLIENT_ID {
        return (
            StatusCode::BAD_REQUEST,
            "PKCE S256 and the client id are required",
        )
            .into_response();
    }
    let code = format!("code-{}", rand_hex());
    let mut inner = op.inner.lock().unwrap();
    inner.codes.insert(
        code.clone(),
        Pending {
            nonce: get("nonce"),
            challenge: get("code_challenge"),
            redirect_uri: get("redirect_uri"),
        },
    );
    let back = url::Url::parse_with_params(
        &get("redirect_uri"),
        [
            ("code", code.as_str()),
            ("state", &get("state")),
            ("iss", &inner.issuer),
        ],
    )
    .unwrap();
    Redirect::to(back.as_str()).into_response()
}

async fn token(
    State(op): State<FakeOp>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(basic.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut inner = op.inner.lock().unwrap();
    let Some(pending) = inner.codes.remove(&get("code")) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let verifier_hash =
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(get("code_verifier").as_bytes()));
    if verifier_hash != pending.challenge || get("redirect_uri") != pending.redirect_uri {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    }
    let id_token = id_token(&mut inner, &pending.nonce);
    Json(json!({
        "access_token": format!("at-{}", rand_hex()),
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}

fn id_token(inner: &mut Inner, nonce: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let flaw = inner.flaw;
    let mut claims = inner.claims.clone();
    claims["iss"] = json!(inner.issuer);
    claims["aud"] = json!(if flaw == Flaw::WrongAudience {
        "someone-else"
    } else {
        CLIENT_ID
    });
    claims["nonce"] = json!(if flaw == Flaw::WrongNonce {
        "not-the-nonce"
    } else {
        nonce
    });
    let (iat, exp) = match flaw {
        Flaw::Expired => (now - 1200, now - 600),
        _ => (now, now + 300),
    };
    claims["iat"] = json!(iat);
    claims["exp"] = json!(exp);
    if flaw == Flaw::NewKey {
        inner.rotated_published = true;
    }
    let keys = match flaw {
        Flaw::NewKey => &inner.rotated,
        _ => &inner.keys,
    };
    let token = jwt::sign(keys, SigningAlg::Rs256, "JWT", &claims, now).unwrap();
    match flaw {
        // The payload changed after signing: the signature no longer covers it.
        Flaw::BadSignature => {
            let parts: Vec<&str> = token.split('.').collect();
            claims["sub"] = json!("someone-else");
            let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
            format!("{}.{payload}.{}", parts[0], parts[2])
        }
        _ => token,
    }
}

fn rand_hex() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
