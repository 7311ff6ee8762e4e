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
