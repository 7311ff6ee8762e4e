//! `gerbang-memory`: what a flood of rejected token requests leaves in the server's memory,
//! beside nginx under the same number of requests, for `docs/benchmarks.md` (issue 22).
//!
//! It boots `gerbang` (set `GERBANG_BIN` to the release build) with a `client_credentials`
//! client and reads its resident memory idle; sends `MEMORY_REQUESTS` (default 60,000) token
//! requests with a wrong client secret from 32 clients over keep-alive connections, each
//! answered `401`; then reads the memory at the flood's end and 10 and 30 seconds after, and the
//! peak. nginx (one worker, proxying to the example app with upstream keep-alive) gets the same
//! number of POSTs and the same readings.
//!
//! Every request goes to 127.0.0.1; the flood is bounded in count.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gerbang_tests::load::{peak_rss_mb, rss_mb, with_children};
use gerbang_tests::nginx::Nginx;
use gerbang_tests::{free_port, App, Gerbang, Spec};

const CLIENTS: usize = 32;
const SECRET: &str = "machine-secret-0123456789";

/// Memory readings of one server, in MB.
struct Readings {
    idle: f64,
    end: f64,
    after_10s: f64,
    after_30s: f64,
    peak: f64,
    /// Requests answered with the expected status.
    expected: u64,
}

/// `requests` POSTs of `body` to `url` from [`CLIENTS`] loops of `client` (with a wrong client
/// secret when `basic`); how many were answered `status`.
async fn flood(
    client: reqwest::Client,
    url: String,
    body: &'static str,
    basic: bool,
    requests: usize,
    status: u16,
) -> u64 {
    let next = Arc::new(AtomicUsize::new(0));
    let expected = Arc::new(AtomicU64::new(0));
    let loops: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, url, next, expected) = (
                client.clone(),
                url.clone(),
                Arc::clone(&next),
                Arc::clone(&expected),
            );
            tokio::spawn(async move {
                while next.fetch_add(1, Ordering::Relaxed) < requests {
                    let mut request = client
                        .post(&url)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(body);
                    if basic {
                        request = request.basic_auth("machine", Some("not-the-secret"));
                    }
                    if let Ok(response) = request.send().await {
                        if response.status() == status && response.bytes().await.is_ok() {
                            expected.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for one in loops {
        one.await.unwrap();
    }
    expected.load(Ordering::Relaxed)
}

/// Idle, end, after and peak readings of `pids` around `flood`.
async fn readings(
    pids: impl Fn() -> Vec<u32>,
    flood: impl std::future::Future<Output = u64>,
) -> Readings {
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle = rss_mb(&pids());
    let expected = flood.await;
    let end = rss_mb(&pids());
    tokio::time::sleep(Duration::from_secs(10)).await;
    let after_10s = rss_mb(&pids());
    tokio::time::sleep(Duration::from_secs(20)).await;
    let after_30s = rss_mb(&pids());
    Readings {
        idle,
        end,
        after_10s,
        after_30s,
        peak: peak_rss_mb(&pids()),
        expected,
    }
}

#[tokio::main]
async fn main() {
    let requests: usize = std::env::var("MEMORY_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60_000);
    let allocator = std::env::var("MEMORY_ALLOCATOR").unwrap_or_else(|_| "as built".into());
    let app = App::start("memory").await;

    let gw = Gerbang::start(Spec {
        extra: format!(
            "[[client]]\nid = \"machine\"\nsecret = \"{SECRET}\"\ngrant_types = [\"client_credentials\"]\n"
        ),
        ..Spec::http(format!(
            "[[route]]\nname = \"app\"\nhost = \"app.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
            app.addr
        ))
    })
    .await;
    let pid = gw.pid();
    let gerbang = readings(
        || vec![pid],
        flood(
            gw.client(&[Gerbang::PROVIDER_HOST]),
            gw.url(Gerbang::PROVIDER_HOST, "/token"),
            "grant_type=client_credentials",
            true,
            requests,
            401,
        ),
    )
    .await;
    drop(gw);

    let port = free_port();
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let nginx = Nginx::start(
        &format!(
            "  upstream app {{ server {}; keepalive 32; }}\n  server {{\n    listen {listen};\n    location / {{\n      proxy_pass http://app;\n      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n    }}\n  }}",
            app.addr
        ),
        listen,
    )
    .await;
    let nginx_pid = std::fs::read_to_string(nginx.dir.path().join("nginx.pid"))
        .unwrap()
        .trim()
        .parse::<u32>()
        .unwrap();
    let nginx_readings = readings(
        || with_children(nginx_pid),
        flood(
            reqwest::Client::new(),
            format!("http://{listen}/echo"),
            "ping",
            false,
            requests,
            200,
        ),
    )
    .await;

    println!("{requests} requests from {CLIENTS} clients; Gerbang's allocator: {allocator}\n");
    println!("| server | answered as expected | idle RSS MB | at the flood's end | 10 s after | 30 s after | peak (VmHWM) | after 30 s − idle |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, r) in [
        ("Gerbang, POST /token, wrong client secret (401)", &gerbang),
        ("nginx, POST proxied to the app (200)", &nginx_readings),
    ] {
        println!(
            "| {name} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:+.1} |",
            r.expected,
            r.idle,
            r.end,
            r.after_10s,
            r.after_30s,
            r.peak,
            r.after_30s - r.idle
        );
    }
}
