//! The one clock: handlers and background tasks read it once, then pass the time down, so
//! everything below them (protocol rules, key choice, expiry) decides on the time it is given.

/// Seconds since the Unix epoch. Everything that depends on time (store calls, protocol rules)
/// takes `now` from its caller, so tests fix the clock.
pub type Timestamp = u64;

/// Seconds since the Unix epoch.
pub fn now() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
