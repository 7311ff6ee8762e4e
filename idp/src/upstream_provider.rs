//! Gerbang as a relying party of an upstream OpenID Connect provider (`[[identity_provider]]`),
//! with the `openidconnect` crate: discovery (kept for an hour), the authorization request
//! (code, PKCE S256, state, nonce), and the callback: RFC 9207 `iss`, the code exchange, the ID
//! token (signature by the upstream's JWKS, fetched again once when a `kid` is unknown; issuer,
//! audience, expiry, nonce) and userinfo, whose `sub` must be the ID token's. Knows nothing of
//! accounts: `crate::federation` decides what a verified login leads to.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gerbang_config::{IdentityProvider, UpstreamClientAuth};
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AuthType, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    IssuerUrl, JsonWebKeySet, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    ProviderMetadataWithLogout, RedirectUrl, Scope, SignatureVerificationError,
    StandardErrorResponse, StandardTokenResponse, TokenResponse,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::keys::{Keyring, SigningAlg};
use crate::protocol::client_assertion;

/// How long discovery is believed before it is read again.
const DISCOVERY_LIFETIME: Duration = Duration::from_secs(3600);
/// The most any one request to an upstream may take.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// Every claim beside the standard ones (the NIK, say), kept as JSON.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

type IdTokenFieldsOf = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<IdTokenFieldsOf, CoreTokenType>;
type UpstreamClient = openidconnect::Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Why an upstream login did not verify. Each is shown as a page and audited with its text.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("the provider cannot be reached: {0}")]
    Unavailable(String),
    #[error("the provider answered with the error `{0}`")]
    Denied(String),
    #[error("the response names another issuer (RFC 9207 `iss`)")]
    WrongIssuer,
    #[error("the code exchange failed: {0}")]
    Exchange(String),
    #[error("the ID token does not verify: {0}")]
    IdToken(String),
    #[error("userinfo failed: {0}")]
    UserInfo(String),
}

/// The secrets of one authorization request, kept until its callback.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Started {
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A login the upstream vouched for: its subject and every claim, ID token and userinfo
/// merged (the ID token's win).
#[derive(Debug)]
pub struct Verified {
    pub subject: String,
    pub claims: Map<String, Value>,
    /// The ID token as it came, for `id_token_hint` when logging out there.
    pub id_token: String,
}

/// What discovery found for one configured provider, with the HTTP client that reaches it.
struct Discovered {
    /// The settings it was read with: a reload that changes them reads it again.
    settings: (String, String, Option<std::path::PathBuf>),
    metadata: ProviderMetadataWithLogout,
    http: reqwest::Client,
    read_at: Instant,
}

/// The upstream providers as discovered, by id, and whether each answered when last asked.
#[derive(Default)]
pub struct Upstreams {
    discovered: Mutex<HashMap<String, Arc<Discovered>>>,
    /// The ids whose discovery failed when last read (their buttons say they are unavailable).
    down: Mutex<std::collections::HashSet<String>>,
}

/// How often a background task reads every provider's discovery (see [`Upstreams::probe`]).
pub const PROBE_INTERVAL: Duration = Duration::from_secs(10);

impl Upstreams {
    /// Whether the provider answered when last asked (one never asked counts as available).
    pub fn available(&self, id: &str) -> bool {
        !self
            .down
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(id)
    }

    /// Reads the provider's discovery now (a background task does, every [`PROBE_INTERVAL`]),
    /// so its button says when it cannot be reached and its keys stay fresh.
    pub async fn probe(&self, provider: &IdentityProvider) -> bool {
        match self.read_discovery(provider).await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(provider = %provider.id, error = %e, "an identity provider cannot be reached");
                false
            }
        }
    }

    /// The URL to send the browser to, and what its callback needs.
    pub async fn authorization_url(
        &self,
        provider: &IdentityProvider,
        redirect_uri: &str,
        ui_locale: &str,
    ) -> Result<(String, String, Started), UpstreamError> {
        let found = self.discover(provider).await?;
        let client = client_for(provider, &found.metadata, redirect_uri)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge)
            .add_extra_param("ui_locales", ui_locale);
        for scope in provider.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        let started = Started {
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        };
        Ok((url.to_string(), state.secret().clone(), started))
    }

    /// Verifies a callback's answer (its query parameters) for the request `started`.
    pub async fn finish(
        &self,
        provider: &IdentityProvider,
        redirect_uri: &str,
        params: &HashMap<String, String>,
        started: Started,
        keys: &Keyring,
    ) -> Result<Verified, UpstreamError> {
        if let Some(error) = params.get("error") {
            return Err(UpstreamError::Denied(printable(error)));
        }
        // RFC 9207: an answer that names an issuer must name this one.
        if params.get("iss").is_some_and(|iss| *iss != provider.issuer) {
            return Err(UpstreamError::WrongIssuer);
        }
        let code = params
            .get("code")
            .ok_or_else(|| UpstreamError::Exchange("the answer holds no code".into()))?;
        let found = self.discover(provider).await?;
        let client = client_for(provider, &found.metadata, redirect_uri)?;
        let exchange = |e: &dyn std::fmt::Display| UpstreamError::Exchange(e.to_string());
        let mut request = client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .map_err(|e| exchange(&e))?
            .set_pkce_verifier(PkceCodeVerifier::new(started.pkce_verifier));
        if let UpstreamClientAuth::PrivateKeyJwt = provider.client_auth {
            let assertion = own_assertion(provider, &found.metadata, keys)?;
            request = request
                .add_extra_param("client_assertion_type", client_assertion::JWT_BEARER)
                .add_extra_param("client_assertion", assertion);
        }
        let tokens = request
            .request_async(&found.http)
            .await
            .map_err(|e| exchange(&e))?;
        let nonce = Nonce::new(started.nonce);
        let (subject, mut claims) = match id_token_claims(&client, &tokens, &nonce) {
            Err(UpstreamError::IdToken(why)) if why == NO_MATCHING_KEY => {
                // A key the upstream published since discovery: read its keys once more.
                let found = self.refresh_keys(provider, &found).await?;
                let refreshed = client_for(provider, &found.metadata, redirect_uri)?;
                id_token_claims(&refreshed, &tokens, &nonce)?
            }
            verified => verified?,
        };
        if let Ok(request) = client.user_info(
            tokens.access_token().clone(),
            Some(openidconnect::SubjectIdentifier::new(subject.clone())),
        ) {
            let info: openidconnect::UserInfoClaims<OtherClaims, CoreGenderClaim> = request
                .request_async(&found.http)
                .await
                .map_err(|e| UpstreamError::UserInfo(e.to_string()))?;
            for (name, value) in as_map(&info) {
                claims.entry(name).or_insert(value);
            }
        }
        let id_token = tokens.id_token().map(|t| t.to_string()).unwrap_or_default();
        Ok(Verified {
            subject,
            claims,
            id_token,
        })
    }

    /// Where to send the browser to end its session at the provider too (OIDC RP-Initiated
    /// Logout 1.0), coming back to `back`; `None` when the provider has no end-session
    /// endpoint or cannot be reached.
    pub async fn logout_url(
        &self,
        provider: &IdentityProvider,
        id_token: &str,
        back: &str,
    ) -> Option<String> {
        let found = self.discover(provider).await.ok()?;
        let endpoint = found
            .metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()?;
        let mut url = endpoint.url().clone();
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token)
            .append_pair("client_id", &provider.client_id)
            .append_pair("post_logout_redirect_uri", back);
        Some(url.to_string())
    }

    /// Verifies a back-channel logout token from the provider (OIDC Back-Channel Logout 1.0
    /// section 2.6): its signature by the provider's keys (read again once for an unknown
    /// `kid`), issuer, audience, age, the logout event, no nonce, and a `sub` or `sid`.
    pub async fn verify_logout_token(
        &self,
        provider: &IdentityProvider,
        token: &str,
        now: u64,
    ) -> Result<LoggedOut, UpstreamError> {
        let found = self.discover(provider).await?;
        let bad = |why: &str| UpstreamError::IdToken(format!("logout token: {why}"));
        let parts: Vec<&str> = token.split('.').collect();
        let [head, body, signature] = parts[..] else {
            return Err(bad("not a compact JWS"));
        };
        let decode = |part: &str| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part)
        };
        let header: Value = decode(head)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| bad("unreadable header"))?;
        let signature = decode(signature).map_err(|_| bad("unreadable signature"))?;
        let message = &token[..head.len() + 1 + body.len()];
        let kid = header.get("kid").and_then(Value::as_str);
        let alg: CoreJwsSigningAlgorithm = header
            .get("alg")
            .and_then(|a| serde_json::from_value(a.clone()).ok())
            .filter(|a| {
                matches!(
                    a,
                    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
                        | CoreJwsSigningAlgorithm::EcdsaP256Sha256
                )
            })
            .ok_or_else(|| bad("not signed with RS256 or ES256"))?;
        let verified = |found: &Discovered| {
            found.metadata.jwks().keys().iter().any(|key| {
                use openidconnect::JsonWebKey;
                kid.is_none_or(|kid| key.key_id().map(|k| k.as_str()) == Some(kid))
                    && key
                        .verify_signature(&alg, message.as_bytes(), &signature)
                        .is_ok()
            })
        };
        if !verified(&found) && !verified(&*self.refresh_keys(provider, &found).await?) {
            return Err(bad("the signature does not verify"));
        }
        let claims: Map<String, Value> = decode(body)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .ok_or_else(|| bad("unreadable claims"))?;
        let expected = (provider.issuer.as_str(), provider.client_id.as_str());
        logout_claims(expected, &claims, now).map_err(bad)
    }

    /// The provider's discovery, read again when older than [`DISCOVERY_LIFETIME`], when its
    /// settings changed, or when it did not answer last time.
    async fn discover(
        &self,
        provider: &IdentityProvider,
    ) -> Result<Arc<Discovered>, UpstreamError> {
        let settings = settings(provider);
        if let Some(found) = self.cached(&provider.id) {
            let fresh = found.read_at.elapsed() < DISCOVERY_LIFETIME;
            if found.settings == settings && fresh && self.available(&provider.id) {
                return Ok(found);
            }
        }
        self.read_discovery(provider).await
    }

    /// Reads the provider's discovery, noting whether it answered.
    async fn read_discovery(
        &self,
        provider: &IdentityProvider,
    ) -> Result<Arc<Discovered>, UpstreamError> {
        let read = self.read_discovery_once(provider).await;
        let mut down = self.down.lock().unwrap_or_else(|e| e.into_inner());
        match read.is_ok() {
            true => down.remove(&provider.id),
            false => down.insert(provider.id.clone()),
        };
        read
    }

    async fn read_discovery_once(
        &self,
        provider: &IdentityProvider,
    ) -> Result<Arc<Discovered>, UpstreamError> {
        let settings = settings(provider);
        let http = http_client(provider)?;
        let issuer = IssuerUrl::new(provider.issuer.clone())
            .map_err(|e| UpstreamError::Unavailable(e.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &http)
            .await
            .map_err(|e| UpstreamError::Unavailable(error_chain(&e)))?;
        Ok(self.keep(
            provider,
            Discovered {
                settings,
                metadata,
                http,
                read_at: Instant::now(),
            },
        ))
    }

    /// Reads the upstream's JWKS again (once per callback that meets an unknown key).
    async fn refresh_keys(
        &self,
        provider: &IdentityProvider,
        found: &Discovered,
    ) -> Result<Arc<Discovered>, UpstreamError> {
        let keys = JsonWebKeySet::fetch_async(found.metadata.jwks_uri(), &found.http)
            .await
            .map_err(|e| UpstreamError::Unavailable(error_chain(&e)))?;
        let metadata = found.metadata.clone().set_jwks(keys);
        Ok(self.keep(
            provider,
            Discovered {
                settings: found.settings.clone(),
                metadata,
                http: found.http.clone(),
                read_at: found.read_at,
            },
        ))
    }

    fn cached(&self, id: &str) -> Option<Arc<Discovered>> {
        let discovered = self.discovered.lock().unwrap_or_else(|e| e.into_inner());
        discovered.get(id).cloned()
    }

    fn keep(&self, provider: &IdentityProvider, found: Discovered) -> Arc<Discovered> {
        let found = Arc::new(found);
        let mut discovered = self.discovered.lock().unwrap_or_else(|e| e.into_inner());
        discovered.insert(provider.id.clone(), Arc::clone(&found));
        found
    }
}

/// Whom a verified logout token logs out.
#[derive(Debug, PartialEq, Eq)]
pub struct LoggedOut {
    pub subject: Option<String>,
    pub sid: Option<String>,
}

const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// How old a logout token may be (its `iat`), and how far ahead of this clock.
const LOGOUT_TOKEN_AGE: u64 = 300;

/// The checks of a logout token's claims (Back-Channel Logout 1.0 section 2.6, steps 3 to 6).
fn logout_claims(
    (issuer, client_id): (&str, &str),
    claims: &Map<String, Value>,
    now: u64,
) -> Result<LoggedOut, &'static str> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_string);
    if text("iss").as_deref() != Some(issuer) {
        return Err("another issuer");
    }
    let audience = match claims.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    };
    if !audience {
        return Err("another audience");
    }
    let iat = claims.get("iat").and_then(Value::as_u64).ok_or("no iat")?;
    if iat + LOGOUT_TOKEN_AGE < now || iat > now + LOGOUT_TOKEN_AGE {
        return Err("issued too long ago, or in the future");
    }
    if claims
        .get("exp")
        .and_then(Value::as_u64)
        .is_some_and(|exp| exp <= now)
    {
        return Err("expired");
    }
    let event = claims.get("events").and_then(|e| e.get(BACKCHANNEL_EVENT));
    if !event.is_some_and(Value::is_object) {
        return Err("no back-channel logout event");
    }
    if claims.contains_key("nonce") {
        return Err("a nonce, which a logout token may not carry");
    }
    if text("jti").is_none() {
        return Err("no jti");
    }
    let (subject, sid) = (text("sub"), text("sid"));
    if subject.is_none() && sid.is_none() {
        return Err("neither sub nor sid");
    }
    Ok(LoggedOut { subject, sid })
}

/// openidconnect's text for a token signed by a key not in the JWKS.
const NO_MATCHING_KEY: &str = "no matching key found";

fn id_token_claims(
    client: &UpstreamClient,
    tokens: &Tokens,
    nonce: &Nonce,
) -> Result<(String, Map<String, Value>), UpstreamError> {
    let id_token = tokens
        .id_token()
        .ok_or_else(|| UpstreamError::IdToken("the token response holds no ID token".into()))?;
    let verified = id_token.claims(&client.id_token_verifier(), nonce);
    let claims = verified.map_err(|e| match e {
        ClaimsVerificationError::SignatureVerification(
            SignatureVerificationError::NoMatchingKey,
        ) => UpstreamError::IdToken(NO_MATCHING_KEY.into()),
        other => UpstreamError::IdToken(other.to_string()),
    })?;
    Ok((claims.subject().to_string(), as_map(claims)))
}

/// Every claim of a verified set, standard and other, as one JSON object.
fn as_map(claims: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(claims) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

fn client_for(
    provider: &IdentityProvider,
    metadata: &ProviderMetadataWithLogout,
    redirect_uri: &str,
) -> Result<UpstreamClient, UpstreamError> {
    let redirect = RedirectUrl::new(redirect_uri.to_string())
        .map_err(|e| UpstreamError::Unavailable(e.to_string()))?;
    // client_secret_basic, unless the upstream takes only client_secret_post; with
    // private_key_jwt, the client id in the body beside the assertion.
    let post_only = metadata
        .token_endpoint_auth_methods_supported()
        .is_some_and(|methods| {
            methods.contains(&CoreClientAuthMethod::ClientSecretPost)
                && !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
        });
    let secret = match &provider.client_auth {
        UpstreamClientAuth::Secret(secret) => Some(ClientSecret::new(secret.expose().to_string())),
        UpstreamClientAuth::PrivateKeyJwt => None,
    };
    let client = UpstreamClient::from_provider_metadata(
        metadata.clone(),
        ClientId::new(provider.client_id.clone()),
        secret.clone(),
    )
    .set_redirect_uri(redirect);
    Ok(match post_only || secret.is_none() {
        true => client.set_auth_type(AuthType::RequestBody),
        false => client,
    })
}

/// The `private_key_jwt` assertion for one token request to `provider`, signed with
/// Gerbang's active RS256 key (published at its own `/jwks`, where the upstream reads it).
fn own_assertion(
    provider: &IdentityProvider,
    metadata: &ProviderMetadataWithLogout,
    keys: &Keyring,
) -> Result<String, UpstreamError> {
    let endpoint = metadata
        .token_endpoint()
        .ok_or_else(|| UpstreamError::Exchange("the upstream names no token endpoint".into()))?;
    let jti: String = rand::random::<[u8; 16]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = crate::clock::now();
    let signer = keys.active(SigningAlg::Rs256, now);
    client_assertion::make(signer, &provider.client_id, endpoint.as_str(), jti, now)
        .map_err(|_| UpstreamError::Exchange("cannot sign the client assertion".into()))
}

fn settings(provider: &IdentityProvider) -> (String, String, Option<std::path::PathBuf>) {
    (
        provider.issuer.clone(),
        provider.client_id.clone(),
        provider.ca.clone(),
    )
}

/// A client for one upstream, trusting its `ca` too.
fn http_client(provider: &IdentityProvider) -> Result<reqwest::Client, UpstreamError> {
    crate::outbound::client(provider.ca.as_deref(), UPSTREAM_TIMEOUT)
        .map_err(UpstreamError::Unavailable)
}

/// An error with its causes, as one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// An upstream's error code, kept to printable ASCII and a sane length before it is shown or
/// logged.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_graphic())
        .take(64)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn checked(mut claims: Value, now: u64) -> Result<LoggedOut, &'static str> {
        let base = json!({
            "iss": "https://inapas.example.id", "aud": "oss", "iat": 1000, "jti": "j1",
            "sub": "s1", "events": { BACKCHANNEL_EVENT: {} }
        });
        let mut merged = base.as_object().unwrap().clone();
        for (k, v) in claims.as_object_mut().unwrap().iter() {
            match v {
                Value::Null => merged.remove(k),
                _ => merged.insert(k.clone(), v.clone()),
            };
        }
        logout_claims(("https://inapas.example.id", "oss"), &merged, now)
    }

    #[test]
    fn a_logout_token_is_checked_claim_by_claim() {
        let ok = checked(json!({ "sid": "x" }), 1100).unwrap();
        assert_eq!(
            ok,
            LoggedOut {
                subject: Some("s1".into()),
                sid: Some("x".into())
            }
        );
        assert!(checked(json!({ "aud": ["other", "oss"] }), 1100).is_ok());
        let refused = [
            (
                json!({ "iss": "https://evil.example" }),
                1100,
                "another issuer",
            ),
            (json!({ "aud": "other" }), 1100, "another audience"),
            (
                json!({}),
                1000 + LOGOUT_TOKEN_AGE + 1,
                "issued too long ago, or in the future",
            ),
            (
                json!({ "iat": 2000 }),
                1000,
                "issued too long ago, or in the future",
            ),
            (json!({ "exp": 1050 }), 1100, "expired"),
            (
                json!({ "events": {} }),
                1100,
                "no back-channel logout event",
            ),
            (
                json!({ "nonce": "n" }),
                1100,
                "a nonce, which a logout token may not carry",
            ),
            (json!({ "jti": null }), 1100, "no jti"),
            (json!({ "sub": null }), 1100, "neither sub nor sid"),
        ];
        for (claims, now, why) in refused {
            assert_eq!(checked(claims.clone(), now).unwrap_err(), why, "{claims}");
        }
    }
}
