//! The admin API (`/admin/api/v1/…`, issue 20): the console's operations as JSON, for
//! automation such as an OSS back office granting access rights. The caller is the bearer of
//! an access token with the `gerbang:admin` scope: a client's own token (`client_credentials`)
//! when `[[admin.api_client]]` names it, with the roles of the groups it lists; or a person's
//! token from a session that proved two factors, with the roles of their groups. Every change
//! goes through `idp::admin`, as the console's and the command line's do; errors are RFC 9457
//! problem details. The OpenAPI document beside it describes each operation.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use gerbang_config::{Strength, ADMIN_SCOPE};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::console_pages::AuditForm;
use super::console_reports::{filter_of, Wrong};
use super::i18n::{self, Lang, Text};
use super::problem_details::{Kind, ProblemDetails};
use super::{client_address, header_str, lang};
use crate::account::login::{address_over_limit, locks_of, LockedOrigin};
use crate::account_action::AccountAction;
use crate::admin::{self, Actor, Admin, AdminError};
use crate::audit_export;
use crate::clock::{now, rfc3339};
use crate::flows::enrolment::masked_document;
use crate::provider::Provider;
use crate::roles::{Action, Rights};
use crate::store::{FactorKind, Identity, StoreError, User, UserStatus};
use crate::tokens;

/// The OpenAPI 3.1 document of this API.
pub const OPENAPI: &str = include_str!("admin_api.openapi.json");
/// How many audit events one answer holds at most.
const EVENTS_AT_MOST: usize = 1_000;

type Answer = Result<Response, ProblemDetails>;

/// Who calls, and what they may do.
struct Caller {
    rights: Rights,
    who: Who,
}

enum Who {
    /// A person, by user name.
    Person(String),
    /// A client, by id.
    Client(String),
}

impl Caller {
    /// The administration module, acting for the caller now.
    fn admin<'a>(&'a self, p: &'a Provider) -> Admin<'a> {
        Admin {
            store: &p.store,
            actor: match &self.who {
                Who::Person(username) => Actor::ApiUser(username),
                Who::Client(id) => Actor::ApiClient(id),
            },
            now: now(),
            session_lifetime: p.session_lifetimes().absolute,
        }
    }

    fn may(&self, action: Action<'_>) -> Result<(), ProblemDetails> {
        match self.rights.may(action) {
            true => Ok(()),
            false => Err(ProblemDetails::new(Kind::NoRight)),
        }
    }
}

/// The caller of a request: its bearer token live, with the admin scope, and a role behind
/// it (for a person's token, a session that proved two factors).
async fn caller(p: &Provider, headers: &HeaderMap) -> Result<Caller, ProblemDetails> {
    let unauthenticated = || ProblemDetails::new(Kind::Unauthenticated);
    let token = header_str(headers, header::AUTHORIZATION)
        .and_then(|h| h.strip_prefix("Bearer "))
        .ok_or_else(unauthenticated)?;
    let at = now();
    let claims = tokens::verify_access_token(p, token.trim(), at)
        .await
        .map_err(|_| unauthenticated())?;
    if !claims.scope.split(' ').any(|s| s == ADMIN_SCOPE) {
        return Err(ProblemDetails::new(Kind::InsufficientScope));
    }
    let config = p.config();
    let (rights, who) = if claims.is_machine() {
        let rights = Rights::of_client(&config, &claims.client_id);
        (rights, Who::Client(claims.client_id))
    } else {
        let user = p.store.user(&claims.sub).await.map_err(unavailable)?;
        let user = user
            .filter(|u| u.status == UserStatus::Active)
            .ok_or_else(unauthenticated)?;
        let proven = claims.acr.as_deref().and_then(Strength::from_acr);
        if proven.unwrap_or_default() < Strength::TwoFactor {
            return Err(ProblemDetails::new(Kind::TwoFactorsNeeded));
        }
        let held = p.store.memberships(&user.id).await.map_err(unavailable)?;
        (Rights::of(&config, &held, at), Who::Person(user.username))
    };
    match rights.any() {
        true => Ok(Caller { rights, who }),
        false => Err(ProblemDetails::new(Kind::NoRight)),
    }
}

fn unavailable(e: impl std::fmt::Display) -> ProblemDetails {
    tracing::error!(error = %e, "the admin API failed for a server reason");
    ProblemDetails::new(Kind::Unavailable)
}

/// An administration error as a problem, a field's in registration's words in `lang`.
fn problem(lang: Lang, e: AdminError) -> ProblemDetails {
    match e {
        AdminError::Field { field, problem } => {
            ProblemDetails::field(field, i18n::problem(lang, problem))
        }
        AdminError::NoSuchUser(_) | AdminError::NoSuchSession(_) => {
            ProblemDetails::new(Kind::NotFound)
        }
        AdminError::UnknownGroup(_) => ProblemDetails::field("group", &e.to_string()),
        AdminError::EndsInThePast => ProblemDetails::field("until", &e.to_string()),
        AdminError::AlreadyActive(_) | AdminError::NotActive(_) | AdminError::NotAMember { .. } => {
            ProblemDetails::detail(Kind::NotApplicable, e.to_string())
        }
        other => unavailable(other),
    }
}

/// The JSON body a request carries.
fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ProblemDetails> {
    serde_json::from_slice(bytes)
        .map_err(|e| ProblemDetails::detail(Kind::BadRequest, e.to_string()))
}

/// The account `id`.
async fn account_of(p: &Provider, id: &str) -> Result<User, ProblemDetails> {
    match p.store.user(id).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(ProblemDetails::new(Kind::NotFound)),
        Err(e) => Err(unavailable(e)),
    }
}

/// Anything else under the API: a problem, not the pages' "not found".
pub async fn not_found() -> ProblemDetails {
    ProblemDetails::new(Kind::NotFound)
}

/// `GET /admin/api/v1/openapi.json`.
pub async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

#[derive(serde::Deserialize)]
struct SearchBody {
    query: String,
    /// 0-based, of 50 accounts each.
    #[serde(default)]
    page: usize,
}

/// `POST /admin/api/v1/accounts/search` (a POST, so no NIK is ever in an address): accounts
/// whose user name, e-mail, phone or document number contains `query`, documents masked.
pub async fn search(State(p): State<Arc<Provider>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let caller = caller(&p, &headers).await?;
    caller.may(Action::Find)?;
    let address = client_address(&headers);
    let limits = &p.config().login;
    match address_over_limit(p.store.as_ref(), limits, &address, now()).await {
        Ok(false) => {}
        Ok(true) => return Err(ProblemDetails::new(Kind::TooManyRequests)),
        Err(e) => return Err(unavailable(e)),
    }
    let searcher = match &caller.who {
        Who::Person(username) => username.clone(),
        Who::Client(id) => format!("client:{id}"),
    };
    let per_minute = p.config().admin.searches_per_minute;
    match admin::searches_over_limit(&p.store, &searcher, per_minute, now()).await {
        Ok(false) => {}
        Ok(true) => return Err(ProblemDetails::new(Kind::TooManyRequests)),
        Err(e) => return Err(unavailable(e)),
    }
    let asked: SearchBody = body(&bytes)?;
    let lang = lang(&headers, None);
    let found = admin::search(&p.store, &asked.query)
        .await
        .map_err(|e| problem(lang, e))?;
    let (shown, at) = admin::page_of(&found, asked.page);
    let accounts: Vec<Value> = shown.iter().map(summary).collect();
    Ok(Json(json!({
        "accounts": accounts,
        "page": at.page,
        "total": at.total,
        "more": at.has_next(),
    }))
    .into_response())
}

/// An account as a search lists it.
fn summary(user: &User) -> Value {
    json!({
        "id": user.id,
        "username": user.username,
        "email": user.email.as_str(),
        "status": status(user.status),
        "document": document(&user.identity, masked_document(&user.identity), true),
    })
}

fn status(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Pending => "pending",
        UserStatus::Active => "active",
        UserStatus::Disabled => "disabled",
    }
}

fn document(identity: &Identity, number: String, masked: bool) -> Value {
    match identity {
        Identity::Ktp { .. } => json!({ "type": "ktp", "number": number, "masked": masked }),
        Identity::Passport { country, .. } => {
            json!({ "type": "passport", "number": number, "country": country, "masked": masked })
        }
    }
}

/// `GET /admin/api/v1/accounts/{id}`: the account, what holds on it, and the actions the
/// caller may take on it now. Its document is in full for a role that needs it (audited).
pub async fn account(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    let caller = caller(&p, &headers).await?;
    caller.may(Action::Find)?;
    let user = account_of(&p, &id).await?;
    let document = match caller.rights.may(Action::SeeDocument) {
        true => {
            let admin = caller.admin(&p);
            let number = admin
                .unmasked_document(&user, &client_address(&headers))
                .await
                .map_err(unavailable)?;
            document(&user.identity, number, false)
        }
        false => document(&user.identity, masked_document(&user.identity), true),
    };
    let lang = lang(&headers, None);
    let view = account_view(&p, (lang, &caller.rights), &user)
        .await
        .map_err(unavailable)?;
    let mut body = summary(&user);
    body["document"] = document;
    body["phone"] = json!(user.phone.to_string());
    body["full_name"] = json!(user.profile.full_name);
    body["must_change_password"] = json!(user.must_change_password);
    body["created_at"] = json!(rfc3339(user.created_at));
    for (key, value) in view {
        body[key] = value;
    }
    Ok(Json(body).into_response())
}

/// What holds on `user` now: locks, sessions, second factors, groups, and the actions
/// `rights` allow that apply.
async fn account_view(
    p: &Provider,
    (lang, rights): (Lang, &Rights),
    user: &User,
) -> Result<Vec<(&'static str, Value)>, StoreError> {
    let at = now();
    let locks = locks_of(p.store.as_ref(), &user.id, at).await?;
    let factors = p.store.factors(&user.id).await?;
    let sessions = p.store.sessions_of(&user.id).await?;
    let sessions: Vec<Value> = super::home::device_sessions(p, lang, &sessions, "", at)
        .iter()
        .map(|s| {
            json!({
                "id": s.id_hash,
                "device": s.device,
                "logged_in": rfc3339(s.logged_in),
                "last_active": rfc3339(s.last_active),
                "apps": s.apps,
            })
        })
        .collect();
    let memberships = p.store.memberships(&user.id).await?;
    let actions: Vec<&str> = AccountAction::ALL
        .into_iter()
        .filter(|a| rights.may(a.permission()))
        .filter(|a| a.applies(user, !locks.is_empty(), !factors.is_empty()))
        .map(AccountAction::name)
        .collect();
    let locks: Vec<Value> = locks
        .iter()
        .map(|lock| {
            let (origin, address) = match &lock.origin {
                LockedOrigin::KnownDevice => ("known_device", None),
                LockedOrigin::NewDevices => ("new_devices", None),
                LockedOrigin::Address(address) => ("address", Some(address)),
            };
            json!({ "origin": origin, "address": address, "until": rfc3339(lock.until) })
        })
        .collect();
    let factors: Vec<Value> = factors
        .iter()
        .map(|f| {
            let kind = match f.kind {
                FactorKind::Totp { .. } => "totp",
                FactorKind::Passkey { .. } => "passkey",
            };
            json!({ "id": f.id, "name": f.name, "kind": kind, "created_at": rfc3339(f.created_at) })
        })
        .collect();
    let groups: Vec<Value> = memberships
        .iter()
        .filter(|m| m.holds(at))
        .map(|m| {
            json!({
                "group": m.group,
                "granted_by": m.granted_by,
                "granted_at": rfc3339(m.granted_at),
                "until": m.until.map(rfc3339),
            })
        })
        .collect();
    Ok(vec![
        ("locks", json!(locks)),
        ("sessions", json!(sessions)),
        ("second_factors", json!(factors)),
        ("groups", json!(groups)),
        ("actions", json!(actions)),
    ])
}

/// The body of every change: why (required, recorded in the audit event), and for a grant the
/// last day it holds (`YYYY-MM-DD`, in the configured time zone).
#[derive(serde::Deserialize)]
struct ChangeBody {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    until: Option<String>,
}

/// What every change begins with: the caller, if their roles allow `right`; the body, with a
/// reason; the account `id`; the language of the words for a wrong field.
async fn changing(
    p: &Provider,
    headers: &HeaderMap,
    (right, id): (Action<'_>, &str),
    bytes: &Bytes,
) -> Result<(Caller, ChangeBody, User, Lang), ProblemDetails> {
    let caller = caller(p, headers).await?;
    caller.may(right)?;
    let asked: ChangeBody = body(bytes)?;
    let lang = lang(headers, None);
    if asked.reason.trim().is_empty() {
        let said = i18n::t(lang, Text::ConsoleReasonMissing);
        return Err(ProblemDetails::field("reason", said));
    }
    let user = account_of(p, id).await?;
    Ok((caller, asked, user, lang))
}

/// `POST /admin/api/v1/accounts/{id}/actions/{action}`: an account action (`unlock`,
/// `send-reset-link`, …) with its reason, as the console's button does it.
pub async fn act(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, name)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let action = AccountAction::named(&name).ok_or(ProblemDetails::new(Kind::NotFound))?;
    let right = (action.permission(), id.as_str());
    let (caller, asked, user, lang) = changing(&p, &headers, right, &bytes).await?;
    if !action
        .applies_now(&p, &user, now())
        .await
        .map_err(unavailable)?
    {
        let detail = format!("`{name}` does not apply to {} now", user.username);
        return Err(ProblemDetails::detail(Kind::NotApplicable, detail));
    }
    let reason = asked.reason.trim();
    action
        .perform(&p, &caller.admin(&p), &user.username, reason)
        .await
        .map_err(|e| problem(lang, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /admin/api/v1/accounts/{id}/groups/{group}`: grants the group until the end of the
/// day `until` (a group's managers must give one), or changes the grant's end.
pub async fn grant(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, group)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let right = (Action::Grant(&group), id.as_str());
    let (caller, asked, user, lang) = changing(&p, &headers, right, &bytes).await?;
    let zone = p.config().ui.time_zone;
    let until = match asked.until.as_deref().map(str::trim) {
        None | Some("") if caller.rights.administrator => Ok(None),
        None | Some("") => Err(Text::ConsoleUntilNeeded),
        Some(day) => match admin::end_of_day(day, zone) {
            Some(end) if end > now() => Ok(Some(end)),
            Some(_) => Err(Text::ConsoleUntilNeeded),
            None => Err(Text::AuditBadDate),
        },
    }
    .map_err(|text| ProblemDetails::field("until", i18n::t(lang, text)))?;
    let declared = p.config().groups.clone();
    caller
        .admin(&p)
        .grant(
            &declared,
            &user.username,
            (&group, until),
            asked.reason.trim(),
        )
        .await
        .map_err(|e| problem(lang, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /admin/api/v1/accounts/{id}/groups/{group}`: revokes the group, with a reason.
pub async fn revoke(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, group)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let right = (Action::Grant(&group), id.as_str());
    let (caller, asked, user, lang) = changing(&p, &headers, right, &bytes).await?;
    caller
        .admin(&p)
        .revoke_membership(&user.username, &group, asked.reason.trim())
        .await
        .map_err(|e| problem(lang, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /admin/api/v1/accounts/{id}/sessions/{session}`: ends one of the account's
/// sessions (one browser, and the app sessions it started), with a reason.
pub async fn end_session(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Path((id, session)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    let right = (Action::EndSessions, id.as_str());
    let (caller, asked, user, lang) = changing(&p, &headers, right, &bytes).await?;
    caller
        .admin(&p)
        .end_session(&p, &user.username, &session, asked.reason.trim())
        .await
        .map_err(|e| problem(lang, e))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /admin/api/v1/audit`: the newest events (at most 1000), filtered as the console's
/// log is (`account_id`, or `account` by user name or e-mail, never a NIK; `kind`; `actor`;
/// the days `from` and `to`).
pub async fn audit(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Answer {
    let caller = caller(&p, &headers).await?;
    caller.may(Action::ReadAuditLog)?;
    let field = |name: &str| q.get(name).map_or("", |v| v.trim()).to_string();
    let typed = AuditForm {
        account: field("account"),
        kind: field("kind"),
        actor: field("actor"),
        from: field("from"),
        to: field("to"),
    };
    let lang = lang(&headers, None);
    // An identity number is never put in an address (and its logs).
    if !typed.account.is_empty() && typed.account.bytes().all(|b| b.is_ascii_digit()) {
        let said = "give the account's id (account_id), user name or e-mail: a NIK never goes in an address";
        return Err(ProblemDetails::field("account", said));
    }
    let mut filter = match filter_of(&p, &typed).await {
        Ok(filter) => filter,
        Err(Wrong::Field(field, text)) => {
            return Err(ProblemDetails::field(field, i18n::t(lang, text)))
        }
        Err(Wrong::Store(e)) => return Err(unavailable(e)),
    };
    if let Some(id) = q.get("account_id") {
        filter.user_id = Some(id.clone());
    }
    if !typed.kind.is_empty() && filter.kind.is_none() {
        return Err(ProblemDetails::field("kind", "not a kind of audit event"));
    }
    let events = p
        .store
        .events_matching(&filter, EVENTS_AT_MOST)
        .await
        .map_err(unavailable)?;
    let events: Vec<Value> = events.iter().map(audit_export::to_json).collect();
    Ok(Json(json!({ "events": events })).into_response())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_document_names_every_problem_type_and_every_action() {
        let doc: Value = serde_json::from_str(OPENAPI).unwrap();
        let description = doc["info"]["description"].as_str().unwrap();
        for kind in Kind::ALL {
            assert!(description.contains(kind.name()), "{}", kind.name());
        }
        let documented: Vec<&str> = doc["components"]["schemas"]["ActionName"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        let actions: Vec<&str> = AccountAction::ALL.map(AccountAction::name).to_vec();
        assert_eq!(documented, actions);
    }
}
