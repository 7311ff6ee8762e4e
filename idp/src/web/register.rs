//! "Daftar" and the e-mail activation pages (guide 1.1 and 1.2).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::i18n::{Lang, Text};
use super::pages::{self, RegisterForm};
use super::OwnForm;
use super::{admit, lang, link_gone, link_page, new_challenge, redraw_only, refused, unavailable};
use super::{apps, html};
use crate::account::registration::{self, Field, FieldError, Problem, RegistrationForm};
use crate::clock::now;
use crate::flows::enrolment::{self, Activation};
use crate::provider::Provider;
use crate::store::OneTimeKind;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegisterPost {
    #[serde(flatten)]
    form: RegistrationForm,
    captcha_token: String,
    captcha: String,
    ui_locales: String,
    /// The sealed authorization request of the app's login the person came from.
    request: String,
    /// Set by the "another picture" button: show the form again with a new captcha.
    refresh: String,
}

pub async fn page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    let form = RegistrationForm {
        identity_type: q.get("type").cloned().unwrap_or_default(),
        ..RegistrationForm::default()
    };
    let request = q.get("request").map_or("", String::as_str);
    render(&p, &headers, (lang, request), StatusCode::OK, &form, &[]).await
}

/// The form, for the app whose login `request` is (if any).
async fn render(
    p: &Provider,
    headers: &HeaderMap,
    (lang, request): (Lang, &str),
    status: StatusCode,
    values: &RegistrationForm,
    errors: &[FieldError],
) -> Response {
    let token = match new_challenge(p, headers, lang).await {
        Ok(token) => token,
        Err(refused) => return refused,
    };
    let app = super::login::pending(p, request).and_then(|r| apps::requesting(p, lang, &r));
    let form = RegisterForm {
        values,
        errors,
        request,
        app: app.as_deref(),
        captcha_token: &token,
        upstream: None,
    };
    (
        status,
        html(p, pages::register(lang, &form, &p.config().ui)),
    )
        .into_response()
}

/// A registration: captcha and every field checked at once; then the same "check your
/// e-mail" page whether an account was made or its owner was told.
pub async fn submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(post): Form<RegisterPost>,
) -> Response {
    let lang = lang(&headers, Some(&post.ui_locales));
    if redraw_only(&post.refresh) {
        return render(
            &p,
            &headers,
            (lang, &post.request),
            StatusCode::OK,
            &post.form,
            &[],
        )
        .await;
    }
    let now = now();
    if let Err(refusal) = admit(&p, &headers, now).await {
        return refused(&p, lang, refusal);
    }
    let captcha_ok = match p
        .captchas
        .check(&post.captcha_token, &post.captcha, now)
        .await
    {
        Ok(ok) => ok,
        Err(e) => return unavailable(&p, lang, e),
    };
    let checked = registration::validate(&post.form, crate::clock::day_of(now));
    let registration = match (checked, captcha_ok) {
        (Ok(r), true) => r,
        (checked, captcha_ok) => {
            let mut errors = checked.err().unwrap_or_default();
            if !captcha_ok {
                errors.push(FieldError {
                    field: Field::Captcha,
                    problem: Problem::WrongCaptcha,
                });
            }
            return render(
                &p,
                &headers,
                (lang, &post.request),
                StatusCode::OK,
                &post.form,
                &errors,
            )
            .await;
        }
    };
    let return_to = super::login::pending(&p, &post.request).and_then(|r| apps::address(&p, &r));
    if let Err(e) = enrolment::register(&p, registration, return_to, lang, now).await {
        return unavailable(&p, lang, e);
    }
    check_your_email(&p, lang, &post.form.email)
}

pub(super) fn check_your_email(p: &Provider, lang: Lang, address: &str) -> Response {
    html(
        p,
        pages::mail_sent(
            lang,
            (Text::CheckEmailTitle, Text::CheckEmail),
            Some(address.trim()),
            Some(("/activate/resend", Text::ResendActivation)),
            &p.config().helpdesk,
        ),
    )
    .into_response()
}

/// The page an activation link opens: one button that spends the link.
pub async fn activate_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let texts = (
        Text::ActivateTitle,
        Text::ActivateQuestion,
        Text::ActivateButton,
    );
    let link = (OneTimeKind::ActivationLink, "/activate");
    link_page(&p, &headers, &q, link, texts, ACTIVATION_GONE).await
}

/// Where an activation link that was used or has expired leads: the login (the account may
/// already be active) or a new link.
const ACTIVATION_GONE: &[(&str, Text)] = &[
    ("/login", Text::LoginTitle),
    ("/activate/resend", Text::ResendActivation),
];

pub async fn activate(
    State(p): State<Arc<Provider>>,
    _headers: HeaderMap,
    form: OwnForm,
) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    match enrolment::activate(&p, field("token"), now()).await {
        Ok(Activation::Activated { login }) => html(
            &p,
            pages::notice(
                lang,
                Text::ActivateTitle,
                Text::Activated,
                Some((login.as_str(), Text::LoginTitle)),
                &p.config().helpdesk,
            ),
        )
        .into_response(),
        Ok(Activation::LinkInvalid) => link_gone(&p, lang, ACTIVATION_GONE),
        Err(e) => unavailable(&p, lang, e),
    }
}
