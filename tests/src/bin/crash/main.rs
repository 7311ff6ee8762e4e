//! `gerbang-crash`: kills Gerbang with SIGKILL at random moments under load, many times, then
//! checks the store against what clients were told (issue 24, `docs/reliability.md`,
//! `scripts/crash`). Scenarios: [`registrations`] (with their mail) and [`refresh`] rotations.
//!
//! Settings: `CRASH_SCENARIO` (`registrations`, `refresh` or `all`, the default), `CRASH_KILLS`
//! per scenario (default 100), `CRASH_STREAMS` parallel clients (default 8), `CRASH_STORE`
//! (`sled`, the default, or `postgres`: a fresh schema in the test database), `CRASH_SEED` for
//! the kill schedule.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod refresh;
mod registrations;

use std::sync::Arc;
use std::time::{Duration, Instant};

use gerbang_idp::store::test_database::{database_url, TestSchema};
use gerbang_idp::store::{PgStore, SharedStore, SledStore};
use gerbang_tests::Gerbang;
use rand::{Rng, SeedableRng};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// How long clients go on after the last start before they stop.
const SETTLE: Duration = Duration::from_secs(3);

/// What a client was told about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// The request's effect is promised (a registration acknowledged, a token issued).
    Acknowledged,
    /// An answer that promises nothing (a page with errors, an error status).
    Refused,
    /// No answer: the connection failed or was cut by the kill.
    Unknown,
}

/// The store a scenario's server runs on.
enum Store {
    Sled,
    Postgres(TestSchema),
}

impl Store {
    async fn chosen() -> Store {
        match std::env::var("CRASH_STORE").as_deref() {
            Ok("postgres") => Store::Postgres(TestSchema::create().await),
            _ => Store::Sled,
        }
    }

    /// The configuration's `[store]` table (`None`: sled beside the configuration).
    fn table(&self) -> Option<String> {
        match self {
            Store::Sled => None,
            Store::Postgres(schema) => Some(format!(
                "{}\n[store]\nbackend = \"postgres\"\nurl = \"{}\"\nschema = \"{}\"\npool_size = 8\ntimeout_secs = 5\n",
                gerbang_tests::POSTGRES_MFA,
                database_url(),
                schema.name
            )),
        }
    }

    /// The store itself, to check once `gw` has stopped.
    fn open(&self, gw: &Gerbang) -> SharedStore {
        match self {
            Store::Sled => {
                Arc::new(SledStore::open(&gw.dir.path().join("store")).expect("the sled store"))
            }
            Store::Postgres(schema) => {
                Arc::new(PgStore::connect(&schema.options()).expect("the PostgreSQL store"))
            }
        }
    }
}

/// Kills the server `kills` times, each after a random 0.2 to 3 s of traffic, starting it again
/// each time; returns how long the server was down in all.
async fn kill_repeatedly(gw: &mut Gerbang, kills: u64, seed: u64) -> Duration {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut down = Duration::ZERO;
    for k in 0..kills {
        let wait = rng.random_range(200..3_000);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        let killed = Instant::now();
        gw.signal("KILL");
        assert!(
            gw.wait_exit(Duration::from_secs(10)).await.is_some(),
            "the server outlived SIGKILL"
        );
        gw.restart().await;
        down += killed.elapsed();
        if (k + 1) % 10 == 0 {
            eprintln!("crash: {} kills", k + 1);
        }
    }
    // Traffic after the last start, so that every client has its answer again.
    tokio::time::sleep(SETTLE).await;
    down
}

#[tokio::main]
async fn main() {
    let kills = setting("CRASH_KILLS", 100);
    let streams = setting("CRASH_STREAMS", 8);
    let seed = setting("CRASH_SEED", 24);
    let scenario = std::env::var("CRASH_SCENARIO").unwrap_or_else(|_| "all".into());
    let mut held = true;
    if matches!(scenario.as_str(), "all" | "registrations") {
        let store = Store::chosen().await;
        eprintln!("crash: registrations, {kills} kills, {streams} streams");
        held &= registrations::run(kills, streams, seed, &store).await;
    }
    if matches!(scenario.as_str(), "all" | "refresh") {
        let store = Store::chosen().await;
        eprintln!("crash: refresh rotations, {kills} kills, {streams} chains");
        held &= refresh::run(kills, streams, seed, &store).await;
    }
    if !held {
        std::process::exit(1);
    }
}
