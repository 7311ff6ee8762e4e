//! The provider: everything its handlers share, made once at start (the parts a reload may
//! change are swapped whole, see [`Provider::reconfigure`]).

use std::sync::Arc;

use arc_swap::ArcSwap;
use gerbang_config::{Config, HostPattern};

use crate::account::captcha::{CaptchaError, Captchas};
use crate::account::password::{PasswordError, Passwords};
use crate::audit::AuditKind;
use crate::clock::now;
use crate::keys::{KeyError, LiveKeyring};
use crate::metrics::Metrics;
use crate::mfa::passkey::RelyingParty;
use crate::mfa::SecretSeal;
use crate::protocol::client::Registry;
use crate::sealed::{BadKey, Sealer};
use crate::store::{SharedStore, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Captcha(#[from] CaptchaError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Seal(#[from] BadKey),
    #[error(transparent)]
    SealKey(#[from] crate::mfa::SealKeyError),
}

pub struct Provider {
    /// The issuer exactly as tokens and discovery state it: no trailing slash.
    pub issuer: String,
    /// The running configuration; a reload replaces it (see [`Provider::reconfigure`]).
    config: ArcSwap<Config>,
    pub store: SharedStore,
    pub keys: LiveKeyring,
    pub passwords: Passwords,
    clients: ArcSwap<Registry>,
    pub captchas: Captchas,
    /// Seals pending authorization requests while the user logs in.
    pub requests: Sealer,
    /// Seals the cookie of a device that logged in before (see `account::login`).
    pub devices: Sealer,
    /// Seals TOTP secrets in the store, and the one being enrolled in its form.
    pub factor_seal: SecretSeal,
    /// The passkey relying party; `None` where the issuer's host cannot be one (an IP address).
    pub passkeys: Option<RelyingParty>,
    /// The gateway's own client secret, shared with the gateway in this process.
    pub gateway_secret: String,
    /// Keys the console's CSRF tokens to the session they were made for.
    pub console_key: ring::hmac::Key,
    /// Counters for Prometheus (route ids: 0 the provider, then the routes in order).
    pub metrics: Arc<Metrics>,
    /// Rung when a message is queued, so the outbox worker delivers it at once.
    pub mail_queued: Arc<tokio::sync::Notify>,
    /// Upstream health and the last reload, as the gateway reports them.
    pub gateway: crate::gateway_status::GatewayStatus,
    /// The upstream identity providers, as discovered (`[[identity_provider]]`).
    pub upstreams: crate::upstream_provider::Upstreams,
    /// The keys `private_key_jwt` clients publish, as last fetched.
    pub client_keys: crate::client_keys::ClientKeys,
}

fn random_secret() -> Vec<u8> {
    let bytes: [u8; 32] = rand::random();
    bytes.to_vec()
}

impl Provider {
    pub async fn start(
        config: Arc<Config>,
        store: SharedStore,
    ) -> Result<Arc<Provider>, ProviderError> {
        let now = now();
        let keys = LiveKeyring::load_or_create(store.as_ref(), now).await?;
        let captcha_key = store.secret("captcha-key", &random_secret).await?;
        let request_key = store.secret("request-key", &random_secret).await?;
        let console_key = store.secret("console-key", &random_secret).await?;
        let gateway_secret = store
            .secret("gateway-client-secret", &random_secret)
            .await?;
        let gateway_secret: String = gateway_secret.iter().map(|b| format!("{b:02x}")).collect();
        let clients = registry(&config, &gateway_secret);
        let metrics = Arc::new(Metrics::default());
        let captchas = Captchas::new(
            &captcha_key,
            Arc::clone(&store),
            &config.captcha,
            Arc::clone(&metrics),
        )?;
        let workers = config.login.password_workers;
        let factor_seal = SecretSeal::new(&crate::mfa::key_material(&config)?);
        let issuer = config.provider.issuer.as_str().trim_end_matches('/');
        let passkeys = match RelyingParty::new(issuer, &config.ui.product_name) {
            Ok(rp) => Some(rp),
            Err(e) => {
                tracing::warn!(error = %e, "passkeys are not offered");
                None
            }
        };
        Ok(Arc::new(Provider {
            issuer: config
                .provider
                .issuer
                .as_str()
                .trim_end_matches('/')
                .to_string(),
            passwords: Passwords::new(workers)?,
            config: ArcSwap::new(config),
            store,
            keys,
            clients: ArcSwap::from_pointee(clients),
            captchas,
            requests: Sealer::new(&request_key, "authorization-request")?,
            devices: Sealer::new(&request_key, "known-device")?,
            factor_seal,
            passkeys,
            gateway_secret,
            console_key: ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &console_key),
            metrics,
            mail_queued: Arc::new(tokio::sync::Notify::new()),
            gateway: Default::default(),
            upstreams: Default::default(),
            client_keys: Default::default(),
        }))
    }

    /// The running configuration.
    pub fn config(&self) -> Arc<Config> {
        self.config.load_full()
    }

    /// The registered clients (the gateway's own among them).
    pub fn clients(&self) -> Arc<Registry> {
        self.clients.load_full()
    }

    /// Takes a reloaded configuration (see `Config::reloaded`): clients, captcha and every
    /// setting read per request. Requests already running finish with what they started with.
    pub fn reconfigure(&self, config: Arc<Config>) {
        self.clients
            .store(Arc::new(registry(&config, &self.gateway_secret)));
        self.captchas.configure(&config.captcha);
        self.config.store(config);
    }

    /// An absolute URL under the issuer.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

/// The configured clients, and the gateway's own client allowed back to every route host.
fn registry(config: &Config, gateway_secret: &str) -> Registry {
    let routes: Vec<HostPattern> = config.routes.iter().map(|r| r.host.clone()).collect();
    let public_port = config.public_port();
    Registry::new(
        &config.clients,
        gateway_secret.to_string(),
        &routes,
        public_port,
    )
}

impl Provider {
    /// Session timeouts from configuration.
    pub fn session_lifetimes(&self) -> crate::session::Lifetimes {
        crate::session::Lifetimes {
            idle: self.config().session.idle_timeout.as_secs(),
            absolute: self.config().session.absolute_timeout.as_secs(),
        }
    }

    /// Records an audit event; a failure to record is logged, never shown to the user.
    /// An event about one account, with no client or address to name.
    pub async fn audit_account(&self, kind: AuditKind, user_id: &str, detail: &str) {
        self.audit(kind, Some(user_id), None, None, detail).await;
    }

    pub async fn audit(
        &self,
        kind: AuditKind,
        user_id: Option<&str>,
        client_id: Option<&str>,
        address: Option<&str>,
        detail: &str,
    ) {
        let event = crate::store::AuditEvent {
            user_id: user_id.map(str::to_string),
            client_id: client_id.map(str::to_string),
            address: address.map(str::to_string),
            ..crate::store::AuditEvent::new(kind, now(), detail)
        };
        self.metrics.event(kind, detail);
        if let Err(e) = self.store.record(&event).await {
            tracing::error!(error = %e, %kind, "cannot record an audit event");
        }
    }
}
