//! `gerbang-crash`: under load, makes Gerbang's parts fail at random moments, many times, then
//! checks the store against what clients were told (issue 24, `docs/reliability.md`,
//! `scripts/crash`). Scenarios: [`registrations`] (with their mail), [`refresh`] rotations,
//! [`logouts`] and revocations, and signing [`keys`] rotated. What fails depends on the store:
//! on sled and on the test database the server is killed with SIGKILL; on a [`Cluster`] of the
//! harness's own the database is restarted in immediate mode while the server goes on.
//!
//! Settings: `CRASH_SCENARIO` (`registrations`, `refresh`, `logouts`, `keys` or `all`, the
//! default), `CRASH_KILLS` per scenario (default 100), `CRASH_STREAMS` parallel clients
//! (default 8), `CRASH_STORE` (`sled`, the default; `postgres`: a fresh schema in the test
//! database; `postgres-restarts`), `CRASH_SEED` for the schedule.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod keys;
mod logouts;
mod refresh;
mod registrations;
mod rp;

use std::sync::Arc;
use std::time::{Duration, Instant};

use gerbang_idp::store::test_database::TestSchema;
use gerbang_idp::store::{PgStore, SharedStore, SledStore};
use gerbang_tests::Gerbang;

use gerbang_tests::cluster::Cluster;
use rand::{Rng, SeedableRng};
use tokio::sync::RwLock;

/// Every client of the harness comes from 127.0.0.1: the most the configuration allows for
/// one address, so that the limit refuses as little as it can.
const ONE_ADDRESS: &str = "attempts_per_address_per_minute = 10000\n";

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

/// The store a scenario's server runs on, and what fails under load.
enum Store {
    /// sled; the server is killed.
    Sled,
    /// The test database; the server is killed.
    Postgres(TestSchema),
    /// A cluster of the harness's own; the database is restarted (in immediate mode, a crash
    /// of its own) while the server goes on.
    PostgresRestarted {
        schema: TestSchema,
        cluster: Cluster,
    },
}

impl Store {
    async fn chosen() -> Store {
        match std::env::var("CRASH_STORE").as_deref() {
            Ok("postgres") => Store::Postgres(TestSchema::create().await),
            Ok("postgres-restarts") => {
                let cluster = tokio::task::block_in_place(Cluster::start);
                let schema = TestSchema::create_in(cluster.url()).await;
                Store::PostgresRestarted { schema, cluster }
            }
            _ => Store::Sled,
        }
    }

    /// The configuration's `[store]` table (`None`: sled beside the configuration).
    fn table(&self) -> Option<String> {
        let schema = match self {
            Store::Sled => return None,
            Store::Postgres(schema) | Store::PostgresRestarted { schema, .. } => schema,
        };
        Some(gerbang_tests::postgres_store(schema))
    }

    /// The store itself, to check once `gw` has stopped.
    fn open(&self, gw: &Gerbang) -> SharedStore {
        match self {
            Store::Sled => {
                Arc::new(SledStore::open(&gw.dir.path().join("store")).expect("the sled store"))
            }
            Store::Postgres(schema) | Store::PostgresRestarted { schema, .. } => {
                Arc::new(PgStore::connect(&schema.options()).expect("the PostgreSQL store"))
            }
        }
    }

    /// `times` times, after a random 0.2 to 3 s of traffic each: kills the server with
    /// SIGKILL and starts it again, or (on [`Store::PostgresRestarted`]) restarts the
    /// database. Returns how long the server or the database was down in all.
    async fn disrupt(&self, gw: &mut Gerbang, times: u64, seed: u64) -> Duration {
        let turns = RwLock::new(());
        self.disrupt_in_turns(gw, times, seed, &turns).await
    }

    /// [`Store::disrupt`], each failure and recovery holding `turns` for writing: whatever
    /// holds it for reading is never cut off.
    async fn disrupt_in_turns(
        &self,
        gw: &mut Gerbang,
        times: u64,
        seed: u64,
        turns: &RwLock<()>,
    ) -> Duration {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut down = Duration::ZERO;
        for k in 0..times {
            let wait = rng.random_range(200..3_000);
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let _turn = turns.write().await;
            down += match self {
                Store::PostgresRestarted { cluster, .. } => {
                    tokio::task::block_in_place(|| cluster.restart())
                }
                Store::Sled | Store::Postgres(_) => kill(gw).await,
            };
            if (k + 1) % 10 == 0 {
                eprintln!("crash: {} times", k + 1);
            }
        }
        // Traffic after the last start, so that every client has its answer again.
        tokio::time::sleep(SETTLE).await;
        down
    }
}

/// Kills the server with SIGKILL and starts it again; returns how long that took.
async fn kill(gw: &mut Gerbang) -> Duration {
    let killed = Instant::now();
    gw.signal("KILL");
    assert!(
        gw.wait_exit(Duration::from_secs(10)).await.is_some(),
        "the server outlived SIGKILL"
    );
    gw.restart().await;
    killed.elapsed()
}

#[tokio::main]
async fn main() {
    gerbang_tests::short_panics();
    let kills = gerbang_tests::setting("CRASH_KILLS", 100);
    let streams = gerbang_tests::setting("CRASH_STREAMS", 8);
    let seed = gerbang_tests::setting("CRASH_SEED", 24);
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
    if matches!(scenario.as_str(), "all" | "logouts") {
        let store = Store::chosen().await;
        eprintln!("crash: logouts and revocations, {kills} kills, {streams} clients");
        held &= logouts::run(kills, streams, seed, &store).await;
    }
    if matches!(scenario.as_str(), "all" | "keys") {
        let store = Store::chosen().await;
        eprintln!("crash: key rotations, {kills} kills, {streams} clients");
        held &= keys::run(kills, streams, seed, &store).await;
    }
    if !held {
        std::process::exit(1);
    }
}
