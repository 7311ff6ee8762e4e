//! The routes being served: compiled from the configuration into a [`table::RouteTable`] of
//! [`Route`]s, and replaced whole by a reload (one atomic swap; a request keeps the route it
//! matched). Upstream health is checked by `crate::health` over whatever routes are current.

pub mod table;

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use gerbang_config::{Access, Config, Effect, Forward, HostPattern, Localized, Policy};
use gerbang_idp::metrics::{Metrics, RouteCounters};
use gerbang_idp::web::gateway_pages::GatewayPages;
use pingora::lb::health_check::TcpHealthCheck;
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
    pub balancer: Arc<LoadBalancer<RoundRobin>>,
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
            balancer: Arc::new(balancer(PROVIDER_ROUTE, &[provider_address.to_string()])?),
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
            let balancer = match kept {
                Some(upstream) => Arc::clone(&upstream.balancer),
                None => {
                    let mut balancer = balancer(&route.name, &route.upstreams)?;
                    balancer.set_health_check(TcpHealthCheck::new());
                    Arc::new(balancer)
                }
            };
            let upstream = Arc::new(Route {
                name: route.name.clone(),
                policy: route.policy,
                forward: route.forward,
                api_clients: route.api_clients.clone(),
                strip_headers: route.strip_headers.clone(),
                balancer,
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

/// The upstream for a request: a route's one backend when it has one and its health check has
/// not found it down, else the balancer's round-robin choice among the healthy ones. One backend
/// skips the selection, which keeps a set of the backends tried and hashes each twice, on
/// every request.
pub fn choose_backend(balancer: &LoadBalancer<RoundRobin>) -> Option<Backend> {
    let backends = balancer.backends();
    let all = backends.get_backend();
    match (all.len(), all.first()) {
        (1, Some(only)) => backends.ready(only).then(|| only.clone()),
        _ => balancer.select(b"", 256),
    }
}

fn balancer(route: &str, addresses: &[String]) -> Result<LoadBalancer<RoundRobin>, RouteError> {
    LoadBalancer::try_from_iter(addresses.iter().map(String::as_str)).map_err(|source| {
        RouteError::Upstream {
            route: route.into(),
            source,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addresses(balancer: &LoadBalancer<RoundRobin>, picks: usize) -> Vec<String> {
        (0..picks)
            .map(|_| choose_backend(balancer).map_or("none".into(), |b| b.addr.to_string()))
            .collect()
    }

    #[test]
    fn one_backend_is_chosen_while_ready_and_several_take_turns() {
        let one = balancer("one", &["127.0.0.1:8001".into()]).unwrap();
        assert_eq!(addresses(&one, 2), ["127.0.0.1:8001", "127.0.0.1:8001"]);
        let only = one.backends().get_backend().first().unwrap().clone();
        one.backends().set_enable(&only, false);
        assert_eq!(
            addresses(&one, 1),
            ["none"],
            "a backend that is down is not chosen"
        );
        one.backends().set_enable(&only, true);
        assert_eq!(addresses(&one, 1), ["127.0.0.1:8001"]);

        let two = balancer("two", &["127.0.0.1:8001".into(), "127.0.0.1:8002".into()]).unwrap();
        let mut picked = addresses(&two, 4);
        picked.sort();
        assert_eq!(
            picked,
            [
                "127.0.0.1:8001",
                "127.0.0.1:8001",
                "127.0.0.1:8002",
                "127.0.0.1:8002"
            ]
        );
        let first = two.backends().get_backend().first().unwrap().clone();
        two.backends().set_enable(&first, false);
        assert_eq!(addresses(&two, 2), ["127.0.0.1:8002", "127.0.0.1:8002"]);
    }
}
