//! The two forms that ask only for an address and a captcha, and answer the same whatever the
//! address: a new activation link, and "Lupa Password?".

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Form;

use super::i18n::{Lang, Text};
use super::pages::{self, AddressForm};
use super::{admit, field, lang, new_challenge, redraw_only, refused, unavailable};
use super::{apps, html};
use crate::account::registration::Problem;
use crate::clock::now;
use crate::flows::{enrolment, recovery};
use crate::personal::email::Email;
use crate::provider::Provider;

/// What the address is asked for.
#[derive(Debug, Clone, Copy)]
enum Purpose {
    /// A new activation link for a pending account.
    Activation,
    /// A password reset link ("Lupa Password?").
    Reset,
}

impl Purpose {
    fn form(self) -> (Text, Text, &'static str, Text) {
        match self {
            Purpose::Activation => (
                Text::ResendActivation,
                Text::ResendIntro,
                "/activate/resend",
                Text::Email,
            ),
            Purpose::Reset => (
                Text::ForgotTitle,
                Text::ForgotIntro,
                "/forgot-password",
                Text::EmailOrUsername,
            ),
        }
    }

    /// What the page says after any request, whether or not the address has an account.
    fn done(self) -> Text {
        match self {
            Purpose::Activation => Text::ResendDone,
            Purpose::Reset => Text::ForgotDone,
        }
    }
}

pub async fn resend_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    page(&p, &headers, &q, Purpose::Activation).await
}

pub async fn resend(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    submit(p, &headers, &form, Purpose::Activation).await
}

pub async fn forgot_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    page(&p, &headers, &q, Purpose::Reset).await
}

pub async fn forgot(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    submit(p, &headers, &form, Purpose::Reset).await
}

async fn page(
    p: &Provider,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    purpose: Purpose,
) -> Response {
    let lang = lang(headers, q.get("ui_locales").map(String::as_str));
    let request = q.get("request").map_or("", String::as_str);
    render(p, headers, (lang, request), purpose, "", None).await
}

/// The form, for the app whose login `request` is (if any).
async fn render(
    p: &Provider,
    headers: &HeaderMap,
    (lang, request): (Lang, &str),
    purpose: Purpose,
    value: &str,
    error: Option<Problem>,
) -> Response {
    let (title, intro, action, label) = purpose.form();
    let app = super::login::pending(p, request).and_then(|r| apps::requesting(p, lang, &r));
    match new_challenge(p, headers, lang).await {
        Ok(token) => html(
            p,
            pages::address_form(
                lang,
                &AddressForm {
                    title,
                    intro,
                    action,
                    label,
                    email_only: matches!(purpose, Purpose::Activation),
                    value,
                    captcha_token: &token,
                    error,
                    request,
                    app: app.as_deref(),
                },
            ),
        )
        .into_response(),
        Err(refused) => refused,
    }
}

async fn submit(
    p: Arc<Provider>,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    purpose: Purpose,
) -> Response {
    let field = |k: &str| field(form, k);
    let lang = lang(headers, Some(field("ui_locales")));
    let request = field("request");
    if redraw_only(field("refresh")) {
        return render(
            &p,
            headers,
            (lang, request),
            purpose,
            field("email").trim(),
            None,
        )
        .await;
    }
    let now = now();
    if let Err(refusal) = admit(&p, headers, now).await {
        return refused(&p, lang, refusal);
    }
    let typed = field("email").trim().to_string();
    match p
        .captchas
        .check(field("captcha_token"), field("captcha"), now)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return render(
                &p,
                headers,
                (lang, request),
                purpose,
                &typed,
                Some(Problem::WrongCaptcha),
            )
            .await
        }
        Err(e) => return unavailable(&p, lang, e),
    }
    // The answer goes out before any account is looked up: neither its words nor its timing
    // depend on whether the address has one.
    let shown = typed.clone();
    let return_to = super::login::pending(&p, request).and_then(|r| apps::address(&p, &r));
    let worker = Arc::clone(&p);
    tokio::spawn(async move {
        let p = worker.as_ref();
        let acted = match purpose {
            Purpose::Activation => match Email::parse(&typed) {
                Ok(address) => enrolment::resend(p, &address, lang, now).await,
                Err(_) => Ok(()),
            },
            Purpose::Reset if typed.is_empty() => Ok(()),
            Purpose::Reset => recovery::request(p, &typed.to_lowercase(), return_to, now).await,
        };
        if let Err(e) = acted {
            tracing::error!(error = %e, ?purpose, "an e-mail request failed");
        }
    });
    let (title, ..) = purpose.form();
    // Named when typed as an address (a user name says nothing about where the mail goes).
    let sent_to = Email::parse(&shown).ok().map(|_| shown.as_str());
    html(
        &p,
        pages::mail_sent(
            lang,
            (title, purpose.done()),
            sent_to,
            Some(("/login", Text::BackToLogin)),
            &p.config().helpdesk,
        ),
    )
    .into_response()
}
