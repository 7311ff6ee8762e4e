//! Counters and histograms for Prometheus, kept in atomics (no lock, no allocation on the
//! request path) and rendered in the text exposition format on the internal listener.
//!
//! Every label value comes from a fixed set: route names from the configuration, status
//! classes, audit event kinds and grant types named in the code. No user name, path or address
//! ever becomes a label.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The provider's own route: id 0 in [`Metrics::request`], the configured routes after it.
pub const PROVIDER_ROUTE: &str = "provider";

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The audit event kinds that are counted; any other kind counts as `other`.
const EVENTS: [&str; 16] = [
    "login.success",
    "login.failure",
    "login.locked",
    "logout",
    "account.registered",
    "account.registration_collision",
    "account.activated",
    "account.activation_resent",
    "account.email_changed",
    "account.phone_changed",
    "password.changed",
    "password.reset",
    "password.reset_requested",
    "token.issued",
    "token.refused",
    "token.revoked",
];

const GRANTS: [&str; 3] = ["authorization_code", "refresh_token", "client_credentials"];

pub struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }
}

impl Histogram {
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = LATENCY_BUCKETS.iter().position(|le| seconds <= *le) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (le, bucket) in LATENCY_BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels}le=\"{le}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}le=\"+Inf\"}} {count}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let labels = labels.trim_end_matches(',');
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

/// The `# HELP` and `# TYPE` lines that open a metric family.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// What one route counts.
struct Route {
    name: String,
    /// Responses by status class: 1xx … 5xx, then "none" (no response was written).
    statuses: [AtomicU64; 6],
    upstream: Histogram,
}

/// Values read when scraped rather than counted: the gateway and the store supply them.
pub struct Gauges {
    pub mail_queue: Option<usize>,
    pub sessions: Option<usize>,
    pub store_latency: Option<Duration>,
    /// Per route (in configuration order): healthy upstream addresses.
    pub healthy_upstreams: Vec<(String, usize)>,
}

pub struct Metrics {
    routes: Vec<Route>,
    events: [AtomicU64; EVENTS.len() + 1],
    grants: [AtomicU64; GRANTS.len() + 1],
    pub captcha_failures: AtomicU64,
    pub mail_delivered: AtomicU64,
    pub mail_failures: AtomicU64,
}

impl Metrics {
    /// Counters for these routes; a route's index in `names` is its id in [`Metrics::request`].
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Metrics {
        Metrics {
            routes: names
                .into_iter()
                .map(|name| Route {
                    name: name.to_string(),
                    statuses: std::array::from_fn(|_| AtomicU64::new(0)),
                    upstream: Histogram::default(),
                })
                .collect(),
            events: std::array::from_fn(|_| AtomicU64::new(0)),
            grants: std::array::from_fn(|_| AtomicU64::new(0)),
            captcha_failures: AtomicU64::new(0),
            mail_delivered: AtomicU64::new(0),
            mail_failures: AtomicU64::new(0),
        }
    }

    /// Counts a response of route `route` (its index) with `status` (0: none written), and the
    /// time its upstream took when it had one.
    pub fn request(&self, route: usize, status: u16, upstream: Option<Duration>) {
        let Some(r) = self.routes.get(route) else {
            return;
        };
        let class = match status {
            100..=599 => usize::from(status / 100 - 1),
            _ => 5,
        };
        r.statuses[class].fetch_add(1, Ordering::Relaxed);
        if let Some(elapsed) = upstream {
            r.upstream.observe(elapsed);
        }
    }

    /// Counts an audit event (and, for an issued token, its grant type in `detail`).
    pub fn event(&self, kind: &str, detail: &str) {
        let i = EVENTS
            .iter()
            .position(|e| *e == kind)
            .unwrap_or(EVENTS.len());
        self.events[i].fetch_add(1, Ordering::Relaxed);
        if kind == "token.issued" {
            let g = GRANTS
                .iter()
                .position(|g| *g == detail)
                .unwrap_or(GRANTS.len());
            self.grants[g].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn events(&self, kind: &str) -> u64 {
        EVENTS
            .iter()
            .position(|e| *e == kind)
            .map_or(0, |i| self.events[i].load(Ordering::Relaxed))
    }

    /// The text exposition format.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(8192);
        family(
            &mut out,
            "gerbang_requests_total",
            "counter",
            "Responses by route and status class.",
        );
        for r in &self.routes {
            for (class, n) in ["1xx", "2xx", "3xx", "4xx", "5xx", "none"]
                .iter()
                .zip(&r.statuses)
            {
                let n = n.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "gerbang_requests_total{{route=\"{}\",status=\"{class}\"}} {n}",
                    r.name
                );
            }
        }
        family(
            &mut out,
            "gerbang_upstream_duration_seconds",
            "histogram",
            "Time from choosing an upstream to the end of its response, by route.",
        );
        for r in &self.routes {
            let labels = format!("route=\"{}\",", r.name);
            r.upstream
                .render(&mut out, "gerbang_upstream_duration_seconds", &labels);
        }
        family(
            &mut out,
            "gerbang_upstream_healthy",
            "gauge",
            "Upstream addresses passing their health check, by route.",
        );
        for (route, healthy) in &gauges.healthy_upstreams {
            let _ = writeln!(
                out,
                "gerbang_upstream_healthy{{route=\"{route}\"}} {healthy}"
            );
        }
        family(
            &mut out,
            "gerbang_logins_total",
            "counter",
            "Login attempts by result.",
        );
        for (result, kind) in [
            ("success", "login.success"),
            ("failure", "login.failure"),
            ("locked", "login.locked"),
        ] {
            let _ = writeln!(
                out,
                "gerbang_logins_total{{result=\"{result}\"}} {}",
                self.events(kind)
            );
        }
        for (name, help, value) in [
            (
                "gerbang_registrations_total",
                "Registrations accepted (new accounts waiting for activation).",
                self.events("account.registered"),
            ),
            (
                "gerbang_activations_total",
                "Accounts activated.",
                self.events("account.activated"),
            ),
            (
                "gerbang_captcha_failures_total",
                "Captcha answers refused.",
                self.captcha_failures.load(Ordering::Relaxed),
            ),
            (
                "gerbang_mail_delivered_total",
                "Messages accepted by the mail server.",
                self.mail_delivered.load(Ordering::Relaxed),
            ),
            (
                "gerbang_mail_failures_total",
                "Delivery attempts that failed (retried with back-off).",
                self.mail_failures.load(Ordering::Relaxed),
            ),
        ] {
            family(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name} {value}");
        }
        family(
            &mut out,
            "gerbang_token_grants_total",
            "counter",
            "Tokens issued by grant type.",
        );
        for (grant, n) in GRANTS.iter().chain(["other"].iter()).zip(&self.grants) {
            let _ = writeln!(
                out,
                "gerbang_token_grants_total{{grant_type=\"{grant}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        family(
            &mut out,
            "gerbang_audit_events_total",
            "counter",
            "Audit events by kind.",
        );
        for (kind, n) in EVENTS.iter().chain(["other"].iter()).zip(&self.events) {
            let _ = writeln!(
                out,
                "gerbang_audit_events_total{{event=\"{kind}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        for (name, help, value) in [
            (
                "gerbang_mail_queue",
                "Messages waiting in the outbox.",
                gauges.mail_queue.map(|n| n as f64),
            ),
            (
                "gerbang_sessions",
                "Provider sessions in the store.",
                gauges.sessions.map(|n| n as f64),
            ),
            (
                "gerbang_store_latency_seconds",
                "Time of one store round trip, measured at this scrape.",
                gauges.store_latency.map(|d| d.as_secs_f64()),
            ),
        ] {
            if let Some(value) = value {
                family(&mut out, name, "gauge", help);
                let _ = writeln!(out, "{name} {value}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, prefix: &str) -> &'a str {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"))
    }

    #[test]
    fn counts_render_with_bounded_labels() {
        let m = Metrics::new(["provider", "perizinan"]);
        m.request(1, 200, Some(Duration::from_millis(3)));
        m.request(1, 302, None);
        m.request(1, 0, None);
        m.request(9, 200, None); // an unknown route id counts nowhere
        m.event("login.failure", "wrong user name or password");
        m.event("token.issued", "client_credentials");
        m.event("token.issued", "urn:made-up");
        m.event("something.new", "");
        let gauges = Gauges {
            mail_queue: Some(2),
            sessions: None,
            store_latency: None,
            healthy_upstreams: vec![("perizinan".into(), 1)],
        };
        let text = m.render(&gauges);
        assert!(line(
            &text,
            "gerbang_requests_total{route=\"perizinan\",status=\"2xx\"}"
        )
        .ends_with(" 1"));
        assert!(line(
            &text,
            "gerbang_requests_total{route=\"perizinan\",status=\"none\"}"
        )
        .ends_with(" 1"));
        assert!(line(
            &text,
            "gerbang_upstream_duration_seconds_bucket{route=\"perizinan\",le=\"0.0025\"}"
        )
        .ends_with(" 0"));
        assert!(line(
            &text,
            "gerbang_upstream_duration_seconds_bucket{route=\"perizinan\",le=\"0.005\"}"
        )
        .ends_with(" 1"));
        assert!(line(
            &text,
            "gerbang_upstream_duration_seconds_count{route=\"perizinan\"}"
        )
        .ends_with(" 1"));
        assert!(line(&text, "gerbang_logins_total{result=\"failure\"}").ends_with(" 1"));
        assert!(line(
            &text,
            "gerbang_token_grants_total{grant_type=\"client_credentials\"}"
        )
        .ends_with(" 1"));
        assert!(line(&text, "gerbang_token_grants_total{grant_type=\"other\"}").ends_with(" 1"));
        assert!(line(&text, "gerbang_audit_events_total{event=\"other\"}").ends_with(" 1"));
        assert!(line(&text, "gerbang_mail_queue ").ends_with(" 2"));
        assert!(
            !text.contains("gerbang_sessions "),
            "absent gauges are left out"
        );
        assert!(!text.contains("made-up") && !text.contains("something.new"));
    }
}
