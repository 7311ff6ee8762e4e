//! Brute-force limits for logins: per account, whatever spelling of it was typed (user name or
//! e-mail resolve to the same account), with an exponential back-off after repeated failures,
//! and per client address. Locks are records that expire.
//!
//! A lock must not become a way to keep the owner out (one wrong password per lock period from
//! anywhere would): failures are counted and locked per *origin* of the attempt, as Kanidm's
//! soft lock and Keycloak's temporary lockout do. A device that logged in to the account before
//! (it holds a sealed device cookie naming the account) has its own count, which no one else's
//! failures touch. An unknown device is counted by its address (IPv6 by /64), so an attacker
//! locks only the addresses they use, with a back-off that grows there; and all unknown devices
//! together share a count with [`UNKNOWN_DEVICES_FACTOR`] times the threshold, which bounds a
//! guessing attack spread over many addresses. The price: during such an attack the owner on a
//! new device waits for the shared lock to run out, while on a device they used before they
//! get in at once (docs/architecture.md, "Login").

use std::time::Duration;

use gerbang_config::Login;

use crate::store::{CounterStore, OneTimeKind, OneTimeStore, StoreResult, Timestamp};

/// Failures are counted over this window (and reset by a success).
const FAILURE_WINDOW: Duration = Duration::from_secs(24 * 3600);
const ADDRESS_WINDOW: Duration = Duration::from_secs(60);

/// The counter key of an account: its id when it exists, else a digest of the folded name
/// typed, so unknown names are limited the same way (and answer the same) and a name of any
/// length takes the same few bytes in the store.
pub fn account_key(user_id: Option<&str>, typed: &str) -> String {
    use sha2::Digest;
    match user_id {
        Some(id) => format!("login:account:{id}"),
        None => {
            let digest = sha2::Sha256::digest(typed.trim().to_lowercase().as_bytes());
            let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
            format!("login:name:{hex}")
        }
    }
}

/// All unknown devices of an account together may fail this many times the per-origin threshold
/// before they are locked too.
pub const UNKNOWN_DEVICES_FACTOR: u64 = 10;

/// Where a login attempt comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin<'a> {
    /// A device that logged in to this account before: its id, from its device cookie.
    KnownDevice(&'a str),
    /// Any other device, at this client address.
    Address(&'a str),
}

/// The counters an attempt is checked against and counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockKeys {
    /// The origin's own count.
    own: String,
    /// The count all unknown devices of the account share (none for a known device).
    unknown_devices: Option<String>,
}

impl LockKeys {
    /// The keys of an attempt on `account` (see [`account_key`]) from `origin`.
    pub fn new(account: &str, origin: Origin<'_>) -> LockKeys {
        match origin {
            Origin::KnownDevice(device) => LockKeys {
                own: format!("{account}:device:{device}"),
                unknown_devices: None,
            },
            Origin::Address(address) => LockKeys {
                own: format!("{account}:from:{}", address_bucket(address)),
                unknown_devices: Some(format!("{account}:unknown-devices")),
            },
        }
    }

    fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.own.as_str()).chain(self.unknown_devices.as_deref())
    }
}

/// How long an account is locked after its `failures`-th consecutive failure: nothing before
/// `max_failures`, then `base`, doubling, at most `cap`.
pub fn lock_duration(policy: &Login, failures: u64) -> Option<Duration> {
    let over = failures.checked_sub(policy.max_failures)?;
    let factor = 1u64.checked_shl(over.min(32) as u32).unwrap_or(u64::MAX);
    let secs = policy.backoff_base.as_secs().saturating_mul(factor);
    Some(Duration::from_secs(secs.min(policy.backoff_cap.as_secs())))
}

/// The client a per-address limit counts: an IPv4 address itself, an IPv6 address by its /64
/// (one subscriber's network: a host there can take any of 2^64 addresses, so counting them
/// one by one would be no limit at all).
pub fn address_bucket(address: &str) -> std::borrow::Cow<'_, str> {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3]).into()
        }
        Ok(std::net::IpAddr::V6(v6)) => v6
            .to_ipv4_mapped()
            .map_or(address.into(), |v4| v4.to_string().into()),
        _ => address.into(),
    }
}

/// Counts an attempt from `address`; true when it is over the limit.
pub async fn address_over_limit(
    store: &dyn CounterStore,
    policy: &Login,
    address: &str,
    now: Timestamp,
) -> StoreResult<bool> {
    Ok(store
        .hit(
            &format!("login:address:{}", address_bucket(address)),
            ADDRESS_WINDOW,
            now,
        )
        .await?
        > policy.attempts_per_address_per_minute)
}

/// Whether an attempt with these keys is locked out: its origin's own lock, or for an unknown
/// device the lock all unknown devices share.
pub async fn locked(
    store: &dyn OneTimeStore,
    keys: &LockKeys,
    now: Timestamp,
) -> StoreResult<bool> {
    for key in keys.all() {
        if store
            .peek_once(OneTimeKind::LoginLock, key, now)
            .await?
            .is_some()
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Counts a failure under each key and locks what the policy says: the origin at its
/// threshold, all unknown devices at [`UNKNOWN_DEVICES_FACTOR`] times it.
pub async fn record_failure<S: CounterStore + OneTimeStore + ?Sized>(
    store: &S,
    policy: &Login,
    keys: &LockKeys,
    now: Timestamp,
) -> StoreResult<()> {
    let shared = Login {
        max_failures: policy.max_failures.saturating_mul(UNKNOWN_DEVICES_FACTOR),
        ..*policy
    };
    let counted = [
        (Some(keys.own.as_str()), policy),
        (keys.unknown_devices.as_deref(), &shared),
    ];
    for (key, policy) in counted {
        let Some(key) = key else { continue };
        let failures = store.hit(key, FAILURE_WINDOW, now).await?;
        if let Some(lock) = lock_duration(policy, failures) {
            store
                .put_once(
                    OneTimeKind::LoginLock,
                    key,
                    b"",
                    now + lock.as_secs().max(1),
                )
                .await?;
        }
    }
    Ok(())
}

/// A success clears the counts it was checked against.
pub async fn record_success(store: &dyn CounterStore, keys: &LockKeys) -> StoreResult<()> {
    for key in keys.all() {
        store.reset(key).await?;
    }
    Ok(())
}

/// Where a lock on an account holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockedOrigin {
    /// One device that logged in before.
    KnownDevice,
    /// New devices at one address (IPv6: its /64).
    Address(String),
    /// Every new device: the shared count ran over.
    NewDevices,
}

/// A lock on an account: where it holds, and when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountLock {
    pub origin: LockedOrigin,
    pub until: Timestamp,
}

/// The keys of every lock of the account `user_id` start so.
fn locks_prefix(user_id: &str) -> String {
    format!("{}:", account_key(Some(user_id), ""))
}

/// The locks holding on the account `user_id` at `now`, soonest key first (what the helpdesk
/// sees when someone calls).
pub async fn locks_of(
    store: &dyn OneTimeStore,
    user_id: &str,
    now: Timestamp,
) -> StoreResult<Vec<AccountLock>> {
    let prefix = locks_prefix(user_id);
    let live = store
        .live_with_prefix(OneTimeKind::LoginLock, &prefix, now)
        .await?;
    Ok(live
        .into_iter()
        .map(|(key, until)| {
            let origin = match key[prefix.len()..].split_once(':') {
                Some(("from", address)) => LockedOrigin::Address(address.to_string()),
                Some(("device", _)) => LockedOrigin::KnownDevice,
                _ => LockedOrigin::NewDevices,
            };
            AccountLock { origin, until }
        })
        .collect())
}

/// Lifts every lock of the account `user_id` and clears the failures that led to them, so the
/// next wrong password starts a new count; returns how many locks there were.
pub async fn unlock<S: CounterStore + OneTimeStore + ?Sized>(
    store: &S,
    user_id: &str,
    now: Timestamp,
) -> StoreResult<usize> {
    let live = store
        .live_with_prefix(OneTimeKind::LoginLock, &locks_prefix(user_id), now)
        .await?;
    for (key, _) in &live {
        store.take_once(OneTimeKind::LoginLock, key, now).await?;
        store.reset(key).await?;
    }
    Ok(live.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_take_a_bounded_key_whatever_their_length() {
        let long = "x".repeat(1_000_000);
        let key = account_key(None, &long);
        assert_eq!(key.len(), "login:name:".len() + 32);
        assert_eq!(account_key(None, " Budi "), account_key(None, "budi"));
        assert_ne!(account_key(None, "budi"), account_key(None, "badu"));
        assert_eq!(account_key(Some("u1"), &long), "login:account:u1");
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        assert_eq!(address_bucket("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            address_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            address_bucket("2001:db8:1:2::7")
        );
        assert_ne!(
            address_bucket("2001:db8:1:3::1"),
            address_bucket("2001:db8:1:2::1")
        );
        assert_eq!(address_bucket("198.51.100.7"), "198.51.100.7");
        assert_eq!(address_bucket("::ffff:198.51.100.7"), "198.51.100.7");
        assert_eq!(address_bucket("unknown"), "unknown");
    }

    #[test]
    fn a_known_device_has_its_own_count_and_unknown_ones_count_by_address() {
        let account = account_key(Some("u1"), "budi");
        let known = LockKeys::new(&account, Origin::KnownDevice("d1"));
        assert_eq!(
            known.all().collect::<Vec<_>>(),
            ["login:account:u1:device:d1"]
        );
        let unknown = LockKeys::new(&account, Origin::Address("2001:db8:1:2::9"));
        assert_eq!(
            unknown.all().collect::<Vec<_>>(),
            [
                "login:account:u1:from:2001:db8:1:2::/64",
                "login:account:u1:unknown-devices"
            ]
        );
    }

    #[test]
    fn back_off_doubles_up_to_the_cap() {
        let policy = Login {
            max_failures: 3,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(900),
            attempts_per_address_per_minute: 30,
            password_workers: 1,
        };
        let secs = |n| lock_duration(&policy, n).map(|d| d.as_secs());
        assert_eq!(secs(2), None);
        assert_eq!(secs(3), Some(1));
        assert_eq!(secs(4), Some(2));
        assert_eq!(secs(6), Some(8));
        assert_eq!(secs(13), Some(900), "capped");
        assert_eq!(secs(500), Some(900), "no overflow");
    }

    #[tokio::test]
    async fn locks_are_listed_where_they_hold_and_lifted_with_their_counts() {
        use crate::store::SledStore;
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let policy = Login {
            max_failures: 2,
            backoff_base: Duration::from_secs(60),
            backoff_cap: Duration::from_secs(900),
            attempts_per_address_per_minute: 30,
            password_workers: 1,
        };
        let account = account_key(Some("u1"), "budi");
        let from = LockKeys::new(&account, Origin::Address("198.51.100.7"));
        let device = LockKeys::new(&account, Origin::KnownDevice("d1"));
        let other = LockKeys::new(&account_key(Some("u2"), "x"), Origin::KnownDevice("d1"));
        for keys in [&from, &from, &device, &device, &other, &other] {
            record_failure(&store, &policy, keys, 1_000).await.unwrap();
        }
        let locks = locks_of(&store, "u1", 1_000).await.unwrap();
        let device_lock = AccountLock {
            origin: LockedOrigin::KnownDevice,
            until: 1_060,
        };
        let address_lock = AccountLock {
            origin: LockedOrigin::Address("198.51.100.7".into()),
            until: 1_060,
        };
        assert_eq!(locks, [device_lock, address_lock]);
        assert!(
            locks_of(&store, "u1", 1_060).await.unwrap().is_empty(),
            "ended"
        );

        assert_eq!(unlock(&store, "u1", 1_001).await.unwrap(), 2);
        assert!(!locked(&store, &from, 1_001).await.unwrap());
        assert!(!locked(&store, &device, 1_001).await.unwrap());
        assert!(locked(&store, &other, 1_001).await.unwrap(), "only u1's");
        // The count starts again: one more failure is not yet a lock.
        record_failure(&store, &policy, &from, 1_002).await.unwrap();
        assert!(!locked(&store, &from, 1_002).await.unwrap());
    }
}
