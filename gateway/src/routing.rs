//! The routes being served: compiled from the configuration into a table of upstreams, and
//! replaced whole by a reload (one atomic swap; a request keeps the route it matched). Upstream
//! health is checked by one background task over whatever routes are current.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use gerbang_config::{Config, Forward, HostPattern, Policy};
use gerbang_idp::metrics::Metrics;
use pingora::lb::health_check::TcpHealthCheck;
use pingora::lb::LoadBalancer;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use crate::error::GatewayError;
use crate::proxy::route::RouteTable;
use crate::proxy::{Upstream, PROVIDER_ROUTE};

/// The compiled routes.
pub struct Routing {
    pub table: RouteTable<Arc<Upstream>>,
    /// The configured routes in file order (the provider's own route is not among them).
    pub configured: Vec<Arc<Upstream>>,
}

/// The routes every listener reads; a reload stores a new [`Routing`].
pub type LiveRouting = Arc<ArcSwap<Routing>>;

impl Routing {
    /// Compiles `config`'s routes, the provider's host first. A route of `running` whose
    /// addresses and health-check interval are unchanged keeps its balancer, so its upstreams'
    /// health carries over a reload.
    pub fn compile(
        config: &Config,
        provider_address: &str,
        metrics: &Metrics,
        running: Option<&Routing>,
    ) -> Result<Routing, GatewayError> {
        let names =
            std::iter::once(PROVIDER_ROUTE).chain(config.routes.iter().map(|r| r.name.as_str()));
        let mut counters = metrics.serve_routes(names).into_iter();
        let mut next_counters = || counters.next().unwrap_or_default();
        let mut table = RouteTable::default();
        table.insert(
            &HostPattern::Exact(config.provider.host.clone()),
            "/",
            Arc::new(Upstream {
                name: PROVIDER_ROUTE.into(),
                policy: Policy::Public,
                forward: Forward::default(),
                api_clients: Vec::new(),
                balancer: Arc::new(balancer(PROVIDER_ROUTE, &[provider_address.to_string()])?),
                tls: None,
                targets: vec![provider_address.to_string()],
                health_check: None,
                counters: next_counters(),
            }),
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
            let upstream = Arc::new(Upstream {
                name: route.name.clone(),
                policy: route.policy,
                forward: route.forward,
                api_clients: route.api_clients.clone(),
                balancer,
                tls: route.upstream_tls.clone(),
                targets: route.upstreams.clone(),
                health_check: Some(route.health_check),
                counters: next_counters(),
            });
            table.insert(&route.host, &route.path_prefix, Arc::clone(&upstream));
            configured.push(upstream);
        }
        Ok(Routing { table, configured })
    }
}

fn balancer(
    route: &str,
    addresses: &[String],
) -> Result<LoadBalancer<pingora::lb::selection::RoundRobin>, GatewayError> {
    LoadBalancer::try_from_iter(addresses.iter().map(String::as_str)).map_err(|source| {
        GatewayError::Upstream {
            route: route.into(),
            source,
        }
    })
}

/// Checks the upstreams of the current routes, each route at its own interval.
pub struct HealthChecks {
    pub routing: LiveRouting,
}

/// How often the schedule is looked at: the finest interval a route can have.
const HEALTH_TICK: Duration = Duration::from_secs(1);

#[async_trait::async_trait]
impl BackgroundService for HealthChecks {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        // Last check per balancer (by address: a reload that keeps a balancer keeps its schedule).
        let mut checked: HashMap<usize, tokio::time::Instant> = HashMap::new();
        let mut tick = tokio::time::interval(HEALTH_TICK);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            let routing = self.routing.load_full();
            let now = tokio::time::Instant::now();
            let due: Vec<&Arc<Upstream>> = routing
                .configured
                .iter()
                .filter(|u| {
                    let key = Arc::as_ptr(&u.balancer) as usize;
                    let interval = u.health_check.unwrap_or(Duration::MAX);
                    checked
                        .get(&key)
                        .is_none_or(|last| now.duration_since(*last) >= interval)
                })
                .collect();
            checked.retain(|key, _| {
                routing
                    .configured
                    .iter()
                    .any(|u| Arc::as_ptr(&u.balancer) as usize == *key)
            });
            for upstream in &due {
                checked.insert(Arc::as_ptr(&upstream.balancer) as usize, now);
            }
            let checks = due
                .iter()
                .map(|u| u.balancer.backends().run_health_check(true));
            tokio::select! {
                _ = futures_util::future::join_all(checks) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
