//! "Lupa Password?" pages: ask for a link, then choose a new password with it.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::html;
use super::i18n::{Lang, Text};
use super::pages::{self, NewPasswordForm};
use super::password::policy_text;
use super::OwnForm;
use super::{client_address, lang, link_gone, unavailable};
use crate::clock::now;
use crate::flows::recovery;
use crate::flows::AccountError;
use crate::provider::Provider;

/// The page a reset link opens: the form, if the link is live (it is spent only by the form).
pub async fn reset_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    let token = q.get("token").map(String::as_str).unwrap_or("");
    match recovery::holder(&p, token, now()).await {
        Ok(Some(_)) => reset_form(&p, lang, token, None),
        Ok(None) => link_invalid(&p, lang),
        Err(e) => unavailable(&p, lang, e),
    }
}

fn reset_form(p: &Provider, lang: Lang, token: &str, error: Option<Text>) -> Response {
    html(
        p,
        pages::new_password(
            lang,
            &NewPasswordForm {
                action: "/password/reset",
                authority: ("token", token),
                intro: Text::ResetIntro,
                error,
            },
        ),
    )
    .into_response()
}

fn link_invalid(p: &Provider, lang: Lang) -> Response {
    link_gone(
        p,
        lang,
        &[
            ("/forgot-password", Text::ForgotPassword),
            ("/login", Text::LoginTitle),
        ],
    )
}

pub async fn reset(State(p): State<Arc<Provider>>, headers: HeaderMap, form: OwnForm) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let (token, password) = (field("token"), field("password"));
    if password != field("confirm") {
        return reset_form(&p, lang, token, Some(Text::PasswordsDiffer));
    }
    let address = client_address(&headers);
    match recovery::reset(&p, token, password, &address, now()).await {
        Ok(Some(login)) => html(
            &p,
            pages::notice(
                lang,
                Text::ForgotTitle,
                Text::ResetDone,
                Some((login.as_str(), Text::LoginTitle)),
                &p.config().helpdesk,
            ),
        )
        .into_response(),
        Ok(None) => link_invalid(&p, lang),
        Err(AccountError::Password(e)) => match policy_text(e) {
            Some(text) => reset_form(&p, lang, token, Some(text)),
            None => unavailable(&p, lang, e),
        },
        Err(e) => unavailable(&p, lang, e),
    }
}
