//! The pages of two-step verification: setting up an authenticator app (the QR code drawn on
//! the server as SVG, so the page needs no script) and the recovery codes, shown once.

use maud::{html, Markup, PreEscaped};

use super::i18n::{t, Lang, Text};
use super::pages::{layout, Page};
use crate::flows::passkey::Challenge;
use crate::flows::second_step::Choices;
use crate::store::SecondFactor;

/// A factor's kind as people read it: "Passkey", "Aplikasi autentikator".
pub fn kind_name(lang: Lang, factor: &SecondFactor) -> &'static str {
    match factor.kind.passkey() {
        Some(_) => t(lang, Text::PasskeyKind),
        None => t(lang, Text::AuthenticatorApp),
    }
}

/// What a factor goes by: the name its owner gave, or its kind.
pub fn factor_name(lang: Lang, factor: &SecondFactor) -> &str {
    match factor.name.as_str() {
        "" => kind_name(lang, factor),
        name => name,
    }
}

/// What the set-up page shows.
pub struct EnrolForm<'a> {
    /// The sealed enrolment the form carries back.
    pub token: &'a str,
    /// The `otpauth://` URI the QR code holds.
    pub key_uri: &'a str,
    /// The key as people type it, in groups of four.
    pub typed_key: &'a str,
    /// The device name as typed.
    pub name: &'a str,
    /// The sealed authorization request the set-up continues ("" for none).
    pub request: &'a str,
    pub why: EnrolWhy,
    pub error: Option<Text>,
}

/// Why the set-up page is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolWhy {
    /// The person chose to, from Beranda.
    Chosen,
    /// The app they are opening asks for two factors.
    AppAsks,
    /// The `[mfa]` policy requires it: by this time (as people read it), or now.
    Required { until: Option<String> },
}

/// "Aktifkan aplikasi autentikator": three steps, the code confirms the app before it counts.
pub fn enrol(lang: Lang, form: &EnrolForm<'_>) -> Page {
    let code_error = form
        .error
        .filter(|e| matches!(e, Text::WrongOneTimeCode | Text::EnrolmentExpired));
    let name_error = form.error.filter(|e| *e == Text::FactorNameTooLong);
    let body = html! {
        h1 { (t(lang, Text::SecondFactorAdd)) }
        @match &form.why {
            EnrolWhy::Chosen => {}
            EnrolWhy::AppAsks => { p.notice role="status" { (t(lang, Text::StepUpEnrolIntro)) } }
            EnrolWhy::Required { until: Some(until) } => {
                p.notice role="status" { (t(lang, Text::RequiredEnrolIntro)) " " (t(lang, Text::RequiredEnrolUntil)) " " strong { (until) } "." }
            }
            EnrolWhy::Required { until: None } => {
                p.warning role="status" { (t(lang, Text::RequiredEnrolIntro)) " " (t(lang, Text::RequiredEnrolNow)) }
            }
        }
        ol.steps {
            li { (t(lang, Text::EnrolStepApp)) }
            li {
                (t(lang, Text::EnrolStepScan))
                figure.qr {
                    div role="img" aria-label=(t(lang, Text::QrLabel)) { (qr_svg(form.key_uri)) }
                    figcaption {
                        (t(lang, Text::SetupKey)) ": "
                        code.key translate="no" { (form.typed_key) }
                    }
                }
            }
            li { (t(lang, Text::EnrolStepCode)) }
        }
        form method="post" action="/account/second-factor" novalidate {
            input type="hidden" name="ui_locales" value=(lang.code());
            input type="hidden" name="enrolment" value=(form.token);
            @if !form.request.is_empty() { input type="hidden" name="request" value=(form.request); }
            @if let Some(e) = code_error { p.error role="alert" id="code-error" { (t(lang, e)) } }
            label for="code" { (t(lang, Text::OneTimeCode)) }
            input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
                maxlength="9" required aria-invalid=[code_error.map(|_| "true")]
                aria-describedby=[code_error.map(|_| "code-error")];
            label for="name" { (t(lang, Text::FactorName)) }
            @if let Some(e) = name_error { p.error role="alert" id="name-error" { (t(lang, e)) } }
            input id="name" name="name" type="text" value=(form.name) maxlength="120"
                placeholder=(t(lang, Text::FactorNameHint)) aria-invalid=[name_error.map(|_| "true")]
                aria-describedby=[name_error.map(|_| "name-error")];
            button type="submit" { (t(lang, Text::EnrolButton)) }
        }
        @if let EnrolWhy::Required { until: Some(_) } = form.why {
            form method="post" action="/account/second-factor/later" {
                input type="hidden" name="ui_locales" value=(lang.code());
                @if !form.request.is_empty() { input type="hidden" name="request" value=(form.request); }
                button.secondary type="submit" { (t(lang, Text::EnrolLater)) }
            }
        } @else {
            p.links { a href="/" { (t(lang, Text::HomeTitle)) } }
        }
    };
    layout(lang, t(lang, Text::SecondFactorAdd), body)
}

/// The recovery codes, once, right after they were made (`made` says why: an app was set up,
/// or a new set asked for); then on to Beranda, or to the app whose request (`sealed`, "" for
/// none) asked for two factors.
pub fn recovery_codes(lang: Lang, codes: &[String], made: Text, sealed: &str) -> Page {
    let body = html! {
        h1 { (t(lang, Text::RecoveryTitle)) }
        p.notice role="status" { (t(lang, made)) }
        p { (t(lang, Text::RecoveryIntro)) }
        ol.codes translate="no" {
            @for code in codes { li { code { (code) } } }
        }
        p.warning { strong { (t(lang, Text::RecoveryOnce)) } }
        @if sealed.is_empty() {
            p.links { a href="/" { (t(lang, Text::HomeTitle)) } }
        } @else {
            form method="post" action="/authorize/resume" {
                input type="hidden" name="ui_locales" value=(lang.code());
                input type="hidden" name="request" value=(sealed);
                button type="submit" { (t(lang, Text::ContinueToApp)) }
            }
        }
    };
    layout(lang, t(lang, Text::RecoveryTitle), body)
}

/// A change to two-step verification that the password confirms: removing an app (`factor`,
/// its id and name) or making a new set of recovery codes (`None`).
pub struct ConfirmChange<'a> {
    pub factor: Option<(&'a str, &'a str)>,
    /// Removing the last app turns two-step verification off: said before.
    pub last: bool,
    pub error: Option<Text>,
}

pub fn confirm_change(lang: Lang, change: &ConfirmChange<'_>) -> Page {
    let (title, action, button) = match change.factor {
        Some(_) => (
            Text::RemoveFactorTitle,
            "/account/second-factor/remove",
            Text::RemoveFactor,
        ),
        None => (
            Text::RenewCodes,
            "/account/recovery-codes",
            Text::RenewCodes,
        ),
    };
    let body = html! {
        h1 { (t(lang, title)) }
        @if let Some((_, name)) = change.factor {
            p { (t(lang, Text::RemoveFactorIntro)) " " strong { (name) } }
            @if change.last { p.warning { (t(lang, Text::RemoveLastFactor)) } }
        } @else {
            p { (t(lang, Text::RenewCodesIntro)) }
        }
        form method="post" action=(action) {
            input type="hidden" name="ui_locales" value=(lang.code());
            @if let Some((id, _)) = change.factor { input type="hidden" name="factor" value=(id); }
            (super::pages::current_password(lang, change.error))
            button type="submit" { (t(lang, button)) }
        }
        p.links { a href="/#second-factor" { (t(lang, Text::HomeTitle)) } }
    };
    layout(lang, t(lang, title), body)
}

/// The login's second step: a passkey where the user has one, and one field that takes an
/// authenticator app's code or a recovery code (always offered).
pub fn second_step(lang: Lang, ticket: &str, choices: &Choices, error: Option<Text>) -> Page {
    let (label, help) = match choices.app {
        true => (Text::SecondStepCode, Text::SecondStepRecoveryHelp),
        false => (
            Text::SecondStepRecoveryCode,
            Text::SecondStepRecoveryOnlyHelp,
        ),
    };
    let body = html! {
        h1 { (t(lang, Text::SecondFactorTitle)) }
        @if let Some(e) = error { p.error role="alert" id="code-error" { (t(lang, e)) } }
        @if let Some(challenge) = &choices.passkey {
            p { (t(lang, Text::SecondStepPasskeyIntro)) }
            (passkey_form(lang, &PasskeyForm {
                id: "passkey-step",
                action: "/login/second-factor",
                create: false,
                challenge,
                fields: &[("ticket", ticket)],
                button: Text::PasskeyUse,
            }, html! {}))
            @if choices.codes { h2 { (t(lang, Text::SecondStepOther)) } }
        }
        @if choices.codes && choices.app { p { (t(lang, Text::SecondStepIntro)) } }
        @if choices.codes { form method="post" action="/login/second-factor" novalidate {
            input type="hidden" name="ui_locales" value=(lang.code());
            input type="hidden" name="ticket" value=(ticket);
            label for="code" { (t(lang, label)) }
            input id="code" name="code" type="text" autocomplete="one-time-code"
                autofocus[choices.passkey.is_none()]
                autocapitalize="none" spellcheck="false" maxlength="20" required
                aria-invalid=[error.map(|_| "true")]
                aria-describedby={ "code-help" @if error.is_some() { " code-error" } };
            p.help id="code-help" { (t(lang, help)) }
            button type="submit" { (t(lang, Text::VerifyButton)) }
        } }
        p.links { a href="/login" { (t(lang, Text::BackToLogin)) } }
    };
    layout(lang, t(lang, Text::SecondFactorTitle), body)
}

/// A form that proves or creates a passkey: hidden until `passkey.js` shows it (it needs
/// WebAuthn), whose button asks the browser and sends the answer with the form.
pub struct PasskeyForm<'a> {
    /// The form's element id.
    pub id: &'a str,
    pub action: &'a str,
    /// A new passkey (`navigator.credentials.create`), or one of the site's (`get`).
    pub create: bool,
    pub challenge: &'a Challenge,
    /// Hidden fields the form carries back beside the ceremony's ticket and the answer.
    pub fields: &'a [(&'a str, &'a str)],
    pub button: Text,
}

/// The passkey form, with `inner` (its visible fields) above its button.
pub fn passkey_form(lang: Lang, form: &PasskeyForm<'_>, inner: Markup) -> Markup {
    html! {
        form.passkey id=(form.id) method="post" action=(form.action) hidden
            data-passkey=(if form.create { "create" } else { "get" })
            data-options=(form.challenge.options) data-failed=(t(lang, Text::PasskeyFailed)) {
            input type="hidden" name="ui_locales" value=(lang.code());
            input type="hidden" name="passkey" value=(form.challenge.ticket);
            input type="hidden" name="credential" value="";
            @for (name, value) in form.fields {
                @if !value.is_empty() { input type="hidden" name=(name) value=(value); }
            }
            (inner)
            button type="submit" { (t(lang, form.button)) }
            p.passkey-status role="alert" {}
        }
        script src="/static/passkey.js" defer {}
    }
}

/// "Buat passkey": what a passkey is, a name for it, and the button (the page needs script:
/// it says so where there is none); the way to an authenticator app instead where `apps` are
/// allowed.
pub fn passkey_enrol(
    lang: Lang,
    challenge: &Challenge,
    (name, request): (&str, &str),
    (error, apps): (Option<Text>, bool),
) -> Page {
    let name_error = error.filter(|e| *e == Text::FactorNameTooLong);
    let form_error = error.filter(|e| *e != Text::FactorNameTooLong);
    let fields = html! {
        label for="name" { (t(lang, Text::PasskeyName)) }
        @if let Some(e) = name_error { p.error role="alert" id="name-error" { (t(lang, e)) } }
        input id="name" name="name" type="text" value=(name) maxlength="120"
            placeholder=(t(lang, Text::PasskeyNameHint)) aria-invalid=[name_error.map(|_| "true")]
            aria-describedby=[name_error.map(|_| "name-error")];
    };
    let body = html! {
        h1 { (t(lang, Text::PasskeyAdd)) }
        p { (t(lang, Text::PasskeyIntro)) }
        @if let Some(e) = form_error { p.error role="alert" { (t(lang, e)) } }
        noscript { p.notice { (t(lang, match apps {
            true => Text::PasskeyNeedsScript,
            false => Text::PasskeyNeedsScriptOnly,
        })) } }
        (passkey_form(lang, &PasskeyForm {
            id: "passkey-new",
            action: "/account/passkeys",
            create: true,
            challenge,
            fields: &[("request", request)],
            button: Text::PasskeyCreate,
        }, fields))
        p.links {
            @if apps { a href="/account/second-factor" { (t(lang, Text::SecondFactorAdd)) } " · " }
            a href="/#second-factor" { (t(lang, Text::HomeTitle)) }
        }
    };
    layout(lang, t(lang, Text::PasskeyAdd), body)
}

/// The QR code of `text` as inline SVG (error correction M, a four-module quiet zone): the
/// page needs no image request and no script.
fn qr_svg(text: &str) -> Markup {
    use qrcode::render::svg;
    let Ok(code) = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M) else {
        return html! {};
    };
    let drawn = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .quiet_zone(true)
        .build();
    // The renderer starts with an XML declaration, which has no place inside HTML.
    let start = drawn.find("<svg").unwrap_or(0);
    PreEscaped(drawn[start..].to_string())
}
