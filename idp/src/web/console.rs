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

use super::console_pages::{self, AccountAction, AccountLine, AccountView};
use super::i18n::{Lang, Text};
use super::unavailable;
use super::{admit, client_address, html, lang, pages, redirect, refused, second_factor};
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
    let done = q.contains_key("done");
    match account_view(&p, (lang, done), &rights, &id, viewer).await {
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
    (lang, done): (Lang, bool),
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
    let grantable = grantable(p, rights);
    let actions: Vec<AccountAction> = AccountAction::ALL
        .into_iter()
        .filter(|a| rights.may(permission(*a)))
        .collect();
    let view = AccountView {
        line,
        grantable: &grantable,
        actions: &actions,
        done,
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

/// The right an account action needs.
fn permission(action: AccountAction) -> Action<'static> {
    match action {
        AccountAction::EndSessions => Action::EndSessions,
        AccountAction::ResetSecondFactors => Action::ResetSecondFactors,
    }
}

/// `/admin/users/{id}/act`: ending every session or resetting the second factors, after the
/// confirmation and its reason, through the administration module as the operator.
pub async fn act(
    State(p): State<Arc<Provider>>,
    LoggedIn { session, user }: LoggedIn,
    Path(id): Path<String>,
    form: OwnForm,
) -> Response {
    let lang = form.lang;
    let back = format!("/admin/users/{id}");
    let rights = match enter(&p, lang, (&session, &user), &back).await {
        Ok(rights) => rights,
        Err(answer) => return answer,
    };
    let target = match p.store.user(&id).await {
        Ok(Some(target)) => target,
        Ok(None) => return redirect("/admin"),
        Err(e) => return unavailable(&p, lang, e),
    };
    let Some(action) = AccountAction::named(form.field("action")) else {
        return redirect(&back);
    };
    if !rights.may(permission(action)) {
        let page = pages::error(lang, Text::ConsoleNoRole, &p.config().helpdesk);
        return (StatusCode::FORBIDDEN, html(&p, page)).into_response();
    }
    let reason = form.field("reason").trim();
    let what = (action.label(), target.username.clone());
    let asked = (format!("{back}/act"), vec![("action", action.name())]);
    match (form.field("confirm") == "yes", reason.is_empty()) {
        (false, _) => return confirm_page(&p, lang, what, asked, &back, None),
        (true, true) => {
            let missing = Some(Text::ConsoleReasonMissing);
            return confirm_page(&p, lang, what, asked, &back, missing);
        }
        (true, false) => {}
    }
    let admin = acting_for(&p, &user);
    let who = target.username.as_str();
    let done = match action {
        AccountAction::EndSessions => admin.end_all_sessions(&p, who, reason).await.map(|_| ()),
        AccountAction::ResetSecondFactors => {
            let reset = admin.reset_second_factors(&p, who, reason).await;
            reset.map(|_| ())
        }
    };
    match done {
        Ok(()) => redirect(&format!("{back}?done=1&ui_locales={}", lang.code())),
        Err(e) => unavailable(&p, lang, e),
    }
}

/// The administration module, acting for the console's `operator` now.
fn acting_for<'a>(p: &'a Provider, operator: &'a User) -> crate::admin::Admin<'a> {
    crate::admin::Admin {
        store: &p.store,
        actor: crate::admin::Actor::Console(&operator.username),
        now: now(),
        session_lifetime: p.session_lifetimes().absolute,
    }
}

/// The declared groups `rights` may grant.
fn grantable(p: &Provider, rights: &Rights) -> Vec<String> {
    let config = p.config();
    let groups = config.groups.iter().map(|g| g.name.as_str());
    groups
        .filter(|g| rights.may(Action::Grant(g)))
        .map(str::to_string)
        .collect()
}

/// A grant or a revocation asked for from an account's page.
enum Change {
    Grant {
        until: Option<u64>,
    },
    Revoke,
    /// The end date is missing or wrong.
    BadEnd,
}

/// `/admin/users/{id}/grant` and `/revoke`: the confirmation (with a required reason), then
/// the change through the administration module, as the operator; back to the account.
pub async fn grant(
    State(p): State<Arc<Provider>>,
    LoggedIn { session, user }: LoggedIn,
    Path(id): Path<String>,
    form: OwnForm,
) -> Response {
    let until = form.field("until");
    let change = match until.trim() {
        "" => Change::Grant { until: None },
        day => match crate::admin::end_of_day(day, p.config().ui.time_zone) {
            Some(end) if end > now() => Change::Grant { until: Some(end) },
            _ => Change::BadEnd,
        },
    };
    change_membership(&p, (&session, &user), &id, &form, change).await
}

pub async fn revoke(
    State(p): State<Arc<Provider>>,
    LoggedIn { session, user }: LoggedIn,
    Path(id): Path<String>,
    form: OwnForm,
) -> Response {
    change_membership(&p, (&session, &user), &id, &form, Change::Revoke).await
}

async fn change_membership(
    p: &Provider,
    (session, operator): (&Session, &User),
    id: &str,
    form: &OwnForm,
    change: Change,
) -> Response {
    let (lang, group) = (form.lang, form.field("group"));
    let back = format!("/admin/users/{id}");
    let rights = match enter(p, lang, (session, operator), &back).await {
        Ok(rights) => rights,
        Err(answer) => return answer,
    };
    let target = match p.store.user(id).await {
        Ok(Some(target)) => target,
        Ok(None) => return redirect("/admin"),
        Err(e) => return unavailable(p, lang, e),
    };
    if !rights.may(Action::Grant(group)) {
        let page = pages::error(lang, Text::ConsoleNoRole, &p.config().helpdesk);
        return (StatusCode::FORBIDDEN, html(p, page)).into_response();
    }
    // Managers grant only for a while; administrators may leave the end out.
    let change = match change {
        Change::Grant { until: None } if !rights.administrator => Change::BadEnd,
        change => change,
    };
    let reason = form.field("reason").trim();
    let confirmed = form.field("confirm") == "yes";
    let (title, summary) = match &change {
        Change::Revoke => (
            Text::ConsoleRevoke,
            format!("{group} → {}", target.username),
        ),
        _ => (Text::ConsoleGrant, format!("{group} → {}", target.username)),
    };
    let error = match (&change, confirmed, reason.is_empty()) {
        (Change::BadEnd, _, _) => Some(Text::ConsoleUntilNeeded),
        (_, true, true) => Some(Text::ConsoleReasonMissing),
        (_, true, false) => None,
        (_, false, _) => None,
    };
    if error.is_some() || !confirmed {
        let action = match title {
            Text::ConsoleRevoke => format!("{back}/revoke"),
            _ => format!("{back}/grant"),
        };
        let fields = vec![("group", group), ("until", form.field("until"))];
        let what = (title, summary);
        return confirm_page(p, lang, what, (action, fields), &back, error);
    }
    let admin = acting_for(p, operator);
    let who = target.username.as_str();
    let done = match change {
        Change::Grant { until } => {
            let declared = &p.config().groups;
            admin
                .grant(declared, who, (group, until), reason)
                .await
                .map(|_| ())
        }
        _ => admin
            .revoke_membership(who, group, reason)
            .await
            .map(|_| ()),
    };
    match done {
        Ok(()) => redirect(&format!("{back}?done=1&ui_locales={}", lang.code())),
        Err(e) => unavailable(p, lang, e),
    }
}

/// The confirmation of an action (`title`, `summary`) that posts `fields` back to `action`.
fn confirm_page(
    p: &Provider,
    lang: Lang,
    (title, summary): (Text, String),
    (action, fields): (String, Vec<(&str, &str)>),
    back: &str,
    error: Option<Text>,
) -> Response {
    let confirm = console_pages::Confirm {
        title,
        summary,
        action,
        fields,
        back: back.to_string(),
        error,
    };
    html(p, console_pages::confirm(lang, &confirm)).into_response()
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
