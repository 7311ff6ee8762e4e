//! The pages the gateway answers itself on an app's host: its errors, a login that could not
//! finish, the logout question. They are the provider's layout and words, with their assets
//! and links on the provider's origin, in the language the browser asks for.

use gerbang_config::{Config, Helpdesk, Localized, Ui};
use maud::html;

use super::i18n::{t, Lang, Text};
use super::pages::{helpdesk, layout, Page};

/// What the gateway answers with a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayPage {
    /// The route's rules refuse this request: who is logged in (none on a public route) and
    /// the app.
    Forbidden {
        username: Option<String>,
        app: Localized,
    },
    /// An error with this HTTP status.
    Error(u16),
    /// The return from the provider came too late, twice or forged: start again.
    LoginExpired,
    /// "Log out of every application?", posting to `action`.
    LogoutConfirm { action: &'static str },
}

/// The gateway's pages for one configuration (`[ui]`, `[helpdesk]`, the issuer).
pub struct GatewayPages {
    ui: Ui,
    desk: Helpdesk,
    /// The issuer without a trailing `/`: where the assets and the home page are.
    provider: String,
    csp: String,
}

impl GatewayPages {
    pub fn new(config: &Config) -> Self {
        let issuer = &config.provider.issuer;
        let origin = issuer.origin().ascii_serialization();
        Self {
            ui: config.ui.clone(),
            desk: config.helpdesk.clone(),
            provider: issuer.as_str().trim_end_matches('/').to_string(),
            // Styles, pictures and the one script come from the provider; nothing inline.
            csp: format!(
                "default-src 'none'; style-src {origin}; img-src {origin}; script-src {origin}; \
                 base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
            ),
        }
    }

    /// The `Content-Security-Policy` of these pages (and of the gateway's other answers).
    pub fn csp(&self) -> &str {
        &self.csp
    }

    /// The page in `lang`; an error names `request_id`, the code the helpdesk asks for.
    pub fn render(&self, page: &GatewayPage, lang: Lang, request_id: &str) -> String {
        let page = match page {
            GatewayPage::Error(status) => self.error(lang, *status, request_id),
            GatewayPage::Forbidden { username, app } => {
                self.forbidden(lang, username.as_deref(), app.get(lang.code()), request_id)
            }
            GatewayPage::LoginExpired => {
                let body = html! {
                    h1 { (t(lang, Text::LoginFailedTitle)) }
                    p { (t(lang, Text::LoginExpired)) }
                    p.links { a href="/" { (t(lang, Text::TryAgain)) } }
                    (helpdesk(lang, &self.desk))
                };
                layout(lang, t(lang, Text::LoginFailedTitle), body)
            }
            GatewayPage::LogoutConfirm { action } => {
                let body = html! {
                    h1 { (t(lang, Text::LogoutTitle)) }
                    p { (t(lang, Text::LogoutQuestion)) }
                    form method="post" action=(action) {
                        button type="submit" { (t(lang, Text::LogoutTitle)) }
                    }
                };
                layout(lang, t(lang, Text::LogoutTitle), body)
            }
        };
        page.render_from(&self.ui, &self.provider)
    }

    /// "You are logged in as X, but you have no access to Y": whom to ask, the request code
    /// and the helpdesk.
    fn forbidden(&self, lang: Lang, username: Option<&str>, app: &str, request_id: &str) -> Page {
        let body = html! {
            h1 { (t(lang, Text::AccessDeniedTitle)) }
            @if let Some(username) = username {
                p {
                    (t(lang, Text::LoggedInAs)) " " strong { (username) }
                    (t(lang, Text::NoAccessTo)) " " strong { (app) } "."
                }
                p { (t(lang, Text::AskForAccess)) }
            } @else {
                p { strong { (app) } " " (t(lang, Text::NotFromHere)) }
            }
            (self.ending(lang, request_id))
        };
        layout(lang, t(lang, Text::AccessDeniedTitle), body)
    }

    /// The end of every error page: the way home, the request code and the helpdesk.
    fn ending(&self, lang: Lang, request_id: &str) -> maud::Markup {
        html! {
            p.links { a href={ (self.provider) "/" } { (t(lang, Text::HomeTitle)) } }
            p { (t(lang, Text::RequestCode)) ": " code { (request_id) } br; (t(lang, Text::RequestCodeHelp)) }
            (helpdesk(lang, &self.desk))
        }
    }

    fn error(&self, lang: Lang, status: u16, request_id: &str) -> Page {
        let (title, message) = match status {
            400 => (Text::ErrorTitle, Text::GatewayBadRequest),
            403 => (Text::ErrorTitle, Text::GatewayRefused),
            404 => (Text::NotFoundTitle, Text::NotFound),
            502 => (Text::ErrorTitle, Text::Unreachable),
            503 => (Text::ErrorTitle, Text::Busy),
            504 => (Text::ErrorTitle, Text::TimedOut),
            _ => (Text::ErrorTitle, Text::GatewayFailed),
        };
        let body = html! {
            h1 { (t(lang, title)) }
            p { (t(lang, message)) }
            (self.ending(lang, request_id))
        };
        layout(lang, t(lang, title), body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> GatewayPages {
        let source = "[server]\nhttp = \"127.0.0.1:8080\"\n\n[provider]\nissuer = \"https://sso.localhost:8443\"\n\n[ui]\nproduct_name = \"OSS\"\n";
        let env = |_: &str| None;
        let config = Config::parse(source, "t.toml".as_ref(), "/".as_ref(), &env).unwrap();
        GatewayPages::new(&config)
    }

    #[test]
    fn an_error_page_is_branded_localised_and_names_the_request() {
        let pages = pages();
        let id = pages.render(&GatewayPage::Error(502), Lang::Id, "abc123");
        assert!(
            id.contains("<title>Terjadi kesalahan · OSS</title>"),
            "{id}"
        );
        assert!(id.contains("tidak dapat dihubungi") && id.contains("abc123"));
        assert!(id.contains("lang=\"id\""));
        let en = pages.render(&GatewayPage::Error(404), Lang::En, "abc123");
        assert!(en.contains("Page not found") && en.contains("lang=\"en\""));
        let provider = pages.provider.clone();
        assert!(en.contains(&format!("href=\"{provider}/static/gerbang.css\"")));
        assert!(
            en.contains(&format!("href=\"{provider}/\"")),
            "the way home"
        );
    }

    #[test]
    fn the_policy_allows_the_provider_s_assets_and_nothing_inline() {
        let pages = pages();
        let origin = pages.provider.clone();
        assert!(pages.csp().contains(&format!("style-src {origin};")));
        assert!(!pages.csp().contains("unsafe-inline"));
    }
}
