//! An axum app run as a Pingora background service on a listener bound before start-up: the
//! embedded provider on its internal loopback address, and the demo's example apps.

use async_trait::async_trait;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use std::sync::Mutex;

pub struct HttpService {
    name: String,
    listener: Mutex<Option<std::net::TcpListener>>,
    router: axum::Router,
}

impl HttpService {
    pub fn new(name: &str, listener: std::net::TcpListener, router: axum::Router) -> Self {
        Self {
            name: name.to_string(),
            listener: Mutex::new(Some(listener)),
            router,
        }
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
        let served = axum::serve(listener, self.router.clone())
            .with_graceful_shutdown(async move {
                let _ = shutdown.changed().await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(service = %self.name, error = %e, "service stopped");
        }
    }
}
