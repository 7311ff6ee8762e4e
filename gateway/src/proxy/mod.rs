//! The gateway: one `ProxyHttp` implementation. Each phase method is short and calls into the
//! named pure functions of its sibling modules: `path` (normalisation), `crate::routes`
//! (matching),
//! `headers` (what the client may not send), `login` (the redirect to the provider).

pub mod access;
pub mod auth;
pub mod bearer;
pub mod callback;
pub mod forward_auth;
pub mod headers;
pub mod identity_jwt;
pub mod login;
pub mod path;
pub mod remembered;
pub mod session;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use gerbang_config::{Effect, Policy, Rule, Strength};
use gerbang_idp::access::Asked;
use gerbang_idp::clock::now;
use pingora::http::{RequestHeader, ResponseHeader};
use pingora::prelude::*;
use pingora::proxy::{ProxyHttp, Session};
use url::Url;

use gerbang_idp::web::gateway_pages::{GatewayPage, GatewayPages};
use gerbang_idp::web::Lang;

use crate::pages;
use crate::routes::{table as route, LiveRouting, Route, PROVIDER_ROUTE};

/// What a listener's gateway knows for its whole life; the routes are replaced by a reload.
pub struct Gateway {
    pub routes: LiveRouting,
    pub issuer: Url,
    /// `:8443`, or empty for the default port: the public port of every host.
    pub public_port: String,
    pub auth: Arc<auth::Auth>,
    pub trusted_proxies: Vec<IpAddr>,
    /// The proxy in front that asks `/_gerbang/auth`, if any.
    pub forward_auth: Option<gerbang_config::FrontProxy>,
    /// How long a client may take to send a whole request head.
    pub request_head_deadline: pingora::proxy::RequestHeadDeadline,
    /// Set on the plain HTTP listener when HTTPS is on too: every request is sent there.
    pub redirect_to_https: bool,
}

/// Per-request state shared across the phases.
pub struct RequestCtx {
    route: Option<Arc<Route>>,
    /// The normal path when it differs from the one the client sent.
    rewritten_path: Option<String>,
    request_id: RequestId,
    identity: Option<Arc<session::Identity>>,
    /// The session cookie sealed again with this request's time (see `session::Activity`).
    activity_cookie: Option<String>,
    connect_attempts: usize,
    started: Instant,
    /// When the first upstream was chosen (for the upstream latency histogram).
    upstream_started: Option<Instant>,
}

/// What `request_filter` decided.
enum Decision {
    Proxy,
    Respond(Response),
    /// `/_gerbang/callback` on a route host whose public origin this is.
    Callback {
        origin: String,
    },
    /// `/_gerbang/logout`; `confirmed` for a POST, which must come from `origin`'s own page.
    Logout {
        confirmed: bool,
        origin: String,
    },
}

pub struct Response {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Body,
}

/// What an answer of the gateway's own carries.
enum Body {
    Bytes(Bytes),
    /// Laid out when sent: in the browser's language, with the request id.
    Page(GatewayPage),
}

impl Response {
    pub fn page(status: u16, page: GatewayPage) -> Self {
        Response {
            status,
            headers: vec![("content-type", "text/html; charset=utf-8".into())],
            body: Body::Page(page),
        }
    }

    /// The gateway's error page for `status`.
    pub fn error_page(status: u16) -> Self {
        Response::page(status, GatewayPage::Error(status))
    }

    /// A bare answer: the status says it all (forward-auth).
    pub fn status_only(status: u16) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: Body::Bytes(Bytes::new()),
        }
    }

    /// An error the gateway answers itself: the bilingual page for a browser, JSON for an API
    /// client.
    pub fn failure(status: u16, html: bool) -> Self {
        if html {
            return Response::error_page(status);
        }
        let error = match status {
            400 => "bad_request",
            403 => "forbidden",
            404 => "not_found",
            502 => "bad_gateway",
            503 => "unavailable",
            504 => "gateway_timeout",
            _ => "server_error",
        };
        Response {
            status,
            headers: vec![("content-type", "application/json".into())],
            body: Body::Bytes(Bytes::from(format!(r#"{{"error":"{error}"}}"#))),
        }
    }

    pub fn redirect(status: u16, location: String) -> Self {
        Response {
            status,
            headers: vec![("location", location)],
            body: Body::Bytes(Bytes::new()),
        }
    }
}

/// A request's id: 32 hexadecimal digits, kept as the header value it is sent as (upstream and
/// to the client), so that sending it twice copies it once.
struct RequestId(http::HeaderValue);

impl RequestId {
    fn new() -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let bytes: [u8; 16] = rand::random();
        let mut id = [0u8; 32];
        for (digits, byte) in id.chunks_exact_mut(2).zip(bytes) {
            digits[0] = HEX[usize::from(byte >> 4)];
            digits[1] = HEX[usize::from(byte & 15)];
        }
        // Hexadecimal digits are always a valid header value. Owned by its `Bytes`, so that
        // sharing it (upstream and to the client) counts a reference instead of allocating.
        RequestId(http::HeaderValue::from_maybe_shared(Bytes::from_owner(id)).unwrap_or(UNKNOWN))
    }

    fn as_str(&self) -> &str {
        self.0.to_str().unwrap_or("unknown")
    }

    fn header(&self) -> http::HeaderValue {
        self.0.clone()
    }
}

// Header values that never change, checked when the program is compiled and never copied.
const HSTS: http::HeaderValue = http::HeaderValue::from_static(pages::HSTS);
const HTTPS: http::HeaderValue = http::HeaderValue::from_static("https");
const HTTP: http::HeaderValue = http::HeaderValue::from_static("http");
const UNKNOWN: http::HeaderValue = http::HeaderValue::from_static("unknown");

/// How many headers `prepare_upstream_request` sets besides the identity's.
const FORWARDING_HEADERS: usize = 5;

/// How many headers `response_filter` may add to an upstream's response: HSTS, the request id,
/// the session cookie.
const RESPONSE_HEADERS: usize = 3;
/// How long an idle upstream connection is kept for reuse, as nginx's upstream
/// `keepalive_timeout`: past it, a firewall or NAT between here and the upstream may have
/// dropped the connection silently, and a request sent on it would wait for its timeout.
const UPSTREAM_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// An address as a header value, written without a string of its own and owned where it was
/// written: one allocation, which its clones share (a value copied from a slice allocates
/// again on its first clone, to share its bytes).
fn address_value(address: IpAddr) -> Result<http::HeaderValue> {
    let mut text = [0u8; headers::ADDRESS_TEXT];
    let length = headers::address_text(address, &mut text).len();
    let owned = Bytes::from_owner(text).slice(..length);
    http::HeaderValue::from_maybe_shared(owned)
        .map_err(|e| Error::because(ErrorType::InternalError, "an address as a header", e))
}

/// The host the client asked for as a header value: the `Host` header's own value (shared, not
/// copied) when `authority` takes it from there.
fn authority_value(req: &RequestHeader) -> Option<http::HeaderValue> {
    match req.headers.get(http::header::HOST) {
        Some(host) if host.to_str().is_ok() => Some(host.clone()),
        _ => authority(req).and_then(|a| http::HeaderValue::from_str(a).ok()),
    }
}

pub fn header_str(req: &RequestHeader, name: impl http::header::AsHeaderName) -> Option<&str> {
    req.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The host the client asked for: the `Host` header (HTTP/1.1) or the `:authority` (HTTP/2).
fn authority(req: &RequestHeader) -> Option<&str> {
    header_str(req, http::header::HOST).or_else(|| req.uri.authority().map(|a| a.as_str()))
}

/// A browser navigation (it accepts HTML) rather than an API call.
fn wants_html(req: &RequestHeader) -> bool {
    header_str(req, "accept").is_some_and(|a| a.contains("text/html"))
}

/// A browser opening a page (`method` is the original request's, behind forward-auth).
fn is_navigation(method: &str, req: &RequestHeader) -> bool {
    matches!(method, "GET" | "HEAD") && wants_html(req)
}

/// The path and query to come back to after a login.
fn return_path(req: &RequestHeader, path: &str) -> String {
    match req.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    }
}

/// How the route's rules refuse a request.
enum Refused {
    /// Said at once.
    Answer(Response),
    /// A browser session that a stronger login would let through: it logs in again for it.
    StepUp(Strength),
}

/// RFC 9470: a token or session below the strength a route's rules need, and the `acr_values`
/// a new authorization request should ask for.
fn weaker_than_needed(strength: Strength) -> Response {
    let acr = strength.acr();
    let why = "a stronger login is needed";
    Response {
        status: 401,
        headers: vec![
            ("www-authenticate", format!("Bearer realm=\"gerbang\", error=\"insufficient_user_authentication\", error_description=\"{why}\", acr_values=\"{acr}\"")),
            ("content-type", "application/json".into()),
        ],
        body: Body::Bytes(Bytes::from(format!(r#"{{"error":"insufficient_user_authentication","error_description":"{why}","acr_values":"{acr}"}}"#))),
    }
}

fn is_tls(session: &Session) -> bool {
    session.digest().is_some_and(|d| d.ssl_digest.is_some())
}

/// Both `Transfer-Encoding` and `Content-Length` on an HTTP/1 request (see
/// `headers::head_declares_content_length`).
fn has_ambiguous_framing(session: &Session) -> bool {
    let downstream = session.as_downstream();
    !downstream.is_http2()
        && session
            .req_header()
            .headers
            .contains_key(http::header::TRANSFER_ENCODING)
        && headers::head_declares_content_length(&downstream.to_h1_raw())
}

fn client_ip(session: &Session) -> Option<IpAddr> {
    session
        .client_addr()
        .and_then(|a| a.as_inet())
        .map(|a| a.ip())
}

impl Gateway {
    fn decide(&self, req: &RequestHeader, peer: Option<IpAddr>, ctx: &mut RequestCtx) -> Decision {
        let Some(host) = authority(req).and_then(route::request_host) else {
            return Decision::Respond(Response::error_page(400));
        };
        let normal = match path::normalise(req.uri.path()) {
            Ok(p) => p,
            Err(_) => return Decision::Respond(Response::error_page(400)),
        };
        // Asked on any host and listener: Traefik sends its own address as `Host`.
        if let (forward_auth::PATH, Some(proxy)) = (normal.matching.as_ref(), self.forward_auth) {
            return self.forward_auth(req, proxy, peer);
        }
        let routes = self.routes.load();
        if self.redirect_to_https {
            if !routes.table.knows_host(&host) {
                return Decision::Respond(Response::error_page(404));
            }
            let query = req.uri.query().map(|q| format!("?{q}")).unwrap_or_default();
            let location = format!(
                "https://{host}{}{}{query}",
                self.public_port, normal.forward
            );
            return Decision::Respond(Response::redirect(308, location));
        }
        let Some(route) = routes.table.find(&host, &normal.matching) else {
            return Decision::Respond(Response::error_page(404));
        };
        if normal.forward != req.uri.path() {
            ctx.rewritten_path = Some(normal.forward.to_string());
        }
        ctx.route = Some(Arc::clone(route));
        if route.name != PROVIDER_ROUTE {
            match normal.matching.as_ref() {
                login::CALLBACK_PATH => {
                    return Decision::Callback {
                        origin: format!("https://{host}{}", self.public_port),
                    }
                }
                auth::LOGOUT_PATH => {
                    return Decision::Logout {
                        confirmed: req.method == http::Method::POST,
                        origin: format!("https://{host}{}", self.public_port),
                    }
                }
                // Forward-auth is off (`server.forward_auth`): the path is still the gateway's.
                forward_auth::PATH => return Decision::Respond(Response::error_page(404)),
                login::LOGIN_PATH => {
                    let param = |name: &str| {
                        url::form_urlencoded::parse(req.uri.query()?.as_bytes())
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.into_owned())
                    };
                    let rd = param("rd").unwrap_or_else(|| "/".into());
                    let acr = param("acr").and_then(|a| Strength::named(&a));
                    return self.login_redirect(&host, &rd, acr);
                }
                _ => {}
            }
        }
        let Some(identity) = self.who_asks(req, route) else {
            return self.unauthenticated(req, &host, &normal.forward);
        };
        let asked = Asked {
            path: &normal.matching,
            method: req.method.as_str(),
        };
        match self.refused(req, peer, route, identity.as_deref(), &asked) {
            None => {}
            Some(Refused::Answer(refused)) => return Decision::Respond(refused),
            Some(Refused::StepUp(strength)) => {
                let return_to = return_path(req, &normal.forward);
                return self.login_redirect(&host, &return_to, Some(strength));
            }
        }
        if let Some(identity) = identity {
            ctx.activity_cookie = self.auth.activity_cookie(&identity);
            ctx.identity = Some(identity);
        }
        Decision::Proxy
    }

    /// Who asks on `route`: the session or bearer token, or nobody on a public route (whose
    /// visitor is read only when a rule asks who they are); `None` when the route needs a
    /// login that is not there.
    fn who_asks(
        &self,
        req: &RequestHeader,
        route: &Route,
    ) -> Option<Option<Arc<session::Identity>>> {
        match route.policy {
            Policy::Public if route.access.rules.iter().any(Rule::needs_person) => {
                Some(self.auth.identity(req))
            }
            Policy::Public => Some(None),
            Policy::Authenticated => self
                .auth
                .identity(req)
                .or_else(|| self.auth.bearer(req, route))
                .map(Some),
        }
    }

    /// The route's access rules on this request: `None` when they let it through. A refusal
    /// that a stronger login would lift sends a browser to log in more strongly and tells an
    /// API call so (RFC 9470); any other gets the 403 page, or RFC 6750's
    /// `insufficient_scope` for an API call.
    fn refused(
        &self,
        req: &RequestHeader,
        peer: Option<IpAddr>,
        route: &Route,
        identity: Option<&session::Identity>,
        asked: &Asked<'_>,
    ) -> Option<Refused> {
        if route.access.rules.is_empty() && route.access.default == Effect::Allow {
            return None;
        }
        let address = peer.map(|peer| {
            let chain = header_str(req, headers::X_FORWARDED_FOR.name());
            headers::client_address(peer, chain, &self.trusted_proxies)
        });
        let memberships = &self.auth.memberships;
        let (decision, stronger) =
            access::decide(&route.access, memberships, identity, address, asked, now());
        if decision.allowed() {
            return None;
        }
        if let Some(strength) = stronger {
            let browser_session = identity.is_some_and(|i| i.client.is_none());
            if browser_session && is_navigation(req.method.as_str(), req) {
                return Some(Refused::StepUp(strength));
            }
            return Some(Refused::Answer(weaker_than_needed(strength)));
        }
        tracing::info!(route = %route.name, rule = ?decision.rule, method = asked.method, "access denied by the route's rules");
        if wants_html(req) {
            let username = identity.filter(|i| !i.machine).map(|i| i.username.clone());
            let app = route.title.clone();
            return Some(Refused::Answer(Response::page(
                403,
                GatewayPage::Forbidden { username, app },
            )));
        }
        Some(Refused::Answer(Response {
            status: 403,
            headers: vec![
                ("www-authenticate", "Bearer realm=\"gerbang\", error=\"insufficient_scope\", error_description=\"the route's access rules refuse this request\"".into()),
                ("content-type", "application/json".into()),
            ],
            body: Body::Bytes(Bytes::from_static(br#"{"error":"insufficient_scope","error_description":"the route's access rules refuse this request"}"#)),
        }))
    }

    /// A request without a session: browsers go to log in, API clients get 401.
    fn unauthenticated(&self, req: &RequestHeader, host: &str, path: &str) -> Decision {
        let bearer_realm = "Bearer realm=\"gerbang\"".to_string();
        if !is_navigation(req.method.as_str(), req) {
            return Decision::Respond(Response {
                status: 401,
                headers: vec![
                    ("www-authenticate", bearer_realm),
                    ("content-type", "application/json".into()),
                ],
                body: Body::Bytes(Bytes::from_static(br#"{"error":"unauthorized","error_description":"log in or present a bearer access token"}"#)),
            });
        }
        self.login_redirect(host, &return_path(req, path), None)
    }

    /// `/_gerbang/auth`: 200 with the identity headers the route forwards when the original
    /// request may pass; else 401, or for a browser behind Traefik or Caddy a redirect to
    /// `/_gerbang/login` on the app's host; 403 for a path no route covers or an asker that is
    /// not a trusted proxy; 400 when the proxy's own header is missing or repeated.
    fn forward_auth(
        &self,
        req: &RequestHeader,
        proxy: gerbang_config::FrontProxy,
        peer: Option<IpAddr>,
    ) -> Decision {
        let original = match forward_auth::original(req, proxy, peer, &self.trusted_proxies) {
            Ok(original) => original,
            Err(forward_auth::Refusal::NotTrusted) => {
                return Decision::Respond(Response::status_only(403))
            }
            Err(forward_auth::Refusal::Malformed) => {
                return Decision::Respond(Response::error_page(400))
            }
        };
        let original_path = original.uri.split('?').next().unwrap_or("/");
        let routes = self.routes.load();
        let normal = path::normalise(original_path).map(|n| n.matching.into_owned());
        let route = normal
            .as_ref()
            .ok()
            .and_then(|normal| routes.table.find(&original.host, normal));
        let (Some(route), Ok(normal)) = (route, &normal) else {
            return Decision::Respond(Response::status_only(403));
        };
        let method = header_str(req, "x-forwarded-method").unwrap_or("GET");
        let Some(identity) = self.who_asks(req, route) else {
            return self.forward_auth_login(req, proxy, &original, method, None);
        };
        let asked = Asked {
            path: normal,
            method,
        };
        match self.refused(req, peer, route, identity.as_deref(), &asked) {
            None => {}
            Some(Refused::Answer(refused)) => return Decision::Respond(refused),
            Some(Refused::StepUp(strength)) => {
                return self.forward_auth_login(req, proxy, &original, method, Some(strength))
            }
        }
        let Some(identity) = identity else {
            return Decision::Respond(Response::status_only(200));
        };
        match self.auth.upstream_headers(&identity, route) {
            Some(headers) => Decision::Respond(Response {
                status: 200,
                headers: headers
                    .into_iter()
                    .map(|(name, value)| {
                        (
                            name.as_str(),
                            String::from_utf8_lossy(value.as_bytes()).into(),
                        )
                    })
                    // The proxy hands it to the browser (docs/forward-auth.md).
                    .chain(
                        self.auth
                            .activity_cookie(&identity)
                            .map(|c| ("set-cookie", c)),
                    )
                    .collect(),
                body: Body::Bytes(Bytes::new()),
            }),
            None => Decision::Respond(Response::error_page(500)),
        }
    }

    /// Forward-auth without a login, or without one as strong as `stronger`: a browser behind
    /// Traefik or Caddy goes to log in on the app's host; anything else gets 401.
    fn forward_auth_login(
        &self,
        req: &RequestHeader,
        proxy: gerbang_config::FrontProxy,
        original: &forward_auth::Original<'_>,
        method: &str,
        stronger: Option<Strength>,
    ) -> Decision {
        if is_navigation(method, req) && forward_auth::redirects_browsers(proxy) {
            let rd: String =
                url::form_urlencoded::byte_serialize(original.uri.as_bytes()).collect();
            let acr = stronger
                .map(|s| format!("&acr={}", s.name()))
                .unwrap_or_default();
            let location = format!(
                "https://{}{}{}?rd={rd}{acr}",
                original.host,
                self.public_port,
                login::LOGIN_PATH
            );
            return Decision::Respond(Response::redirect(302, location));
        }
        if let Some(strength) = stronger {
            return Decision::Respond(weaker_than_needed(strength));
        }
        Decision::Respond(Response {
            status: 401,
            headers: vec![("www-authenticate", "Bearer realm=\"gerbang\"".into())],
            body: Body::Bytes(Bytes::new()),
        })
    }

    /// Sends the browser to log in (at least as strongly as `acr`, when given), coming back
    /// to `return_to` (made a safe path here).
    fn login_redirect(&self, host: &str, return_to: &str, acr: Option<Strength>) -> Decision {
        let origin = format!("https://{host}{}", self.public_port);
        match login::begin_login(
            &self.issuer,
            &origin,
            login::safe_return_path(return_to),
            acr,
            &self.auth.cookie_key,
        ) {
            Ok(redirect) => Decision::Respond(Response {
                status: 302,
                headers: vec![
                    ("location", redirect.location),
                    ("set-cookie", redirect.set_cookie),
                ],
                body: Body::Bytes(Bytes::new()),
            }),
            Err(e) => {
                tracing::error!(error = %e, "cannot build the login redirect");
                Decision::Respond(Response::error_page(500))
            }
        }
    }

    /// Removes what the client may not say and sets what the gateway knows.
    fn prepare_upstream_request(
        &self,
        session: &Session,
        upstream: &mut RequestHeader,
        ctx: &RequestCtx,
    ) -> Result<()> {
        use headers::{X_FORWARDED_HOST, X_FORWARDED_PROTO};
        let route_listed = ctx.route.as_deref().map_or(&[][..], |r| &r.strip_headers);
        strip_client_headers(upstream, route_listed)?;
        let identity_headers = match (&ctx.identity, &ctx.route) {
            (Some(identity), Some(route)) => {
                self.auth.upstream_headers(identity, route).ok_or_else(|| {
                    Error::explain(ErrorType::InternalError, "the identity cannot be sent")
                })?
            }
            _ => Vec::new(),
        };
        // Room for every header set below, so that neither of the request's maps regrows.
        upstream.reserve(FORWARDING_HEADERS + identity_headers.len())?;
        self.forwarded_for(session, upstream)?;
        upstream.insert_header(
            X_FORWARDED_PROTO,
            if is_tls(session) { HTTPS } else { HTTP },
        )?;
        if let Some(host) = authority_value(session.req_header()) {
            upstream.insert_header(X_FORWARDED_HOST, host)?;
        }
        upstream.insert_header(headers::X_REQUEST_ID, ctx.request_id.header())?;
        for (name, value) in identity_headers {
            upstream.insert_header(name, value)?;
        }
        if let Some(path) = &ctx.rewritten_path {
            let target = match upstream.uri.query() {
                Some(q) => format!("{path}?{q}"),
                None => path.clone(),
            };
            let uri = target.parse::<http::Uri>().map_err(|e| {
                Error::because(ErrorType::InternalError, "normal path is not a URI", e)
            })?;
            upstream.set_uri(uri);
        }
        Ok(())
    }

    /// `X-Forwarded-For` (the client's chain when it came through a trusted proxy) and
    /// `X-Real-IP` (the client as the trusted proxies tell it). The client's own chain is read
    /// from its request (`upstream` has lost it) only when a trusted proxy sent it.
    fn forwarded_for(&self, session: &Session, upstream: &mut RequestHeader) -> Result<()> {
        use headers::{X_FORWARDED_FOR, X_REAL_IP};
        let Some(peer) = client_ip(session) else {
            upstream.insert_header(X_FORWARDED_FOR, UNKNOWN)?;
            return Ok(());
        };
        let trusted = &self.trusted_proxies;
        let chain = trusted
            .contains(&peer)
            .then(|| header_str(session.req_header(), X_FORWARDED_FOR.name()))
            .flatten();
        match chain {
            Some(chain) => {
                let client = headers::client_address(peer, Some(chain), trusted);
                upstream.insert_header(X_FORWARDED_FOR, format!("{chain}, {peer}"))?;
                upstream.insert_header(X_REAL_IP, address_value(client)?)?;
            }
            // The client is the peer: one address, written once.
            None => {
                let peer = address_value(peer)?;
                upstream.insert_header(X_FORWARDED_FOR, peer.clone())?;
                upstream.insert_header(X_REAL_IP, peer)?;
            }
        }
        Ok(())
    }
}

/// Removes what the client may not send upstream: identity and forwarding headers, the route's
/// own listed names, and the gateway's cookies.
fn strip_client_headers(upstream: &mut RequestHeader, route_listed: &[String]) -> Result<()> {
    let owned: Vec<http::HeaderName> = upstream
        .headers
        .keys()
        .filter(|name| {
            headers::is_identity_header(name.as_str())
                || headers::is_forwarding_header(name.as_str())
                || headers::is_listed(name.as_str(), route_listed)
        })
        .cloned()
        .collect();
    for name in owned {
        upstream.remove_header(&name);
    }
    if let Some(kept) =
        header_str(upstream, &http::header::COOKIE).and_then(headers::without_gateway_cookies)
    {
        if kept.is_empty() {
            upstream.remove_header(&http::header::COOKIE);
        } else {
            upstream.insert_header(http::header::COOKIE.as_str(), kept)?;
        }
    }
    Ok(())
}

/// The status a failed request is answered with (Pingora's own mapping, with timeouts as 504);
/// 0 when the client's connection is gone and nothing can be sent.
fn failure_status(e: &Error) -> u16 {
    match (e.etype(), e.esource()) {
        (ErrorType::HTTPStatus(code), _) => *code,
        (
            ErrorType::ConnectTimedout | ErrorType::ReadTimedout | ErrorType::WriteTimedout,
            ErrorSource::Upstream,
        ) => 504,
        (_, ErrorSource::Upstream) => 502,
        (
            ErrorType::WriteError | ErrorType::ReadError | ErrorType::ConnectionClosed,
            ErrorSource::Downstream,
        ) => 0,
        (_, ErrorSource::Downstream) => 400,
        (_, ErrorSource::Internal | ErrorSource::Unset) => 500,
    }
}

/// Removes the `Set-Cookie` fields of an upstream's response that would set the gateway's own
/// cookies on the app's host (see `headers::sets_gateway_cookie`); the others stay, in order.
fn strip_gateway_cookies(response: &mut ResponseHeader) -> Result<()> {
    let set_cookie = http::header::SET_COOKIE;
    let planted = response
        .headers
        .get_all(&set_cookie)
        .iter()
        .any(|v| headers::sets_gateway_cookie(v.as_bytes()));
    if !planted {
        return Ok(());
    }
    let kept: Vec<http::HeaderValue> = response
        .headers
        .get_all(&set_cookie)
        .iter()
        .filter(|v| !headers::sets_gateway_cookie(v.as_bytes()))
        .cloned()
        .collect();
    response.remove_header(&set_cookie);
    for value in kept {
        response.append_header(set_cookie.clone(), value)?;
    }
    Ok(())
}

/// An answer the gateway writes itself (pages, redirects, errors), laid out: its headers,
/// length, `no-store`, the request id and the security headers, and its body (a page in the
/// language `req` asks for).
fn answer(
    response: Response,
    own_pages: &GatewayPages,
    req: Option<&RequestHeader>,
    request_id: &str,
    tls: bool,
) -> Result<(ResponseHeader, Bytes)> {
    let body = match response.body {
        Body::Bytes(bytes) => bytes,
        Body::Page(page) => {
            let lang = Lang::choose(None, req.and_then(|r| header_str(r, "accept-language")));
            Bytes::from(own_pages.render(&page, lang, request_id))
        }
    };
    let mut header = ResponseHeader::build(response.status, Some(response.headers.len() + 4))?;
    for (name, value) in &response.headers {
        header.append_header(*name, value.as_str())?;
    }
    header.insert_header("content-length", body.len().to_string())?;
    header.insert_header("cache-control", "no-store")?;
    header.insert_header("x-request-id", request_id)?;
    pages::security_headers(&mut header, own_pages.csp(), tls)?;
    Ok((header, body))
}

impl Gateway {
    async fn respond(
        &self,
        session: &mut Session,
        response: Response,
        request_id: &str,
    ) -> Result<()> {
        let routing = self.routes.load();
        let tls = is_tls(session);
        let (header, body) = answer(
            response,
            &routing.pages,
            Some(session.req_header()),
            request_id,
            tls,
        )?;
        session
            .write_response_header(Box::new(header), false)
            .await?;
        session.write_response_body(Some(body), true).await?;
        Ok(())
    }
}

#[async_trait]
impl ProxyHttp for Gateway {
    type CTX = RequestCtx;

    fn new_ctx(&self) -> RequestCtx {
        RequestCtx {
            route: None,
            rewritten_path: None,
            request_id: RequestId::new(),
            identity: None,
            activity_cookie: None,
            connect_attempts: 0,
            started: Instant::now(),
            upstream_started: None,
        }
    }

    async fn request_filter(&self, session: &mut Session, ctx: &mut RequestCtx) -> Result<bool> {
        let cookies = session.req_header().headers.get_all(http::header::COOKIE);
        if let Some(joined) = headers::joined_cookies(cookies.iter().map(|v| v.as_bytes())) {
            session.req_header_mut().insert_header("cookie", joined)?;
        }
        if has_ambiguous_framing(session) {
            session.set_keepalive(None);
            self.respond(session, Response::error_page(400), ctx.request_id.as_str())
                .await?;
            return Ok(true);
        }
        let response = match self.decide(session.req_header(), client_ip(session), ctx) {
            Decision::Proxy => return Ok(false),
            Decision::Respond(response) => response,
            Decision::Callback { origin } => {
                self.auth.callback(session.req_header(), &origin).await
            }
            Decision::Logout { confirmed, origin } => {
                self.auth
                    .logout(session.req_header(), confirmed, &origin)
                    .await
            }
        };
        self.respond(session, response, ctx.request_id.as_str())
            .await?;
        Ok(true)
    }

    async fn upstream_peer(
        &self,
        _session: &mut Session,
        ctx: &mut RequestCtx,
    ) -> Result<Box<HttpPeer>> {
        let route = ctx
            .route
            .as_ref()
            .ok_or_else(|| Error::explain(ErrorType::InternalError, "no route chosen"))?;
        let backend = route
            .upstreams
            .choose()
            .ok_or_else(|| Error::explain(ErrorType::HTTPStatus(502), "no healthy upstream"))?;
        let (tls, sni) = match &route.tls {
            Some(t) => (true, t.sni.clone()),
            None => (false, String::new()),
        };
        ctx.upstream_started.get_or_insert_with(Instant::now);
        let mut peer = HttpPeer::new(backend.addr, tls, sni);
        peer.options.connection_timeout = Some(Duration::from_secs(3));
        peer.options.read_timeout = Some(route.timeout);
        peer.options.write_timeout = Some(route.timeout);
        peer.options.idle_timeout = Some(UPSTREAM_IDLE_TIMEOUT);
        if let Some(t) = &route.tls {
            peer.options.verify_cert = t.verify;
            peer.options.verify_hostname = t.verify;
        }
        Ok(Box::new(peer))
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &HttpPeer,
        ctx: &mut RequestCtx,
        mut e: Box<Error>,
    ) -> Box<Error> {
        // Try the next address of the route (round-robin moves on), once per address.
        ctx.connect_attempts += 1;
        if ctx
            .route
            .as_ref()
            .is_some_and(|r| ctx.connect_attempts < r.targets.len())
        {
            e.set_retry(true);
        }
        e
    }

    /// No downstream modules: Gerbang compresses no response. Pingora's default adds a disabled
    /// compression module, whose context every request built, asked at each phase and dropped.
    fn init_downstream_modules(&self, _modules: &mut pingora::modules::http::HttpModules) {}

    fn request_head_deadline(&self) -> Option<&pingora::proxy::RequestHeadDeadline> {
        Some(&self.request_head_deadline)
    }

    /// A request head that does not parse gets the gateway's own 400 (not Pingora's bare one).
    async fn malformed_request(&self, session: &mut pingora::protocols::http::ServerSession) {
        let tls = session.digest().is_some_and(|d| d.ssl_digest.is_some());
        let routing = self.routes.load();
        let answered = answer(
            Response::error_page(400),
            &routing.pages,
            None,
            RequestId::new().as_str(),
            tls,
        );
        match answered {
            Ok((header, body)) => {
                if let Err(e) = session.write_error_response(header, body).await {
                    tracing::debug!(error = %e, "cannot answer a malformed request");
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot build the 400 answer"),
        }
    }

    /// A client that hung up before its answer (a closed tab, a load generator stopping) is not
    /// the gateway's failure: Pingora's error line for it is left out, and an info line says it
    /// (the access line has it too, status 0), as nginx logs "client prematurely closed
    /// connection". Every other failure keeps its error line.
    fn suppress_error_log(&self, _session: &Session, ctx: &RequestCtx, e: &Error) -> bool {
        let client_left = failure_status(e) == 0;
        if client_left {
            tracing::info!(request_id = ctx.request_id.as_str(), error = %e, "the client closed its connection before the answer");
        }
        client_left
    }

    /// A request that could not be proxied (the upstream refused, closed or timed out) gets the
    /// gateway's own answer: its page or JSON, `X-Request-Id` and the security headers.
    async fn fail_to_proxy(
        &self,
        session: &mut Session,
        e: &Error,
        ctx: &mut RequestCtx,
    ) -> pingora::proxy::FailToProxy {
        let status = failure_status(e);
        if status > 0 {
            let html = wants_html(session.req_header());
            session.set_keepalive(None);
            let response = Response::failure(status, html);
            if let Err(e) = self
                .respond(session, response, ctx.request_id.as_str())
                .await
            {
                tracing::debug!(error = %e, "cannot send the error answer");
            }
        }
        pingora::proxy::FailToProxy {
            error_code: status,
            can_reuse_downstream: false,
        }
    }

    async fn upstream_request_filter(
        &self,
        session: &mut Session,
        upstream: &mut RequestHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        self.prepare_upstream_request(session, upstream, ctx)
    }

    async fn response_filter(
        &self,
        session: &mut Session,
        response: &mut ResponseHeader,
        ctx: &mut RequestCtx,
    ) -> Result<()> {
        if ctx.route.as_ref().is_some_and(|r| r.name != PROVIDER_ROUTE) {
            strip_gateway_cookies(response)?;
        }
        // Room for the headers below (the engine leaves room for them already: see the test).
        response.reserve(RESPONSE_HEADERS)?;
        if is_tls(session)
            && !response
                .headers
                .contains_key(http::header::STRICT_TRANSPORT_SECURITY)
        {
            response.insert_header(headers::STRICT_TRANSPORT_SECURITY, HSTS)?;
        }
        response.insert_header(headers::X_REQUEST_ID, ctx.request_id.header())?;
        if let Some(cookie) = ctx.activity_cookie.take() {
            response.append_header(http::header::SET_COOKIE, cookie)?;
        }
        Ok(())
    }

    async fn logging(&self, session: &mut Session, error: Option<&Error>, ctx: &mut RequestCtx) {
        let req = session.req_header();
        let status = session.response_written().map_or(0, |r| r.status.as_u16());
        // One clock read for both durations.
        let now = Instant::now();
        if let Some(route) = &ctx.route {
            let upstream = ctx
                .upstream_started
                .map(|t| now.saturating_duration_since(t));
            route.counters.count(status, upstream);
        }
        crate::access::AccessLine {
            request_id: ctx.request_id.as_str(),
            method: req.method.as_str(),
            host: authority(req).unwrap_or("-"),
            path: ctx.rewritten_path.as_deref().unwrap_or(req.uri.path()),
            status,
            route: ctx.route.as_ref().map_or("-", |r| r.name.as_str()),
            micros: now.saturating_duration_since(ctx.started).as_micros() as u64,
            error: error.map(|e| e.etype().as_str()),
        }
        .log();
    }
}

#[cfg(test)]
mod engine_patches;
