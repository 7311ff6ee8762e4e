//! What a running server may take from a changed file, and what waits for a restart.
//!
//! Routes (with their upstreams and policies), clients, captcha, mail, the helpdesk text, the
//! account link lifetimes and the login limits are taken on reload. The listeners, TLS, the
//! provider's issuer and token lifetimes, sessions, the store and the number of password workers
//! are fixed at start: a reload keeps the running values and names the changed keys.

use toml::{Table, Value};

use crate::{Config, Login};

/// The keys whose changes need a restart (a table stands for every key under it).
pub const NEEDS_RESTART: [&str; 6] = [
    "server",
    "tls",
    "provider",
    "session",
    "store",
    "login.password_workers",
];

/// The dotted keys that differ between two configuration texts and take effect only after a
/// restart, in file order. Texts that do not parse compare as empty.
pub fn restart_needed(running: &str, new: &str) -> Vec<String> {
    let running: Table = running.parse().unwrap_or_default();
    let new: Table = new.parse().unwrap_or_default();
    let mut changed = Vec::new();
    for key in NEEDS_RESTART {
        differences(key, lookup(&running, key), lookup(&new, key), &mut changed);
    }
    changed
}

fn lookup<'a>(table: &'a Table, dotted: &str) -> Option<&'a Value> {
    let mut parts = dotted.split('.');
    let first = table.get(parts.next()?)?;
    parts.try_fold(first, |value, part| value.as_table()?.get(part))
}

/// Appends the leaf keys under `key` whose values differ.
fn differences(key: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<String>) {
    match (a, b) {
        (Some(Value::Table(a)), Some(Value::Table(b))) => {
            let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
            names.sort();
            names.dedup();
            for name in names {
                differences(&format!("{key}.{name}"), a.get(name), b.get(name), out);
            }
        }
        (a, b) if a != b => out.push(key.to_string()),
        _ => {}
    }
}

impl Config {
    /// The configuration a reload runs: what `new` may change, and the running values of
    /// everything in [`NEEDS_RESTART`].
    pub fn reloaded(&self, new: Config) -> Config {
        Config {
            source: self.source.clone(),
            server: self.server.clone(),
            tls: self.tls.clone(),
            provider: self.provider.clone(),
            session: self.session.clone(),
            store: self.store.clone(),
            login: Login {
                password_workers: self.login.password_workers,
                ..new.login
            },
            ..new
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_changed_keys_that_need_a_restart() {
        let running = "[server]\nhttp = \"127.0.0.1:8080\"\nthreads = 2\n[login]\npassword_workers = 1\nmax_failures = 5\n[[routes]]\nname = \"a\"\n";
        let new = "[server]\nhttp = \"127.0.0.1:9090\"\nthreads = 2\ninternal = \"127.0.0.1:9100\"\n[login]\npassword_workers = 2\nmax_failures = 9\n[store]\nbackend = \"postgres\"\n[[routes]]\nname = \"b\"\n";
        assert_eq!(
            restart_needed(running, new),
            [
                "server.http",
                "server.internal",
                "store",
                "login.password_workers"
            ]
        );
    }

    #[test]
    fn reloadable_changes_alone_need_no_restart() {
        let running = "[mail]\nfrom = \"a@b.c\"\n[[routes]]\nname = \"a\"\n";
        let new = "[mail]\nfrom = \"x@b.c\"\n[captcha]\nlifetime = \"5m\"\n[[routes]]\nname = \"b\"\n[[clients]]\nid = \"c\"\n";
        assert!(restart_needed(running, new).is_empty());
    }
}
