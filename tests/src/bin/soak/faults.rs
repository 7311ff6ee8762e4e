//! The fault schedule and its record: what failed, from when to when, so that a failed request
//! can be told apart as explained by a fault or not.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gerbang_tests::cluster::Cluster;
use gerbang_tests::smtp::SmtpServer;
use gerbang_tests::{App, Gerbang};

/// What the schedule does, in this order, one step every [`STEP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The upstream app stops for [`UPSTREAM_DOWN`], then starts again on its address.
    UpstreamStopped,
    /// The SMTP server stops for [`MAIL_DOWN`]: mail waits in the outbox.
    MailStopped,
    /// PostgreSQL is restarted in immediate mode (a crash of the database).
    DatabaseRestarted,
    /// SIGHUP: the configuration is read again.
    Reloaded,
    /// `gerbang keys rotate`, through the admin socket.
    KeyRotated,
    /// SIGQUIT to the old process after a new one took its sockets over.
    Upgraded,
}

pub const SCHEDULE: [Fault; 6] = [
    Fault::UpstreamStopped,
    Fault::MailStopped,
    Fault::DatabaseRestarted,
    Fault::Reloaded,
    Fault::KeyRotated,
    Fault::Upgraded,
];

const STEP: Duration = Duration::from_secs(8);
const UPSTREAM_DOWN: Duration = Duration::from_secs(5);
const MAIL_DOWN: Duration = Duration::from_secs(10);
/// A request that ended this long after a fault ended may still have met it (a pool's broken
/// connection found on its next use, a balancer's back-off).
const GRACE: Duration = Duration::from_secs(2);

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Fault::UpstreamStopped => "upstream stopped",
            Fault::MailStopped => "SMTP server stopped",
            Fault::DatabaseRestarted => "PostgreSQL restarted",
            Fault::Reloaded => "configuration reloaded",
            Fault::KeyRotated => "signing key rotated",
            Fault::Upgraded => "process upgraded",
        }
    }
}

/// When each fault happened.
#[derive(Default)]
pub struct Faults {
    windows: Mutex<Vec<(Fault, Instant, Option<Instant>)>>,
    /// Steps the schedule could not take (an operator's command that failed).
    pub failed_steps: Mutex<Vec<String>>,
}

impl Faults {
    fn begin(&self, fault: Fault) -> usize {
        let mut windows = self.windows.lock().unwrap();
        windows.push((fault, Instant::now(), None));
        windows.len() - 1
    }

    fn end(&self, index: usize) {
        self.windows.lock().unwrap()[index].2 = Some(Instant::now());
    }

    /// Whether one of `faults` was under way (or had just ended) while a request ran from
    /// `started` to `ended`.
    pub fn explain(&self, faults: &[Fault], started: Instant, ended: Instant) -> bool {
        self.windows
            .lock()
            .unwrap()
            .iter()
            .any(|(fault, from, to)| {
                faults.contains(fault)
                    && *from <= ended
                    && to.is_none_or(|to| to + GRACE >= started)
            })
    }

    /// Each fault's window, in seconds from `started`.
    pub fn windows(&self, started: Instant) -> Vec<(Fault, f64, f64)> {
        let seconds = |at: Instant| (at - started).as_secs_f64();
        let windows = self.windows.lock().unwrap();
        windows
            .iter()
            .map(|(f, from, to)| (*f, seconds(*from), to.map_or(f64::NAN, seconds)))
            .collect()
    }

    /// How many times each fault happened.
    pub fn counts(&self) -> Vec<(Fault, usize)> {
        let windows = self.windows.lock().unwrap();
        SCHEDULE
            .iter()
            .map(|f| (*f, windows.iter().filter(|(w, _, _)| w == f).count()))
            .collect()
    }
}

/// What the schedule acts on.
pub struct Parts {
    pub gw: Gerbang,
    pub app: Option<App>,
    pub app_address: String,
    pub smtp: SmtpServer,
    pub cluster: Cluster,
    /// The serving process, which an upgrade replaces.
    pub pid: Arc<AtomicU32>,
}

/// Runs the schedule, one step every [`STEP`], round after round until `until`.
pub async fn run(parts: &mut Parts, faults: &Faults, until: Instant) {
    for fault in SCHEDULE.iter().cycle() {
        tokio::time::sleep(STEP).await;
        if Instant::now() >= until {
            return;
        }
        let window = faults.begin(*fault);
        if let Err(e) = apply(parts, *fault).await {
            faults
                .failed_steps
                .lock()
                .unwrap()
                .push(format!("{}: {e}", fault.name()));
        }
        faults.end(window);
    }
}

async fn apply(parts: &mut Parts, fault: Fault) -> Result<(), String> {
    match fault {
        Fault::UpstreamStopped => {
            if let Some(app) = parts.app.take() {
                app.stop().await;
            }
            tokio::time::sleep(UPSTREAM_DOWN).await;
            parts.app = Some(App::start_on("perizinan", &parts.app_address).await);
        }
        Fault::MailStopped => {
            parts.smtp.stop();
            tokio::time::sleep(MAIL_DOWN).await;
            parts.smtp.resume().await;
        }
        Fault::DatabaseRestarted => {
            tokio::task::block_in_place(|| parts.cluster.restart());
        }
        Fault::Reloaded => parts.gw.signal("HUP"),
        Fault::KeyRotated => {
            let args = ["keys", "rotate", "--delay-secs", "15", "--reason", "soak"];
            let (ok, _, err) = tokio::task::block_in_place(|| parts.gw.admin(&args, ""));
            if !ok {
                return Err(err);
            }
        }
        Fault::Upgraded => {
            parts.gw.upgrade().await;
            parts.pid.store(parts.gw.pid(), Ordering::Relaxed);
        }
    }
    Ok(())
}
