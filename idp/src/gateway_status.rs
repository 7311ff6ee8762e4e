//! What the gateway knows that the provider's pages show (the console's configuration page):
//! its upstreams' health, read through a probe the gateway installs, and how the last
//! configuration reload went. The provider keeps no routes of its own.

use std::sync::{Mutex, OnceLock};

use crate::clock::Timestamp;

/// One route's upstreams: how many answer their health check, of how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamHealth {
    pub route: String,
    pub healthy: usize,
    pub total: usize,
}

/// How a reload ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// The new configuration runs; the settings named in `restart` wait for a restart.
    Applied { restart: Vec<String> },
    /// The running configuration stays; why (file, line and key).
    Refused(String),
}

/// The last reload: when, what started it (`SIGHUP`, the file changed), how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reload {
    pub at: Timestamp,
    pub trigger: String,
    pub outcome: ReloadOutcome,
}

type Probe = Box<dyn Fn() -> Vec<UpstreamHealth> + Send + Sync>;

#[derive(Default)]
pub struct GatewayStatus {
    probe: OnceLock<Probe>,
    last_reload: Mutex<Option<Reload>>,
}

impl GatewayStatus {
    /// Installs how upstream health is read (once: the gateway, at start).
    pub fn set_probe(&self, probe: impl Fn() -> Vec<UpstreamHealth> + Send + Sync + 'static) {
        let _ = self.probe.set(Box::new(probe));
    }

    /// Each route's upstream health now, in configuration order (nothing without a gateway).
    pub fn upstreams(&self) -> Vec<UpstreamHealth> {
        self.probe.get().map(|probe| probe()).unwrap_or_default()
    }

    pub fn reloaded(&self, reload: Reload) {
        *self.last_reload.lock().unwrap_or_else(|e| e.into_inner()) = Some(reload);
    }

    /// The last reload since the process started, if there was one.
    pub fn last_reload(&self) -> Option<Reload> {
        self.last_reload
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
