//! The provider's HTTP surface. Thin handlers: they parse, call protocol or account functions,
//! and render.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

/// The provider's routes, served under the issuer's host.
pub fn router() -> Router {
    Router::new()
        .route("/", get(home))
        .route("/authorize", get(authorize).post(authorize))
        .fallback(not_found)
        .layer(axum::middleware::map_response(security_headers))
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
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title}</title></head><body><main>{body}</main></body></html>"
    ))
}

async fn home() -> Html<String> {
    page(
        "Gerbang SSO",
        "<h1>Gerbang SSO</h1><p>Layanan masuk tunggal untuk aplikasi perizinan.</p><p lang=\"en\">Single sign-on for the licensing apps.</p>",
    )
}

/// The authorization endpoint. The login page arrives with the provider; until then it says so
/// plainly instead of failing.
async fn authorize() -> impl IntoResponse {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        page(
            "Masuk belum tersedia",
            "<h1>Masuk belum tersedia</h1><p>Halaman masuk (login) sedang disiapkan. Silakan coba lagi nanti.</p>\
<p lang=\"en\">Logging in is not available yet: the login page is being built. Please try again later.</p>",
        ),
    )
}

async fn not_found() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        page(
            "404",
            "<h1>404</h1><p>Halaman tidak ditemukan.</p><p lang=\"en\">Page not found.</p>",
        ),
    )
}
