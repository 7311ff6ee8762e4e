//! The routes being served: compiled from the configuration into a [`table::RouteTable`] of
//! [`Route`]s, and replaced whole by a reload (one atomic swap; a request keeps the route it
//! matched). Upstream health is checked by `crate::health` over whatever routes are current.

pub mod table;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use gerbang_config::{Access, Config, Effect, Forward, HostPattern, Localized, Policy};
use gerbang_idp::metrics::{Metrics, RouteCounters};
use gerbang_idp::web::gateway_pages::GatewayPages;
use pingora::lb::health_check::{HealthObserve, HealthObserveCallback, TcpHealthCheck};
use pingora::lb::selection::RoundRobin;
use pingora::lb::{Backend, LoadBalancer};

use table::RouteTable;

/// The name of the built-in route to the provider.
pub use gerbang_idp::metrics::PROVIDER_ROUTE;

/// A route that cannot be compiled.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    #[error("route `{route}`: cannot resolve its upstreams: {source}")]
    Upstream {
        route: String,
        source: std::io::Error,
    },
}

/// One route, compiled: where it goes and what it asks of the request.
pub struct Route {
    pub name: String,
    pub policy: Policy,
    pub forward: Forward,
    /// Clients whose bearer access tokens the route accepts.
    pub api_clients: Vec<String>,
    /// The route's own headers no client may send (lower case).
    pub strip_headers: Vec<String>,
    pub upstreams: Arc<Upstreams>,
    pub tls: Option<gerbang_config::UpstreamTls>,
    /// The configured addresses (their number is the number of connection attempts).
    pub targets: Vec<String>,
    /// How often the addresses are checked (`None`: never, the provider's own route).
    pub health_check: Option<Duration>,
    /// How long the upstream may be silent while a request or its answer is under way.
    pub timeout: Duration,
    /// The route's request counters.
    pub counters: Arc<RouteCounters>,
    /// Who may reach what on it.
    pub access: Access,
    /// Its title, for the pages that name the app.
    pub title: Localized,
    /// The groups its app learns of (see `gerbang_config::group_visible`).
    pub forward_groups: Vec<String>,
}

/// The compiled routes.
pub struct Routing {
    pub table: RouteTable<Arc<Route>>,
    /// The provider's own route.
    provider: Arc<Route>,
    /// The configured routes in file order (the provider's own route is not among them).
    pub configured: Vec<Arc<Route>>,
    /// The pages the gateway answers itself, in the configuration's look.
    pub pages: GatewayPages,
}

/// The routes every listener reads; a reload stores a new [`Routing`].
pub type LiveRouting = Arc<ArcSwap<Routing>>;

impl Routing {
    /// Compiles `config`'s routes, the provider's host first. A route of `running` whose
    /// addresses and health-check interval are unchanged keeps its balancer, so its upstreams'
    /// health carries over a reload; a route's name keeps its request counters. The metrics
    /// report the new routes only after [`Routing::report_to`].
    pub fn compile(
        config: &Config,
        provider_address: &str,
        metrics: &Metrics,
        running: Option<&Routing>,
    ) -> Result<Routing, RouteError> {
        let mut table = RouteTable::default();
        let provider = Arc::new(Route {
            name: PROVIDER_ROUTE.into(),
            policy: Policy::Public,
            forward: Forward::default(),
            api_clients: Vec::new(),
            strip_headers: Vec::new(),
            upstreams: Arc::new(Upstreams::new(
                PROVIDER_ROUTE,
                &[provider_address.to_string()],
                false,
            )?),
            tls: None,
            targets: vec![provider_address.to_string()],
            health_check: None,
            timeout: Duration::from_secs(300),
            counters: metrics.counters_for(PROVIDER_ROUTE),
            access: Access {
                rules: Vec::new(),
                default: Effect::Allow,
            },
            title: Localized::plain(config.ui.product_name.clone()),
            forward_groups: Vec::new(),
        });
        table.insert(
            &HostPattern::Exact(config.provider.host.clone()),
            "/",
            false,
            Arc::clone(&provider),
        );
        let mut configured = Vec::with_capacity(config.routes.len());
        for route in &config.routes {
            let kept = running.and_then(|r| {
                r.configured.iter().find(|u| {
                    u.name == route.name
                        && u.targets == route.upstreams
                        && u.health_check == Some(route.health_check)
                })
            });
            let upstreams = match kept {
                Some(upstream) => Arc::clone(&upstream.upstreams),
                None => Arc::new(Upstreams::new(&route.name, &route.upstreams, true)?),
            };
            let upstream = Arc::new(Route {
                name: route.name.clone(),
                policy: route.policy,
                forward: route.forward,
                api_clients: route.api_clients.clone(),
                strip_headers: route.strip_headers.clone(),
                upstreams,
                tls: route.upstream_tls.clone(),
                targets: route.upstreams.clone(),
                health_check: Some(route.health_check),
                timeout: route.upstream_timeout,
                counters: metrics.counters_for(&route.name),
                access: route.access.clone(),
                title: route.title.clone(),
                forward_groups: route.forward_groups.clone(),
            });
            table.insert(
                &route.host,
                &route.path_prefix,
                route.case_sensitive,
                Arc::clone(&upstream),
            );
            configured.push(upstream);
        }
        Ok(Routing {
            table,
            provider,
            configured,
            pages: GatewayPages::new(config),
        })
    }

    /// Makes these the routes the metrics report (once they are the ones served).
    pub fn report_to(&self, metrics: &Metrics) {
        let provider = (
            PROVIDER_ROUTE.to_string(),
            Arc::clone(&self.provider.counters),
        );
        let routes = self
            .configured
            .iter()
            .map(|u| (u.name.clone(), Arc::clone(&u.counters)));
        metrics.serve(std::iter::once(provider).chain(routes).collect());
    }
}

/// A route's upstream addresses: the balancer that chooses among them and checks their health.
pub struct Upstreams {
    pub balancer: LoadBalancer<RoundRobin>,
    /// The route's one backend, when it has one, and whether its health check last passed.
    sole: Option<(Backend, Reachable)>,
}

impl Upstreams {
    /// `addresses` resolved, their health checked over TCP when `checked`.
    fn new(route: &str, addresses: &[String], checked: bool) -> Result<Upstreams, RouteError> {
        let mut balancer = LoadBalancer::try_from_iter(addresses.iter().map(String::as_str))
            .map_err(|source| RouteError::Upstream {
                route: route.into(),
                source,
            })?;
        let all = balancer.backends().get_backend();
        let sole = match (all.len(), all.first()) {
            (1, Some(only)) => Some((only.clone(), Reachable::default())),
            _ => None,
        };
        if checked {
            let mut check = TcpHealthCheck::new();
            check.health_changed_callback = sole
                .as_ref()
                .map(|(_, reachable)| Box::new(reachable.clone()) as HealthObserveCallback);
            balancer.set_health_check(check);
        }
        Ok(Upstreams { balancer, sole })
    }

    /// The upstream for a request: the one backend while its health check has not found it
    /// down, else the balancer's round-robin choice among the healthy ones. One backend
    /// reads a flag: the balancer's readiness hashes the backend (SipHash) into its health map,
    /// and its selection keeps a set of the backends tried and hashes each twice.
    pub fn choose(&self) -> Option<Backend> {
        match &self.sole {
            Some((only, reachable)) => reachable.0.load(Ordering::Relaxed).then(|| only.clone()),
            None => self.balancer.select(b"", 256),
        }
    }
}

/// Whether a route's one backend passed its last health check, set by the check when that
/// changes (the balancer's own record starts healthy too).
#[derive(Clone)]
struct Reachable(Arc<AtomicBool>);

impl Default for Reachable {
    fn default() -> Self {
        Reachable(Arc::new(AtomicBool::new(true)))
    }
}

#[async_trait::async_trait]
impl HealthObserve for Reachable {
    async fn observe(&self, _backend: &Backend, healthy: bool) {
        self.0.store(healthy, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(upstreams: &Upstreams, picks: usize) -> Vec<String> {
        (0..picks)
            .map(|_| {
                upstreams
                    .choose()
                    .map_or("none".into(), |b| b.addr.to_string())
            })
            .collect()
    }

    /// An address on loopback where nothing listens (a port just released).
    fn closed_address() -> String {
        let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        socket.local_addr().unwrap().to_string()
    }

    /// One backend is chosen while its real health check passes, and not once it fails; it is
    /// chosen again when it listens again.
    #[tokio::test]
    async fn one_backend_is_chosen_while_its_health_check_passes() {
        let listening = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listening.local_addr().unwrap().to_string();
        let one = Upstreams::new("one", std::slice::from_ref(&address), true).unwrap();
        assert_eq!(addresses(&one, 2), [address.as_str(), address.as_str()]);
        one.balancer.backends().run_health_check(false).await;
        assert_eq!(addresses(&one, 1), [address.as_str()], "it listens");
        drop(listening);
        one.balancer.backends().run_health_check(false).await;
        assert_eq!(
            addresses(&one, 1),
            ["none"],
            "a backend that is down is not chosen"
        );
        let _listening = std::net::TcpListener::bind(&address).unwrap();
        one.balancer.backends().run_health_check(false).await;
        assert_eq!(addresses(&one, 1), [address.as_str()], "back up");

        let unchecked = Upstreams::new("provider", &[closed_address()], false).unwrap();
        unchecked.balancer.backends().run_health_check(false).await;
        assert_ne!(
            addresses(&unchecked, 1),
            ["none"],
            "no health check, never down"
        );
    }

    /// Several backends take turns, and the one whose health check fails is left out.
    #[tokio::test]
    async fn several_backends_take_turns_among_the_healthy() {
        let listening = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let up = listening.local_addr().unwrap().to_string();
        let down = closed_address();
        let two = Upstreams::new("two", &[up.clone(), down.clone()], true).unwrap();
        let mut picked = addresses(&two, 4);
        picked.sort();
        let mut expected = vec![up.clone(), up.clone(), down.clone(), down];
        expected.sort();
        assert_eq!(picked, expected);
        two.balancer.backends().run_health_check(false).await;
        assert_eq!(addresses(&two, 2), [up.clone(), up]);
    }
}
