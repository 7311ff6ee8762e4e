//! Hot reload. On SIGHUP, and when the configuration file's content changes (read every second;
//! a change is taken once it has been stable for one read, so an editor's partial write is
//! never loaded), the file is validated whole and then applied: routes with their upstreams and
//! policies, clients, captcha, mail and the settings read per request. A file with any problem
//! is refused whole: the running configuration keeps serving, every problem is logged with
//! file:line:key and `gerbang_config_reloads_total{result="failure"}` counts it. Changes to what
//! is fixed at start ([`gerbang_config::NEEDS_RESTART`]) are named in the log and wait for a
//! restart. Connections and sessions are untouched: requests already routed finish on the
//! route they matched.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use gerbang_config::{ConfigError, Loaded};
use gerbang_idp::gateway_status::{Reload, ReloadOutcome};
use gerbang_idp::mail::Mailer;
use gerbang_idp::provider::Provider;
use pingora::server::ShutdownWatch;
use pingora::services::background::BackgroundService;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::Mutex;

use crate::error::GatewayError;
use crate::routes::{LiveRouting, Routing};

/// How often the file is read for changes.
const POLL: Duration = Duration::from_secs(1);

/// Everything a reload replaces, and the file it reads.
pub struct Reloader {
    pub path: PathBuf,
    /// The text of the configuration running now.
    pub running_text: Mutex<String>,
    pub provider: Arc<Provider>,
    pub routing: LiveRouting,
    pub provider_address: String,
    pub mailer: Arc<ArcSwap<Mailer>>,
}

/// Why a reload was refused.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Apply(#[from] GatewayError),
    #[error("{0}")]
    Rule(String),
}

impl Reloader {
    /// Reads the file and applies it, or refuses it whole and keeps the running configuration.
    /// Returns the text it read.
    async fn reload(&self, why: &str) -> Option<String> {
        let text = match tokio::fs::read_to_string(&self.path).await {
            Ok(text) => text,
            Err(source) => {
                let error = ConfigError::Read {
                    path: self.path.clone(),
                    source,
                };
                self.refused(why, &error.into());
                return None;
            }
        };
        let mut running_text = self.running_text.lock().await;
        match self.apply(text.clone(), &running_text) {
            Ok(restart) => {
                *running_text = text.clone();
                self.record(why, ReloadOutcome::Applied { restart });
            }
            Err(refused) => self.refused(why, &refused),
        }
        Some(text)
    }

    /// Applies `text`; the settings that changed but wait for a restart.
    fn apply(&self, text: String, running_text: &str) -> Result<Vec<String>, Refused> {
        let restart = gerbang_config::restart_needed(running_text, &text);
        let new = Loaded::parse(text, &self.path)?.config;
        let running = self.provider.config();
        let config = Arc::new(running.reloaded(new).map_err(Refused::Rule)?);
        let mailer = Mailer::new(&config.mail).map_err(GatewayError::from)?;
        let routing = Routing::compile(
            &config,
            &self.provider_address,
            &self.provider.metrics,
            Some(&self.routing.load()),
        )
        .map_err(GatewayError::from)?;
        routing.report_to(&self.provider.metrics);
        self.routing.store(Arc::new(routing));
        self.mailer.store(Arc::new(mailer));
        self.provider.reconfigure(Arc::clone(&config));
        self.provider
            .metrics
            .config_reloads
            .fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            file = %self.path.display(),
            routes = config.routes.len(),
            clients = config.clients.len(),
            "configuration reloaded"
        );
        if config.captcha.test_answer.is_some() {
            tracing::warn!(
                "captcha test mode is on: a fixed answer passes every captcha; never in production"
            );
        }
        if !restart.is_empty() {
            tracing::warn!(
                file = %self.path.display(),
                keys = %restart.join(", "),
                "these settings changed in the file but only take effect after a restart; the running values stay"
            );
        }
        Ok(restart)
    }

    fn refused(&self, why: &str, refused: &Refused) {
        self.provider
            .metrics
            .config_reload_failures
            .fetch_add(1, Ordering::Relaxed);
        tracing::error!(
            trigger = why,
            "configuration reload refused, the running configuration stays:\n{refused}"
        );
        self.record(why, ReloadOutcome::Refused(refused.to_string()));
    }

    /// Tells the provider how the reload went (the console shows it).
    fn record(&self, why: &str, outcome: ReloadOutcome) {
        self.provider.gateway.reloaded(Reload {
            at: gerbang_idp::clock::now(),
            trigger: why.to_string(),
            outcome,
        });
    }
}

#[async_trait::async_trait]
impl BackgroundService for Reloader {
    async fn start(&self, mut shutdown: ShutdownWatch) {
        let mut hangup = match signal(SignalKind::hangup()) {
            Ok(stream) => Some(stream),
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; the file is still watched");
                None
            }
        };
        let mut poll = tokio::time::interval(POLL);
        // The last text read, and the last text a reload was tried with (a refused file is not
        // retried until it changes again).
        let mut seen = self.running_text.lock().await.clone();
        let mut tried = seen.clone();
        loop {
            tokio::select! {
                Some(()) = async { hangup.as_mut()?.recv().await } => {
                    if let Some(text) = self.reload("SIGHUP").await {
                        tried = text;
                    }
                }
                _ = poll.tick() => {
                    let Ok(text) = tokio::fs::read_to_string(&self.path).await else { continue };
                    if text != seen {
                        seen = text;
                    } else if text != tried {
                        tried = self.reload("file changed").await.unwrap_or(text);
                    }
                }
                _ = shutdown.changed() => return,
            }
        }
    }
}
