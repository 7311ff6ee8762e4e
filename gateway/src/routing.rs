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
    /// The provider's own route.
    provider: Arc<Upstream>,
    /// The configured routes in file order (the provider's own route is not among them).
    pub configured: Vec<Arc<Upstream>>,
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
    ) -> Result<Routing, GatewayError> {
        let mut table = RouteTable::default();
        let provider = Arc::new(Upstream {
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
            let upstream = Arc::new(Upstream {
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
