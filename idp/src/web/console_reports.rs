//! The console's read-only pages (issue 20): the audit log (`/admin/audit`), the newest events
//! filtered by account, kind, operator and days and exported as CSV or JSON lines, and the
//! configuration that runs (`/admin/configuration`). The log's filters are posted (an account
//! may be named by its NIK, which never goes in an address); each export is itself audited.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};

use super::console::{acting_for, confirmation, until_confirmed};
use super::console::{enter_form_for, enter_page_for, show, Operator};
use super::console_pages::{self, AuditForm, AuditLine, ConfigurationView};
use super::i18n::{Lang, Text};
use super::{client_address, redirect, unavailable, LoggedIn, OwnForm};
use crate::admin::{self, AdminError};
use crate::audit::AuditKind;
use crate::audit_export;
use crate::clock::now;
use crate::keys::SigningAlg;
use crate::provider::Provider;
use crate::roles::Action;
use crate::store::{AuditEvent, AuditFilter, StoreError};

/// How many events the page shows.
const SHOWN: usize = 200;
/// How long a key the console adds waits before it signs: relying parties fetch the JWKS
/// meanwhile (the command line's default).
const KEY_DELAY_SECS: u64 = 3600;
/// How many events one export holds at most.
const EXPORTED: usize = 10_000;

/// `/admin/audit`: the newest events, unfiltered.
pub async fn page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let page = (&q, "/admin/audit");
    let right = Action::ReadAuditLog;
    let (lang, operator) = match enter_page_for(&p, &headers, (&session, &user), page, right).await
    {
        Ok(entered) => entered,
        Err(answer) => return answer,
    };
    let filter = AuditFilter::default();
    listed(&p, (lang, &operator), &AuditForm::default(), &filter, None).await
}

/// `/admin/configuration`: what runs, read-only (administrators).
pub async fn configuration(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let page = (&q, "/admin/configuration");
    let right = Action::ReadConfiguration;
    let (lang, operator) = match enter_page_for(&p, &headers, (&session, &user), page, right).await
    {
        Ok(entered) => entered,
        Err(answer) => return answer,
    };
    let keys = match p.store.signing_keys().await {
        Ok(keys) => keys,
        Err(e) => return unavailable(&p, lang, e),
    };
    let config = p.config();
    let reload = p.gateway.last_reload();
    let may_rotate = operator.rights.may(Action::RotateKeys);
    let view = ConfigurationView {
        config: &config,
        upstreams: &p.gateway.upstreams(),
        keys: &keys,
        reload: reload.as_ref(),
        rotate: may_rotate.then_some(operator.csrf.as_str()),
        rotated: q.contains_key("rotated"),
    };
    let page = console_pages::configuration(lang, &view, config.ui.time_zone);
    show(&p, &operator, page)
}

/// `/admin/keys/rotate` (administrators): adds a signing key of the chosen algorithm that
/// signs in an hour, after the confirmation with a reason and the operator's password; the
/// provider publishes it at once.
pub async fn rotate_key(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    form: OwnForm,
) -> Response {
    let lang = form.lang;
    let back = "/admin/configuration";
    let logged_in = (&session, &user);
    let right = (back, Action::RotateKeys);
    let operator = match enter_form_for(&p, logged_in, &headers, &form, right).await {
        Ok(operator) => operator,
        Err(answer) => return answer,
    };
    let (alg, named) = match form.field("alg") {
        "ES256" => (SigningAlg::Es256, "ES256"),
        _ => (SigningAlg::Rs256, "RS256"),
    };
    let mut confirm = confirmation(&operator, &form, (Text::ConfigRotate, named), back);
    confirm.action = "/admin/keys/rotate".into();
    confirm.fields = vec![("alg", named)];
    confirm.password = true;
    if let Err(answer) = until_confirmed(&p, &headers, (&user, &form), &mut confirm).await {
        return answer;
    }
    let lifetimes = (
        KEY_DELAY_SECS,
        p.config().provider.longest_token_lifetime().as_secs(),
    );
    let admin = acting_for(&p, &user);
    if let Err(e) = admin.rotate_key(alg, lifetimes, confirm.reason).await {
        return unavailable(&p, lang, e);
    }
    // Published in the JWKS now, not at the next refresh.
    if let Err(e) = p.keys.refresh(p.store.as_ref(), now()).await {
        tracing::error!(error = %e, "cannot read the keys just added");
    }
    redirect(&format!("{back}?rotated=1&ui_locales={}", lang.code()))
}

/// The filtered log, or its export (`format` = `csv` or `jsonl`).
pub async fn filter(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    LoggedIn { session, user }: LoggedIn,
    form: OwnForm,
) -> Response {
    let lang = form.lang;
    let back = "/admin/audit";
    let logged_in = (&session, &user);
    let right = (back, Action::ReadAuditLog);
    let operator = match enter_form_for(&p, logged_in, &headers, &form, right).await {
        Ok(operator) => operator,
        Err(answer) => return answer,
    };
    let typed = AuditForm {
        account: form.field("account").trim().to_string(),
        kind: form.field("kind").to_string(),
        actor: form.field("actor").trim().to_string(),
        from: form.field("from").trim().to_string(),
        to: form.field("to").trim().to_string(),
    };
    let filter = match filter_of(&p, &typed).await {
        Ok(filter) => filter,
        Err(Wrong::Field(field, problem)) => {
            let problem = Some((field, problem));
            return listed(
                &p,
                (lang, &operator),
                &typed,
                &AuditFilter::default(),
                problem,
            )
            .await;
        }
        Err(Wrong::Store(e)) => return unavailable(&p, lang, e),
    };
    let format = form.field("format");
    if format.is_empty() {
        return listed(&p, (lang, &operator), &typed, &filter, None).await;
    }
    let events = match p.store.events_matching(&filter, EXPORTED).await {
        Ok(events) => events,
        Err(e) => return unavailable(&p, lang, e),
    };
    let what = format!(
        "{} events as {format}, by {} (console)",
        events.len(),
        user.username
    );
    let address = client_address(&headers);
    p.audit(AuditKind::AuditExported, None, None, Some(&address), &what)
        .await;
    export(format, &events)
}

/// The page of the events `filter` lets through, under the form as typed.
async fn listed(
    p: &Provider,
    (lang, operator): (Lang, &Operator),
    typed: &AuditForm,
    filter: &AuditFilter,
    problem: Option<(&str, Text)>,
) -> Response {
    let events = match p.store.events_matching(filter, SHOWN).await {
        Ok(events) => events,
        Err(e) => return unavailable(p, lang, e),
    };
    let names = match usernames(p, &events).await {
        Ok(names) => names,
        Err(e) => return unavailable(p, lang, e),
    };
    let lines: Vec<AuditLine<'_>> = events
        .iter()
        .map(|event| AuditLine {
            event,
            username: event
                .user_id
                .as_ref()
                .and_then(|id| names.get(id))
                .map(String::as_str),
        })
        .collect();
    let zone = p.config().ui.time_zone;
    let page = console_pages::audit_log((lang, &operator.csrf), typed, &lines, problem, zone);
    show(p, operator, page)
}

/// The user names of the accounts `events` are about (a deleted account has none).
async fn usernames(
    p: &Provider,
    events: &[AuditEvent],
) -> Result<HashMap<String, String>, StoreError> {
    let mut names = HashMap::new();
    for id in events.iter().filter_map(|e| e.user_id.as_ref()) {
        if names.contains_key(id) {
            continue;
        }
        if let Some(user) = p.store.user(id).await? {
            names.insert(id.clone(), user.username);
        }
    }
    Ok(names)
}

/// What is wrong with the filters.
pub(super) enum Wrong {
    /// The field, and what to say.
    Field(&'static str, Text),
    Store(StoreError),
}

/// The filter the form asks for: the account found by user name, e-mail or NIK; the days in
/// the configured time zone, the last one inclusive.
pub(super) async fn filter_of(p: &Provider, typed: &AuditForm) -> Result<AuditFilter, Wrong> {
    let zone = p.config().ui.time_zone;
    let user_id = match typed.account.as_str() {
        "" => None,
        who => match admin::find(&p.store, who).await {
            Ok(user) => Some(user.id),
            // A NIK registration would refuse names nobody either.
            Err(AdminError::NoSuchUser(_) | AdminError::Field { .. }) => {
                return Err(Wrong::Field("account", Text::AuditNoAccount))
            }
            Err(AdminError::Store(e)) => return Err(Wrong::Store(e)),
            Err(e) => return Err(Wrong::Store(StoreError::Backend(e.to_string()))),
        },
    };
    let day = |typed: &str, field, of: fn(&str, _) -> Option<u64>| match typed {
        "" => Ok(None),
        day => of(day, zone)
            .map(Some)
            .ok_or(Wrong::Field(field, Text::AuditBadDate)),
    };
    Ok(AuditFilter {
        user_id,
        kind: AuditKind::ALL
            .iter()
            .find(|k| k.as_str() == typed.kind)
            .map(|k| k.as_str().to_string()),
        actor: (!typed.actor.is_empty()).then(|| typed.actor.clone()),
        from: day(&typed.from, "from", admin::start_of_day)?,
        until: day(&typed.to, "to", admin::end_of_day)?,
    })
}

/// The events as a download.
fn export(format: &str, events: &[AuditEvent]) -> Response {
    let (body, mime, extension) = match format {
        "csv" => (
            audit_export::to_csv(events),
            "text/csv; charset=utf-8",
            "csv",
        ),
        _ => (
            audit_export::to_json_lines(events),
            "application/x-ndjson; charset=utf-8",
            "jsonl",
        ),
    };
    let disposition = format!("attachment; filename=\"gerbang-audit.{extension}\"");
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}
