//! The administration console's pages (issue 20): the search, its results, an account, the
//! confirmation of an action. No script; every form posts the console's CSRF token; every
//! search is a POST (no NIK in an address); documents masked in results, and on an account's
//! page unless the role needs them (each such view audited).

use gerbang_config::TimeZone;
use maud::{html, Markup};

use super::factor_pages::{factor_name, kind_name};
use super::i18n::{t, Lang, Text};
use super::pages::{device_session, layout, local_time, DeviceSession, Page};
use crate::account::login::{AccountLock, LockedOrigin};
use crate::account_action::AccountAction;
use crate::admin::ResultsPage;
use crate::audit::AuditKind;
use crate::gateway_status::{Reload, ReloadOutcome, UpstreamHealth};
use crate::roles::{Action, Rights};
use crate::store::{AuditEvent, Membership, SecondFactor, SigningKey, Timestamp, User, UserStatus};

/// An account as a result line and at the top of its page.
pub struct AccountLine<'a> {
    pub user: &'a User,
    /// The identity document number, masked unless the operator may see it.
    pub document: String,
}

fn status(lang: Lang, status: UserStatus) -> &'static str {
    t(
        lang,
        match status {
            UserStatus::Active => Text::StatusActive,
            UserStatus::Pending => Text::StatusPending,
            UserStatus::Disabled => Text::StatusDisabled,
        },
    )
}

fn roles(lang: Lang, rights: &Rights) -> Markup {
    html! {
        p {
            (t(lang, Text::ConsoleYourRoles)) ": "
            @if rights.administrator { strong { (t(lang, Text::RoleAdministrator)) } " " }
            @if rights.helpdesk { strong { (t(lang, Text::RoleHelpdesk)) } " " }
            @if !rights.manages.is_empty() {
                (t(lang, Text::RoleManagerOf)) " " strong { (rights.manages.join(", ")) }
            }
        }
    }
}

/// The fields every console form posts: its language and the console's CSRF token.
fn hidden(lang: Lang, csrf: &str) -> Markup {
    html! {
        input type="hidden" name="ui_locales" value=(lang.code());
        input type="hidden" name="csrf" value=(csrf);
    }
}

/// The search form, with what was typed and what is wrong with it (a NIK registration would
/// refuse, in registration's words).
fn search_form(lang: Lang, csrf: &str, (typed, problem): (&str, Option<&str>)) -> Markup {
    html! {
        form method="post" action="/admin/search" role="search" {
            (hidden(lang, csrf))
            label for="q" { (t(lang, Text::ConsoleSearchLabel)) }
            @if let Some(problem) = problem { p.error role="alert" id="q-error" { (problem) } }
            input id="q" name="q" type="search" value=(typed) required autocomplete="off"
                autocapitalize="none" spellcheck="false" maxlength="120"
                aria-invalid=[problem.map(|_| "true")] aria-describedby=[problem.map(|_| "q-error")];
            button type="submit" { (t(lang, Text::ConsoleSearchButton)) }
        }
    }
}

/// The console's first page, and the search's answer: what was typed (and what is wrong with
/// it), `results` when a search was made; `notice` after an action that left the account's
/// page (a deletion).
pub fn search(
    (lang, csrf): (Lang, &str),
    rights: &Rights,
    typed: (&str, Option<&str>),
    results: Option<(&[AccountLine<'_>], &ResultsPage)>,
    notice: Option<Text>,
) -> Page {
    let body = html! {
        h1 { (t(lang, Text::ConsoleTitle)) }
        @if let Some(notice) = notice { p.notice role="status" { (t(lang, notice)) } }
        (roles(lang, rights))
        @if rights.may(Action::ReadAuditLog) {
            p.links {
                a href={ "/admin/audit?ui_locales=" (lang.code()) } { (t(lang, Text::ConsoleAuditLog)) }
                @if rights.may(Action::ReadConfiguration) {
                    " · " a href={ "/admin/configuration?ui_locales=" (lang.code()) } { (t(lang, Text::ConsoleConfiguration)) }
                }
            }
        }
        h2 { (t(lang, Text::ConsoleSearch)) }
        (search_form(lang, csrf, typed))
        @if let Some((results, at)) = results {
            section aria-labelledby="results" {
                h2 id="results" { (t(lang, Text::ConsoleResults)) }
                @if results.is_empty() {
                    p role="status" { (t(lang, Text::ConsoleNoResults)) }
                } @else {
                    p role="status" {
                        @if at.has_previous() || at.has_next() {
                            (at.first + 1) "–" (at.first + at.shown) " " (t(lang, Text::ConsoleOf)) " " (at.total)
                        } @else {
                            (t(lang, Text::ConsoleFound)) ": " (at.total)
                        }
                    }
                    ul.accounts {
                        @for line in results {
                            li {
                                a href={ "/admin/users/" (line.user.id) "?ui_locales=" (lang.code()) } {
                                    strong { (line.user.username) }
                                }
                                br;
                                (line.user.email.as_str()) " · " span translate="no" { (line.document) }
                                " · " (status(lang, line.user.status))
                            }
                        }
                    }
                    (pager(lang, csrf, typed.0, at))
                }
            }
        }
        p.links { a href="/" { (t(lang, Text::HomeTitle)) } }
    };
    layout(lang, t(lang, Text::ConsoleTitle), body)
}

/// The buttons to the search's previous and next pages (posts, as the search is).
fn pager(lang: Lang, csrf: &str, typed: &str, at: &ResultsPage) -> Markup {
    let to = |page: usize, label: Text| {
        html! {
            form.inline method="post" action="/admin/search" {
                (hidden(lang, csrf))
                input type="hidden" name="q" value=(typed);
                input type="hidden" name="page" value=(page);
                button.secondary type="submit" { (t(lang, label)) }
            }
        }
    };
    html! {
        @if at.has_previous() || at.has_next() {
            nav.pager aria-label=(t(lang, Text::ConsoleResults)) {
                @if at.has_previous() { (to(at.page - 1, Text::ConsolePrevious)) }
                @if at.has_next() { (to(at.page + 1, Text::ConsoleNext)) }
            }
        }
    }
}

/// What an account's page shows.
pub struct AccountView<'a> {
    pub line: AccountLine<'a>,
    pub csrf: &'a str,
    /// The login locks holding now.
    pub locks: &'a [AccountLock],
    /// The groups the operator may grant and revoke here.
    pub grantable: &'a [String],
    /// The actions the operator may take on the account (see [`AccountAction`]).
    pub actions: &'a [AccountAction],
    /// The last action was done (the notice after it).
    pub done: bool,
    /// Its live sessions, one per browser.
    pub sessions: &'a [DeviceSession],
    pub factors: &'a [SecondFactor],
    pub memberships: &'a [Membership],
    pub events: &'a [AuditEvent],
    pub zone: TimeZone,
}

/// One account, read-only: who, its state, its sessions, factors, access rights and recent
/// audit events.
pub fn account(lang: Lang, view: &AccountView<'_>) -> Page {
    let user = view.line.user;
    let zone = view.zone;
    let none = t(lang, Text::ConsoleNone);
    let action = |what: &str| format!("/admin/users/{}/{what}", user.id);
    let body = html! {
        h1 { (user.username) }
        @if view.done { p.notice role="status" { (t(lang, Text::ConsoleDone)) } }
        dl.profile {
            dt { (t(lang, Text::ConsoleStatus)) } dd { (status(lang, user.status)) }
            dt { (t(lang, Text::Email)) } dd { (user.email.as_str()) }
            dt { (t(lang, Text::Phone)) } dd { (user.phone) }
            dt { (t(lang, Text::Nik)) " / " (t(lang, Text::PassportNumber)) }
            dd translate="no" { (view.line.document) }
            dt { (t(lang, Text::ConsoleCreated)) } dd { (when(user.created_at, zone)) }
            dt { (t(lang, Text::ConsoleLogin)) } dd { (locks(lang, view.locks, zone)) }
        }
        (sessions(lang, view))
        section aria-labelledby="factors" {
            h2 id="factors" { (t(lang, Text::SecondFactorTitle)) }
            @if view.factors.is_empty() { p { (none) } }
            ul {
                @for f in view.factors {
                    li {
                        (factor_name(lang, f))
                        @if !f.name.is_empty() { " (" (kind_name(lang, f)) ")" }
                        " · " (when(f.created_at, zone))
                    }
                }
            }
        }
        section aria-labelledby="groups" {
            h2 id="groups" { (t(lang, Text::ConsoleGroups)) }
            @if view.memberships.is_empty() { p { (none) } }
            ul {
                @for m in view.memberships {
                    li {
                        (words(&m.group)) " · "
                        @match m.until {
                            Some(until) => { (t(lang, Text::GroupUntil)) " " (when(until, zone)) }
                            None => { (t(lang, Text::GroupNoEnd)) }
                        }
                        @if view.grantable.contains(&m.group) {
                            form.inline method="post" action=(action("revoke")) {
                                (hidden(lang, view.csrf))
                                input type="hidden" name="group" value=(m.group);
                                button.secondary type="submit" aria-label={ (t(lang, Text::ConsoleRevoke)) " " (m.group) } {
                                    (t(lang, Text::ConsoleRevoke))
                                }
                            }
                        }
                    }
                }
            }
        }
        (changes(lang, view))
        section aria-labelledby="events" {
            h2 id="events" { (t(lang, Text::ConsoleEvents)) }
            @if view.events.is_empty() { p { (none) } }
            ul.events {
                @for e in view.events {
                    li { (when(e.at, zone)) " · " code { (e.kind) } " · " (words(&e.detail)) }
                }
            }
        }
        p.links { a href={ "/admin?ui_locales=" (lang.code()) } { (t(lang, Text::ConsoleBackToSearch)) } }
    };
    layout(lang, &user.username, body)
}

/// The account's sessions, each with a button that ends it when the operator may end sessions.
fn sessions(lang: Lang, view: &AccountView<'_>) -> Markup {
    let may_end = view.actions.contains(&AccountAction::EndSessions);
    let end = |s: &DeviceSession| {
        html! {
            @if may_end {
                form method="post" action={ "/admin/users/" (view.line.user.id) "/sessions/end" } {
                    (hidden(lang, view.csrf))
                    input type="hidden" name="session" value=(s.id_hash);
                    button.secondary type="submit" { (t(lang, Text::EndSession)) }
                }
            }
        }
    };
    html! {
        section aria-labelledby="sessions" {
            h2 id="sessions" { (t(lang, Text::Sessions)) }
            @if view.sessions.is_empty() { p { (t(lang, Text::ConsoleNone)) } }
            ul.sessions {
                @for s in view.sessions { (device_session(lang, s, view.zone, end(s))) }
            }
        }
    }
}

/// What the operator may change on the account: the actions their role allows, and granting
/// the groups they may grant.
fn changes(lang: Lang, view: &AccountView<'_>) -> Markup {
    let action = |what: &str| format!("/admin/users/{}/{what}", view.line.user.id);
    html! {
        @if !view.actions.is_empty() {
            section aria-labelledby="actions" {
                h2 id="actions" { (t(lang, Text::ConsoleActions)) }
                @for a in view.actions {
                    form method="post" action=(action("act")) {
                        (hidden(lang, view.csrf))
                        input type="hidden" name="action" value=(a.name());
                        button.secondary type="submit" { (t(lang, label(*a))) }
                    }
                }
            }
        }
        @if !view.grantable.is_empty() {
            section aria-labelledby="grant" {
                h2 id="grant" { (t(lang, Text::ConsoleGrant)) }
                form method="post" action=(action("grant")) {
                    (hidden(lang, view.csrf))
                    label for="group" { (t(lang, Text::ConsoleGroup)) }
                    select id="group" name="group" {
                        @for g in view.grantable { option value=(g) { (g) } }
                    }
                    label for="until" { (t(lang, Text::ConsoleUntil)) }
                    input id="until" name="until" type="date" aria-describedby="until-help";
                    p.help id="until-help" { (t(lang, Text::ConsoleUntilHelp)) }
                    button type="submit" { (t(lang, Text::ConsoleGrant)) }
                }
            }
        }
    }
}

/// The account's login locks, each with where it holds and when it ends.
fn locks(lang: Lang, locks: &[AccountLock], zone: TimeZone) -> Markup {
    html! {
        @if locks.is_empty() { (t(lang, Text::ConsoleNotLocked)) }
        @for (i, lock) in locks.iter().enumerate() {
            @if i > 0 { br; }
            strong { (t(lang, Text::ConsoleLockedUntil)) " " (when(lock.until, zone)) }
            " · "
            @match &lock.origin {
                LockedOrigin::NewDevices => { (t(lang, Text::LockNewDevices)) }
                LockedOrigin::KnownDevice => { (t(lang, Text::LockKnownDevice)) }
                LockedOrigin::Address(address) => {
                    (t(lang, Text::LockFrom)) " " span translate="no" { (address) }
                }
            }
        }
    }
}

/// An account action's name on its button and its confirmation.
pub fn label(action: AccountAction) -> Text {
    match action {
        AccountAction::Unlock => Text::ActionUnlock,
        AccountAction::SendResetLink => Text::ActionSendResetLink,
        AccountAction::ResendActivation => Text::ActionResendActivation,
        AccountAction::EndSessions => Text::ActionEndSessions,
        AccountAction::ResetSecondFactors => Text::ActionResetFactors,
        AccountAction::Disable => Text::ActionDisable,
        AccountAction::Enable => Text::ActionEnable,
        AccountAction::Delete => Text::ActionDelete,
    }
}

/// An action about to be done, as the confirmation page states it: what, to whom; the form
/// posts the same fields back with the reason and `confirm=yes`.
pub struct Confirm<'a> {
    pub title: Text,
    pub summary: String,
    /// What the operator should know first (what deleting loses).
    pub warning: Option<Text>,
    pub action: String,
    pub fields: Vec<(&'a str, &'a str)>,
    pub csrf: &'a str,
    /// The operator gives their password again (a destructive action).
    pub password: bool,
    /// The reason as typed before, kept when the page comes back with a problem.
    pub reason: &'a str,
    /// Where "Batal" leads.
    pub back: String,
    /// What is wrong with what was typed (the reason, the password): the form stays.
    pub problem: Option<Text>,
    /// Why it cannot be done at all: no form.
    pub blocked: Option<Text>,
}

/// "Konfirmasi tindakan": the action in words, a reason (required, audited), the password for a
/// destructive action, and the button; what is wrong beside the field it concerns.
pub fn confirm(lang: Lang, c: &Confirm<'_>) -> Page {
    let reason_problem = c.problem.filter(|p| *p == Text::ConsoleReasonMissing);
    let password_problem = c.problem.filter(|p| *p != Text::ConsoleReasonMissing);
    let body = html! {
        h1 { (t(lang, Text::ConsoleConfirmTitle)) }
        p { strong { (t(lang, c.title)) } ": " (words(&c.summary)) }
        @if let Some(warning) = c.warning { p.notice { (t(lang, warning)) } }
        @if let Some(blocked) = c.blocked {
            p.error role="alert" { (t(lang, blocked)) }
        } @else {
            form method="post" action=(c.action) {
                (hidden(lang, c.csrf))
                input type="hidden" name="confirm" value="yes";
                @for (name, value) in &c.fields { input type="hidden" name=(name) value=(value); }
                label for="reason" { (t(lang, Text::ConsoleReason)) }
                @if let Some(problem) = reason_problem { p.error role="alert" id="reason-error" { (t(lang, problem)) } }
                input id="reason" name="reason" type="text" required maxlength="200" value=(c.reason)
                    aria-invalid=[reason_problem.map(|_| "true")]
                    aria-describedby=[reason_problem.map(|_| "reason-error")];
                @if c.password {
                    label for="current" { (t(lang, Text::ConsolePasswordAgain)) }
                    @if let Some(problem) = password_problem { p.error role="alert" id="current-error" { (t(lang, problem)) } }
                    input id="current" name="current" type="password" required autocomplete="current-password"
                        aria-invalid=[password_problem.map(|_| "true")]
                        aria-describedby=[password_problem.map(|_| "current-error")];
                }
                button type="submit" { (t(lang, Text::ConsoleConfirm)) }
            }
        }
        p.links { a href=(c.back) { (t(lang, Text::ConsoleCancel)) } }
    };
    layout(lang, t(lang, Text::ConsoleConfirmTitle), body)
}

/// The audit log's filters as typed (kept when the page comes back).
#[derive(Debug, Default)]
pub struct AuditForm {
    pub account: String,
    pub kind: String,
    pub actor: String,
    pub from: String,
    pub to: String,
}

/// An event as the audit log lists it: with its account's user name when it still has one.
pub struct AuditLine<'a> {
    pub event: &'a AuditEvent,
    pub username: Option<&'a str>,
}

/// The audit log: the filters (account, kind, operator, days), the two exports, and the newest
/// events that match; `problem` says which filter is wrong (`field`, what).
pub fn audit_log(
    (lang, csrf): (Lang, &str),
    form: &AuditForm,
    lines: &[AuditLine<'_>],
    problem: Option<(&str, Text)>,
    zone: TimeZone,
) -> Page {
    let field_problem = |name: &str| problem.filter(|(f, _)| *f == name).map(|(_, t)| t);
    let text_field = |name: &'static str, label: Text, value: &str, kind: &str| {
        let problem = field_problem(name);
        let error_id = format!("{name}-error");
        html! {
            label for=(name) { (words(t(lang, label))) }
            @if let Some(problem) = problem { p.error role="alert" id=(error_id) { (words(t(lang, problem))) } }
            input id=(name) name=(name) type=(kind) value=(value) autocomplete="off"
                autocapitalize="none" spellcheck="false" maxlength="120"
                aria-invalid=[problem.map(|_| "true")]
                aria-describedby=[problem.map(|_| error_id.as_str())];
        }
    };
    let body = html! {
        h1 { (t(lang, Text::ConsoleAuditLog)) }
        form method="post" action="/admin/audit" {
            (hidden(lang, csrf))
            (text_field("account", Text::AuditAccount, &form.account, "text"))
            label for="kind" { (t(lang, Text::AuditKindLabel)) }
            select id="kind" name="kind" {
                option value="" { (t(lang, Text::AuditAllKinds)) }
                @for kind in AuditKind::ALL {
                    option value=(kind.as_str()) selected[form.kind == kind.as_str()] { (kind.as_str()) }
                }
            }
            (text_field("actor", Text::AuditActor, &form.actor, "text"))
            (text_field("from", Text::AuditFrom, &form.from, "date"))
            (text_field("to", Text::AuditTo, &form.to, "date"))
            button type="submit" { (t(lang, Text::AuditShow)) }
            p.links {
                button.secondary type="submit" name="format" value="csv" { (t(lang, Text::AuditCsv)) }
                " "
                button.secondary type="submit" name="format" value="jsonl" { (t(lang, Text::AuditJsonLines)) }
            }
        }
        section aria-labelledby="events" {
            h2 id="events" { (t(lang, Text::ConsoleEvents)) }
            p.help { (t(lang, Text::AuditNewestFirst)) }
            @if lines.is_empty() { p role="status" { (t(lang, Text::AuditNothing)) } }
            ul.events {
                @for line in lines {
                    @let e = line.event;
                    li {
                        (when(e.at, zone)) " · " code { (e.kind) }
                        @if let (Some(id), Some(name)) = (&e.user_id, line.username) {
                            " · " a href={ "/admin/users/" (id) "?ui_locales=" (lang.code()) } { (name) }
                        }
                        " · " (words(&e.detail))
                        @if let Some(address) = &e.address { " · " span translate="no" { (address) } }
                    }
                }
            }
        }
        p.links { a href={ "/admin?ui_locales=" (lang.code()) } { (t(lang, Text::ConsoleBackToSearch)) } }
    };
    layout(lang, t(lang, Text::ConsoleAuditLog), body)
}

/// What the configuration page shows: what runs, as the gateway and the store report it.
pub struct ConfigurationView<'a> {
    pub config: &'a gerbang_config::Config,
    pub upstreams: &'a [UpstreamHealth],
    pub keys: &'a [SigningKey],
    pub reload: Option<&'a Reload>,
    /// The operator's form token when they may rotate the signing key.
    pub rotate: Option<&'a str>,
    /// A key was just added.
    pub rotated: bool,
}

/// The configuration, read-only: routes with their upstreams' health, clients, signing keys and
/// the last reload.
pub fn configuration(lang: Lang, view: &ConfigurationView<'_>, zone: TimeZone) -> Page {
    let health = |route: &str| view.upstreams.iter().find(|u| u.route == route);
    let body = html! {
        h1 { (t(lang, Text::ConsoleConfiguration)) }
        @if view.rotated { p.notice role="status" { (t(lang, Text::ConfigRotated)) } }
        section aria-labelledby="routes" {
            h2 id="routes" { (t(lang, Text::ConfigRoutes)) }
            ul.events {
                @for route in &view.config.routes {
                    li {
                        strong { (words(&route.name)) } " · " span translate="no" { (route.host) (route.path_prefix) }
                        " · " (t(lang, match route.policy {
                            gerbang_config::Policy::Public => Text::ConfigPublic,
                            gerbang_config::Policy::Authenticated => Text::ConfigAuthenticated,
                        }))
                        @if let Some(h) = health(&route.name) {
                            " · " strong.error[h.healthy < h.total] { (h.healthy) "/" (h.total) } " " (t(lang, Text::ConfigUpstreamsHealthy))
                        }
                    }
                }
            }
        }
        section aria-labelledby="clients" {
            h2 id="clients" { (t(lang, Text::ConfigClients)) }
            @if view.config.clients.is_empty() { p { (t(lang, Text::ConsoleNone)) } }
            ul.events {
                @for client in &view.config.clients {
                    li {
                        strong translate="no" { (words(&client.id)) } " · " (client.name.get(lang.code()))
                        " · " (client.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(", "))
                        " · " (client.redirect_uris.len()) " " (t(lang, Text::ConfigRedirects))
                    }
                }
            }
        }
        section aria-labelledby="keys" {
            h2 id="keys" { (t(lang, Text::ConfigKeys)) }
            ul.events {
                @for key in view.keys {
                    li {
                        code translate="no" { (key.kid) } " · " (key.alg)
                        " · " (t(lang, Text::ConfigActiveFrom)) " " (when(key.active_from, zone))
                        @if let Some(retired) = key.retire_after {
                            " · " (t(lang, Text::ConfigRetiredAt)) " " (when(retired, zone))
                        }
                    }
                }
            }
        }
        @if let Some(csrf) = view.rotate { (rotate_form(lang, csrf)) }
        section aria-labelledby="reload" {
            h2 id="reload" { (t(lang, Text::ConfigReload)) }
            @match view.reload {
                None => { p { (t(lang, Text::ConfigNoReload)) } }
                Some(reload) => {
                    p { (when(reload.at, zone)) " · " (reload.trigger) }
                    @match &reload.outcome {
                        ReloadOutcome::Applied { restart } => {
                            p.notice { (t(lang, Text::ConfigApplied)) }
                            @if !restart.is_empty() {
                                p { (t(lang, Text::ConfigRestartNeeded)) ": " code { (restart.join(", ")) } }
                            }
                        }
                        ReloadOutcome::Refused(why) => {
                            p.error { (t(lang, Text::ConfigRefused)) }
                            pre.wrap { (why) }
                        }
                    }
                }
            }
        }
        p.links { a href={ "/admin?ui_locales=" (lang.code()) } { (t(lang, Text::ConsoleBackToSearch)) } }
    };
    layout(lang, t(lang, Text::ConsoleConfiguration), body)
}

/// The form that adds a signing key (it asks for a confirmation, a reason and the password).
fn rotate_form(lang: Lang, csrf: &str) -> Markup {
    html! {
        section aria-labelledby="rotate" {
            h2 id="rotate" { (t(lang, Text::ConfigRotate)) }
            form method="post" action="/admin/keys/rotate" {
                (hidden(lang, csrf))
                label for="alg" { (t(lang, Text::ConfigAlgorithm)) }
                select id="alg" name="alg" aria-describedby="alg-help" {
                    option value="RS256" { "RS256" }
                    option value="ES256" { "ES256" }
                }
                p.help id="alg-help" { (t(lang, Text::ConfigRotateHelp)) }
                button.secondary type="submit" { (t(lang, Text::ConfigRotate)) }
            }
        }
    }
}

/// A time as people read it, kept on one line (its date's dashes are no place to break).
fn when(at: Timestamp, zone: TimeZone) -> Markup {
    html! { time.nowrap { (local_time(at, zone)) } }
}

/// Free text (an audit detail, a group name) whose hyphenated words stay whole: a line breaks
/// between words, never inside `pejabat-dpmptsp-3273`.
fn words(text: &str) -> Markup {
    html! {
        @for (i, word) in text.split(' ').enumerate() {
            @if i > 0 { " " }
            @if word.contains('-') { span.nowrap { (word) } } @else { (word) }
        }
    }
}
