//! Logs through `tracing`, with Pingora's `log` records bridged in. Human lines by default, JSON
//! lines on request; the filter comes from `GERBANG_LOG` (e.g. `info,gerbang::access=warn`).
//!
//! Access lines (one per request, [`crate::access`]) are gathered in memory and written out
//! together, every [`ACCESS_FLUSH_INTERVAL`] or once [`ACCESS_BUFFER`] bytes wait, as nginx's
//! `access_log … buffer= flush=` does: a proxied request costs no system call for its log line.
//! Every other line is written at once, after the access lines before it, so the order is kept.

use std::io::{IsTerminal as _, Write as _};
use std::sync::{Mutex, Once, OnceLock, PoisonError};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// The target of the one line each request logs (`proxy::Gateway::logging`).
pub const ACCESS_TARGET: &str = "gerbang::access";
/// How long an access line may wait in memory.
pub const ACCESS_FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// How many bytes of access lines may wait before the next line writes them out.
pub const ACCESS_BUFFER: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

pub fn init(format: LogFormat) {
    let _ = FORMAT.set(format);
    let filter = EnvFilter::try_from_env("GERBANG_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal, never into a file or the journal.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(&STDERR);
    // `try_init` also installs the `log` bridge, so Pingora's records arrive here.
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The format every line is written in (human until [`init`] says otherwise).
pub fn format() -> LogFormat {
    FORMAT.get().copied().unwrap_or(LogFormat::Human)
}

static FORMAT: OnceLock<LogFormat> = OnceLock::new();

/// Adds one access line, written by `write` into the lines waiting in memory.
pub fn access_line(write: impl FnOnce(&mut Vec<u8>)) {
    STDERR.batch(write);
}

/// Writes out the access lines still in memory (before the process ends).
pub fn flush() {
    STDERR.write_out();
}

static STDERR: Batched = Batched {
    pending: Mutex::new(Vec::new()),
    flusher: Once::new(),
    out: write_to_stderr,
};

/// Log output with access lines batched.
struct Batched {
    pending: Mutex<Vec<u8>>,
    /// Started by the first batched line, so never before `--daemon` forks.
    flusher: Once,
    /// Where lines go: standard error.
    out: fn(&[u8]),
}

impl Batched {
    fn write_out(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        self.send(&mut pending);
    }

    /// Sends `pending` out and empties it.
    fn send(&self, pending: &mut Vec<u8>) {
        if !pending.is_empty() {
            (self.out)(pending);
            pending.clear();
        }
    }

    /// Appends a line to those waiting; writes them out once [`ACCESS_BUFFER`] bytes wait.
    fn batch(&'static self, write: impl FnOnce(&mut Vec<u8>)) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        write(&mut pending);
        if pending.len() >= ACCESS_BUFFER {
            self.send(&mut pending);
        } else {
            drop(pending);
            self.start_flusher();
        }
    }

    fn start_flusher(&'static self) {
        self.flusher.call_once(|| {
            let spawned = std::thread::Builder::new()
                .name("gerbang-log".into())
                .spawn(move || loop {
                    std::thread::sleep(ACCESS_FLUSH_INTERVAL);
                    self.write_out();
                });
            if let Err(e) = spawned {
                let _ = writeln!(std::io::stderr(), "cannot start the log writer: {e}");
            }
        });
    }
}

/// A failed write loses those lines, as an unbuffered write would: logging never stops a
/// request.
fn write_to_stderr(lines: &[u8]) {
    let _ = std::io::stderr().lock().write_all(lines);
}

/// One log line's writer: the access lines waiting in memory go out first, then this line.
pub struct Line {
    sink: &'static Batched,
}

impl std::io::Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut pending = self
            .sink
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        pending.extend_from_slice(buf);
        self.sink.send(&mut pending);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for &'static Batched {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line { sink: self }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Adds `line` as an access line; `flushed` lets the sink start its flusher.
    fn access(sink: &'static Batched, line: &[u8], flushed: bool) {
        if !flushed {
            sink.flusher.call_once(|| {});
        }
        sink.batch(|pending| pending.extend_from_slice(line));
    }

    fn pending(sink: &Batched) -> usize {
        sink.pending.lock().map_or(0, |p| p.len())
    }

    #[test]
    fn access_lines_wait_and_leave_in_order() {
        static WRITTEN: Mutex<Vec<u8>> = Mutex::new(Vec::new());
        static SINK: Batched = Batched {
            pending: Mutex::new(Vec::new()),
            flusher: Once::new(),
            out: |lines| WRITTEN.lock().unwrap().extend_from_slice(lines),
        };
        access(&SINK, b"access 1\n", false);
        access(&SINK, b"access 2\n", false);
        assert_eq!(pending(&SINK), 18, "access lines wait in memory");
        assert!(WRITTEN.lock().unwrap().is_empty());
        (&SINK).make_writer().write_all(b"warning\n").unwrap();
        assert_eq!(pending(&SINK), 0);
        assert_eq!(
            *WRITTEN.lock().unwrap(),
            b"access 1\naccess 2\nwarning\n",
            "any other line writes out what waits, then itself"
        );
    }

    #[test]
    fn the_flusher_writes_out_what_waits() {
        static WRITTEN: Mutex<Vec<u8>> = Mutex::new(Vec::new());
        static SINK: Batched = Batched {
            pending: Mutex::new(Vec::new()),
            flusher: Once::new(),
            out: |lines| WRITTEN.lock().unwrap().extend_from_slice(lines),
        };
        access(&SINK, b"access\n", true);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while WRITTEN.lock().unwrap().is_empty() {
            assert!(std::time::Instant::now() < deadline, "never flushed");
            std::thread::sleep(ACCESS_FLUSH_INTERVAL / 2);
        }
        assert_eq!(*WRITTEN.lock().unwrap(), b"access\n");
        assert_eq!(pending(&SINK), 0);
    }

    #[test]
    fn a_full_buffer_is_written_by_the_line_that_fills_it() {
        static SINK: Batched = Batched {
            pending: Mutex::new(Vec::new()),
            flusher: Once::new(),
            out: |_| {},
        };
        let half = vec![b'.'; ACCESS_BUFFER / 2];
        access(&SINK, &half, false);
        assert_eq!(pending(&SINK), half.len());
        access(&SINK, &half, false);
        assert_eq!(pending(&SINK), 0);
    }
}
