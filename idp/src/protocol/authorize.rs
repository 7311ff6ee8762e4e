//! The authorization request (OIDC Core 3.1.2.1), validated. Errors that must not be sent to an
//! unverified redirect URI become pages; the rest go back to the client (RFC 6749 4.1.2.1).

use std::collections::HashMap;

use gerbang_config::Client;

use super::client::Registry;
use super::error::{ErrorCode, OAuthError};

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub scopes: Vec<String>,
    /// S256 challenge; required of public clients.
    pub code_challenge: Option<String>,
    pub prompt_none: bool,
    pub prompt_login: bool,
    #[serde(default)]
    pub prompt_consent: bool,
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
    pub ui_locales: Vec<String>,
    pub acr_values: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// Shown to the user: the client or its redirect URI cannot be trusted with a redirect.
    Page(&'static str),
    /// Sent back to the client's (verified) redirect URI.
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: OAuthError,
    },
}

/// Validates the parameters of an authorization request (query or form, already decoded).
pub fn validate(
    params: &HashMap<String, String>,
    registry: &Registry,
) -> Result<AuthorizationRequest, AuthorizeError> {
    let get = |k: &str| params.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let client = get("client_id")
        .and_then(|id| registry.get(id))
        .ok_or(AuthorizeError::Page("unknown_client"))?;
    let redirect_uri = get("redirect_uri").ok_or(AuthorizeError::Page("missing_redirect_uri"))?;
    if !registry.redirect_uri_allowed(&client, redirect_uri) {
        return Err(AuthorizeError::Page("unregistered_redirect_uri"));
    }
    let state = get("state").map(str::to_string);
    let fail = |error: ErrorCode, description: &str| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.to_string(),
        state: state.clone(),
        error: OAuthError::new(error, description),
    };
    let refused = |(error, description): Refusal| fail(error, description);
    code_flow_only(&get).map_err(refused)?;
    let requested = words(get("scope"));
    if !requested.contains(&"openid") {
        return Err(fail(
            ErrorCode::InvalidScope,
            "the openid scope is required",
        ));
    }
    let scopes = allowed_scopes(&client, &requested);
    let code_challenge =
        pkce_challenge(&client, get("code_challenge"), get("code_challenge_method"))
            .map_err(refused)?;
    let prompts = words(get("prompt"));
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(fail(
            ErrorCode::InvalidRequest,
            "prompt=none cannot be combined",
        ));
    }
    let max_age = match get("max_age") {
        None => None,
        Some(v) => Some(
            v.parse::<u64>()
                .map_err(|_| fail(ErrorCode::InvalidRequest, "max_age is not a number"))?,
        ),
    };
    Ok(AuthorizationRequest {
        client_id: client.id.clone(),
        redirect_uri: redirect_uri.to_string(),
        state,
        nonce: get("nonce").map(str::to_string),
        scopes,
        code_challenge,
        prompt_none,
        // `max_age=0` asks for a login now (OpenID Connect Core 3.1.2.1): compared in whole
        // seconds, a session made in this very second would otherwise pass.
        prompt_login: prompts.contains(&"login") || max_age == Some(0),
        prompt_consent: prompts.contains(&"consent"),
        max_age,
        login_hint: get("login_hint").map(str::to_string),
        ui_locales: words(get("ui_locales"))
            .into_iter()
            .map(str::to_string)
            .collect(),
        acr_values: get("acr_values").map(str::to_string),
    })
}

/// Why a request is refused, told to the client at its redirect URI.
type Refusal = (ErrorCode, &'static str);

/// Only the authorization code flow, and no request objects (by value or by reference).
fn code_flow_only<'a>(get: &impl Fn(&str) -> Option<&'a str>) -> Result<(), Refusal> {
    match get("response_type") {
        None => Err((ErrorCode::InvalidRequest, "response_type is required")),
        Some("code") => Ok(()),
        Some(_) => Err((
            ErrorCode::UnsupportedResponseType,
            "only the code flow is offered",
        )),
    }?;
    if get("request").is_some() {
        return Err((
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if get("request_uri").is_some() {
        return Err((
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    Ok(())
}

/// The PKCE challenge to bind the code to: S256 only, and required of public clients.
fn pkce_challenge(
    client: &Client,
    challenge: Option<&str>,
    method: Option<&str>,
) -> Result<Option<String>, Refusal> {
    match (challenge, method) {
        (None, _) if client.is_public() => Err((
            ErrorCode::InvalidRequest,
            "public clients must use PKCE (S256)",
        )),
        (None, _) => Ok(None),
        (Some(c), Some("S256")) if is_s256_challenge(c) => Ok(Some(c.to_string())),
        (Some(_), Some("S256")) => Err((
            ErrorCode::InvalidRequest,
            "code_challenge is not a S256 challenge",
        )),
        (Some(_), _) => Err((
            ErrorCode::InvalidRequest,
            "code_challenge_method must be S256",
        )),
    }
}

/// The space-separated words of a parameter (scopes, prompts, locales).
fn words(value: Option<&str>) -> Vec<&str> {
    value
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect()
}

/// The requested scopes the client may have, in a stable order.
fn allowed_scopes(client: &Client, requested: &[&str]) -> Vec<String> {
    client
        .scopes
        .iter()
        .filter(|s| requested.contains(&s.as_str()) || s.as_str() == "openid")
        .cloned()
        .collect()
}

/// 43 characters of base64url: the encoding of a SHA-256 digest.
fn is_s256_challenge(c: &str) -> bool {
    c.len() == 43
        && c.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Whether `verifier` (RFC 7636: 43 to 128 unreserved characters) hashes to `challenge`.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    use sha2::Digest;
    use subtle::ConstantTimeEq;
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    well_formed && bool::from(digest.as_bytes().ct_eq(challenge.as_bytes()))
}

/// The redirect that answers an authorization request: `code` (or an error), `state` and `iss`
/// (RFC 9207), appended to the redirect URI's own query.
pub fn response_url(
    redirect_uri: &str,
    issuer: &str,
    outcome: Result<&str, &OAuthError>,
    state: Option<&str>,
) -> String {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return redirect_uri.to_string(),
    };
    {
        let mut q = url.query_pairs_mut();
        match outcome {
            Ok(code) => {
                q.append_pair("code", code);
            }
            Err(e) => {
                q.append_pair("error", e.error.as_str());
                q.append_pair("error_description", &e.error_description);
            }
        }
        if let Some(s) = state {
            q.append_pair("state", s);
        }
        q.append_pair("iss", issuer);
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gerbang_config::{GrantType, Secret};

    fn registry() -> Registry {
        let rp = Client {
            id: "rp".into(),
            name: "RP".into(),
            secret: Some(Secret::new("rp-secret-0123456789".into())),
            jwks_uri: None,
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            web_origins: Vec::new(),
            scopes: ["openid", "profile", "email"].map(String::from).to_vec(),
            grant_types: vec![GrantType::AuthorizationCode],
            id_token_signed_response_alg: Default::default(),
            access_token_signed_response_alg: Default::default(),
            first_party: true,
            groups: Vec::new(),
            required_groups: Vec::new(),
        };
        let spa = Client {
            id: "spa".into(),
            secret: None,
            ..rp.clone()
        };
        Registry::new(&[rp, spa], "gw".into(), &[], String::new())
    }

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const GOOD: &[(&str, &str)] = &[
        ("client_id", "rp"),
        ("redirect_uri", "https://rp.example/cb"),
        ("response_type", "code"),
        ("scope", "email openid phone"),
        ("state", "s1"),
        ("nonce", "n1"),
    ];

    #[test]
    fn a_good_request() {
        let r = validate(&params(GOOD), &registry()).unwrap();
        assert_eq!(
            r.scopes,
            ["openid", "email"],
            "phone is not the client's; order is stable"
        );
        assert_eq!(r.state.as_deref(), Some("s1"));
    }

    fn error_of(pairs: &[(&str, &str)]) -> AuthorizeError {
        let mut p = params(GOOD);
        for (k, v) in pairs {
            if v.is_empty() {
                p.remove(*k);
            } else {
                p.insert(k.to_string(), v.to_string());
            }
        }
        validate(&p, &registry()).unwrap_err()
    }

    fn code_of(e: AuthorizeError) -> ErrorCode {
        match e {
            AuthorizeError::Redirect { error, .. } => error.error,
            AuthorizeError::Page(p) => panic!("page {p}"),
        }
    }

    #[test]
    fn untrusted_redirects_become_pages() {
        assert_eq!(
            error_of(&[("client_id", "ghost")]),
            AuthorizeError::Page("unknown_client")
        );
        assert_eq!(
            error_of(&[("redirect_uri", "")]),
            AuthorizeError::Page("missing_redirect_uri")
        );
        assert_eq!(
            error_of(&[("redirect_uri", "https://evil.example/cb")]),
            AuthorizeError::Page("unregistered_redirect_uri")
        );
    }

    #[test]
    fn protocol_errors_go_back_to_the_client() {
        assert_eq!(
            code_of(error_of(&[("response_type", "")])),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            code_of(error_of(&[("response_type", "token")])),
            ErrorCode::UnsupportedResponseType
        );
        assert_eq!(
            code_of(error_of(&[("response_type", "code id_token")])),
            ErrorCode::UnsupportedResponseType
        );
        assert_eq!(
            code_of(error_of(&[("scope", "profile")])),
            ErrorCode::InvalidScope
        );
        assert_eq!(
            code_of(error_of(&[("request", "eyJ...")])),
            ErrorCode::RequestNotSupported
        );
        assert_eq!(
            code_of(error_of(&[("request_uri", "https://x")])),
            ErrorCode::RequestUriNotSupported
        );
        assert_eq!(
            code_of(error_of(&[("prompt", "none login")])),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            code_of(error_of(&[
                ("code_challenge", "abc"),
                ("code_challenge_method", "plain")
            ])),
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            code_of(error_of(&[("client_id", "spa")])),
            ErrorCode::InvalidRequest,
            "public clients need PKCE"
        );
    }

    #[test]
    fn pkce() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl",
            challenge
        ));
        assert!(!pkce_matches("short", challenge));
    }

    #[test]
    fn responses_carry_state_and_iss() {
        let url = response_url(
            "https://rp.example/cb?x=1",
            "https://sso.example",
            Ok("C"),
            Some("S"),
        );
        assert_eq!(
            url,
            "https://rp.example/cb?x=1&code=C&state=S&iss=https%3A%2F%2Fsso.example"
        );
    }
}
