//! Registered clients: the configured relying parties and the gateway's own client, and how
//! they authenticate at the token endpoint.

use std::sync::Arc;

use gerbang_config::{Client, GrantType, HostPattern};
use subtle::ConstantTimeEq;

use super::error::{ErrorCode, OAuthError};

pub use gerbang_config::GATEWAY_CLIENT_ID;

/// The gateway's redirect path on every route host.
pub const GATEWAY_CALLBACK_PATH: &str = "/_gerbang/callback";

#[derive(Debug, Clone)]
pub struct Registry {
    clients: Vec<Arc<Client>>,
    /// Route hosts the gateway client may be sent back to, and the public origin suffix.
    gateway_hosts: Vec<HostPattern>,
    public_port: String,
}

/// How a client presented itself at the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCredentials {
    /// `Authorization: Basic` (client_secret_basic).
    Basic { id: String, secret: String },
    /// `client_id` and `client_secret` in the form (client_secret_post).
    Post { id: String, secret: String },
    /// Only `client_id`: a public client, which must prove possession with PKCE.
    Public { id: String },
}

impl Registry {
    /// `gateway_secret` is the gateway client's secret (kept in the store); `routes` are the
    /// route hosts whose `/_gerbang/callback` the gateway client may use.
    pub fn new(
        clients: &[Client],
        gateway_secret: String,
        routes: &[HostPattern],
        public_port: String,
    ) -> Registry {
        let mut clients = clients.to_vec();
        clients.push(Client {
            id: GATEWAY_CLIENT_ID.into(),
            name: gerbang_config::Localized::plain("Gerbang"),
            secret: Some(gerbang_config::Secret::new(gateway_secret)),
            jwks_uri: None,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            backchannel_logout_uri: None,
            web_origins: Vec::new(),
            scopes: ["openid", "profile", "email", "phone"]
                .map(String::from)
                .to_vec(),
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            id_token_signed_response_alg: Default::default(),
            access_token_signed_response_alg: Default::default(),
            first_party: true,
            groups: Vec::new(),
            required_groups: Vec::new(),
        });
        Registry {
            clients: clients.into_iter().map(Arc::new).collect(),
            gateway_hosts: routes.to_vec(),
            public_port,
        }
    }

    pub fn get(&self, id: &str) -> Option<Arc<Client>> {
        self.clients.iter().find(|c| c.id == id).cloned()
    }

    pub fn all(&self) -> &[Arc<Client>] {
        &self.clients
    }

    /// Exact match against the registered URIs; for the gateway, `https://<route host><port>/_gerbang/callback`.
    pub fn redirect_uri_allowed(&self, client: &Client, uri: &str) -> bool {
        if client.id != GATEWAY_CLIENT_ID {
            return client
                .redirect_uris
                .iter()
                .any(|r| r == uri || same_loopback_redirect(r, uri));
        }
        let Ok(url) = url::Url::parse(uri) else {
            return false;
        };
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        url.scheme() == "https"
            && url.path() == GATEWAY_CALLBACK_PATH
            && url.query().is_none()
            && url.fragment().is_none()
            && url.username().is_empty()
            && port == self.public_port
            && url
                .host_str()
                .is_some_and(|h| self.gateway_hosts.iter().any(|p| p.matches(h)))
    }

    /// The client that `credentials` authenticate, or `invalid_client`.
    pub fn authenticate(&self, credentials: &ClientCredentials) -> Result<Arc<Client>, OAuthError> {
        let invalid = || OAuthError::new(ErrorCode::InvalidClient, "client authentication failed");
        let (id, secret) = match credentials {
            ClientCredentials::Basic { id, secret } | ClientCredentials::Post { id, secret } => {
                (id, Some(secret))
            }
            ClientCredentials::Public { id } => (id, None),
        };
        let client = self.get(id).ok_or_else(invalid)?;
        match (&client.secret, secret) {
            (Some(expected), Some(given))
                if bool::from(expected.expose().as_bytes().ct_eq(given.as_bytes())) =>
            {
                Ok(client)
            }
            // A client with keys authenticates with an assertion, never by its id alone.
            (None, None) if client.jwks_uri.is_none() => Ok(client),
            _ => Err(invalid()),
        }
    }
}

/// RFC 8252 section 7.3: a native app's loopback redirect (`http://127.0.0.1/…` or
/// `http://[::1]/…`, an IP literal, never `localhost`) may use any port; everything else about
/// it must match the registered URI exactly.
fn same_loopback_redirect(registered: &str, requested: &str) -> bool {
    let (Ok(registered), Ok(mut requested)) =
        (url::Url::parse(registered), url::Url::parse(requested))
    else {
        return false;
    };
    let loopback = matches!(
        registered.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || matches!(registered.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback());
    if registered.scheme() != "http" || !loopback || requested.set_port(registered.port()).is_err()
    {
        return false;
    }
    requested == registered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        let rp = Client {
            id: "rp".into(),
            name: "RP".into(),
            secret: Some(gerbang_config::Secret::new("rp-secret-0123456789".into())),
            jwks_uri: None,
            redirect_uris: vec!["https://rp.example/cb".into()],
            post_logout_redirect_uris: vec![],
            backchannel_logout_uri: None,
            web_origins: Vec::new(),
            scopes: vec!["openid".into()],
            grant_types: vec![GrantType::AuthorizationCode],
            id_token_signed_response_alg: Default::default(),
            access_token_signed_response_alg: Default::default(),
            first_party: false,
            groups: Vec::new(),
            required_groups: Vec::new(),
        };
        let public = Client {
            id: "spa".into(),
            secret: None,
            ..rp.clone()
        };
        let native = Client {
            id: "native".into(),
            secret: None,
            redirect_uris: vec!["http://127.0.0.1/cb".into(), "http://[::1]/cb".into()],
            ..rp.clone()
        };
        let keyed = Client {
            id: "keyed".into(),
            secret: None,
            jwks_uri: Some("https://keyed.example/jwks".into()),
            ..rp.clone()
        };
        Registry::new(
            &[rp, public, native, keyed],
            "gw-secret".into(),
            &[
                HostPattern::Exact("app.localhost".into()),
                HostPattern::Wildcard {
                    suffix: ".apps.localhost".into(),
                },
            ],
            ":8443".into(),
        )
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let r = registry();
        let rp = r.get("rp").unwrap();
        assert!(r.redirect_uri_allowed(&rp, "https://rp.example/cb"));
        for bad in [
            "https://rp.example/cb/",
            "https://rp.example/cb?x=1",
            "https://RP.example/cb",
            "https://rp.example/cb#f",
        ] {
            assert!(!r.redirect_uri_allowed(&rp, bad), "{bad}");
        }
        let native = r.get("native").unwrap();
        for good in [
            "http://127.0.0.1/cb",
            "http://127.0.0.1:51234/cb",
            "http://[::1]:8080/cb",
        ] {
            assert!(r.redirect_uri_allowed(&native, good), "{good}");
        }
        for bad in [
            "http://127.0.0.1:51234/other",
            "http://localhost:51234/cb",
            "https://127.0.0.1:51234/cb",
            "http://127.0.0.1:51234/cb?x=1",
            "http://127.0.0.2:51234/cb",
        ] {
            assert!(!r.redirect_uri_allowed(&native, bad), "{bad}");
        }
        let gw = r.get(GATEWAY_CLIENT_ID).unwrap();
        assert!(r.redirect_uri_allowed(&gw, "https://app.localhost:8443/_gerbang/callback"));
        assert!(r.redirect_uri_allowed(&gw, "https://x.apps.localhost:8443/_gerbang/callback"));
        for bad in [
            "https://evil.example:8443/_gerbang/callback",
            "https://app.localhost/_gerbang/callback",
            "http://app.localhost:8443/_gerbang/callback",
            "https://app.localhost:8443/_gerbang/callback?next=//evil",
            "https://app.localhost:8443/other",
            "https://user@app.localhost:8443/_gerbang/callback",
        ] {
            assert!(!r.redirect_uri_allowed(&gw, bad), "{bad}");
        }
    }

    #[test]
    fn authentication() {
        let r = registry();
        let ok = ClientCredentials::Basic {
            id: "rp".into(),
            secret: "rp-secret-0123456789".into(),
        };
        assert_eq!(
            r.authenticate(&ok).map(|c| c.id.clone()),
            Ok("rp".to_string())
        );
        let wrong = ClientCredentials::Post {
            id: "rp".into(),
            secret: "nope".into(),
        };
        assert!(r.authenticate(&wrong).is_err());
        assert!(
            r.authenticate(&ClientCredentials::Public { id: "rp".into() })
                .is_err(),
            "a confidential client must authenticate"
        );
        assert!(r
            .authenticate(&ClientCredentials::Public { id: "spa".into() })
            .is_ok());
        assert!(r
            .authenticate(&ClientCredentials::Basic {
                id: "spa".into(),
                secret: "x".into()
            })
            .is_err());
        assert!(r
            .authenticate(&ClientCredentials::Public { id: "ghost".into() })
            .is_err());
        assert!(
            r.authenticate(&ClientCredentials::Public { id: "keyed".into() })
                .is_err(),
            "a private_key_jwt client is not public"
        );
    }
}
