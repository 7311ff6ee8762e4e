//! The forward-auth endpoint's reading of the original request from a front proxy's headers
//! (nginx `auth_request`, Traefik `forwardAuth`, Caddy `forward_auth`). Only a trusted peer is
//! read; what is read is a normal host and an absolute path, each from exactly one header.

use std::net::{IpAddr, Ipv4Addr};

use gerbang::proxy::forward_auth::{original, Refusal};
use gerbang::routes::table::request_host;
use gerbang_config::FrontProxy;
use pingora::http::RequestHeader;

const PROXY: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The input is header lines, `name: value`.
pub fn check(data: &[u8]) {
    let Ok(mut req) =
        RequestHeader::build("GET", gerbang::proxy::forward_auth::PATH.as_bytes(), None)
    else {
        return;
    };
    for line in data.split(|&b| b == b'\n') {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let Ok(name) = http::HeaderName::from_bytes(name) else {
            continue;
        };
        let Ok(value) = http::HeaderValue::from_bytes(value.trim_ascii()) else {
            continue;
        };
        let _ = req.append_header(name, value);
    }
    for proxy in [FrontProxy::Nginx, FrontProxy::Traefik, FrontProxy::Caddy] {
        let other = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        assert!(matches!(
            original(&req, proxy, Some(other), &[PROXY]),
            Err(Refusal::NotTrusted)
        ));
        assert!(matches!(
            original(&req, proxy, None, &[PROXY]),
            Err(Refusal::NotTrusted)
        ));
        if let Ok(found) = original(&req, proxy, Some(PROXY), &[PROXY]) {
            assert!(found.uri.starts_with('/'), "{:?}", found.uri);
            assert_eq!(request_host(&found.host).as_deref(), Some(&*found.host));
        }
    }
}
