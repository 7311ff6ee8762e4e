//! `gerbang-bench`: a load run on loopback against the real binary, for `docs/benchmarks.md`.
//!
//! It boots `gerbang` (set `GERBANG_BIN` to the release build) in front of the example app,
//! logs a user in, then measures for a fixed time each:
//! - the public route, and the authenticated route with a gateway session (the session check);
//! - the authenticated route while 32 clients post wrong passwords to the login page;
//! - the token endpoint: `client_credentials`; `authorization_code` (the authorize request of a
//!   logged-in user and the code exchange); `refresh_token` (each client refreshing its own
//!   grant, rotation included);
//! - successful logins (argon2id) and registrations (the Daftar form, queued mail included).
//!
//! `BENCH_TOKEN_ALG=ES256` signs the clients' tokens with ES256 instead of RS256.
//! `BENCH_PIN=1` pins Gerbang to CPU 1 and this program (the load and the upstream app) to
//! CPU 0, so the provider's rates are per core.
//!
//! Every request goes to 127.0.0.1; every phase is bounded in time.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gerbang_idp::store::test_database::{database_url, TestSchema};
use gerbang_tests::browser::{self, hidden_field};
use gerbang_tests::load::{pin, LoginFlood, LOAD_CPU, SERVER_CPU};
use gerbang_tests::{site, App, Gerbang, Spec};

const PASSWORD: &str = "kuda laut biru";
const RP_SECRET: &str = "rp-secret-0123456789abcdef";
const RP_CALLBACK: &str = "https://rp.test/cb";

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
    let seconds = gerbang_tests::setting("BENCH_SECONDS", 10);
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
            "[store]\nbackend = \"postgres\"\nurl = \"{}\"\nschema = \"{}\"\n{}",
            database_url(),
            s.name,
            gerbang_tests::POSTGRES_MFA
        )
    });
    // BENCH_TOKEN_ALG=ES256: the clients' access and ID tokens signed with ES256 (default RS256).
    let alg = std::env::var("BENCH_TOKEN_ALG").unwrap_or_else(|_| "RS256".into());
    let gw = Gerbang::start(Spec {
        store,
        https: true,
        http: false,
        server_extra: "threads = 2\n".into(),
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n\n[login]\nattempts_per_address_per_minute = 10000\nmax_failures = 100\n\n\
             [[client]]\nid = \"machine\"\nsecret = \"machine-secret-0123456789\"\ngrant_types = [\"client_credentials\"]\naccess_token_signed_response_alg = \"{alg}\"\n\n\
             [[client]]\nid = \"rp\"\nsecret = \"{RP_SECRET}\"\nredirect_uris = [\"{RP_CALLBACK}\"]\ngrant_types = [\"authorization_code\", \"refresh_token\"]\nfirst_party = true\n\
             access_token_signed_response_alg = \"{alg}\"\nid_token_signed_response_alg = \"{alg}\"\n",
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

    if std::env::var("BENCH_PIN").is_ok_and(|v| v == "1") {
        pin(&[gw.pid()], SERVER_CPU);
        pin(&[std::process::id()], LOAD_CPU);
    }

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
    let flood = LoginFlood::start(&gw, 32);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = flood.answered();
    let under_flood = load(16, duration, get(gw.url("app.test", "/whoami"))).await;
    let flood_rate = (flood.answered() - before) as f64 / under_flood.seconds;
    flood.stop().await;

    let token_client = gw.client(&[Gerbang::PROVIDER_HOST]);
    let token_url = format!("{provider}/token");
    let tokens = load(8, duration, move || {
        let client = token_client.clone();
        let url = token_url.clone();
        async move {
            let response = client
                .post(&url)
                .basic_auth("machine", Some("machine-secret-0123456789"))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await;
            match response {
                Ok(r) if r.status() == 200 => true,
                Ok(r) => {
                    eprintln!(
                        "token endpoint: {} {}",
                        r.status(),
                        r.text().await.unwrap_or_default()
                    );
                    false
                }
                Err(e) => {
                    eprintln!("token endpoint: {e:?}");
                    false
                }
            }
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

    // The authorization code flow of the logged-in browser: authorize, then exchange the code.
    let code_flow = {
        let (browser, provider) = (browser.clone(), provider.clone());
        move || {
            let (browser, provider) = (browser.clone(), provider.clone());
            async move { code_grant(&browser, &provider).await.is_some() }
        }
    };
    let codes = load(8, duration, code_flow).await;

    // Refresh: each client holds one grant and refreshes it (the old token is spent each time).
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(
            code_grant(&browser, &provider)
                .await
                .expect("a refresh token"),
        );
    }
    let held = Arc::new(std::sync::Mutex::new(held));
    let refresh_client = gw.client(&[Gerbang::PROVIDER_HOST]);
    let refresh_url = format!("{provider}/token");
    let refreshes = load(8, duration, move || {
        let (client, url, held) = (
            refresh_client.clone(),
            refresh_url.clone(),
            Arc::clone(&held),
        );
        async move {
            let Some(token) = held.lock().unwrap().pop() else {
                return false;
            };
            let next = token_response(
                client
                    .post(&url)
                    .basic_auth("rp", Some(RP_SECRET))
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", &token)]),
            )
            .await;
            match next {
                Some(next) => {
                    held.lock().unwrap().push(next);
                    true
                }
                None => false,
            }
        }
    })
    .await;

    // Registrations: the Daftar page, then the form (a new NIK and e-mail each time).
    let register_client = gw.client(&[Gerbang::PROVIDER_HOST]);
    let register_provider = provider.clone();
    let registrations = load(8, duration, move || {
        let (client, provider) = (register_client.clone(), register_provider.clone());
        async move {
            let n = rand_suffix() as usize;
            let Ok(page) = client.get(format!("{provider}/register")).send().await else {
                return false;
            };
            let token = hidden_field(&page.text().await.unwrap_or_default(), "captcha_token")
                .unwrap_or_default();
            let email = format!("pendaftar{n}@example.id");
            let mut form = vec![
                ("captcha_token", token),
                ("captcha", browser::CAPTCHA_TEST_ANSWER.to_string()),
            ];
            form.extend(site::ktp(
                &email,
                &format!("317405120885{:04}", n % 9999 + 1),
            ));
            let response = client
                .post(format!("{provider}/register"))
                .form(&form)
                .send()
                .await;
            response.is_ok_and(|r| r.status() == 200)
        }
    })
    .await;

    let backend = if schema.is_some() {
        "PostgreSQL"
    } else {
        "sled"
    };
    println!("store: {backend}; client tokens signed with {alg}");
    println!();
    println!("| measurement | requests/s | p50 ms | p99 ms | errors |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, o) in [
        ("public route", &public),
        ("authenticated route (session check)", &authenticated),
        ("authenticated route, 32-client login flood", &under_flood),
        ("token endpoint, client_credentials", &tokens),
        (
            "authorization code flow (authorize + code exchange)",
            &codes,
        ),
        ("token endpoint, refresh_token (rotating)", &refreshes),
        ("registrations (Daftar form, mail queued)", &registrations),
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
    println!("duration per phase: {seconds} s; load generator: 16 clients (8 for the token endpoint, code flows, refreshes and registrations; 4 for logins), HTTP/2 over TLS, same machine");
}

/// One authorization code flow of the logged-in `browser` for the client `rp`: its refresh
/// token, when every step succeeded.
async fn code_grant(browser: &reqwest::Client, provider: &str) -> Option<String> {
    let state = rand_suffix().to_string();
    let authorize = browser
        .get(format!("{provider}/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", "rp"),
            ("redirect_uri", RP_CALLBACK),
            ("scope", "openid profile"),
            ("state", &state),
            ("nonce", &state),
        ])
        .send()
        .await
        .ok()?;
    let location = authorize.headers().get("location")?.to_str().ok()?;
    let code = url::Url::parse(location)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "code")?
        .1
        .into_owned();
    token_response(
        browser
            .post(format!("{provider}/token"))
            .basic_auth("rp", Some(RP_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", RP_CALLBACK),
            ]),
    )
    .await
}

/// The refresh token of a successful token response.
async fn token_response(request: reqwest::RequestBuilder) -> Option<String> {
    let response = request.send().await.ok()?;
    if response.status() != 200 {
        return None;
    }
    let body: serde_json::Value = response.json().await.ok()?;
    Some(body["refresh_token"].as_str()?.to_string())
}
