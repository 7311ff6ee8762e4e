//! Real upstream apps on loopback: the example app, served in this process.

use std::net::SocketAddr;

use tokio::task::JoinHandle;

pub struct App {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

/// An app's address, taken before the gateway starts (its routes name it); `serve` starts the
/// app once it can reach the gateway (to fetch the JWKS).
pub struct Reserved {
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
    name: String,
}

impl Reserved {
    pub async fn new(name: &str) -> Reserved {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind upstream");
        Reserved {
            addr: listener.local_addr().expect("upstream address"),
            listener,
            name: name.to_string(),
        }
    }

    /// Serves the example app, checking identity JWTs with `verifier`.
    pub fn serve(self, verifier: Option<gerbang_examples::identity::Verifier>) -> App {
        let router = gerbang_examples::app_verifying(&self.name, &self.name, verifier);
        self.serve_router(router)
    }

    /// Serves any app on the reserved address.
    pub fn serve_router(self, router: axum::Router) -> App {
        let listener = self.listener;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        App {
            addr: self.addr,
            task,
        }
    }
}

impl App {
    /// Starts the example app named `name` on a free loopback port.
    pub async fn start(name: &str) -> App {
        Self::start_on(name, "127.0.0.1:0").await
    }

    pub async fn start_on(name: &str, address: &str) -> App {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .expect("bind upstream");
        let addr = listener.local_addr().expect("upstream address");
        let router = gerbang_examples::app(name, name);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        App { addr, task }
    }

    /// Stops listening and drops every connection.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}
