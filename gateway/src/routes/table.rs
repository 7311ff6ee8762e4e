//! The route table: host first (exact, then the longest `*.` wildcard), then the longest path
//! prefix within that host, matched as [`PathPrefix`] says (segment boundaries, any ASCII case
//! unless the route asks otherwise, Windows padding). Built once from the configuration;
//! matching borrows and does not allocate for lower-case hosts.

use std::collections::HashMap;

use gerbang_config::{HostPattern, PathPrefix};

pub struct RouteTable<T> {
    exact: HashMap<String, HostRoutes<T>>,
    /// Longest suffix first.
    wildcard: Vec<(String, HostRoutes<T>)>,
}

/// The routes of one host pattern, longest prefix first.
struct HostRoutes<T> {
    routes: Vec<(PathPrefix, T)>,
}

impl<T> Default for RouteTable<T> {
    fn default() -> Self {
        Self {
            exact: HashMap::new(),
            wildcard: Vec::new(),
        }
    }
}

impl<T> RouteTable<T> {
    /// Adds a route. `prefix` is normal (see `gerbang_config::normalise_prefix`); duplicates were
    /// refused by configuration validation, and the first one added wins here.
    pub fn insert(&mut self, host: &HostPattern, prefix: &str, case_sensitive: bool, route: T) {
        let group = match host {
            HostPattern::Exact(h) => self.exact.entry(h.clone()).or_insert_with(HostRoutes::new),
            HostPattern::Wildcard { suffix } => {
                let at = match self.wildcard.iter().position(|(s, _)| s == suffix) {
                    Some(at) => at,
                    None => {
                        self.wildcard.push((suffix.clone(), HostRoutes::new()));
                        self.wildcard
                            .sort_by_key(|(suffix, _)| std::cmp::Reverse(suffix.len()));
                        self.wildcard
                            .iter()
                            .position(|(s, _)| s == suffix)
                            .unwrap_or(0)
                    }
                };
                &mut self.wildcard[at].1
            }
        };
        let prefix = PathPrefix::new(prefix, case_sensitive);
        group.routes.push((prefix, route));
        group
            .routes
            .sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.as_str().len()));
    }

    /// Whether any route serves this host (a host that none serves gets 404).
    pub fn knows_host(&self, host: &str) -> bool {
        self.host_routes(host).is_some()
    }

    /// The route for a host (lower case, no port) and a normal path.
    pub fn find(&self, host: &str, path: &str) -> Option<&T> {
        self.host_routes(host)?
            .routes
            .iter()
            .find(|(prefix, _)| prefix.matches(path))
            .map(|(_, route)| route)
    }

    fn host_routes(&self, host: &str) -> Option<&HostRoutes<T>> {
        if let Some(group) = self.exact.get(host) {
            return Some(group);
        }
        self.wildcard
            .iter()
            .find(|(suffix, _)| host.len() > suffix.len() && host.ends_with(suffix.as_str()))
            .map(|(_, group)| group)
    }
}

impl<T> HostRoutes<T> {
    fn new() -> Self {
        Self { routes: Vec::new() }
    }
}

/// The host of a request, lower case and without its port; `None` when it is not a host name.
pub fn request_host(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    let name = match raw.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(']') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ if raw.starts_with('[') => return None,
        _ => raw,
    };
    let name = name.strip_suffix('.').unwrap_or(name);
    // One pass (this runs on every request): letters, digits, `-` and `.`, no empty label.
    let (mut upper, mut label_empty) = (false, true);
    for b in name.bytes() {
        match b {
            b'.' if label_empty => return None,
            b'.' => label_empty = true,
            b'a'..=b'z' | b'0'..=b'9' | b'-' => label_empty = false,
            b'A'..=b'Z' => (upper, label_empty) = (true, false),
            _ => return None,
        }
    }
    if label_empty {
        return None;
    }
    Some(if upper {
        std::borrow::Cow::Owned(name.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> RouteTable<&'static str> {
        let mut t = RouteTable::default();
        let exact = HostPattern::Exact("app.localhost".into());
        t.insert(&exact, "/", false, "app-root");
        t.insert(&exact, "/api", false, "app-api");
        t.insert(&exact, "/api/admin", false, "app-admin");
        t.insert(&exact, "/Docs", true, "app-docs");
        t.insert(
            &HostPattern::Wildcard {
                suffix: ".localhost".into(),
            },
            "/",
            false,
            "any",
        );
        t.insert(
            &HostPattern::Wildcard {
                suffix: ".b.localhost".into(),
            },
            "/",
            false,
            "any-b",
        );
        t
    }

    #[test]
    fn longest_prefix_wins_on_segment_boundaries() {
        let t = table();
        assert_eq!(t.find("app.localhost", "/"), Some(&"app-root"));
        assert_eq!(t.find("app.localhost", "/api"), Some(&"app-api"));
        assert_eq!(t.find("app.localhost", "/api/"), Some(&"app-api"));
        assert_eq!(t.find("app.localhost", "/apix"), Some(&"app-root"));
        assert_eq!(
            t.find("app.localhost", "/api/admin/users"),
            Some(&"app-admin")
        );
        assert_eq!(
            t.find("app.localhost", "/api/administrator"),
            Some(&"app-api")
        );
    }

    #[test]
    fn case_and_windows_padding_do_not_escape_a_prefix() {
        let t = table();
        for path in [
            "/API",
            "/Api/x",
            "/api.",
            "/api..",
            "/api%20",
            "/api.%20./x",
            "/API/ADMIN",
        ] {
            assert_ne!(t.find("app.localhost", path), Some(&"app-root"), "{path}");
        }
        assert_eq!(t.find("app.localhost", "/API/Admin/x"), Some(&"app-admin"));
        assert_eq!(t.find("app.localhost", "/api.json"), Some(&"app-root"));
        assert_eq!(t.find("app.localhost", "/api%20x"), Some(&"app-root"));
        assert_eq!(t.find("app.localhost", "/Docs/x"), Some(&"app-docs"));
        assert_eq!(
            t.find("app.localhost", "/docs/x"),
            Some(&"app-root"),
            "a case-sensitive route keeps its case"
        );
    }

    #[test]
    fn exact_hosts_beat_wildcards_and_longer_wildcards_win() {
        let t = table();
        assert_eq!(t.find("other.localhost", "/api"), Some(&"any"));
        assert_eq!(t.find("x.b.localhost", "/"), Some(&"any-b"));
        assert_eq!(t.find("localhost", "/"), None);
        assert_eq!(t.find("evil.example", "/"), None);
        assert!(!t.knows_host("evil.example"));
    }

    #[test]
    fn request_hosts() {
        assert_eq!(
            request_host("App.Localhost:8443").as_deref(),
            Some("app.localhost")
        );
        assert_eq!(
            request_host("app.localhost.").as_deref(),
            Some("app.localhost")
        );
        assert_eq!(
            request_host("app.localhost").as_deref(),
            Some("app.localhost")
        );
        assert_eq!(request_host("[::1]:443"), None);
        assert_eq!(request_host("a b"), None);
        assert_eq!(request_host(""), None);
        // Found by the path_route fuzz target: an empty label is no host name (one trailing
        // dot, the root, is allowed, and only one).
        assert_eq!(request_host("app.localhost.."), None);
        assert_eq!(request_host(".app.localhost"), None);
        assert_eq!(request_host("app..localhost:80"), None);
    }
}
