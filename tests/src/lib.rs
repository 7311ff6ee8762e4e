//! The one harness every end-to-end suite uses: it builds the real `gerbang` binary, boots it on
//! free loopback ports with a fresh data directory, starts real upstream apps on loopback, and
//! gives clients that speak HTTP to it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod browser;
pub mod chrome;
mod gerbang;
pub mod load;
pub mod nginx;
mod raw;
pub mod site;
pub mod smtp;
pub mod tcp_proxy;
mod traffic;
mod upstream;

pub use gerbang::{gerbang_binary, Gerbang, Spec};
pub use raw::{raw_request, RawResponse};
pub use tcp_proxy::TcpProxy;
pub use traffic::Traffic;
pub use upstream::{App, Reserved};

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port")
}

/// The value of the sample `name` (with its labels) in a Prometheus text page.
pub fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {name} in\n{text}"))
        .parse()
        .expect("a number")
}
