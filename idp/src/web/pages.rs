//! HTML pages, escaped by maud. One layout; no inline script or style (the CSP forbids them).

use maud::{html, Markup, DOCTYPE};

use super::i18n::{t, Lang, Text};
use gerbang_config::Helpdesk;

pub fn layout(lang: Lang, title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Gerbang" }
                link rel="stylesheet" href="/static/gerbang.css";
            }
            body {
                main { (body) }
            }
        }
    }
    .into_string()
}

pub fn helpdesk(lang: Lang, desk: &Helpdesk) -> Markup {
    html! {
        aside.helpdesk {
            p { (t(lang, Text::Helpdesk)) }
            @if let Some(text) = &desk.text { p { (text) } }
            ul {
                @for phone in &desk.phones { li { a href={ "tel:" (phone) } { (phone) } } }
                @for email in &desk.emails { li { a href={ "mailto:" (email) } { (email) } } }
            }
        }
    }
}

/// What the login form shows again after a failed attempt (never the password).
pub struct LoginForm<'a> {
    pub request_id: &'a str,
    pub username: &'a str,
    pub captcha_token: &'a str,
    pub error: Option<Text>,
}

pub fn login(lang: Lang, form: &LoginForm<'_>, desk: &Helpdesk) -> String {
    let other = match lang {
        Lang::Id => Lang::En,
        Lang::En => Lang::Id,
    };
    let body = html! {
        h1 { (t(lang, Text::LoginTitle)) }
        p.lang { a href={ "?request=" (form.request_id) "&ui_locales=" (other.code()) } lang=(other.code()) { (t(lang, Text::SwitchLanguage)) } }
        @if let Some(error) = form.error {
            p.error role="alert" id="form-error" { (t(lang, error)) }
        }
        form method="post" action="/login" {
            input type="hidden" name="request" value=(form.request_id);
            input type="hidden" name="captcha_token" value=(form.captcha_token);
            input type="hidden" name="ui_locales" value=(lang.code());
            label for="username" { (t(lang, Text::Username)) }
            input id="username" name="username" type="text" autocomplete="username" required value=(form.username)
                aria-describedby=[form.error.map(|_| "form-error")];
            label for="password" { (t(lang, Text::Password)) }
            input id="password" name="password" type="password" autocomplete="current-password" required;
            label for="captcha" { (t(lang, Text::Captcha)) }
            img.captcha src={ "/captcha/" (form.captcha_token) "/image" } alt=(t(lang, Text::CaptchaHelp)) width="240" height="80";
            p.captcha-links {
                a href={ "/captcha/" (form.captcha_token) "/audio" } { (t(lang, Text::CaptchaAudio)) }
                " · "
                a href={ "/login?request=" (form.request_id) "&ui_locales=" (lang.code()) } { (t(lang, Text::CaptchaRefresh)) }
            }
            input id="captcha" name="captcha" type="text" autocomplete="off" required aria-describedby="captcha-help";
            p.help id="captcha-help" { (t(lang, Text::CaptchaHelp)) }
            button type="submit" { (t(lang, Text::LoginButton)) }
        }
        p.links {
            a href="/register" { (t(lang, Text::Register)) }
            " · "
            a href="/forgot-password" { (t(lang, Text::ForgotPassword)) }
        }
        @if form.error.is_some() { (helpdesk(lang, desk)) }
    };
    layout(lang, t(lang, Text::LoginTitle), body)
}

pub fn error(lang: Lang, message: Text, desk: &Helpdesk) -> String {
    let body = html! {
        h1 { (t(lang, Text::ErrorTitle)) }
        p { (t(lang, message)) }
        (helpdesk(lang, desk))
    };
    layout(lang, t(lang, Text::ErrorTitle), body)
}

pub fn logged_in(lang: Lang, username: &str) -> String {
    let body = html! {
        h1 { "Gerbang" }
        p { (t(lang, Text::LoggedInAs)) " " strong { (username) } }
    };
    layout(lang, "Gerbang", body)
}

/// Asks before logging out: the form posts the same parameters back.
pub fn logout_confirm(lang: Lang, params: &[(String, String)]) -> String {
    let body = html! {
        h1 { (t(lang, Text::LogoutTitle)) }
        p { (t(lang, Text::LogoutQuestion)) }
        form method="post" action="/logout" {
            input type="hidden" name="confirm" value="yes";
            @for (name, value) in params {
                input type="hidden" name=(name) value=(value);
            }
            button type="submit" { (t(lang, Text::LogoutTitle)) }
        }
    };
    layout(lang, t(lang, Text::LogoutTitle), body)
}

pub fn logged_out(lang: Lang) -> String {
    let body = html! {
        h1 { (t(lang, Text::LogoutTitle)) }
        p { (t(lang, Text::LoggedOut)) }
    };
    layout(lang, t(lang, Text::LogoutTitle), body)
}

/// Asks the user to let a client that is not first-party have `scopes`.
pub fn consent(lang: Lang, client_name: &str, scopes: &[String], sealed_request: &str) -> String {
    let body = html! {
        h1 { (t(lang, Text::ConsentTitle)) }
        p { strong { (client_name) } " " (t(lang, Text::ConsentQuestion)) }
        ul { @for scope in scopes { li { (scope) } } }
        form method="post" action="/consent" {
            input type="hidden" name="request" value=(sealed_request);
            input type="hidden" name="ui_locales" value=(lang.code());
            button type="submit" name="decision" value="allow" { (t(lang, Text::Allow)) }
            button type="submit" name="decision" value="deny" { (t(lang, Text::Deny)) }
        }
    };
    layout(lang, t(lang, Text::ConsentTitle), body)
}
