//! The operator's branding (`[ui]`) as the pages fetch it: the primary colour as a stylesheet
//! (the CSP allows no inline style), the logo and the favicon as read at load.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use gerbang_config::Asset;

use crate::provider::Provider;

/// Pictures and colours change only with the file: a browser may keep them a few minutes.
const CACHE: &str = "public, max-age=300";

/// An operator's picture is shown, never run: an SVG opened on its own gets no script.
const ASSET_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

pub async fn theme(State(p): State<Arc<Provider>>) -> Response {
    let Some(color) = p.config().ui.primary_color else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, CACHE),
        ],
        format!(":root {{ --accent: {color}; }}\n"),
    )
        .into_response()
}

pub async fn logo(State(p): State<Arc<Provider>>) -> Response {
    asset(p.config().ui.logo.clone())
}

pub async fn favicon(State(p): State<Arc<Provider>>) -> Response {
    asset(p.config().ui.favicon.clone())
}

pub(super) fn asset(asset: Option<Asset>) -> Response {
    let Some(asset) = asset else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (header::CONTENT_TYPE, asset.content_type),
            (header::CACHE_CONTROL, CACHE),
            (header::CONTENT_SECURITY_POLICY, ASSET_POLICY),
        ],
        asset.bytes.to_vec(),
    )
        .into_response()
}
