//! `gerbang demo`: the whole thing on its embedded defaults, in one command. The demo's
//! configuration (`config/demo.toml`) is built in; its relative paths are taken from the
//! directory the command runs in, so the data lands in `./data`.

use std::path::Path;

use gerbang_config::Config;
use pingora::services::background::background_service;

use crate::error::GatewayError;
use crate::http_service::HttpService;
use crate::serve::ExtraServices;

pub const DEMO_CONFIG: &str = include_str!("../../config/demo.toml");

/// The loopback ports the demo listens on (gateway, internal listener, example apps).
const DEMO_PORTS: [u16; 6] = [8080, 8443, 9464, 9101, 9102, 9103];

/// The demo's configuration, with paths under `base` and every port moved up by
/// `port_offset` (`gerbang demo --port-offset`, so a second demo or a test can run beside one).
pub fn config(base: &Path, port_offset: u16) -> Result<Config, GatewayError> {
    let env = |name: &str| std::env::var(name).ok();
    Ok(Config::parse(
        &shifted(DEMO_CONFIG, port_offset),
        Path::new("config/demo.toml"),
        base,
        &env,
    )?)
}

/// `text` with each of the demo's ports (written `:PORT` and not followed by a digit) moved up
/// by `offset`; lines stay where they are, so problems still name the file's own lines.
fn shifted(text: &str, offset: u16) -> String {
    if offset == 0 {
        return text.to_string();
    }
    let mut out = text.to_string();
    for port in DEMO_PORTS {
        let (from, to) = (
            format!(":{port}"),
            format!(":{}", port.saturating_add(offset)),
        );
        let mut rest = out.as_str();
        let mut next = String::with_capacity(out.len());
        while let Some(at) = rest.find(&from) {
            let after = &rest[at + from.len()..];
            next.push_str(&rest[..at]);
            if after.starts_with(|c: char| c.is_ascii_digit()) {
                next.push_str(&from);
            } else {
                next.push_str(&to);
            }
            rest = after;
        }
        next.push_str(rest);
        out = next;
    }
    out
}

/// The example apps behind the demo's routes, each on its configured upstream address; those
/// that receive the identity JWT check it against the provider's JWKS, reached through the
/// demo's own HTTPS listener and development CA.
pub fn example_apps(config: &Config) -> Result<ExtraServices, GatewayError> {
    if let Some(tls) = &config.tls {
        crate::devcert::ensure(tls, crate::devcert::names(config))?;
    }
    let ca_pem = config
        .tls
        .as_ref()
        .and_then(|t| std::fs::read(t.cert.parent()?.join("ca.pem")).ok());
    let issuer = config.provider.issuer.as_str().trim_end_matches('/');
    let mut services: ExtraServices = Vec::new();
    for route in &config.routes {
        let address = route.upstreams.first().cloned().unwrap_or_default();
        let listener =
            std::net::TcpListener::bind(&address).map_err(|source| GatewayError::Listen {
                address: format!("{address} (example app `{}`)", route.name),
                source,
            })?;
        let name = format!("example app {}", route.name);
        let verifier = match (route.forward.jwt, config.server.https) {
            (true, Some(https)) => Some(gerbang_examples::identity::Verifier::new(
                issuer,
                &route.name,
                gerbang_examples::identity::JwksSource {
                    url: format!("{issuer}/jwks"),
                    ca_pem: ca_pem.clone(),
                    resolve: Some((config.provider.host.clone(), https)),
                },
            )),
            _ => None,
        };
        let app = match (
            config.clients.iter().find(|c| c.id == route.name),
            config.server.https,
        ) {
            // An app with a client of its own is an OIDC relying party of the provider.
            (Some(client), Some(https)) => {
                let mut http = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .resolve(&config.provider.host, https);
                if let Some(pem) = &ca_pem {
                    let ca = reqwest::Certificate::from_pem(pem)
                        .map_err(|e| GatewayError::Demo(e.to_string()))?;
                    http = http.add_root_certificate(ca);
                }
                let port = config.public_port();
                gerbang_examples::relying_party::app(gerbang_examples::relying_party::RpConfig {
                    name: route.name.clone(),
                    issuer: issuer.to_string(),
                    client_id: client.id.clone(),
                    client_secret: client
                        .secret
                        .as_ref()
                        .map(|s| s.expose().to_string())
                        .unwrap_or_default(),
                    origin: format!("https://{}{port}", route.host),
                    http: http
                        .build()
                        .map_err(|e| GatewayError::Demo(e.to_string()))?,
                    jwks: gerbang_examples::identity::JwksSource {
                        url: format!("{issuer}/jwks"),
                        ca_pem: ca_pem.clone(),
                        resolve: Some((config.provider.host.clone(), https)),
                    },
                })
            }
            _ => gerbang_examples::app_verifying(&route.name, route.title.get("id"), verifier),
        };
        services.push(Box::new(background_service(
            &name,
            HttpService::new(&name, listener, app)
                .serving_through(config.server.grace_period + config.server.shutdown_timeout),
        )));
    }
    Ok(services)
}

/// The demo's first user, made when the store has none: user name `demo` and a random
/// password, which is returned to be printed (once; it is stored only as a hash).
pub fn seed_user(config: &Config) -> Result<Option<String>, GatewayError> {
    use gerbang_idp::account::password::{temporary_password, Passwords};
    use gerbang_idp::store::{Email, Identity, NewUser, Nik, Phone, Profile, UserStatus};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(GatewayError::Runtime)?;
    runtime.block_on(async {
        let store = crate::store::open(config).await?;
        if !store.users().await?.is_empty() {
            return Ok(None);
        }
        let password = temporary_password();
        let passwords = Passwords::new(1).map_err(|e| GatewayError::Demo(e.to_string()))?;
        let hash = passwords
            .hash(&password)
            .await
            .map_err(|e| GatewayError::Demo(e.to_string()))?;
        let parsed = |e: String| GatewayError::Demo(format!("the demo account: {e}"));
        let user = NewUser {
            username: "demo".into(),
            email: Email::parse("demo@oss.localhost").map_err(|e| parsed(format!("{e:?}")))?,
            phone: Phone::parse("ID", "81234567890").map_err(|e| parsed(format!("{e:?}")))?,
            identity: Identity::Ktp {
                nik: Nik::parse("3171015008900001", None).map_err(|e| parsed(format!("{e:?}")))?,
            },
            status: UserStatus::Active,
            password_hash: Some(hash),
            must_change_password: false,
            profile: Profile {
                full_name: Some("Pengguna Demo".into()),
                country: Some("ID".into()),
                ..Profile::default()
            },
            pending: Default::default(),
            locale: None,
            links: Vec::new(),
        };
        store
            .create_user(user, None, gerbang_idp::clock::now())
            .await?;
        Ok(Some(password))
    })
}

/// What to open, printed once at start.
pub fn banner(config: &Config, demo_password: Option<&str>) -> String {
    let port = config.public_port();
    let mut out = String::from("\nGerbang demo is running. Open:\n");
    for route in &config.routes {
        out.push_str(&format!(
            "  https://{}{port}/   {} ({:?})\n",
            route.host, route.title, route.policy
        ));
    }
    out.push_str(&format!(
        "  {}   the sign-on provider\n",
        config.provider.issuer
    ));
    if let Some(tls) = &config.tls {
        let ca = tls.cert.parent().unwrap_or(Path::new(".")).join("ca.pem");
        out.push_str(&format!(
            "The certificate is a development one: trust {} in your browser, or accept the warning.\n",
            ca.display()
        ));
    }
    match demo_password {
        Some(password) => out.push_str(&format!(
            "Log in as user `demo` with password `{password}` (shown this once; add users with `gerbang users add`).\n"
        )),
        None => out.push_str("Log in with a user you made before (`gerbang users add`); the first run printed the `demo` password.\n"),
    }
    out.push_str("Mail is written to ./data/outbox. Stop with Ctrl-C.\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_port_moves_and_nothing_else() {
        let text = "https = \"127.0.0.1:8443\"\nissuer = \"https://sso.localhost:8443\"\nx = \"127.0.0.1:84430\"\nupstreams = [\"127.0.0.1:9102\"]\n";
        assert_eq!(
            shifted(text, 1000),
            "https = \"127.0.0.1:9443\"\nissuer = \"https://sso.localhost:9443\"\nx = \"127.0.0.1:84430\"\nupstreams = [\"127.0.0.1:10102\"]\n"
        );
        assert_eq!(shifted(text, 0), text);
        let config = config(Path::new("/tmp"), 10_000).unwrap();
        assert_eq!(config.server.https.unwrap().port(), 18_443);
        assert_eq!(
            config.provider.issuer.as_str(),
            "https://sso.localhost:18443/"
        );
        assert!(config
            .routes
            .iter()
            .all(|r| r.upstreams.iter().all(|u| u.contains(":191"))));
    }
}
