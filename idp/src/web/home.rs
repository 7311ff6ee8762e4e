//! "Beranda" (guide Gambar 6): who is logged in, the apps open to them, their sessions with
//! "log out everywhere", and the helpdesk.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use gerbang_config::{HostPattern, Policy};

use super::html;
use super::i18n::Lang;
use super::pages::{self, App, HomeView};
use super::OwnForm;
use super::{header_str, lang, redirect, unavailable};
use crate::clock::now;
use crate::flows::enrolment::masked_document;
use crate::logout;
use crate::provider::Provider;
use crate::session;
use crate::store::{Session, User};

/// The logged-in user and their provider session, from the request's cookie.
pub(super) async fn current(p: &Provider, headers: &HeaderMap) -> Option<(Session, User)> {
    let value = header_str(headers, header::COOKIE).and_then(session::from_cookie_header)?;
    session::current(p.store.as_ref(), value, p.session_lifetimes(), now())
        .await
        .ok()
        .flatten()
}

pub async fn page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    let Some((session, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let mut sessions = match p.store.sessions_of(&user.id).await {
        Ok(s) => s,
        Err(e) => return unavailable(&p, lang, e),
    };
    sessions.sort_by_key(|s| std::cmp::Reverse(s.last_seen));
    let view = HomeView {
        user: &user,
        document: masked_document(&user.identity),
        apps: apps(&p, lang),
        sessions: &sessions,
        current: &session.id_hash,
    };
    html(&p, pages::home(lang, &view, &p.config().helpdesk)).into_response()
}

/// The routes a logged-in user can open, as links: every route on a single host (a wildcard
/// route has no one address to link to).
fn apps(p: &Provider, lang: Lang) -> Vec<App> {
    let config = p.config();
    let port = config.public_port();
    config
        .routes
        .iter()
        .filter(|r| matches!(r.policy, Policy::Public | Policy::Authenticated))
        .filter_map(|r| match &r.host {
            HostPattern::Exact(host) => Some(App {
                title: r.title.get(lang.code()).to_string(),
                url: format!("https://{host}{port}{}", r.path_prefix),
            }),
            HostPattern::Wildcard { .. } => None,
        })
        .collect()
}

/// "Keluar dari semua perangkat": ends every session of the user, here and in every app.
pub async fn log_out_everywhere(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    form: OwnForm,
) -> Response {
    let lang = form.lang;
    let Some((_, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let address = super::client_address(&headers);
    if let Err(e) = logout::end_all_sessions(&p, &user.id, Some(&address)).await {
        return unavailable(&p, lang, e);
    }
    let mut response = html(&p, pages::logged_out(lang)).into_response();
    if let Ok(cookie) = header::HeaderValue::from_str(&session::cookie(None, p.session_lifetimes()))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}
