//! Which request headers the gateway owns. A client may not send identity, nor tell the gateway
//! where it came from: those headers are removed, in every spelling, before the upstream sees
//! the request, and the gateway sets its own.

use gerbang_idp::cookie_header;
use pingora::http::StaticHeaderName;

use super::{login, session};

// The headers the gateway sets, named when the program is compiled: setting one neither parses
// nor copies its name (see third_party/README.md).
pub const X_FORWARDED_FOR: StaticHeaderName = StaticHeaderName::new("x-forwarded-for");
pub const X_FORWARDED_HOST: StaticHeaderName = StaticHeaderName::new("x-forwarded-host");
pub const X_FORWARDED_PROTO: StaticHeaderName = StaticHeaderName::new("x-forwarded-proto");
pub const X_REAL_IP: StaticHeaderName = StaticHeaderName::new("x-real-ip");
pub const X_REQUEST_ID: StaticHeaderName = StaticHeaderName::new("x-request-id");
pub const STRICT_TRANSPORT_SECURITY: StaticHeaderName =
    StaticHeaderName::new("strict-transport-security");
pub const X_GERBANG_USER: StaticHeaderName = StaticHeaderName::new("x-gerbang-user");
pub const X_GERBANG_SUBJECT: StaticHeaderName = StaticHeaderName::new("x-gerbang-subject");
pub const X_GERBANG_EMAIL: StaticHeaderName = StaticHeaderName::new("x-gerbang-email");
pub const X_GERBANG_NAME: StaticHeaderName = StaticHeaderName::new("x-gerbang-name");
pub const X_GERBANG_CLIENT: StaticHeaderName = StaticHeaderName::new("x-gerbang-client");
pub const X_GERBANG_GROUPS: StaticHeaderName = StaticHeaderName::new("x-gerbang-groups");
pub const X_GERBANG_IDENTITY: StaticHeaderName = StaticHeaderName::new("x-gerbang-identity");

/// The prefix of the identity headers Gerbang sets.
pub const IDENTITY_PREFIX: &str = "x-gerbang-";

/// True for a header that carries identity: Gerbang's own and those other auth proxies, access
/// gateways and apps use, so that an app trusting one of them cannot be told who the user is by
/// the client. Compared case-insensitively with `_` read as `-` (some upstreams fold one into
/// the other). A route adds its own names with `strip_headers`.
pub fn is_identity_header(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "x-forwarded-user",
        "x-forwarded-email",
        "x-forwarded-preferred-username",
        "x-forwarded-groups",
        "x-forwarded-access-token",
        "remote-user",
        "remote-groups",
        "remote-email",
        "remote-name",
        "x-user",
        "x-email",
        "x-authenticated-user",
        "x-auth-user",
        "x-username",
        "x-user-id",
    ];
    const PREFIXES: &[&str] = &[
        IDENTITY_PREFIX,
        "x-auth-request-",
        // Grafana's auth proxy (`X-WEBAUTH-USER`), Apache's `X-Remote-User` and its kin.
        "x-webauth-",
        "x-remote-",
        // Cloudflare Access, Google IAP, AWS ALB: apps behind them trust these.
        "cf-access-",
        "x-goog-authenticated-",
        "x-amzn-oidc-",
    ];
    EXACT.iter().any(|h| folded_eq(name, h)) || PREFIXES.iter().any(|p| folded_starts_with(name, p))
}

/// True for a header that says where the request came from or what it first asked for; the
/// gateway sets these itself.
pub fn is_forwarding_header(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "forwarded",
        "x-real-ip",
        "x-request-id",
        "x-original-url",
        "x-original-uri",
        "x-original-method",
        "x-rewrite-url",
        "true-client-ip",
        "cf-connecting-ip",
        "x-client-ip",
        "x-cluster-client-ip",
    ];
    EXACT.iter().any(|h| folded_eq(name, h)) || folded_starts_with(name, "x-forwarded-")
}

/// True for `name` in a route's own `strip_headers` list (lower case, `-`).
pub fn is_listed(name: &str, listed: &[String]) -> bool {
    listed.iter().any(|h| folded_eq(name, h))
}

/// True for a `Set-Cookie` value that would set one of the gateway's own cookies on the app's
/// host (its session, a pending login): an upstream app may not plant them in the browser.
/// Compared without regard to case, as browsers compare the `__Host-` prefix.
pub fn sets_gateway_cookie(set_cookie: &[u8]) -> bool {
    let name = set_cookie.trim_ascii_start();
    let name = &name[..name.iter().position(|&b| b == b'=').unwrap_or(name.len())];
    let session = session::COOKIE.as_bytes();
    let pending = login::PENDING_COOKIE_PREFIX.as_bytes();
    name.eq_ignore_ascii_case(session)
        || (name.len() >= pending.len() && name[..pending.len()].eq_ignore_ascii_case(pending))
}

/// True when a raw HTTP/1 request head has a `Content-Length` line. With `Transfer-Encoding`
/// also present the framing is ambiguous (request smuggling): such a request is refused, not
/// repaired, even though the parser would let `Transfer-Encoding` win.
pub fn head_declares_content_length(raw_head: &[u8]) -> bool {
    const NAME: &[u8] = b"content-length:";
    raw_head
        .split(|&b| b == b'\n')
        .skip(1)
        .any(|line| line.len() >= NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME))
}

/// The client's address: the peer's, unless the peer is a trusted proxy, in which case the
/// rightmost address of its `X-Forwarded-For` chain that is not itself a trusted proxy.
pub fn client_address(
    peer: std::net::IpAddr,
    chain: Option<&str>,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    chain
        .into_iter()
        .flat_map(|c| c.rsplit(','))
        .map_while(|entry| entry.trim().parse::<std::net::IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

/// Room for any address as text (the longest IPv6 address is 45 bytes).
pub const ADDRESS_TEXT: usize = 48;

/// `address` as text, written into `buf`: an IPv4 address digit by digit (its `Display` costs
/// several times as much, on every proxied request), an IPv6 address by `Display`.
pub fn address_text(address: std::net::IpAddr, buf: &mut [u8; ADDRESS_TEXT]) -> &[u8] {
    let length = match address {
        std::net::IpAddr::V4(v4) => {
            let mut at = 0;
            for (n, octet) in v4.octets().into_iter().enumerate() {
                if n > 0 {
                    buf[at] = b'.';
                    at += 1;
                }
                if octet >= 100 {
                    buf[at] = b'0' + octet / 100;
                    at += 1;
                }
                if octet >= 10 {
                    buf[at] = b'0' + octet / 10 % 10;
                    at += 1;
                }
                buf[at] = b'0' + octet % 10;
                at += 1;
            }
            at
        }
        std::net::IpAddr::V6(v6) => {
            use std::io::Write as _;
            let mut cursor = std::io::Cursor::new(&mut buf[..]);
            // Never fails: the longest address fits.
            let _ = write!(cursor, "{v6}");
            cursor.position() as usize
        }
    };
    &buf[..length]
}

/// HTTP/2 lets a browser send its cookies as several `cookie` fields (RFC 9113 section
/// 8.2.3); everything downstream of here, the gateway's own session checks and HTTP/1.1
/// upstreams alike, expects one. Joins them with `; ` into the first; `None` when there is
/// at most one field already.
pub fn joined_cookies<'a>(fields: impl Iterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut fields = fields.peekable();
    let first = fields.next()?;
    fields.peek()?;
    let mut joined = first.to_vec();
    for field in fields {
        joined.extend_from_slice(b"; ");
        joined.extend_from_slice(field);
    }
    Some(joined)
}

/// The `cookie` header an upstream receives: the client's, without the gateway's own cookies
/// (its session and pending logins), which are credentials for the gateway, not for the app.
/// `None` when nothing needs removing; `Some("")` when nothing is left.
pub fn without_gateway_cookies(header: &str) -> Option<String> {
    let is_ours = |pair: &str| {
        let name = cookie_header::name(pair);
        name == session::COOKIE || name.starts_with(login::PENDING_COOKIE_PREFIX)
    };
    if !header.contains("__Host-gerbang-") {
        return None;
    }
    // One pass over the pairs: a session cookie is several hundred bytes, on every request.
    let (mut kept, mut removed) = (String::with_capacity(header.len()), false);
    for pair in cookie_header::pairs(header) {
        if is_ours(pair) {
            removed = true;
            continue;
        }
        if !kept.is_empty() {
            kept.push_str("; ");
        }
        kept.push_str(pair.trim());
    }
    removed.then_some(kept)
}

fn fold(b: u8) -> u8 {
    if b == b'_' {
        b'-'
    } else {
        b.to_ascii_lowercase()
    }
}

fn folded_eq(name: &str, lower: &str) -> bool {
    name.len() == lower.len() && name.bytes().zip(lower.bytes()).all(|(a, b)| fold(a) == b)
}

fn folded_starts_with(name: &str, lower: &str) -> bool {
    name.len() >= lower.len() && name.bytes().zip(lower.bytes()).all(|(a, b)| fold(a) == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_written_as_display_writes_them() {
        let mut v4: Vec<std::net::IpAddr> =
            ["0.0.0.0", "255.255.255.255", "10.0.99.100", "192.168.1.9"]
                .iter()
                .map(|a| a.parse().unwrap())
                .collect();
        v4.extend(
            (0..=255u8).map(|o| {
                std::net::IpAddr::from(std::net::Ipv4Addr::new(o, 255 - o, o / 3, o % 10))
            }),
        );
        let v6 = [
            "::",
            "::1",
            "2001:db8::8a2e:370:7334",
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "::ffff:192.0.2.1",
        ]
        .iter()
        .map(|a| a.parse().unwrap());
        for address in v4.into_iter().chain(v6) {
            let mut buf = [0u8; ADDRESS_TEXT];
            assert_eq!(
                address_text(address, &mut buf),
                address.to_string().as_bytes()
            );
        }
    }

    #[test]
    fn the_gateways_cookies_stay_with_the_gateway() {
        assert_eq!(without_gateway_cookies("a=1; b=2"), None);
        assert_eq!(
            without_gateway_cookies(
                "a=1; __Host-gerbang-session=x; __Host-gerbang-login-s1=y; b=2"
            )
            .as_deref(),
            Some("a=1; b=2")
        );
        assert_eq!(
            without_gateway_cookies("__Host-gerbang-session=x").as_deref(),
            Some("")
        );
        assert_eq!(
            without_gateway_cookies("__Host-gerbang-sso=p").as_deref(),
            None,
            "the provider's own cookie is the provider's business"
        );
    }

    /// Found by the `cookies` fuzz target (fuzz/regressions/cookies/): a name with blanks
    /// after it was forwarded, though RFC 6265 has them removed and an app may read it as ours.
    #[test]
    fn blanks_around_a_name_do_not_hide_the_gateways_cookie() {
        assert_eq!(
            without_gateway_cookies("a=1; __Host-gerbang-session\t=x;__Host-gerbang-login-s \r")
                .as_deref(),
            Some("a=1")
        );
        assert_eq!(
            cookie_header::value("a=1; __Host-gerbang-session =x ", session::COOKIE),
            Some("x")
        );
    }

    #[test]
    fn apps_cannot_set_the_gateways_cookies() {
        assert!(sets_gateway_cookie(b"__Host-gerbang-session=x; Path=/"));
        assert!(sets_gateway_cookie(b" __HOST-Gerbang-login-s=y"));
        assert!(!sets_gateway_cookie(b"app=1; Path=/"));
        assert!(!sets_gateway_cookie(b"__Host-app=1"));
        assert!(
            !sets_gateway_cookie(b"__Host-gerbang-sso=p; Path=/"),
            "the provider's own cookie, on its own host"
        );
        assert!(!sets_gateway_cookie(b"__Host-gerbang-sessionx=1"));
        assert!(is_listed("X-My_App-User", &["x-my-app-user".into()]));
        assert!(!is_listed("X-My-App", &["x-my-app-user".into()]));
    }

    #[test]
    fn cookie_fields_are_joined() {
        let one: [&[u8]; 1] = [b"a=1"];
        assert_eq!(joined_cookies(one.into_iter()), None);
        assert_eq!(joined_cookies(std::iter::empty()), None);
        let three: [&[u8]; 3] = [b"a=1", b"b=2", b"c=3"];
        assert_eq!(
            joined_cookies(three.into_iter()).as_deref(),
            Some(&b"a=1; b=2; c=3"[..])
        );
    }

    #[test]
    fn identity_headers_in_every_spelling() {
        for name in [
            "X-Gerbang-User",
            "x-gerbang-identity",
            "X_GERBANG_EMAIL",
            "X-Forwarded-User",
            "x_forwarded_user",
            "X-Forwarded-Email",
            "X-Forwarded-Preferred-Username",
            "X-Auth-Request-User",
            "x-auth-request-email",
            "X_Auth_Request_Groups",
            "Remote-User",
            "REMOTE_USER",
            "Remote-Groups",
            "X-WEBAUTH-USER",
            "X-Remote-User",
            "X-Remote-Email",
            "X-Remote-Groups",
            "X-Authenticated-User",
            "X-Auth-User",
            "X-Username",
            "X-User-Id",
            "Cf-Access-Authenticated-User-Email",
            "Cf-Access-Jwt-Assertion",
            "X-Goog-Authenticated-User-Email",
            "X-Amzn-Oidc-Identity",
            "x_amzn_oidc_data",
        ] {
            assert!(is_identity_header(name), "{name}");
        }
        for name in [
            "X-Forwarded-For",
            "Authorization",
            "Cookie",
            "X-Gerbang",
            "Remote-Userx",
            "Accept",
        ] {
            assert!(!is_identity_header(name), "{name}");
        }
    }

    #[test]
    fn client_addresses() {
        let lb: std::net::IpAddr = "10.0.0.1".parse().unwrap();
        let peer: std::net::IpAddr = "203.0.113.9".parse().unwrap();
        let trusted = [lb];
        assert_eq!(
            client_address(peer, Some("1.2.3.4"), &trusted),
            peer,
            "an untrusted peer's chain is ignored"
        );
        assert_eq!(
            client_address(lb, Some("198.51.100.7"), &trusted).to_string(),
            "198.51.100.7"
        );
        assert_eq!(
            client_address(lb, Some("6.6.6.6, 198.51.100.7, 10.0.0.1"), &trusted).to_string(),
            "198.51.100.7"
        );
        assert_eq!(client_address(lb, Some("garbage"), &trusted), lb);
        assert_eq!(client_address(lb, None, &trusted), lb);
    }

    #[test]
    fn content_length_lines() {
        assert!(head_declares_content_length(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n"
        ));
        assert!(head_declares_content_length(
            b"POST / HTTP/1.1\r\ncontent-LENGTH:4\r\n"
        ));
        assert!(!head_declares_content_length(
            b"POST /content-length: HTTP/1.1\r\nHost: a\r\n"
        ));
        assert!(!head_declares_content_length(
            b"POST / HTTP/1.1\r\nX-Content-Length: 4\r\n"
        ));
    }

    #[test]
    fn forwarding_headers() {
        for name in [
            "X-Forwarded-For",
            "x_forwarded_host",
            "X-Forwarded-Proto",
            "X-Forwarded-Uri",
            "Forwarded",
            "X-Real-IP",
            "True-Client-IP",
            "CF-Connecting-IP",
            "X-Client-IP",
            "X-Original-URI",
        ] {
            assert!(is_forwarding_header(name), "{name}");
        }
        assert!(!is_forwarding_header("Host"));
    }
}
