//! Counters and histograms for Prometheus, kept in atomics (no lock, no allocation on the
//! request path) and rendered in the text exposition format on the internal listener.
//!
//! Every label value comes from a fixed set: route names from the configuration, status
//! classes, audit event kinds and grant types named in the code. No user name, path or address
//! ever becomes a label.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::audit::AuditKind;

/// The name of the provider's own route in the request metrics (the configured routes follow it).
pub const PROVIDER_ROUTE: &str = "provider";

/// Upper bounds of the latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
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

/// What one route counts. The gateway keeps these in its compiled route, so counting a response
/// is two atomic additions, with no lookup.
#[derive(Default)]
pub struct RouteCounters {
    /// Responses by status class: 1xx … 5xx, then "none" (no response was written).
    statuses: [AtomicU64; 6],
    upstream: Histogram,
}

impl RouteCounters {
    /// Counts a response with `status` (0: none written), and the time its upstream took when it
    /// had one.
    pub fn count(&self, status: u16, upstream: Option<Duration>) {
        let class = match status {
            100..=599 => usize::from(status / 100 - 1),
            _ => 5,
        };
        self.statuses[class].fetch_add(1, Ordering::Relaxed);
        if let Some(elapsed) = upstream {
            self.upstream.observe(elapsed);
        }
    }
}

/// Values read when scraped rather than counted: the gateway and the store supply them.
pub struct Gauges {
    pub mail_queue: Option<usize>,
    pub sessions: Option<usize>,
    pub store_latency: Option<Duration>,
    /// Per route (in configuration order): healthy upstream addresses.
    pub healthy_upstreams: Vec<(String, usize)>,
}

/// One counter per audit kind (an array longer than 32 has no derived `Default`).
struct EventCounters([AtomicU64; AuditKind::ALL.len()]);

impl Default for EventCounters {
    fn default() -> EventCounters {
        EventCounters(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

#[derive(Default)]
pub struct Metrics {
    /// The routes being served, in configuration order. Touched at start, on reload and when
    /// scraped; never on the request path.
    routes: Mutex<Vec<(String, Arc<RouteCounters>)>>,
    /// Per audit kind, in the order of [`AuditKind::ALL`].
    events: EventCounters,
    grants: [AtomicU64; GRANTS.len() + 1],
    pub captcha_failures: AtomicU64,
    /// Connections closed on arrival: their client already held its share.
    pub connections_refused: AtomicU64,
    pub mail_delivered: AtomicU64,
    pub mail_failures: AtomicU64,
    pub config_reloads: AtomicU64,
    pub config_reload_failures: AtomicU64,
}

impl Metrics {
    /// The counters of route `name`: the ones it has been counting into when it is served
    /// now (a reload does not reset them), else new ones. Nothing changes until [`Metrics::serve`].
    pub fn counters_for(&self, name: &str) -> Arc<RouteCounters> {
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes
            .iter()
            .find(|(known, _)| known == name)
            .map_or_else(Default::default, |(_, c)| Arc::clone(c))
    }

    /// The routes reported from now on, in order; a route no longer among them stops being
    /// reported.
    pub fn serve(&self, routes: Vec<(String, Arc<RouteCounters>)>) {
        *self.routes.lock().unwrap_or_else(|e| e.into_inner()) = routes;
    }

    /// Counts an audit event (and, for an issued token, its grant type in `detail`).
    pub fn event(&self, kind: AuditKind, detail: &str) {
        self.events.0[kind.index()].fetch_add(1, Ordering::Relaxed);
        if kind == AuditKind::TokenIssued {
            let g = GRANTS
                .iter()
                .position(|g| *g == detail)
                .unwrap_or(GRANTS.len());
            self.grants[g].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn events(&self, kind: AuditKind) -> u64 {
        self.events.0[kind.index()].load(Ordering::Relaxed)
    }

    /// The text exposition format.
    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::with_capacity(8192);
        let routes = self
            .routes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        render_routes(&mut out, &routes, gauges);
        self.render_accounts(&mut out);
        self.render_operations(&mut out);
        render_gauges(&mut out, gauges);
        out
    }

    /// Logins, registrations, activations, captcha failures and mail delivery.
    fn render_accounts(&self, out: &mut String) {
        family(
            out,
            "gerbang_logins_total",
            "counter",
            "Login attempts by result.",
        );
        for (result, kind) in [
            ("success", AuditKind::LoginSuccess),
            ("failure", AuditKind::LoginFailure),
            ("locked", AuditKind::LoginLocked),
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
                self.events(AuditKind::AccountRegistered),
            ),
            (
                "gerbang_activations_total",
                "Accounts activated.",
                self.events(AuditKind::AccountActivated),
            ),
            (
                "gerbang_captcha_failures_total",
                "Captcha answers refused.",
                self.captcha_failures.load(Ordering::Relaxed),
            ),
            (
                "gerbang_connections_refused_total",
                "Connections closed on arrival because their client address already held server.max_connections_per_address.",
                self.connections_refused.load(Ordering::Relaxed),
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
            family(out, name, "counter", help);
            let _ = writeln!(out, "{name} {value}");
        }
    }

    /// Configuration reloads, tokens by grant type and audit events by kind.
    fn render_operations(&self, out: &mut String) {
        family(
            out,
            "gerbang_config_reloads_total",
            "counter",
            "Configuration reloads by result (a refused file leaves the running one serving).",
        );
        for (result, n) in [
            ("success", &self.config_reloads),
            ("failure", &self.config_reload_failures),
        ] {
            let _ = writeln!(
                out,
                "gerbang_config_reloads_total{{result=\"{result}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        family(
            out,
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
            out,
            "gerbang_audit_events_total",
            "counter",
            "Audit events by kind.",
        );
        for (kind, n) in AuditKind::ALL.iter().zip(&self.events.0) {
            let _ = writeln!(
                out,
                "gerbang_audit_events_total{{event=\"{kind}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
    }
}

/// Requests, upstream latency and upstream health, by route.
fn render_routes(out: &mut String, routes: &[(String, Arc<RouteCounters>)], gauges: &Gauges) {
    family(
        out,
        "gerbang_requests_total",
        "counter",
        "Responses by route and status class.",
    );
    for (name, r) in routes {
        for (class, n) in ["1xx", "2xx", "3xx", "4xx", "5xx", "none"]
            .iter()
            .zip(&r.statuses)
        {
            let n = n.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "gerbang_requests_total{{route=\"{name}\",status=\"{class}\"}} {n}"
            );
        }
    }
    family(
        out,
        "gerbang_upstream_duration_seconds",
        "histogram",
        "Time from choosing an upstream to the end of its response, by route.",
    );
    for (name, r) in routes {
        let labels = format!("route=\"{name}\",");
        r.upstream
            .render(out, "gerbang_upstream_duration_seconds", &labels);
    }
    family(
        out,
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
}

/// The values read at the scrape: the outbox, the sessions, the store's latency.
fn render_gauges(out: &mut String, gauges: &Gauges) {
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
            family(out, name, "gauge", help);
            let _ = writeln!(out, "{name} {value}");
        }
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
        let m = Metrics::default();
        let perizinan = m.counters_for("perizinan");
        m.serve(vec![
            ("provider".into(), m.counters_for("provider")),
            ("perizinan".into(), Arc::clone(&perizinan)),
        ]);
        perizinan.count(200, Some(Duration::from_millis(3)));
        perizinan.count(302, None);
        perizinan.count(0, None);
        m.event(AuditKind::LoginFailure, "wrong user name or password");
        m.event(AuditKind::TokenIssued, "client_credentials");
        m.event(AuditKind::TokenIssued, "urn:made-up");
        m.event(AuditKind::AccountDeleted, "");
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
        assert!(
            line(
                &text,
                "gerbang_audit_events_total{event=\"account.deleted\"}"
            )
            .ends_with(" 1"),
            "every kind is counted under its own name"
        );
        assert!(line(&text, "gerbang_audit_events_total{event=\"key.rotated\"}").ends_with(" 0"));
        assert!(line(&text, "gerbang_mail_queue ").ends_with(" 2"));
        assert!(
            !text.contains("gerbang_sessions "),
            "absent gauges are left out"
        );
        assert!(!text.contains("made-up"));
    }

    #[test]
    fn a_reload_keeps_the_counters_of_routes_that_stay() {
        let m = Metrics::default();
        let serve = |names: &[&str]| {
            let routes: Vec<_> = names
                .iter()
                .map(|n| (n.to_string(), m.counters_for(n)))
                .collect();
            m.serve(routes.clone());
            routes
        };
        serve(&["provider", "old", "kept"])[2].1.count(200, None);
        // A reload refused after its counters were looked up changes nothing.
        let _unused = m.counters_for("never-served");
        serve(&["provider", "kept", "new"])[1].1.count(200, None);
        let text = m.render(&Gauges {
            mail_queue: None,
            sessions: None,
            store_latency: None,
            healthy_upstreams: Vec::new(),
        });
        assert!(line(
            &text,
            "gerbang_requests_total{route=\"kept\",status=\"2xx\"}"
        )
        .ends_with(" 2"));
        assert!(line(
            &text,
            "gerbang_requests_total{route=\"new\",status=\"2xx\"}"
        )
        .ends_with(" 0"));
        assert!(!text.contains("route=\"old\"") && !text.contains("never-served"));
    }
}
