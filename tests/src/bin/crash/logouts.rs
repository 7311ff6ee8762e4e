//! Logouts and revocations under kills. Each client logs in (the code flow as `rp`, in a
//! browser of its own), then ends what it got, in turn by logging out (RP-initiated, its ID
//! token as the hint) and by revoking its refresh token (RFC 7009), and starts again. What the
//! server acknowledged stays ended through every restart: at the end, a logged-out session
//! gets no code without a login (`prompt=none`), and every ended refresh token, with the access
//! token issued beside it while it is unexpired, is refused. As a control, a login each client makes
//! once the kills are over, and does not end, works in the same checks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gerbang_tests::browser::location;
use gerbang_tests::op::{encode, query, Op, RP, RP_REDIRECT, RP_SECRET};
use gerbang_tests::Gerbang;
use reqwest::cookie::CookieStore;

use crate::rp::{log_in, refresh_status};
use crate::{Outcome, Store, ONE_ADDRESS};

/// Where the provider sends the browser after a logout.
const BYE: &str = "https://rp.test/bye";

/// What one login gave a client.
#[derive(Debug, Clone)]
struct Login {
    refresh: String,
    access: String,
    id_token: String,
    /// When the access token stops working on its own.
    access_ends: Instant,
    /// The browser's cookies for the provider: its session.
    cookies: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Logout,
    Revocation,
}

/// What the clients saw.
#[derive(Default, Debug)]
struct Tally {
    logins: usize,
    acknowledged: Vec<(Ending, Login)>,
    refused: usize,
    unanswered: usize,
    /// The logins nothing tried to end: the control.
    live: Vec<Login>,
}

/// What the end checks found.
#[derive(Default, Debug)]
struct Found {
    /// Checks that held: an ended session, refresh token or access token refused.
    ended_refused: usize,
    /// Access tokens not checked: they had expired on their own.
    expired: usize,
    /// The control's checks that held.
    live_working: usize,
    /// What came back to life, or a control that did not work.
    wrong: Vec<String>,
}

/// A browser of a client's own, with its cookie jar.
struct Browser {
    client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
}

impl Browser {
    fn new(gw: &Gerbang) -> Browser {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = gw.client_with_jar(&[Gerbang::PROVIDER_HOST], Some(Arc::clone(&jar)));
        Browser { client, jar }
    }
}

/// A login in `browser` (silent while its session lives); `None` when the server did not
/// answer along the way.
async fn new_login(browser: &Browser, http: &reqwest::Client, issuer: &str) -> Option<Login> {
    let body = log_in(&browser.client, http, issuer).await?;
    let text = |key: &str| body[key].as_str().map(str::to_string);
    let lifetime = body["expires_in"].as_u64()?;
    let cookies = browser.jar.cookies(&issuer.parse().ok()?)?;
    Some(Login {
        refresh: text("refresh_token")?,
        access: text("access_token")?,
        id_token: text("id_token")?,
        // A second's margin: a token checked at its last moment proves nothing.
        access_ends: Instant::now() + Duration::from_secs(lifetime.saturating_sub(1)),
        cookies: cookies.to_str().ok()?.to_string(),
    })
}

/// Ends `login` the way `ending` says. The logout carries the session's cookies by hand, so
/// the browser keeps them (and the checks can try them).
async fn end(http: &reqwest::Client, issuer: &str, login: &Login, ending: Ending) -> Outcome {
    let request = match ending {
        Ending::Logout => http
            .get(format!("{issuer}/logout"))
            .header("cookie", &login.cookies)
            .query(&[
                ("id_token_hint", login.id_token.as_str()),
                ("post_logout_redirect_uri", BYE),
            ]),
        Ending::Revocation => http
            .post(format!("{issuer}/revoke"))
            .basic_auth(RP, Some(RP_SECRET))
            .form(&[("token", login.refresh.as_str())]),
    };
    let Ok(response) = request.timeout(Duration::from_secs(10)).send().await else {
        return Outcome::Unknown;
    };
    let done = match ending {
        Ending::Logout => location(&response).is_some_and(|to| to.starts_with(BYE)),
        Ending::Revocation => response.status() == 200,
    };
    match (done, response.status().is_server_error()) {
        (true, _) => Outcome::Acknowledged,
        // A server on its way down or up may have done it.
        (false, true) => Outcome::Unknown,
        (false, false) => Outcome::Refused,
    }
}

/// A client: logs in, ends the login (logout and revocation in turn), again, until `stop`.
/// Then, with the server up for good, it logs in once more for the control.
async fn drive(
    browser: Browser,
    http: reqwest::Client,
    issuer: String,
    mut ending: Ending,
    stop: Arc<AtomicBool>,
    tally: Arc<Mutex<Tally>>,
) {
    while !stop.load(Ordering::Relaxed) {
        let Some(login) = new_login(&browser, &http, &issuer).await else {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        };
        let outcome = end(&http, &issuer, &login, ending).await;
        let mut tally = tally.lock().unwrap();
        tally.logins += 1;
        match outcome {
            Outcome::Acknowledged => tally.acknowledged.push((ending, login)),
            Outcome::Refused => tally.refused += 1,
            Outcome::Unknown => tally.unanswered += 1,
        }
        ending = match ending {
            Ending::Logout => Ending::Revocation,
            Ending::Revocation => Ending::Logout,
        };
    }
    for _ in 0..10 {
        if let Some(login) = new_login(&browser, &http, &issuer).await {
            tally.lock().unwrap().live.push(login);
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Whether `cookies` still hold a provider session: a silent authorization gets a code.
async fn session_lives(http: &reqwest::Client, issuer: &str, cookies: &str) -> Option<bool> {
    let url = format!(
        "{issuer}/authorize?client_id={RP}&response_type=code&state=s&scope=openid&prompt=none&redirect_uri={}",
        encode(RP_REDIRECT)
    );
    let response = http.get(url).header("cookie", cookies).send().await.ok()?;
    let back = location(&response)?;
    Some(query(&back).contains_key("code"))
}

/// The userinfo status for `access`; `None` when no answer came.
async fn userinfo_status(http: &reqwest::Client, issuer: &str, access: &str) -> Option<u16> {
    let response = http
        .get(format!("{issuer}/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .ok()?;
    Some(response.status().as_u16())
}

/// At the end, with the server up: checks that `login` is ended (`live` false) or working.
async fn check(
    http: &reqwest::Client,
    issuer: &str,
    login: &Login,
    session: bool,
    live: bool,
    found: &mut Found,
) {
    let mut verdict = |what: &str, works: Option<bool>| match works {
        Some(works) if works == live => match live {
            true => found.live_working += 1,
            false => found.ended_refused += 1,
        },
        other => found
            .wrong
            .push(format!("{what} (live: {live}): works {other:?}")),
    };
    if session {
        verdict(
            "a session",
            session_lives(http, issuer, &login.cookies).await,
        );
    }
    let refresh = refresh_status(http, issuer, &login.refresh).await;
    verdict("a refresh token", refresh.map(|status| status == 200));
    if Instant::now() < login.access_ends {
        let userinfo = userinfo_status(http, issuer, &login.access).await;
        verdict("an access token", userinfo.map(|status| status == 200));
    } else {
        found.expired += 1;
    }
}

/// Logs in and out on `clients` clients while the server is killed `kills` times; prints the
/// table and says whether everything held.
pub async fn run(kills: u64, clients: u64, seed: u64, store: &Store) -> bool {
    let mut op = Op::start_with(store.table(), &format!("[login]\n{ONE_ADDRESS}")).await;
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Mutex::new(Tally::default()));
    // Without cookies of its own: the logouts and the checks send a session's by hand.
    let http = op.gw.client_with_jar(&[Gerbang::PROVIDER_HOST], None);
    let tasks: Vec<_> = (0..clients)
        .map(|i| {
            let first = match i % 2 {
                0 => Ending::Logout,
                _ => Ending::Revocation,
            };
            tokio::spawn(drive(
                Browser::new(&op.gw),
                http.clone(),
                op.issuer.clone(),
                first,
                stop.clone(),
                tally.clone(),
            ))
        })
        .collect();
    let down = store.disrupt(&mut op.gw, kills, seed).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("a client");
    }
    let elapsed = started.elapsed();
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    let mut found = Found::default();
    for (ending, login) in &tally.acknowledged {
        let session = *ending == Ending::Logout;
        check(&http, &op.issuer, login, session, false, &mut found).await;
    }
    for login in &tally.live {
        check(&http, &op.issuer, login, true, true, &mut found).await;
    }
    let count = |which| {
        tally
            .acknowledged
            .iter()
            .filter(|(e, _)| *e == which)
            .count()
    };
    println!("| kills | run | down | logins | logouts acknowledged | revocations acknowledged | refused | no answer | at the end: ended and refused | access tokens expired | control working | wrong |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {kills} | {:.0} s | {:.0} s | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        elapsed.as_secs_f64(),
        down.as_secs_f64(),
        tally.logins,
        count(Ending::Logout),
        count(Ending::Revocation),
        tally.refused,
        tally.unanswered,
        found.ended_refused,
        found.expired,
        found.live_working,
        found.wrong.len()
    );
    let held = found.wrong.is_empty()
        && count(Ending::Logout) > 0
        && count(Ending::Revocation) > 0
        && found.live_working > 0;
    if !held {
        eprintln!("logouts: {found:#?}");
    }
    held
}
