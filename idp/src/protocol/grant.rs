//! Issuing and exchanging grants: authorization codes (single use, short-lived, bound to
//! client, redirect URI, PKCE challenge and nonce), refresh tokens (rotated on every use; a spent
//! one used again revokes its whole family) and client credentials.

use chrono::{TimeZone, Utc};
use gerbang_config::{Client, GrantType, JwsAlg};
use openidconnect::core::{
    CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AdditionalClaims, Audience, AuthenticationContextClass, AuthorizationCode,
    IdToken, IdTokenClaims, IssuerUrl, Nonce, StandardClaims,
};
use serde::{Deserialize, Serialize};

use super::authorize::{pkce_matches, AuthorizationRequest};
use super::error::{ErrorCode, OAuthError};
use super::jwt;
use crate::keys::SigningAlg;
use crate::provider::Provider;
use crate::revocation::{family_field, family_id, Revoked};
use crate::store::{OneTimeKind, Timestamp, User, UserStatus};

/// The one authentication context Gerbang asserts: password plus captcha.
pub const ACR: &str = "urn:gerbang:acr:password-captcha";

/// What an authorization code stands for, kept under the code's hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CodeGrant {
    client_id: String,
    redirect_uri: String,
    user_id: String,
    scopes: Vec<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    auth_time: Timestamp,
    session: String,
}

/// What a refresh token stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshGrant {
    /// The family's id: the hash of the code it came from.
    #[serde(deserialize_with = "family_field::deserialize")]
    family: String,
    client_id: String,
    user_id: String,
    scopes: Vec<String>,
    auth_time: Timestamp,
    session: String,
    /// The family's absolute end: rotation never extends it.
    family_expires_at: Timestamp,
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

/// The ID token's claims beyond the standard ones: `sid`, the provider session as back-channel
/// logout tokens name it, and the identity document when its scope was granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SessionClaims {
    sid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identity_document: Option<serde_json::Value>,
}

impl AdditionalClaims for SessionClaims {}

type GerbangIdToken = IdToken<
    SessionClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// Whom and what a set of tokens is about.
struct Grantee<'a> {
    client: &'a Client,
    user: &'a User,
    scopes: &'a [String],
    auth_time: Timestamp,
    /// The provider session's hash.
    session: &'a str,
}

/// Where a refresh token family stands: its name and, after the first rotation, its end.
struct Family<'a> {
    name: &'a str,
    expires_at: Option<Timestamp>,
}

pub use crate::token::hash;
use crate::token::random_token;

fn server_error(_: impl std::fmt::Display) -> OAuthError {
    OAuthError::new(
        ErrorCode::ServerError,
        "the provider could not complete the request",
    )
}

fn invalid_grant(why: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidGrant, why)
}

/// A new authorization code for a logged-in user.
pub async fn issue_code(
    provider: &Provider,
    request: &AuthorizationRequest,
    user: &User,
    session_hash: &str,
    auth_time: Timestamp,
    now: Timestamp,
) -> Result<String, OAuthError> {
    let code = random_token();
    let grant = CodeGrant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        user_id: user.id.clone(),
        scopes: request.scopes.clone(),
        nonce: request.nonce.clone(),
        code_challenge: request.code_challenge.clone(),
        auth_time,
        session: session_hash.to_string(),
    };
    let value = serde_json::to_vec(&grant).map_err(server_error)?;
    let expires = now + provider.config().provider.code_lifetime.as_secs();
    provider
        .store
        .put_once(
            OneTimeKind::AuthorizationCode,
            &hash(&code),
            &value,
            expires,
        )
        .await
        .map_err(server_error)?;
    Ok(code)
}

/// `grant_type=authorization_code`.
pub async fn exchange_code(
    provider: &Provider,
    client: &Client,
    code: &str,
    redirect_uri: Option<&str>,
    verifier: Option<&str>,
    now: Timestamp,
) -> Result<TokenResponse, OAuthError> {
    allowed(client, GrantType::AuthorizationCode)?;
    let store = &provider.store;
    let code_hash = hash(code);
    // A redeemed code leaves this marker for as long as what it issued can live.
    let spent_marker = format!("spent:{code_hash}");
    let family_end = now + provider.config().provider.refresh_token_lifetime.as_secs();
    let Some(bytes) = store
        .take_once(OneTimeKind::AuthorizationCode, &code_hash, now)
        .await
        .map_err(server_error)?
    else {
        // A code used twice: revoke what its first use issued (RFC 6749 4.1.2). A code never
        // issued revokes nothing: a flood of made-up codes must not fill the revocation set
        // that every instance holds in memory.
        let replayed = store
            .peek_once(OneTimeKind::AuthorizationCode, &spent_marker, now)
            .await
            .map_err(server_error)?
            .is_some();
        if replayed {
            store
                .revoke(Revoked::Family(&code_hash), family_end)
                .await
                .map_err(server_error)?;
        }
        return Err(invalid_grant(
            "the code is unknown, expired or already used",
        ));
    };
    store
        .put_once(
            OneTimeKind::AuthorizationCode,
            &spent_marker,
            b"",
            family_end,
        )
        .await
        .map_err(server_error)?;
    let grant: CodeGrant = serde_json::from_slice(&bytes).map_err(server_error)?;
    if grant.client_id != client.id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if redirect_uri != Some(grant.redirect_uri.as_str()) {
        return Err(invalid_grant(
            "redirect_uri does not match the authorization request",
        ));
    }
    match (&grant.code_challenge, verifier) {
        (Some(challenge), Some(v)) if pkce_matches(v, challenge) => {}
        (Some(_), _) => return Err(invalid_grant("the PKCE verifier does not match")),
        (None, Some(_)) => return Err(invalid_grant("no PKCE challenge was sent for this code")),
        (None, None) => {}
    }
    let user = active_user(provider, &grant.user_id).await?;
    // Anything issued from this code belongs to the family named after it, so a replay of the
    // code revokes them (see above).
    let grantee = Grantee {
        client,
        user: &user,
        scopes: &grant.scopes,
        auth_time: grant.auth_time,
        session: &grant.session,
    };
    let family = Family {
        name: &code_hash,
        expires_at: None,
    };
    issue_tokens(
        provider,
        &grantee,
        grant.nonce.as_deref(),
        &family,
        Some(code),
        now,
    )
    .await
}

/// `grant_type=refresh_token`: rotation, reuse detection, absolute lifetime.
pub async fn refresh(
    provider: &Provider,
    client: &Client,
    token: &str,
    now: Timestamp,
) -> Result<TokenResponse, OAuthError> {
    allowed(client, GrantType::RefreshToken)?;
    let store = &provider.store;
    let token_hash = hash(token);
    let spent_marker = format!("spent:{token_hash}");
    // Another client presenting the token is refused before the token is spent, so it cannot
    // destroy the owner's token (it learns nothing: the answer is the same as for a bad one).
    let owner = store
        .peek_once(OneTimeKind::RefreshToken, &token_hash, now)
        .await
        .map_err(server_error)?
        .and_then(|bytes| serde_json::from_slice::<RefreshGrant>(&bytes).ok())
        .map(|grant| grant.client_id);
    if owner.is_some_and(|owner| owner != client.id) {
        return Err(invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    let Some(bytes) = store
        .take_once(OneTimeKind::RefreshToken, &token_hash, now)
        .await
        .map_err(server_error)?
    else {
        if let Some(family) = store
            .take_once(OneTimeKind::RefreshToken, &spent_marker, now)
            .await
            .map_err(server_error)?
        {
            let family = String::from_utf8_lossy(&family);
            let until = now + provider.config().provider.refresh_token_lifetime.as_secs();
            store
                .revoke(Revoked::Family(family_id(&family)), until)
                .await
                .map_err(server_error)?;
            tracing::warn!(client = %client.id, "a spent refresh token was used again: its family is revoked");
        }
        return Err(invalid_grant(
            "the refresh token is unknown, expired or already used",
        ));
    };
    let grant: RefreshGrant = serde_json::from_slice(&bytes).map_err(server_error)?;
    if grant.client_id != client.id {
        return Err(invalid_grant(
            "the refresh token was issued to another client",
        ));
    }
    if store
        .is_revoked(Revoked::Family(&grant.family), now)
        .await
        .map_err(server_error)?
        || store
            .is_revoked(Revoked::Session(&grant.session), now)
            .await
            .map_err(server_error)?
    {
        return Err(invalid_grant("the refresh token was revoked"));
    }
    store
        .put_once(
            OneTimeKind::RefreshToken,
            &spent_marker,
            grant.family.as_bytes(),
            grant.family_expires_at,
        )
        .await
        .map_err(server_error)?;
    let user = active_user(provider, &grant.user_id).await?;
    let grantee = Grantee {
        client,
        user: &user,
        scopes: &grant.scopes,
        auth_time: grant.auth_time,
        session: &grant.session,
    };
    let family = Family {
        name: &grant.family,
        expires_at: Some(grant.family_expires_at),
    };
    issue_tokens(provider, &grantee, None, &family, None, now).await
}

/// `grant_type=client_credentials`: an access token for the client itself.
pub async fn client_credentials(
    provider: &Provider,
    client: &Client,
    scope: Option<&str>,
    now: Timestamp,
) -> Result<TokenResponse, OAuthError> {
    allowed(client, GrantType::ClientCredentials)?;
    let requested: Vec<&str> = scope
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty() && *s != "openid")
        .collect();
    let scopes: Vec<String> = client
        .scopes
        .iter()
        .filter(|s| requested.contains(&s.as_str()))
        .cloned()
        .collect();
    let (access_token, lifetime) =
        access_token(provider, client, &client.id, &scopes, None, None, now)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: lifetime,
        scope: scopes.join(" "),
        id_token: None,
        refresh_token: None,
    })
}

fn allowed(client: &Client, grant: GrantType) -> Result<(), OAuthError> {
    if client.grant_types.contains(&grant) {
        Ok(())
    } else {
        Err(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            format!("the client may not use {}", grant.as_str()),
        ))
    }
}

async fn active_user(provider: &Provider, id: &str) -> Result<User, OAuthError> {
    match provider.store.user(id).await.map_err(server_error)? {
        Some(user) if user.status == UserStatus::Active => Ok(user),
        _ => Err(invalid_grant("the user is no longer active")),
    }
}

fn access_token(
    provider: &Provider,
    client: &Client,
    subject: &str,
    scopes: &[String],
    session: Option<&str>,
    family: Option<&str>,
    now: Timestamp,
) -> Result<(String, u64), OAuthError> {
    let lifetime = provider.config().provider.access_token_lifetime.as_secs();
    let claims = AccessClaims {
        iss: provider.issuer.clone(),
        sub: subject.to_string(),
        aud: vec![client.id.clone()],
        client_id: client.id.clone(),
        scope: scopes.join(" "),
        iat: now,
        exp: now + lifetime,
        jti: random_token(),
        sid: session.map(str::to_string),
        family: family.map(str::to_string),
    };
    let alg = match client.access_token_signed_response_alg {
        JwsAlg::Rs256 => SigningAlg::Rs256,
        JwsAlg::Es256 => SigningAlg::Es256,
    };
    let token =
        jwt::sign(&provider.keys.current(), alg, "at+jwt", &claims, now).map_err(server_error)?;
    Ok((token, lifetime))
}

async fn issue_tokens(
    provider: &Provider,
    grantee: &Grantee<'_>,
    nonce: Option<&str>,
    family: &Family<'_>,
    code: Option<&str>,
    now: Timestamp,
) -> Result<TokenResponse, OAuthError> {
    let Grantee {
        client,
        user,
        scopes,
        auth_time,
        session,
    } = *grantee;
    let (access, lifetime) = access_token(
        provider,
        client,
        &user.id,
        scopes,
        Some(session),
        Some(family.name),
        now,
    )?;
    let id_token = id_token(provider, grantee, nonce, &access, code, now)?;
    let refresh_token = if client.grant_types.contains(&GrantType::RefreshToken) {
        let token = random_token();
        let family_expires_at = family
            .expires_at
            .unwrap_or(now + provider.config().provider.refresh_token_lifetime.as_secs());
        let grant = RefreshGrant {
            family: family.name.to_string(),
            client_id: client.id.clone(),
            user_id: user.id.clone(),
            scopes: scopes.to_vec(),
            auth_time,
            session: session.to_string(),
            family_expires_at,
        };
        let value = serde_json::to_vec(&grant).map_err(server_error)?;
        provider
            .store
            .put_once(
                OneTimeKind::RefreshToken,
                &hash(&token),
                &value,
                family_expires_at,
            )
            .await
            .map_err(server_error)?;
        Some(token)
    } else {
        None
    };
    Ok(TokenResponse {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: lifetime,
        scope: scopes.join(" "),
        id_token: Some(id_token),
        refresh_token,
    })
}

fn id_token(
    provider: &Provider,
    grantee: &Grantee<'_>,
    nonce: Option<&str>,
    access: &str,
    code: Option<&str>,
    now: Timestamp,
) -> Result<String, OAuthError> {
    let Grantee {
        client,
        user,
        scopes,
        auth_time,
        ..
    } = *grantee;
    let time = |t: Timestamp| {
        Utc.timestamp_opt(t as i64, 0)
            .single()
            .ok_or_else(|| server_error("time"))
    };
    let issuer = IssuerUrl::new(provider.issuer.clone()).map_err(server_error)?;
    // The same claims the userinfo endpoint releases, typed by the crate's own deserializer.
    let mut released = super::claims::for_scopes(user, scopes);
    let identity_document = released.remove("identity_document");
    released.insert("sub".into(), user.id.clone().into());
    let standard: StandardClaims<openidconnect::core::CoreGenderClaim> =
        serde_json::from_value(serde_json::Value::Object(released)).map_err(server_error)?;
    let lifetime = provider.config().provider.id_token_lifetime.as_secs();
    let claims = IdTokenClaims::new(
        issuer,
        vec![Audience::new(client.id.clone())],
        time(now + lifetime)?,
        time(now)?,
        standard,
        SessionClaims {
            sid: grantee.session.to_string(),
            identity_document,
        },
    )
    .set_nonce(nonce.map(|n| Nonce::new(n.to_string())))
    .set_auth_time(Some(time(auth_time)?))
    .set_auth_context_ref(Some(AuthenticationContextClass::new(ACR.into())));
    let (alg, jws_alg) = match client.id_token_signed_response_alg {
        JwsAlg::Rs256 => (
            SigningAlg::Rs256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        ),
        JwsAlg::Es256 => (SigningAlg::Es256, CoreJwsSigningAlgorithm::EcdsaP256Sha256),
    };
    let keys = provider.keys.current();
    let token = GerbangIdToken::new(
        claims,
        keys.active(alg, now),
        jws_alg,
        Some(&AccessToken::new(access.to_string())),
        code.map(|c| AuthorizationCode::new(c.to_string())).as_ref(),
    )
    .map_err(server_error)?;
    Ok(token.to_string())
}

/// The claims of a live access token: signature, issuer and expiry checked, not revoked.
pub async fn verify_access_token(
    provider: &Provider,
    token: &str,
    now: Timestamp,
) -> Result<AccessClaims, OAuthError> {
    let invalid = || {
        OAuthError::new(
            ErrorCode::InvalidToken,
            "the access token is invalid or expired",
        )
    };
    let claims: AccessClaims =
        jwt::verify(&provider.keys.current(), token).map_err(|_| invalid())?;
    if claims.iss != provider.issuer || claims.exp <= now {
        return Err(invalid());
    }
    let store = &provider.store;
    let mut subjects = vec![Revoked::AccessToken(&claims.jti)];
    subjects.extend(claims.sid.as_deref().map(Revoked::Session));
    subjects.extend(claims.family.as_deref().map(Revoked::Family));
    let mut revoked = false;
    for subject in subjects {
        revoked |= store.is_revoked(subject, now).await.map_err(server_error)?;
    }
    if revoked {
        return Err(invalid());
    }
    Ok(claims)
}

/// RFC 7662: what a token is, told only to the client it was issued to; anything else is
/// `{"active": false}`.
pub async fn introspect(
    provider: &Provider,
    client: &Client,
    token: &str,
    now: Timestamp,
) -> serde_json::Value {
    let inactive = serde_json::json!({ "active": false });
    if let Ok(claims) = verify_access_token(provider, token, now).await {
        if claims.client_id != client.id {
            return inactive;
        }
        return serde_json::json!({
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
        });
    }
    match live_refresh_grant(provider, token, now).await {
        Some(grant) if grant.client_id == client.id => serde_json::json!({
            "active": true,
            "token_type": "refresh_token",
            "scope": grant.scopes.join(" "),
            "client_id": grant.client_id,
            "sub": grant.user_id,
            "iss": provider.issuer,
            "exp": grant.family_expires_at,
        }),
        _ => inactive,
    }
}

/// RFC 7009: the client's own token stops working; anything else is ignored (the answer is
/// the same either way).
pub async fn revoke(
    provider: &Provider,
    client: &Client,
    token: &str,
    now: Timestamp,
) -> Result<(), OAuthError> {
    let store = &provider.store;
    if let Ok(claims) = verify_access_token(provider, token, now).await {
        if claims.client_id == client.id {
            store
                .revoke(Revoked::AccessToken(&claims.jti), claims.exp)
                .await
                .map_err(server_error)?;
            provider
                .audit(
                    "token.revoked",
                    Some(&claims.sub),
                    Some(&client.id),
                    None,
                    "access token",
                )
                .await;
        }
        return Ok(());
    }
    if let Some(grant) = live_refresh_grant(provider, token, now).await {
        if grant.client_id == client.id {
            store
                .take_once(OneTimeKind::RefreshToken, &hash(token), now)
                .await
                .map_err(server_error)?;
            store
                .revoke(Revoked::Family(&grant.family), grant.family_expires_at)
                .await
                .map_err(server_error)?;
            provider
                .audit(
                    "token.revoked",
                    Some(&grant.user_id),
                    Some(&client.id),
                    None,
                    "refresh token family",
                )
                .await;
        }
    }
    Ok(())
}

/// The grant of a refresh token that still works: present, unexpired, family and session live.
async fn live_refresh_grant(
    provider: &Provider,
    token: &str,
    now: Timestamp,
) -> Option<RefreshGrant> {
    let store = &provider.store;
    let bytes = store
        .peek_once(OneTimeKind::RefreshToken, &hash(token), now)
        .await
        .ok()??;
    let grant: RefreshGrant = serde_json::from_slice(&bytes).ok()?;
    let revoked = store
        .is_revoked(Revoked::Family(&grant.family), now)
        .await
        .ok()?
        || store
            .is_revoked(Revoked::Session(&grant.session), now)
            .await
            .ok()?;
    (!revoked).then_some(grant)
}
