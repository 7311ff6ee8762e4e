//! Consent: a client that is not first-party gets the user's data only after the user said
//! yes to its scopes, once, remembered per user and client (for a year, or until asked again).

use crate::store::{OneTimeKind, OneTimeStore, StoreResult, Timestamp};
use crate::token::hash;

const REMEMBERED_FOR: u64 = 365 * 24 * 3600;

fn key(user_id: &str, client_id: &str) -> String {
    hash(&format!("{user_id}\u{0}{client_id}"))
}

/// Whether `user_id` already agreed to give `client_id` every scope in `scopes`.
pub async fn given(
    store: &dyn OneTimeStore,
    user_id: &str,
    client_id: &str,
    scopes: &[String],
    now: Timestamp,
) -> StoreResult<bool> {
    let Some(bytes) = store
        .peek_once(OneTimeKind::Consent, &key(user_id, client_id), now)
        .await?
    else {
        return Ok(false);
    };
    let agreed: Vec<String> = serde_json::from_slice(&bytes).unwrap_or_default();
    Ok(scopes.iter().all(|s| agreed.contains(s)))
}

pub async fn remember(
    store: &dyn OneTimeStore,
    user_id: &str,
    client_id: &str,
    scopes: &[String],
    now: Timestamp,
) -> StoreResult<()> {
    let value = serde_json::to_vec(scopes).unwrap_or_default();
    store
        .put_once(
            OneTimeKind::Consent,
            &key(user_id, client_id),
            &value,
            now + REMEMBERED_FOR,
        )
        .await
}
