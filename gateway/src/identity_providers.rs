//! The upstream identity providers (`[[identity_provider]]`) of whatever configuration is
//! current, read every few seconds in the background: a provider that stops answering has its
//! login button say so at once, and its discovery and keys stay fresh.

use std::sync::Arc;

use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;

use gerbang_idp::provider::Provider;
use gerbang_idp::upstream_provider::PROBE_INTERVAL;

pub struct IdentityProviderProbe {
    pub provider: Arc<Provider>,
}

#[async_trait::async_trait]
impl BackgroundService for IdentityProviderProbe {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut tick = tokio::time::interval(PROBE_INTERVAL);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            let config = self.provider.config();
            let probes = config
                .identity_providers
                .iter()
                .map(|upstream| self.provider.upstreams.probe(upstream));
            tokio::select! {
                _ = futures_util::future::join_all(probes) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}
