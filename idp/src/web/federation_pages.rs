//! The pages of logging in with another identity provider: its buttons on the login page, the
//! page that asks for the OSS password once to link an account, what went wrong, and Beranda's
//! list of linked logins.

use gerbang_config::{Helpdesk, TimeZone};
use maud::{html, Markup};

use super::i18n::{t, Lang, Text};
use super::pages::{helpdesk, layout, local_time, Page};
use crate::federation::linking::MatchedBy;
use crate::store::Timestamp;

/// A configured identity provider as its button shows it.
pub struct ProviderButton {
    pub id: String,
    /// Its title in the page's language.
    pub title: String,
    pub logo: bool,
    /// Whether it answered when last asked: an unavailable one is shown, not offered.
    pub available: bool,
}

/// The login page's buttons, one per provider; each starts a login there that continues the
/// same authorization request.
pub fn buttons(lang: Lang, providers: &[ProviderButton], request: &str) -> Markup {
    html! {
        @if !providers.is_empty() {
            div.federated {
                p.or { (t(lang, Text::LoginOr)) }
                @for provider in providers {
                    @if provider.available {
                        a.federated-login
                            href={ "/federation/" (provider.id) "/start?ui_locales=" (lang.code())
                                   @if !request.is_empty() { "&request=" (request) } } {
                            (button_face(lang, provider))
                        }
                    } @else {
                        p.federated-login.unavailable {
                            (button_face(lang, provider))
                            span.why { (t(lang, Text::FederationButtonUnavailable)) }
                        }
                    }
                }
            }
        }
    }
}

fn button_face(lang: Lang, provider: &ProviderButton) -> Markup {
    html! {
        @if provider.logo {
            img src={ "/federation/" (provider.id) "/logo" } alt="" width="24" height="24";
        }
        span { (t(lang, Text::LogInWith)) " " (provider.title) }
    }
}

/// Why a login through another provider did not go through, and the ways on.
pub fn failed(lang: Lang, message: Text, request: &str, desk: &Helpdesk) -> Page {
    let query = match request.is_empty() {
        true => String::new(),
        false => format!("?request={request}"),
    };
    let body = html! {
        h1 { (t(lang, Text::FederationFailedTitle)) }
        p role="alert" { (t(lang, message)) }
        p.links {
            a href={ "/login" (query) } { (t(lang, Text::BackToLogin)) }
            @if message == Text::FederationNoAccount {
                " · " a href={ "/register" (query) } { (t(lang, Text::Register)) }
            }
        }
        (helpdesk(lang, desk))
    };
    layout(lang, t(lang, Text::FederationFailedTitle), body)
}

/// The account an upstream identity matched, waiting for its password.
pub struct LinkView<'a> {
    pub provider: &'a str,
    pub username: &'a str,
    pub by: MatchedBy,
    pub error: Option<Text>,
}

/// Asks for the matched account's password, once, to link the upstream identity to it.
pub fn link_account(lang: Lang, view: &LinkView<'_>, desk: &Helpdesk) -> Page {
    let why = match view.by {
        MatchedBy::Nik => Text::LinkByNik,
        MatchedBy::Passport => Text::LinkByPassport,
        MatchedBy::VerifiedEmail => Text::LinkByEmail,
    };
    let body = html! {
        h1 { (t(lang, Text::LinkTitle)) }
        p { (t(lang, why)) " " strong { (view.provider) } "." }
        @if let Some(error) = view.error {
            p.error role="alert" id="form-error" { (t(lang, error)) }
        }
        form method="post" action="/federation/link" {
            input type="hidden" name="ui_locales" value=(lang.code());
            label for="username" { (t(lang, Text::OssAccount)) }
            input id="username" type="text" autocomplete="username" readonly value=(view.username);
            label for="password" { (t(lang, Text::AccountPassword)) }
            input id="password" name="password" type="password" autocomplete="current-password" required
                aria-describedby=[view.error.map(|_| "form-error")];
            button type="submit" { (t(lang, Text::LinkButton)) }
        }
        p.links { a href="/login" { (t(lang, Text::BackToLogin)) } }
        @if view.error.is_some() { (helpdesk(lang, desk)) }
    };
    layout(lang, t(lang, Text::LinkTitle), body)
}

/// One configured provider on Beranda: linked since when, or not linked.
pub struct LinkLine {
    pub provider: String,
    pub title: String,
    pub linked_at: Option<Timestamp>,
}

/// Beranda's list of the logins with other services: each linked one with its date and a
/// button that removes it, each other one with a button that links it.
pub fn linked_accounts(
    lang: Lang,
    lines: &[LinkLine],
    zone: TimeZone,
    notice: Option<Text>,
) -> Markup {
    html! {
        @if !lines.is_empty() {
            section aria-labelledby="links" {
                h2 id="links" { (t(lang, Text::LinkedAccounts)) }
                @if let Some(notice) = notice { p.notice role="status" { (t(lang, notice)) } }
                ul.links-list {
                    @for line in lines {
                        li {
                            strong { (line.title) }
                            br;
                            @match line.linked_at {
                                Some(at) => { (t(lang, Text::LinkedSince)) " " (local_time(at, zone)) }
                                None => { (t(lang, Text::NotLinked)) }
                            }
                            (link_button(lang, line))
                        }
                    }
                }
            }
        }
    }
}

fn link_button(lang: Lang, line: &LinkLine) -> Markup {
    let (action, label) = match line.linked_at {
        Some(_) => ("/account/links/remove", Text::Unlink),
        None => ("/account/links/add", Text::LinkWith),
    };
    html! {
        form.inline method="post" action=(action) {
            input type="hidden" name="provider" value=(line.provider);
            input type="hidden" name="ui_locales" value=(lang.code());
            button.secondary type="submit" aria-label={ (t(lang, label)) " " (line.title) } { (t(lang, label)) }
        }
    }
}
