//! Two-step verification from Beranda: set up an authenticator app (`/account/second-factor`)
//! and see the recovery codes once. The flow decides (`flows::second_factor`); this maps it to
//! pages.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::factor_pages::{self, EnrolForm};
use super::home::current;
use super::i18n::{Lang, Text};
use super::OwnForm;
use super::{admit, client_address, html, lang, pages, redirect, refused, unavailable, Refusal};
use super::{login, oidc, password};
use crate::assurance::{Method, Proven};
use crate::clock::now;
use crate::flows::second_factor::{self, Begun, Confirmed};
use crate::flows::second_step::{self, Pending, SecondStep};
use crate::mfa::totp;
use crate::provider::Provider;
use crate::session;
use crate::store::User;

pub async fn enrol_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    let Some((_, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let begun = second_factor::begin(&p, &user, now());
    enrol_form(&p, lang, &user, &begun, ("", ""), None)
}

/// An app asked for two factors of a user who has none: setting one up, then back to the
/// app's request (`sealed`).
pub(super) fn enrol_for(p: &Provider, lang: Lang, user: &User, sealed: &str) -> Response {
    let begun = second_factor::begin(p, user, now());
    enrol_form(p, lang, user, &begun, ("", sealed), None)
}

pub async fn enrol(State(p): State<Arc<Provider>>, headers: HeaderMap, form: OwnForm) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let Some((session, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let now = now();
    let typed = (field("name"), field("request"));
    let Some(begun) = second_factor::resume(&p, &user, field("enrolment"), now) else {
        let begun = second_factor::begin(&p, &user, now);
        return enrol_form(&p, lang, &user, &begun, typed, Some(Text::EnrolmentExpired));
    };
    let address = client_address(&headers);
    let added = second_factor::confirm(&p, &user, &begun, field("code"), typed.0, &address, now);
    let codes = match added.await {
        Ok(Confirmed::Added { recovery_codes }) => recovery_codes,
        Ok(Confirmed::WrongCode) => {
            return enrol_form(&p, lang, &user, &begun, typed, Some(Text::WrongOneTimeCode))
        }
        Ok(Confirmed::NameTooLong) => {
            return enrol_form(
                &p,
                lang,
                &user,
                &begun,
                typed,
                Some(Text::FactorNameTooLong),
            )
        }
        Err(e) => return unavailable(&p, lang, e),
    };
    // The app's code just proved it: this session has two factors from now on.
    let store = p.store.as_ref();
    let session = match session::prove(store, &session.id_hash, &user.id, Method::Otp).await {
        Ok(Some(session)) => session,
        Ok(None) => return redirect("/login"),
        Err(e) => return unavailable(&p, lang, e),
    };
    let sealed = typed.1;
    match (codes, login::pending(&p, sealed)) {
        (Some(codes), _) => {
            html(&p, factor_pages::recovery_codes(lang, &codes, sealed)).into_response()
        }
        (None, Some(request)) => oidc::complete(&p, &request, &session, &user, now).await,
        (None, None) => redirect("/#second-factor"),
    }
}

/// The set-up form; `typed` is the device name as typed and the sealed request it continues.
fn enrol_form(
    p: &Provider,
    lang: Lang,
    user: &User,
    begun: &Begun,
    (name, request): (&str, &str),
    error: Option<Text>,
) -> Response {
    let issuer = p.config().ui.product_name.clone();
    let form = EnrolForm {
        token: &begun.token,
        key_uri: &totp::key_uri(&begun.secret, &issuer, &user.username),
        typed_key: &totp::typed_key(&begun.secret),
        name,
        request: login::pending(p, request).map(|_| request),
        error,
    };
    html(p, factor_pages::enrol(lang, &form)).into_response()
}

/// After the password, or for a step-up: the login or session waits for its second factor,
/// and the form asks for it.
pub(super) async fn ask(p: &Provider, lang: Lang, pending: &Pending) -> Response {
    match second_step::park(p, pending, now()).await {
        Ok(ticket) => html(p, factor_pages::second_step(lang, &ticket, None)).into_response(),
        Err(e) => unavailable(p, lang, e),
    }
}

/// The second step's code: the session (or the forced password change) when it is right.
pub async fn second_step(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    form: OwnForm,
) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let ticket = field("ticket");
    let again = |error: Text, status: StatusCode| {
        (
            status,
            html(&p, factor_pages::second_step(lang, ticket, Some(error))),
        )
            .into_response()
    };
    let now = now();
    let address = match admit(&p, &headers, now).await {
        Ok(address) => address,
        Err(Refusal::TooMany) => {
            return again(Text::TooManyAttempts, StatusCode::TOO_MANY_REQUESTS)
        }
        Err(refusal) => return refused(&p, lang, refusal),
    };
    let (user, pending) = match second_step::attempt(&p, ticket, field("code"), &address, now).await
    {
        Ok(SecondStep::Passed { user, pending, .. }) => (user, pending),
        Ok(SecondStep::WrongCode) => return again(Text::WrongOneTimeCode, StatusCode::OK),
        Ok(SecondStep::Locked) => {
            return again(Text::TooManyAttempts, StatusCode::TOO_MANY_REQUESTS)
        }
        Ok(SecondStep::Expired) => {
            let desk = &p.config().helpdesk;
            let back = Some(("/login", Text::LoginTitle));
            let page = pages::notice(
                lang,
                Text::SecondFactorTitle,
                Text::SessionExpired,
                back,
                desk,
            );
            return (StatusCode::GONE, html(&p, page)).into_response();
        }
        Err(e) => return unavailable(&p, lang, e),
    };
    if let Some(stepped_up) = &pending.step_up {
        return step_up(&p, &headers, lang, &user, stepped_up, &pending.request).await;
    }
    let proven = Proven::password().and(Method::Otp);
    let mut response = match pending.must_change {
        true => password::ask_for_new(&p, lang, &user.id, &pending.request, &proven, None).await,
        false => {
            let sealed = &pending.request;
            login::logged_in(&p, &headers, lang, &user, sealed, proven, now).await
        }
    };
    login::remember_device(&p, &mut response, &user.id, pending.known_device);
    response
}

/// A step-up's code was right: the browser's session (the one that asked) records the factor,
/// and the authorization request goes on with it.
async fn step_up(
    p: &Provider,
    headers: &HeaderMap,
    lang: Lang,
    user: &User,
    stepped_up: &str,
    sealed: &str,
) -> Response {
    let same = current(p, headers)
        .await
        .is_some_and(|(session, _)| session.id_hash == stepped_up);
    if !same {
        return redirect("/login");
    }
    let session = match session::prove(p.store.as_ref(), stepped_up, &user.id, Method::Otp).await {
        Ok(Some(session)) => session,
        Ok(None) => return redirect("/login"),
        Err(e) => return unavailable(p, lang, e),
    };
    match login::pending(p, sealed) {
        Some(request) => oidc::complete(p, &request, &session, user, now()).await,
        None => redirect("/"),
    }
}
