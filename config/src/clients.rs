//! The `[[client]]` tables: relying parties of the provider.

use std::collections::HashSet;

use url::Url;

use crate::model::{Client, GrantType, Group, JwsAlg, Localized, SUPPORTED_SCOPES};
use crate::raw::{RawClient, S};
use crate::validate::Checker;

/// The client id the gateway itself uses; no configured client may take it.
pub const GATEWAY_CLIENT_ID: &str = "gerbang-gateway";

impl Checker<'_> {
    pub(crate) fn clients(&mut self, raw: &[S<RawClient>], groups: &[Group]) -> Vec<Client> {
        let mut seen = HashSet::new();
        let mut clients = Vec::new();
        for (i, c) in raw.iter().enumerate() {
            let id = c.get_ref().id.get_ref();
            if !seen.insert(id.clone()) {
                self.report(
                    c.get_ref().id.span(),
                    format!("client[{i}].id"),
                    format!("duplicate client id `{id}`"),
                );
            }
            if let Some(client) = self.client(i, c.get_ref(), groups) {
                clients.push(client);
            }
        }
        clients
    }

    fn client(&mut self, index: usize, c: &RawClient, groups: &[Group]) -> Option<Client> {
        let key = |k: &str| format!("client[{index}].{k}");
        let id = c.id.get_ref();
        self.client_id(index, c);
        let secret = match &c.secret {
            Some(s) => Some(self.secret(s, &key("secret"))?),
            None => None,
        };
        if let (Some(value), Some(raw)) = (&secret, &c.secret) {
            if value.expose().len() < 16 {
                self.report(
                    raw.span(),
                    key("secret"),
                    "a client secret must be at least 16 characters",
                );
            }
        }
        let jwks_uri = self.client_jwks_uri(c, &key("jwks_uri"));
        let redirect_uris = self.uris(&c.redirect_uris, &key("redirect_uris"));
        let post_logout = self.uris(
            &c.post_logout_redirect_uris,
            &key("post_logout_redirect_uris"),
        );
        let backchannel = c.backchannel_logout_uri.as_ref().and_then(|u| {
            self.uris(std::slice::from_ref(u), &key("backchannel_logout_uri"))
                .pop()
        });
        let web_origins = self.origins(&c.web_origins, &key("web_origins"));
        let released_groups = self.group_patterns(&c.groups, &key("groups"), groups);
        let required_groups = self.group_names(&c.required_groups, &key("required_groups"), groups);
        let scopes = self.scopes(index, c);
        let grant_types = self.grant_types(index, c, secret.is_some() || c.jwks_uri.is_some());
        if grant_types.contains(&GrantType::AuthorizationCode) && c.redirect_uris.is_empty() {
            self.report(
                c.id.span(),
                key("redirect_uris"),
                "the authorization_code grant needs at least one redirect URI",
            );
        }
        let id_token_signed_response_alg = self.jws_alg(
            &c.id_token_signed_response_alg,
            key("id_token_signed_response_alg"),
        );
        let access_token_signed_response_alg = self.jws_alg(
            &c.access_token_signed_response_alg,
            key("access_token_signed_response_alg"),
        );
        Some(Client {
            id: id.clone(),
            name: c
                .name
                .as_ref()
                .map_or_else(|| Localized::plain(id.clone()), Localized::from),
            secret,
            jwks_uri: jwks_uri?,
            redirect_uris,
            post_logout_redirect_uris: post_logout,
            backchannel_logout_uri: backchannel,
            web_origins,
            scopes,
            grant_types,
            first_party: c.first_party,
            groups: released_groups?,
            required_groups: required_groups?,
            id_token_signed_response_alg,
            access_token_signed_response_alg,
        })
    }

    /// Where a `private_key_jwt` client publishes its keys: https (http only on loopback), and
    /// instead of a secret, never beside one.
    fn client_jwks_uri(&mut self, c: &RawClient, key: &str) -> Option<Option<String>> {
        let Some(raw) = &c.jwks_uri else {
            return Some(None);
        };
        if c.secret.is_some() {
            let message = "a client authenticates with a `secret` or with the keys at `jwks_uri` (private_key_jwt), not both";
            self.report(raw.span(), key, message);
            return None;
        }
        Some(Some(self.https_url(raw, key, "a JWK set address")?))
    }

    /// A client id: letters, digits, `-`, `_` and `.`, and not the gateway's own.
    fn client_id(&mut self, index: usize, c: &RawClient) {
        let key = |k: &str| format!("client[{index}].{k}");
        let id = c.id.get_ref();
        if id == GATEWAY_CLIENT_ID {
            self.report(
                c.id.span(),
                key("id"),
                format!("`{GATEWAY_CLIENT_ID}` is the gateway's own client: choose another id"),
            );
        } else if id.is_empty()
            || !id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch))
        {
            self.report(
                c.id.span(),
                key("id"),
                "a client id is letters, digits, `-`, `_` and `.`",
            );
        }
    }

    /// The scopes a client may be granted: the default set, or those listed (each supported).
    fn scopes(&mut self, index: usize, c: &RawClient) -> Vec<String> {
        let key = |k: &str| format!("client[{index}].{k}");
        match &c.scopes {
            // A client told which groups it may learn may ask for them.
            None => ["openid", "profile", "email", "phone", "groups"]
                .into_iter()
                .filter(|s| *s != "groups" || !c.groups.is_empty())
                .map(String::from)
                .collect(),
            Some(list) => list
                .iter()
                .filter_map(|s| {
                    if SUPPORTED_SCOPES.contains(&s.get_ref().as_str()) {
                        Some(s.get_ref().clone())
                    } else {
                        self.report(
                            s.span(),
                            key("scopes"),
                            format!(
                                "unknown scope `{}`: use {}",
                                s.get_ref(),
                                SUPPORTED_SCOPES.join(", ")
                            ),
                        );
                        None
                    }
                })
                .collect(),
        }
    }

    /// The grants a client may use (client credentials only with a secret); never implicit or
    /// password.
    fn grant_types(&mut self, index: usize, c: &RawClient, confidential: bool) -> Vec<GrantType> {
        let key = |k: &str| format!("client[{index}].{k}");
        match &c.grant_types {
            None => vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            Some(list) => list
                .iter()
                .filter_map(|g| match g.get_ref().as_str() {
                    "authorization_code" => Some(GrantType::AuthorizationCode),
                    "refresh_token" => Some(GrantType::RefreshToken),
                    "client_credentials" if confidential => Some(GrantType::ClientCredentials),
                    "client_credentials" => {
                        self.report(g.span(), key("grant_types"), "client_credentials needs a confidential client: give it a `secret` or a `jwks_uri`");
                        None
                    }
                    other => {
                        self.report(
                            g.span(),
                            key("grant_types"),
                            format!("`{other}` is not a grant Gerbang offers: use authorization_code, refresh_token or client_credentials (no implicit, no password)"),
                        );
                        None
                    }
                })
                .collect(),
        }
    }

    /// A token signing algorithm a client asks for: RS256 (the default) or ES256.
    fn jws_alg(&mut self, raw: &Option<S<String>>, key: String) -> JwsAlg {
        let Some(alg) = raw else {
            return JwsAlg::default();
        };
        match alg.get_ref().as_str() {
            "RS256" => JwsAlg::Rs256,
            "ES256" => JwsAlg::Es256,
            "none" => {
                self.report(
                    alg.span(),
                    key,
                    "unsigned tokens are never issued: use RS256 or ES256",
                );
                JwsAlg::default()
            }
            other => {
                self.report(
                    alg.span(),
                    key,
                    format!("`{other}` is not offered: use RS256 or ES256"),
                );
                JwsAlg::default()
            }
        }
    }

    /// Absolute `https` URIs (or `http` on loopback), without fragment, kept as written: they
    /// are compared by exact string match.
    /// Web origins: `https://host[:port]` (http only on loopback), no path, query or fragment;
    /// kept as browsers send them in `Origin` (lower case, no default port, no trailing `/`).
    fn origins(&mut self, raw: &[S<String>], key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for o in raw {
            let text = o.get_ref();
            let origin = Url::parse(text).ok().filter(|url| {
                let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
                (url.scheme() == "https" || (url.scheme() == "http" && loopback))
                    && url.path() == "/"
                    && url.query().is_none()
                    && url.fragment().is_none()
                    && url.username().is_empty()
            });
            match origin {
                Some(url) => out.push(url.origin().ascii_serialization()),
                None => self.report(
                    o.span(),
                    key,
                    format!("`{text}` is not a web origin: scheme, host and port only, like `https://app.example.id` (http only on loopback)"),
                ),
            }
        }
        out
    }

    fn uris(&mut self, raw: &[S<String>], key: &str) -> Vec<String> {
        let mut out = Vec::new();
        for u in raw {
            let text = u.get_ref();
            let ok = Url::parse(text).is_ok_and(|url| {
                let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
                (url.scheme() == "https" || (url.scheme() == "http" && loopback))
                    && url.fragment().is_none()
                    && url.host_str().is_some()
            });
            if ok {
                out.push(text.clone());
            } else {
                self.report(u.span(), key, format!("`{text}` is not an absolute https URI without fragment (http only on loopback)"));
            }
        }
        out
    }
}
