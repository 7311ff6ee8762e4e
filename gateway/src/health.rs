//! Upstream health: one background task checks the upstreams of whatever routes are current,
//! each route at its own interval.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use gerbang_idp::gateway_status::UpstreamHealth;

use crate::routes::{LiveRouting, Route, Routing};

/// Each route's upstreams now: how many pass their health check, of how many (the metrics and
/// the console read this).
pub fn upstream_health(routing: &Routing) -> Vec<UpstreamHealth> {
    routing
        .configured
        .iter()
        .map(|route| {
            let backends = route.upstreams.balancer.backends();
            let all = backends.get_backend();
            UpstreamHealth {
                route: route.name.clone(),
                healthy: all.iter().filter(|b| backends.ready(b)).count(),
                total: all.len(),
            }
        })
        .collect()
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
            let due: Vec<&Arc<Route>> = routing
                .configured
                .iter()
                .filter(|u| {
                    let key = Arc::as_ptr(&u.upstreams) as usize;
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
                    .any(|u| Arc::as_ptr(&u.upstreams) as usize == *key)
            });
            for upstream in &due {
                checked.insert(Arc::as_ptr(&upstream.upstreams) as usize, now);
            }
            let checks = due
                .iter()
                .map(|u| u.upstreams.balancer.backends().run_health_check(true));
            tokio::select! {
                _ = futures_util::future::join_all(checks) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
