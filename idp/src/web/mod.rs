//! The provider's HTTP surface. Thin handlers: they parse, call protocol or account functions,
//! and render.

mod i18n;
mod login;
mod logout;
mod oidc;
mod pages;

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::provider::Provider;
pub use i18n::Lang;

/// The provider's routes, served under the issuer's host.
pub fn router(provider: Arc<Provider>) -> Router {
    Router::new()
        .route("/", get(login::home))
        .route("/.well-known/openid-configuration", get(oidc::discovery))
        .route("/jwks", get(oidc::jwks))
        .route(
            "/authorize",
            get(oidc::authorize_get).post(oidc::authorize_post),
        )
        .route("/token", post(oidc::token))
        .route("/introspect", post(oidc::introspect))
        .route("/revoke", post(oidc::revoke))
        .route(
            "/userinfo",
            get(oidc::userinfo_get).post(oidc::userinfo_post),
        )
        .route("/login", get(login::page).post(login::submit))
        .route("/consent", post(oidc::consent_answer))
        .route("/logout", get(logout::get).post(logout::post))
        .route("/captcha/{token}/image", get(login::captcha_image))
        .route("/captcha/{token}/audio", get(login::captcha_audio))
        .route("/static/gerbang.css", get(stylesheet))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
        .with_state(provider)
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; media-src 'self'; form-action 'self' https:; frame-ancestors 'none'",
        ),
    ] {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("gerbang.css"),
    )
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Html(pages::layout(
            Lang::Id,
            "404",
            maud::html! { h1 { "404" } p { "Halaman tidak ditemukan." } p lang="en" { "Page not found." } },
        )),
    )
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The client's address as the gateway established it (`X-Real-IP`, which the gateway always
/// sets and never takes from the client; the provider listens on loopback and is reached only
/// through the gateway).
fn client_address(headers: &HeaderMap) -> String {
    headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .map(|a| a.trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

/// A form post must come from the provider's own pages (CSRF defence beside SameSite cookies).
fn same_origin(p: &Provider, headers: &HeaderMap) -> bool {
    header_str(headers, header::ORIGIN).is_none_or(|origin| origin == p.issuer)
}
