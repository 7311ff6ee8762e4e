//! The logged-in user's own changes: password, and e-mail address or phone number, each after
//! typing the current password again.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::home::current;
use super::html;
use super::i18n::{Lang, Text};
use super::pages::{self, ContactForm, RegisterForm};
use super::password::policy_text;
use super::OwnForm;
use super::{client_address, lang, link_gone, link_page, redirect, unavailable};
use crate::account::registration::{Field, FieldError, Problem, RegistrationForm};
use crate::clock::now;
use crate::flows::profile::{self, EmailChange};
use crate::flows::AccountError;
use crate::personal::email::Email;
use crate::personal::phone::Phone;
use crate::provider::Provider;
use crate::session;
use crate::store::OneTimeKind;

pub async fn password_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    if current(&p, &headers).await.is_none() {
        return redirect("/login");
    }
    html(&p, pages::change_password(lang, None)).into_response()
}

pub async fn change_password(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    form: OwnForm,
) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let Some((ended, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let again = |error: Text| html(&p, pages::change_password(lang, Some(error))).into_response();
    match profile::confirm_password(&p, &user, field("current")).await {
        Ok(true) => {}
        Ok(false) => return again(Text::WrongPassword),
        Err(e) => return unavailable(&p, lang, e),
    }
    if field("password") != field("confirm") {
        return again(Text::PasswordsDiffer);
    }
    let address = client_address(&headers);
    let user = match profile::change_password(&p, user, field("password"), &address, now()).await {
        Ok(u) => u,
        Err(AccountError::Password(e)) => match policy_text(e) {
            Some(text) => return again(text),
            None => return unavailable(&p, lang, e),
        },
        Err(e) => return unavailable(&p, lang, e),
    };
    // Every session ended; this browser gets a new one, as strong as the one it had.
    let life = p.session_lifetimes();
    let device = super::device(&headers);
    let store = p.store.as_ref();
    let value = match session::start(
        store,
        &user,
        device,
        (ended.proven, ended.upstream),
        life,
        now(),
    )
    .await
    {
        Ok((value, _)) => value,
        Err(e) => return unavailable(&p, lang, e),
    };
    let mut response = html(
        &p,
        pages::notice(
            lang,
            Text::ChangePassword,
            Text::PasswordChanged,
            Some(("/", Text::HomeTitle)),
            &p.config().helpdesk,
        ),
    )
    .into_response();
    if let Ok(cookie) = header::HeaderValue::from_str(&session::cookie(Some(&value), life)) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

pub async fn contact_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    let Some((_, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let country = user.profile.country.as_deref().unwrap_or("ID");
    let values = RegistrationForm {
        email: user.email.to_string(),
        country: country.to_string(),
        phone: user.phone.national_in(country).to_string(),
        ..RegistrationForm::default()
    };
    contact_form(&p, lang, &values, &[], None)
}

fn contact_form(
    p: &Provider,
    lang: Lang,
    values: &RegistrationForm,
    errors: &[FieldError],
    password_error: Option<Text>,
) -> Response {
    let form = ContactForm {
        fields: RegisterForm {
            values,
            errors,
            captcha_token: "",
            request: "",
            app: None,
            upstream: None,
        },
        password_error,
    };
    html(p, pages::change_contact(lang, &form)).into_response()
}

pub async fn change_contact(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    form: OwnForm,
) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let Some((_, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let values = RegistrationForm {
        email: field("email").into(),
        country: field("country").into(),
        phone: field("phone").into(),
        ..RegistrationForm::default()
    };
    let desk = &p.config().helpdesk;
    match profile::confirm_password(&p, &user, field("current")).await {
        Ok(true) => {}
        Ok(false) => return contact_form(&p, lang, &values, &[], Some(Text::WrongPassword)),
        Err(e) => return unavailable(&p, lang, e),
    }
    let mut errors = Vec::new();
    let new_email = Email::parse(&values.email).map_err(|e| {
        errors.push(FieldError {
            field: Field::Email,
            problem: Problem::Email(e),
        })
    });
    let new_phone = Phone::parse(&values.country, &values.phone).map_err(|e| {
        errors.push(FieldError {
            field: Field::Phone,
            problem: Problem::Phone(e),
        })
    });
    let (Ok(new_email), Ok(new_phone)) = (new_email, new_phone) else {
        return contact_form(&p, lang, &values, &errors, None);
    };
    let now = now();
    let email_changes = new_email != user.email;
    if new_phone != user.phone {
        let changed = profile::change_phone(&p, user.clone(), new_phone, &values.country, now);
        if let Err(e) = changed.await {
            return unavailable(&p, lang, e);
        }
    }
    if email_changes {
        if let Err(e) = profile::request_email_change(&p, &user, &new_email, now).await {
            return unavailable(&p, lang, e);
        }
    }
    let message = if email_changes {
        Text::ConfirmNewEmail
    } else {
        Text::ContactSaved
    };
    html(
        &p,
        pages::notice(
            lang,
            Text::ChangeContact,
            message,
            Some(("/", Text::HomeTitle)),
            desk,
        ),
    )
    .into_response()
}

/// The page a confirmation link opens: one button, so link scanners do not spend it.
pub async fn email_confirm_page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let texts = (
        Text::ChangeContact,
        Text::ConfirmEmailQuestion,
        Text::ConfirmButton,
    );
    let link = (OneTimeKind::EmailChange, "/account/email/confirm");
    link_page(&p, &headers, &q, link, texts, EMAIL_CHANGE_GONE).await
}

/// Where a used or expired confirmation link leads.
const EMAIL_CHANGE_GONE: &[(&str, Text)] = &[("/", Text::HomeTitle)];

pub async fn email_confirm(
    State(p): State<Arc<Provider>>,
    _headers: HeaderMap,
    form: OwnForm,
) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let desk = &p.config().helpdesk;
    let (status, title, message) =
        match profile::confirm_email_change(&p, field("token"), now()).await {
            Ok(EmailChange::Changed) => (StatusCode::OK, Text::ChangeContact, Text::EmailChanged),
            Ok(EmailChange::Taken) => (StatusCode::CONFLICT, Text::ChangeContact, Text::EmailTaken),
            Ok(EmailChange::LinkInvalid) => return link_gone(&p, lang, EMAIL_CHANGE_GONE),
            Err(e) => return unavailable(&p, lang, e),
        };
    (
        status,
        html(
            &p,
            pages::notice(lang, title, message, Some(("/", Text::HomeTitle)), desk),
        ),
    )
        .into_response()
}
