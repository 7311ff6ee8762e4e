//! The public keys of `private_key_jwt` clients, fetched from their `jwks_uri` and kept a few
//! minutes, and an assertion checked against them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use openidconnect::core::CoreJsonWebKeySet;

use crate::clock::Timestamp;
use crate::protocol::client_assertion::{self, AssertionError, Checked};

/// How long fetched keys are used before they are fetched again.
const FRESH_FOR: Duration = Duration::from_secs(300);
/// A signature no cached key verifies fetches the keys again (the client may have rotated),
/// but not more often than this: a stream of bad assertions cannot make Gerbang hammer it.
const REFETCH_AFTER: Duration = Duration::from_secs(10);
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A JWK set bigger than this is not read.
const MAX_JWKS_BYTES: usize = 64 * 1024;

#[derive(Default)]
pub struct ClientKeys {
    fetched: Mutex<HashMap<String, (Instant, Arc<CoreJsonWebKeySet>)>>,
}

impl ClientKeys {
    fn cached(&self, uri: &str) -> Option<(Instant, Arc<CoreJsonWebKeySet>)> {
        let fetched = self.fetched.lock().ok()?;
        fetched.get(uri).cloned()
    }

    async fn fetch(
        &self,
        uri: &str,
        ca: Option<&std::path::Path>,
    ) -> Result<Arc<CoreJsonWebKeySet>, String> {
        let http = crate::outbound::client(ca, FETCH_TIMEOUT)?;
        let response = http.get(uri).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("status {}", response.status()));
        }
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if body.len() > MAX_JWKS_BYTES {
            return Err("the JWK set is too large".into());
        }
        let keys: CoreJsonWebKeySet =
            serde_json::from_slice(&body).map_err(|e| format!("not a JWK set: {e}"))?;
        let keys = Arc::new(keys);
        if let Ok(mut fetched) = self.fetched.lock() {
            fetched.insert(uri.to_string(), (Instant::now(), Arc::clone(&keys)));
        }
        Ok(keys)
    }
}

impl ClientKeys {
    /// Checks `assertion` from client `id` against the keys at `uri` as cached, fetching them
    /// (trusting `ca` beside the system's roots) when there are none, when they are old, or
    /// (at most every few seconds) when no cached key verifies it: the client may have rotated.
    pub async fn check(
        &self,
        assertion: &str,
        id: &str,
        uri: &str,
        audiences: &[&str],
        ca: Option<&std::path::Path>,
        now: Timestamp,
    ) -> Result<Checked, String> {
        let cached = self.cached(uri).filter(|(at, _)| at.elapsed() < FRESH_FOR);
        if let Some((at, keys)) = cached {
            match client_assertion::check(assertion, id, &keys, audiences, now) {
                Err(AssertionError::BadSignature) if at.elapsed() >= REFETCH_AFTER => {}
                other => return other.map_err(|e| e.to_string()),
            }
        }
        let keys = self.fetch(uri, ca).await.map_err(|e| {
            tracing::warn!(client = id, uri, error = %e, "cannot fetch a client's keys");
            "the client's keys cannot be fetched".to_string()
        })?;
        client_assertion::check(assertion, id, &keys, audiences, now).map_err(|e| e.to_string())
    }
}
