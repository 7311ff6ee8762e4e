//! The administration console (`/admin`, issue 20): who may enter (a role from their groups,
//! and a session that proved two factors, stepped up where it did not), the search, an
//! account's page and the actions on it. Every answer goes through `roles::Rights`; every
//! change goes through `idp::admin`, as the command line's do. Searches are POSTs under the
//! address limit, so no NIK is ever in an address or an access log.
//!
//! Forms: beside the `Origin` check every form of the provider has, each console form carries
//! a token keyed to the session, and the same token rides in a `__Host-` cookie that is
//! `SameSite=Strict`, so a post that another site starts carries no console cookie at all.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use gerbang_config::Strength;
use subtle::ConstantTimeEq;

use super::console_pages::{self, AccountLine, AccountView, Confirm};
use super::i18n::{Lang, Text};
use super::pages::{self, Page};
use super::second_factor::{self as factor_pages, reauthenticate, Reauth};
use super::unavailable;
use super::{admit, client_address, cookie, html, lang, redirect, refused};
use super::{LoggedIn, OwnForm};
use crate::account::login::locks_of;
use crate::account_action::AccountAction;
use crate::admin::{Admin, AdminError};
use crate::clock::now;
use crate::flows::enrolment::masked_document;
use crate::flows::second_step::{self, Pending};
use crate::provider::Provider;
use crate::roles::{Action, Rights};
use crate::store::{AuditFilter, Session, User};

/// How many of an account's events its page shows.
const EVENTS_SHOWN: usize = 20;
/// The cookie that carries the console's CSRF token.
const CONSOLE_COOKIE: &str = "__Host-gerbang-console";

/// Someone in the console: what they may do, and the token their forms carry.
pub(super) struct Operator {
    pub rights: Rights,
    pub csrf: String,
}

/// The operator, once they may use the console: a role, and two factors proven in this
/// session. Otherwise the answer to give: no role (403), no second factor yet (a notice that
/// leads to Beranda), or the second step, which comes back to `back`.
pub(super) async fn enter(
    p: &Provider,
    lang: Lang,
    (session, user): (&Session, &User),
    back: &str,
) -> Result<Operator, Response> {
    let held = match p.store.memberships(&user.id).await {
        Ok(held) => held,
        Err(e) => return Err(unavailable(p, lang, e)),
    };
    let rights = Rights::of(&p.config(), &held, now());
    if !rights.any() {
        return Err(no_role(p, lang));
    }
    if session.proven.strength() >= Strength::TwoFactor {
        let csrf = csrf_token(p, session);
        return Ok(Operator { rights, csrf });
    }
    match second_step::needed(p, user).await {
        Ok(true) => {
            let pending = Pending::step_up_for_page(session, back);
            Err(factor_pages::ask(p, lang, &pending).await)
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

/// The operator of a console form's post: [`enter`], and the form's token and the console
/// cookie both the session's. A post without them is refused with a page that says the form
/// is no longer valid.
pub(super) async fn enter_form(
    p: &Provider,
    (session, user): (&Session, &User),
    headers: &HeaderMap,
    form: &OwnForm,
    back: &str,
) -> Result<Operator, Response> {
    let operator = enter(p, form.lang, (session, user), back).await?;
    let expected = operator.csrf.as_bytes();
    let matches = |given: Option<&str>| bool::from(given.unwrap_or("").as_bytes().ct_eq(expected));
    if matches(Some(form.field("csrf"))) && matches(cookie(headers, CONSOLE_COOKIE)) {
        return Ok(operator);
    }
    let page = pages::error(form.lang, Text::ConsoleFormExpired, &p.config().helpdesk);
    Err((StatusCode::FORBIDDEN, html(p, page)).into_response())
}

/// [`enter_form`] for a post that needs the right to `action`.
pub(super) async fn enter_form_for(
    p: &Provider,
    logged_in: (&Session, &User),
    headers: &HeaderMap,
    form: &OwnForm,
    (back, action): (&str, Action<'_>),
) -> Result<Operator, Response> {
    let operator = enter_form(p, logged_in, headers, form, back).await?;
    match operator.rights.may(action) {
        true => Ok(operator),
        false => Err(no_role(p, form.lang)),
    }
}

/// The console's CSRF token for `session`: a MAC of its id under the console key, so it needs
/// no storage and means nothing for another session.
fn csrf_token(p: &Provider, session: &Session) -> String {
    let tag = ring::hmac::sign(&p.console_key, session.id_hash.as_bytes());
    tag.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A console page, with the cookie that carries the operator's token.
pub(super) fn show(p: &Provider, operator: &Operator, page: Page) -> Response {
    let mut response = html(p, page).into_response();
    let cookie = format!(
        "{CONSOLE_COOKIE}={}; Path=/; Secure; HttpOnly; SameSite=Strict",
        operator.csrf
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// [`enter`] for a page (a GET): the language its address or the browser asks for, and the
/// operator.
pub(super) async fn enter_page(
    p: &Provider,
    headers: &HeaderMap,
    (session, user): (&Session, &User),
    q: &HashMap<String, String>,
    back: &str,
) -> Result<(Lang, Operator), Response> {
    let lang = lang(headers, q.get("ui_locales").map(String::as_str));
    let operator = enter(p, lang, (session, user), back).await?;
    Ok((lang, operator))
}

/// [`enter_page`] for a page that needs the right to `action`.
pub(super) async fn enter_page_for(
    p: &Provider,
    headers: &HeaderMap,
    logged_in: (&Session, &User),
    (q, back): (&HashMap<String, String>, &str),
    action: Action<'_>,
) -> Result<(Lang, Operator), Response> {
    let (lang, operator) = enter_page(p, headers, logged_in, q, back).await?;
    match operator.rights.may(action) {
        true => Ok((lang, operator)),
        false => Err(no_role(p, lang)),
    }
}

pub(super) fn no_role(p: &Provider, lang: Lang) -> Response {
    let page = pages::error(lang, Text::ConsoleNoRole, &p.config().helpdesk);
    (StatusCode::FORBIDDEN, html(p, page)).into_response()
}

/// `/admin`: the search (after a deletion, with its notice).
pub async fn home(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (lang, operator) = match enter_page(&p, &headers, (&session, &user), &q, "/admin").await {
        Ok(entered) => entered,
        Err(answer) => return answer,
    };
    let notice = q.contains_key("deleted").then_some(Text::ConsoleDeleted);
    let form = (lang, operator.csrf.as_str());
    let page = console_pages::search(form, &operator.rights, ("", None), None, notice);
    show(&p, &operator, page)
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
    let operator = match enter_form(&p, (&session, &user), &headers, &form, "/admin").await {
        Ok(operator) => operator,
        Err(answer) => return answer,
    };
    if let Err(refusal) = admit(&p, &headers, now()).await {
        return refused(&p, lang, refusal);
    }
    let per_minute = p.config().admin.searches_per_minute;
    match crate::admin::searches_over_limit(&p.store, &user.username, per_minute, now()).await {
        Ok(false) => {}
        Ok(true) => return super::too_many(&p, lang),
        Err(e) => return unavailable(&p, lang, e),
    }
    let typed = form.field("q").trim();
    let found = match crate::admin::search(&p.store, typed).await {
        Ok(found) => found,
        Err(AdminError::Field { problem, .. }) => {
            let said = Some(super::i18n::problem(lang, problem));
            let form = (lang, operator.csrf.as_str());
            let page = console_pages::search(form, &operator.rights, (typed, said), None, None);
            return show(&p, &operator, page);
        }
        Err(e) => return unavailable(&p, lang, e),
    };
    // Results are masked for everyone: an unmasked number is shown (and audited) one account
    // at a time, on its page.
    let wanted = form.field("page").parse().unwrap_or(0);
    let (shown, at) = crate::admin::page_of(&found, wanted);
    let lines: Vec<AccountLine<'_>> = shown.iter().map(masked).collect();
    let page = console_pages::search(
        (lang, &operator.csrf),
        &operator.rights,
        (typed, None),
        Some((&lines, &at)),
        None,
    );
    show(&p, &operator, page)
}

/// `/admin/users/{id}`: one account, and what the operator may do to it.
pub async fn account(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let back = format!("/admin/users/{id}");
    let (lang, operator) = match enter_page(&p, &headers, (&session, &user), &q, &back).await {
        Ok(entered) => entered,
        Err(answer) => return answer,
    };
    let viewer = (&user, client_address(&headers));
    let done = q.contains_key("done");
    match account_view(&p, (lang, done), &operator, &id, viewer).await {
        Ok(Some(page)) => show(&p, &operator, page),
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
    operator: &Operator,
    id: &str,
    (viewer, address): (&User, String),
) -> Result<Option<Page>, crate::store::StoreError> {
    let Some(found) = p.store.user(id).await? else {
        return Ok(None);
    };
    let rights = &operator.rights;
    let line = match rights.may(Action::SeeDocument) {
        true => {
            let admin = acting_for(p, viewer);
            let document = admin.unmasked_document(&found, &address).await?;
            AccountLine {
                user: &found,
                document,
            }
        }
        false => masked(&found),
    };
    let locks = locks_of(p.store.as_ref(), &found.id, now()).await?;
    let sessions = p.store.sessions_of(&found.id).await?;
    let sessions = super::home::device_sessions(p, lang, &sessions, "", now());
    let factors = p.store.factors(&found.id).await?;
    let memberships = p.store.memberships(&found.id).await?;
    let own = AuditFilter {
        user_id: Some(found.id.clone()),
        ..AuditFilter::default()
    };
    let events = p.store.events_matching(&own, EVENTS_SHOWN).await?;
    let grantable = grantable(p, rights);
    let actions: Vec<AccountAction> = AccountAction::ALL
        .into_iter()
        .filter(|a| rights.may(a.permission()))
        .filter(|a| a.applies(&found, !locks.is_empty(), !factors.is_empty()))
        .collect();
    let view = AccountView {
        line,
        csrf: &operator.csrf,
        locks: &locks,
        grantable: &grantable,
        actions: &actions,
        done,
        sessions: &sessions,
        factors: &factors,
        memberships: &memberships,
        events: &events,
        zone: p.config().ui.time_zone,
    };
    Ok(Some(console_pages::account(lang, &view)))
}

/// `/admin/users/{id}/act`: an action on the account, after the confirmation with its reason
/// (and, for a destructive one, the operator's password again), through the administration
/// module as the operator.
pub async fn act(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    Path(id): Path<String>,
    form: OwnForm,
) -> Response {
    let lang = form.lang;
    let back = format!("/admin/users/{id}");
    let Some(action) = AccountAction::named(form.field("action")) else {
        return redirect(&back);
    };
    let logged_in = (&session, &user);
    let right = (action.permission(), id.as_str());
    let (operator, target) = match on_account(&p, logged_in, &headers, &form, right).await {
        Ok(entered) => entered,
        Err(answer) => return answer,
    };
    // The account changed since its page was drawn (unlocked, activated meanwhile): its page
    // again shows what can be done now.
    match action.applies_now(&p, &target, now()).await {
        Ok(true) => {}
        Ok(false) => return redirect(&format!("{back}?ui_locales={}", lang.code())),
        Err(e) => return unavailable(&p, lang, e),
    }
    let mut confirm = confirmation(
        &operator,
        &form,
        (console_pages::label(action), &target.username),
        &back,
    );
    confirm.action = format!("{back}/act");
    confirm.fields = vec![("action", action.name())];
    confirm.password = action.destructive();
    confirm.warning = (action == AccountAction::Delete).then_some(Text::ConsoleDeleteWarning);
    if let Err(answer) = until_confirmed(&p, &headers, (&user, &form), &mut confirm).await {
        return answer;
    }
    let admin = acting_for(&p, &user);
    match action
        .perform(&p, &admin, &target.username, confirm.reason)
        .await
    {
        Ok(()) if action == AccountAction::Delete => {
            redirect(&format!("/admin?deleted=1&ui_locales={}", lang.code()))
        }
        Ok(()) => redirect(&format!("{back}?done=1&ui_locales={}", lang.code())),
        Err(e) => unavailable(&p, lang, e),
    }
}

/// What every change to an account begins with: the operator of the form, if their roles
/// allow `right`, and the account `id`. Otherwise the answer to give (a vanished account leads
/// back to the search).
async fn on_account(
    p: &Provider,
    logged_in: (&Session, &User),
    headers: &HeaderMap,
    form: &OwnForm,
    (right, id): (Action<'_>, &str),
) -> Result<(Operator, User), Response> {
    let back = format!("/admin/users/{id}");
    let operator = enter_form_for(p, logged_in, headers, form, (&back, right)).await?;
    match p.store.user(id).await {
        Ok(Some(target)) => Ok((operator, target)),
        Ok(None) => Err(redirect("/admin")),
        Err(e) => Err(unavailable(p, form.lang, e)),
    }
}

/// `Ok` once the form confirms `confirm`: `confirm=yes`, a reason, and where it asks for one
/// the operator's own password (within the address's limit on attempts). Otherwise the
/// confirmation page, again with what is wrong once they confirmed.
pub(super) async fn until_confirmed(
    p: &Provider,
    headers: &HeaderMap,
    (operator, form): (&User, &OwnForm),
    confirm: &mut Confirm<'_>,
) -> Result<(), Response> {
    let lang = form.lang;
    if confirm.blocked.is_some() || form.field("confirm") != "yes" {
        return Err(html(p, console_pages::confirm(lang, confirm)).into_response());
    }
    confirm.problem = if form.field("reason").trim().is_empty() {
        Some(Text::ConsoleReasonMissing)
    } else if confirm.password {
        let typed = form.field("current");
        match reauthenticate(p, headers, (lang, operator), typed, now()).await {
            Ok(_) => None,
            Err(Reauth::Wrong(problem)) => Some(problem),
            Err(Reauth::Answered(answer)) => return Err(answer),
        }
    } else {
        None
    };
    match confirm.problem {
        None => Ok(()),
        Some(_) => Err(html(p, console_pages::confirm(lang, confirm)).into_response()),
    }
}

/// The confirmation of `title` on the account `username`, with the reason as typed; the caller
/// says where it posts and what else it needs.
pub(super) fn confirmation<'a>(
    operator: &'a Operator,
    form: &'a OwnForm,
    (title, username): (Text, &str),
    back: &str,
) -> Confirm<'a> {
    Confirm {
        title,
        summary: username.to_string(),
        warning: None,
        action: String::new(),
        fields: Vec::new(),
        csrf: &operator.csrf,
        password: false,
        reason: form.field("reason").trim(),
        back: back.to_string(),
        problem: None,
        blocked: None,
    }
}

/// `/admin/users/{id}/sessions/end`: ends one of the account's sessions (one browser) after
/// the confirmation with its reason, through the administration module as the operator.
pub async fn end_session(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    Path(id): Path<String>,
    form: OwnForm,
) -> Response {
    let lang = form.lang;
    let back = format!("/admin/users/{id}");
    let logged_in = (&session, &user);
    let right = (Action::EndSessions, id.as_str());
    let (operator, target) = match on_account(&p, logged_in, &headers, &form, right).await {
        Ok(entered) => entered,
        Err(answer) => return answer,
    };
    let chosen = form.field("session");
    let mut confirm = confirmation(
        &operator,
        &form,
        (Text::EndSession, &target.username),
        &back,
    );
    confirm.action = format!("{back}/sessions/end");
    confirm.fields = vec![("session", chosen)];
    if let Err(answer) = until_confirmed(&p, &headers, (&user, &form), &mut confirm).await {
        return answer;
    }
    let admin = acting_for(&p, &user);
    match admin
        .end_session(&p, &target.username, chosen, confirm.reason)
        .await
    {
        Ok(_) => redirect(&format!("{back}?done=1&ui_locales={}", lang.code())),
        // It ended meanwhile (the person logged out): the account's page shows what is left.
        Err(AdminError::NoSuchSession(_)) => {
            redirect(&format!("{back}?ui_locales={}", lang.code()))
        }
        Err(e) => unavailable(&p, lang, e),
    }
}

/// The administration module, acting for the console's `operator` now.
pub(super) fn acting_for<'a>(p: &'a Provider, operator: &'a User) -> Admin<'a> {
    Admin {
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
    headers: HeaderMap,
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
    change_membership(&p, (&session, &user), &headers, (&id, &form), change).await
}

pub async fn revoke(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    Path(id): Path<String>,
    form: OwnForm,
) -> Response {
    change_membership(
        &p,
        (&session, &user),
        &headers,
        (&id, &form),
        Change::Revoke,
    )
    .await
}

async fn change_membership(
    p: &Provider,
    (session, operator): (&Session, &User),
    headers: &HeaderMap,
    (id, form): (&str, &OwnForm),
    change: Change,
) -> Response {
    let (lang, group) = (form.lang, form.field("group"));
    let back = format!("/admin/users/{id}");
    let right = (Action::Grant(group), id);
    let (op, target) = match on_account(p, (session, operator), headers, form, right).await {
        Ok(entered) => entered,
        Err(answer) => return answer,
    };
    // Managers grant only for a while; administrators may leave the end out.
    let change = match change {
        Change::Grant { until: None } if !op.rights.administrator => Change::BadEnd,
        change => change,
    };
    let (title, path) = match change {
        Change::Revoke => (Text::ConsoleRevoke, "revoke"),
        _ => (Text::ConsoleGrant, "grant"),
    };
    let mut confirm = confirmation(&op, form, (title, &target.username), &back);
    confirm.summary = membership_summary(p, lang, group, &target.username, &change);
    confirm.action = format!("{back}/{path}");
    confirm.fields = vec![("group", group), ("until", form.field("until"))];
    confirm.blocked = matches!(change, Change::BadEnd).then_some(Text::ConsoleUntilNeeded);
    if let Err(answer) = until_confirmed(p, headers, (operator, form), &mut confirm).await {
        return answer;
    }
    let admin = acting_for(p, operator);
    let (who, reason) = (target.username.as_str(), confirm.reason);
    let done = match change {
        Change::Grant { until } => {
            let declared = &p.config().groups;
            admin
                .grant(declared, who, (group, until), reason)
                .await
                .map(drop)
        }
        _ => admin.revoke_membership(who, group, reason).await.map(drop),
    };
    match done {
        Ok(()) => redirect(&format!("{back}?done=1&ui_locales={}", lang.code())),
        Err(e) => unavailable(p, lang, e),
    }
}

/// A grant or revocation in words: the group, to whom, and until when.
fn membership_summary(
    p: &Provider,
    lang: Lang,
    group: &str,
    username: &str,
    change: &Change,
) -> String {
    use super::i18n::t;
    match change {
        Change::Grant { until: Some(until) } => {
            let end = pages::local_time(*until, p.config().ui.time_zone);
            format!("{group} → {username} · {} {end}", t(lang, Text::GroupUntil))
        }
        Change::Grant { until: None } => {
            format!("{group} → {username} · {}", t(lang, Text::GroupNoEnd))
        }
        _ => format!("{group} → {username}"),
    }
}

/// An account with its document masked.
fn masked(user: &User) -> AccountLine<'_> {
    let document = masked_document(&user.identity);
    AccountLine { user, document }
}
