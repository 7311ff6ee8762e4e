//! Ending a provider session: here, at every gateway instance (through the revocation log),
//! and at every client that registered a back-channel logout URI (OIDC Back-Channel Logout
//! 1.0), delivered in the background with retries so a client that is down never blocks the
//! user's logout.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::audit::AuditKind;
use crate::clock::now;
use crate::keys::SigningAlg;
use crate::protocol::jwt;
use crate::provider::Provider;
use crate::revocation::Revoked;
use crate::store::StoreResult;

const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
const ATTEMPTS: u32 = 4;

#[derive(Serialize)]
struct LogoutClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
    sub: &'a str,
    sid: &'a str,
    events: serde_json::Value,
}

/// Ends the provider session `session_hash` of user `sub`. An error means the store did not
/// take the logout whole: the caller must not tell the user it is done (they may try again;
/// ending a session twice is harmless).
pub async fn end_session(
    provider: &Arc<Provider>,
    session_hash: &str,
    sub: &str,
    address: Option<&str>,
) -> StoreResult<()> {
    let store = &provider.store;
    let until = now() + provider.config().session.absolute_timeout.as_secs();
    store.delete_session(session_hash).await?;
    // The gateway sessions it started end with it (their cookies are refused through the
    // revocation below); their records go too, so no list shows them.
    for child in store
        .sessions_of(sub)
        .await?
        .iter()
        .filter(|s| s.parent.as_deref() == Some(session_hash))
    {
        store.delete_session(&child.id_hash).await?;
    }
    store.revoke(Revoked::Session(session_hash), until).await?;
    provider
        .audit(
            AuditKind::Logout,
            Some(sub),
            None,
            address,
            "provider session ended",
        )
        .await;
    let issued_at = now();
    for client in provider.clients().all() {
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            continue;
        };
        let claims = LogoutClaims {
            iss: &provider.issuer,
            aud: &client.id,
            iat: issued_at,
            exp: issued_at + 120,
            jti: {
                let bytes: [u8; 16] = rand::random();
                bytes.iter().map(|b| format!("{b:02x}")).collect()
            },
            sub,
            sid: session_hash,
            events: serde_json::json!({ BACKCHANNEL_EVENT: {} }),
        };
        let token = match jwt::sign(
            &provider.keys.current(),
            SigningAlg::Rs256,
            "logout+jwt",
            &claims,
            issued_at,
        ) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "cannot sign a logout token");
                continue;
            }
        };
        let client_id = client.id.clone();
        let ca = provider.config().server.upstream_ca.clone();
        tokio::spawn(deliver(uri, token, client_id, ca));
    }
    Ok(())
}

/// Ends every provider session of user `sub` (log out everywhere, a password reset); returns
/// how many there were.
pub async fn end_all_sessions(
    provider: &Arc<Provider>,
    sub: &str,
    address: Option<&str>,
) -> StoreResult<usize> {
    let sessions = provider.store.sessions_of(sub).await?;
    let mut ended = 0;
    for session in sessions.iter().filter(|s| s.audience == "provider") {
        end_session(provider, &session.id_hash, sub, address).await?;
        ended += 1;
    }
    Ok(ended)
}

/// Posts a logout token to a client's back-channel URI, trusting `ca` (the operator's
/// `server.upstream_ca`: apps behind the gateway may have certificates from a private CA).
async fn deliver(uri: String, token: String, client_id: String, ca: Option<std::path::PathBuf>) {
    let http = match crate::outbound::client(ca.as_deref(), Duration::from_secs(5)) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "no HTTP client for back-channel logout");
            return;
        }
    };
    for attempt in 0..ATTEMPTS {
        let sent = http
            .post(&uri)
            .form(&[("logout_token", token.as_str())])
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => return,
            Ok(r) => {
                tracing::warn!(client = %client_id, status = %r.status(), attempt, "back-channel logout refused")
            }
            Err(e) => {
                tracing::warn!(client = %client_id, error = %e, attempt, "back-channel logout not delivered")
            }
        }
        tokio::time::sleep(Duration::from_secs(1 << attempt)).await;
    }
    tracing::error!(client = %client_id, "back-channel logout given up after {ATTEMPTS} attempts");
}
