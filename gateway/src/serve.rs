//! Puts a validated configuration to work: the store, the embedded provider, the proxy with its
//! routes and health checks, the listeners and the reloader, all in one Pingora server.

use std::sync::Arc;

use arc_swap::ArcSwap;
use cookie::Key;
use gerbang_config::Config;
use gerbang_idp::provider::Provider;
use gerbang_idp::store::SharedStore;
use pingora::listeners::tls::TlsSettings;
use pingora::listeners::{L4BufferSettings, ListenerConfig};
use pingora::prelude::*;
use pingora::proxy::HttpProxy;
use pingora::server::configuration::{Opt, ServerConf};
use pingora::server::{RunArgs, ShutdownSignal, ShutdownSignalWatch};
use pingora::services::background::background_service;
use pingora::services::listening::Service;
use pingora::services::ServiceWithDependents;

use crate::connections::{Capped, ConnectionLimit};
use crate::devcert;
use crate::error::GatewayError;
use crate::health::HealthChecks;
use crate::http_service::HttpService;
use crate::proxy::access::MembershipCache;
use crate::proxy::auth::Auth;
use crate::proxy::callback::RelyingParty;
use crate::proxy::session::Revocations;
use crate::proxy::Gateway;
use crate::reload::Reloader;
use crate::routes::{LiveRouting, Routing};

/// What every listener's gateway shares.
struct GatewayParts<'a> {
    config: &'a Config,
    auth: Arc<Auth>,
    routing: LiveRouting,
    request_head_deadline: pingora::proxy::RequestHeadDeadline,
}

/// Services that run beside the gateway (the demo's example apps).
pub type ExtraServices = Vec<Box<dyn ServiceWithDependents>>;

/// How a server starts.
#[derive(Default)]
pub struct Start {
    /// The text of the configuration file, when there is one: the file is then watched and
    /// reloaded (see `reload`).
    pub text: Option<String>,
    /// Take the listening sockets over from a running Gerbang (`gerbang serve --upgrade`).
    pub upgrade: bool,
}

/// Runs until SIGTERM (graceful: in-flight requests finish), SIGINT, or SIGQUIT (hands the
/// listeners to a process started with `--upgrade`, then drains).
pub fn run(config: Config, start: Start, extra: ExtraServices) -> Result<(), GatewayError> {
    let Core {
        mut server,
        config,
        provider,
        cookie_key,
    } = core(config, start.upgrade)?;
    let provider_address = add_provider(&mut server, &provider)?;
    let (mailer, followed) = add_background(&mut server, &config, &provider)?;
    let auth = Arc::new(Auth {
        rp: RelyingParty::new(
            Arc::clone(&provider),
            format!("http://{provider_address}/token"),
        )?,
        provider: Arc::clone(&provider),
        revocations: followed.revocations,
        memberships: followed.memberships,
        cookie_key,
        session_lifetime: config.session.absolute_timeout.as_secs(),
        activity: crate::proxy::session::Activity {
            idle_timeout: config.session.idle_timeout.as_secs(),
        },
        verified: Default::default(),
        sessions: Default::default(),
    });
    let routing = Routing::compile(&config, &provider_address, &provider.metrics, None)?;
    routing.report_to(&provider.metrics);
    let routing: LiveRouting = Arc::new(ArcSwap::from_pointee(routing));
    let probed = Arc::clone(&routing);
    provider
        .gateway
        .set_probe(move || crate::health::upstream_health(&probed.load()));
    server.add_service(background_service(
        "health checks",
        HealthChecks {
            routing: Arc::clone(&routing),
        },
    ));
    if let Some(text) = start.text {
        server.add_service(background_service(
            "configuration reload",
            Reloader {
                path: config.source.clone(),
                running_text: tokio::sync::Mutex::new(text),
                provider: Arc::clone(&provider),
                routing: Arc::clone(&routing),
                provider_address,
                mailer,
            },
        ));
    }
    add_operator_services(&mut server, &config, &provider)?;
    let request_head_deadline = pingora::proxy::RequestHeadDeadline::new(
        config.server.request_head_timeout,
        config.server.threads,
    )
    .map_err(GatewayError::Thread)?;
    let parts = GatewayParts {
        config: &config,
        auth,
        routing,
        request_head_deadline,
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
    tracing::info!(issuer = %config.provider.issuer, routes = config.routes.len(), upgrade = start.upgrade, "gerbang started");
    server.run(RunArgs {
        shutdown_signal: Box::new(Signals),
    });
    Ok(())
}

/// What every service of the server shares, made before any of them.
struct Core {
    server: Server,
    config: Arc<Config>,
    provider: Arc<Provider>,
    cookie_key: Key,
}

/// The server, then the store and the provider. The server first: an upgrade receives the
/// running process's listeners before anything else, and the running process lets go of the
/// store only once it has drained.
fn core(config: Config, upgrade: bool) -> Result<Core, GatewayError> {
    if let Some(tls) = &config.tls {
        if devcert::ensure(tls, devcert::names(&config))? {
            tracing::warn!(cert = %tls.cert.display(), "made a self-signed development certificate: trust ca.pem beside it in your browser, never use it in production");
        }
    }
    let mut server = server(&config, upgrade)?;
    server.bootstrap();
    let startup = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(GatewayError::Runtime)?;
    let store: SharedStore = startup.block_on(open_store(&config, upgrade))?;
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
    let provider = startup.block_on(Provider::start(Arc::clone(&config), store))?;
    Ok(Core {
        server,
        config,
        provider,
        cookie_key,
    })
}

/// The provider on an internal loopback listener (its host is a route to it); returns the
/// listener's address.
fn add_provider(server: &mut Server, provider: &Arc<Provider>) -> Result<String, GatewayError> {
    let listener = bind("127.0.0.1:0")?;
    let address = listener
        .local_addr()
        .map_err(|source| GatewayError::Listen {
            address: "127.0.0.1:0".into(),
            source,
        })?;
    let server_config = &provider.config().server;
    let service = HttpService::new(
        "provider",
        listener,
        gerbang_idp::web::router(Arc::clone(provider)),
    )
    .serving_through(server_config.grace_period + server_config.shutdown_timeout);
    server.add_service(background_service("provider", service));
    Ok(address.to_string())
}

/// What the gateway holds in memory and follows from the store.
struct Followed {
    revocations: Arc<Revocations>,
    memberships: Arc<MembershipCache>,
}

/// The mail outbox's worker and the feed of what other instances share (revocations,
/// memberships, keys); returns the mailer (a reload replaces it) and what the feed keeps.
fn add_background(
    server: &mut Server,
    config: &Config,
    provider: &Arc<Provider>,
) -> Result<(Arc<ArcSwap<gerbang_idp::mail::Mailer>>, Followed), GatewayError> {
    let mailer = Arc::new(ArcSwap::from_pointee(gerbang_idp::mail::Mailer::new(
        &config.mail,
    )?));
    server.add_service(background_service(
        "mail outbox",
        MailOutbox {
            provider: Arc::clone(provider),
            mailer: Arc::clone(&mailer),
        },
    ));
    let followed = Followed {
        revocations: Arc::default(),
        memberships: Arc::default(),
    };
    server.add_service(background_service(
        "identity providers",
        crate::identity_providers::IdentityProviderProbe {
            provider: Arc::clone(provider),
        },
    ));
    server.add_service(background_service(
        "shared state",
        SharedStateFeed {
            provider: Arc::clone(provider),
            revocations: Arc::clone(&followed.revocations),
            memberships: Arc::clone(&followed.memberships),
        },
    ));
    Ok((mailer, followed))
}

/// What operators reach: the internal listener (metrics, health) and the admin socket.
fn add_operator_services(
    server: &mut Server,
    config: &Config,
    provider: &Arc<Provider>,
) -> Result<(), GatewayError> {
    if let Some(address) = config.server.internal {
        if !address.ip().is_loopback() {
            tracing::warn!(%address, "the internal listener (metrics, health) is not on loopback: it has no authentication, keep it on a private network");
        }
        // Shared with the process an upgrade starts, which binds it while this one drains.
        let listener = bind_shared(address)?;
        server.add_service(background_service(
            "internal",
            HttpService::new(
                "internal",
                listener,
                crate::internal::router(Arc::clone(provider)),
            ),
        ));
    }
    if let Some(path) = crate::admin_socket::path(config) {
        server.add_service(background_service(
            "admin socket",
            crate::admin_socket::AdminSocket {
                path,
                provider: Arc::clone(provider),
            },
        ));
    }
    Ok(())
}

/// The signals that stop the server. SIGINT (Ctrl-C) stops it as SIGTERM does, gracefully:
/// Pingora's own "fast shutdown" for SIGINT stops the runtimes without telling the listeners,
/// and a listener whose runtime is going away can fail `accept()` in a loop that never ends,
/// logging each failure (seen: a stopped demo wrote 20 GB of log in half an hour).
struct Signals;

#[async_trait::async_trait]
impl ShutdownSignalWatch for Signals {
    async fn recv(&self) -> ShutdownSignal {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut quit), Ok(mut terminate), Ok(mut interrupt)) = (
            signal(SignalKind::quit()),
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            tracing::error!("cannot listen for signals: only SIGKILL will stop this process");
            return std::future::pending().await;
        };
        tokio::select! {
            _ = quit.recv() => ShutdownSignal::GracefulUpgrade,
            _ = terminate.recv() => ShutdownSignal::GracefulTerminate,
            _ = interrupt.recv() => {
                tracing::info!("SIGINT received: stopping gracefully, as for SIGTERM");
                ShutdownSignal::GracefulTerminate
            }
        }
    }
}

/// The Pingora server, set to take the listeners over from a running process when `upgrade`.
fn server(config: &Config, upgrade: bool) -> Result<Server, GatewayError> {
    let upgrade_socket = config.upgrade_socket();
    if upgrade && upgrade_socket.is_none() {
        return Err(GatewayError::Upgrade(
            "set server.upgrade_socket (a PostgreSQL store has no folder to put it in)".into(),
        ));
    }
    let mut conf = ServerConf {
        threads: config.server.threads,
        grace_period_seconds: Some(config.server.grace_period.as_secs()),
        graceful_shutdown_timeout_seconds: Some(config.server.shutdown_timeout.as_secs()),
        upgrade_sock: upgrade_socket
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        ..ServerConf::default()
    };
    conf.work_stealing = false;
    conf.ca_file = config
        .server
        .upstream_ca
        .as_ref()
        .map(|p| p.display().to_string());
    let opt = Opt {
        upgrade,
        ..Opt::default()
    };
    Ok(Server::new_with_opt_and_conf(Some(opt), conf))
}

/// How long an upgrade waits for the running process to let go of a sled store: its grace
/// period and drain, and some margin.
fn store_handover(config: &Config) -> std::time::Duration {
    config.server.grace_period + config.server.shutdown_timeout + std::time::Duration::from_secs(15)
}

/// Opens the store; on an upgrade, a sled store is still held by the process being replaced
/// until it exits, so opening is retried until then.
async fn open_store(config: &Config, upgrade: bool) -> Result<SharedStore, GatewayError> {
    let deadline = tokio::time::Instant::now() + store_handover(config);
    loop {
        match crate::store::open(config).await {
            Ok(store) => return Ok(store),
            Err(e) if upgrade && tokio::time::Instant::now() < deadline => {
                tracing::debug!(error = %e, "waiting for the running process to release the store");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn bind(address: &str) -> Result<std::net::TcpListener, GatewayError> {
    std::net::TcpListener::bind(address).map_err(|source| GatewayError::Listen {
        address: address.into(),
        source,
    })
}

/// A listener another process of the same user may bind too (`SO_REUSEPORT`): the internal
/// listener, held by both processes of an upgrade for a moment.
fn bind_shared(address: std::net::SocketAddr) -> Result<std::net::TcpListener, GatewayError> {
    use socket2::{Domain, Socket, Type};
    let bound = (|| {
        let socket = Socket::new(Domain::for_address(address), Type::STREAM, None)?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        socket.bind(&address.into())?;
        socket.listen(1024)?;
        Ok(socket.into())
    })();
    bound.map_err(|source| GatewayError::Listen {
        address: address.to_string(),
        source,
    })
}

/// Bytes a downstream connection gathers before a write: a response's head and a body of up to
/// one TLS record leave in one system call instead of two (Pingora's default, 1,460, splits any
/// response larger than that). Larger bodies are written as they come, and every response is
/// flushed at its end (chunked bodies at each chunk), so nothing waits on the buffer. The cost
/// is memory: 16 KiB per open connection, beside Pingora's 64 KiB read buffer.
const DOWNSTREAM_WRITE_BUFFER: usize = 16 * 1024;

fn listener(address: std::net::SocketAddr) -> ListenerConfig {
    ListenerConfig::tcp(address.to_string())
        .l4_buffer(L4BufferSettings::default().write(DOWNSTREAM_WRITE_BUFFER))
}

fn add_listeners(server: &mut Server, parts: GatewayParts<'_>) -> Result<(), GatewayError> {
    let config = parts.config;
    let https = config.server.https;
    if let (Some(address), Some(tls)) = (https, &config.tls) {
        let mut service = parts.service(server, "gateway https", false);
        let (cert, key) = (
            tls.cert.display().to_string(),
            tls.key.display().to_string(),
        );
        let mut settings =
            TlsSettings::intermediate(&cert, &key).map_err(|e| GatewayError::Tls(e.to_string()))?;
        settings.enable_h2();
        service.add_listener(listener(address).tls(settings));
        server.add_service(service);
    }
    if let Some(address) = config.server.http {
        let mut service = parts.service(server, "gateway http", https.is_some());
        service.add_listener(listener(address));
        server.add_service(service);
    }
    Ok(())
}

impl GatewayParts<'_> {
    /// The proxy of one listener, behind the per-address connection cap.
    fn service(
        &self,
        server: &Server,
        name: &str,
        redirect_to_https: bool,
    ) -> Service<Capped<HttpProxy<Gateway>>> {
        let proxy =
            pingora::proxy::http_proxy(&server.configuration, self.gateway(redirect_to_https));
        let limit = ConnectionLimit::new(
            self.config.server.max_connections_per_address,
            self.config.server.trusted_proxies.clone(),
            Arc::clone(&self.auth.provider.metrics),
        );
        Service::new(name.to_string(), Capped::new(proxy, limit))
    }

    fn gateway(&self, redirect_to_https: bool) -> Gateway {
        let issuer = &self.config.provider.issuer;
        Gateway {
            routes: Arc::clone(&self.routing),
            issuer: issuer.clone(),
            public_port: self.config.public_port(),
            auth: Arc::clone(&self.auth),
            trusted_proxies: self.config.server.trusted_proxies.clone(),
            forward_auth: self.config.server.forward_auth,
            request_head_deadline: self.request_head_deadline.clone(),
            redirect_to_https,
        }
    }
}

/// Delivers the mail outbox (see `gerbang_idp::mail::worker`) until shutdown.
struct MailOutbox {
    provider: Arc<Provider>,
    mailer: Arc<ArcSwap<gerbang_idp::mail::Mailer>>,
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

/// Follows what any instance sharing the store changes: the revocation and membership logs
/// every [`REVOCATION_POLL`] (so every instance drops ended sessions and decides by changed
/// groups well within [`REVOCATION_BOUND`]) and the signing keys every [`KEY_REFRESH`] (a rotation on one instance
/// is published by all).
struct SharedStateFeed {
    provider: Arc<Provider>,
    revocations: Arc<Revocations>,
    memberships: Arc<MembershipCache>,
}

/// How soon a revocation on any instance reaches this one's in-memory checks, at the most.
pub const REVOCATION_BOUND: std::time::Duration = std::time::Duration::from_secs(1);
/// How often the revocation log is read: a quarter of the bound, so a late tick under load or
/// a slow read still keeps it. One indexed range read (sled or PostgreSQL) per instance.
pub const REVOCATION_POLL: std::time::Duration = std::time::Duration::from_millis(250);
const _: () = assert!(REVOCATION_POLL.as_millis() * 4 <= REVOCATION_BOUND.as_millis());
/// How soon stored key changes are published; a rotation's delay must be longer.
pub const KEY_REFRESH: std::time::Duration = std::time::Duration::from_secs(10);

#[async_trait::async_trait]
impl pingora::services::background::BackgroundService for SharedStateFeed {
    async fn start(&self, mut shutdown: pingora::server::ShutdownWatch) {
        let store = self.provider.store.as_ref();
        let (mut cursor, mut groups_cursor) = (0, 0);
        let mut tick = tokio::time::interval(REVOCATION_POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut keys_checked = tokio::time::Instant::now();
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = shutdown.changed() => return,
            }
            let now = gerbang_idp::clock::now();
            match store.revocations_since(cursor).await {
                Ok((subjects, next)) => {
                    cursor = next;
                    self.revocations.add(subjects, now);
                }
                Err(e) => tracing::warn!(error = %e, "cannot read revocations"),
            }
            match store.membership_changes_since(groups_cursor).await {
                Ok((changed, next)) => {
                    groups_cursor = next;
                    self.memberships.update(changed);
                }
                Err(e) => tracing::warn!(error = %e, "cannot read group memberships"),
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
