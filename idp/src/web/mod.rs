//! The provider's HTTP surface. Thin handlers: they parse, call protocol or account functions,
//! and render.

mod account;
mod address;
mod admin_api;
mod agent;
mod apps;
mod brand;
mod console;
mod console_pages;
mod console_reports;
mod cors;
mod device;
mod factor_pages;
mod federation;
mod federation_pages;
mod federation_register;
pub mod gateway_pages;
mod home;
mod i18n;
mod login;
mod logout;
mod oidc;
pub mod pages;
mod passkey;
mod password;
mod problem_details;
mod recovery;
mod register;
mod second_factor;

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};

use crate::account::login as limits;
use crate::clock::now;
use crate::provider::Provider;
use crate::store::{OneTimeKind, Session, Timestamp, User};
use i18n::Text;
pub use i18n::{problem, Lang};

/// The most a request body to the provider may hold.
pub const FORM_BODY_LIMIT: usize = 32 * 1024;

/// The provider's routes, served under the issuer's host.
pub fn router(provider: Arc<Provider>) -> Router {
    protocol_routes()
        .merge(login_routes())
        .merge(account_routes())
        .nest("/admin/api/v1", admin_api_routes())
        .route("/", get(home::page))
        .route("/captcha/{token}/{kind}", get(login::captcha_media))
        .route("/static/gerbang.css", get(stylesheet))
        .route("/static/gerbang.js", get(script))
        .route("/static/passkey.js", get(passkey_script))
        .route("/static/theme.css", get(brand::theme))
        .route("/static/logo", get(brand::logo))
        .route("/static/favicon", get(brand::favicon))
        .fallback(not_found)
        // The largest form (registration) is a few KiB: a bigger body is refused before it is
        // read, so no field can be megabytes long.
        .layer(axum::extract::DefaultBodyLimit::max(FORM_BODY_LIMIT))
        .layer(axum::middleware::from_fn(remember_language))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(provider)
}

/// OpenID Connect and OAuth: discovery, keys, authorization, tokens, consent, logout.
fn protocol_routes() -> Router<Arc<Provider>> {
    Router::new()
        .route("/.well-known/openid-configuration", get(oidc::discovery))
        .route("/jwks", get(oidc::jwks))
        .route(
            "/authorize",
            get(oidc::authorize_get).post(oidc::authorize_post),
        )
        .route("/authorize/resume", post(oidc::resume))
        .route("/consent", post(oidc::consent_answer))
        .route("/token", post(oidc::token).options(cors::preflight))
        .route("/introspect", post(oidc::introspect))
        .route("/revoke", post(oidc::revoke).options(cors::preflight))
        .route(
            "/userinfo",
            get(oidc::userinfo_get)
                .post(oidc::userinfo_post)
                .options(cors::preflight),
        )
        .route("/logout", get(logout::get).post(logout::post))
}

/// Getting in: login and its second step, registration, activation, forgotten passwords.
fn login_routes() -> Router<Arc<Provider>> {
    Router::new()
        .route("/login", get(login::page).post(login::submit))
        .route("/login/unlock", get(login::unlock_page).post(login::unlock))
        .route("/login/second-factor", post(second_factor::second_step))
        .route("/login/passkey", post(passkey::log_in))
        .route("/federation/{id}/start", get(federation::start))
        .route("/federation/{id}/callback", get(federation::callback))
        .route("/federation/{id}/logo", get(federation::logo))
        .route(
            "/federation/{id}/backchannel-logout",
            post(federation::backchannel_logout),
        )
        .route("/federation/link", post(federation::link))
        .route(
            "/federation/register",
            get(federation_register::form).post(federation_register::submit),
        )
        .route("/register", get(register::page).post(register::submit))
        .route(
            "/activate",
            get(register::activate_page).post(register::activate),
        )
        .route(
            "/activate/resend",
            get(address::resend_page).post(address::resend),
        )
        .route("/password/new", post(password::submit_new))
        .route(
            "/forgot-password",
            get(address::forgot_page).post(address::forgot),
        )
        .route(
            "/password/reset",
            get(recovery::reset_page).post(recovery::reset),
        )
}

/// The admin API: JSON for automation, authorised by bearer tokens (no cookies, so no CSRF).
fn admin_api_routes() -> Router<Arc<Provider>> {
    Router::new()
        .route("/openapi.json", get(admin_api::openapi))
        .route("/accounts/search", post(admin_api::search))
        .route("/accounts/{id}", get(admin_api::account))
        .route("/accounts/{id}/actions/{action}", post(admin_api::act))
        .route(
            "/accounts/{id}/sessions/{session}",
            axum::routing::delete(admin_api::end_session),
        )
        .route(
            "/accounts/{id}/groups/{group}",
            axum::routing::put(admin_api::grant).delete(admin_api::revoke),
        )
        .route("/audit", get(admin_api::audit))
        .fallback(admin_api::not_found)
}

/// What a logged-in person changes from Beranda.
fn account_routes() -> Router<Arc<Provider>> {
    Router::new()
        .route("/logout/everywhere", post(home::log_out_everywhere))
        .route("/account/sessions/end", post(home::end_one))
        .route("/account/links/add", post(federation::add))
        .route("/account/links/remove", post(federation::remove))
        .route(
            "/account/second-factor",
            get(second_factor::enrol_page).post(second_factor::enrol),
        )
        .route("/account/second-factor/later", post(second_factor::later))
        .route("/account/passkeys/new", get(passkey::new_page))
        .route("/account/passkeys", post(passkey::add))
        .route("/admin", get(console::home))
        .route("/admin/search", post(console::search))
        .route("/admin/configuration", get(console_reports::configuration))
        .route("/admin/keys/rotate", post(console_reports::rotate_key))
        .route(
            "/admin/audit",
            get(console_reports::page).post(console_reports::filter),
        )
        .route("/admin/users/{id}", get(console::account))
        .route("/admin/users/{id}/grant", post(console::grant))
        .route("/admin/users/{id}/revoke", post(console::revoke))
        .route("/admin/users/{id}/act", post(console::act))
        .route("/admin/users/{id}/sessions/end", post(console::end_session))
        .route(
            "/account/second-factor/remove",
            get(second_factor::remove_page).post(second_factor::remove),
        )
        .route(
            "/account/recovery-codes",
            get(second_factor::renew_codes_page).post(second_factor::renew_codes),
        )
        .route(
            "/account/password",
            get(account::password_page).post(account::change_password),
        )
        .route(
            "/account/contact",
            get(account::contact_page).post(account::change_contact),
        )
        .route(
            "/account/email/confirm",
            get(account::email_confirm_page).post(account::email_confirm),
        )
}

async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        // For HTTP/1.0 caches, beside `no-store` (RFC 6749 section 5.1 on token responses).
        (header::PRAGMA, "no-cache"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; form-action 'self' https:; frame-ancestors 'none'",
        ),
    ] {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    response
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("gerbang.css"),
    )
}

async fn script() -> impl IntoResponse {
    javascript(include_str!("gerbang.js"))
}

async fn passkey_script() -> impl IntoResponse {
    javascript(include_str!("passkey.js"))
}

fn javascript(text: &'static str) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        text,
    )
}

/// A page that does not exist: said in the reader's language, with the way home and the
/// helpdesk.
async fn not_found(
    axum::extract::State(p): axum::extract::State<Arc<Provider>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> impl IntoResponse {
    let lang = lang(&headers, q.get("ui_locales").map(String::as_str));
    (
        StatusCode::NOT_FOUND,
        html(&p, pages::not_found(lang, &p.config().helpdesk)),
    )
}

/// The page language: `ui_locales` when given, else `Accept-Language`, else Indonesian.
fn lang(headers: &HeaderMap, ui_locales: Option<&str>) -> Lang {
    let remembered = cookie(headers, LANG_COOKIE);
    Lang::choose(
        ui_locales.filter(|l| !l.is_empty()).or(remembered),
        header_str(headers, header::ACCEPT_LANGUAGE),
    )
}

/// Remembers the language a person chose (the switch on every page, or a client's
/// `ui_locales`), so the next pages speak it too.
const LANG_COOKIE: &str = "__Host-gerbang-lang";

async fn remember_language(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let chosen = request.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "ui_locales")
            .map(|(_, v)| Lang::choose(Some(&v), None))
    });
    let mut response = next.run(request).await;
    if let Some(lang) = chosen {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Secure; SameSite=Lax; Max-Age=31536000",
            lang.code()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Why a form post was turned away before its own checks.
enum Refusal {
    /// Posted from another origin.
    Forbidden,
    /// Over the per-address limit.
    TooMany,
    /// The limit could not be read.
    Unavailable(crate::store::StoreError),
}

/// The checks every public form post passes first: same origin, then the per-address limit
/// (shared by login, registration and the e-mail forms). Returns the client's address.
async fn admit(p: &Provider, headers: &HeaderMap, now: Timestamp) -> Result<String, Refusal> {
    if !same_origin(p, headers) {
        return Err(Refusal::Forbidden);
    }
    let address = client_address(headers);
    match limits::address_over_limit(p.store.as_ref(), &p.config().login, &address, now).await {
        Ok(false) => Ok(address),
        Ok(true) => Err(Refusal::TooMany),
        Err(e) => Err(Refusal::Unavailable(e)),
    }
}

/// The page for a refused post.
fn refused(p: &Provider, lang: Lang, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Forbidden => forbidden(p, lang),
        Refusal::TooMany => too_many(p, lang),
        Refusal::Unavailable(e) => unavailable(p, lang, e),
    }
}

/// A field of a posted form, empty when absent.
fn field<'a>(form: &'a std::collections::HashMap<String, String>, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or("")
}

/// The browser and system a request comes from, for the sessions list.
fn device(headers: &HeaderMap) -> Option<String> {
    header_str(headers, header::USER_AGENT).and_then(agent::describe)
}

/// A page laid out with the operator's branding.
fn html(p: &Provider, page: pages::Page) -> Html<String> {
    Html(page.render(&p.config().ui))
}

/// Whether a form's post only asks for the form again, with what was typed: a new captcha
/// picture, or the page in the other language (the language link, through the script).
fn redraw_only(refresh: &str) -> bool {
    matches!(refresh, "captcha" | "language")
}

/// A form posted from another origin.
fn forbidden(p: &Provider, lang: Lang) -> Response {
    (
        StatusCode::FORBIDDEN,
        html(
            p,
            pages::error(lang, i18n::Text::BadRequest, &p.config().helpdesk),
        ),
    )
        .into_response()
}

/// Over the per-address limit.
fn too_many(p: &Provider, lang: Lang) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        html(
            p,
            pages::error(lang, i18n::Text::TooManyAttempts, &p.config().helpdesk),
        ),
    )
        .into_response()
}

/// A new captcha challenge for a form shown to the client of `headers`, or the page to answer
/// instead: "too many" when the address is over its limit. A person needs one per form shown
/// and one more per refused post, so the limit is twice the posts an address may make.
/// Captcha challenges one address may be shown a minute: twice the form posts it may make (a
/// person reloads, switches language, asks for another picture).
fn challenges_per_minute(p: &Provider) -> u64 {
    p.config()
        .login
        .attempts_per_address_per_minute
        .saturating_mul(2)
}

async fn new_challenge(p: &Provider, headers: &HeaderMap, lang: Lang) -> Result<String, Response> {
    match p
        .captchas
        .issue(&client_address(headers), challenges_per_minute(p), now())
        .await
    {
        Ok(Some(token)) => Ok(token),
        Ok(None) => Err(too_many(p, lang)),
        Err(e) => Err(unavailable(p, lang, e)),
    }
}

/// A server-side failure (store, hashing pool, captcha): logged, and a "busy" page.
fn unavailable(p: &Provider, lang: Lang, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a page failed for a server reason");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        html(
            p,
            pages::error(lang, i18n::Text::Busy, &p.config().helpdesk),
        ),
    )
        .into_response()
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The value of the cookie `name` the request carries.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    crate::cookie_header::value(header_str(headers, header::COOKIE)?, name)
}

/// The client's address as the gateway established it (`X-Real-IP`, which the gateway always
/// sets and never takes from the client; the provider listens on loopback and is reached only
/// through the gateway).
fn client_address(headers: &HeaderMap) -> String {
    headers
        .get("x-real-ip")
        .and_then(|v| v.to_str().ok())
        .map(|a| a.trim().to_string())
        .unwrap_or_else(|| "unknown".into())
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::FOUND,
        [(header::LOCATION, location.to_string())],
    )
        .into_response()
}

/// A form post must come from the provider's own pages (CSRF defence beside SameSite cookies).
/// A form posted from the provider's own pages: its fields and the language it asks for. A
/// post from another origin is answered with the forbidden page before the handler runs.
pub struct OwnForm {
    fields: HashMap<String, String>,
    pub lang: Lang,
}

impl OwnForm {
    /// A field's value, empty when absent.
    pub fn field(&self, name: &str) -> &str {
        field(&self.fields, name)
    }
}

impl FromRequest<Arc<Provider>> for OwnForm {
    type Rejection = Response;

    async fn from_request(request: Request, p: &Arc<Provider>) -> Result<OwnForm, Response> {
        let allowed = same_origin(p, request.headers());
        let headers = request.headers().clone();
        let Form(fields) = Form::<HashMap<String, String>>::from_request(request, p)
            .await
            .map_err(IntoResponse::into_response)?;
        let lang = lang(&headers, Some(field(&fields, "ui_locales")));
        if !allowed {
            return Err(forbidden(p, lang));
        }
        Ok(OwnForm { fields, lang })
    }
}

/// The person a page is for: the browser's live provider session and its account. A browser
/// without one is sent to log in before the handler runs.
pub struct LoggedIn {
    pub session: Session,
    pub user: User,
}

impl FromRequestParts<Arc<Provider>> for LoggedIn {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        p: &Arc<Provider>,
    ) -> Result<LoggedIn, Response> {
        match home::current(p, &parts.headers).await {
            Some((session, user)) => Ok(LoggedIn { session, user }),
            None => Err(redirect("/login")),
        }
    }
}

/// The page an e-mail link opens (`?token=…`): what following it does, and one button that
/// posts the token to `action`, so that mail scanners following links do not spend it. A link
/// already used or expired gets [`link_gone`] at once, with `gone_links`.
async fn link_page(
    p: &Provider,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
    (kind, action): (OneTimeKind, &str),
    (title, question, button): (Text, Text, Text),
    gone_links: &[(&str, Text)],
) -> Response {
    let lang = lang(headers, query.get("ui_locales").map(String::as_str));
    let token = query.get("token").map(String::as_str).unwrap_or("");
    match crate::flows::link_is_live(p, kind, token, now()).await {
        Ok(true) => html(
            p,
            pages::confirm_link(lang, title, question, button, action, token),
        )
        .into_response(),
        Ok(false) => link_gone(p, lang, gone_links),
        Err(e) => unavailable(p, lang, e),
    }
}

/// An e-mail link that was used or has expired: said as a problem (410), with where to go next.
fn link_gone(p: &Provider, lang: Lang, links: &[(&str, Text)]) -> Response {
    (
        StatusCode::GONE,
        html(p, pages::link_gone(lang, links, &p.config().helpdesk)),
    )
        .into_response()
}

fn same_origin(p: &Provider, headers: &HeaderMap) -> bool {
    posted_from(headers, &p.issuer)
}

/// Whether a browser's form post came from a page of `origin` (`https://host[:port]`): its
/// `Origin`, or with `Origin: null` its Fetch Metadata. A post without `Origin` is not a modern
/// browser's cross-site post, and passes (SameSite cookies stand). The provider's forms and the
/// gateway's logout use it alike.
pub fn posted_from(headers: &HeaderMap, origin: &str) -> bool {
    match header_str(headers, header::ORIGIN) {
        // Not a browser, or an old one: SameSite cookies and the forms' own tokens stand.
        None => true,
        // `Referrer-Policy: no-referrer` makes browsers send `Origin: null` even on a page's
        // own form posts; Fetch Metadata then tells whether the post came from this origin.
        Some("null") => {
            headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("same-origin")
        }
        Some(sent) => sent == origin,
    }
}
