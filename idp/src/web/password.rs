//! Setting a new password: the forced change after logging in with a temporary password.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::html;
use super::i18n::{Lang, Text};
use super::OwnForm;
use super::{forbidden, login, pages, unavailable};
use crate::account::password::PasswordError;
use crate::audit::AuditKind;
use crate::clock::now;
use crate::flows::enrolment;
use crate::flows::AccountError;
use crate::provider::Provider;
use crate::store::{OneTimeKind, Proven};
use crate::token;

/// A forced change must be finished within this time of the login that asked for it.
const TICKET_LIFETIME: u64 = 10 * 60;

/// Who is changing their password, and the authorization request the login continues.
#[derive(Serialize, Deserialize)]
struct Ticket {
    user_id: String,
    request: String,
    /// What the login proved before the change (its second factor, if it gave one).
    #[serde(default)]
    proven: Proven,
}

/// Shows the new-password form for `user_id`, with a single-use ticket that stands for the
/// password just verified.
pub(super) async fn ask_for_new(
    p: &Provider,
    lang: Lang,
    user_id: &str,
    request: &str,
    proven: &Proven,
    error: Option<Text>,
) -> Response {
    let ticket = token::random_token();
    let value = Ticket {
        user_id: user_id.into(),
        request: request.into(),
        proven: proven.clone(),
    };
    let stored = match serde_json::to_vec(&value) {
        Ok(bytes) => {
            p.store
                .put_once(
                    OneTimeKind::PasswordChange,
                    &token::hash(&ticket),
                    &bytes,
                    now() + TICKET_LIFETIME,
                )
                .await
        }
        Err(e) => return unavailable(p, lang, e),
    };
    if let Err(e) = stored {
        return unavailable(p, lang, e);
    }
    html(
        p,
        pages::new_password(
            lang,
            &pages::NewPasswordForm {
                action: "/password/new",
                authority: ("ticket", &ticket),
                intro: Text::NewPasswordHelp,
                error,
            },
        ),
    )
    .into_response()
}

pub async fn submit_new(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    form: OwnForm,
) -> Response {
    let (field, lang) = (|k: &str| form.field(k), form.lang);
    let now = now();
    let taken = p
        .store
        .take_once(
            OneTimeKind::PasswordChange,
            &token::hash(field("ticket")),
            now,
        )
        .await;
    let ticket: Ticket = match taken {
        Ok(Some(bytes)) => match serde_json::from_slice(&bytes) {
            Ok(t) => t,
            Err(e) => return unavailable(&p, lang, e),
        },
        Ok(None) => {
            return (
                StatusCode::GONE,
                html(
                    &p,
                    pages::notice(
                        lang,
                        Text::NewPasswordTitle,
                        Text::SessionExpired,
                        Some(("/login", Text::LoginTitle)),
                        &p.config().helpdesk,
                    ),
                ),
            )
                .into_response()
        }
        Err(e) => return unavailable(&p, lang, e),
    };
    let user = match p.store.user(&ticket.user_id).await {
        Ok(Some(u)) => u,
        Ok(None) => return forbidden(&p, lang),
        Err(e) => return unavailable(&p, lang, e),
    };
    let proven = &ticket.proven;
    let again = |error: Text| ask_for_new(&p, lang, &user.id, &ticket.request, proven, Some(error));
    let new_password = field("password");
    if new_password != field("confirm") {
        return again(Text::PasswordsDiffer).await;
    }
    match p
        .passwords
        .verify(new_password, user.password_hash.as_deref())
        .await
    {
        Ok(false) => {}
        Ok(true) => return again(Text::PasswordSameAsTemporary).await,
        Err(e) => return unavailable(&p, lang, e),
    }
    let user = match enrolment::set_password(&p, user.clone(), new_password, now).await {
        Ok(u) => u,
        Err(AccountError::Password(e)) => match policy_text(e) {
            Some(text) => return again(text).await,
            None => return unavailable(&p, lang, e),
        },
        Err(e) => return unavailable(&p, lang, e),
    };
    p.audit(
        AuditKind::LoginSuccess,
        Some(&user.id),
        None,
        None,
        "password and captcha, then a new password",
    )
    .await;
    let (sealed, proven) = (&ticket.request, ticket.proven.clone());
    login::logged_in(&p, &headers, lang, &user, sealed, proven, now).await
}

/// What to tell the user about a refused password; `None` for server-side failures.
pub(super) fn policy_text(e: PasswordError) -> Option<Text> {
    match e {
        PasswordError::TooShort => Some(Text::PasswordTooShort),
        PasswordError::TooLong => Some(Text::PasswordTooLong),
        PasswordError::Common => Some(Text::PasswordCommon),
        PasswordError::Busy | PasswordError::Hash => None,
    }
}
