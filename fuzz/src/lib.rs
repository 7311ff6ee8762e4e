//! Properties of the parsers at Gerbang's edge, one module per fuzz target (`fuzz_targets/`).
//! Each `check` takes any bytes and panics when a property fails: not only "no panic", but what
//! the parser promises (a normal path stays normal, a sealed value opens only to what was
//! sealed, a signed token's claims come back, a valid configuration re-validates the same).
//!
//! `scripts/fuzz` runs the targets with libFuzzer; `tests/replay.rs` runs every seed and every
//! input that once found a bug (`regressions/`) through the same checks on stable, in CI.

// A property that fails is a panic: that is how libFuzzer learns of it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod captcha;
pub mod config;
pub mod cookies;
pub mod forms;
pub mod forward_auth;
pub mod identity;
pub mod jwt;
pub mod path_route;

/// A target's properties over one input.
pub type Check = fn(&[u8]);

/// The targets, by name, for the replay test.
pub const TARGETS: &[(&str, Check)] = &[
    ("captcha", captcha::check),
    ("config", config::check),
    ("cookies", cookies::check),
    ("forms", forms::check),
    ("forward_auth", forward_auth::check),
    ("identity", identity::check),
    ("jwt", jwt::check),
    ("path_route", path_route::check),
];

/// The input as text, for parsers that take text (as the server does after its own UTF-8 check).
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}
