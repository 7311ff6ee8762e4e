//! The administration console's pages (issue 20): the search, its results, an account. No
//! script; every search is a POST (no NIK in an address); documents masked in results, and on
//! an account's page unless the role needs them (each such view audited).

use gerbang_config::TimeZone;
use maud::{html, Markup};

use super::factor_pages::{factor_name, kind_name};
use super::i18n::{t, Lang, Text};
use super::pages::{layout, local_time, Page};
use crate::roles::Rights;
use crate::store::{AuditEvent, Membership, SecondFactor, Timestamp, User, UserStatus};

/// The most results one search shows.
pub const RESULTS_SHOWN: usize = 50;

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

fn search_form(lang: Lang, typed: &str) -> Markup {
    html! {
        form method="post" action="/admin/search" role="search" {
            input type="hidden" name="ui_locales" value=(lang.code());
            label for="q" { (t(lang, Text::ConsoleSearchLabel)) }
            input id="q" name="q" type="search" value=(typed) required autocomplete="off"
                autocapitalize="none" spellcheck="false" maxlength="120";
            button type="submit" { (t(lang, Text::ConsoleSearchButton)) }
        }
    }
}

/// The console's first page, and the search's answer: `results` when a search was made.
pub fn search(
    lang: Lang,
    rights: &Rights,
    typed: &str,
    results: Option<&[AccountLine<'_>]>,
) -> Page {
    let body = html! {
        h1 { (t(lang, Text::ConsoleTitle)) }
        (roles(lang, rights))
        h2 { (t(lang, Text::ConsoleSearch)) }
        (search_form(lang, typed))
        @if let Some(results) = results {
            section aria-labelledby="results" {
                h2 id="results" { (t(lang, Text::ConsoleResults)) }
                @if results.is_empty() {
                    p role="status" { (t(lang, Text::ConsoleNoResults)) }
                } @else {
                    ul.accounts {
                        @for line in results.iter().take(RESULTS_SHOWN) {
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
                    @if results.len() > RESULTS_SHOWN { p.notice { (t(lang, Text::ConsoleMoreResults)) } }
                }
            }
        }
        p.links { a href="/" { (t(lang, Text::HomeTitle)) } }
    };
    layout(lang, t(lang, Text::ConsoleTitle), body)
}

/// What an account's page shows.
pub struct AccountView<'a> {
    pub line: AccountLine<'a>,
    /// The groups the operator may grant and revoke here.
    pub grantable: &'a [String],
    /// The actions the operator may take on the account (see [`AccountAction`]).
    pub actions: &'a [AccountAction],
    /// The last action was done (the notice after it).
    pub done: bool,
    pub sessions: usize,
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
            dt { (t(lang, Text::Sessions)) } dd { (view.sessions) }
        }
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
                                input type="hidden" name="ui_locales" value=(lang.code());
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
                        input type="hidden" name="ui_locales" value=(lang.code());
                        input type="hidden" name="action" value=(a.name());
                        button.secondary type="submit" { (t(lang, a.label())) }
                    }
                }
            }
        }
        @if !view.grantable.is_empty() {
            section aria-labelledby="grant" {
                h2 id="grant" { (t(lang, Text::ConsoleGrant)) }
                form method="post" action=(action("grant")) {
                    input type="hidden" name="ui_locales" value=(lang.code());
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

/// What the helpdesk (or an administrator) does to an account from its page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    EndSessions,
    ResetSecondFactors,
}

impl AccountAction {
    pub const ALL: [AccountAction; 2] = [
        AccountAction::EndSessions,
        AccountAction::ResetSecondFactors,
    ];

    /// As the form names it.
    pub fn name(self) -> &'static str {
        match self {
            AccountAction::EndSessions => "end-sessions",
            AccountAction::ResetSecondFactors => "reset-second-factors",
        }
    }

    pub fn named(name: &str) -> Option<AccountAction> {
        AccountAction::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn label(self) -> Text {
        match self {
            AccountAction::EndSessions => Text::ActionEndSessions,
            AccountAction::ResetSecondFactors => Text::ActionResetFactors,
        }
    }
}

/// An action about to be done, as the confirmation page states it: what, to whom; the form
/// posts the same fields back with the reason and `confirm=yes`.
pub struct Confirm<'a> {
    pub title: Text,
    pub summary: String,
    pub action: String,
    pub fields: Vec<(&'a str, &'a str)>,
    /// Where "Batal" leads.
    pub back: String,
    pub error: Option<Text>,
}

/// "Konfirmasi tindakan": the action in words, a reason (required, audited), and the button;
/// with `error`, what is wrong and no button where nothing can be done.
pub fn confirm(lang: Lang, c: &Confirm<'_>) -> Page {
    let reason_missing = c.error == Some(Text::ConsoleReasonMissing);
    let body = html! {
        h1 { (t(lang, Text::ConsoleConfirmTitle)) }
        p { strong { (t(lang, c.title)) } ": " (words(&c.summary)) }
        @if let Some(e) = c.error.filter(|_| !reason_missing) {
            p.error role="alert" { (t(lang, e)) }
        } @else {
            form method="post" action=(c.action) {
                input type="hidden" name="ui_locales" value=(lang.code());
                input type="hidden" name="confirm" value="yes";
                @for (name, value) in &c.fields { input type="hidden" name=(name) value=(value); }
                label for="reason" { (t(lang, Text::ConsoleReason)) }
                @if reason_missing { p.error role="alert" id="reason-error" { (t(lang, Text::ConsoleReasonMissing)) } }
                input id="reason" name="reason" type="text" required maxlength="200"
                    aria-invalid=[reason_missing.then_some("true")]
                    aria-describedby=[reason_missing.then_some("reason-error")];
                button type="submit" { (t(lang, Text::ConsoleConfirm)) }
            }
        }
        p.links { a href=(c.back) { (t(lang, Text::ConsoleCancel)) } }
    };
    layout(lang, t(lang, Text::ConsoleConfirmTitle), body)
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
