//! Brute-force limits for logins: per account, whatever spelling of it was typed (user name or
//! e-mail resolve to the same account), and per client address. Locks expire with their window,
//! so an attacker cannot lock an account forever.

use std::time::Duration;

use crate::store::{CounterStore, StoreResult, Timestamp};

/// Failures of one account in one window before it is locked for the rest of it.
pub const ACCOUNT_FAILURES: u64 = 5;
pub const ACCOUNT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Attempts from one address per minute.
pub const ADDRESS_ATTEMPTS: u64 = 30;
pub const ADDRESS_WINDOW: Duration = Duration::from_secs(60);

/// The counter key of an account: its id when it exists, else the folded name typed, so
/// unknown names are limited the same way (and answer the same).
pub fn account_key(user_id: Option<&str>, typed: &str) -> String {
    match user_id {
        Some(id) => format!("login:account:{id}"),
        None => format!("login:name:{}", typed.trim().to_lowercase()),
    }
}

/// Counts an attempt from `address`; true when it is over the limit.
pub async fn address_over_limit(
    store: &dyn CounterStore,
    address: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    Ok(store
        .hit(&format!("login:address:{address}"), ADDRESS_WINDOW, now)
        .await?
        > ADDRESS_ATTEMPTS)
}

pub async fn account_locked(
    store: &dyn CounterStore,
    key: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    Ok(store.count(key, ACCOUNT_WINDOW, now).await? >= ACCOUNT_FAILURES)
}

pub async fn record_failure(
    store: &dyn CounterStore,
    key: &str,
    now: Timestamp,
) -> StoreResult<()> {
    store.hit(key, ACCOUNT_WINDOW, now).await.map(|_| ())
}

pub async fn record_success(store: &dyn CounterStore, key: &str) -> StoreResult<()> {
    store.reset(key).await
}
