//! Real upstream apps on loopback: the example app, served in this process.

use std::net::SocketAddr;

use tokio::task::JoinHandle;

pub struct App {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
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
