//! The known-device cookie: a browser that logged in to an account gets a sealed cookie naming
//! the account and a random device id, so that its later attempts are counted apart from an
//! attacker's (`account::login::Origin`). It proves nothing by itself: the password is still
//! asked, and it is only ever set after a correct one.

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

use crate::provider::Provider;

pub const COOKIE: &str = "__Host-gerbang-device";
/// How long a device stays known after its last login.
const LIFETIME_SECS: u64 = 180 * 24 * 3600;

#[derive(Serialize, Deserialize)]
struct KnownDevice {
    /// The account it logged in to.
    user: String,
    device: String,
}

/// The device id of this browser if it logged in to `user_id` before.
pub fn known_to(p: &Provider, headers: &HeaderMap, user_id: &str) -> Option<String> {
    let sealed = super::cookie(headers, COOKIE)?;
    let known: KnownDevice = serde_json::from_slice(&p.devices.open(sealed)?).ok()?;
    (known.user == user_id).then_some(known.device)
}

/// The `Set-Cookie` that makes this browser known to `user_id` (keeping its id if it had one).
pub fn cookie(p: &Provider, user_id: &str, device: Option<String>) -> String {
    let device = device.unwrap_or_else(|| {
        let bytes: [u8; 16] = rand::random();
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    });
    let known = KnownDevice {
        user: user_id.to_string(),
        device,
    };
    let sealed = p
        .devices
        .seal(&serde_json::to_vec(&known).unwrap_or_default());
    format!("{COOKIE}={sealed}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={LIFETIME_SECS}")
}
