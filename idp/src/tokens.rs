//! The grants as a service: loads what a request names from the store, asks
//! [`crate::protocol::grant`] for the decision, persists what it decided (a code or refresh
//! token is spent in one atomic store operation that also remembers it spent, so a replay is
//! seen however concurrent) and records what an operator must see.

use gerbang_config::{Client, GrantType};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::access;
use crate::account::claims;
use crate::audit::AuditKind;
use crate::clock::Timestamp;
use crate::protocol::authorize::AuthorizationRequest;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::grant::{
    self, allowed, invalid_grant, server_error, AccessClaims, CodeGrant, Family, Grantee,
    Lifetimes, Minted, Minter, RefreshGrant, TokenResponse,
};
use crate::provider::Provider;
use crate::revocation::{family_id, Revoked};
use crate::store::{OneTimeKind, Proven, Session, Spent, User, UserStatus};
use crate::token::{hash, random_token};

fn lifetimes(provider: &Provider) -> Lifetimes {
    Lifetimes::of(&provider.config().provider)
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, OAuthError> {
    serde_json::from_slice(bytes).map_err(server_error)
}

/// A new authorization code for a logged-in user.
pub async fn issue_code(
    provider: &Provider,
    request: &AuthorizationRequest,
    user: &User,
    session: &Session,
    now: Timestamp,
) -> Result<String, OAuthError> {
    let code = random_token();
    let grant = grant::code_grant(request, &user.id, session);
    let value = serde_json::to_vec(&grant).map_err(server_error)?;
    let expires = now + lifetimes(provider).code;
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
    crate::session::note_client(
        provider.store.as_ref(),
        &session.id_hash,
        &request.client_id,
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
    // A spent code is remembered for as long as what it issued can live.
    let family_end = now + lifetimes(provider).refresh_family;
    let bytes = match store
        .spend_once(OneTimeKind::AuthorizationCode, &code_hash, now, family_end)
        .await
        .map_err(server_error)?
    {
        Spent::First(bytes) => bytes,
        Spent::Again(_) => {
            // A code used twice: revoke what its first use issued (RFC 6749 4.1.2). A code
            // never issued revokes nothing: a flood of made-up codes must not fill the
            // revocation set that every instance holds in memory.
            store
                .revoke(Revoked::Family(&code_hash), family_end)
                .await
                .map_err(server_error)?;
            return Err(grant::unknown_code());
        }
        Spent::Unknown => return Err(grant::unknown_code()),
    };
    let code_grant: CodeGrant = decode(&bytes)?;
    grant::redeem_code(&code_grant, client, redirect_uri, verifier)?;
    let user = active_user(provider, &code_grant.user_id).await?;
    // Anything issued from this code belongs to the family named after it, so a replay of the
    // code revokes them (see above).
    let family = Family {
        id: &code_hash,
        expires_at: None,
    };
    let groups = released_groups(provider, client, &user.id, &code_grant.scopes, now).await?;
    let grantee = grantee(
        client,
        &user,
        &code_grant.scopes,
        &groups,
        (
            code_grant.auth_time,
            &code_grant.session,
            &code_grant.proven,
        ),
    );
    let minted = minter(provider, |minter| {
        minter.mint(
            &grantee,
            &family,
            code_grant.nonce.as_deref(),
            Some(code),
            now,
        )
    })?;
    keep(provider, minted).await
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
    // Another client presenting the token is refused before the token is spent, so it cannot
    // destroy the owner's token (it learns nothing: the answer is the same as for a bad one).
    let presented = store
        .peek_once(OneTimeKind::RefreshToken, &token_hash, now)
        .await
        .map_err(server_error)?;
    if let Some(owner) = presented.and_then(|b| decode::<RefreshGrant>(&b).ok()) {
        grant::refresh_owned_by(&owner, client)?;
    }
    // A spent token is remembered for its family's life (its own expiry).
    let bytes = match store
        .spend_once(OneTimeKind::RefreshToken, &token_hash, now, now)
        .await
        .map_err(server_error)?
    {
        Spent::First(bytes) => bytes,
        Spent::Again(spent) => {
            revoke_reused_family(provider, client, &spent, now).await?;
            return Err(grant::unknown_refresh_token());
        }
        Spent::Unknown => return Err(grant::unknown_refresh_token()),
    };
    let refresh_grant: RefreshGrant = decode(&bytes)?;
    let revoked = is_any_revoked(
        provider,
        &[
            Revoked::Family(&refresh_grant.family),
            Revoked::Session(&refresh_grant.session),
        ],
        now,
    )
    .await?;
    grant::rotate_refresh(&refresh_grant, client, revoked, now)?;
    let user = active_user(provider, &refresh_grant.user_id).await?;
    let family = Family {
        id: &refresh_grant.family,
        expires_at: Some(refresh_grant.family_expires_at),
    };
    let groups = released_groups(provider, client, &user.id, &refresh_grant.scopes, now).await?;
    let grantee = grantee(
        client,
        &user,
        &refresh_grant.scopes,
        &groups,
        (
            refresh_grant.auth_time,
            &refresh_grant.session,
            &refresh_grant.proven,
        ),
    );
    let minted = minter(provider, |minter| {
        minter.mint(&grantee, &family, None, None, now)
    })?;
    keep(provider, minted).await
}

/// A spent refresh token presented again (RFC 9700 4.14.2): its family is revoked, so the
/// tokens its first use issued stop working too, whoever holds them.
async fn revoke_reused_family(
    provider: &Provider,
    client: &Client,
    spent: &[u8],
    now: Timestamp,
) -> Result<(), OAuthError> {
    // Markers left before the grant was kept whole hold the family's key as text.
    let (family, until) = match decode::<RefreshGrant>(spent) {
        Ok(g) => (g.family, g.family_expires_at),
        Err(_) => (
            family_id(&String::from_utf8_lossy(spent)).to_string(),
            now + lifetimes(provider).refresh_family,
        ),
    };
    provider
        .store
        .revoke(Revoked::Family(&family), until)
        .await
        .map_err(server_error)?;
    tracing::warn!(client = %client.id, "a spent refresh token was used again: its family is revoked");
    Ok(())
}

/// `grant_type=client_credentials`: an access token for the client itself.
pub async fn client_credentials(
    provider: &Provider,
    client: &Client,
    scope: Option<&str>,
    now: Timestamp,
) -> Result<TokenResponse, OAuthError> {
    allowed(client, GrantType::ClientCredentials)?;
    let scopes = grant::machine_scopes(client, scope);
    minter(provider, |minter| {
        minter.machine_token(client, &scopes, now)
    })
}

/// Runs `f` with the provider's signer (the keyring as it is now).
fn minter<T>(
    provider: &Provider,
    f: impl FnOnce(&Minter<'_>) -> Result<T, OAuthError>,
) -> Result<T, OAuthError> {
    let keys = provider.keys.current();
    f(&Minter {
        keys: &keys,
        issuer: &provider.issuer,
        lifetimes: lifetimes(provider),
    })
}

/// The user's groups `client` may learn, read from the store only when `scopes` ask for them.
pub async fn released_groups(
    provider: &Provider,
    client: &Client,
    user_id: &str,
    scopes: &[String],
    now: Timestamp,
) -> Result<Vec<String>, OAuthError> {
    if client.groups.is_empty() || !scopes.iter().any(|s| s == "groups") {
        return Ok(Vec::new());
    }
    let held = provider
        .store
        .memberships(user_id)
        .await
        .map_err(server_error)?;
    Ok(access::visible_groups(&held, &client.groups, now)
        .map(str::to_string)
        .collect())
}

fn grantee<'a>(
    client: &'a Client,
    user: &'a User,
    scopes: &'a [String],
    groups: &[String],
    (auth_time, session, proven): (Timestamp, &'a str, &'a Proven),
) -> Grantee<'a> {
    Grantee {
        client,
        subject: &user.id,
        released: claims::for_scopes(user, scopes, groups),
        scopes,
        auth_time,
        session,
        proven,
    }
}

/// Keeps the refresh token a grant issued, then answers.
async fn keep(provider: &Provider, minted: Minted) -> Result<TokenResponse, OAuthError> {
    if let Some((token, refresh_grant)) = &minted.refresh {
        let value = serde_json::to_vec(refresh_grant).map_err(server_error)?;
        provider
            .store
            .put_once(
                OneTimeKind::RefreshToken,
                &hash(token),
                &value,
                refresh_grant.family_expires_at,
            )
            .await
            .map_err(server_error)?;
    }
    Ok(minted.response)
}

async fn active_user(provider: &Provider, id: &str) -> Result<User, OAuthError> {
    match provider.store.user(id).await.map_err(server_error)? {
        Some(user) if user.status == UserStatus::Active => Ok(user),
        _ => Err(invalid_grant("the user is no longer active")),
    }
}

async fn is_any_revoked(
    provider: &Provider,
    subjects: &[Revoked<'_>],
    now: Timestamp,
) -> Result<bool, OAuthError> {
    for subject in subjects {
        if provider
            .store
            .is_revoked(*subject, now)
            .await
            .map_err(server_error)?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The claims of a live access token: signature, issuer and expiry checked, not revoked.
pub async fn verify_access_token(
    provider: &Provider,
    token: &str,
    now: Timestamp,
) -> Result<AccessClaims, OAuthError> {
    let claims = grant::verify_access(&provider.keys.current(), &provider.issuer, token, now)?;
    if is_any_revoked(provider, &claims.revoked_by(), now).await? {
        return Err(grant::invalid_token());
    }
    Ok(claims)
}

/// RFC 7662: what a token is, told only to the client it was issued to; anything else is
/// `{"active": false}`. A store that cannot say is an error, not "inactive".
pub async fn introspect(
    provider: &Provider,
    client: &Client,
    token: &str,
    now: Timestamp,
) -> Result<Value, OAuthError> {
    if let Some(claims) = live_access_token(provider, token, now).await? {
        return Ok(grant::introspect_access(&claims, client));
    }
    Ok(match live_refresh_grant(provider, token, now).await? {
        Some(found) => grant::introspect_refresh(&found, client, &provider.issuer),
        None => grant::inactive(),
    })
}

/// RFC 7009: the client's own token stops working; anything else is ignored (the answer is
/// the same either way). A store that cannot say is an error: "revoked" is never answered for
/// what was not.
pub async fn revoke(
    provider: &Provider,
    client: &Client,
    token: &str,
    now: Timestamp,
) -> Result<(), OAuthError> {
    let revoked = async |subject: Revoked<'_>, until, user: &str, what: &str| {
        provider
            .store
            .revoke(subject, until)
            .await
            .map_err(server_error)?;
        provider
            .audit(
                AuditKind::TokenRevoked,
                Some(user),
                Some(&client.id),
                None,
                what,
            )
            .await;
        Ok(())
    };
    if let Some(claims) = live_access_token(provider, token, now).await? {
        if claims.client_id != client.id {
            return Ok(());
        }
        let jti = Revoked::AccessToken(&claims.jti);
        return revoked(jti, claims.exp, &claims.sub, "access token").await;
    }
    match live_refresh_grant(provider, token, now).await? {
        Some(found) if found.client_id == client.id => {
            provider
                .store
                .take_once(OneTimeKind::RefreshToken, &hash(token), now)
                .await
                .map_err(server_error)?;
            let family = Revoked::Family(&found.family);
            let what = "refresh token family";
            revoked(family, found.family_expires_at, &found.user_id, what).await
        }
        _ => Ok(()),
    }
}

/// The claims of `token` if it is a live access token, `None` if it is not one; an error only
/// when the store cannot say (revocation and introspection must not answer "done" or
/// "inactive" for what they could not check).
async fn live_access_token(
    provider: &Provider,
    token: &str,
    now: Timestamp,
) -> Result<Option<AccessClaims>, OAuthError> {
    match verify_access_token(provider, token, now).await {
        Ok(claims) => Ok(Some(claims)),
        Err(e) if e.error == ErrorCode::ServerError => Err(e),
        Err(_) => Ok(None),
    }
}

/// The grant of a refresh token that still works: present, unexpired, family and session live;
/// an error only when the store cannot say.
async fn live_refresh_grant(
    provider: &Provider,
    token: &str,
    now: Timestamp,
) -> Result<Option<RefreshGrant>, OAuthError> {
    let found = provider
        .store
        .peek_once(OneTimeKind::RefreshToken, &hash(token), now)
        .await
        .map_err(server_error)?;
    let Some(found) = found.and_then(|bytes| decode::<RefreshGrant>(&bytes).ok()) else {
        return Ok(None);
    };
    let revoked = is_any_revoked(
        provider,
        &[
            Revoked::Family(&found.family),
            Revoked::Session(&found.session),
        ],
        now,
    )
    .await?;
    Ok((!revoked).then_some(found))
}
