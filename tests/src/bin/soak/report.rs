//! What the soak prints: failures per kind of request, latency and resources over time, the
//! faults, and the mail.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use gerbang_tests::smtp::SmtpServer;

use crate::clients::{Shared, KINDS};
use crate::faults::Faults;

const ACTIVATION_SUBJECT: &str = "Aktivasi akun OSS";

/// The serving process at one moment.
pub struct Sample {
    pub at: Duration,
    pub rss_mb: f64,
    pub fds: usize,
}

/// Whether every acknowledged registration's activation mail arrived, and how often.
#[derive(Default)]
pub struct MailCheck {
    acknowledged: usize,
    once: usize,
    /// Not delivered, and still in the outbox when the server stopped.
    queued: usize,
    /// Not delivered, and not in the outbox either: lost.
    missing: Vec<String>,
    /// Addresses with two activation mails of different `Message-ID`s.
    twice: Vec<String>,
    /// Copies of one message (same `Message-ID`) beyond the first: at-least-once delivery.
    resent_copies: usize,
}

/// Waits (at most `wait`) for every address in `registered` to have its activation mail, then
/// counts.
pub async fn mail(smtp: &SmtpServer, registered: &[String], wait: Duration) -> MailCheck {
    let deadline = Instant::now() + wait;
    let by_address = loop {
        let mut by_address: HashMap<String, Vec<String>> = HashMap::new();
        for m in smtp.messages() {
            if m.subject == ACTIVATION_SUBJECT {
                by_address.entry(m.to).or_default().push(m.message_id);
            }
        }
        let all = registered
            .iter()
            .all(|a| by_address.keys().any(|to| to.contains(a.as_str())));
        if all || Instant::now() >= deadline {
            break by_address;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let mut check = MailCheck {
        acknowledged: registered.len(),
        ..MailCheck::default()
    };
    for address in registered {
        let mut ids: Vec<&String> = by_address
            .iter()
            .filter(|(to, _)| to.contains(address.as_str()))
            .flat_map(|(_, ids)| ids)
            .collect();
        let copies = ids.len();
        ids.sort();
        ids.dedup();
        check.resent_copies += copies - ids.len();
        match ids.len() {
            0 => check.missing.push(address.clone()),
            1 => check.once += 1,
            _ => check.twice.push(address.clone()),
        }
    }
    check
}

impl MailCheck {
    /// Counts the missing messages that are still in the outbox (`queued`, its addresses) as
    /// queued rather than lost.
    pub fn still_queued(&mut self, queued: &std::collections::HashSet<String>) {
        let before = self.missing.len();
        self.missing.retain(|a| !queued.contains(&a.to_lowercase()));
        self.queued = before - self.missing.len();
    }
}

/// The 99th percentile of `times`, in milliseconds.
fn p99(times: &mut [Duration]) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    times.sort();
    let at = (times.len() * 99).div_ceil(100).saturating_sub(1);
    times[at].as_secs_f64() * 1000.0
}

/// The least-squares slope of `points` (seconds, value), per hour.
fn slope_per_hour(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let (mx, my) = points
        .iter()
        .fold((0.0, 0.0), |(x, y), (px, py)| (x + px / n, y + py / n));
    let (num, den) = points.iter().fold((0.0, 0.0), |(num, den), (x, y)| {
        (num + (x - mx) * (y - my), den + (x - mx) * (x - mx))
    });
    match den > 0.0 {
        true => num / den * 3600.0,
        false => 0.0,
    }
}

/// Prints the tables; says whether the run held: no failure that a fault does not explain,
/// every kind of request served, every schedule step taken, every mail delivered exactly once.
pub fn print(
    started: Instant,
    shared: &Shared,
    faults: &Faults,
    samples: &[Sample],
    mail: &MailCheck,
) -> bool {
    let tallies = shared.tallies.lock().unwrap();
    let mut held = true;
    println!("| request | served | failed, explained by a fault | failed, unexplained | p99 |");
    println!("|---|---:|---:|---:|---:|");
    let mut all_times = Vec::new();
    for kind in KINDS {
        let Some(tally) = tallies.get(&kind) else {
            println!("| {} | 0 | 0 | 0 | - |", kind.name());
            held = false;
            continue;
        };
        let mut times: Vec<Duration> = tally.times.iter().map(|(_, t)| *t).collect();
        println!(
            "| {} | {} | {} | {} | {:.1} ms |",
            kind.name(),
            tally.ok,
            tally.explained,
            tally.unexplained,
            p99(&mut times)
        );
        held &= tally.unexplained == 0 && tally.ok > 0;
        for sample in &tally.samples {
            eprintln!("soak: {}: {sample}", kind.name());
        }
        all_times.extend(tally.times.iter().map(|(end, t)| (*end - started, *t)));
    }
    let run = samples.last().map_or(Duration::ZERO, |s| s.at);
    let window = if run >= Duration::from_secs(600) {
        60
    } else {
        10
    };
    println!();
    println!("| from | requests | p99 | RSS | open descriptors |");
    println!("|---:|---:|---:|---:|---:|");
    let buckets = run.as_secs() / window + 1;
    for b in 0..buckets {
        let mut times: Vec<Duration> = all_times
            .iter()
            .filter(|(end, _)| end.as_secs() / window == b)
            .map(|(_, t)| *t)
            .collect();
        let last = samples.iter().rev().find(|s| s.at.as_secs() / window <= b);
        let (rss, fds) = last.map_or((0.0, 0), |s| (s.rss_mb, s.fds));
        println!(
            "| {} s | {} | {:.1} ms | {rss:.0} MB | {fds} |",
            b * window,
            times.len(),
            p99(&mut times)
        );
    }
    // Warm: after the first third of the run, or 5 minutes, whichever comes first.
    let warm = (run / 3).min(Duration::from_secs(300));
    let warm: Vec<&Sample> = samples.iter().filter(|s| s.at >= warm).collect();
    let rss: Vec<(f64, f64)> = warm
        .iter()
        .map(|s| (s.at.as_secs_f64(), s.rss_mb))
        .collect();
    let fds: Vec<(f64, f64)> = warm
        .iter()
        .map(|s| (s.at.as_secs_f64(), s.fds as f64))
        .collect();
    println!();
    println!(
        "After warm-up ({} samples): RSS {:+.1} MB an hour, open descriptors {:+.1} an hour.",
        warm.len(),
        slope_per_hour(&rss),
        slope_per_hour(&fds)
    );
    println!();
    let counts: Vec<String> = faults
        .counts()
        .iter()
        .map(|(fault, n)| format!("{} {n}", fault.name()))
        .collect();
    println!("Faults: {}.", counts.join(", "));
    for (fault, from, to) in faults.windows(shared.started) {
        eprintln!("soak: {} from {from:.1} s to {to:.1} s", fault.name());
    }
    let failed_steps = faults.failed_steps.lock().unwrap();
    for step in failed_steps.iter() {
        eprintln!("soak: a schedule step failed: {step}");
    }
    held &= failed_steps.is_empty();
    println!(
        "Mail: {} registrations acknowledged, {} activation mails delivered once, {} still queued when the server stopped, {} lost, {} twice (two Message-IDs), {} resent copies (same Message-ID).",
        mail.acknowledged,
        mail.once,
        mail.queued,
        mail.missing.len(),
        mail.twice.len(),
        mail.resent_copies
    );
    held &= mail.missing.is_empty() && mail.twice.is_empty() && mail.acknowledged > 0;
    held
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_and_slope() {
        let mut times: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(p99(&mut times), 99.0);
        let line: Vec<(f64, f64)> = (0..10)
            .map(|i| (i as f64 * 60.0, 40.0 + i as f64))
            .collect();
        assert!((slope_per_hour(&line) - 60.0).abs() < 1e-9);
    }
}
