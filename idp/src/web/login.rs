//! The login page ("Masuk", OSS guide Gambar 5), the captcha's picture and sound, and the
//! provider's own home.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;

use super::html;
use super::i18n::{Lang, Text};
use super::pages::{self, LoginForm};
use super::OwnForm;
use super::{
    admit, client_address, device, field, lang, link_gone, link_page, new_challenge, oidc,
    password, redirect, redraw_only, refused, second_factor, unavailable, Refusal,
};
use crate::clock::now;
use crate::flows::login::{self, Attempt, LoginOutcome};
use crate::flows::passkey;
use crate::flows::second_step::Pending;
use crate::protocol::authorize::AuthorizationRequest;
use crate::provider::Provider;
use crate::session;
use crate::store::{OneTimeKind, Proven, Timestamp, UpstreamSession, User};

/// The pending authorization request a login continues, if any (and if it opens).
pub(super) fn pending(p: &Provider, sealed: &str) -> Option<AuthorizationRequest> {
    p.requests
        .open(sealed)
        .and_then(|b| serde_json::from_slice(&b).ok())
}

/// The login page, with a new captcha and (where passkeys are offered) a new passkey ceremony.
pub(super) async fn render(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
    status: StatusCode,
    request: &str,
    username: &str,
    error: Option<Text>,
) -> Response {
    let token = match new_challenge(p, headers, lang).await {
        Ok(token) => token,
        Err(refused) => return refused,
    };
    let app = pending(p, request).and_then(|r| super::apps::requesting(p, lang, &r));
    let passkey = match passkey::begin_login(p, now()).await {
        Ok(passkey) => passkey,
        Err(e) => return unavailable(p, lang, e),
    };
    let federated = super::federation::buttons(p, lang);
    let form = LoginForm {
        request_id: request,
        username,
        captcha_token: &token,
        error,
        app: app.as_deref(),
        passkey: passkey.as_ref(),
        federated: &federated,
    };
    (
        status,
        html(p, pages::login(lang, &form, &p.config().helpdesk)),
    )
        .into_response()
}

pub async fn page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let sealed = q.get("request").map(String::as_str).unwrap_or("");
    let request = pending(&p, sealed);
    let ui = q.get("ui_locales").map(String::as_str).or(request
        .as_ref()
        .and_then(|r| r.ui_locales.first().map(String::as_str)));
    let lang = lang(&headers, ui);
    let hint = request
        .as_ref()
        .and_then(|r| r.login_hint.clone())
        .unwrap_or_default();
    render(
        &p,
        &headers,
        lang,
        StatusCode::OK,
        if request.is_some() { sealed } else { "" },
        &hint,
        None,
    )
    .await
}

/// A login attempt: captcha, limits, password; then a fresh session and back to the client.
pub async fn submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let field = |k: &str| field(&form, k);
    let lang = lang(&headers, Some(field("ui_locales")));
    let (sealed, username) = (field("request"), field("username").trim());
    let again = |error: Text, status: StatusCode| {
        render(&p, &headers, lang, status, sealed, username, Some(error))
    };
    if redraw_only(field("refresh")) {
        return render(&p, &headers, lang, StatusCode::OK, sealed, username, None).await;
    }
    let now = now();
    let address = match admit(&p, &headers, now).await {
        Ok(address) => address,
        Err(Refusal::TooMany) => {
            return again(Text::TooManyAttempts, StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(refusal) => return refused(&p, lang, refusal),
    };
    let device_of = |user_id: &str| device::known_to(&p, &headers, user_id);
    let attempt = Attempt {
        username,
        password: field("password"),
        captcha_token: field("captcha_token"),
        captcha_answer: field("captcha"),
        address: &address,
        device_of: &device_of,
    };
    let passed = match login::attempt(&p, &attempt, now).await {
        Ok(LoginOutcome::WrongCaptcha) => return again(Text::WrongCaptcha, StatusCode::OK).await,
        Ok(LoginOutcome::Locked { new_device }) => {
            let why = match new_device {
                true => Text::LockedNewDevice,
                false => Text::TooManyAttempts,
            };
            return again(why, StatusCode::TOO_MANY_REQUESTS).await;
        }
        Ok(LoginOutcome::WrongCredentials) => {
            return again(Text::WrongCredentials, StatusCode::OK).await
        }
        Ok(LoginOutcome::Busy) => return again(Text::Busy, StatusCode::SERVICE_UNAVAILABLE).await,
        Ok(LoginOutcome::TemporaryExpired) => {
            return again(Text::TemporaryExpired, StatusCode::OK).await
        }
        Ok(LoginOutcome::MustChangePassword(passed)) => {
            if passed.second_factor {
                let pending = Pending::login(&passed, sealed, true);
                return second_factor::ask(&p, lang, &pending).await;
            }
            let proven = Proven::password();
            let user_id = &passed.user.id;
            let mut response =
                password::ask_for_new(&p, lang, user_id, sealed, &proven, None).await;
            remember_device(&p, &mut response, &passed.user.id, passed.known_device);
            return response;
        }
        Ok(LoginOutcome::LoggedIn(passed)) => passed,
        Err(e) => return unavailable(&p, lang, e),
    };
    // The device is remembered once the second factor, if any, is given too.
    if passed.second_factor {
        let pending = Pending::login(&passed, sealed, false);
        return second_factor::ask(&p, lang, &pending).await;
    }
    let proven = Proven::password();
    let mut response = logged_in(&p, &headers, lang, &passed.user, sealed, proven, now).await;
    remember_device(&p, &mut response, &passed.user.id, passed.known_device);
    response
}

/// The page an unlock link opens: one button, so link scanners do not spend it.
pub async fn unlock_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let texts = (Text::UnlockTitle, Text::UnlockQuestion, Text::UnlockButton);
    let link = (OneTimeKind::UnlockLink, "/login/unlock");
    link_page(&p, &headers, &q, link, texts, UNLOCK_GONE).await
}

/// Where an unlock link that was used or has expired leads.
const UNLOCK_GONE: &[(&str, Text)] = &[("/login", Text::BackToLogin)];

/// Follows an unlock link: this browser becomes a known device of the account, so the lock
/// that new devices share does not hold it (the password is still asked).
pub async fn unlock(State(p): State<Arc<Provider>>, headers: HeaderMap, form: OwnForm) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let desk = &p.config().helpdesk;
    let back = Some(("/login", Text::BackToLogin));
    match login::unlock(&p, field("token"), &client_address(&headers), now()).await {
        Ok(Some(user_id)) => {
            let page = pages::notice(lang, Text::UnlockTitle, Text::DeviceUnlocked, back, desk);
            let mut response = html(&p, page).into_response();
            remember_device(&p, &mut response, &user_id, None);
            response
        }
        Ok(None) => link_gone(&p, lang, UNLOCK_GONE),
        Err(e) => unavailable(&p, lang, e),
    }
}

/// Makes the browser a known device of the account whose password it just gave.
pub(super) fn remember_device(
    p: &Provider,
    response: &mut Response,
    user_id: &str,
    known: Option<String>,
) {
    if let Ok(cookie) = header::HeaderValue::from_str(&device::cookie(p, user_id, known)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
}

/// A fresh provider session for `user` (never one the browser brought) that `proven` what it
/// did, then back to the client whose request `sealed` carries, or to the home page.
pub(super) async fn logged_in(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
    user: &User,
    sealed: &str,
    proven: Proven,
    now: Timestamp,
) -> Response {
    let started = (proven, None);
    logged_in_by(p, headers, lang, (user, sealed), started, now).await
}

/// [`logged_in`], for a session an upstream identity provider's login may have started.
pub(super) async fn logged_in_by(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
    (user, sealed): (&User, &str),
    started: (Proven, Option<UpstreamSession>),
    now: Timestamp,
) -> Response {
    let life = p.session_lifetimes();
    let device = super::device(headers);
    let store = p.store.as_ref();
    let (value, session) = match session::start(store, user, device, started, life, now).await {
        Ok(s) => s,
        Err(e) => return unavailable(p, lang, e),
    };
    // The `[mfa]` policy leads a person it asks for a second factor through setting one up.
    let required = second_factor::required_of(p, lang, user, sealed, false).await;
    let mut response = match (required, pending(p, sealed)) {
        (Some(page), _) => page,
        (None, Some(request)) => oidc::complete(p, &request, &session, user, now).await,
        (None, None) => redirect("/"),
    };
    if let Ok(cookie) = header::HeaderValue::from_str(&session::cookie(Some(&value), life)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `/captcha/{token}/image` and `/captcha/{token}/audio`: a challenge's picture or recording,
/// within the address's limit for the minute.
pub async fn captcha_media(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((token, kind)): Path<(String, String)>,
) -> Response {
    let audio = match kind.as_str() {
        "image" => false,
        "audio" => true,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let now = now();
    match p
        .captchas
        .admit_fetch(
            &client_address(&headers),
            audio,
            super::challenges_per_minute(&p),
            now,
        )
        .await
    {
        Ok(true) => {}
        Ok(false) => return StatusCode::TOO_MANY_REQUESTS.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot count a captcha fetch");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    }
    // Drawing takes milliseconds: not on the runtime's threads.
    let drawing = tokio::task::spawn_blocking(move || match audio {
        true => p.captchas.wav(&token, now),
        false => p.captchas.png(&token, now),
    });
    let content_type = if audio { "audio/wav" } else { "image/png" };
    match drawing.await.ok().flatten() {
        Some(bytes) => ([(header::CONTENT_TYPE, content_type)], bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
