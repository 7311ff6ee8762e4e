//! The internal listener: `/metrics` (Prometheus text format), `/healthz` (the process
//! answers) and `/readyz` (the store answers and the signing keys are loaded; the configuration
//! was valid, or the process would not run). No authentication: keep it on loopback or a
//! private network.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use gerbang_idp::metrics::Gauges;
use gerbang_idp::provider::Provider;

struct Internal {
    provider: Arc<Provider>,
}

pub fn router(provider: Arc<Provider>) -> axum::Router {
    axum::Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(Arc::new(Internal { provider }))
}

async fn metrics(State(internal): State<Arc<Internal>>) -> impl IntoResponse {
    let store = internal.provider.store.as_ref();
    let started = Instant::now();
    let mail_queue = store.pending_mail().await.ok();
    let store_latency = mail_queue.map(|_| started.elapsed());
    let gauges = Gauges {
        mail_queue,
        sessions: store.count_sessions().await.ok(),
        store_latency,
        healthy_upstreams: internal
            .provider
            .gateway
            .upstreams()
            .into_iter()
            .map(|u| (u.route, u.healthy))
            .collect(),
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        internal.provider.metrics.render(&gauges),
    )
}

/// Ready when the store answers; the keys are in memory once the provider exists.
async fn ready(State(internal): State<Arc<Internal>>) -> impl IntoResponse {
    match internal.provider.store.pending_mail().await {
        Ok(_) if !internal.provider.keys.current().jwks().keys().is_empty() => {
            (StatusCode::OK, "ready\n".to_string())
        }
        Ok(_) => (StatusCode::SERVICE_UNAVAILABLE, "no signing keys\n".into()),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store does not answer\n".into(),
            )
        }
    }
}
