//! The access line: one per request, in the layout `tracing`'s formatter gives every other line
//! (human `key=value` or JSON), written straight into the access lines waiting in memory
//! ([`logging::access_line`]). Formatted through `tracing`, field by field, it cost about
//! 11,000 instructions per request, more than the rest of the gateway's own work on a request
//! (`docs/benchmarks.md`); written here, a few hundred. The unit tests hold both layouts to what
//! `tracing` itself writes for the same event.

use chrono::{DateTime, Datelike as _, Timelike as _, Utc};

use crate::logging::{self, LogFormat, ACCESS_TARGET};

/// What one request's access line says. The path only: queries may carry codes or tokens.
#[derive(Debug)]
pub struct AccessLine<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub route: &'a str,
    pub micros: u64,
    pub error: Option<&'a str>,
}

impl AccessLine<'_> {
    /// Logs the line, unless `GERBANG_LOG` leaves access lines out.
    pub fn log(&self) {
        if tracing::enabled!(target: ACCESS_TARGET, tracing::Level::INFO) {
            let (format, now) = (logging::format(), Utc::now());
            logging::access_line(|out| self.write(format, now, out));
        }
    }

    fn write(&self, format: LogFormat, at: DateTime<Utc>, out: &mut Vec<u8>) {
        let fields = self.fields().into_iter().flatten();
        match format {
            // `2026-12-01T21:28:53.612883Z  INFO gerbang::access: request_id=… method=GET …`
            LogFormat::Human => {
                timestamp(at, out);
                out.extend_from_slice(b"  INFO ");
                out.extend_from_slice(ACCESS_TARGET.as_bytes());
                out.push(b':');
                for (name, value) in fields {
                    out.push(b' ');
                    out.extend_from_slice(name.as_bytes());
                    out.push(b'=');
                    match value {
                        Value::Shown(text) => out.extend_from_slice(text.as_bytes()),
                        Value::Text(text) => debug_quoted(text, out),
                        Value::Number(n) => number(n, out),
                    }
                }
                out.push(b'\n');
            }
            // `{"timestamp":"…","level":"INFO","fields":{…},"target":"gerbang::access"}`, the
            // fields in the order they are recorded (`serde_json` keeps it in this build).
            LogFormat::Json => {
                out.extend_from_slice(b"{\"timestamp\":\"");
                timestamp(at, out);
                out.extend_from_slice(b"\",\"level\":\"INFO\",\"fields\":{");
                for (n, (name, value)) in fields.enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    json_string(name, out);
                    out.push(b':');
                    match value {
                        Value::Shown(text) | Value::Text(text) => json_string(text, out),
                        Value::Number(n) => number(n, out),
                    }
                }
                out.extend_from_slice(b"},\"target\":");
                json_string(ACCESS_TARGET, out);
                out.extend_from_slice(b"}\n");
            }
        }
    }

    /// The fields in the order the line gives them; `None` for one left out.
    fn fields(&self) -> [Option<(&'static str, Value<'_>)>; 8] {
        [
            Some(("request_id", Value::Shown(self.request_id))),
            Some(("method", Value::Shown(self.method))),
            Some(("host", Value::Text(self.host))),
            Some(("path", Value::Text(self.path))),
            Some(("status", Value::Number(self.status.into()))),
            Some(("route", Value::Text(self.route))),
            Some(("micros", Value::Number(self.micros))),
            self.error.map(|error| ("error", Value::Text(error))),
        ]
    }
}

/// How a field is written: as `tracing` records a displayed value (`%`), a string, a number.
enum Value<'a> {
    Shown(&'a str),
    Text(&'a str),
    Number(u64),
}

/// RFC 3339 in UTC with microseconds, as `tracing`'s default timer writes it. The date and time
/// to the second are written once a second (per thread) and copied for every line within it.
fn timestamp(at: DateTime<Utc>, out: &mut Vec<u8>) {
    thread_local! {
        static SECOND: std::cell::Cell<(i64, [u8; 19])> =
            const { std::cell::Cell::new((i64::MIN, [0; 19])) };
    }
    let second = at.timestamp();
    let text = SECOND.with(|cached| match cached.get() {
        (written, text) if written == second => text,
        _ => {
            let text = to_the_second(at);
            cached.set((second, text));
            text
        }
    });
    let mut micros = *b".000000Z";
    // A leap second's nanoseconds run past 1e9; tracing shows them as the last microsecond.
    put_digits(&mut micros[1..7], (at.nanosecond() / 1_000).min(999_999));
    out.extend_from_slice(&text);
    out.extend_from_slice(&micros);
}

/// `2026-12-01T21:28:53`: the date and the time to the second.
fn to_the_second(at: DateTime<Utc>) -> [u8; 19] {
    let mut text = *b"0000-00-00T00:00:00";
    put_digits(&mut text[0..4], at.year().unsigned_abs());
    put_digits(&mut text[5..7], at.month());
    put_digits(&mut text[8..10], at.day());
    put_digits(&mut text[11..13], at.hour());
    put_digits(&mut text[14..16], at.minute());
    put_digits(&mut text[17..19], at.second());
    text
}

/// Fills `place` with the last `place.len()` decimal digits of `value`, zero-padded.
fn put_digits(place: &mut [u8], mut value: u32) {
    for digit in place.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

fn number(value: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
}

/// `text` as `{:?}` writes it; without the formatting machinery when nothing needs escaping.
fn debug_quoted(text: &str, out: &mut Vec<u8>) {
    if text
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
    {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        use std::io::Write as _;
        let _ = write!(out, "{text:?}");
    }
}

/// `text` as a JSON string, as `serde_json` writes it (only `"`, `\` and control characters
/// are escaped).
fn json_string(text: &str, out: &mut Vec<u8>) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, text);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use chrono::TimeZone as _;
    use tracing_subscriber::fmt::format::Writer;
    use tracing_subscriber::fmt::time::FormatTime;

    use super::*;

    /// A clock stopped at one instant, for `tracing`'s formatter.
    struct Stopped(DateTime<Utc>);

    impl FormatTime for Stopped {
        fn format_time(&self, w: &mut Writer<'_>) -> std::fmt::Result {
            // What `tracing`'s default timer writes (RFC 3339, UTC, microseconds).
            write!(w, "{}", self.0.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
        }
    }

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What `tracing`'s own formatter writes for `line` (the event the gateway logged before).
    fn by_tracing(line: &AccessLine<'_>, format: LogFormat, at: DateTime<Utc>) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let builder = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_timer(Stopped(at))
            .with_writer(move || writer.clone());
        let event = || {
            tracing::info!(
                target: ACCESS_TARGET,
                request_id = %line.request_id,
                method = %line.method,
                host = line.host,
                path = line.path,
                status = line.status,
                route = line.route,
                micros = line.micros,
                error = line.error,
            )
        };
        match format {
            LogFormat::Human => tracing::subscriber::with_default(builder.finish(), event),
            LogFormat::Json => tracing::subscriber::with_default(builder.json().finish(), event),
        }
        let text = captured.0.lock().unwrap().clone();
        String::from_utf8(text).unwrap()
    }

    fn ours(line: &AccessLine<'_>, format: LogFormat, at: DateTime<Utc>) -> String {
        let mut out = Vec::new();
        line.write(format, at, &mut out);
        String::from_utf8(out).unwrap()
    }

    fn line<'a>(host: &'a str, path: &'a str, error: Option<&'a str>) -> AccessLine<'a> {
        AccessLine {
            request_id: "8083cc0bac32d6b65a942ef6726aa86b",
            method: "GET",
            host,
            path,
            status: 200,
            route: "open",
            micros: 256_502,
            error,
        }
    }

    #[test]
    fn both_layouts_are_byte_for_byte_what_tracing_writes() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 21, 28, 3).unwrap()
            + chrono::Duration::microseconds(12_883);
        let odd = "tamu \"lama\" \\ é\t\u{7}\u{200b}";
        let cases = [
            line("open.test", "/x", None),
            line(
                "open.test:8443",
                "/path/with spaces",
                Some("ConnectTimedout"),
            ),
            line(odd, odd, Some(odd)),
            line("", "/", None),
        ];
        for case in &cases {
            for format in [LogFormat::Human, LogFormat::Json] {
                assert_eq!(
                    ours(case, format, at),
                    by_tracing(case, format, at),
                    "{format:?} {case:?}"
                );
            }
        }
    }

    #[test]
    fn timestamps_pad_every_part() {
        let at =
            Utc.with_ymd_and_hms(987, 1, 2, 3, 4, 5).unwrap() + chrono::Duration::microseconds(7);
        let mut out = Vec::new();
        timestamp(at, &mut out);
        assert_eq!(out, b"0987-01-02T03:04:05.000007Z");
        // Within the second the date is copied; the next second writes it anew.
        for (later, text) in [
            (
                chrono::Duration::microseconds(999_990),
                "0987-01-02T03:04:05.999997Z",
            ),
            (chrono::Duration::seconds(1), "0987-01-02T03:04:06.000007Z"),
            (chrono::Duration::days(1), "0987-01-03T03:04:05.000007Z"),
        ] {
            let mut out = Vec::new();
            timestamp(at + later, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), text);
        }
    }
}
