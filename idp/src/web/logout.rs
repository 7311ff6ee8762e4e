//! RP-initiated logout (OIDC RP-Initiated Logout 1.0) at `/logout`.
//!
//! A GET ends the session without asking only when its `id_token_hint` is ours and names the
//! browser's own session (its `sub`, and its `sid` when present): a link elsewhere, even one
//! carrying another user's or an old ID token, only asks. The confirmation is a POST from the
//! provider's own page (its `Origin` is checked). `post_logout_redirect_uri` is followed only
//! when it is registered, exactly, for the client the hint (or `client_id`) names, and `state`
//! goes back with it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde_json::Value;

use super::html;
use super::i18n::Lang;
use super::{client_address, forbidden, header_str, pages, redirect, same_origin};
use crate::protocol::jwt;
use crate::provider::Provider;
use crate::{logout, session};

pub async fn get(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    end_session(&p, &headers, &params, false).await
}

pub async fn post(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(params): Form<HashMap<String, String>>,
) -> Response {
    if !same_origin(&p, &headers) {
        let lang = Lang::choose(None, header_str(&headers, header::ACCEPT_LANGUAGE));
        return forbidden(&p, lang);
    }
    let confirmed = params.get("confirm").is_some_and(|c| c == "yes");
    end_session(&p, &headers, &params, confirmed).await
}

/// What an ID token hint says, if it is ours and untampered (expired hints are accepted, as
/// the specification allows: a user may log out long after logging in).
struct Hint {
    client: String,
    sub: String,
    sid: Option<String>,
}

fn read_hint(p: &Provider, hint: &str) -> Option<Hint> {
    let claims: Value = jwt::verify(&p.keys.current(), hint).ok()?;
    (claims["iss"] == p.issuer.as_str()).then_some(())?;
    let client = match &claims["aud"] {
        Value::String(a) => Some(a.clone()),
        Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_string),
        _ => None,
    }?;
    Some(Hint {
        client,
        sub: claims["sub"].as_str()?.to_string(),
        sid: claims["sid"].as_str().map(str::to_string),
    })
}

/// Whether a hint names the browser's current session: same user, and the same provider
/// session when the hint says which.
fn names_session(hint: &Hint, session: &crate::store::Session) -> bool {
    hint.sub == session.user_id && hint.sid.as_ref().is_none_or(|sid| *sid == session.id_hash)
}

async fn end_session(
    p: &Arc<Provider>,
    headers: &HeaderMap,
    params: &HashMap<String, String>,
    confirmed: bool,
) -> Response {
    let lang = Lang::choose(
        params.get("ui_locales").map(String::as_str),
        header_str(headers, header::ACCEPT_LANGUAGE),
    );
    let hint = params.get("id_token_hint").filter(|h| !h.is_empty());
    let read = hint.and_then(|h| read_hint(p, h));
    if hint.is_some() && read.is_none() {
        return (
            StatusCode::BAD_REQUEST,
            html(
                p,
                pages::error(lang, super::i18n::Text::BadRequest, &p.config().helpdesk),
            ),
        )
            .into_response();
    }
    let value = header_str(headers, header::COOKIE).and_then(session::from_cookie_header);
    // A session the store cannot look up is not one to call ended.
    let current = match value {
        Some(value) => match p.store.session(&session::hash(value)).await {
            Ok(found) => found,
            Err(e) => return super::unavailable(p, lang, e),
        },
        None => None,
    };
    let hint_is_this_session = read
        .as_ref()
        .zip(current.as_ref())
        .is_some_and(|(hint, current)| names_session(hint, current));
    let hinted = read.map(|h| h.client);
    let client = hinted
        .clone()
        .or_else(|| params.get("client_id").cloned())
        .and_then(|id| p.clients().get(&id));
    // Where "Kembali ke aplikasi" goes: the client's first registered post-logout address.
    let back = client.and_then(|c| {
        let address = c.post_logout_redirect_uris.first()?;
        Some((address.clone(), c.name.get(lang.code()).to_string()))
    });
    if !hint_is_this_session && !confirmed {
        return ask(p, lang, params);
    }
    if let Some(current) = current {
        let address = client_address(headers);
        let ended = logout::end_session(p, &current.id_hash, &current.user_id, Some(&address));
        if let Err(e) = ended.await {
            return super::unavailable(p, lang, e);
        }
    }
    let mut response = match post_logout_target(p, params, hinted) {
        Some(url) => redirect(&url),
        None => html(p, pages::logged_out(lang, back.as_ref())).into_response(),
    };
    if let Ok(cookie) = header::HeaderValue::from_str(&session::cookie(None, p.session_lifetimes()))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The page that asks whether to log out, carrying the request's own parameters.
fn ask(p: &Provider, lang: Lang, params: &HashMap<String, String>) -> Response {
    let keep: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| {
            [
                "post_logout_redirect_uri",
                "state",
                "client_id",
                "ui_locales",
                "id_token_hint",
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    html(p, pages::logout_confirm(lang, &keep)).into_response()
}

/// Where the browser goes after logging out: the client's registered post-logout URI it asked
/// for (the client named by the ID token hint, else by `client_id`), with its `state`; `None`
/// for Gerbang's own page.
fn post_logout_target(
    p: &Provider,
    params: &HashMap<String, String>,
    hinted: Option<String>,
) -> Option<String> {
    let client_id = hinted.or_else(|| params.get("client_id").cloned());
    let uri = params.get("post_logout_redirect_uri").filter(|uri| {
        client_id
            .as_deref()
            .and_then(|id| p.clients().get(id))
            .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == *uri))
    })?;
    let mut url = uri.clone();
    if let Some(state) = params.get("state") {
        let separator = if url.contains('?') { '&' } else { '?' };
        url.push(separator);
        url.push_str(
            &url::form_urlencoded::Serializer::new(String::new())
                .append_pair("state", state)
                .finish(),
        );
    }
    Some(url)
}
