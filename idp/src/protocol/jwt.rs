//! Compact JWS: signing with the provider's keys and verifying against their public halves.
//! Used for access tokens, the gateway's identity JWT and logout tokens; ID tokens are built
//! with the `openidconnect` crate on the same keys.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::clock::Timestamp;
use crate::keys::{Keyring, SigningAlg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("the token is not a compact JWS")]
    Malformed,
    #[error("the token names a key or algorithm this provider does not have")]
    UnknownKey,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the claims do not parse")]
    BadClaims,
    #[error("signing failed")]
    Signing,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Header {
    pub alg: String,
    pub kid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// Signs `claims` with the keyring's key for `alg` active at `now`; `typ` as RFC 9068 /
/// RFC 8417 ask.
pub fn sign<C: Serialize>(
    keys: &Keyring,
    alg: SigningAlg,
    typ: &str,
    claims: &C,
    now: Timestamp,
) -> Result<String, JwtError> {
    let signer = keys.active(alg, now);
    let header = Header {
        alg: alg.as_str().into(),
        kid: signer.kid().into(),
        typ: Some(typ.into()),
    };
    let header = serde_json::to_vec(&header).map_err(|_| JwtError::Signing)?;
    let claims = serde_json::to_vec(claims).map_err(|_| JwtError::Signing)?;
    let mut token = String::with_capacity(512);
    token.push_str(&URL_SAFE_NO_PAD.encode(header));
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(claims));
    let signature = signer
        .sign_bytes(token.as_bytes())
        .map_err(|_| JwtError::Signing)?;
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(signature));
    Ok(token)
}

/// Verifies the signature of `token` with the key its header names and returns its claims.
/// Time and audience are the caller's to check.
pub fn verify<C: DeserializeOwned>(keys: &Keyring, token: &str) -> Result<C, JwtError> {
    let mut parts = token.splitn(3, '.');
    let (Some(h), Some(c), Some(s)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(JwtError::Malformed);
    };
    let header: Header = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(JwtError::Malformed)?;
    let key = keys.find(&header.kid).ok_or(JwtError::UnknownKey)?;
    if key.alg().as_str() != header.alg {
        return Err(JwtError::UnknownKey);
    }
    let signature = URL_SAFE_NO_PAD.decode(s).map_err(|_| JwtError::Malformed)?;
    let signed = &token[..h.len() + 1 + c.len()];
    key.verify_bytes(signed.as_bytes(), &signature)
        .map_err(|_| JwtError::BadSignature)?;
    let claims = URL_SAFE_NO_PAD.decode(c).map_err(|_| JwtError::Malformed)?;
    serde_json::from_slice(&claims).map_err(|_| JwtError::BadClaims)
}
