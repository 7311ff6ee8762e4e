//! `private_key_jwt` (OpenID Connect Core section 9, RFC 7523): a client proves itself with a
//! short-lived JWT signed by a key it publishes. Checking one here is pure: the caller finds the
//! client's keys and remembers the `jti`, so that an assertion is accepted once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::JsonWebKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::clock::Timestamp;
use crate::keys::Signer;

/// The `client_assertion_type` of a JWT assertion.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How far a client's clock may be ahead of ours (`iat`, `nbf`).
const CLOCK_SKEW: Timestamp = 60;
/// The longest an assertion may live: its `jti` is remembered that long.
const MAX_LIFETIME: Timestamp = 600;
/// How long the assertions Gerbang makes for its upstreams live.
const OWN_LIFETIME: Timestamp = 60;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("the client assertion is not a compact JWS")]
    Malformed,
    #[error("the client assertion is signed with `{0}`: use RS256 or ES256")]
    Algorithm(String),
    #[error("no key the client publishes verifies the client assertion")]
    BadSignature,
    #[error("the client assertion's iss and sub must both be the client id")]
    WrongClient,
    #[error("the client assertion is not addressed to this provider (aud)")]
    WrongAudience,
    #[error("the client assertion has expired")]
    Expired,
    #[error("the client assertion is not yet valid")]
    NotYetValid,
    #[error("the client assertion lives longer than 10 minutes")]
    TooLong,
    #[error("the client assertion has no jti")]
    NoJti,
}

#[derive(Debug, Deserialize)]
struct Header {
    alg: String,
    kid: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Value,
    exp: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<Timestamp>,
    #[serde(default)]
    jti: String,
}

/// A checked assertion: its `jti`, to be accepted once, until it expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub jti: String,
    pub expires_at: Timestamp,
}

/// The client an assertion claims to come from (`iss`), read before anything is verified, so
/// that its keys can be found. Nothing may be believed of it until [`check`] says so.
pub fn claimed_client(assertion: &str) -> Result<String, AssertionError> {
    let (_, claims, _) = split(assertion)?;
    Ok(decode::<Claims>(claims)?.iss)
}

/// Verifies `assertion` for `client_id` against its published `keys`: RS256 or ES256 only,
/// `iss` = `sub` = the client, `aud` naming one of `audiences` (the issuer or the endpoint it
/// was sent to), live at `now`, at most ten minutes long, with a `jti`.
pub fn check(
    assertion: &str,
    client_id: &str,
    keys: &CoreJsonWebKeySet,
    audiences: &[&str],
    now: Timestamp,
) -> Result<Checked, AssertionError> {
    let (header_part, claims_part, signature) = split(assertion)?;
    let header: Header = decode(header_part)?;
    let alg = match header.alg.as_str() {
        "RS256" => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        "ES256" => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        other => return Err(AssertionError::Algorithm(other.chars().take(16).collect())),
    };
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| AssertionError::Malformed)?;
    let signed = &assertion[..header_part.len() + 1 + claims_part.len()];
    let verifies = |key: &&CoreJsonWebKey| {
        key.verify_signature(&alg, signed.as_bytes(), &signature)
            .is_ok()
    };
    let candidates = keys.keys().iter().filter(|key| match &header.kid {
        Some(kid) => key.key_id().is_some_and(|k| k.as_str() == kid),
        None => true,
    });
    if !candidates.clone().any(|key| verifies(&key)) {
        return Err(AssertionError::BadSignature);
    }
    let claims: Claims = decode(claims_part)?;
    if claims.iss != client_id || claims.sub != client_id {
        return Err(AssertionError::WrongClient);
    }
    if !names_one_of(&claims.aud, audiences) {
        return Err(AssertionError::WrongAudience);
    }
    if now >= claims.exp {
        return Err(AssertionError::Expired);
    }
    let starts = claims
        .nbf
        .into_iter()
        .chain(claims.iat)
        .max()
        .unwrap_or(now);
    if starts > now + CLOCK_SKEW {
        return Err(AssertionError::NotYetValid);
    }
    if claims.exp - now > MAX_LIFETIME {
        return Err(AssertionError::TooLong);
    }
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return Err(AssertionError::NoJti);
    }
    Ok(Checked {
        jti: claims.jti,
        expires_at: claims.exp,
    })
}

/// An assertion Gerbang sends as `client_id` to an upstream's `token_endpoint`, signed with
/// `signer` (one of the keys Gerbang publishes) and naming `jti`.
pub fn make(
    signer: &Signer,
    client_id: &str,
    token_endpoint: &str,
    jti: String,
    now: Timestamp,
) -> Result<String, ring::error::Unspecified> {
    let header =
        serde_json::json!({ "alg": signer.alg().as_str(), "kid": signer.kid(), "typ": "JWT" });
    let claims = Claims {
        iss: client_id.into(),
        sub: client_id.into(),
        aud: Value::String(token_endpoint.into()),
        exp: now + OWN_LIFETIME,
        iat: Some(now),
        nbf: None,
        jti,
    };
    let mut token = format!("{}.{}", encoded(&header), encoded(&claims));
    let signature = signer.sign_bytes(token.as_bytes())?;
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(token)
}

fn encoded(value: &impl Serialize) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default())
}

fn split(assertion: &str) -> Result<(&str, &str, &str), AssertionError> {
    let mut parts = assertion.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(h), Some(c), Some(s), None) => Ok((h, c, s)),
        _ => Err(AssertionError::Malformed),
    }
}

fn decode<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, AssertionError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| AssertionError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| AssertionError::Malformed)
}

/// Whether `aud` (a string or an array of them) names one of `audiences`.
fn names_one_of(aud: &Value, audiences: &[&str]) -> bool {
    let named = |v: &Value| v.as_str().is_some_and(|a| audiences.contains(&a));
    match aud {
        Value::Array(list) => list.iter().any(named),
        one => named(one),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::keys::{self, Keyring, SigningAlg};

    const NOW: Timestamp = 1_800_000_000;
    const TOKEN: &str = "https://sso.example.id/token";

    fn keyring() -> Keyring {
        let stored = [SigningAlg::Rs256, SigningAlg::Es256]
            .map(|alg| keys::generate(alg, NOW - 10).unwrap());
        Keyring::from_stored(&stored, NOW).unwrap()
    }

    fn made(keys: &Keyring, alg: SigningAlg) -> String {
        make(keys.active(alg, NOW), "rp", TOKEN, "j-1".into(), NOW).unwrap()
    }

    /// An assertion with `claims` changed, signed by the keyring's key.
    fn with(keys: &Keyring, change: impl FnOnce(&mut Value)) -> String {
        let mut claims = serde_json::json!({
            "iss": "rp", "sub": "rp", "aud": TOKEN, "exp": NOW + 60, "iat": NOW, "jti": "j-2"
        });
        change(&mut claims);
        let signer = keys.active(SigningAlg::Rs256, NOW);
        let header = serde_json::json!({ "alg": "RS256", "kid": signer.kid() });
        let encode = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let body = format!("{}.{}", encode(&header), encode(&claims));
        let signature = signer.sign_bytes(body.as_bytes()).unwrap();
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    #[test]
    fn an_assertion_gerbang_makes_verifies_with_its_published_keys() {
        let keys = keyring();
        for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
            let assertion = made(&keys, alg);
            assert_eq!(claimed_client(&assertion), Ok("rp".into()));
            assert_eq!(
                check(&assertion, "rp", &keys.jwks(), &[TOKEN], NOW),
                Ok(Checked {
                    jti: "j-1".into(),
                    expires_at: NOW + OWN_LIFETIME
                }),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn another_key_another_client_or_audience_is_refused() {
        let keys = keyring();
        let assertion = made(&keys, SigningAlg::Rs256);
        let other = keyring().jwks();
        let refused = |keys: &CoreJsonWebKeySet, client: &str, audiences: &[&str]| {
            check(&assertion, client, keys, audiences, NOW).unwrap_err()
        };
        assert_eq!(
            refused(&other, "rp", &[TOKEN]),
            AssertionError::BadSignature
        );
        assert_eq!(
            refused(&keys.jwks(), "other", &[TOKEN]),
            AssertionError::WrongClient
        );
        assert_eq!(
            refused(&keys.jwks(), "rp", &["https://evil.example/token"]),
            AssertionError::WrongAudience
        );
        let mut tampered = assertion.clone();
        tampered.insert(assertion.find('.').unwrap() + 3, 'x');
        assert!(check(&tampered, "rp", &keys.jwks(), &[TOKEN], NOW).is_err());
    }

    #[test]
    fn time_jti_and_algorithm_are_checked() {
        let keys = keyring();
        let jwks = keys.jwks();
        let checked = |assertion: String| check(&assertion, "rp", &jwks, &[TOKEN], NOW);
        assert!(checked(with(&keys, |_| {})).is_ok());
        assert!(
            checked(with(&keys, |c| c["aud"] = serde_json::json!(["x", TOKEN]))).is_ok(),
            "aud may be a list"
        );
        type Change = fn(&mut Value);
        let cases: [(Change, AssertionError); 6] = [
            (|c| c["exp"] = NOW.into(), AssertionError::Expired),
            (
                |c| c["iat"] = (NOW + 120).into(),
                AssertionError::NotYetValid,
            ),
            (
                |c| c["nbf"] = (NOW + 120).into(),
                AssertionError::NotYetValid,
            ),
            (|c| c["exp"] = (NOW + 3600).into(), AssertionError::TooLong),
            (|c| c["jti"] = "".into(), AssertionError::NoJti),
            (|c| c["sub"] = "someone".into(), AssertionError::WrongClient),
        ];
        for (change, expected) in cases {
            assert_eq!(checked(with(&keys, change)), Err(expected));
        }
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            with(&keys, |_| {}).split('.').nth(1).unwrap()
        );
        assert_eq!(
            checked(unsigned),
            Err(AssertionError::Algorithm("none".into()))
        );
        let hmac = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#),
            with(&keys, |_| {}).split('.').nth(1).unwrap()
        );
        assert_eq!(
            checked(hmac),
            Err(AssertionError::Algorithm("HS256".into())),
            "a symmetric algorithm could be keyed with a public key"
        );
        assert_eq!(checked("a.b".into()), Err(AssertionError::Malformed));
    }
}
