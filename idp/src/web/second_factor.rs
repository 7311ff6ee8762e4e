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
use super::{login, password};
use crate::clock::now;
use crate::flows::login::Passed;
use crate::flows::second_factor::{self, Begun, Confirmed};
use crate::flows::second_step::{self, SecondStep};
use crate::mfa::totp;
use crate::provider::Provider;
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
    enrol_form(&p, lang, &user, &begun, "", None)
}

pub async fn enrol(State(p): State<Arc<Provider>>, headers: HeaderMap, form: OwnForm) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let Some((_, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let now = now();
    let name = field("name");
    let Some(begun) = second_factor::resume(&p, &user, field("enrolment"), now) else {
        let begun = second_factor::begin(&p, &user, now);
        return enrol_form(&p, lang, &user, &begun, name, Some(Text::EnrolmentExpired));
    };
    let address = client_address(&headers);
    match second_factor::confirm(&p, &user, &begun, field("code"), name, &address, now).await {
        Ok(Confirmed::Added {
            recovery_codes: Some(codes),
        }) => html(&p, factor_pages::recovery_codes(lang, &codes)).into_response(),
        Ok(Confirmed::Added {
            recovery_codes: None,
        }) => redirect("/#second-factor"),
        Ok(Confirmed::WrongCode) => {
            enrol_form(&p, lang, &user, &begun, name, Some(Text::WrongOneTimeCode))
        }
        Ok(Confirmed::NameTooLong) => {
            enrol_form(&p, lang, &user, &begun, name, Some(Text::FactorNameTooLong))
        }
        Err(e) => unavailable(&p, lang, e),
    }
}

fn enrol_form(
    p: &Provider,
    lang: Lang,
    user: &User,
    begun: &Begun,
    name: &str,
    error: Option<Text>,
) -> Response {
    let issuer = p.config().ui.product_name.clone();
    let form = EnrolForm {
        token: &begun.token,
        key_uri: &totp::key_uri(&begun.secret, &issuer, &user.username),
        typed_key: &totp::typed_key(&begun.secret),
        name,
        error,
    };
    html(p, factor_pages::enrol(lang, &form)).into_response()
}

/// After the password: the login waits for its second factor, and the form asks for it.
pub(super) async fn ask(
    p: &Provider,
    lang: Lang,
    passed: &Passed,
    request: &str,
    must_change: bool,
) -> Response {
    match second_step::park(p, passed, request, must_change, now()).await {
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
    let mut response = match pending.must_change {
        true => password::ask_for_new(&p, lang, &user.id, &pending.request, None).await,
        false => login::logged_in(&p, &headers, lang, &user, &pending.request, now).await,
    };
    login::remember_device(&p, &mut response, &user.id, pending.known_device);
    response
}
