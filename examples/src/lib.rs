//! An example downstream app behind Gerbang, in the spirit of `traefik/whoami`: it shows what
//! the gateway tells it about the user and the request. The demo runs it three times
//! (`perizinan`, `berusaha`, `informasi`); the end-to-end tests use it as their upstream.

pub mod identity;
pub mod relying_party;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{Html, IntoResponse};
use axum::routing::{any, get};
use axum::{Json, Router};
use serde::Deserialize;
use tokio_stream::StreamExt;

#[derive(Clone)]
struct App {
    name: String,
    title: String,
    verifier: Option<Arc<identity::Verifier>>,
}

/// The app's routes: `/` (a page), `/whoami` (the request as JSON), `/ws` (WebSocket echo),
/// `/slow?ms=` (answers after a delay) and `/stream?chunks=` (a streamed body).
pub fn app(name: &str, title: &str) -> Router {
    app_verifying(name, title, None)
}

/// The app, checking the forwarded identity JWT with `verifier` when there is one.
pub fn app_verifying(name: &str, title: &str, verifier: Option<identity::Verifier>) -> Router {
    let state = App {
        name: name.to_string(),
        title: title.to_string(),
        verifier: verifier.map(Arc::new),
    };
    Router::new()
        .route("/", get(page))
        .route("/whoami", any(whoami))
        .route("/{*rest}", any(whoami))
        .route("/ws", get(websocket))
        .route("/slow", get(slow))
        .route("/stream", get(stream))
        .with_state(state)
}

/// Identity headers the gateway forwards, by their lower-case names.
pub fn gerbang_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .filter(|(name, _)| {
            name.as_str().starts_with("x-gerbang-") || name.as_str().starts_with("x-forwarded-")
        })
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn page(State(app): State<App>, headers: HeaderMap) -> Html<String> {
    let user = headers
        .get("x-gerbang-user")
        .and_then(|v| v.to_str().ok())
        .map(escape)
        .unwrap_or_else(|| "(tamu / guest)".into());
    let rows: String = gerbang_headers(&headers)
        .iter()
        .map(|(k, v)| format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v)))
        .collect();
    Html(format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
<body><h1>{title}</h1><p>Pengguna: <strong>{user}</strong></p><table>{rows}</table></body></html>",
        title = escape(&app.title)
    ))
}

async fn whoami(
    State(app): State<App>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Json<serde_json::Value> {
    let body_bytes = body_length(body).await.ok();
    let all: BTreeMap<String, Vec<String>> = headers
        .keys()
        .map(|name| {
            let values = headers
                .get_all(name)
                .iter()
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .collect();
            (name.as_str().to_string(), values)
        })
        .collect();
    let identity = match (
        &app.verifier,
        headers
            .get("x-gerbang-identity")
            .and_then(|v| v.to_str().ok()),
    ) {
        (Some(verifier), Some(token)) => match verifier.verify(token).await {
            Ok(claims) => serde_json::json!({ "verified": true, "claims": claims }),
            Err(e) => serde_json::json!({ "verified": false, "error": e.to_string() }),
        },
        _ => serde_json::Value::Null,
    };
    Json(serde_json::json!({
        "app": app.name,
        "identity": identity,
        "method": method.as_str(),
        "path": uri.path(),
        "query": uri.query(),
        "headers": all,
        "body_bytes": body_bytes,
    }))
}

/// Reads a request body to its end and counts its bytes. An app should read what it is sent:
/// one that answers first makes hyper close the connection right after the answer, which a proxy
/// may already have taken up again for the next request (that request then fails; a proxy does
/// not resend a POST, RFC 9110 section 9.2.2).
async fn body_length(body: Body) -> Result<usize, axum::Error> {
    let mut chunks = body.into_data_stream();
    let mut length = 0;
    while let Some(chunk) = chunks.next().await {
        length += chunk?.len();
    }
    Ok(length)
}

async fn websocket(State(app): State<App>, upgrade: WebSocketUpgrade) -> impl IntoResponse {
    upgrade.on_upgrade(move |socket| echo(socket, app.name))
}

async fn echo(mut socket: WebSocket, name: String) {
    while let Some(Ok(message)) = socket.recv().await {
        let reply = match message {
            Message::Text(text) => Message::Text(format!("{name}: {text}").into()),
            Message::Binary(bytes) => Message::Binary(bytes),
            Message::Close(_) => break,
            _ => continue,
        };
        if socket.send(reply).await.is_err() {
            break;
        }
    }
}

#[derive(Deserialize)]
struct Slow {
    ms: Option<u64>,
}

async fn slow(State(app): State<App>, Query(q): Query<Slow>) -> String {
    let ms = q.ms.unwrap_or(1000).min(30_000);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("{} answered after {ms} ms", app.name)
}

#[derive(Deserialize)]
struct Stream {
    chunks: Option<usize>,
}

async fn stream(Query(q): Query<Stream>) -> axum::body::Body {
    let chunks = q.chunks.unwrap_or(5).min(1000);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::convert::Infallible>>(1);
    tokio::spawn(async move {
        for i in 0..chunks {
            if tx.send(Ok(format!("chunk {i}\n"))).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
}
