//! Puts a validated configuration to work: the store, the embedded provider, the proxy with its
//! routes and health checks, and the listeners, all in one Pingora server.

use std::sync::Arc;

use cookie::Key;
use gerbang_config::{Config, Policy};
use gerbang_idp::provider::Provider;
use gerbang_idp::store::SharedStore;
use pingora::lb::health_check::TcpHealthCheck;
use pingora::lb::LoadBalancer;
use pingora::listeners::tls::TlsSettings;
use pingora::prelude::*;
use pingora::server::configuration::ServerConf;
use pingora::server::RunArgs;
use pingora::services::background::background_service;
use pingora::services::ServiceWithDependents;

use crate::devcert;
use crate::error::GatewayError;
use crate::http_service::HttpService;
use crate::proxy::auth::Auth;
use crate::proxy::callback::RelyingParty;
use crate::proxy::route::RouteTable;
use crate::proxy::session::Revocations;
use crate::proxy::{Gateway, Upstream, PROVIDER_ROUTE};

/// What every listener's gateway shares.
struct GatewayParts<'a> {
    config: &'a Config,
    auth: Arc<Auth>,
    routes: Arc<RouteTable<Arc<Upstream>>>,
}

/// Services that run beside the gateway (the demo's example apps).
pub type ExtraServices = Vec<Box<dyn ServiceWithDependents>>;

/// Runs until SIGTERM (graceful: in-flight requests finish) or SIGINT.
pub fn run(config: Config, extra: ExtraServices) -> Result<(), GatewayError> {
    if let Some(tls) = &config.tls {
        if devcert::ensure(tls, devcert::names(&config))? {
            tracing::warn!(cert = %tls.cert.display(), "made a self-signed development certificate: trust ca.pem beside it in your browser, never use it in production");
        }
    }
    let startup = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(GatewayError::Runtime)?;
    let store: SharedStore = startup.block_on(crate::store::open(&config))?;
    let cookie_key = match &config.session.cookie_secret {
        Some(secret) => Key::derive_from(secret.expose().as_bytes()),
        None => {
            let bytes = startup
                .block_on(store.secret("cookie-key", &|| Key::generate().master().to_vec()))?;
            Key::try_from(bytes.as_slice())
                .map_err(|_| GatewayError::Tls("the stored cookie key is malformed".into()))?
        }
    };
    let config = Arc::new(config);
    let provider = startup.block_on(Provider::start(Arc::clone(&config), Arc::clone(&store)))?;
    drop(startup);

    let mut conf = ServerConf {
        threads: config.server.threads,
        grace_period_seconds: Some(config.server.grace_period.as_secs()),
        graceful_shutdown_timeout_seconds: Some(config.server.shutdown_timeout.as_secs()),
        ..ServerConf::default()
    };
    conf.work_stealing = true;
    conf.ca_file = config
        .server
        .upstream_ca
        .as_ref()
        .map(|p| p.display().to_string());
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();

    let provider_listener = bind("127.0.0.1:0")?;
    let provider_address =
        provider_listener
            .local_addr()
            .map_err(|source| GatewayError::Listen {
                address: "127.0.0.1:0".into(),
                source,
            })?;
    server.add_service(background_service(
        "provider",
        HttpService::new(
            "provider",
            provider_listener,
            gerbang_idp::web::router(Arc::clone(&provider)),
        ),
    ));

    let mailer = gerbang_idp::mail::Mailer::new(&config.mail)?;
    server.add_service(background_service(
        "mail outbox",
        MailOutbox {
            provider: Arc::clone(&provider),
            mailer: Arc::new(mailer),
        },
    ));

    let revocations = Arc::new(Revocations::default());
    server.add_service(background_service(
        "shared state",
        SharedStateFeed {
            provider: Arc::clone(&provider),
            revocations: Arc::clone(&revocations),
        },
    ));
    let auth = Arc::new(Auth {
        rp: RelyingParty::new(
            Arc::clone(&provider),
            format!("http://{provider_address}/token"),
        )?,
        provider: Arc::clone(&provider),
        revocations,
        cookie_key,
        session_lifetime: config.session.absolute_timeout.as_secs(),
        verified: Default::default(),
    });
    let (routes, configured) = build_routes(&config, provider_address.to_string(), &mut server)?;
    if let Some(address) = config.server.internal {
        if !address.ip().is_loopback() {
            tracing::warn!(%address, "the internal listener (metrics, health) is not on loopback: it has no authentication, keep it on a private network");
        }
        let listener = bind(&address.to_string())?;
        server.add_service(background_service(
            "internal",
            HttpService::new(
                "internal",
                listener,
                crate::internal::router(Arc::clone(&provider), configured),
            ),
        ));
    }
    if let Some(path) = crate::admin_socket::path(&config) {
        server.add_service(background_service(
            "admin socket",
            crate::admin_socket::AdminSocket {
                path,
                config: Arc::clone(&config),
                provider: Arc::clone(&provider),
            },
        ));
    }
    let parts = GatewayParts {
        config: &config,
        auth,
        routes: Arc::new(routes),
    };
    add_listeners(&mut server, parts)?;
    for service in extra {
        server.add_boxed_service(service);
    }
    if config.captcha.test_answer.is_some() {
        tracing::warn!(
            "captcha test mode is on: a fixed answer passes every captcha; never in production"
        );
    }
    tracing::info!(issuer = %config.provider.issuer, routes = config.routes.len(), "gerbang started");
    server.run(RunArgs::default());
    Ok(())
}

fn bind(address: &str) -> Result<std::net::TcpListener, GatewayError> {
    std::net::TcpListener::bind(address).map_err(|source| GatewayError::Listen {
        address: address.into(),
        source,
    })
}

type Routes = RouteTable<Arc<Upstream>>;

/// The route table: the provider's host first, then every configured route with a health-checked,
/// round-robin set of upstreams; and the configured routes in order.
fn build_routes(
    config: &Config,
    provider_address: String,
    server: &mut Server,
) -> Result<(Routes, Vec<Arc<Upstream>>), GatewayError> {
    let mut table = RouteTable::default();
    let mut configured = Vec::with_capacity(config.routes.len());
    let provider = LoadBalancer::try_from_iter([provider_address]).map_err(|source| {
        GatewayError::Upstream {
            route: "provider".into(),
            source,
        }
    })?;
    table.insert(
        &gerbang_config::HostPattern::Exact(config.provider.host.clone()),
        "/",
        Arc::new(Upstream {
            name: PROVIDER_ROUTE.into(),
            policy: Policy::Public,
            forward: gerbang_config::Forward::default(),
            api_clients: Vec::new(),
            balancer: Arc::new(provider),
            tls: None,
            addresses: 1,
            metrics_id: 0,
        }),
    );
    for (index, route) in config.routes.iter().enumerate() {
        let mut balancer = LoadBalancer::try_from_iter(route.upstreams.iter().map(String::as_str))
            .map_err(|source| GatewayError::Upstream {
                route: route.name.clone(),
                source,
            })?;
        balancer.set_health_check(TcpHealthCheck::new());
        balancer.health_check_frequency = Some(route.health_check);
        let service = background_service(&format!("health check {}", route.name), balancer);
        let balancer = service.task();
        server.add_service(service);
        let upstream = Arc::new(Upstream {
            name: route.name.clone(),
            policy: route.policy,
            forward: route.forward,
            api_clients: route.api_clients.clone(),
            balancer,
            tls: route.upstream_tls.clone(),
            addresses: route.upstreams.len(),
            metrics_id: index + 1,
        });
        table.insert(&route.host, &route.path_prefix, Arc::clone(&upstream));
        configured.push(upstream);
    }
    Ok((table, configured))
}

fn add_listeners(server: &mut Server, parts: GatewayParts<'_>) -> Result<(), GatewayError> {
    let config = parts.config;
    let https = config.server.https;
    if let (Some(address), Some(tls)) = (https, &config.tls) {
        let gateway = parts.gateway(false);
        let mut service = pingora::proxy::http_proxy_service_with_name(
            &server.configuration,
            gateway,
            "gateway https",
        );
        let (cert, key) = (
            tls.cert.display().to_string(),
            tls.key.display().to_string(),
        );
        let mut settings =
            TlsSettings::intermediate(&cert, &key).map_err(|e| GatewayError::Tls(e.to_string()))?;
        settings.enable_h2();
        service.add_tls_with_settings(&address.to_string(), None, settings);
        server.add_service(service);
    }
    if let Some(address) = config.server.http {
        let gateway = parts.gateway(https.is_some());
        let mut service = pingora::proxy::http_proxy_service_with_name(
            &server.configuration,
            gateway,
            "gateway http",
        );
        service.add_tcp(&address.to_string());
        server.add_service(service);
    }
    Ok(())
}

impl GatewayParts<'_> {
    fn gateway(&self, redirect_to_https: bool) -> Gateway {
        let issuer = &self.config.provider.issuer;
        Gateway {
            routes: Arc::clone(&self.routes),
            issuer: issuer.clone(),
            public_port: issuer.port().map(|p| format!(":{p}")).unwrap_or_default(),
            auth: Arc::clone(&self.auth),
            trusted_proxies: self.config.server.trusted_proxies.clone(),
            redirect_to_https,
        }
    }
}

/// Delivers the mail outbox (see `gerbang_idp::mail::worker`) until shutdown.
struct MailOutbox {
    provider: Arc<Provider>,
    mailer: Arc<gerbang_idp::mail::Mailer>,
}

#[async_trait::async_trait]
impl pingora::services::background::BackgroundService for MailOutbox {
    async fn start(&self, mut shutdown: pingora::server::ShutdownWatch) {
        let worker = gerbang_idp::mail::worker::run(
            Arc::clone(&self.provider.store),
            Arc::clone(&self.mailer),
            Arc::clone(&self.provider.mail_queued),
            Arc::clone(&self.provider.metrics),
        );
        tokio::select! {
            _ = worker => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Follows what any instance sharing the store changes: the revocation log every second (so
/// every instance drops ended sessions within [`REVOCATION_BOUND`]) and the signing keys
/// every [`KEY_REFRESH`] (a rotation on one instance is published by all).
struct SharedStateFeed {
    provider: Arc<Provider>,
    revocations: Arc<Revocations>,
}

/// How soon a revocation on any instance reaches this one's in-memory checks.
pub const REVOCATION_BOUND: std::time::Duration = std::time::Duration::from_secs(1);
/// How soon stored key changes are published; a rotation's delay must be longer.
pub const KEY_REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

#[async_trait::async_trait]
impl pingora::services::background::BackgroundService for SharedStateFeed {
    async fn start(&self, mut shutdown: pingora::server::ShutdownWatch) {
        let store = self.provider.store.as_ref();
        let mut cursor = 0;
        let mut tick = tokio::time::interval(REVOCATION_BOUND);
        let mut keys_checked = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            let now = gerbang_idp::provider::now();
            match store.revocations_since(cursor).await {
                Ok((subjects, next)) => {
                    cursor = next;
                    self.revocations.add(subjects, now);
                }
                Err(e) => tracing::warn!(error = %e, "cannot read revocations"),
            }
            if keys_checked.elapsed() >= KEY_REFRESH {
                keys_checked = tokio::time::Instant::now();
                match self.provider.keys.refresh(store, now).await {
                    Ok(true) => tracing::info!("signing keys changed in the store: JWKS updated"),
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot read signing keys"),
                }
            }
        }
    }
}
