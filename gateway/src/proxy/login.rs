//! The gateway as a relying party of the provider: sending a browser to log in.
//!
//! An unauthenticated browser request to an `authenticated` route is redirected to the
//! provider's authorization endpoint with a fresh `state`, `nonce` and PKCE S256 challenge. The
//! verifier, nonce and where the user was going travel in an encrypted, short-lived `__Host-`
//! cookie named after the state, so no store is written for a visitor who never logs in.

use std::time::Duration;

use cookie::Key;
use gerbang_config::Strength;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{
    AuthUrl, AuthenticationContextClass, ClientId, CsrfToken, IssuerUrl, JsonWebKeySet, Nonce,
    PkceCodeChallenge, RedirectUrl, Scope,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::session::{open_cookie, sealed_cookie};

/// The client id the gateway uses at its own provider.
pub use gerbang_config::GATEWAY_CLIENT_ID;
/// The gateway's own paths on every route host.
pub const CALLBACK_PATH: &str = "/_gerbang/callback";
/// Starts a login and comes back to `rd` (a path on the host): where a proxy in front sends a
/// browser that forward-auth refused.
pub const LOGIN_PATH: &str = "/_gerbang/login";
/// How long a user has to log in before the pending cookie expires.
pub const PENDING_LIFETIME: Duration = Duration::from_secs(600);
pub const PENDING_COOKIE_PREFIX: &str = "__Host-gerbang-login-";

/// What the gateway must remember between the redirect and the callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// A path (and query) on the route host, never a full URL: see "Open redirect".
    pub return_to: String,
}

/// The redirect to the provider and the cookie that remembers it.
pub struct LoginRedirect {
    pub location: String,
    pub set_cookie: String,
}

/// Builds the authorization request for a user who asked for `return_to` on `public_origin`
/// (scheme, route host and public port).
pub fn begin_login(
    issuer: &Url,
    public_origin: &str,
    return_to: &str,
    acr: Option<Strength>,
    key: &Key,
) -> Result<LoginRedirect, LoginError> {
    let issuer_url = IssuerUrl::from_url(issuer.clone());
    let auth_url = AuthUrl::from_url(issuer.join("authorize").map_err(|_| LoginError::Url)?);
    let redirect =
        RedirectUrl::new(format!("{public_origin}{CALLBACK_PATH}")).map_err(|_| LoginError::Url)?;
    let client = CoreClient::new(
        ClientId::new(GATEWAY_CLIENT_ID.into()),
        issuer_url,
        JsonWebKeySet::default(),
    )
    .set_auth_uri(auth_url)
    .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge);
    if let Some(strength) = acr {
        request =
            request.add_auth_context_value(AuthenticationContextClass::new(strength.acr().into()));
    }
    let (url, state, nonce) = request.url();
    let pending = PendingLogin {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        return_to: return_to.to_string(),
    };
    let set_cookie = pending_cookie(&pending, key)?;
    Ok(LoginRedirect {
        location: url.to_string(),
        set_cookie,
    })
}

/// The cookie name for a state: one cookie per login in progress, so two tabs do not collide.
pub fn pending_cookie_name(state: &str) -> String {
    let tag: String = state
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect();
    format!("{PENDING_COOKIE_PREFIX}{tag}")
}

fn pending_cookie(pending: &PendingLogin, key: &Key) -> Result<String, LoginError> {
    let value = serde_json::to_string(pending).map_err(|_| LoginError::Encode)?;
    sealed_cookie(
        &pending_cookie_name(&pending.state),
        value,
        key,
        PENDING_LIFETIME.as_secs(),
    )
    .ok_or(LoginError::Encode)
}

/// Reads back the pending login of `state` from a request's `Cookie` header, if it is there and
/// opens under `key`.
pub fn read_pending(cookie_header: &str, state: &str, key: &Key) -> Option<PendingLogin> {
    let value = open_cookie(cookie_header, &pending_cookie_name(state), key)?;
    let pending: PendingLogin = serde_json::from_str(&value).ok()?;
    use subtle::ConstantTimeEq;
    bool::from(pending.state.as_bytes().ct_eq(state.as_bytes())).then_some(pending)
}

/// Where a user may be sent back to after login: a path on the route host, with its query.
/// Anything that a browser could read as another origin becomes `/`.
pub fn safe_return_path(path_and_query: &str) -> &str {
    let bytes = path_and_query.as_bytes();
    let is_safe = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/') | Some(b'\\'))
        && !bytes.iter().any(|&b| b < 0x20 || b == 0x7f || b == b'\\');
    if is_safe {
        path_and_query
    } else {
        "/"
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the issuer or route host does not make a valid URL")]
    Url,
    #[error("the pending login could not be encoded")]
    Encode,
}

#[cfg(test)]
mod tests {
    use super::*;
    use cookie::Cookie;

    fn issuer() -> Url {
        Url::parse("https://sso.localhost:8443/").unwrap()
    }

    #[test]
    fn redirect_carries_state_nonce_and_s256_challenge() {
        let key = Key::generate();
        let r = begin_login(
            &issuer(),
            "https://app.localhost:8443",
            "/orders?id=1",
            None,
            &key,
        )
        .unwrap();
        let url = Url::parse(&r.location).unwrap();
        assert_eq!(url.path(), "/authorize");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], GATEWAY_CLIENT_ID);
        assert_eq!(
            q["redirect_uri"],
            "https://app.localhost:8443/_gerbang/callback"
        );
        assert_eq!(q["code_challenge_method"], "S256");
        let state = q["state"].clone();
        assert!(state.len() >= 22 && q["nonce"].len() >= 22);
        assert!(q["scope"].split(' ').any(|s| s == "openid"));
        let cookie = Cookie::parse(r.set_cookie.clone()).unwrap();
        assert!(cookie.name().starts_with("__Host-"));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.http_only(), Some(true));
        let header = format!("other=1; {}={}", cookie.name(), cookie.value());
        let pending =
            read_pending(&header, &state, &key).unwrap_or_else(|| panic!("cookie unreadable"));
        assert_eq!(pending.nonce, q["nonce"]);
        assert_eq!(pending.return_to, "/orders?id=1");
        assert!(
            !r.set_cookie.contains(&pending.pkce_verifier),
            "the verifier is encrypted"
        );
        assert_eq!(read_pending(&header, "forged", &key), None);
        assert_eq!(read_pending(&header, &state, &Key::generate()), None);
        assert!(!q.contains_key("acr_values"), "no strength asked for");
    }

    #[test]
    fn a_step_up_asks_for_the_strength() {
        let app = "https://app.localhost:8443";
        let strength = Some(Strength::TwoFactor);
        let r = begin_login(&issuer(), app, "/", strength, &Key::generate()).unwrap();
        let url = Url::parse(&r.location).unwrap();
        let acr = url.query_pairs().find(|(k, _)| k == "acr_values").unwrap();
        assert_eq!(acr.1, "urn:gerbang:acr:two-factor");
    }

    #[test]
    fn return_paths_stay_on_the_host() {
        assert_eq!(safe_return_path("/orders?id=1"), "/orders?id=1");
        for evil in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "/\tx",
            "/%0a",
            "",
        ] {
            let kept = safe_return_path(evil);
            assert!(kept == "/" || kept == "/%0a", "{evil} -> {kept}");
        }
    }
}
