//! How an app checks the identity JWT the gateway forwards (`X-Gerbang-Identity`): signature
//! against the provider's JWKS (RS256 or ES256, by `kid`), issuer, audience (this app's route
//! name) and expiry. What any app behind Gerbang would do, in about a hundred lines.

use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};
use serde_json::Value;
use tokio::sync::RwLock;

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the token is not a JWT")]
    Malformed,
    #[error("the JWKS cannot be fetched: {0}")]
    Jwks(String),
    #[error("no key `{0}` in the JWKS")]
    UnknownKey(String),
    #[error("the signature does not verify")]
    Signature,
    #[error("wrong issuer, audience, or expired")]
    Claims,
}

/// Where the provider's JWKS is, and how to reach it (a private CA, a fixed address).
#[derive(Debug, Clone)]
pub struct JwksSource {
    pub url: String,
    pub ca_pem: Option<Vec<u8>>,
    pub resolve: Option<(String, SocketAddr)>,
}

pub struct Verifier {
    issuer: String,
    audience: String,
    source: JwksSource,
    keys: RwLock<Vec<Value>>,
}

fn part(token: &str, index: usize) -> Result<Value, VerifyError> {
    let text = token.split('.').nth(index).ok_or(VerifyError::Malformed)?;
    let bytes = URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| VerifyError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| VerifyError::Malformed)
}

fn field(jwk: &Value, name: &str) -> Result<Vec<u8>, VerifyError> {
    jwk[name]
        .as_str()
        .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
        .ok_or(VerifyError::Malformed)
}

impl Verifier {
    pub fn new(issuer: &str, audience: &str, source: JwksSource) -> Verifier {
        Verifier {
            issuer: issuer.trim_end_matches('/').to_string(),
            audience: audience.to_string(),
            source,
            keys: RwLock::new(Vec::new()),
        }
    }

    async fn fetch(&self) -> Result<Vec<Value>, VerifyError> {
        let fail = |e: reqwest::Error| VerifyError::Jwks(e.to_string());
        let mut builder = reqwest::Client::builder();
        if let Some(pem) = &self.source.ca_pem {
            builder =
                builder.add_root_certificate(reqwest::Certificate::from_pem(pem).map_err(fail)?);
        }
        if let Some((host, addr)) = &self.source.resolve {
            builder = builder.resolve(host, *addr);
        }
        let jwks: Value = builder
            .build()
            .map_err(fail)?
            .get(&self.source.url)
            .send()
            .await
            .map_err(fail)?
            .json()
            .await
            .map_err(fail)?;
        Ok(jwks["keys"].as_array().cloned().unwrap_or_default())
    }

    /// The key `kid`, from the cache or, when unknown (a rotation), from a fresh JWKS.
    async fn key(&self, kid: &str) -> Result<Value, VerifyError> {
        let find = |keys: &[Value]| keys.iter().find(|k| k["kid"] == kid).cloned();
        if let Some(key) = find(&self.keys.read().await) {
            return Ok(key);
        }
        let fresh = self.fetch().await?;
        let key = find(&fresh);
        *self.keys.write().await = fresh;
        key.ok_or_else(|| VerifyError::UnknownKey(kid.to_string()))
    }

    /// The claims of a valid identity JWT.
    pub async fn verify(&self, token: &str) -> Result<Value, VerifyError> {
        self.check(token, true).await
    }

    /// The claims of a valid back-channel logout token (it has no expiry to check beyond the
    /// signature, issuer and audience).
    pub async fn verify_logout(&self, token: &str) -> Result<Value, VerifyError> {
        self.check(token, false).await
    }

    async fn check(&self, token: &str, needs_fresh: bool) -> Result<Value, VerifyError> {
        let header = part(token, 0)?;
        let claims = part(token, 1)?;
        let kid = header["kid"].as_str().ok_or(VerifyError::Malformed)?;
        let jwk = self.key(kid).await?;
        let signed_len = token.rfind('.').ok_or(VerifyError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(&token[signed_len + 1..])
            .map_err(|_| VerifyError::Malformed)?;
        let message = &token.as_bytes()[..signed_len];
        let verified = match (header["alg"].as_str(), jwk["kty"].as_str()) {
            (Some("RS256"), Some("RSA")) => RsaPublicKeyComponents {
                n: field(&jwk, "n")?,
                e: field(&jwk, "e")?,
            }
            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, &signature)
            .is_ok(),
            (Some("ES256"), Some("EC")) => {
                let mut point = vec![4u8];
                point.extend(field(&jwk, "x")?);
                point.extend(field(&jwk, "y")?);
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, &signature)
                    .is_ok()
            }
            _ => false,
        };
        if !verified {
            return Err(VerifyError::Signature);
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let fresh = !needs_fresh || claims["exp"].as_u64().is_some_and(|exp| exp > now);
        if claims["iss"] != self.issuer.as_str()
            || claims["aud"] != self.audience.as_str()
            || !fresh
        {
            return Err(VerifyError::Claims);
        }
        Ok(claims)
    }
}
