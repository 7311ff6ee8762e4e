//! The one harness every end-to-end suite uses: it builds the real `gerbang` binary, boots it on
//! free loopback ports with a fresh data directory, starts real upstream apps on loopback, and
//! gives clients that speak HTTP to it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod authenticator;
pub mod browser;
pub mod chrome;
pub mod cluster;
pub mod fake_op;
pub mod front;
mod gerbang;
pub mod h2_frames;
pub mod load;
pub mod nginx;
pub mod op;
mod raw;
pub mod site;
pub mod smtp;
pub mod tcp_proxy;
mod traffic;
mod upstream;

pub use gerbang::{gerbang_binary, ClientMaker, Gerbang, Spec};
pub use raw::{raw_request, RawResponse};
pub use tcp_proxy::TcpProxy;
pub use traffic::Traffic;
pub use upstream::{App, Reserved};

/// A loopback address that refuses every connection for as long as it lives: a socket bound
/// but never listening. Unlike a listener bound and dropped, it keeps its port, so no other
/// server of a parallel test can take it meanwhile and answer in its place.
pub struct Refusing {
    pub addr: std::net::SocketAddr,
    _socket: tokio::net::TcpSocket,
}

impl Refusing {
    pub fn bind() -> Refusing {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .bind("127.0.0.1:0".parse().expect("an address"))
            .expect("a loopback port");
        let addr = socket.local_addr().expect("its address");
        Refusing {
            addr,
            _socket: socket,
        }
    }
}

/// Waits until `child` accepts connections on `addr`; panics, with `what` and `log()`, if it
/// exits first or takes longer than `within`.
pub async fn wait_listening(
    child: &mut std::process::Child,
    addr: std::net::SocketAddr,
    within: std::time::Duration,
    what: &str,
    log: impl Fn() -> String,
) {
    let deadline = std::time::Instant::now() + within;
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}): {}", log());
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not start: {}",
            log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A loopback port nobody listens on right now, for a server the test starts later.
///
/// Chosen at random below the kernel's ephemeral range (32768 and up on Linux), so that no
/// outgoing connection of any test can be given it meanwhile, and never handed out twice by one
/// test process. Another test process may still pick the same port before the server binds it:
/// [`Gerbang::start`] checks that the server listening is its own and starts again on other
/// ports when it is not.
pub fn free_port() -> u16 {
    use std::collections::hash_map::RandomState;
    use std::hash::{BuildHasher, Hasher};
    use std::sync::Mutex;
    static HANDED_OUT: Mutex<std::collections::BTreeSet<u16>> =
        Mutex::new(std::collections::BTreeSet::new());
    let seed = RandomState::new();
    for attempt in 0u64.. {
        let mut hasher = seed.build_hasher();
        hasher.write_u64(attempt);
        let port = 20_000 + (hasher.finish() % 12_000) as u16;
        let fresh = HANDED_OUT.lock().unwrap().insert(port);
        if fresh && std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
        assert!(attempt < 10_000, "no free port");
    }
    unreachable!()
}

/// True when process `pid` holds a TCP socket listening on loopback `port` (read from `/proc`):
/// the server that answers there is that process, not another test's.
pub fn listens_on(pid: u32, port: u16) -> bool {
    let listening: Vec<String> = ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .filter_map(|table| std::fs::read_to_string(table).ok())
        .flat_map(|text| {
            text.lines()
                .skip(1)
                .filter_map(|line| {
                    let fields: Vec<&str> = line.split_whitespace().collect();
                    let local_port = fields.get(1)?.rsplit(':').next()?;
                    let listen = fields.get(3)? == &"0A";
                    let inode = fields.get(9)?;
                    (listen && u16::from_str_radix(local_port, 16).ok()? == port)
                        .then(|| format!("socket:[{inode}]"))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .any(|target| listening.iter().any(|s| target.as_os_str() == s.as_str()))
}

/// The Prometheus text page of the internal listener at `internal`.
pub async fn scrape(internal: std::net::SocketAddr) -> String {
    reqwest::get(format!("http://{internal}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("the metrics page")
}

/// The value of the sample `name` (with its labels) in a Prometheus text page.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {name} in\n{text}"))
        .parse()
        .expect("a number")
}

/// The `[mfa]` table a PostgreSQL configuration needs: the key that seals second-factor
/// secrets, the same on every instance.
pub const POSTGRES_MFA: &str =
    "\n[mfa]\nsecret_key = \"test-second-factor-key-0123456789abcdef\"\n";

/// The `[store]` table (with [`POSTGRES_MFA`]) of a harness's server on `schema`.
pub fn postgres_store(schema: &gerbang_idp::store::test_database::TestSchema) -> String {
    format!(
        "{POSTGRES_MFA}\n[store]\nbackend = \"postgres\"\nurl = \"{}\"\nschema = \"{}\"\npool_size = 8\ntimeout_secs = 5\n",
        schema.url(),
        schema.name
    )
}

/// A harness's numeric setting from the environment, or `default`.
pub fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Panics in one line each, for a harness whose clients' panics are caught and counted (the
/// login helper's, when a kill or a fault cuts a login off, would print a whole page each).
pub fn short_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        let line = message.lines().next().unwrap_or("");
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()));
        let cut: String = line.chars().take(160).collect();
        eprintln!("panic at {}: {cut}", at.unwrap_or_default());
    }));
}
