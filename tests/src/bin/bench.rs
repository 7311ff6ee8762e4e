//! `gerbang-bench`: a load run on loopback against the real binary, for `docs/benchmarks.md`.
//!
//! It boots `gerbang` (set `GERBANG_BIN` to the release build) in front of the example app,
//! logs a user in, then measures for a fixed time each:
//! - the public route, and the authenticated route with a gateway session (the session check);
//! - the authenticated route while 32 clients post wrong passwords to the login page;
//! - the token endpoint (client credentials).
//!
//! Every request goes to 127.0.0.1; every phase is bounded in time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gerbang_idp::store::test_database::{database_url, TestSchema};
use gerbang_tests::browser::{self, hidden_field};
use gerbang_tests::{App, Gerbang, Spec};

const PASSWORD: &str = "kuda laut biru";

struct Outcome {
    requests: u64,
    errors: u64,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl Outcome {
    fn rate(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// `clients` loops of `request` for `duration`; latency of each successful one recorded.
async fn load<F, Fut>(clients: usize, duration: Duration, request: F) -> Outcome
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let request = Arc::new(request);
    let errors = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let request = Arc::clone(&request);
        let errors = Arc::clone(&errors);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while started.elapsed() < duration {
                let t = Instant::now();
                if request().await {
                    latencies.push(t.elapsed());
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort();
    let at = |q: f64| {
        all.get(((all.len() as f64 * q) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Outcome {
        requests: all.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        seconds,
        p50_ms: at(0.50),
        p99_ms: at(0.99),
    }
}

fn rand_suffix() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let duration = Duration::from_secs(seconds);
    let app = App::start("bench").await;
    let routes = format!(
        "[[route]]\nname = \"open\"\nhost = \"open.test\"\nupstreams = [\"{a}\"]\npolicy = \"public\"\n\n\
         [[route]]\nname = \"app\"\nhost = \"app.test\"\nupstreams = [\"{a}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\n",
        a = app.addr
    );
    // BENCH_STORE=postgres: the same run on PostgreSQL (a fresh schema of the test database).
    let schema = match std::env::var("BENCH_STORE").as_deref() {
        Ok("postgres") => Some(TestSchema::create().await),
        _ => None,
    };
    let store = schema.as_ref().map(|s| {
        format!(
            "[store]\nbackend = \"postgres\"\nurl = \"{}\"\nschema = \"{}\"\n",
            database_url(),
            s.name
        )
    });
    let gw = Gerbang::start(Spec {
        store,
        https: true,
        http: false,
        server_extra: "threads = 2\n".into(),
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n\n[login]\nattempts_per_address_per_minute = 10000\nmax_failures = 100\n\n\
             [[client]]\nid = \"machine\"\nsecret = \"machine-secret-0123456789\"\ngrant_types = [\"client_credentials\"]\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: vec![("budi".into(), PASSWORD.into())],
        ..Spec::http(routes)
    })
    .await;
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let browser = gw.client(&["app.test", "open.test", Gerbang::PROVIDER_HOST]);
    browser::log_in_to_app(
        &browser,
        &gw.url("app.test", "/whoami"),
        &provider,
        "budi",
        PASSWORD,
    )
    .await;
    assert_eq!(
        browser
            .get(gw.url("app.test", "/whoami"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "logged in"
    );

    let get = |url: String| {
        let client = browser.clone();
        move || {
            let client = client.clone();
            let url = url.clone();
            async move {
                match client.get(&url).send().await {
                    Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                    Ok(r) => {
                        eprintln!("{url}: {}", r.status());
                        false
                    }
                    Err(e) => {
                        eprintln!("{url}: {e:?}");
                        false
                    }
                }
            }
        }
    };
    let public = load(16, duration, get(gw.url("open.test", "/whoami"))).await;
    let authenticated = load(16, duration, get(gw.url("app.test", "/whoami"))).await;

    // The login flood: 32 clients posting wrong passwords as fast as they can.
    let flooding = Arc::new(AtomicBool::new(true));
    let attempts = Arc::new(AtomicU64::new(0));
    let mut flood = Vec::new();
    for n in 0..32 {
        let (flooding, attempts) = (Arc::clone(&flooding), Arc::clone(&attempts));
        let client = gw.client(&[Gerbang::PROVIDER_HOST]);
        let provider = provider.clone();
        flood.push(tokio::spawn(async move {
            while flooding.load(Ordering::Relaxed) {
                let Ok(page) = client.get(format!("{provider}/login")).send().await else {
                    continue;
                };
                let token = hidden_field(&page.text().await.unwrap_or_default(), "captcha_token")
                    .unwrap_or_default();
                let _ = client
                    .post(format!("{provider}/login"))
                    .header("x-forwarded-for", format!("198.51.100.{n}"))
                    // A new unknown name each time: no lock ever short-cuts the password check,
                    // so every attempt costs a full argon2id verification (of the decoy hash).
                    .form(&[
                        ("captcha_token", token.as_str()),
                        ("captcha", "uji"),
                        ("username", &format!("nobody{n}-{}", rand_suffix())),
                        ("password", "salah"),
                        ("request", ""),
                    ])
                    .send()
                    .await;
                attempts.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = attempts.load(Ordering::Relaxed);
    let under_flood = load(16, duration, get(gw.url("app.test", "/whoami"))).await;
    let flood_rate = (attempts.load(Ordering::Relaxed) - before) as f64 / under_flood.seconds;
    flooding.store(false, Ordering::Relaxed);
    for task in flood {
        let _ = task.await;
    }

    let token_client = gw.client(&[Gerbang::PROVIDER_HOST]);
    let token_url = format!("{provider}/token");
    let tokens = load(8, duration, move || {
        let client = token_client.clone();
        let url = token_url.clone();
        async move {
            client
                .post(&url)
                .basic_auth("machine", Some("machine-secret-0123456789"))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
        }
    })
    .await;

    // Successful logins: the login page, then the right password (argon2id, a new session).
    let login_client = gw.client(&[Gerbang::PROVIDER_HOST]);
    let login_provider = provider.clone();
    let logins = load(4, duration, move || {
        let client = login_client.clone();
        let provider = login_provider.clone();
        async move {
            let response = browser::submit_login(&client, &provider, "budi", PASSWORD, None).await;
            response.status() == 302
        }
    })
    .await;

    let backend = if schema.is_some() {
        "PostgreSQL"
    } else {
        "sled"
    };
    println!("store: {backend}");
    println!();
    println!("| measurement | requests/s | p50 ms | p99 ms | errors |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, o) in [
        ("public route", &public),
        ("authenticated route (session check)", &authenticated),
        ("authenticated route, 32-client login flood", &under_flood),
        ("token endpoint, client_credentials", &tokens),
        (
            "successful logins (login page + argon2id + session)",
            &logins,
        ),
    ] {
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {} |",
            o.rate(),
            o.p50_ms,
            o.p99_ms,
            o.errors
        );
    }
    println!();
    println!(
        "authenticated / public throughput: {:.2}",
        authenticated.rate() / public.rate()
    );
    println!(
        "under flood / without: {:.2} (login attempts answered meanwhile: {flood_rate:.0}/s)",
        under_flood.rate() / authenticated.rate()
    );
    println!("duration per phase: {seconds} s; load generator: 16 clients (8 for the token endpoint), HTTP/2 over TLS, same machine");
}
