//! `gerbang-memory`: what a flood of rejected token requests leaves in the server's memory,
//! beside nginx under the same number of requests, for `docs/benchmarks.md` (issue 22).
//!
//! It boots `gerbang` (set `GERBANG_BIN` to the release build, with the demo feature) with a
//! `client_credentials` client and reads its resident memory idle; sends `MEMORY_REQUESTS`
//! (default 60,000) token requests with a wrong client secret from 32 clients over TLS, each
//! answered `401`; then reads the memory at the flood's end and 10 and 30 seconds after, and the
//! peak. It does so for three shapes of flood, each on a fresh server: HTTP/1.1 over keep-alive
//! connections, HTTP/2, and HTTP/1.1 with a new connection (and TLS handshake) per request.
//! It also reads `gerbang demo`'s memory idle. nginx (one worker, proxying to the example app with upstream keep-alive) gets the same
//! number of POSTs and the same readings.
//!
//! Every request goes to 127.0.0.1; the flood is bounded in count.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use gerbang_tests::load::{peak_rss_mb, rss_mb};
use gerbang_tests::nginx::Nginx;
use gerbang_tests::{free_port, App, ClientMaker, Gerbang, Spec};

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

/// How the flood reaches Gerbang: each over TLS, as clients reach the provider.
const SHAPES: [(&str, Shape); 3] = [
    ("HTTP/1.1, 32 keep-alive connections", Shape::KeepAlive),
    ("HTTP/2, one connection, 32 streams at a time", Shape::Http2),
    (
        "HTTP/1.1, a new connection per request",
        Shape::NewConnections,
    ),
];

#[derive(Clone, Copy)]
enum Shape {
    KeepAlive,
    Http2,
    NewConnections,
}

impl Shape {
    fn client(self, maker: &ClientMaker) -> reqwest::Client {
        let builder = maker.builder();
        let builder = match self {
            Shape::KeepAlive => builder.http1_only(),
            Shape::Http2 => builder.http2_prior_knowledge(),
            Shape::NewConnections => builder.http1_only().pool_max_idle_per_host(0),
        };
        builder.build().unwrap()
    }
}

/// Readings of a fresh Gerbang flooded in `shape`.
async fn gerbang_flooded(shape: Shape, requests: usize) -> Readings {
    let app = App::start("memory").await;
    let gw = Gerbang::start(Spec {
        https: true,
        http: false,
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
    let client = shape.client(&gw.client_maker(&[Gerbang::PROVIDER_HOST]));
    let url = gw.url(Gerbang::PROVIDER_HOST, "/token");
    let body = "grant_type=client_credentials";
    readings(|| vec![pid], flood(client, url, body, true, requests, 401)).await
}

/// `gerbang demo`'s resident memory once it has started and settled, in MB: the gateway, the
/// provider and the three example apps, on a folder of its own.
async fn demo_idle() -> f64 {
    let dir = tempfile::tempdir().unwrap();
    // Ports from 8443 + offset up: an offset no other demo on this machine is likely to use.
    let offset = 20_000 + (std::process::id() % 10_000) as u16;
    let mut demo = std::process::Command::new(gerbang_tests::gerbang_binary())
        .args(["demo", "--port-offset", &offset.to_string()])
        .current_dir(dir.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("gerbang demo (a build with the demo feature)");
    let https = std::net::SocketAddr::from(([127, 0, 0, 1], 8443 + offset));
    let within = Duration::from_secs(60);
    gerbang_tests::wait_listening(&mut demo, https, within, "the demo", String::new).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let idle = rss_mb(&[demo.id()]);
    let _ = demo.kill();
    let _ = demo.wait();
    idle
}

#[tokio::main]
async fn main() {
    let requests = gerbang_tests::setting("MEMORY_REQUESTS", 60_000) as usize;
    let allocator = std::env::var("MEMORY_ALLOCATOR").unwrap_or_else(|_| "as built".into());
    let demo = demo_idle().await;
    let mut flooded = Vec::new();
    for (name, shape) in SHAPES {
        flooded.push((name, gerbang_flooded(shape, requests).await));
    }

    let app = App::start("memory").await;
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
    let nginx_pids = nginx.pids().await;
    let nginx_readings = readings(
        || nginx_pids.clone(),
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
    let rows = flooded
        .iter()
        .map(|(name, r)| {
            (
                format!("Gerbang, POST /token, wrong client secret (401), {name}"),
                r,
            )
        })
        .chain([(
            "nginx, POST proxied to the app (200), HTTP/1.1 keep-alive".to_string(),
            &nginx_readings,
        )]);
    for (name, r) in rows {
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
    println!("\n`gerbang demo` (gateway, provider, three example apps), idle: {demo:.1} MB RSS");
}
