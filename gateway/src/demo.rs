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

/// The demo's configuration, with paths under `base`.
pub fn config(base: &Path) -> Result<Config, GatewayError> {
    let env = |name: &str| std::env::var(name).ok();
    Ok(Config::parse(
        DEMO_CONFIG,
        Path::new("config/demo.toml"),
        base,
        &env,
    )?)
}

/// The example apps behind the demo's routes, each on its configured upstream address.
pub fn example_apps(config: &Config) -> Result<ExtraServices, GatewayError> {
    let mut services: ExtraServices = Vec::new();
    for route in &config.routes {
        let address = route.upstreams.first().cloned().unwrap_or_default();
        let listener =
            std::net::TcpListener::bind(&address).map_err(|source| GatewayError::Listen {
                address: format!("{address} (example app `{}`)", route.name),
                source,
            })?;
        let name = format!("example app {}", route.name);
        let app = gerbang_examples::app(&route.name, &route.title);
        services.push(Box::new(background_service(
            &name,
            HttpService::new(&name, listener, app),
        )));
    }
    Ok(services)
}

/// What to open, printed once at start.
pub fn banner(config: &Config) -> String {
    let port = config
        .provider
        .issuer
        .port()
        .map(|p| format!(":{p}"))
        .unwrap_or_default();
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
    out.push_str("Mail is written to ./data/outbox. Stop with Ctrl-C.\n");
    out
}
