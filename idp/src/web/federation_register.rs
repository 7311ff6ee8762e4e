//! `/federation/register`: the registration form an upstream login that matched no account
//! pre-fills (`crate::federation::registration`). Its token is in the flow's cookie, so only
//! the browser that logged in upstream can use it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::federation::{failure, logged_in, page, set_cookie, title_of, COOKIE};
use super::i18n::{Lang, Text};
use super::pages::{self, RegisterForm};
use super::{admit, apps, cookie, html, lang, login, refused};
use crate::account::registration::{FieldError, RegistrationForm};
use crate::clock::now;
use crate::federation::registration::{self, Prefilled, Registered};
use crate::provider::Provider;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegistrationPost {
    #[serde(flatten)]
    form: RegistrationForm,
    ui_locales: String,
}

/// `GET /federation/register`: the form, pre-filled.
pub async fn form(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    let token = cookie(&headers, COOKIE).unwrap_or("");
    match registration::prefilled(&p, token, now()).await {
        Some(prefilled) => render(&p, lang, &prefilled, &[]),
        None => page(&p, lang, StatusCode::GONE, Text::FederationExpired),
    }
}

/// `POST /federation/register`: the account, linked, and logged in when its address was
/// vouched for; else the same "check your e-mail" page as every registration.
pub async fn submit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(post): Form<RegistrationPost>,
) -> Response {
    let lang = lang(&headers, Some(&post.ui_locales));
    let now = now();
    if let Err(refusal) = admit(&p, &headers, now).await {
        return refused(&p, lang, refusal);
    }
    let token = cookie(&headers, COOKIE).unwrap_or("");
    let return_to = |request: &str| login::pending(&p, request).and_then(|r| apps::address(&p, &r));
    let registered = registration::register(&p, token, post.form, lang, return_to, now).await;
    let mut response = match registered {
        Ok(Registered::Invalid { prefilled, errors }) => {
            return render(&p, lang, &prefilled, &errors)
        }
        Ok(Registered::LoggedIn(login)) => logged_in(&p, &headers, lang, login, now).await,
        Ok(Registered::CheckEmail { email }) => super::register::check_your_email(&p, lang, &email),
        Ok(Registered::Gone) => page(&p, lang, StatusCode::GONE, Text::FederationExpired),
        Err(e) => failure(&p, lang, e),
    };
    set_cookie(&mut response, None);
    response
}

fn render(p: &Provider, lang: Lang, prefilled: &Prefilled, errors: &[FieldError]) -> Response {
    let title = title_of(p, lang, &prefilled.provider);
    let request = prefilled.request.as_str();
    let app = login::pending(p, request).and_then(|r| apps::requesting(p, lang, &r));
    let form = RegisterForm {
        values: &prefilled.form,
        errors,
        captcha_token: "",
        request,
        app: app.as_deref(),
        upstream: Some((&title, &prefilled.fixed)),
    };
    html(p, pages::register(lang, &form, &p.config().ui)).into_response()
}
