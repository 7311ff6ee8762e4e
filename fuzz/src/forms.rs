//! The provider's forms, decoded as its handlers decode them (`application/x-www-form-urlencoded`
//! into a map or the registration form). An authorization request is sent back only to a
//! redirect URI its client registered, and public clients must use PKCE; the pages that show
//! a form again keep what was typed and escape it: whatever was typed, the page has the same
//! tags and attributes as with harmless text in its place.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use chrono::NaiveDate;
use gerbang_config::{Config, Helpdesk, Ui};
use gerbang_idp::account::registration::{self, RegistrationForm};
use gerbang_idp::protocol::authorize::{self, AuthorizeError};
use gerbang_idp::protocol::client::Registry;
use gerbang_idp::protocol::client_assertion;
use gerbang_idp::web::pages::{self, LoginForm, RegisterForm};
use gerbang_idp::web::Lang;

/// A confidential client and a public one, as a configuration file declares them.
const CLIENTS: &str = r#"
[server]
http = "127.0.0.1:8080"

[provider]
issuer = "https://login.example"

[[route]]
name = "app"
host = "app.example"
upstreams = ["127.0.0.1:9001"]
policy = "authenticated"

[[client]]
id = "rp"
secret = "rp-secret-0123456789abcdef"
redirect_uris = ["https://rp.example/cb"]

[[client]]
id = "spa"
redirect_uris = ["https://spa.example/cb?x=1"]
"#;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let base = Path::new("/nonexistent");
        let config = Config::parse(CLIENTS, &base.join("clients.toml"), base, &|_| None)
            .expect("the clients' configuration");
        Registry::new(&config.clients, "gw".into(), &[], String::new())
    })
}

/// The input is a form body.
pub fn check(data: &[u8]) {
    if let Ok(params) = serde_urlencoded::from_bytes::<HashMap<String, String>>(data) {
        check_authorize(&params);
        check_login_page(&params);
        if let Some(assertion) = params.get("client_assertion") {
            let _ = client_assertion::claimed_client(assertion);
        }
    }
    if let Ok(form) = serde_urlencoded::from_bytes::<RegistrationForm>(data) {
        check_register_page(&form);
    }
}

fn check_authorize(params: &HashMap<String, String>) {
    let registry = registry();
    let client = params.get("client_id").and_then(|id| registry.get(id));
    match authorize::validate(params, registry) {
        Ok(request) => {
            let client = client.expect("a request of a registered client");
            assert_eq!(request.client_id, client.id);
            assert!(registry.redirect_uri_allowed(&client, &request.redirect_uri));
            if client.is_public() {
                assert!(
                    request.code_challenge.is_some(),
                    "a public client without PKCE"
                );
            }
            let url = authorize::response_url(
                &request.redirect_uri,
                "https://login.example",
                Ok("code"),
                request.state.as_deref(),
            );
            assert!(url.starts_with(request.redirect_uri.split('?').next().unwrap_or("")));
        }
        Err(AuthorizeError::Redirect { redirect_uri, .. }) => {
            let client = client.expect("an error redirect of a registered client");
            assert!(
                registry.redirect_uri_allowed(&client, &redirect_uri),
                "an error sent to an unregistered URI: {redirect_uri:?}"
            );
        }
        Err(AuthorizeError::Page(_)) => {}
    }
}

/// `text` with nothing that HTML could read as markup.
fn harmless(text: &str) -> String {
    text.replace(['<', '>', '"', '\'', '&'], "x")
}

/// The markup of a page: its tags and quoted attributes. Text a person typed adds none.
fn markup(html: &str) -> (usize, usize) {
    (html.matches('<').count(), html.matches('"').count())
}

fn check_login_page(params: &HashMap<String, String>) {
    let typed = params.get("username").map_or("", String::as_str);
    let render = |username: &str| {
        let form = LoginForm {
            request_id: "r",
            username,
            captcha_token: "t",
            error: None,
            app: params.get("app").map(String::as_str),
            passkey: None,
            federated: &[],
        };
        pages::login(Lang::Id, &form, &Helpdesk::default()).render(&Ui::default())
    };
    let app = params.get("app").map_or("", String::as_str);
    let shown = render(typed);
    assert_eq!(
        markup(&shown),
        markup(&render(&harmless(typed))),
        "typed text became markup: {typed:?} (app {app:?})"
    );
    assert!(
        shown.contains(&escaped(typed)),
        "the user name was not kept"
    );
}

fn escaped(text: &str) -> String {
    maud::html! { (text) }.into_string()
}

fn check_register_page(typed: &RegistrationForm) {
    let today = NaiveDate::from_ymd_opt(2026, 12, 6).expect("a date");
    let errors = registration::validate(typed, today)
        .err()
        .unwrap_or_default();
    let render = |values: &RegistrationForm| {
        let form = RegisterForm {
            values,
            errors: &errors,
            captcha_token: "t",
            request: "",
            app: None,
            upstream: None,
        };
        pages::register(Lang::Id, &form, &Ui::default()).render(&Ui::default())
    };
    let plain = RegistrationForm {
        nik: harmless(&typed.nik),
        birth_date: harmless(&typed.birth_date),
        phone: harmless(&typed.phone),
        email: harmless(&typed.email),
        passport_number: harmless(&typed.passport_number),
        passport_issued: harmless(&typed.passport_issued),
        passport_expires: harmless(&typed.passport_expires),
        passport_office: harmless(&typed.passport_office),
        birth_place: harmless(&typed.birth_place),
        identity_type: harmless(&typed.identity_type),
        country: harmless(&typed.country),
        passport_country: harmless(&typed.passport_country),
        sex: harmless(&typed.sex),
        nationality: harmless(&typed.nationality),
        terms: typed.terms.as_deref().map(harmless),
    };
    let shown = render(typed);
    assert_eq!(
        markup(&shown),
        markup(&render(&plain)),
        "typed text became markup: {typed:?}"
    );
    assert!(
        shown.contains(&escaped(&typed.email)),
        "the e-mail was not kept"
    );
}
