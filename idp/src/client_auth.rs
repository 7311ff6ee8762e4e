//! How a client proves itself at the token, introspection and revocation endpoints beyond a
//! secret: a `private_key_jwt` assertion, checked against the keys it publishes and accepted
//! once (its `jti` remembered in the store, so every instance sharing it agrees).

use std::sync::Arc;

use crate::clock::Timestamp;
use crate::protocol::client_assertion;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::store::OneTimeKind;

/// The client a `private_key_jwt` assertion authenticates, or `invalid_client`. `endpoint`
/// is the URL the request came to; the assertion's `aud` may name it or the issuer.
pub async fn by_assertion(
    p: &Provider,
    assertion: &str,
    claimed_id: Option<&str>,
    endpoint: &str,
    now: Timestamp,
) -> Result<Arc<gerbang_config::Client>, OAuthError> {
    let invalid = |why: &str| OAuthError::new(ErrorCode::InvalidClient, why);
    let id = client_assertion::claimed_client(assertion).map_err(|e| invalid(&e.to_string()))?;
    if claimed_id.is_some_and(|given| given != id) {
        return Err(invalid("client_id and the client assertion's iss differ"));
    }
    let client = p
        .clients()
        .get(&id)
        .ok_or_else(|| invalid("client authentication failed"))?;
    let Some(uri) = client.jwks_uri.as_deref() else {
        return Err(invalid(
            "this client does not authenticate with private_key_jwt",
        ));
    };
    let ca = p.config().server.upstream_ca.clone();
    let checked = p
        .client_keys
        .check(
            assertion,
            &id,
            uri,
            &[p.issuer.as_str(), endpoint],
            ca.as_deref(),
            now,
        )
        .await
        .map_err(|e| invalid(&e))?;
    let jti = crate::token::hash(&format!("{id}\0{}", checked.jti));
    let first = p
        .store
        .first_use(OneTimeKind::ClientAssertion, &jti, now, checked.expires_at)
        .await
        .map_err(|_| OAuthError::new(ErrorCode::ServerError, "the store is unavailable"))?;
    if !first {
        return Err(invalid("this client assertion was used before"));
    }
    Ok(client)
}
