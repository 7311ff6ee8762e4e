//! Key rotation under kills. A rotator adds a new signing key again and again (`gerbang keys
//! rotate --delay-secs 0`, through the running server's admin socket) while clients take
//! tokens (client credentials, as `rp`) and look each one's key up in the JWKS fetched right
//! after it, through restarts when the server dies in between. Checked:
//! - every token the server answered with names a key its JWKS publishes: no instance signs
//!   with a key it does not publish, and none it signed with is lost in a crash;
//! - at the end, every rotation the command acknowledged is in the store and published, or has
//!   retired as designed (its successor's start plus the longest token lifetime);
//! - the rotations take effect: the last one acknowledged signs, once the server has taken it
//!   up.
//!
//! The rotator and the kills take turns: with the server down, the command would open the
//! store itself, and on sled it would hold the store's lock while the server starts again.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gerbang_tests::op::{jwt_part, Op};
use rand::{Rng, SeedableRng};
use tokio::sync::RwLock;

use crate::rp::token;
use crate::{Store, ONE_ADDRESS};

/// How long a client looks for a key in the JWKS, through restarts.
const LOOKUP: Duration = Duration::from_secs(30);
/// A rotation made on the store (here through one instance's admin socket) is published by
/// every instance within `serve::KEY_REFRESH` (10 s) while the store answers: with a margin.
const PUBLISHED_WITHIN: Duration = Duration::from_secs(15);

/// What the clients and the rotator saw.
#[derive(Default, Debug)]
struct Tally {
    tokens: usize,
    unanswered: usize,
    /// The keys tokens were signed with.
    signed_with: HashSet<String>,
    /// Tokens whose key the JWKS did not publish.
    unpublished: Vec<String>,
    /// Rotations acknowledged, in order, and those not (refused or cut off).
    rotated: Vec<String>,
    rotations_unacknowledged: usize,
    /// Whether a rotation went unacknowledged after the last acknowledged one (it may have
    /// happened, and then its key is the newest).
    unacknowledged_since: bool,
    /// At the end: acknowledged rotations published, retired as designed, and lost (not in
    /// the store, or not published).
    rotations_published: usize,
    retired: usize,
    rotations_lost: Vec<String>,
}

/// The key ids the JWKS publishes; `None` when no answer came.
async fn published(http: &reqwest::Client, issuer: &str) -> Option<HashSet<String>> {
    let response = http
        .get(format!("{issuer}/jwks"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .ok()?;
    let jwks: serde_json::Value = response.json().await.ok()?;
    let keys = jwks["keys"].as_array()?;
    Some(
        keys.iter()
            .filter_map(|k| k["kid"].as_str().map(str::to_string))
            .collect(),
    )
}

/// Whether the JWKS publishes `kid`: asked until it does, for `within` after the server's
/// first answer, and for as long as [`LOOKUP`] while it does not answer; `None` if it never
/// answered.
async fn is_published(
    http: &reqwest::Client,
    issuer: &str,
    kid: &str,
    within: Duration,
) -> Option<bool> {
    let started = Instant::now();
    let mut first_answer = None;
    while started.elapsed() < LOOKUP {
        if let Some(kids) = published(http, issuer).await {
            if kids.contains(kid) {
                return Some(true);
            }
            if first_answer.get_or_insert_with(Instant::now).elapsed() >= within {
                return Some(false);
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    first_answer.map(|_| false)
}

/// A client: takes a token, looks its key up, again, until `stop`.
async fn take_tokens(
    http: reqwest::Client,
    issuer: String,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
    let form = [("grant_type", "client_credentials")];
    while !stop.load(Ordering::Relaxed) {
        let outcome = match token(&http, &issuer, &form).await {
            Some((200, body)) => body["access_token"].as_str().map(|t| jwt_part(t, 0)),
            _ => None,
        };
        let Some(kid) = outcome.and_then(|header| header["kid"].as_str().map(str::to_string))
        else {
            tally.lock().unwrap().unanswered += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        // The key that signed is the one this instance publishes: at once.
        let found = is_published(&http, &issuer, &kid, Duration::ZERO).await;
        let mut tally = tally.lock().unwrap();
        tally.tokens += 1;
        if found != Some(true) {
            tally.unpublished.push(format!("{kid}: {found:?}"));
        }
        tally.signed_with.insert(kid);
    }
}

/// Runs `gerbang keys <args>` on the server's configuration (through its admin socket while
/// it listens); its output when it succeeded.
async fn keys_command(config: &Path, args: &[&str]) -> Option<String> {
    let mut command = tokio::process::Command::new(gerbang_tests::gerbang_binary());
    command.arg("keys").args(args).arg("--config").arg(config);
    let out = command.output().await.ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The new key's id in the answer to a rotation (`added RS256 key <kid>, signing from …`).
fn added_kid(answer: &str) -> Option<String> {
    let kid = answer.split_whitespace().nth(3)?;
    Some(kid.trim_end_matches(',').to_string())
}

/// The stored keys and when each retires (`None`: not set to), from `gerbang keys list`.
fn stored_keys(listing: &str) -> HashMap<String, Option<u64>> {
    listing
        .lines()
        .skip(1)
        .filter_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            let retires = columns.get(3)?.parse().ok();
            Some((columns.first()?.to_string(), retires))
        })
        .collect()
}

/// The rotator: a rotation every 0.2 to 1.5 s, never cut off by a kill, until `stop`.
async fn rotate_keys(
    config: PathBuf,
    turns: Arc<RwLock<()>>,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
    seed: u64,
) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed ^ 0x6b65_7973);
    let rotate = ["rotate", "--alg", "RS256", "--delay-secs", "0"];
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(Duration::from_millis(rng.random_range(200..1_500))).await;
        let answer = {
            let _up = turns.read().await;
            keys_command(
                &config,
                &[&rotate[..], &["--reason", "crash harness"]].concat(),
            )
            .await
        };
        let mut tally = tally.lock().unwrap();
        match answer.as_deref().and_then(added_kid) {
            Some(kid) => {
                tally.rotated.push(kid);
                tally.unacknowledged_since = false;
            }
            None => {
                tally.rotations_unacknowledged += 1;
                tally.unacknowledged_since = true;
            }
        }
    }
}

/// At the end, with the server up: every acknowledged rotation is in the store, and published
/// unless it has retired as designed (its successor's start plus the longest token lifetime).
async fn check_rotations(op: &Op, tally: &mut Tally) {
    let Some(listing) = keys_command(&op.gw.config_path(), &["list"]).await else {
        tally
            .rotations_lost
            .push("`gerbang keys list` failed".into());
        return;
    };
    let stored = stored_keys(&listing);
    let now = gerbang_idp::clock::now();
    let mut live = Vec::new();
    for kid in &tally.rotated {
        match stored.get(kid) {
            None => tally
                .rotations_lost
                .push(format!("{kid}: not in the store")),
            Some(Some(retires)) if *retires <= now + 5 => tally.retired += 1,
            Some(_) => live.push(kid.clone()),
        }
    }
    for kid in live {
        let found = is_published(&op.http, &op.issuer, &kid, PUBLISHED_WITHIN).await;
        match found {
            Some(true) => tally.rotations_published += 1,
            other => tally
                .rotations_lost
                .push(format!("{kid}: published {other:?}")),
        }
    }
}

/// Whether a token taken now is signed by `kid`, asked until it is (at most `within`: the
/// instances take up stored keys every `serve::KEY_REFRESH`).
async fn signs_within(op: &Op, kid: &str, within: Duration) -> bool {
    let started = Instant::now();
    let form = [("grant_type", "client_credentials")];
    while started.elapsed() < within {
        if let Some((200, body)) = token(&op.http, &op.issuer, &form).await {
            let header = body["access_token"].as_str().map(|t| jwt_part(t, 0));
            if header.is_some_and(|h| h["kid"] == kid) {
                return true;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

/// Rotates keys while clients take tokens and the server is killed `kills` times; prints the
/// table and says whether everything held.
pub async fn run(kills: u64, clients: u64, seed: u64, store: &Store) -> bool {
    let mut op = Op::start_with(store.table(), &format!("[login]\n{ONE_ADDRESS}")).await;
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let turns = Arc::new(RwLock::new(()));
    let mut tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (http, issuer) = (op.http.clone(), op.issuer.clone());
            tokio::spawn(take_tokens(http, issuer, stop.clone(), tally.clone()))
        })
        .collect();
    let config = op.gw.config_path();
    let rotator = rotate_keys(config, turns.clone(), stop.clone(), tally.clone(), seed);
    tasks.push(tokio::spawn(rotator));
    let down = store
        .disrupt_in_turns(&mut op.gw, kills, seed, &turns)
        .await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("a client");
    }
    let elapsed = started.elapsed();
    let mut tally = std::mem::take(&mut *tally.lock().unwrap());
    check_rotations(&op, &mut tally).await;
    let newest_signs = match tally.rotated.last() {
        _ if tally.unacknowledged_since => true,
        Some(kid) => signs_within(&op, kid, PUBLISHED_WITHIN).await,
        None => false,
    };
    println!("| kills | run | down | tokens | no answer | keys signed with | signed with an unpublished key | rotations acknowledged | not acknowledged | at the end: published | retired as designed | lost | the newest signs |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    println!(
        "| {kills} | {:.0} s | {:.0} s | {} | {} | {} | {} | {} | {} | {} | {} | {} | {newest_signs} |",
        elapsed.as_secs_f64(),
        down.as_secs_f64(),
        tally.tokens,
        tally.unanswered,
        tally.signed_with.len(),
        tally.unpublished.len(),
        tally.rotated.len(),
        tally.rotations_unacknowledged,
        tally.rotations_published,
        tally.retired,
        tally.rotations_lost.len(),
    );
    let held = tally.unpublished.is_empty()
        && tally.rotations_lost.is_empty()
        && tally.rotations_published > 0
        && newest_signs;
    if !held {
        eprintln!("keys: {tally:#?}");
    }
    held
}
