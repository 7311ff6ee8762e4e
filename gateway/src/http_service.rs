//! An axum app run as a Pingora background service on a listener bound before start-up: the
//! embedded provider on its internal loopback address, and the demo's example apps. Such an app
//! is an upstream of the proxy in the same process, so it may be asked to go on serving while
//! the proxy drains (see [`HttpService::serving_through`]).

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use std::sync::Mutex;
use std::time::Duration;

pub struct HttpService {
    name: String,
    listener: Mutex<Option<std::net::TcpListener>>,
    router: axum::Router,
    /// How long it goes on accepting after the shutdown signal.
    linger: Duration,
}

impl HttpService {
    pub fn new(name: &str, listener: std::net::TcpListener, router: axum::Router) -> Self {
        Self {
            name: name.to_string(),
            listener: Mutex::new(Some(listener)),
            router,
            linger: Duration::ZERO,
        }
    }

    /// Goes on accepting for `drain` after the shutdown signal: the proxy's grace period and
    /// drain, during which the requests it still forwards here must find it (an upgrade's old
    /// process answered them 502 when this stopped first).
    pub fn serving_through(mut self, drain: Duration) -> Self {
        self.linger = drain;
        self
    }
}

#[async_trait]
impl BackgroundService for HttpService {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let taken = self.listener.lock().ok().and_then(|mut l| l.take());
        let Some(listener) = taken else { return };
        let listener = match listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpListener::from_std(listener))
        {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(service = %self.name, error = %e, "cannot use the listener");
                return;
            }
        };
        let linger = self.linger;
        let served = axum::serve(listener, self.router.clone())
            .with_graceful_shutdown(async move {
                let _ = shutdown.changed().await;
                tokio::time::sleep(linger).await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(service = %self.name, error = %e, "service stopped");
        }
    }
}
