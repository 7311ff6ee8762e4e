//! Credentials already checked, remembered so that a client sending the same one on every
//! request pays the expensive check once: a bearer token's signature (an RS256 verification),
//! a session cookie's seal (AES-GCM and JSON). The key is the credential exactly as sent, so
//! only a value that passed the check is ever found; what can change while it is remembered
//! (expiry, revocation, the route's rules) is still checked by the caller on every request.

use std::collections::HashMap;
use std::hash::{BuildHasher, DefaultHasher, Hasher, RandomState};
use std::sync::{Arc, RwLock};

/// At most this many credentials are remembered; when full, the expired ones go, and if none
/// has expired the memory starts again (a flood of distinct credentials costs checks, never
/// memory).
pub const CAPACITY: usize = 10_000;

/// What a remembered credential says about its own end.
pub trait Expiring {
    /// Seconds since the Unix epoch after which it is worthless.
    fn expires_at(&self) -> u64;
}

pub struct Remembered<T> {
    entries: RwLock<HashMap<Box<str>, Arc<T>, TailHash>>,
}

/// How many bytes at the end of a credential are hashed.
const HASHED_TAIL: usize = 32;

/// Hashes a remembered credential by its last [`HASHED_TAIL`] bytes only, with the standard
/// library's keyed SipHash; credentials whose hashes agree are still compared whole. A sealed
/// cookie ends in its AES-GCM tag and a token in its signature, so the tail is what differs
/// between credentials, and no client can choose it for a credential that passed its check
/// (only those are stored, so colliding entries cannot be planted). Hashing a session cookie
/// whole cost about 1,300 instructions on every request; its tail, about 100.
#[derive(Default)]
struct TailHash(RandomState);

impl BuildHasher for TailHash {
    type Hasher = Tail;

    fn build_hasher(&self) -> Tail {
        Tail(self.0.build_hasher())
    }
}

struct Tail(DefaultHasher);

impl Hasher for Tail {
    fn write(&mut self, bytes: &[u8]) {
        self.0
            .write(&bytes[bytes.len().saturating_sub(HASHED_TAIL)..]);
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

impl<T> Default for Remembered<T> {
    fn default() -> Self {
        Remembered {
            entries: RwLock::new(HashMap::default()),
        }
    }
}

impl<T: Expiring> Remembered<T> {
    /// What `credential` gave when it was checked before.
    pub fn get(&self, credential: &str) -> Option<Arc<T>> {
        self.entries.read().ok()?.get(credential).cloned()
    }

    /// Remembers what a credential that passed its check gives.
    pub fn insert(&self, credential: &str, value: Arc<T>, now: u64) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.len() >= CAPACITY {
            entries.retain(|_, v| v.expires_at() > now);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(credential.into(), value);
    }

    /// The remembered value of `credential`, or `check(credential)` remembered.
    pub fn get_or_check(
        &self,
        credential: &str,
        now: u64,
        check: impl FnOnce(&str) -> Option<T>,
    ) -> Option<Arc<T>> {
        if let Some(value) = self.get(credential) {
            return Some(value);
        }
        let value = Arc::new(check(credential)?);
        self.insert(credential, Arc::clone(&value), now);
        Some(value)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().map_or(0, |e| e.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Until(u64);

    impl Expiring for Until {
        fn expires_at(&self) -> u64 {
            self.0
        }
    }

    #[test]
    fn bounded_keeping_only_what_passed_its_check() {
        let cache = Remembered::<Until>::default();
        assert!(cache.get("c0").is_none());
        assert!(cache.get_or_check("bad", 100, |_| None).is_none());
        assert!(
            cache.get("bad").is_none(),
            "a failed check is not remembered"
        );
        for n in 0..CAPACITY + 5 {
            let until = if n < 10 { 50 } else { 500 };
            cache.insert(&format!("c{n}"), Arc::new(Until(until)), 100);
        }
        assert!(cache.len() <= CAPACITY, "{}", cache.len());
        assert_eq!(cache.get(&format!("c{}", CAPACITY + 4)).unwrap().0, 500);
        assert!(cache.get("c0").is_none(), "expired ones went first");
        let mut checks = 0;
        for _ in 0..3 {
            cache.get_or_check("again", 100, |_| {
                checks += 1;
                Some(Until(500))
            });
        }
        assert_eq!(checks, 1, "checked once, then remembered");
    }

    #[test]
    fn credentials_with_the_same_tail_are_told_apart() {
        let cache = Remembered::<Until>::default();
        let tail = "t".repeat(HASHED_TAIL);
        let (one, two) = (format!("one.{tail}"), format!("two.{tail}"));
        cache.insert(&one, Arc::new(Until(1)), 0);
        cache.insert(&two, Arc::new(Until(2)), 0);
        assert_eq!(cache.get(&one).unwrap().0, 1);
        assert_eq!(cache.get(&two).unwrap().0, 2);
        assert!(cache.get(&format!("six.{tail}")).is_none());
        assert!(cache.get(&tail).is_none());
        let hashes = TailHash::default();
        assert_eq!(hashes.hash_one(one.as_str()), hashes.hash_one(two.as_str()));
        assert_ne!(hashes.hash_one("short"), hashes.hash_one("shorT"));
    }
}
