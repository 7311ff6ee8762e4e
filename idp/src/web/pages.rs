//! HTML pages, escaped by maud. One layout; no inline script or style (the CSP forbids them):
//! the one script, `gerbang.js`, only adds show-password buttons.

use maud::{html, Markup, DOCTYPE};

use super::factor_pages::PasskeyForm;
use super::i18n::{problem, t, Lang, Text};
use crate::account::captcha::picture;
use crate::account::registration::{Field, FieldError, IdentityKind, Problem, RegistrationForm};
use crate::flows::passkey::Challenge;
use crate::personal::countries;
use crate::store::{Identity, Timestamp, User};
use gerbang_config::{Helpdesk, TimeZone, Ui};

/// A page before it is laid out: its language, title and body. [`Page::render`] puts every
/// page in the one layout, with the operator's branding (`[ui]`).
pub struct Page {
    lang: Lang,
    title: String,
    body: Markup,
}

pub(super) fn layout(lang: Lang, title: &str, body: Markup) -> Page {
    Page {
        lang,
        title: title.to_string(),
        body,
    }
}

impl Page {
    /// The page as the provider serves it, its assets on its own origin.
    pub fn render(self, ui: &Ui) -> String {
        self.render_from(ui, "")
    }

    /// The page with its stylesheets, script and pictures fetched from `origin` (empty: the
    /// page's own); the gateway's pages, served on an app's host, name the provider.
    pub fn render_from(self, ui: &Ui, origin: &str) -> String {
        let lang = self.lang;
        let asset = |path: &str| format!("{origin}/static/{path}");
        html! {
            (DOCTYPE)
            html lang=(lang.code()) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (self.title) " · " (ui.product_name) }
                    link rel="stylesheet" href=(asset("gerbang.css"));
                    @if ui.primary_color.is_some() { link rel="stylesheet" href=(asset("theme.css")); }
                    @if ui.favicon.is_some() { link rel="icon" href=(asset("favicon")); }
                    script src=(asset("gerbang.js")) defer
                        data-show=(t(lang, Text::ShowPassword)) data-hide=(t(lang, Text::HidePassword)) {}
                }
                body {
                    header.brand {
                        @if ui.logo.is_some() {
                            img src=(asset("logo")) alt=(ui.product_name);
                        } @else {
                            span { (ui.product_name) }
                        }
                    }
                    main { (self.body) }
                    @if ui.terms_url.is_some() || ui.privacy_url.is_some() {
                        footer {
                            @if let Some(url) = &ui.terms_url { a href=(url) { (t(lang, Text::TermsName)) } }
                            @if ui.terms_url.is_some() && ui.privacy_url.is_some() { " · " }
                            @if let Some(url) = &ui.privacy_url { a href=(url) { (t(lang, Text::Privacy)) } }
                        }
                    }
                }
            }
        }
        .into_string()
    }
}

pub fn helpdesk(lang: Lang, desk: &Helpdesk) -> Markup {
    html! {
        aside.helpdesk {
            p { (t(lang, Text::Helpdesk)) }
            @if let Some(text) = &desk.text { p { (text.get(lang.code())) } }
            ul {
                @for phone in &desk.phones { li { a href={ "tel:" (phone) } { (phone) } } }
                @for email in &desk.emails { li { a href={ "mailto:" (email) } { (email) } } }
            }
        }
    }
}

/// The captcha of a form: its picture with "Ganti gambar" beside it, the audio alternative,
/// the answer field with its help and error. The answer is never shown again. `submit` is the
/// form's own button's label.
fn captcha(lang: Lang, token: &str, error: Option<&str>, submit: Text) -> Markup {
    let described = if error.is_some() {
        "captcha-help captcha-error"
    } else {
        "captcha-help"
    };
    html! {
        label for="captcha" { (t(lang, Text::Captcha)) }
        img.captcha src={ "/captcha/" (token) "/image" } alt=(t(lang, Text::CaptchaHelp))
            width=(picture::WIDTH) height=(picture::HEIGHT);
        (captcha_refresh(lang, submit))
        // Played here, fetched only when played (recordings are counted per address).
        p.captcha-links id="captcha-audio-label" { (t(lang, Text::CaptchaAudio)) }
        audio.captcha-audio controls preload="none" src={ "/captcha/" (token) "/audio" }
            aria-labelledby="captcha-audio-label" {
            a href={ "/captcha/" (token) "/audio" } { (t(lang, Text::CaptchaAudio)) }
        }
        input id="captcha" name="captcha" type="text" autocomplete="off" autocapitalize="characters"
            placeholder=(t(lang, Text::CaptchaPlaceholder))
            aria-invalid=[error.map(|_| "true")] aria-describedby=(described);
        p.help id="captcha-help" { (t(lang, Text::CaptchaHelp)) }
        @if let Some(e) = error { p.field-error id="captcha-error" { (e) } }
    }
}

/// Beside the picture: another picture. It posts the form back, so what was typed stays, and
/// needs no script. Enter in a field submits a form through its first submit button, so one
/// that does what the form's own button does comes first: not shown, not focusable, hidden
/// from assistive technology (the visible button below is the one people use).
fn captcha_refresh(lang: Lang, submit: Text) -> Markup {
    html! {
        input.visually-hidden type="submit" value=(t(lang, submit)) tabindex="-1" aria-hidden="true";
        p.captcha-links {
            button.link type="submit" name="refresh" value="captcha" formnovalidate { (t(lang, Text::CaptchaRefresh)) }
        }
    }
}

/// What the login form shows again after a failed attempt (never the password).
pub struct LoginForm<'a> {
    pub request_id: &'a str,
    pub username: &'a str,
    pub captcha_token: &'a str,
    pub error: Option<Text>,
    /// The app the login is for: a route's title or a client's name.
    pub app: Option<&'a str>,
    /// "Masuk dengan passkey", where passkeys are offered.
    pub passkey: Option<&'a Challenge>,
    /// The other identity providers one may log in with.
    pub federated: &'a [super::federation_pages::ProviderButton],
}

pub fn login(lang: Lang, form: &LoginForm<'_>, desk: &Helpdesk) -> Page {
    let heading = match form.app {
        Some(app) => format!("{} {app}", t(lang, Text::LogInTo)),
        None => t(lang, Text::LoginTitle).to_string(),
    };
    let other = match lang {
        Lang::Id => Lang::En,
        Lang::En => Lang::Id,
    };
    let body = html! {
        h1 { (heading) }
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
            (captcha(lang, form.captcha_token, None, Text::LoginButton))
            button type="submit" { (t(lang, Text::LoginButton)) }
        }
        @if let Some(challenge) = form.passkey {
            (super::factor_pages::passkey_form(lang, &PasskeyForm {
                id: "passkey-login",
                action: "/login/passkey",
                create: false,
                challenge,
                fields: &[("request", form.request_id)],
                button: Text::PasskeyLogin,
            }, html! { p.or { (t(lang, Text::PasskeyLoginOr)) } }))
        }
        (super::federation_pages::buttons(lang, form.federated, form.request_id))
        p.links {
            // Registration keeps the app's login, to come back to it.
            a href={ "/register" @if !form.request_id.is_empty() { "?request=" (form.request_id) } } { (t(lang, Text::Register)) }
            " · "
            a href={ "/forgot-password" @if !form.request_id.is_empty() { "?request=" (form.request_id) } } { (t(lang, Text::ForgotPassword)) }
        }
        @if form.error.is_some() { (helpdesk(lang, desk)) }
    };
    layout(lang, t(lang, Text::LoginTitle), body)
}

pub fn error(lang: Lang, message: Text, desk: &Helpdesk) -> Page {
    let body = html! {
        h1 { (t(lang, Text::ErrorTitle)) }
        p { (t(lang, message)) }
        (helpdesk(lang, desk))
    };
    layout(lang, t(lang, Text::ErrorTitle), body)
}

/// A page that does not exist.
pub fn not_found(lang: Lang, desk: &Helpdesk) -> Page {
    let body = html! {
        h1 { (t(lang, Text::NotFoundTitle)) }
        p { (t(lang, Text::NotFound)) }
        p.links { a href="/" { (t(lang, Text::HomeTitle)) } " · " a href="/login" { (t(lang, Text::LoginTitle)) } }
        (helpdesk(lang, desk))
    };
    layout(lang, t(lang, Text::NotFoundTitle), body)
}

/// An app on the home page.
pub struct App {
    pub title: String,
    pub url: String,
}

/// A device's session as the home page lists it: the provider session of one browser, with
/// the apps it logged in to.
pub struct DeviceSession {
    pub id_hash: String,
    pub device: Option<String>,
    pub logged_in: Timestamp,
    pub last_active: Timestamp,
    pub apps: Vec<String>,
    /// The session viewing the page.
    pub current: bool,
}

/// A group the user is in, as the home page lists it.
pub struct HeldGroup {
    pub title: String,
    /// When the membership ends, if it does.
    pub until: Option<Timestamp>,
}

/// A second factor as Beranda lists it.
pub struct FactorView {
    pub id: String,
    /// What the user called it; the kind's name when they gave none.
    pub name: String,
    /// The kind's name ("Passkey", "Aplikasi autentikator").
    pub kind: &'static str,
    pub added: Timestamp,
    pub last_used: Option<Timestamp>,
}

/// What the home page shows.
pub struct HomeView<'a> {
    pub user: &'a User,
    /// The identity document number, masked.
    pub document: String,
    /// The apps the user may open.
    pub apps: Vec<App>,
    pub groups: Vec<HeldGroup>,
    pub factors: Vec<FactorView>,
    pub recovery_left: usize,
    /// Whether passkeys can be made here (allowed, and the issuer's host is a domain name).
    pub passkeys: bool,
    /// Whether authenticator apps may be set up (`[mfa] factors`).
    pub authenticator_apps: bool,
    /// Live sessions, the most recently active first.
    pub sessions: Vec<DeviceSession>,
    pub zone: TimeZone,
    /// A session was just ended from this page.
    pub ended: bool,
    /// The person holds a console role: Beranda links to it.
    pub console: bool,
    /// Every configured identity provider, linked or not.
    pub links: Vec<super::federation_pages::LinkLine>,
    /// A link was just added or removed from this page.
    pub link_notice: Option<Text>,
}

/// A time as people in `zone` read it: "05-12-2026 14:07 WIB".
pub(super) fn local_time(t: Timestamp, zone: TimeZone) -> String {
    let local = chrono::DateTime::from_timestamp(t as i64, 0)
        .zip(chrono::FixedOffset::east_opt(zone.offset_secs()))
        .map(|(utc, offset)| utc.with_timezone(&offset));
    match local {
        Some(time) => format!("{} {}", time.format("%d-%m-%Y %H:%M"), zone.label()),
        None => String::new(),
    }
}

/// One device's session: what it is, when, which apps, and a button that ends it.
/// A browser's session as a list item, with `end`: the form that ends it (the person's own on
/// Beranda, an operator's in the console).
pub(super) fn device_session(lang: Lang, s: &DeviceSession, zone: TimeZone, end: Markup) -> Markup {
    html! {
        li.session.current[s.current] {
            p.device {
                strong { (s.device.as_deref().unwrap_or(t(lang, Text::UnknownDevice))) }
                @if s.current { " · " (t(lang, Text::ThisDevice)) }
            }
            dl.facts {
                dt { (t(lang, Text::SignedInAt)) } dd { (local_time(s.logged_in, zone)) }
                dt { (t(lang, Text::LastActive)) } dd { (local_time(s.last_active, zone)) }
                dt { (t(lang, Text::AppsUsed)) }
                dd {
                    @if s.apps.is_empty() { (t(lang, Text::NoAppsYet)) }
                    @else { (s.apps.join(", ")) }
                }
            }
            (end)
        }
    }
}

/// Beranda's button that ends one of the person's own sessions.
fn end_own_session(lang: Lang, s: &DeviceSession) -> Markup {
    html! {
        form method="post" action="/account/sessions/end" {
            input type="hidden" name="ui_locales" value=(lang.code());
            input type="hidden" name="session" value=(s.id_hash);
            button.secondary type="submit" { (t(lang, Text::EndSession)) }
        }
    }
}

/// "Beranda" (guide Gambar 6).
/// Beranda's two-step verification: the factors, the recovery codes left, the way to add one.
fn second_factors(lang: Lang, view: &HomeView<'_>) -> Markup {
    html! {
        section aria-labelledby="second-factor" {
            h2 id="second-factor" { (t(lang, Text::SecondFactorTitle)) }
            @if view.factors.is_empty() {
                p { (t(lang, Text::SecondFactorOff)) }
                p.links {
                    @if view.passkeys { a href="/account/passkeys/new" { (t(lang, Text::PasskeyAdd)) } }
                    @if view.passkeys && view.authenticator_apps { " · " }
                    @if view.authenticator_apps { a href="/account/second-factor" { (t(lang, Text::SecondFactorAdd)) } }
                }
            } @else {
                ul.factors {
                    @for f in &view.factors {
                        li {
                            strong { (f.name) }
                            @if f.name != f.kind { " · " (f.kind) }
                            br;
                            (t(lang, Text::FactorAddedOn)) " " (local_time(f.added, view.zone))
                            @if let Some(used) = f.last_used {
                                ", " (t(lang, Text::FactorLastUsed)) " " (local_time(used, view.zone))
                            }
                            br;
                            a href={ "/account/second-factor/remove?factor=" (f.id) }
                                aria-label={ (t(lang, Text::RemoveFactor)) " " (f.name) } {
                                (t(lang, Text::RemoveFactor))
                            }
                        }
                    }
                }
                p { (t(lang, Text::RecoveryLeft)) " " strong { (view.recovery_left) } }
                p.links {
                    @if view.passkeys { a href="/account/passkeys/new" { (t(lang, Text::PasskeyAdd)) } " · " }
                    @if view.authenticator_apps { a href="/account/second-factor" { (t(lang, Text::SecondFactorAddAnother)) } " · " }
                    a href="/account/recovery-codes" { (t(lang, Text::RenewCodes)) }
                }
            }
        }
    }
}

pub fn home(lang: Lang, view: &HomeView<'_>, desk: &Helpdesk) -> Page {
    let user = view.user;
    let (document_label, document_kind) = match &user.identity {
        Identity::Ktp { .. } => (Text::Nik, Text::Ktp),
        Identity::Passport { .. } => (Text::PassportNumber, Text::Passport),
    };
    let body = html! {
        h1 { (t(lang, Text::HomeTitle)) }
        (language_switch(lang, "/"))
        p { (t(lang, Text::LoggedInAs)) " " strong { (user.username) } }
        section aria-labelledby="profile" {
            h2 id="profile" { (t(lang, Text::Profile)) }
            dl.profile {
                dt { (t(lang, Text::IdentityType)) } dd { (t(lang, document_kind)) }
                dt { (t(lang, document_label)) } dd { (view.document) }
                dt { (t(lang, Text::Email)) } dd { (user.email) }
                dt { (t(lang, Text::Phone)) } dd { (user.phone) }
            }
        }
        section aria-labelledby="apps" {
            h2 id="apps" { (t(lang, Text::Apps)) }
            ul.apps {
                @for app in &view.apps { li { a href=(app.url) { (app.title) } } }
            }
        }
        @if !view.groups.is_empty() {
            section aria-labelledby="groups" {
                h2 id="groups" { (t(lang, Text::YourGroups)) }
                ul.groups {
                    @for g in &view.groups {
                        li {
                            strong { (g.title) }
                            br;
                            @match g.until {
                                Some(until) => { (t(lang, Text::GroupUntil)) " " (local_time(until, view.zone)) }
                                None => { (t(lang, Text::GroupNoEnd)) }
                            }
                        }
                    }
                }
            }
        }
        (second_factors(lang, view))
        (super::federation_pages::linked_accounts(lang, &view.links, view.zone, view.link_notice))
        section aria-labelledby="sessions" {
            h2 id="sessions" { (t(lang, Text::Sessions)) }
            @if view.ended { p.notice role="status" { (t(lang, Text::SessionEnded)) } }
            ul.sessions {
                @for s in &view.sessions { (device_session(lang, s, view.zone, end_own_session(lang, s))) }
            }
            p.links {
                a href="/account/password" { (t(lang, Text::ChangePassword)) }
                " · "
                a href="/account/contact" { (t(lang, Text::ChangeContact)) }
                @if view.console { " · " a href="/admin" { (t(lang, Text::ConsoleTitle)) } }
            }
            form method="post" action="/logout/everywhere" {
                input type="hidden" name="ui_locales" value=(lang.code());
                button type="submit" { (t(lang, Text::LogOutEverywhere)) }
            }
        }
        (helpdesk(lang, desk))
    };
    layout(lang, t(lang, Text::HomeTitle), body)
}

/// Asks before logging out: the form posts the same parameters back.
pub fn logout_confirm(lang: Lang, params: &[(String, String)]) -> Page {
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

/// After a logout: the way back in, and back to the app the user came from (its name and
/// registered post-logout address) when it is known.
pub fn logged_out(lang: Lang, back: Option<&(String, String)>) -> Page {
    let body = html! {
        h1 { (t(lang, Text::LogoutTitle)) }
        p { (t(lang, Text::LoggedOut)) }
        p.links {
            a href="/login" { (t(lang, Text::LogInAgain)) }
            @if let Some((address, app)) = back {
                " · " a href=(address) { (t(lang, Text::BackTo)) " " (app) }
            }
        }
    };
    layout(lang, t(lang, Text::LogoutTitle), body)
}

/// A client the user may not log in to (they are in none of its required groups): why, whom
/// to ask, and the way back to the client, which learns `access_denied`.
pub fn client_refused(
    lang: Lang,
    username: &str,
    client_name: &str,
    back: &str,
    desk: &Helpdesk,
) -> Page {
    let body = html! {
        h1 { (t(lang, Text::AccessDeniedTitle)) }
        p {
            (t(lang, Text::LoggedInAs)) " " strong { (username) }
            (t(lang, Text::NoAccessTo)) " " strong { (client_name) } "."
        }
        p { (t(lang, Text::AskForAccess)) }
        p.links { a href=(back) { (t(lang, Text::BackTo)) " " (client_name) } }
        (helpdesk(lang, desk))
    };
    layout(lang, t(lang, Text::AccessDeniedTitle), body)
}

/// What a person reads for a scope on the consent page: the data it releases.
fn scope_text(scope: &str) -> Option<Text> {
    Some(match scope {
        "openid" => Text::ScopeOpenid,
        "profile" => Text::ScopeProfile,
        "email" => Text::ScopeEmail,
        "phone" => Text::ScopePhone,
        "offline_access" => Text::ScopeOfflineAccess,
        "identity_document" => Text::ScopeIdentityDocument,
        "groups" => Text::ScopeGroups,
        _ => return None,
    })
}

/// Asks `username` to let a client that is not first-party have `scopes`, each said as the
/// data it releases.
pub fn consent(
    lang: Lang,
    client_name: &str,
    username: &str,
    scopes: &[String],
    sealed_request: &str,
) -> Page {
    let body = html! {
        h1 { (t(lang, Text::ConsentTitle)) }
        p { strong { (client_name) } " " (t(lang, Text::ConsentQuestion)) }
        ul {
            @for scope in scopes {
                li { (scope_text(scope).map_or(scope.as_str(), |text| t(lang, text))) }
            }
        }
        p { (t(lang, Text::ConsentAs)) " " strong { (username) } "." }
        form method="post" action="/consent" {
            input type="hidden" name="request" value=(sealed_request);
            input type="hidden" name="ui_locales" value=(lang.code());
            button type="submit" name="decision" value="allow" { (t(lang, Text::Allow)) }
            button.secondary type="submit" name="decision" value="deny" { (t(lang, Text::Deny)) }
        }
    };
    layout(lang, t(lang, Text::ConsentTitle), body)
}

/// The other language of the two, for the switch on every page.
fn other(lang: Lang) -> Lang {
    match lang {
        Lang::Id => Lang::En,
        Lang::En => Lang::Id,
    }
}

/// A link to the same page in the other language.
fn language_switch(lang: Lang, path: &str) -> Markup {
    let other = other(lang);
    let joiner = if path.contains('?') { '&' } else { '?' };
    html! {
        p.lang { a href={ (path) (joiner) "ui_locales=" (other.code()) } lang=(other.code()) { (t(lang, Text::SwitchLanguage)) } }
    }
}

/// What the registration form shows again: the values typed (never the captcha answer) and
/// the error of each field.
pub struct RegisterForm<'a> {
    pub values: &'a RegistrationForm,
    pub errors: &'a [FieldError],
    pub captcha_token: &'a str,
    /// The sealed authorization request of the app's login the person came from (or empty).
    pub request: &'a str,
    /// That app's name.
    pub app: Option<&'a str>,
    /// When the form continues a login at an upstream provider that matched no account: its
    /// title, and the fields it vouched for (read-only). No captcha: its login was the test.
    pub upstream: Option<(&'a str, &'a [Field])>,
}

impl RegisterForm<'_> {
    fn error(&self, field: Field) -> Option<Problem> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.problem)
    }

    /// The provider that vouched for `field`, when one did: it is shown read-only.
    fn fixed_by(&self, field: Field) -> Option<&str> {
        self.upstream
            .filter(|(_, fixed)| fixed.contains(&field))
            .map(|(provider, _)| provider)
    }
}

/// How the form shows a field: its label, input type, hint and autocomplete token.
fn presentation(which: Field) -> (Text, &'static str, Option<Text>, &'static str) {
    match which {
        Field::Nik => (Text::Nik, "text", None, "off"),
        Field::PassportNumber => (Text::PassportNumber, "text", None, "off"),
        Field::PassportIssued => (Text::PassportIssued, "text", Some(Text::DateHint), "off"),
        Field::PassportExpires => (Text::PassportExpires, "text", Some(Text::DateHint), "off"),
        Field::PassportOffice => (Text::PassportOffice, "text", None, "off"),
        Field::BirthPlace => (Text::BirthPlace, "text", None, "off"),
        Field::BirthDate => (Text::BirthDate, "text", Some(Text::DateHint), "bday"),
        Field::Phone => (Text::Phone, "tel", Some(Text::PhoneHint), "tel-national"),
        Field::Email => (Text::Email, "email", None, "email"),
        Field::Country => (Text::CountryOfOrigin, "text", None, "country"),
        Field::PassportCountry => (Text::PassportCountry, "text", None, "off"),
        Field::Nationality => (Text::Nationality, "text", None, "off"),
        Field::Sex => (Text::Sex, "text", None, "sex"),
        Field::Terms => (Text::TermsName, "checkbox", None, "off"),
        Field::Captcha => (Text::Captcha, "text", None, "off"),
    }
}

/// The registration's fields in the order the form shows them.
const FORM_ORDER: [Field; 15] = [
    Field::Nik,
    Field::PassportNumber,
    Field::PassportCountry,
    Field::PassportIssued,
    Field::PassportExpires,
    Field::PassportOffice,
    Field::Sex,
    Field::Nationality,
    Field::BirthPlace,
    Field::Country,
    Field::BirthDate,
    Field::Phone,
    Field::Email,
    Field::Captcha,
    Field::Terms,
];

/// The app a form is on the way to ("Untuk Perizinan Berusaha"), when it is known.
fn for_app(lang: Lang, app: Option<&str>) -> Markup {
    html! {
        @if let Some(app) = app { p.for-app { (t(lang, Text::ForApp)) " " strong { (app) } } }
    }
}

/// After a refused post: what is wrong, at the top, each problem a link to its field (the
/// GOV.UK error summary). It takes the focus as the page loads, so a screen reader reads it
/// first and a keyboard user goes from it straight to the field.
fn error_summary(lang: Lang, errors: &[FieldError]) -> Markup {
    let mut listed: Vec<&FieldError> = errors.iter().collect();
    listed.sort_by_key(|e| FORM_ORDER.iter().position(|f| *f == e.field));
    html! {
        @if !listed.is_empty() {
            div.error-summary id="error-summary" role="alert" tabindex="-1" autofocus
                aria-labelledby="error-summary-title" {
                h2 id="error-summary-title" { (t(lang, Text::FormHasErrors)) }
                ul {
                    @for e in listed {
                        @let target = match e.field { Field::Sex => "sex-male", f => f.name() };
                        li { a href={ "#" (target) } {
                            @if e.field != Field::Terms { (t(lang, presentation(e.field).0)) ": " }
                            (problem(lang, e.problem))
                        } }
                    }
                }
            }
        }
    }
}

/// A labelled input with its error beside it, announced to screen readers.
fn field(lang: Lang, form: &RegisterForm<'_>, which: Field, value: &str) -> Markup {
    let (label, kind, hint, autocomplete) = presentation(which);
    let name = which.name();
    let error = form.error(which);
    let fixed_by = form.fixed_by(which);
    let hint = if fixed_by.is_some() { None } else { hint };
    let (hint_id, fixed_id, error_id) = (
        format!("{name}-hint"),
        format!("{name}-fixed"),
        format!("{name}-error"),
    );
    let described: Vec<&str> = hint
        .map(|_| hint_id.as_str())
        .into_iter()
        .chain(fixed_by.map(|_| fixed_id.as_str()))
        .chain(error.map(|_| error_id.as_str()))
        .collect();
    html! {
        label for=(name) { (t(lang, label)) }
        @if let Some(h) = hint { p.help id=(hint_id) { (t(lang, h)) } }
        @if let Some(provider) = fixed_by { (fixed_note(lang, &fixed_id, provider)) }
        input id=(name) name=(name) type=(kind) value=(value) autocomplete=(autocomplete)
            readonly[fixed_by.is_some()]
            aria-invalid=[error.map(|_| "true")]
            aria-describedby=[(!described.is_empty()).then(|| described.join(" "))];
        @if let Some(p) = error { p.field-error id=(error_id) { (problem(lang, p)) } }
    }
}

/// Beside a field an upstream provider vouched for: where its value comes from.
fn fixed_note(lang: Lang, id: &str, provider: &str) -> Markup {
    html! { p.help.fixed id=(id) { (t(lang, Text::FixedByProvider)) " " strong { (provider) } } }
}

/// A country list; `dialling` shows each country's code, as the guide's "(+62) - Indonesia".
fn country_select(
    lang: Lang,
    form: &RegisterForm<'_>,
    which: Field,
    selected: &str,
    dialling: bool,
) -> Markup {
    let (label, ..) = presentation(which);
    let name = which.name();
    let error = form.error(which);
    let error_id = format!("{name}-error");
    if let Some(provider) = form.fixed_by(which) {
        // A select cannot be read-only: the country's name in a read-only field (the server
        // puts the provider's value back whatever is posted).
        let country = countries::all(lang)
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(selected));
        let shown = country.map_or_else(String::new, |c| match c.dialling_code {
            Some(code) if dialling => format!("(+{code}) - {}", c.name),
            _ => c.name.to_string(),
        });
        let fixed_id = format!("{name}-fixed");
        return html! {
            label for=(name) { (t(lang, label)) }
            (fixed_note(lang, &fixed_id, provider))
            input id=(name) type="text" value=(shown) readonly aria-describedby=(fixed_id);
            input type="hidden" name=(name) value=(selected);
        };
    }
    html! {
        label for=(name) { (t(lang, label)) }
        select id=(name) name=(name) aria-invalid=[error.map(|_| "true")]
            aria-describedby=[error.map(|_| error_id.as_str())] {
            @if !dialling { option value="" { "—" } }
            @for c in countries::all(lang) {
                @if !dialling || c.dialling_code.is_some() {
                    option value=(c.code) selected[c.code.eq_ignore_ascii_case(selected)] {
                        @if dialling { "(+" (c.dialling_code.unwrap_or(0)) ") - " }
                        (c.name)
                    }
                }
            }
        }
        @if let Some(p) = error { p.field-error id=(error_id) { (problem(lang, p)) } }
    }
}

/// "Daftar" (guide Gambar 1 and 2): the identity type switches between the two tables.
pub fn register(lang: Lang, form: &RegisterForm<'_>, ui: &Ui) -> Page {
    let v = form.values;
    let captcha_error = form.error(Field::Captcha);
    let country = if v.country.is_empty() {
        "ID"
    } else {
        v.country.as_str()
    };
    let action = if form.upstream.is_some() {
        "/federation/register"
    } else {
        "/register"
    };
    let body = html! {
        h1 { (t(lang, Text::RegisterTitle)) }
        (for_app(lang, form.app))
        @if let Some((provider, _)) = form.upstream {
            p.notice role="status" { (t(lang, Text::RegisterFromProvider)) " " strong { (provider) } ". " (t(lang, Text::RegisterFromProviderRest)) }
        }
        (language_switch(lang, action))
        (error_summary(lang, form.errors))
        form method="post" action=(action) novalidate {
            input type="hidden" name="ui_locales" value=(lang.code());
            input type="hidden" name="request" value=(form.request);
            @if form.upstream.is_none() { input type="hidden" name="captcha_token" value=(form.captcha_token); }
            (identity_fields(lang, form))
            (country_select(lang, form, Field::Country, country, true))
            (field(lang, form, Field::BirthDate, &v.birth_date))
            (field(lang, form, Field::Phone, &v.phone))
            (field(lang, form, Field::Email, &v.email))
            @if form.upstream.is_none() {
                (captcha(lang, form.captcha_token, captcha_error.map(|p| problem(lang, p)), Text::Submit))
            }
            (terms(lang, form, ui))
            button type="submit" { (t(lang, Text::Submit)) }
        }
        p.links { a href="/login" { (t(lang, Text::LoginTitle)) } }
    };
    layout(lang, t(lang, Text::RegisterTitle), body)
}

/// The identity type and the fields of the KTP's and the passport's tables. An upstream that
/// vouched for a NIK fixes the type: no choice, no passport table; one that vouched for a
/// passport, the other way round.
fn identity_fields(lang: Lang, form: &RegisterForm<'_>) -> Markup {
    let v = form.values;
    let passport = v.kind() == IdentityKind::Passport;
    let nik_fixed = form.fixed_by(Field::Nik).is_some();
    let passport_fixed = form.fixed_by(Field::PassportNumber).is_some();
    html! {
        @if nik_fixed {
            input type="hidden" name="identity_type" value="ktp";
        } @else if passport_fixed {
            input type="hidden" name="identity_type" value="passport";
        } @else {
            label for="identity_type" { (t(lang, Text::IdentityType)) }
            select id="identity_type" name="identity_type" {
                option value="ktp" selected[!passport] { (t(lang, Text::Ktp)) }
                option value="passport" selected[passport] { (t(lang, Text::Passport)) }
            }
        }
        @if !passport_fixed { div.ktp-only {
            (field(lang, form, Field::Nik, &v.nik))
        } }
        @if !nik_fixed { div.passport-only {
            (field(lang, form, Field::PassportNumber, &v.passport_number))
            (country_select(lang, form, Field::PassportCountry, &v.passport_country, false))
            (field(lang, form, Field::PassportIssued, &v.passport_issued))
            (field(lang, form, Field::PassportExpires, &v.passport_expires))
            (field(lang, form, Field::PassportOffice, &v.passport_office))
            fieldset.choice aria-describedby=[form.error(Field::Sex).map(|_| "sex-error")] {
                legend { (t(lang, Text::Sex)) }
                input type="radio" id="sex-male" name="sex" value="male" checked[v.sex == "male"];
                label for="sex-male" { (t(lang, Text::Male)) }
                input type="radio" id="sex-female" name="sex" value="female" checked[v.sex == "female"];
                label for="sex-female" { (t(lang, Text::Female)) }
                @if let Some(p) = form.error(Field::Sex) { p.field-error id="sex-error" { (problem(lang, p)) } }
            }
            (country_select(lang, form, Field::Nationality, &v.nationality, false))
            (field(lang, form, Field::BirthPlace, &v.birth_place))
        } }
    }
}

/// The terms box, with a link to the terms where the deployment has them.
fn terms(lang: Lang, form: &RegisterForm<'_>, ui: &Ui) -> Markup {
    let terms_error = form.error(Field::Terms);
    html! {
        label.terms for="terms" {
            input type="checkbox" id="terms" name="terms" value="on" checked[form.values.terms.is_some()]
                aria-invalid=[terms_error.map(|_| "true")]
                aria-describedby=[terms_error.map(|_| "terms-error")];
            span {
                (t(lang, Text::TermsAccept)) " "
                @if let Some(url) = &ui.terms_url {
                    // A new tab, so that what was typed here stays.
                    a href=(url) target="_blank" rel="noopener" {
                        (t(lang, Text::TermsName)) " " span.visually-hidden { (t(lang, Text::OpensInNewTab)) }
                    }
                } @else {
                    (t(lang, Text::TermsName))
                }
                " " (t(lang, Text::TermsOfUse)) " " (ui.product_name)
            }
        }
        @if let Some(p) = terms_error { p.field-error id="terms-error" { (problem(lang, p)) } }
    }
}

/// A page that says one thing and offers the next step, with the helpdesk block.
pub fn notice(
    lang: Lang,
    title: Text,
    message: Text,
    next: Option<(&str, Text)>,
    desk: &Helpdesk,
) -> Page {
    mail_sent(lang, (title, message), None, next, desk)
}

/// A notice that a mail went out, naming the address it went to (when it is one the user typed
/// as an e-mail address), so a typing mistake shows at once.
pub fn mail_sent(
    lang: Lang,
    (title, message): (Text, Text),
    sent_to: Option<&str>,
    next: Option<(&str, Text)>,
    desk: &Helpdesk,
) -> Page {
    let body = html! {
        h1 { (t(lang, title)) }
        div.notice role="status" {
            p { (t(lang, message)) }
            @if let Some(address) = sent_to { p { (t(lang, Text::SentTo)) " " strong { (address) } } }
        }
        @if let Some((href, label)) = next { p.links { a href=(href) { (t(lang, label)) } } }
        (helpdesk(lang, desk))
    };
    layout(lang, t(lang, title), body)
}

/// An e-mail link that cannot be followed any more: the problem first, in the error style, then
/// where to go next.
pub fn link_gone(lang: Lang, links: &[(&str, Text)], desk: &Helpdesk) -> Page {
    let body = html! {
        h1 { (t(lang, Text::LinkInvalidTitle)) }
        p.problem role="alert" { (t(lang, Text::LinkInvalid)) }
        p.links {
            @for (i, (href, label)) in links.iter().enumerate() {
                @if i > 0 { " · " }
                a href=(href) { (t(lang, *label)) }
            }
        }
        (helpdesk(lang, desk))
    };
    layout(lang, t(lang, Text::LinkInvalidTitle), body)
}

/// The page an e-mail link opens (activation, a new address): one button that posts the link's
/// token, so that mail scanners following links do not spend it.
pub fn confirm_link(
    lang: Lang,
    title: Text,
    question: Text,
    button: Text,
    action: &str,
    token: &str,
) -> Page {
    let body = html! {
        h1 { (t(lang, title)) }
        p { (t(lang, question)) }
        form method="post" action=(action) {
            input type="hidden" name="token" value=(token);
            input type="hidden" name="ui_locales" value=(lang.code());
            button type="submit" { (t(lang, button)) }
        }
    };
    layout(lang, t(lang, title), body)
}

/// The current password, asked again before a change to the account.
pub(super) fn current_password(lang: Lang, error: Option<Text>) -> Markup {
    html! {
        label for="current" { (t(lang, Text::CurrentPassword)) }
        input id="current" name="current" type="password" autocomplete="current-password"
            aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "current-error")];
        @if let Some(e) = error { p.field-error id="current-error" { (t(lang, e)) } }
    }
}

/// "Ganti password" for a logged-in user.
pub fn change_password(lang: Lang, error: Option<Text>) -> Page {
    let wrong_current = error.filter(|e| *e == Text::WrongPassword);
    let other = error.filter(|e| *e != Text::WrongPassword);
    let body = html! {
        h1 { (t(lang, Text::ChangePassword)) }
        @if let Some(e) = other { p.error role="alert" id="password-error" { (t(lang, e)) } }
        form method="post" action="/account/password" {
            input type="hidden" name="ui_locales" value=(lang.code());
            (current_password(lang, wrong_current))
            label for="password" { (t(lang, Text::NewPassword)) }
            input id="password" name="password" type="password" autocomplete="new-password"
                aria-invalid=[other.map(|_| "true")] aria-describedby=[other.map(|_| "password-error")];
            label for="confirm" { (t(lang, Text::ConfirmPassword)) }
            input id="confirm" name="confirm" type="password" autocomplete="new-password";
            button type="submit" { (t(lang, Text::SaveButton)) }
        }
        p.links { a href="/" { (t(lang, Text::HomeTitle)) } }
    };
    layout(lang, t(lang, Text::ChangePassword), body)
}

/// What the contact form shows: the registration form's own fields (e-mail, country, phone)
/// and their errors, and the re-authentication.
pub struct ContactForm<'a> {
    pub fields: RegisterForm<'a>,
    pub password_error: Option<Text>,
}

/// "Ubah e-mail/telepon" for a logged-in user.
pub fn change_contact(lang: Lang, form: &ContactForm<'_>) -> Page {
    let v = form.fields.values;
    let body = html! {
        h1 { (t(lang, Text::ChangeContact)) }
        form method="post" action="/account/contact" novalidate {
            input type="hidden" name="ui_locales" value=(lang.code());
            (field(lang, &form.fields, Field::Email, &v.email))
            (country_select(lang, &form.fields, Field::Country, &v.country, true))
            (field(lang, &form.fields, Field::Phone, &v.phone))
            (current_password(lang, form.password_error))
            button type="submit" { (t(lang, Text::SaveButton)) }
        }
        p.links { a href="/" { (t(lang, Text::HomeTitle)) } }
    };
    layout(lang, t(lang, Text::ChangeContact), body)
}

/// A form that asks for an e-mail address (or user name) and a captcha: a new activation link,
/// "Lupa Password?".
pub struct AddressForm<'a> {
    pub title: Text,
    pub intro: Text,
    pub action: &'a str,
    pub label: Text,
    /// Only an e-mail address will do (a user name too otherwise).
    pub email_only: bool,
    pub value: &'a str,
    pub captcha_token: &'a str,
    pub error: Option<Problem>,
    /// The sealed authorization request of the app's login the person came from (or empty).
    pub request: &'a str,
    /// That app's name.
    pub app: Option<&'a str>,
}

pub fn address_form(lang: Lang, form: &AddressForm<'_>) -> Page {
    let error = form.error;
    let body = html! {
        h1 { (t(lang, form.title)) }
        (for_app(lang, form.app))
        (language_switch(lang, form.action))
        p { (t(lang, form.intro)) }
        form method="post" action=(form.action) novalidate {
            input type="hidden" name="ui_locales" value=(lang.code());
            input type="hidden" name="request" value=(form.request);
            input type="hidden" name="captcha_token" value=(form.captcha_token);
            label for="email" { (t(lang, form.label)) }
            input id="email" name="email" type=(if form.email_only { "email" } else { "text" })
                autocomplete=(if form.email_only { "email" } else { "username" }) value=(form.value);
            (captcha(lang, form.captcha_token, error.map(|p| problem(lang, p)), Text::Submit))
            button type="submit" { (t(lang, Text::Submit)) }
        }
        p.links { a href="/login" { (t(lang, Text::BackToLogin)) } }
    };
    layout(lang, t(lang, form.title), body)
}

/// A new-password form: the forced change of a temporary password (`/password/new`, with a
/// ticket) or a reset (`/password/reset`, with the link's token).
pub struct NewPasswordForm<'a> {
    pub action: &'a str,
    /// The hidden field that carries the authority to set it: (`ticket` or `token`, value).
    pub authority: (&'a str, &'a str),
    pub intro: Text,
    pub error: Option<Text>,
}

pub fn new_password(lang: Lang, form: &NewPasswordForm<'_>) -> Page {
    let error = form.error;
    let body = html! {
        h1 { (t(lang, Text::NewPasswordTitle)) }
        p { (t(lang, form.intro)) }
        @if let Some(e) = error { p.error role="alert" id="password-error" { (t(lang, e)) } }
        form method="post" action=(form.action) {
            input type="hidden" name=(form.authority.0) value=(form.authority.1);
            input type="hidden" name="ui_locales" value=(lang.code());
            label for="password" { (t(lang, Text::NewPassword)) }
            input id="password" name="password" type="password" autocomplete="new-password"
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| "password-error")];
            label for="confirm" { (t(lang, Text::ConfirmPassword)) }
            input id="confirm" name="confirm" type="password" autocomplete="new-password";
            button type="submit" { (t(lang, Text::SaveButton)) }
        }
    };
    layout(lang, t(lang, Text::NewPasswordTitle), body)
}
