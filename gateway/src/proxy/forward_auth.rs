//! Forward-auth: a proxy in front (nginx `auth_request`, Traefik `forwardAuth`, Caddy
//! `forward_auth`) asks `/_gerbang/auth` whether each request may pass. Which headers carry the
//! original request is a setting of the deployment (`server.forward_auth`), read from the
//! trusted proxies only and never from another spelling: Traefik and Caddy pass the client's
//! own headers through, so a gateway that also read `X-Original-URI` could be told by the client
//! that a protected path was a public one. Pure: the phase method in `proxy/mod.rs` answers.

use std::borrow::Cow;
use std::net::IpAddr;

use gerbang_config::FrontProxy;
use pingora::http::RequestHeader;

use crate::routes::table as route;

pub const PATH: &str = "/_gerbang/auth";

/// The request the proxy in front is asking about.
#[derive(Debug, PartialEq, Eq)]
pub struct Original<'a> {
    /// Lower case, no port.
    pub host: Cow<'a, str>,
    /// The path and query, as the client sent them.
    pub uri: &'a str,
}

/// Why a forward-auth question is not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The asker is not one of `server.trusted_proxies` (403).
    NotTrusted,
    /// The proxy's header is missing, repeated or not a path, or the host is not one (400).
    Malformed,
}

/// The header that carries the original URI for `proxy`.
pub fn uri_header(proxy: FrontProxy) -> &'static str {
    match proxy {
        FrontProxy::Nginx => "x-original-uri",
        FrontProxy::Traefik | FrontProxy::Caddy => "x-forwarded-uri",
    }
}

/// The header that carries the original host for `proxy` (nginx keeps `Host`; Traefik sends
/// Gerbang's own address as `Host`).
pub fn host_header(proxy: FrontProxy) -> &'static str {
    match proxy {
        FrontProxy::Nginx => "host",
        FrontProxy::Traefik | FrontProxy::Caddy => "x-forwarded-host",
    }
}

/// Whether a stranger's browser gets a redirect to log in from the auth answer itself: Traefik
/// and Caddy hand any answer but 2xx to the client; nginx accepts only 2xx, 401 and 403 (its
/// `error_page 401` sends the browser to log in).
pub fn redirects_browsers(proxy: FrontProxy) -> bool {
    !matches!(proxy, FrontProxy::Nginx)
}

/// The original request, as `proxy` (at `peer`) states it.
pub fn original<'a>(
    req: &'a RequestHeader,
    proxy: FrontProxy,
    peer: Option<IpAddr>,
    trusted: &[IpAddr],
) -> Result<Original<'a>, Refusal> {
    if !peer.is_some_and(|p| trusted.contains(&p)) {
        return Err(Refusal::NotTrusted);
    }
    let uri = single(req, uri_header(proxy))
        .filter(|u| u.starts_with('/'))
        .ok_or(Refusal::Malformed)?;
    let host = match proxy {
        FrontProxy::Nginx => {
            single(req, "host").or_else(|| req.uri.authority().map(|a| a.as_str()))
        }
        FrontProxy::Traefik | FrontProxy::Caddy => single(req, host_header(proxy)),
    }
    .and_then(route::request_host)
    .ok_or(Refusal::Malformed)?;
    Ok(Original { host, uri })
}

/// The one value of header `name`; `None` when it is absent, repeated or not text.
fn single<'a>(req: &'a RequestHeader, name: &str) -> Option<&'a str> {
    let mut values = req.headers.get_all(name).iter();
    let value = values.next()?;
    if values.next().is_some() {
        return None;
    }
    value.to_str().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> RequestHeader {
        let mut req = RequestHeader::build("GET", PATH.as_bytes(), None).unwrap();
        for (name, value) in headers {
            req.append_header(name.to_string(), *value).unwrap();
        }
        req
    }

    const PROXY: &str = "10.0.0.2";

    fn ask(proxy: FrontProxy, headers: &[(&str, &str)]) -> Result<(String, String), Refusal> {
        let req = request(headers);
        let trusted = [PROXY.parse().unwrap()];
        original(&req, proxy, PROXY.parse().ok(), &trusted)
            .map(|o| (o.host.into_owned(), o.uri.to_string()))
    }

    #[test]
    fn each_proxy_is_read_in_its_own_headers_only() {
        let spelled_every_way = [
            ("host", "gerbang.internal:9443"),
            ("x-original-uri", "/public/x"),
            ("x-forwarded-uri", "/admin/users"),
            ("x-forwarded-host", "App.Test"),
            ("x-original-url", "/public/y"),
        ];
        assert_eq!(
            ask(FrontProxy::Traefik, &spelled_every_way),
            Ok(("app.test".into(), "/admin/users".into()))
        );
        assert_eq!(
            ask(FrontProxy::Caddy, &spelled_every_way),
            Ok(("app.test".into(), "/admin/users".into()))
        );
        let nginx = [
            ("host", "app.test"),
            ("x-original-uri", "/admin?q=1"),
            ("x-forwarded-uri", "/public"),
        ];
        assert_eq!(
            ask(FrontProxy::Nginx, &nginx),
            Ok(("app.test".into(), "/admin?q=1".into()))
        );
    }

    #[test]
    fn a_missing_or_doubled_header_is_refused_never_defaulted() {
        assert_eq!(
            ask(
                FrontProxy::Traefik,
                &[
                    ("x-original-uri", "/public"),
                    ("x-forwarded-host", "app.test")
                ]
            ),
            Err(Refusal::Malformed),
            "no fallback to another spelling, no default path"
        );
        assert_eq!(
            ask(
                FrontProxy::Caddy,
                &[
                    ("x-forwarded-uri", "/public"),
                    ("x-forwarded-uri", "/admin"),
                    ("x-forwarded-host", "app.test")
                ]
            ),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            ask(FrontProxy::Traefik, &[("x-forwarded-uri", "/admin")]),
            Err(Refusal::Malformed),
            "no host"
        );
        assert_eq!(
            ask(
                FrontProxy::Nginx,
                &[("host", "app.test"), ("x-original-uri", "http://evil/")]
            ),
            Err(Refusal::Malformed)
        );
    }

    #[test]
    fn only_the_trusted_proxy_is_answered() {
        let req = request(&[("host", "app.test"), ("x-original-uri", "/")]);
        let trusted = [PROXY.parse().unwrap()];
        assert_eq!(
            original(
                &req,
                FrontProxy::Nginx,
                "203.0.113.5".parse().ok(),
                &trusted
            ),
            Err(Refusal::NotTrusted)
        );
        assert_eq!(
            original(&req, FrontProxy::Nginx, None, &trusted),
            Err(Refusal::NotTrusted)
        );
    }
}
