//! Passkeys on the pages: "Buat passkey" from Beranda (`/account/passkeys`), and "Masuk dengan
//! passkey" on the login page (`/login/passkey`). The flow decides (`flows::passkey`); this
//! maps it to pages. The second step's passkey goes through `second_factor::second_step`.
//!
//! A passkey login asks no captcha: the captcha slows down guessing of passwords, and there
//! is nothing to guess in a passkey's answer (a signature over a fresh challenge by a key
//! only the person's device holds, unlocked by their PIN or biometric). Nor does the lock
//! that wrong passwords put on an account keep a passkey out: otherwise anyone could lock a
//! person out of their passkey by typing wrong passwords for their user name.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::i18n::{Lang, Text};
use super::{admit, client_address, html, lang, login, password, redirect, refused};
use super::{factor_pages, second_factor};
use super::{unavailable, LoggedIn, OwnForm, Refusal};
use crate::assurance::Proven;
use crate::audit::AuditKind;
use crate::clock::now;
use crate::flows::passkey::{self, Registered};
use crate::provider::Provider;
use crate::store::User;

/// `/account/passkeys/new`: the page that creates a passkey.
pub async fn new_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { user, .. }: LoggedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    enrol_form(&p, lang, &user, ("", ""), None).await
}

/// An app asks for the passkey level of a user who has no passkey: creating one, then back to
/// the app's request (`sealed`), which then asks for it.
pub(super) async fn enrol_for(p: &Provider, lang: Lang, user: &User, sealed: &str) -> Response {
    enrol_form(p, lang, user, ("", sealed), None).await
}

/// The page with a new ceremony; `typed` is the name as typed and the sealed request it
/// continues.
async fn enrol_form(
    p: &Provider,
    lang: Lang,
    user: &User,
    (name, request): (&str, &str),
    error: Option<Text>,
) -> Response {
    let request = login::pending(p, request).map_or("", |_| request);
    match passkey::begin_registration(p, user, now()).await {
        Ok(Some(challenge)) => {
            let apps = p.config().mfa.factors.totp;
            let page =
                factor_pages::passkey_enrol(lang, &challenge, (name, request), (error, apps));
            html(p, page).into_response()
        }
        Ok(None) => redirect("/#second-factor"),
        Err(e) => unavailable(p, lang, e),
    }
}

/// The browser's new passkey: stored, then Beranda (or the recovery codes, when these are the
/// user's first factor), or on to the app whose request asked.
pub async fn add(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    form: OwnForm,
) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let typed = (field("name"), field("request"));
    let ceremony = (field("passkey"), field("credential"));
    let address = client_address(&headers);
    let now = now();
    let codes = match passkey::register(&p, &user, ceremony, typed.0, &address, now).await {
        Ok(Registered::Added { recovery_codes }) => recovery_codes,
        Ok(Registered::Refused) => {
            return enrol_form(&p, lang, &user, typed, Some(Text::PasskeyRefused)).await
        }
        Ok(Registered::Expired) => {
            return enrol_form(&p, lang, &user, typed, Some(Text::PasskeyExpired)).await
        }
        Ok(Registered::NameTooLong) => {
            return enrol_form(&p, lang, &user, typed, Some(Text::FactorNameTooLong)).await
        }
        Err(e) => return unavailable(&p, lang, e),
    };
    let added = (codes, Text::PasskeyAdded);
    second_factor::after_adding(&p, lang, added, typed.1, (&session, &user)).await
}

/// "Masuk dengan passkey": the passkey's answer names the account; a session that proved a
/// passkey, then on to the app (or the new password a temporary one still asks for).
pub async fn log_in(State(p): State<Arc<Provider>>, headers: HeaderMap, form: OwnForm) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let sealed = field("request");
    let sealed = login::pending(&p, sealed).map_or("", |_| sealed);
    let again = |error: Text, status: StatusCode| {
        login::render(&p, &headers, lang, status, sealed, "", Some(error))
    };
    let now = now();
    let address = match admit(&p, &headers, now).await {
        Ok(address) => address,
        Err(Refusal::TooMany) => {
            return again(Text::TooManyAttempts, StatusCode::TOO_MANY_REQUESTS).await
        }
        Err(refusal) => return refused(&p, lang, refusal),
    };
    let ceremony = (field("passkey"), field("credential"));
    let proved = match passkey::prove(&p, ceremony, None, now).await {
        Ok(Some(proved)) => proved,
        Ok(None) => {
            let why = "passkey not accepted";
            p.audit(AuditKind::LoginFailure, None, None, Some(&address), why)
                .await;
            return again(Text::PasskeyRefused, StatusCode::OK).await;
        }
        Err(e) => return unavailable(&p, lang, e),
    };
    let user = &proved.user;
    let how = "passkey";
    p.audit(
        AuditKind::LoginSuccess,
        Some(&user.id),
        None,
        Some(&address),
        how,
    )
    .await;
    let proven = Proven::by(proved.method);
    match user.must_change_password {
        true => password::ask_for_new(&p, lang, &user.id, sealed, &proven, None).await,
        false => login::logged_in(&p, &headers, lang, user, sealed, proven, now).await,
    }
}
