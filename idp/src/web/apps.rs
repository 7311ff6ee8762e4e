//! The apps people log in to, by the names they know them by: a gateway route's title, an
//! OIDC client's name, in the reader's language.

use gerbang_config::{HostPattern, GATEWAY_CLIENT_ID};

use super::i18n::Lang;
use crate::protocol::authorize::AuthorizationRequest;
use crate::provider::Provider;

/// The title of the route an app origin (`https://host:port`) belongs to; the host itself
/// when no route has it.
pub(super) fn route_title(p: &Provider, lang: Lang, origin: &str) -> String {
    let host = origin.split("://").last().unwrap_or(origin);
    let host = host.split(['/', ':']).next().unwrap_or(host);
    p.config()
        .routes
        .iter()
        .find(|r| matches!(&r.host, HostPattern::Exact(h) if h == host))
        .map_or_else(
            || host.to_string(),
            |r| r.title.get(lang.code()).to_string(),
        )
}

/// Where a person who left an app's login (to register) goes back to: the app's own address,
/// the origin of its registered redirect URI (for the gateway, the route's path on that host).
pub(super) fn address(p: &Provider, request: &AuthorizationRequest) -> Option<String> {
    let url = url::Url::parse(&request.redirect_uri).ok()?;
    let origin = url.origin().ascii_serialization();
    let host = url.host_str()?;
    let path = match request.client_id == GATEWAY_CLIENT_ID {
        true => p
            .config()
            .routes
            .iter()
            .find(|r| matches!(&r.host, HostPattern::Exact(h) if h == host))
            .map_or_else(|| "/".to_string(), |r| r.path_prefix.clone()),
        false => "/".to_string(),
    };
    Some(format!("{origin}{path}"))
}

/// The app an authorization request is for: the route whose callback the gateway asks the
/// user back to, or the client's own name.
pub(super) fn requesting(
    p: &Provider,
    lang: Lang,
    request: &AuthorizationRequest,
) -> Option<String> {
    if request.client_id == GATEWAY_CLIENT_ID {
        return Some(route_title(p, lang, &request.redirect_uri));
    }
    p.clients()
        .get(&request.client_id)
        .map(|c| c.name.get(lang.code()).to_string())
}
