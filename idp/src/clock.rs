//! The one clock: handlers and background tasks read it once, then pass the time down, so
//! everything below them (protocol rules, key choice, expiry) decides on the time it is given.

/// Seconds since the Unix epoch. Everything that depends on time (store calls, protocol rules)
/// takes `now` from its caller, so tests fix the clock.
pub type Timestamp = u64;

/// `at` in UTC as RFC 3339 writes it (`2026-12-06T01:02:03Z`), as logs and exports state times.
pub fn rfc3339(at: Timestamp) -> String {
    let at = i64::try_from(at)
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0));
    at.map_or_else(String::new, |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The calendar day (UTC) `at` falls on, as forms' dates are checked against it.
pub fn day_of(at: Timestamp) -> chrono::NaiveDate {
    let at = i64::try_from(at)
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0));
    at.map(|t| t.date_naive()).unwrap_or_default()
}

/// Seconds since the Unix epoch.
pub fn now() -> Timestamp {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
