//! Bearer access tokens on API routes: whether a token's claims let a request through (pure,
//! unit-tested); tokens already verified are remembered (`remembered`), so a client that sends
//! the same token many times pays the signature check (an RS256 verification, ~40 µs) once.

use std::sync::Arc;

use gerbang_config::Strength;
use gerbang_idp::protocol::grant::AccessClaims;

use super::remembered::{Expiring, Remembered};
use super::session::{Identity, Revocations};
use gerbang_idp::revocation::Revoked;

/// Tokens whose signature verified. Only the signature check is remembered: expiry, issuer,
/// client and revocation are checked on every request by [`accept`].
pub type VerifiedTokens = Remembered<Verified>;

/// A token whose signature verified: its claims, and the identity it gives (made once, with
/// its headers, like a remembered session's).
pub struct Verified {
    pub claims: AccessClaims,
    pub identity: Arc<Identity>,
}

impl Verified {
    pub fn new(claims: AccessClaims) -> Verified {
        let identity = Identity {
            client: Some(claims.client_id.clone()),
            seen_at: None,
            machine: claims.is_machine(),
            sid: claims.jti.clone(),
            username: claims.sub.clone(),
            sub: claims.sub.clone(),
            name: None,
            email: None,
            phone: None,
            provider_session: claims.sid.clone(),
            auth_time: claims.iat,
            expires_at: claims.exp,
            strength: claims
                .acr
                .as_deref()
                .and_then(Strength::from_acr)
                .unwrap_or_default(),
            headers: Default::default(),
            signed: Default::default(),
            resealed: Default::default(),
        };
        Verified {
            claims,
            identity: Arc::new(identity),
        }
    }
}

impl Expiring for Verified {
    fn expires_at(&self) -> u64 {
        self.claims.exp
    }
}

/// The identity a verified token gives on a route that accepts `api_clients`, unless it is
/// expired, from another issuer or client, or revoked (itself, its grant family, its provider
/// session or its user).
pub fn accept(
    token: &Verified,
    issuer: &str,
    api_clients: &[String],
    revocations: &Revocations,
    now: u64,
) -> Option<Arc<Identity>> {
    let claims = &token.claims;
    let acceptable =
        claims.iss == issuer && claims.exp > now && api_clients.contains(&claims.client_id);
    let revoked = || match claims.family.as_deref() {
        Some(family) => revocations.ends_or_any(
            &token.identity,
            &[Revoked::AccessToken(&claims.jti), Revoked::Family(family)],
        ),
        None => revocations.ends_or_any(&token.identity, &[Revoked::AccessToken(&claims.jti)]),
    };
    (acceptable && !revoked()).then(|| Arc::clone(&token.identity))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://sso.test";

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: ISSUER.into(),
            sub: "u1".into(),
            aud: vec![],
            client_id: "machine".into(),
            scope: String::new(),
            iat: 100,
            exp: 200,
            jti: "j1".into(),
            acr: Some("urn:gerbang:acr:two-factor".into()),
            sid: Some("p1".into()),
            family: Some("abc".into()),
        }
    }

    #[test]
    fn a_token_is_as_strong_as_its_acr_says() {
        let strength = |acr: Option<&str>| {
            let claims = AccessClaims {
                acr: acr.map(str::to_string),
                ..claims()
            };
            Verified::new(claims).identity.strength
        };
        assert_eq!(
            strength(Some("urn:gerbang:acr:two-factor")),
            Strength::TwoFactor
        );
        assert_eq!(
            strength(Some("urn:gerbang:acr:password-captcha")),
            Strength::Password
        );
        assert_eq!(strength(Some("urn:other:gold")), Strength::Password);
        assert_eq!(strength(None), Strength::Password);
    }

    fn accepted(claims: AccessClaims, revoked: &[&str], now: u64) -> bool {
        let revocations = Revocations::default();
        revocations.add(revoked.iter().map(|s| (s.to_string(), 1_000)), now);
        let token = Verified::new(claims);
        accept(&token, ISSUER, &["machine".into()], &revocations, now).is_some()
    }

    #[test]
    fn a_live_token_of_an_allowed_client_passes() {
        assert!(accepted(claims(), &[], 150));
    }

    #[test]
    fn expiry_issuer_client_and_every_revocation_refuse() {
        assert!(!accepted(claims(), &[], 200), "expired");
        let mut other = claims();
        other.iss = "https://evil.test".into();
        assert!(!accepted(other, &[], 150));
        let mut other = claims();
        other.client_id = "someone-else".into();
        assert!(!accepted(other, &[], 150));
        for revoked in [
            Revoked::AccessToken("j1"),
            Revoked::Family("abc"),
            Revoked::Session("p1"),
            Revoked::User("u1"),
        ] {
            assert!(!accepted(claims(), &[&revoked.key()], 150), "{revoked}");
        }
    }
}
