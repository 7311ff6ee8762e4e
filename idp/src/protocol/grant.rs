//! The grant rules, pure: authorization codes (single use, short-lived, bound to client,
//! redirect URI, PKCE challenge and nonce), refresh tokens (rotated on every use, bound to their
//! client, a spent one used again revokes its whole family, the family's life absolute) and
//! client credentials (RFC 6749, RFC 7636, RFC 9700, OpenID Connect Core). Each function takes
//! what was stored and the time, and returns a decision or what to store and answer;
//! [`crate::tokens`] loads, persists atomically and audits.

use chrono::{TimeZone, Utc};
use gerbang_config::{Client, GrantType, JwsAlg};
use openidconnect::core::{
    CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AdditionalClaims, Audience, AuthenticationContextClass,
    AuthenticationMethodReference, AuthorizationCode, IdToken, IdTokenClaims, IssuerUrl, Nonce,
    StandardClaims,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::authorize::{pkce_matches, AuthorizationRequest};
use super::error::{ErrorCode, OAuthError};
use super::jwt;
use crate::assurance::Proven;
use crate::clock::Timestamp;
use crate::keys::{Keyring, SigningAlg};
use crate::revocation::{family_field, Revoked};
use crate::store::Session;
use crate::token::random_token;

/// What an authorization code stands for, kept under the code's hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: Timestamp,
    /// The provider session's hash.
    pub session: String,
    /// What the session had proved when the user approved.
    #[serde(default)]
    pub proven: Proven,
}

/// What a refresh token stands for, kept under the token's hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshGrant {
    /// The family's id: the hash of the code it came from.
    #[serde(deserialize_with = "family_field::deserialize")]
    pub family: String,
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub auth_time: Timestamp,
    pub session: String,
    /// The family's absolute end: rotation never extends it.
    pub family_expires_at: Timestamp,
    /// What the session had proved when the family began: refreshing keeps it.
    #[serde(default)]
    pub proven: Proven,
}

/// Claims of Gerbang's access tokens (RFC 9068).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub sub: String,
    pub aud: Vec<String>,
    pub client_id: String,
    pub scope: String,
    pub iat: Timestamp,
    pub exp: Timestamp,
    pub jti: String,
    /// How strongly the user proved who they are (RFC 9068 2.2.1); absent for client
    /// credentials. A route's least strength reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// The provider session it came from; absent for client credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The grant family it belongs to (the hash of the code it came from): revoking the
    /// family, on a replayed code or a reused refresh token, revokes it too.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "family_field::deserialize_option"
    )]
    pub family: Option<String>,
}

impl AccessClaims {
    /// A client's token for itself (`client_credentials`): no user session behind it, and the
    /// client is its subject.
    pub fn is_machine(&self) -> bool {
        self.sid.is_none() && self.sub == self.client_id
    }

    /// Everything whose revocation ends this token: itself, its provider session, its family.
    pub fn revoked_by(&self) -> Vec<Revoked<'_>> {
        let mut subjects = vec![Revoked::AccessToken(&self.jti)];
        subjects.extend(self.sid.as_deref().map(Revoked::Session));
        subjects.extend(self.family.as_deref().map(Revoked::Family));
        subjects
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: u64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

/// How long each grant lives, in seconds (the configuration's `[provider]` lifetimes).
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub code: u64,
    pub access_token: u64,
    pub id_token: u64,
    pub refresh_family: u64,
}

impl Lifetimes {
    pub fn of(provider: &gerbang_config::Provider) -> Lifetimes {
        Lifetimes {
            code: provider.code_lifetime.as_secs(),
            access_token: provider.access_token_lifetime.as_secs(),
            id_token: provider.id_token_lifetime.as_secs(),
            refresh_family: provider.refresh_token_lifetime.as_secs(),
        }
    }
}

/// Who signs, and for how long what it signs lives.
pub struct Minter<'a> {
    pub keys: &'a Keyring,
    /// The issuer exactly as tokens state it.
    pub issuer: &'a str,
    pub lifetimes: Lifetimes,
}

/// Whom and what a set of tokens is about.
pub struct Grantee<'a> {
    pub client: &'a Client,
    /// The user's id: the tokens' subject.
    pub subject: &'a str,
    /// The claims the scopes release about the user (see `account::claims`), for the ID token.
    pub released: Map<String, Value>,
    pub scopes: &'a [String],
    pub auth_time: Timestamp,
    /// The provider session's hash.
    pub session: &'a str,
    pub proven: &'a Proven,
}

/// Where a refresh token family stands: its id and, after the first rotation, its end.
pub struct Family<'a> {
    pub id: &'a str,
    pub expires_at: Option<Timestamp>,
}

/// What a grant issues: the answer, and the refresh token's grant to keep under its hash.
pub struct Minted {
    pub response: TokenResponse,
    pub refresh: Option<(String, RefreshGrant)>,
}

/// The ID token's claims beyond the standard ones: `sid`, the provider session as back-channel
/// logout tokens name it, and the identity document when its scope was granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SessionClaims {
    sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity_document: Option<Value>,
    /// The user's groups the client may learn (the `groups` scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    groups: Option<Value>,
}

impl AdditionalClaims for SessionClaims {}

type GerbangIdToken = IdToken<
    SessionClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

pub fn server_error(_: impl std::fmt::Display) -> OAuthError {
    OAuthError::new(
        ErrorCode::ServerError,
        "the provider could not complete the request",
    )
}

pub fn invalid_grant(why: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, why)
}

/// The answer to a code that is unknown, expired or spent (the same for each, RFC 6749 5.2).
pub fn unknown_code() -> OAuthError {
    invalid_grant("the code is unknown, expired or already used")
}

/// The answer to a refresh token that is unknown, expired or spent.
pub fn unknown_refresh_token() -> OAuthError {
    invalid_grant("the refresh token is unknown, expired or already used")
}

/// Whether `client` is registered for `grant` (RFC 6749 5.2 `unauthorized_client`).
pub fn allowed(client: &Client, grant: GrantType) -> Result<(), OAuthError> {
    if client.grant_types.contains(&grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("the client may not use {}", grant.as_str()),
        ))
    }
}

/// The grant an authorization code stands for, from the request the user approved.
pub fn code_grant(request: &AuthorizationRequest, user_id: &str, session: &Session) -> CodeGrant {
    CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        user_id: user_id.to_string(),
        scopes: request.scopes.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time: session.auth_time,
        session: session.id_hash.clone(),
        proven: session.proven.clone(),
    }
}

/// Whether a code (spent now, for the first time) may be exchanged by this request: issued to
/// this client (RFC 6749 4.1.3), with the same redirect URI, and the PKCE verifier matching the
/// challenge, or neither sent (RFC 7636 4.6).
pub fn redeem_code(
    grant: &CodeGrant,
    client: &Client,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
) -> Result<(), OAuthError> {
    if grant.client_id != client.id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if redirect_uri != Some(grant.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&grant.code_challenge, verifier) {
        (Some(challenge), Some(v)) if pkce_matches(v, challenge) => Ok(()),
        (Some(_), _) => Err(invalid_grant("the PKCE verifier does not match")),
        (None, Some(_)) => Err(invalid_grant("no PKCE challenge was sent for this code")),
        (None, None) => Ok(()),
    }
}

/// Whether `client` may present a refresh token (RFC 6749 6: bound to its client). Checked
/// before the token is spent, so another client cannot destroy the owner's token.
pub fn refresh_owned_by(grant: &RefreshGrant, client: &Client) -> Result<(), OAuthError> {
    if grant.client_id == client.id {
        Ok(())
    } else {
        Err(invalid_grant(
            "the refresh token was issued to another client",
        ))
    }
}

/// Whether a refresh token (spent now, for the first time) rotates into new tokens: its
/// client's, its family and provider session not revoked (`revoked`), its family's absolute
/// life not over (RFC 9700 4.14.2).
pub fn rotate_refresh(
    grant: &RefreshGrant,
    client: &Client,
    revoked: bool,
    now: Timestamp,
) -> Result<(), OAuthError> {
    refresh_owned_by(grant, client)?;
    if revoked {
        return Err(invalid_grant("the refresh token was revoked"));
    }
    if now >= grant.family_expires_at {
        return Err(unknown_refresh_token());
    }
    Ok(())
}

/// The scopes a `client_credentials` request gets: those asked for that the client is
/// registered for (`openid` never: there is no user).
pub fn machine_scopes(client: &Client, scope: Option<&str>) -> Vec<String> {
    let requested: Vec<&str> = scope
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty() && *s != "openid")
        .collect();
    client
        .scopes
        .iter()
        .filter(|s| requested.contains(&s.as_str()))
        .cloned()
        .collect()
}

impl Minter<'_> {
    /// `client_credentials`: an access token for the client itself.
    pub fn machine_token(
        &self,
        client: &Client,
        scopes: &[String],
        now: Timestamp,
    ) -> Result<TokenResponse, OAuthError> {
        let access_token = self.access_token(client, &client.id, scopes, None, None, now)?;
        Ok(TokenResponse {
            access_token,
            token_type: "Bearer".into(),
            expires_in: self.lifetimes.access_token,
            scope: scopes.join(" "),
            id_token: None,
            refresh_token: None,
        })
    }

    /// The tokens a redeemed code or a rotated refresh token issues: an access token, an ID
    /// token, and a refresh token of the same family when the client may refresh.
    pub fn mint(
        &self,
        grantee: &Grantee<'_>,
        family: &Family<'_>,
        nonce: Option<&str>,
        code: Option<&str>,
        now: Timestamp,
    ) -> Result<Minted, OAuthError> {
        let Grantee {
            client,
            subject,
            scopes,
            auth_time,
            session,
            proven,
            ..
        } = *grantee;
        let access = self.access_token(
            client,
            subject,
            scopes,
            Some((session, proven)),
            Some(family.id),
            now,
        )?;
        let id_token = self.id_token(grantee, nonce, &access, code, now)?;
        let refresh = client
            .grant_types
            .contains(&GrantType::RefreshToken)
            .then(|| {
                let grant = RefreshGrant {
                    family: family.id.to_string(),
                    client_id: client.id.clone(),
                    user_id: subject.to_string(),
                    scopes: scopes.to_vec(),
                    auth_time,
                    session: session.to_string(),
                    family_expires_at: family
                        .expires_at
                        .unwrap_or(now + self.lifetimes.refresh_family),
                    proven: proven.clone(),
                };
                (random_token(), grant)
            });
        Ok(Minted {
            response: TokenResponse {
                access_token: access,
                token_type: "Bearer".into(),
                expires_in: self.lifetimes.access_token,
                scope: scopes.join(" "),
                id_token: Some(id_token),
                refresh_token: refresh.as_ref().map(|(token, _)| token.clone()),
            },
            refresh,
        })
    }

    fn access_token(
        &self,
        client: &Client,
        subject: &str,
        scopes: &[String],
        session: Option<(&str, &Proven)>,
        family: Option<&str>,
        now: Timestamp,
    ) -> Result<String, OAuthError> {
        let claims = AccessClaims {
            iss: self.issuer.to_string(),
            sub: subject.to_string(),
            aud: vec![client.id.clone()],
            client_id: client.id.clone(),
            scope: scopes.join(" "),
            iat: now,
            exp: now + self.lifetimes.access_token,
            jti: random_token(),
            acr: session.map(|(_, proven)| proven.strength().acr().to_string()),
            sid: session.map(|(sid, _)| sid.to_string()),
            family: family.map(str::to_string),
        };
        let alg = match client.access_token_signed_response_alg {
            JwsAlg::Rs256 => SigningAlg::Rs256,
            JwsAlg::Es256 => SigningAlg::Es256,
        };
        jwt::sign(self.keys, alg, "at+jwt", &claims, now).map_err(server_error)
    }

    fn id_token(
        &self,
        grantee: &Grantee<'_>,
        nonce: Option<&str>,
        access: &str,
        code: Option<&str>,
        now: Timestamp,
    ) -> Result<String, OAuthError> {
        let time = |t: Timestamp| {
            Utc.timestamp_opt(t as i64, 0)
                .single()
                .ok_or_else(|| server_error("time"))
        };
        let issuer = IssuerUrl::new(self.issuer.to_string()).map_err(server_error)?;
        // The same claims the userinfo endpoint releases, typed by the crate's own deserializer.
        let mut released = grantee.released.clone();
        let identity_document = released.remove("identity_document");
        let groups = released.remove("groups");
        released.insert("sub".into(), grantee.subject.into());
        let standard: StandardClaims<CoreGenderClaim> =
            serde_json::from_value(Value::Object(released)).map_err(server_error)?;
        let claims = IdTokenClaims::new(
            issuer,
            vec![Audience::new(grantee.client.id.clone())],
            time(now + self.lifetimes.id_token)?,
            time(now)?,
            standard,
            SessionClaims {
                sid: grantee.session.to_string(),
                identity_document,
                groups,
            },
        )
        .set_nonce(nonce.map(|n| Nonce::new(n.to_string())))
        .set_auth_time(Some(time(grantee.auth_time)?))
        .set_auth_context_ref(Some(AuthenticationContextClass::new(
            grantee.proven.strength().acr().into(),
        )))
        .set_auth_method_refs(Some(
            grantee
                .proven
                .amr()
                .into_iter()
                .map(|m| AuthenticationMethodReference::new(m.into()))
                .collect(),
        ));
        let (alg, jws_alg) = match grantee.client.id_token_signed_response_alg {
            JwsAlg::Rs256 => (
                SigningAlg::Rs256,
                CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            ),
            JwsAlg::Es256 => (SigningAlg::Es256, CoreJwsSigningAlgorithm::EcdsaP256Sha256),
        };
        let token = GerbangIdToken::new(
            claims,
            self.keys.active(alg, now),
            jws_alg,
            Some(&AccessToken::new(access.to_string())),
            code.map(|c| AuthorizationCode::new(c.to_string())).as_ref(),
        )
        .map_err(server_error)?;
        Ok(token.to_string())
    }
}

/// The answer to an access token that does not verify, is expired or revoked.
pub fn invalid_token() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidToken,
        "the access token is invalid or expired",
    )
}

/// The claims of an access token whose signature, issuer and expiry check at `now` (whether it
/// was revoked is for the caller to ask, see [`AccessClaims::revoked_by`]).
pub fn verify_access(
    keys: &Keyring,
    issuer: &str,
    token: &str,
    now: Timestamp,
) -> Result<AccessClaims, OAuthError> {
    let claims: AccessClaims = jwt::verify(keys, token).map_err(|_| invalid_token())?;
    if claims.iss != issuer || claims.exp <= now {
        return Err(invalid_token());
    }
    Ok(claims)
}

/// RFC 7662's answer about nothing the asking client may learn of.
pub fn inactive() -> Value {
    json!({ "active": false })
}

/// RFC 7662: a live access token, described only to the client it was issued to.
pub fn introspect_access(claims: &AccessClaims, client: &Client) -> Value {
    if claims.client_id != client.id {
        return inactive();
    }
    json!({
        "active": true,
        "token_type": "Bearer",
        "scope": claims.scope,
        "client_id": claims.client_id,
        "sub": claims.sub,
        "aud": claims.aud,
        "iss": claims.iss,
        "exp": claims.exp,
        "iat": claims.iat,
        "jti": claims.jti,
    })
}

/// RFC 7662: a live refresh token, described only to the client it was issued to.
pub fn introspect_refresh(grant: &RefreshGrant, client: &Client, issuer: &str) -> Value {
    if grant.client_id != client.id {
        return inactive();
    }
    json!({
        "active": true,
        "token_type": "refresh_token",
        "scope": grant.scopes.join(" "),
        "client_id": grant.client_id,
        "sub": grant.user_id,
        "iss": issuer,
        "exp": grant.family_expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assurance::Method;
    use crate::keys::generate;

    const NOW: Timestamp = 1_800_000_000;
    const ISSUER: &str = "https://sso.test";
    /// A verifier and its S256 challenge (BASE64URL(SHA256(verifier))).
    const VERIFIER: &str =
        "dBjftJeZ4CVP-mJ92Zu5JKpqx4uI1RrwsF9p8hqVN5RkcKBqPJdrG9xHSKsx0B3JdV8fN00";
    const CHALLENGE: &str = "UyD7_rak0kid3uSCktEHIZnn937H4cQL5wGkJGrvQyE";

    fn client(id: &str) -> Client {
        Client {
            id: id.into(),
            name: id.into(),
            secret: None,
            jwks_uri: None,
            redirect_uris: vec!["https://rp.test/cb".into()],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            web_origins: vec![],
            scopes: vec!["openid".into(), "profile".into(), "api".into()],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            first_party: true,
            groups: Vec::new(),
            required_groups: Vec::new(),
            id_token_signed_response_alg: JwsAlg::Es256,
            access_token_signed_response_alg: JwsAlg::Es256,
        }
    }

    fn code(challenge: Option<&str>) -> CodeGrant {
        CodeGrant {
            client_id: "rp".into(),
            redirect_uri: "https://rp.test/cb".into(),
            user_id: "u1".into(),
            scopes: vec!["openid".into()],
            nonce: Some("n".into()),
            code_challenge: challenge.map(str::to_string),
            auth_time: NOW - 5,
            session: "p1".into(),
            proven: Proven::password(),
        }
    }

    fn refresh_grant() -> RefreshGrant {
        RefreshGrant {
            family: "f1".into(),
            client_id: "rp".into(),
            user_id: "u1".into(),
            scopes: vec!["openid".into()],
            auth_time: NOW - 5,
            session: "p1".into(),
            family_expires_at: NOW + 100,
            proven: Proven::password(),
        }
    }

    fn keyring(at: Timestamp) -> Keyring {
        let stored = [
            generate(SigningAlg::Rs256, at).unwrap(),
            generate(SigningAlg::Es256, at).unwrap(),
        ];
        Keyring::from_stored(&stored, at).unwrap()
    }

    fn minter(keys: &Keyring) -> Minter<'_> {
        let lifetimes = Lifetimes {
            code: 60,
            access_token: 300,
            id_token: 300,
            refresh_family: 3600,
        };
        Minter {
            keys,
            issuer: ISSUER,
            lifetimes,
        }
    }

    fn error(result: Result<(), OAuthError>) -> (ErrorCode, String) {
        let e = result.unwrap_err();
        (e.error, e.error_description)
    }

    #[test]
    fn a_code_redeems_only_for_its_client_and_redirect_uri() {
        let rp = client("rp");
        let uri = Some("https://rp.test/cb");
        assert!(redeem_code(&code(None), &rp, uri, None).is_ok());
        let (e, why) = error(redeem_code(&code(None), &client("other"), uri, None));
        assert_eq!(e, ErrorCode::InvalidGrant);
        assert!(why.contains("another client"), "{why}");
        for wrong in [
            None,
            Some("https://rp.test/other"),
            Some("https://rp.test/cb/"),
        ] {
            let (e, why) = error(redeem_code(&code(None), &rp, wrong, None));
            assert_eq!(e, ErrorCode::InvalidGrant, "{wrong:?}");
            assert!(why.contains("redirect_uri"), "{why}");
        }
    }

    #[test]
    fn a_code_redeems_only_with_the_verifier_of_its_challenge() {
        let rp = client("rp");
        let uri = Some("https://rp.test/cb");
        let bound = code(Some(CHALLENGE));
        assert!(redeem_code(&bound, &rp, uri, Some(VERIFIER)).is_ok());
        for verifier in [None, Some("x".repeat(43).as_str()), Some(&VERIFIER[1..])] {
            let (e, _) = error(redeem_code(&bound, &rp, uri, verifier));
            assert_eq!(e, ErrorCode::InvalidGrant, "{verifier:?}");
        }
        let (e, why) = error(redeem_code(&code(None), &rp, uri, Some(VERIFIER)));
        assert_eq!(e, ErrorCode::InvalidGrant);
        assert!(
            why.contains("no PKCE challenge"),
            "a verifier without a challenge: {why}"
        );
    }

    #[test]
    fn a_refresh_token_rotates_only_for_its_client_while_live_and_unrevoked() {
        let grant = refresh_grant();
        let rp = client("rp");
        assert!(rotate_refresh(&grant, &rp, false, NOW).is_ok());
        assert!(refresh_owned_by(&grant, &rp).is_ok());
        let (e, why) = error(refresh_owned_by(&grant, &client("spa")));
        assert_eq!(e, ErrorCode::InvalidGrant);
        assert!(why.contains("another client"), "{why}");
        assert!(rotate_refresh(&grant, &client("spa"), false, NOW).is_err());
        let (_, why) = error(rotate_refresh(&grant, &rp, true, NOW));
        assert!(why.contains("revoked"), "{why}");
        assert!(
            rotate_refresh(&grant, &rp, false, NOW + 100).is_err(),
            "the family's absolute end"
        );
    }

    #[test]
    fn grant_types_are_allowed_per_client() {
        let rp = client("rp");
        assert!(allowed(&rp, GrantType::RefreshToken).is_ok());
        let e = allowed(&rp, GrantType::ClientCredentials).unwrap_err();
        assert_eq!(e.error, ErrorCode::UnauthorizedClient);
    }

    #[test]
    fn machine_tokens_get_only_registered_scopes_and_never_openid() {
        let rp = client("rp");
        assert_eq!(machine_scopes(&rp, Some("openid api admin")), ["api"]);
        assert!(machine_scopes(&rp, None).is_empty());
    }

    static PASSWORD: std::sync::LazyLock<Proven> = std::sync::LazyLock::new(Proven::password);

    fn grantee<'a>(rp: &'a Client, scopes: &'a [String]) -> Grantee<'a> {
        proven_grantee(rp, scopes, &PASSWORD)
    }

    fn proven_grantee<'a>(rp: &'a Client, scopes: &'a [String], proven: &'a Proven) -> Grantee<'a> {
        let mut released = Map::new();
        released.insert("name".into(), "Budi".into());
        Grantee {
            client: rp,
            subject: "u1",
            released,
            scopes,
            auth_time: NOW - 5,
            session: "p1",
            proven,
        }
    }

    /// The payload of a JWT, unverified (the tests verify it separately).
    fn payload(jwt: &str) -> Value {
        let part = jwt.split('.').nth(1).unwrap();
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, part);
        serde_json::from_slice(&bytes.unwrap()).unwrap()
    }

    #[test]
    fn tokens_say_what_the_session_proved() {
        let keys = keyring(NOW - 10);
        let minter = minter(&keys);
        let rp = client("rp");
        let scopes = vec!["openid".to_string()];
        let family = Family {
            id: "f1",
            expires_at: None,
        };
        let two = Proven::password().and(Method::Otp);
        let minted = minter
            .mint(
                &proven_grantee(&rp, &scopes, &two),
                &family,
                None,
                None,
                NOW,
            )
            .unwrap();
        let id_token = payload(minted.response.id_token.as_deref().unwrap());
        assert_eq!(id_token["acr"], "urn:gerbang:acr:two-factor");
        assert_eq!(id_token["amr"], json!(["pwd", "otp", "mfa"]));
        let access = verify_access(&keys, ISSUER, &minted.response.access_token, NOW).unwrap();
        assert_eq!(access.acr.as_deref(), Some("urn:gerbang:acr:two-factor"));
        assert_eq!(minted.refresh.unwrap().1.proven, two, "refreshing keeps it");

        let once = minter
            .mint(&grantee(&rp, &scopes), &family, None, None, NOW)
            .unwrap();
        let id_token = payload(once.response.id_token.as_deref().unwrap());
        assert_eq!(id_token["acr"], "urn:gerbang:acr:password-captcha");
        assert_eq!(id_token["amr"], json!(["pwd"]));

        let mut machine = client("machine");
        machine.grant_types = vec![GrantType::ClientCredentials];
        let token = minter.machine_token(&machine, &[], NOW).unwrap();
        let access = verify_access(&keys, ISSUER, &token.access_token, NOW).unwrap();
        assert_eq!(access.acr, None, "no person, no strength");
    }

    #[test]
    fn minting_binds_tokens_to_session_family_and_an_absolute_end() {
        let keys = keyring(NOW - 10);
        let minter = minter(&keys);
        let rp = client("rp");
        let scopes = vec!["openid".to_string(), "profile".to_string()];
        let first = Family {
            id: "f1",
            expires_at: None,
        };
        let minted = minter
            .mint(&grantee(&rp, &scopes), &first, Some("n"), Some("c"), NOW)
            .unwrap();
        let claims = verify_access(&keys, ISSUER, &minted.response.access_token, NOW).unwrap();
        assert_eq!(claims.sub, "u1");
        assert_eq!(claims.sid.as_deref(), Some("p1"));
        assert_eq!(claims.family.as_deref(), Some("f1"));
        assert_eq!(claims.exp, NOW + 300);
        assert_eq!(
            claims.revoked_by(),
            [
                Revoked::AccessToken(&claims.jti),
                Revoked::Session("p1"),
                Revoked::Family("f1")
            ]
        );
        let (token, refresh) = minted.refresh.unwrap();
        assert_eq!(
            minted.response.refresh_token.as_deref(),
            Some(token.as_str())
        );
        assert_eq!(refresh.family, "f1");
        assert_eq!(refresh.family_expires_at, NOW + 3600, "a new family's end");
        let id_token = minted.response.id_token.unwrap();
        let payload: Value = serde_json::from_slice(
            &base64::Engine::decode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                id_token.split('.').nth(1).unwrap(),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(payload["sid"], "p1");
        assert_eq!(payload["nonce"], "n");
        assert_eq!(payload["name"], "Budi");
        assert_eq!(payload["acr"], "urn:gerbang:acr:password-captcha");
        assert_eq!(payload["auth_time"], NOW - 5);

        // Rotation keeps the family and its end, however late it comes.
        let rotated = Family {
            id: "f1",
            expires_at: Some(NOW + 3600),
        };
        let later = minter
            .mint(&grantee(&rp, &scopes), &rotated, None, None, NOW + 3000)
            .unwrap();
        assert_eq!(later.refresh.unwrap().1.family_expires_at, NOW + 3600);

        // A client that may not refresh gets no refresh token.
        let mut once = client("once");
        once.grant_types = vec![GrantType::AuthorizationCode];
        let minted = minter
            .mint(&grantee(&once, &scopes), &first, None, None, NOW)
            .unwrap();
        assert!(minted.refresh.is_none() && minted.response.refresh_token.is_none());
    }

    #[test]
    fn access_tokens_verify_only_from_this_issuer_and_until_they_expire() {
        let keys = keyring(NOW - 10);
        let minter = minter(&keys);
        let mut machine = client("machine");
        machine.grant_types = vec![GrantType::ClientCredentials];
        let token = minter
            .machine_token(&machine, &["api".to_string()], NOW)
            .unwrap()
            .access_token;
        let claims = verify_access(&keys, ISSUER, &token, NOW + 299).unwrap();
        assert!(claims.is_machine());
        assert_eq!(claims.revoked_by(), [Revoked::AccessToken(&claims.jti)]);
        assert!(
            verify_access(&keys, ISSUER, &token, NOW + 300).is_err(),
            "expired"
        );
        assert!(verify_access(&keys, "https://other.test", &token, NOW).is_err());
        assert!(
            verify_access(&keyring(NOW), ISSUER, &token, NOW).is_err(),
            "other keys"
        );
    }

    #[test]
    fn introspection_tells_only_the_owner() {
        let keys = keyring(NOW - 10);
        let minter = minter(&keys);
        let rp = client("rp");
        let token = minter
            .machine_token(&rp, &["api".to_string()], NOW)
            .unwrap()
            .access_token;
        let claims = verify_access(&keys, ISSUER, &token, NOW).unwrap();
        assert_eq!(introspect_access(&claims, &rp)["active"], true);
        assert_eq!(introspect_access(&claims, &client("spa")), inactive());
        let grant = refresh_grant();
        assert_eq!(introspect_refresh(&grant, &rp, ISSUER)["exp"], NOW + 100);
        assert_eq!(
            introspect_refresh(&grant, &client("spa"), ISSUER),
            inactive()
        );
    }
}
