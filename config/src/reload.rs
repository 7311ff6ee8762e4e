//! What a running server may take from a changed file, and what waits for a restart.
//!
//! Routes (with their upstreams and policies), clients, captcha, mail, the helpdesk text, the
//! account link lifetimes and the login limits are taken on reload. The listeners, TLS, the
//! provider's issuer and token lifetimes, sessions, the store, the number of password workers and
//! the second-factor key are fixed at start: a reload keeps the running values and names the changed keys.

use toml::{Table, Value};

use crate::{Config, Login};

/// The keys whose changes need a restart (a table stands for every key under it).
pub const NEEDS_RESTART: [&str; 7] = [
    "server",
    "tls",
    "provider",
    "session",
    "store",
    "login.password_workers",
    "mfa.secret_key",
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
    /// everything in [`NEEDS_RESTART`]. The new file was validated against its own listeners
    /// and issuer; the rules that tie what changes to what stays are checked again here
    /// against the running ones, and a breach refuses the reload.
    pub fn reloaded(&self, new: Config) -> Result<Config, String> {
        let all_loopback = self.server.listeners().all(|a| a.ip().is_loopback());
        if new.captcha.test_answer.is_some() && !all_loopback {
            return Err(format!(
                "{}: captcha.test_answer: captcha test mode is only allowed when every listener is on loopback, and the running listeners are not (listeners change only with a restart)",
                new.source.display()
            ));
        }
        let provider_host = crate::HostPattern::Exact(self.provider.host.clone());
        if let Some(route) = new.routes.iter().find(|r| r.host == provider_host) {
            return Err(format!(
                "{}: route `{}`: its host is the running provider's host (from provider.issuer): give the app its own host",
                new.source.display(),
                route.name
            ));
        }
        Ok(Config {
            source: self.source.clone(),
            server: self.server.clone(),
            tls: self.tls.clone(),
            provider: self.provider.clone(),
            session: self.session.clone(),
            store: self.store.clone(),
            mfa: crate::Mfa {
                secret_key: self.mfa.secret_key.clone(),
                ..new.mfa
            },
            login: Login {
                password_workers: self.login.password_workers,
                ..new.login
            },
            ..new
        })
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

    fn parse(text: &str) -> Config {
        let base = "[store]\npath = \"store\"\n\n\
                    [mail]\nfrom = \"a@example.id\"\ntransport = \"folder\"\nfolder = \"outbox\"\n\n";
        let text = format!("{text}\n{base}");
        let path = std::path::Path::new("gerbang.toml");
        match Config::parse(&text, path, std::path::Path::new("."), &|_| None) {
            Ok(config) => config,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn a_reload_cannot_turn_test_mode_on_behind_public_listeners() {
        const SSO: &str = "[provider]\nissuer = \"https://sso.example.id\"\n";
        let running = parse(&format!("[server]\nhttp = \"0.0.0.0:8080\"\n{SSO}"));
        // Valid on its own (its listener is loopback), but the running listener stays public.
        let new = parse(&format!(
            "[server]\nhttp = \"127.0.0.1:8080\"\n{SSO}[captcha]\ntest_answer = \"uji\"\n"
        ));
        let refused = running.reloaded(new).err().unwrap_or_default();
        assert!(refused.contains("captcha.test_answer"), "{refused}");
        let fine = parse(&format!(
            "[server]\nhttp = \"0.0.0.0:8080\"\n{SSO}[captcha]\nlifetime_secs = 60\n"
        ));
        let reloaded = running
            .reloaded(fine)
            .ok()
            .map(|c| c.captcha.lifetime.as_secs());
        assert_eq!(reloaded, Some(60));
    }

    #[test]
    fn a_reload_changes_the_second_factor_policy_but_not_its_key() {
        let base = "[server]\nhttp = \"127.0.0.1:8080\"\n[provider]\nissuer = \"https://sso.example.id\"\n[[group]]\nname = \"admin\"\n";
        let key = |k: &str| format!("secret_key = \"{}\"\n", k.repeat(32));
        let running = parse(&format!("{base}[mfa]\n{}", key("a")));
        let new = parse(&format!(
            "{base}[mfa]\n{}required_groups = [\"admin\"]\ngrace_days = 3\nfactors = [\"passkey\"]\n",
            key("b")
        ));
        let reloaded = running.reloaded(new).unwrap();
        assert_eq!(reloaded.mfa.required_groups, ["admin"]);
        assert_eq!(reloaded.mfa.grace.as_secs(), 3 * 86_400);
        assert!(reloaded.mfa.factors.passkey && !reloaded.mfa.factors.totp);
        let kept = reloaded
            .mfa
            .secret_key
            .as_ref()
            .map(|s| s.expose().to_string());
        assert_eq!(
            kept,
            Some("a".repeat(32)),
            "the key changes with a restart only"
        );
    }

    #[test]
    fn a_reload_cannot_route_the_running_providers_host_to_an_app() {
        let running = parse("[server]\nhttp = \"127.0.0.1:8080\"\n[provider]\nissuer = \"https://sso.example.id\"\n");
        // The new issuer (which waits for a restart) frees sso.example.id in the new file only.
        let new = parse(
            "[server]\nhttp = \"127.0.0.1:8080\"\n[provider]\nissuer = \"https://login.example.id\"\n\n\
             [[route]]\nname = \"app\"\nhost = \"sso.example.id\"\nupstreams = [\"127.0.0.1:9001\"]\npolicy = \"public\"\n",
        );
        let refused = running.reloaded(new).err().unwrap_or_default();
        assert!(refused.contains("route `app`"), "{refused}");
    }

    #[test]
    fn reloadable_changes_alone_need_no_restart() {
        let running = "[mail]\nfrom = \"a@b.c\"\n[[routes]]\nname = \"a\"\n";
        let new = "[mail]\nfrom = \"x@b.c\"\n[captcha]\nlifetime = \"5m\"\n[[routes]]\nname = \"b\"\n[[clients]]\nid = \"c\"\n";
        assert!(restart_needed(running, new).is_empty());
    }
}
