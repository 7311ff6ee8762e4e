//! `/federation/…`: logging in with another identity provider. Thin: the flow is
//! `crate::federation`; these map its outcomes to pages, and keep its state in one `__Host-`
//! cookie (the pending login's state, then the pending link's or registration's token) so that
//! only the browser that started a login can finish it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::federation_pages::{self as pages, LinkView};
use super::i18n::{Lang, Text};
use super::{admit, client_address, cookie, html, lang, redirect, refused, unavailable};
use super::{login, LoggedIn, OwnForm, Refusal};
use crate::clock::{now, Timestamp};
use crate::federation::linking::Refused;
use crate::federation::{self, Begun, FederationError, Finished, Proof};
use crate::provider::Provider;
use crate::upstream_provider::UpstreamError;

/// Holds the state of a login at an upstream, then the token of a link waiting for its proof.
pub(super) const COOKIE: &str = "__Host-gerbang-federation";

/// `GET /federation/{id}/start`: off to the upstream's login, continuing `request` afterwards.
pub async fn start(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    let request = q.get("request").map(String::as_str).unwrap_or("");
    match federation::begin(&p, &id, request, None, lang.code(), now()).await {
        Ok(begun) => to_upstream(&begun),
        Err(e) => failure(&p, lang, e),
    }
}

/// `POST /account/links/add`: a logged-in person links a provider from Beranda.
pub async fn add(State(p): State<Arc<Provider>>, person: LoggedIn, form: OwnForm) -> Response {
    let (lang, user_id) = (form.lang, person.user.id);
    let provider = form.field("provider");
    match federation::begin(&p, provider, "", Some(user_id), lang.code(), now()).await {
        Ok(begun) => to_upstream(&begun),
        Err(e) => failure(&p, lang, e),
    }
}

/// `POST /account/links/remove`: the person removes a link from Beranda.
pub async fn remove(State(p): State<Arc<Provider>>, person: LoggedIn, form: OwnForm) -> Response {
    let lang = form.lang;
    let by = "the account holder";
    match federation::unlink(&p, &person.user.id, form.field("provider"), by, now()).await {
        Ok(_) => redirect(&format!("/?unlinked=1&ui_locales={}", lang.code())),
        Err(e) => failure(&p, lang, e),
    }
}

/// `GET /federation/{id}/callback`: the upstream's answer.
pub async fn callback(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, None);
    let (now, address) = (now(), client_address(&headers));
    let state = cookie(&headers, COOKIE);
    let finished = federation::finish(&p, &id, &params, state, &address, now).await;
    let mut response = match finished {
        Ok(Finished::LoggedIn(login)) => logged_in(&p, &headers, lang, login, now).await,
        Ok(Finished::Linked { .. }) => redirect(&format!("/?linked=1&ui_locales={}", lang.code())),
        Ok(Finished::ProveControl { token, user, by }) => {
            let title = title_of(&p, lang, &id);
            let view = LinkView {
                provider: &title,
                username: &user.username,
                by,
                error: None,
            };
            let page = pages::link_account(lang, &view, &p.config().helpdesk);
            let mut response = html(&p, page).into_response();
            set_cookie(&mut response, Some(&token));
            return response;
        }
        Ok(Finished::Register { token }) => {
            let mut response =
                redirect(&format!("/federation/register?ui_locales={}", lang.code()));
            set_cookie(&mut response, Some(&token));
            return response;
        }
        Err(e) => failure(&p, lang, e),
    };
    set_cookie(&mut response, None);
    response
}

/// `POST /federation/link`: the matched account's password, to link and log in.
pub async fn link(State(p): State<Arc<Provider>>, headers: HeaderMap, form: OwnForm) -> Response {
    let lang = form.lang;
    let now = now();
    let address = match admit(&p, &headers, now).await {
        Ok(address) => address,
        Err(Refusal::TooMany) => return ask_again(&p, &headers, lang, Text::TooManyAttempts).await,
        Err(refusal) => return refused(&p, lang, refusal),
    };
    let token = cookie(&headers, COOKIE).unwrap_or("");
    let proof = federation::prove_with_password(&p, token, form.field("password"), &address, now);
    let login = match proof.await {
        Ok(Proof::Linked(login)) => login,
        Ok(Proof::Wrong) => return ask_again(&p, &headers, lang, Text::LinkWrongPassword).await,
        Ok(Proof::Locked) => return ask_again(&p, &headers, lang, Text::TooManyAttempts).await,
        Ok(Proof::Busy) => return ask_again(&p, &headers, lang, Text::Busy).await,
        Ok(Proof::Gone) => return page(&p, lang, StatusCode::GONE, Text::FederationExpired),
        Err(e) => return failure(&p, lang, e),
    };
    let mut response = logged_in(&p, &headers, lang, login, now).await;
    set_cookie(&mut response, None);
    response
}

/// A session from an upstream's login, and on to where the login was going.
pub(super) async fn logged_in(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
    login: federation::Login,
    now: Timestamp,
) -> Response {
    let started = (login.proven, Some(login.upstream));
    let user_request = (login.user.as_ref(), login.request.as_str());
    login::logged_in_by(p, headers, lang, user_request, started, now).await
}

/// The link page again, with what went wrong (never the password).
async fn ask_again(p: &Provider, headers: &HeaderMap, lang: Lang, error: Text) -> Response {
    let token = cookie(headers, COOKIE).unwrap_or("");
    let Some(waiting) = federation::awaiting(p, token, now()).await else {
        return page(p, lang, StatusCode::GONE, Text::FederationExpired);
    };
    let title = title_of(p, lang, &waiting.provider);
    let view = LinkView {
        provider: &title,
        username: &waiting.username,
        by: waiting.by,
        error: Some(error),
    };
    let status = match error {
        Text::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
        Text::Busy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    let page = pages::link_account(lang, &view, &p.config().helpdesk);
    (status, html(p, page)).into_response()
}

/// `POST /federation/{id}/backchannel-logout`: the upstream ended a session there (OIDC
/// Back-Channel Logout 1.0); the sessions its login started here end too. Server to server:
/// no origin check, a JSON error for a token that does not verify.
pub async fn backchannel_logout(
    State(p): State<Arc<Provider>>,
    Path(id): Path<String>,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let token = form.get("logout_token").map(String::as_str).unwrap_or("");
    match federation::logged_out_upstream(&p, &id, token, now()).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(FederationError::Account(e)) => {
            tracing::error!(error = %e, "a back-channel logout failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Err(FederationError::UnknownProvider(_)) => StatusCode::NOT_FOUND.into_response(),
        Err(_) => {
            let body = axum::Json(serde_json::json!({ "error": "invalid_request" }));
            (StatusCode::BAD_REQUEST, body).into_response()
        }
    }
}

/// `GET /federation/{id}/logo`: the picture on its button.
pub async fn logo(State(p): State<Arc<Provider>>, Path(id): Path<String>) -> Response {
    let logo = p
        .config()
        .identity_provider(&id)
        .and_then(|provider| provider.logo.clone());
    super::brand::asset(logo)
}

/// The login page's buttons, one per configured provider.
pub(super) fn buttons(p: &Provider, lang: Lang) -> Vec<pages::ProviderButton> {
    p.config()
        .identity_providers
        .iter()
        .map(|provider| pages::ProviderButton {
            id: provider.id.clone(),
            title: provider.title.get(lang.code()).to_string(),
            logo: provider.logo.is_some(),
            available: p.upstreams.available(&provider.id),
        })
        .collect()
}

pub(super) fn title_of(p: &Provider, lang: Lang, id: &str) -> String {
    p.config().identity_provider(id).map_or_else(
        || id.to_string(),
        |provider| provider.title.get(lang.code()).to_string(),
    )
}

fn to_upstream(begun: &Begun) -> Response {
    let mut response = redirect(&begun.url);
    set_cookie(&mut response, Some(&begun.state));
    response
}

/// Sets the flow's cookie (`None`: removes it). `SameSite=Lax`: the upstream's answer arrives
/// as a top-level navigation from its site, which Lax cookies go with.
pub(super) fn set_cookie(response: &mut Response, value: Option<&str>) {
    let cookie = match value {
        Some(v) => format!("{COOKIE}={v}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600"),
        None => format!("{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"),
    };
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

pub(super) fn page(p: &Provider, lang: Lang, status: StatusCode, message: Text) -> Response {
    let page = pages::failed(lang, message, "", &p.config().helpdesk);
    (status, html(p, page)).into_response()
}

/// The page for a login that did not go through; server faults are logged, the rest were
/// audited by the flow.
pub(super) fn failure(p: &Provider, lang: Lang, e: FederationError) -> Response {
    let (status, message) = match e {
        FederationError::UnknownProvider(_) => (StatusCode::NOT_FOUND, Text::NotFound),
        FederationError::Upstream(UpstreamError::Unavailable(_)) => {
            (StatusCode::SERVICE_UNAVAILABLE, Text::FederationUnavailable)
        }
        FederationError::Upstream(UpstreamError::Denied(_)) => {
            (StatusCode::FORBIDDEN, Text::FederationDenied)
        }
        FederationError::Upstream(_) => (StatusCode::BAD_GATEWAY, Text::FederationUnverified),
        FederationError::ForeignState | FederationError::SpentState => {
            (StatusCode::BAD_REQUEST, Text::FederationExpired)
        }
        FederationError::Refused(why) => (StatusCode::FORBIDDEN, refusal_text(why)),
        FederationError::LinkedElsewhere => (StatusCode::CONFLICT, Text::FederationLinkedElsewhere),
        FederationError::Account(e) => return unavailable(p, lang, e),
    };
    page(p, lang, status, message)
}

fn refusal_text(why: Refused) -> Text {
    match why {
        Refused::AccountUnusable => Text::FederationAccountUnusable,
        Refused::EmailWithoutLink => Text::FederationEmailWithoutLink,
        Refused::NoAccount => Text::FederationNoAccount,
        Refused::Ambiguous => Text::FederationAmbiguous,
    }
}
