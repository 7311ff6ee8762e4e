//! Cross-origin calls from scripts (CORS), for browser-based clients (SPAs): discovery and the
//! JWKS are public documents, open to every origin; the token, userinfo and revocation
//! endpoints answer a script only from a web origin registered for the client it calls as
//! (`web_origins`). Credentials (cookies) are never allowed cross-origin: these endpoints
//! authenticate by their request, not by the browser's session.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use gerbang_config::Client;

use super::header_str;
use crate::provider::Provider;

const ANY: HeaderValue = HeaderValue::from_static("*");
const METHODS: HeaderValue = HeaderValue::from_static("GET, POST");
const REQUEST_HEADERS: HeaderValue = HeaderValue::from_static("authorization, content-type");
const MAX_AGE: HeaderValue = HeaderValue::from_static("600");

/// A public document any origin's script may read.
pub fn open(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, ANY);
    response
}

/// The response, readable by the request's origin when `client` registered it.
pub fn for_client(
    headers: &HeaderMap,
    client: Option<&Client>,
    mut response: Response,
) -> Response {
    let out = response.headers_mut();
    out.append(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = allowed(headers, client.into_iter()) {
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}

/// The origin of the request when one of `clients` registered it.
fn allowed<'a>(
    headers: &HeaderMap,
    mut clients: impl Iterator<Item = &'a Client>,
) -> Option<HeaderValue> {
    let origin = header_str(headers, header::ORIGIN)?;
    clients
        .any(|c| c.web_origins.iter().any(|o| o == origin))
        .then(|| HeaderValue::from_str(origin).ok())
        .flatten()
}

/// `OPTIONS` on the token, userinfo and revocation endpoints: a preflight from a registered
/// origin is allowed (the actual request is checked against its own client); any other gets
/// no permission.
pub async fn preflight(
    axum::extract::State(p): axum::extract::State<std::sync::Arc<Provider>>,
    headers: HeaderMap,
) -> Response {
    let registry = p.clients();
    let mut response = StatusCode::NO_CONTENT.into_response();
    let out = response.headers_mut();
    out.insert(header::VARY, HeaderValue::from_static("origin"));
    if let Some(origin) = allowed(&headers, registry.all().iter().map(|c| c.as_ref())) {
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, METHODS);
        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, REQUEST_HEADERS);
        out.insert(header::ACCESS_CONTROL_MAX_AGE, MAX_AGE);
    }
    response
}
