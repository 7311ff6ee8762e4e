//! Registrations under kills: every acknowledged registration ("Periksa e-mail Anda") is in
//! the store exactly once and whole (its user, and its user name, e-mail and NIK indexes
//! pointing at that user); every user in the store, acknowledged or not (a kill may fall after
//! the commit and before the answer), had its activation mail delivered: once, or again with
//! the same `Message-ID` when the kill fell between the SMTP server's acceptance and the
//! outbox's mark (counted); no mail without its user.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gerbang_idp::store::{Identity, SharedStore, UniqueKey, User};
use gerbang_tests::browser::{hidden_field, CAPTCHA_TEST_ANSWER};
use gerbang_tests::site::{borrowed, ktp, Site, APP_ROUTE};
use gerbang_tests::smtp::{address, queued_to, SmtpServer};
use gerbang_tests::Gerbang;

use crate::{Outcome, Store, ONE_ADDRESS};

const ACTIVATION_SUBJECT: &str = "Aktivasi akun OSS";
const ACKNOWLEDGED: &str = "Periksa e-mail Anda";
/// How long a registration may take before the stream gives up on it (unknown outcome).
const REQUEST_LIMIT: Duration = Duration::from_secs(10);

fn email(n: usize) -> String {
    format!("crash{n}@example.test")
}

/// Registration `n`'s form: a KTP with its own NIK (born on day `n / 9000` of August 1985, serial
/// `n % 9000`), room for 252,000.
fn person(n: usize) -> Vec<(&'static str, String)> {
    let (day, serial) = (1 + n / 9_000, 1 + n % 9_000);
    let mut fields = ktp(&email(n), &format!("317405{day:02}0885{serial:04}"));
    for (name, value) in &mut fields {
        if *name == "birth_date" {
            *value = format!("{day:02}-08-1985");
        }
    }
    fields
}

async fn register(client: &reqwest::Client, issuer: &str, n: usize) -> Outcome {
    let attempt = async {
        let page = client
            .get(format!("{issuer}/register"))
            .send()
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        let Some(token) = hidden_field(&page, "captcha_token") else {
            return Some(Outcome::Refused);
        };
        let fields = person(n);
        let mut form = borrowed(&fields);
        form.extend([
            ("captcha_token", token.as_str()),
            ("captcha", CAPTCHA_TEST_ANSWER),
        ]);
        let response = client
            .post(format!("{issuer}/register"))
            .form(&form)
            .send()
            .await
            .ok()?;
        let status = response.status();
        let body = response.text().await.ok()?;
        Some(match status.is_success() && body.contains(ACKNOWLEDGED) {
            true => Outcome::Acknowledged,
            false => Outcome::Refused,
        })
    };
    tokio::time::timeout(REQUEST_LIMIT, attempt)
        .await
        .ok()
        .flatten()
        .unwrap_or(Outcome::Unknown)
}

/// Each registration's number and what its client was told, as the streams go.
type Outcomes = Arc<Mutex<Vec<(usize, Outcome)>>>;

/// Registration streams that run until `stop`, each taking the next number.
fn start_streams(
    count: u64,
    client: &reqwest::Client,
    issuer: &str,
    stop: &Arc<AtomicBool>,
) -> (Outcomes, Vec<tokio::task::JoinHandle<()>>) {
    let outcomes = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(AtomicUsize::new(0));
    let tasks = (0..count)
        .map(|_| {
            let (client, issuer) = (client.clone(), issuer.to_string());
            let (stop, next, outcomes) = (stop.clone(), next.clone(), outcomes.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= 28 * 9_000 {
                        return;
                    }
                    let outcome = register(&client, &issuer, n).await;
                    outcomes.lock().unwrap().push((n, outcome));
                    if outcome == Outcome::Unknown {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            })
        })
        .collect();
    (outcomes, tasks)
}

/// Waits until the outbox is empty (no message arrived for a while); returns the activations.
async fn settled_mail(smtp: &SmtpServer) -> Vec<gerbang_tests::smtp::Received> {
    let mut seen = usize::MAX;
    let mut quiet_since = Instant::now();
    loop {
        let count = smtp.messages().len();
        if count != seen {
            seen = count;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() > Duration::from_secs(10) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    smtp.messages()
        .into_iter()
        .filter(|m| m.subject == ACTIVATION_SUBJECT)
        .collect()
}

/// What the check found.
#[derive(Default, Debug)]
struct Verdict {
    acknowledged: usize,
    refused: usize,
    unknown: usize,
    users: usize,
    /// Acknowledged, and not in the store.
    lost: Vec<String>,
    /// In the store more than once.
    duplicated: Vec<String>,
    /// A user whose indexes do not all lead to it.
    half_written: Vec<String>,
    /// A user with no activation mail, the outbox empty.
    mail_lost: Vec<String>,
    /// Activation mails with different `Message-ID`s for one user.
    mail_twice: Vec<String>,
    /// Second copies of one message (same `Message-ID`).
    resent_copies: usize,
    /// Activation mails still in the outbox at the end (a killed server's lease not yet over).
    queued: usize,
    /// Mail to an address with no user.
    mail_without_user: Vec<String>,
    /// With the server never killed (the database restarted instead), more mail still queued
    /// than the failures explain: each refused mark leaves at most one claimed batch waiting for
    /// its lease, so anything beyond that is an outbox that stopped delivering.
    outbox_stalled: Option<String>,
}

impl Verdict {
    fn holds(&self) -> bool {
        self.lost.is_empty()
            && self.duplicated.is_empty()
            && self.half_written.is_empty()
            && self.mail_lost.is_empty()
            && self.mail_twice.is_empty()
            && self.mail_without_user.is_empty()
            && self.outbox_stalled.is_none()
    }
}

/// The address of a `To` header (`Name <a@b>` or `a@b`), in lower case.
async fn whole(store: &SharedStore, user: &User) -> bool {
    let Identity::Ktp { nik } = &user.identity else {
        return false;
    };
    let keys = [
        UniqueKey::Username(user.username.clone()),
        UniqueKey::Email(user.email.to_string()),
        UniqueKey::Nik(nik.to_string()),
    ];
    for key in keys {
        match store.user_by_key(&key).await {
            Ok(Some(found)) if found.id == user.id => {}
            _ => return false,
        }
    }
    true
}

async fn check(
    store: &SharedStore,
    outcomes: &[(usize, Outcome)],
    mails: &[gerbang_tests::smtp::Received],
) -> Verdict {
    let mut verdict = Verdict::default();
    let users = store.users().await.expect("the store's users");
    verdict.users = users.len();
    let mut by_email: HashMap<String, Vec<&User>> = HashMap::new();
    for user in &users {
        by_email
            .entry(user.email.to_string())
            .or_default()
            .push(user);
    }
    for (n, outcome) in outcomes {
        match outcome {
            Outcome::Acknowledged => verdict.acknowledged += 1,
            Outcome::Refused => verdict.refused += 1,
            Outcome::Unknown => verdict.unknown += 1,
        }
        if *outcome == Outcome::Acknowledged && !by_email.contains_key(&email(*n)) {
            verdict.lost.push(email(*n));
        }
    }
    let mut ids: HashMap<String, HashSet<String>> = HashMap::new();
    for mail in mails {
        if !ids
            .entry(address(&mail.to))
            .or_default()
            .insert(mail.message_id.clone())
        {
            verdict.resent_copies += 1;
        }
    }
    // What is still queued (the server is stopped): leased by a killed server, or due.
    let queued = queued_to(store).await;
    verdict.queued = queued.len();
    for (address, found) in &by_email {
        if found.len() > 1 {
            verdict.duplicated.push(address.clone());
        }
        for user in found {
            if !whole(store, user).await {
                verdict.half_written.push(address.clone());
            }
        }
        match ids.get(address).map_or(0, HashSet::len) {
            0 if !queued.contains(address) => verdict.mail_lost.push(address.clone()),
            0 | 1 => {}
            _ => verdict.mail_twice.push(address.clone()),
        }
    }
    verdict.mail_without_user = ids
        .keys()
        .filter(|a| !by_email.contains_key(*a))
        .cloned()
        .collect();
    verdict
}

/// Registers in `streams` streams while the server is killed `kills` times; prints the table and
/// says whether everything held.
pub async fn run(kills: u64, streams: u64, seed: u64, store: &Store) -> bool {
    let smtp = SmtpServer::start().await;
    let mut spec = Site::spec(&smtp, APP_ROUTE.into(), Vec::new());
    spec.store = store.table();
    let limit = "attempts_per_address_per_minute = 1000\n";
    assert!(spec.extra.contains(limit), "the site's limit moved");
    spec.extra = spec.extra.replace(limit, ONE_ADDRESS);
    let mut site = Site::around(Gerbang::start(spec).await, smtp);
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let (outcomes, tasks) = start_streams(streams, &site.browser, &site.issuer, &stop);
    let down = store.disrupt(&mut site.gw, kills, seed).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("a stream");
    }
    let elapsed = started.elapsed();
    let mails = settled_mail(&site.smtp).await;
    // Stopped, so that what is still queued can be read without racing its worker.
    site.gw.signal("TERM");
    site.gw.wait_exit(Duration::from_secs(20)).await;
    let opened = store.open(&site.gw);
    let outcomes = outcomes.lock().unwrap().clone();
    let mut verdict = check(&opened, &outcomes, &mails).await;
    if let Store::PostgresRestarted { .. } = store {
        let bound = gerbang_idp::mail::worker::BATCH * kills as usize;
        if verdict.queued > bound {
            verdict.outbox_stalled = Some(format!(
                "{} activation mails still queued after {kills} database restarts (at most {bound} explained)",
                verdict.queued
            ));
        }
    }
    report(kills, elapsed, down, &verdict);
    if !verdict.holds() {
        eprintln!("registrations: {verdict:#?}");
    }
    verdict.holds()
}

fn report(kills: u64, elapsed: Duration, down: Duration, v: &Verdict) {
    println!("| kills | run | down | acknowledged | refused | no answer | users | lost | duplicated | half-written | mail lost | mail twice | resent copies | still queued |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {kills} | {:.0} s | {:.0} s | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        elapsed.as_secs_f64(),
        down.as_secs_f64(),
        v.acknowledged,
        v.refused,
        v.unknown,
        v.users,
        v.lost.len(),
        v.duplicated.len(),
        v.half_written.len(),
        v.mail_lost.len(),
        v.mail_twice.len(),
        v.resent_copies,
        v.queued
    );
}
