//! The administration console (`/admin`, issue 20): who may enter (a role from their groups,
//! and a session that proved two factors, stepped up where it did not), the search and an
//! account's page. Every answer goes through `roles::Rights`; searches are POSTs under the
//! address limit, so no NIK is ever in an address or an access log.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gerbang_config::Strength;

use super::console_pages::{self, AccountLine, AccountView};
use super::i18n::{Lang, Text};
use super::{admit, client_address, html, lang, pages, refused, second_factor, unavailable};
use super::{LoggedIn, OwnForm};
use crate::audit::AuditKind;
use crate::clock::now;
use crate::flows::enrolment::masked_document;
use crate::flows::second_step::{self, Pending};
use crate::provider::Provider;
use crate::roles::{Action, Rights};
use crate::store::{Identity, Session, User};

/// How many of the newest audit events an account's page looks through for its own.
const EVENTS_READ: usize = 2_000;
/// How many of an account's events its page shows.
const EVENTS_SHOWN: usize = 20;

/// The operator's rights, once they may use the console: a role, and two factors proven in
/// this session. Otherwise the answer to give: no role (403), no second factor yet (a notice
/// that leads to Beranda), or the second step, which comes back to `back`.
async fn enter(
    p: &Provider,
    lang: Lang,
    (session, user): (&Session, &User),
    back: &str,
) -> Result<Rights, Response> {
    let held = match p.store.memberships(&user.id).await {
        Ok(held) => held,
        Err(e) => return Err(unavailable(p, lang, e)),
    };
    let rights = Rights::of(&p.config(), &held, now());
    if !rights.any() {
        let page = pages::error(lang, Text::ConsoleNoRole, &p.config().helpdesk);
        return Err((StatusCode::FORBIDDEN, html(p, page)).into_response());
    }
    if session.proven.strength() >= Strength::TwoFactor {
        return Ok(rights);
    }
    match second_step::needed(p, user).await {
        Ok(true) => {
            let pending = Pending::step_up_for_page(session, back);
            Err(second_factor::ask(p, lang, &pending).await)
        }
        Ok(false) => {
            let desk = &p.config().helpdesk;
            let next = Some(("/#second-factor", Text::HomeTitle));
            let page = pages::notice(
                lang,
                Text::ConsoleTitle,
                Text::ConsoleNeedsTwoFactor,
                next,
                desk,
            );
            Err((StatusCode::FORBIDDEN, html(p, page)).into_response())
        }
        Err(e) => Err(unavailable(p, lang, e)),
    }
}

/// `/admin`: the search.
pub async fn home(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    match enter(&p, lang, (&session, &user), "/admin").await {
        Ok(rights) => html(&p, console_pages::search(lang, &rights, "", None)).into_response(),
        Err(answer) => answer,
    }
}

/// The search's answer: accounts whose user name, e-mail, phone or document number contains
/// what was typed.
pub async fn search(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    form: OwnForm,
) -> Response {
    let lang = form.lang;
    let rights = match enter(&p, lang, (&session, &user), "/admin").await {
        Ok(rights) => rights,
        Err(answer) => return answer,
    };
    let now = now();
    if let Err(refusal) = admit(&p, &headers, now).await {
        return refused(&p, lang, refusal);
    }
    let typed = form.field("q").trim();
    let found = match crate::admin::search(&p.store, typed).await {
        Ok(found) => found,
        Err(e) => return unavailable(&p, lang, e),
    };
    // Results are masked for everyone: an unmasked number is shown (and audited) one account
    // at a time, on its page.
    let lines: Vec<AccountLine<'_>> = found.iter().map(masked).collect();
    html(
        &p,
        console_pages::search(lang, &rights, typed, Some(&lines)),
    )
    .into_response()
}

/// `/admin/users/{id}`: one account, read-only.
pub async fn account(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    let back = format!("/admin/users/{id}");
    let rights = match enter(&p, lang, (&session, &user), &back).await {
        Ok(rights) => rights,
        Err(answer) => return answer,
    };
    let viewer = (&user, client_address(&headers));
    match account_view(&p, lang, &rights, &id, viewer).await {
        Ok(Some(page)) => page,
        Ok(None) => {
            let page = pages::not_found(lang, &p.config().helpdesk);
            (StatusCode::NOT_FOUND, html(&p, page)).into_response()
        }
        Err(e) => unavailable(&p, lang, e),
    }
}

async fn account_view(
    p: &Provider,
    lang: Lang,
    rights: &Rights,
    id: &str,
    (viewer, address): (&User, String),
) -> Result<Option<Response>, crate::store::StoreError> {
    let Some(found) = p.store.user(id).await? else {
        return Ok(None);
    };
    let line = match rights.may(Action::SeeDocument) {
        true => {
            let why = format!("by {} (console)", viewer.username);
            let kind = AuditKind::DocumentViewed;
            p.audit(kind, Some(&found.id), None, Some(&address), &why)
                .await;
            unmasked(&found)
        }
        false => masked(&found),
    };
    let sessions = p.store.sessions_of(&found.id).await?.len();
    let factors = p.store.factors(&found.id).await?;
    let memberships = p.store.memberships(&found.id).await?;
    let events: Vec<_> = p
        .store
        .recent_events(EVENTS_READ)
        .await?
        .into_iter()
        .filter(|e| e.user_id.as_deref() == Some(found.id.as_str()))
        .take(EVENTS_SHOWN)
        .collect();
    let view = AccountView {
        line,
        sessions,
        factors: &factors,
        memberships: &memberships,
        events: &events,
        zone: p.config().ui.time_zone,
    };
    Ok(Some(
        html(p, console_pages::account(lang, &view)).into_response(),
    ))
}

/// An account with its document masked.
fn masked(user: &User) -> AccountLine<'_> {
    let document = masked_document(&user.identity);
    AccountLine { user, document }
}

/// An account with its document in full (for a role that needs it; the caller audits it).
fn unmasked(user: &User) -> AccountLine<'_> {
    let document = match &user.identity {
        Identity::Ktp { nik } => nik.to_string(),
        Identity::Passport { number, .. } => number.clone(),
    };
    AccountLine { user, document }
}
