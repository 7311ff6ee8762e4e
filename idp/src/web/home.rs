//! "Beranda" (guide Gambar 6): who is logged in, the apps open to them, their sessions with
//! "log out everywhere", and the helpdesk.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use gerbang_config::{Config, HostPattern, Strength};

use super::federation_pages::LinkLine;
use super::i18n::Lang;
use super::pages::{self, App, DeviceSession, FactorView, HeldGroup, HomeView};
use super::OwnForm;
use super::{apps, html};
use super::{client_address, header_str, lang, redirect, unavailable};
use crate::access::{self, Asked, Asker, Person};
use crate::clock::now;
use crate::flows::enrolment::masked_document;
use crate::logout;
use crate::provider::Provider;
use crate::session;
use crate::store::{Membership, SecondFactor, Session, Timestamp, User};

/// The logged-in user and their provider session, from the request's cookie.
pub(super) async fn current(p: &Provider, headers: &HeaderMap) -> Option<(Session, User)> {
    let value = header_str(headers, header::COOKIE).and_then(session::from_cookie_header)?;
    session::current(p.store.as_ref(), value, p.session_lifetimes(), now())
        .await
        .ok()
        .flatten()
}

pub async fn page(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    let Some((session, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let sessions = match p.store.sessions_of(&user.id).await {
        Ok(s) => s,
        Err(e) => return unavailable(&p, lang, e),
    };
    let memberships = match p.store.memberships(&user.id).await {
        Ok(m) => m,
        Err(e) => return unavailable(&p, lang, e),
    };
    let factors = match p.store.factors(&user.id).await {
        Ok(f) => f,
        Err(e) => return unavailable(&p, lang, e),
    };
    let recovery_left = match p.store.recovery_codes_left(&user.id).await {
        Ok(n) => n,
        Err(e) => return unavailable(&p, lang, e),
    };
    let now = now();
    let config = p.config();
    let person = Person {
        username: &user.username,
        email: Some(user.email.as_str()),
        memberships: &memberships,
        // An app that wants a stronger login than this session's asks for the rest when
        // opened (a step-up): it is listed as one the person may open.
        strength: Strength::Passkey,
    };
    let address = client_address(&headers).parse().ok();
    let view = HomeView {
        user: &user,
        document: masked_document(&user.identity),
        apps: apps(&config, lang, person, address, now),
        groups: groups(&config, lang, &memberships, now),
        factors: factor_views(lang, factors),
        recovery_left,
        passkeys: crate::flows::passkey::offered(&p).is_some(),
        authenticator_apps: config.mfa.factors.totp,
        sessions: device_sessions(&p, lang, &sessions, &session.id_hash, now),
        zone: config.ui.time_zone,
        ended: q.contains_key("ended"),
        console: crate::roles::Rights::of(&config, &memberships, now).any(),
        links: link_lines(&config, lang, &user),
        link_notice: match (q.contains_key("linked"), q.contains_key("unlinked")) {
            (true, _) => Some(super::i18n::Text::LinkAdded),
            (_, true) => Some(super::i18n::Text::LinkRemoved),
            _ => None,
        },
    };
    html(&p, pages::home(lang, &view, &config.helpdesk)).into_response()
}

/// Every configured identity provider, with the user's link to it if there is one.
fn link_lines(config: &Config, lang: Lang, user: &User) -> Vec<LinkLine> {
    config
        .identity_providers
        .iter()
        .map(|provider| LinkLine {
            provider: provider.id.clone(),
            title: provider.title.get(lang.code()).to_string(),
            linked_at: user.link_to(&provider.id).map(|l| l.linked_at),
        })
        .collect()
}

/// The user's second factors as Beranda lists them; one left unnamed goes by its kind.
fn factor_views(lang: Lang, factors: Vec<SecondFactor>) -> Vec<FactorView> {
    factors
        .into_iter()
        .map(|f| {
            let kind = super::factor_pages::kind_name(lang, &f);
            FactorView {
                name: super::factor_pages::factor_name(lang, &f).to_string(),
                id: f.id,
                kind,
                added: f.created_at,
                last_used: f.last_used_at,
            }
        })
        .collect()
}

/// The user's live provider sessions, one per browser, each with the apps it logged in to
/// (the gateway's routes by title, OIDC clients by name), the most recently active first.
pub(super) fn device_sessions(
    p: &Provider,
    lang: Lang,
    sessions: &[Session],
    current: &str,
    now: Timestamp,
) -> Vec<DeviceSession> {
    let absolute = p.session_lifetimes().absolute;
    let live = |s: &&Session| now < s.expires_at && now < s.created_at + absolute;
    let mut listed: Vec<DeviceSession> = sessions
        .iter()
        .filter(|s| s.audience == "provider")
        .filter(live)
        .map(|s| {
            let routes = sessions
                .iter()
                .filter(|child| child.parent.as_deref() == Some(s.id_hash.as_str()))
                .filter(live)
                .filter_map(|child| child.audience.strip_prefix("gateway:"))
                .map(|origin| apps::route_title(p, lang, origin));
            let clients = s.clients.iter().filter_map(|id| {
                p.clients()
                    .get(id)
                    .map(|c| c.name.get(lang.code()).to_string())
            });
            // Each app once, though a browser may have logged in to it more than once.
            let mut apps: Vec<String> = Vec::new();
            for app in routes.chain(clients) {
                if !apps.contains(&app) {
                    apps.push(app);
                }
            }
            DeviceSession {
                id_hash: s.id_hash.clone(),
                device: s.device.clone(),
                logged_in: s.auth_time,
                last_active: s.last_seen,
                apps,
                current: s.id_hash == current,
            }
        })
        .collect();
    listed.sort_by_key(|s| std::cmp::Reverse(s.last_active));
    listed
}

/// The routes `person` may open, as links: the routes on a single host (a wildcard route has
/// no one address to link to) whose rules let them in at its first page.
fn apps(
    config: &Config,
    lang: Lang,
    person: Person<'_>,
    address: Option<IpAddr>,
    now: Timestamp,
) -> Vec<App> {
    let port = config.public_port();
    let asker = Asker {
        person: Some(person),
        address,
    };
    config
        .routes
        .iter()
        .filter(|r| {
            let asked = Asked {
                path: &r.path_prefix,
                method: "GET",
            };
            access::decide(&r.access, &asker, &asked, now).allowed()
        })
        .filter_map(|r| match &r.host {
            HostPattern::Exact(host) => Some(App {
                title: r.title.get(lang.code()).to_string(),
                url: format!("https://{host}{port}{}", r.path_prefix),
            }),
            HostPattern::Wildcard { .. } => None,
        })
        .collect()
}

/// The groups the user is in now, by their titles, with when each ends.
fn groups(config: &Config, lang: Lang, held: &[Membership], now: Timestamp) -> Vec<HeldGroup> {
    held.iter()
        .filter(|m| m.holds(now))
        .map(|m| HeldGroup {
            title: config
                .groups
                .iter()
                .find(|g| g.name == m.group)
                .map_or_else(|| m.group.clone(), |g| g.title.get(lang.code()).to_string()),
            until: m.until,
        })
        .collect()
}

/// "Akhiri sesi ini": ends one of the user's sessions, on whichever device, here and in every
/// app; ending the one viewing the page logs this browser out.
pub async fn end_one(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    form: OwnForm,
) -> Response {
    let lang = form.lang;
    let Some((current_session, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let chosen = form.field("session");
    let owned = match p.store.sessions_of(&user.id).await {
        Ok(sessions) => sessions
            .into_iter()
            .any(|s| s.audience == "provider" && s.id_hash == chosen),
        Err(e) => return unavailable(&p, lang, e),
    };
    if owned {
        let address = super::client_address(&headers);
        if let Err(e) = logout::end_session(&p, chosen, &user.id, Some(&address)).await {
            return unavailable(&p, lang, e);
        }
    }
    if chosen == current_session.id_hash {
        return logged_out_here(&p, lang);
    }
    redirect(&format!("/?ended=1&ui_locales={}", lang.code()))
}

/// The logged-out page, with this browser's session cookie removed.
fn logged_out_here(p: &Provider, lang: Lang) -> Response {
    let mut response = html(p, pages::logged_out(lang, None)).into_response();
    clear_session_cookie(p, &mut response);
    response
}

/// Removes this browser's session cookie with `response`.
fn clear_session_cookie(p: &Provider, response: &mut Response) {
    let cookie = session::cookie(None, p.session_lifetimes());
    if let Ok(cookie) = header::HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
}

/// "Keluar dari semua perangkat": ends every session of the user, here and in every app.
pub async fn log_out_everywhere(
    State(p): State<Arc<Provider>>,
    headers: HeaderMap,
    form: OwnForm,
) -> Response {
    let lang = form.lang;
    let Some((session, user)) = current(&p, &headers).await else {
        return redirect("/login");
    };
    let address = super::client_address(&headers);
    if let Err(e) = logout::end_all_sessions(&p, &user.id, Some(&address)).await {
        return unavailable(&p, lang, e);
    }
    // A session an upstream login started ends there too, where that is configured.
    match crate::federation::upstream_logout(&p, &session).await {
        Some(there) => {
            let mut response = redirect(&there);
            clear_session_cookie(&p, &mut response);
            response
        }
        None => logged_out_here(&p, lang),
    }
}
