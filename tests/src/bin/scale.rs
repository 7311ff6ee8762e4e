//! `gerbang-scale`: how Gerbang's memory and per-request cost grow with what it holds.
//!
//! 1. **Sessions.** A gateway session is a sealed cookie: the gateway keeps nothing per session
//!    but the revocations it must refuse. So for N = 1, 10k and 100k this writes N provider
//!    sessions into the store and N revoked sessions into the revocation log (which every
//!    instance loads into memory and checks on every request), starts the release binary on
//!    that store, and measures its resident memory and the CPU per request of the
//!    authenticated route (wrk pinned as in `gerbang-compare`).
//! 2. **Users.** A sled store with `SCALE_USERS` users (default 1,000,000): how fast they are
//!    written, the size on disk, and the time of the lookup a login starts with (by user name
//!    and by e-mail, 10,000 random ones each).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gerbang_idp::revocation::Revoked;
use gerbang_idp::store::conformance::{email, numbered_nik, numbered_phone};
use gerbang_idp::store::{
    Identity, NewUser, Pending, Profile, Session, SharedStore, SledStore, UniqueKey, UserStatus,
};
use gerbang_tests::load::{measure, pin, rss_mb, REPORT_SCRIPT, SERVER_CPU};
use gerbang_tests::{browser, App, Gerbang, Spec};

const PASSWORD: &str = "kuda laut biru";
/// Concurrent writers while filling a store (each write is flushed before it is acknowledged;
/// concurrent ones share a flush).
const WRITERS: usize = 256;

fn now() -> u64 {
    gerbang_idp::clock::now()
}

/// Runs `write(i)` for every i in 0..n on `WRITERS` tasks; returns the writes per second.
async fn fill<F, Fut>(n: usize, write: F) -> f64
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let started = Instant::now();
    let write = Arc::new(write);
    let tasks: Vec<_> = (0..WRITERS)
        .map(|w| {
            let write = Arc::clone(&write);
            tokio::spawn(async move {
                for i in (w..n).step_by(WRITERS) {
                    write(i).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

async fn sessions(n: usize, seconds: u64) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    {
        let store: SharedStore = Arc::new(SledStore::open(&path).unwrap());
        let t = now();
        let s = Arc::clone(&store);
        fill(n, move |i| {
            let store = Arc::clone(&s);
            async move {
                let session = Session {
                    upstream: None,
                    id_hash: format!("{i:064x}"),
                    user_id: format!("user-{}", i % 1000),
                    created_at: t,
                    last_seen: t,
                    expires_at: t + 12 * 3600,
                    auth_time: t,
                    audience: "provider".into(),
                    device: None,
                    parent: None,
                    clients: Vec::new(),
                    proven: Default::default(),
                };
                store.put_session(&session).await.unwrap();
                store
                    .revoke(Revoked::Session(&format!("revoked-{i}")), t + 12 * 3600)
                    .await
                    .unwrap();
            }
        })
        .await;
    }
    let app = App::start("app").await;
    let gw = Gerbang::start(Spec {
        https: true,
        http: false,
        server_extra: "threads = 1\n".into(),
        store: Some(format!("[store]\npath = \"{}\"", path.display())),
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: vec![("budi".into(), PASSWORD.into())],
        ..Spec::http(format!(
            "[[route]]\nname = \"app\"\nhost = \"app.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\n",
            app.addr
        ))
    })
    .await;
    // The revocation log is loaded by the shared-state feed within its first second.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let browser_client = gw.client(&["app.test", Gerbang::PROVIDER_HOST]);
    let landed = browser::log_in_to_app(
        &browser_client,
        &gw.url("app.test", "/whoami"),
        &gw.url(Gerbang::PROVIDER_HOST, ""),
        "budi",
        PASSWORD,
    )
    .await;
    let cookie = format!("Cookie: {}", browser::cookies_set_by(&landed));
    let idle_rss = rss_mb(&[gw.pid()]);
    pin(&[gw.pid(), std::process::id()], SERVER_CPU);
    let script = dir.path().join("report.lua");
    std::fs::write(&script, REPORT_SCRIPT).unwrap();
    let url = format!("https://{}/whoami", gw.https.unwrap());
    let headers = ["Host: app.test".to_string(), cookie];
    let pids = [gw.pid()];
    let run = tokio::task::block_in_place(|| {
        measure("session route", &url, &headers, &pids, seconds, &script)
    });
    format!(
        "| {n} | {idle_rss:.1} | {:.1} | {:.0} | {:.1} | {:.2} | {} | {:.0} |",
        run.rss_mb,
        run.rate,
        run.cpu_per_10k * 100.0,
        run.p99,
        run.errors,
        dir_size(&path) as f64 / 1e6
    )
}

async fn users(n: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store");
    let store: SharedStore = Arc::new(SledStore::open(&path).unwrap());
    // One real argon2id hash for all: the lookup, not the hashing, is measured here.
    let hash = gerbang_idp::account::password::Passwords::new(1)
        .unwrap()
        .hash(PASSWORD)
        .await
        .unwrap();
    let s = Arc::clone(&store);
    let rate = fill(n, move |i| {
        let (store, hash) = (Arc::clone(&s), hash.clone());
        async move {
            let user = NewUser {
                username: format!("pengguna{i}"),
                email: email(&format!("pengguna{i}@example.id")),
                phone: numbered_phone(i),
                identity: Identity::Ktp {
                    nik: numbered_nik(i),
                },
                status: UserStatus::Active,
                password_hash: Some(hash),
                must_change_password: false,
                profile: Profile {
                    full_name: Some(format!("Pengguna {i}")),
                    ..Profile::default()
                },
                pending: Pending::default(),
                locale: None,
                links: Vec::new(),
            };
            store.create_user(user, None, now()).await.unwrap();
        }
    })
    .await;
    let mut by_name = Vec::with_capacity(10_000);
    let mut by_email = Vec::with_capacity(10_000);
    for k in 0..10_000usize {
        // Spread over the whole store (a large prime stride), the same each run.
        let i = k.wrapping_mul(7_919_993).wrapping_add(12_345) % n;
        let started = Instant::now();
        let found = store
            .user_by_key(&UniqueKey::Username(format!("pengguna{i}")))
            .await
            .unwrap();
        by_name.push(started.elapsed());
        assert!(found.is_some());
        let started = Instant::now();
        let found = store
            .user_by_key(&UniqueKey::Email(format!("pengguna{i}@example.id")))
            .await
            .unwrap();
        by_email.push(started.elapsed());
        assert!(found.is_some());
    }
    drop(store);
    let quantiles = |mut d: Vec<Duration>| {
        d.sort();
        let at = |q: f64| d[((d.len() - 1) as f64 * q) as usize].as_secs_f64() * 1e6;
        format!("{:.0} / {:.0} / {:.0}", at(0.5), at(0.99), at(1.0))
    };
    format!(
        "| {n} | {rate:.0} | {:.0} | {} | {} |",
        dir_size(&path) as f64 / 1e6,
        quantiles(by_name),
        quantiles(by_email)
    )
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let env = |name: &str, default: usize| gerbang_tests::setting(name, default as u64) as usize;
    let seconds = env("BENCH_SECONDS", 10) as u64;
    let counts = [1, 10_000, 100_000];
    println!("| sessions and revocations | RSS idle MB | peak RSS under load MB | req/s | CPU µs / req | p99 ms | errors | store MB |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for n in counts {
        println!("{}", sessions(n, seconds).await);
    }
    println!();
    println!("| users | written / s | store MB | by user name µs (p50 / p99 / max) | by e-mail µs (p50 / p99 / max) |");
    println!("| ---: | ---: | ---: | --- | --- |");
    println!("{}", users(env("SCALE_USERS", 1_000_000)).await);
}
