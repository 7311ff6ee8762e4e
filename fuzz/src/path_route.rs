//! Path normalisation and route matching. A normal path is a fixed point (normalising it again
//! changes nothing), has no dot segments and no empty ones, and picks the same route on a
//! second pass; a request's host name is normal once too.

use std::sync::OnceLock;

use gerbang::proxy::path::normalise;
use gerbang::routes::table::{request_host, RouteTable};
use gerbang_config::HostPattern;

const HOST: &str = "app.example";

fn table() -> &'static RouteTable<&'static str> {
    static TABLE: OnceLock<RouteTable<&'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = RouteTable::default();
        let exact = HostPattern::Exact(HOST.into());
        for (prefix, case_sensitive) in [
            ("/", false),
            ("/admin", false),
            ("/admin/public", false),
            ("/api/v1", true),
            ("/static/", false),
        ] {
            table.insert(&exact, prefix, case_sensitive, prefix);
        }
        let wildcard = HostPattern::Wildcard {
            suffix: ".example".into(),
        };
        table.insert(&wildcard, "/", false, "wildcard");
        table
    })
}

/// The input is a path, or a host, a newline and a path.
pub fn check(data: &[u8]) {
    let Some(text) = crate::text(data) else {
        return;
    };
    let (host, path) = text.split_once('\n').unwrap_or((HOST, text));
    check_host(host);
    check_path(path);
}

fn check_host(raw: &str) {
    let Some(host) = request_host(raw) else {
        return;
    };
    assert!(!host.is_empty());
    assert!(!host.bytes().any(|b| b.is_ascii_uppercase()), "{host:?}");
    assert!(
        host.split('.').all(|label| !label.is_empty()),
        "an empty label in {host:?} (from {raw:?})"
    );
    assert_eq!(request_host(&host).as_deref(), Some(&*host), "from {raw:?}");
}

fn check_path(raw: &str) {
    let Ok(once) = normalise(raw) else {
        return;
    };
    for path in [&*once.forward, &*once.matching] {
        assert!(path.starts_with('/'), "{path:?} from {raw:?}");
        assert!(!path.contains("//"), "{path:?} from {raw:?}");
        for segment in path.split('/') {
            let bare = segment.split(';').next().unwrap_or("");
            assert!(
                bare != "." && bare != "..",
                "a dot segment in {path:?} from {raw:?}"
            );
        }
    }
    assert!(!once.matching.contains(';'), "{:?}", once.matching);
    let twice = normalise(&once.forward).expect("a normal path normalises");
    assert_eq!(twice.forward, once.forward, "not a fixed point: {raw:?}");
    assert_eq!(twice.matching, once.matching, "not a fixed point: {raw:?}");
    let table = table();
    for host in [HOST, "x.example"] {
        assert_eq!(
            table.find(host, &once.matching),
            table.find(host, &twice.matching),
            "{raw:?} picks another route on a second pass"
        );
    }
}
