//! Refresh-token rotation under kills. Each chain logs in once (the code flow, as client `rp`)
//! and then rotates its refresh token again and again. A new token the server answered with
//! must work after any number of restarts, and is refused only if the client's own unanswered
//! attempt with it may have rotated it already (a retry is then a reuse, which ends the
//! family, as RFC 9700 asks). At the end, each chain's last answered token still works and the
//! one it replaced is refused.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gerbang_tests::op::Op;

use crate::rp::{log_in, refresh_status, refresh_token, token};
use crate::{Outcome, Store, ONE_ADDRESS};

/// One client's line of rotations.
struct Chain {
    /// The refresh token to use next.
    current: String,
    /// Whether the server's last word about `current` was the answer that issued it: no
    /// attempt with it has gone unanswered since.
    certain: bool,
    /// The token `current` replaced, when the server answered that rotation.
    previous: Option<String>,
}

/// What the chains saw.
#[derive(Default, Debug)]
struct Tally {
    logins: usize,
    rotations: usize,
    unanswered: usize,
    /// Attempts with an uncertain token that the server refused (it had rotated it: expected).
    refused_after_no_answer: usize,
    /// Answered tokens the server refused: lost rotations.
    lost: Vec<String>,
    /// At the end: answered tokens that still work, and replaced ones refused.
    working_at_end: usize,
    replaced_refused_at_end: usize,
    /// At the end: answered tokens refused, or replaced ones accepted.
    wrong_at_end: Vec<String>,
}

/// One rotation of `chain`.
async fn rotate(
    http: &reqwest::Client,
    issuer: &str,
    chain: &mut Chain,
    tally: &Mutex<Tally>,
) -> Outcome {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", chain.current.as_str()),
    ];
    let answer = token(http, issuer, &form).await;
    let mut tally = tally.lock().unwrap();
    match answer {
        Some((200, body)) => match body["refresh_token"].as_str() {
            Some(new) => {
                let old = std::mem::replace(&mut chain.current, new.to_string());
                chain.previous = Some(old);
                chain.certain = true;
                tally.rotations += 1;
                Outcome::Acknowledged
            }
            None => Outcome::Refused,
        },
        Some((400, _)) => {
            match chain.certain {
                true => tally.lost.push(chain.current.chars().take(12).collect()),
                false => tally.refused_after_no_answer += 1,
            }
            Outcome::Refused
        }
        // No answer, or one from a server on its way down or up: it may have rotated.
        _ => {
            chain.certain = false;
            tally.unanswered += 1;
            Outcome::Unknown
        }
    }
}

/// A chain's client: logs in, rotates until `stop`, logs in again when its family ended.
async fn drive(
    browser: reqwest::Client,
    http: reqwest::Client,
    issuer: String,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) -> Option<Chain> {
    let mut chain: Option<Chain> = None;
    while !stop.load(Ordering::Relaxed) {
        let Some(current) = chain.as_mut() else {
            match log_in(&browser, &http, &issuer)
                .await
                .and_then(refresh_token)
            {
                Some(token) => {
                    tally.lock().unwrap().logins += 1;
                    chain = Some(Chain {
                        current: token,
                        certain: true,
                        previous: None,
                    });
                }
                None => tokio::time::sleep(Duration::from_millis(200)).await,
            }
            continue;
        };
        match rotate(&http, &issuer, current, &tally).await {
            Outcome::Acknowledged => {}
            Outcome::Refused => chain = None,
            Outcome::Unknown => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    chain
}

/// At the end, with the server up: the last answered token works, the one it replaced does not
/// (asked in that order: the replaced one's reuse ends the family).
async fn check_end(http: &reqwest::Client, issuer: &str, chain: &Chain, tally: &mut Tally) {
    if !chain.certain {
        return;
    }
    match refresh_status(http, issuer, &chain.current).await {
        Some(200) => tally.working_at_end += 1,
        other => tally
            .wrong_at_end
            .push(format!("an answered token: {other:?}")),
    }
    if let Some(previous) = &chain.previous {
        match refresh_status(http, issuer, previous).await {
            Some(400) => tally.replaced_refused_at_end += 1,
            other => tally
                .wrong_at_end
                .push(format!("a replaced token: {other:?}")),
        }
    }
}

/// Rotates on `chains` chains while the server is killed `kills` times; prints the table and
/// says whether everything held.
pub async fn run(kills: u64, chains: u64, seed: u64, store: &Store) -> bool {
    let mut op = Op::start_with(store.table(), &format!("[login]\n{ONE_ADDRESS}")).await;
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    let tasks: Vec<_> = (0..chains)
        .map(|_| {
            tokio::spawn(drive(
                op.browser.clone(),
                op.http.clone(),
                op.issuer.clone(),
                stop.clone(),
                tally.clone(),
            ))
        })
        .collect();
    let down = store.disrupt(&mut op.gw, kills, seed).await;
    stop.store(true, Ordering::Relaxed);
    let mut ends = Vec::new();
    for task in tasks {
        ends.extend(task.await.expect("a chain"));
    }
    let elapsed = started.elapsed();
    let mut tally = std::mem::take(&mut *tally.lock().unwrap());
    for chain in &ends {
        check_end(&op.http, &op.issuer, chain, &mut tally).await;
    }
    println!("| kills | run | down | logins | rotations | no answer | refused after no answer | answered token refused | at the end: answered works | replaced refused | wrong |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {kills} | {:.0} s | {:.0} s | {} | {} | {} | {} | {} | {} | {} | {} |",
        elapsed.as_secs_f64(),
        down.as_secs_f64(),
        tally.logins,
        tally.rotations,
        tally.unanswered,
        tally.refused_after_no_answer,
        tally.lost.len(),
        tally.working_at_end,
        tally.replaced_refused_at_end,
        tally.wrong_at_end.len()
    );
    let held = tally.lost.is_empty() && tally.wrong_at_end.is_empty() && tally.rotations > 0;
    if !held {
        eprintln!("refresh: {tally:#?}");
    }
    held
}
