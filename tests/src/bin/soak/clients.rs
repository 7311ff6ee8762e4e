//! The mixed traffic: one loop per client and kind of request, each request's outcome and
//! time recorded, a failure told apart as explained by a fault or not.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use gerbang_tests::browser::{self, hidden_field, location, CAPTCHA_TEST_ANSWER};
use gerbang_tests::site::{borrowed, ktp};
use gerbang_tests::Gerbang;

use crate::faults::{Fault, Faults};

pub const USER: &str = "budi";
pub const PASSWORD: &str = "kuda laut biru";
pub const CLIENT: &str = "soak";
pub const CLIENT_SECRET: &str = "soak-secret-0123456789abcdef";
pub const APP_HOST: &str = "perizinan.test";
pub const PUBLIC_HOST: &str = "informasi.test";
const ACKNOWLEDGED: &str = "Periksa e-mail Anda";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A public route.
    Public,
    /// An authenticated route, with a session.
    Private,
    /// `/_gerbang/auth` as nginx asks it, with the session's cookie.
    ForwardAuth,
    /// A login with a wrong password (of a user that does not exist: no lockout).
    WrongPassword,
    /// A whole login, from the app to its callback.
    Login,
    /// A registration through the form, captcha included.
    Registration,
    /// A client-credentials token.
    TokenGrant,
}

pub const KINDS: [Kind; 7] = [
    Kind::Public,
    Kind::Private,
    Kind::ForwardAuth,
    Kind::WrongPassword,
    Kind::Login,
    Kind::Registration,
    Kind::TokenGrant,
];

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Public => "public route",
            Kind::Private => "authenticated route",
            Kind::ForwardAuth => "forward-auth",
            Kind::WrongPassword => "login, wrong password",
            Kind::Login => "login",
            Kind::Registration => "registration",
            Kind::TokenGrant => "token grant",
        }
    }

    /// The faults that may make a request of this kind fail; no other failure is allowed.
    pub fn failed_by(self) -> &'static [Fault] {
        match self {
            Kind::Public | Kind::Private => &[Fault::UpstreamStopped],
            Kind::ForwardAuth | Kind::TokenGrant => &[],
            Kind::WrongPassword | Kind::Login | Kind::Registration => &[Fault::DatabaseRestarted],
        }
    }
}

/// One kind's tally.
#[derive(Default)]
pub struct Tally {
    pub ok: usize,
    pub explained: usize,
    pub unexplained: usize,
    /// The first unexplained failures, to read.
    pub samples: Vec<String>,
    /// When each request ended, and how long it took.
    pub times: Vec<(Instant, Duration)>,
}

/// What every loop shares.
pub struct Shared {
    pub started: Instant,
    pub issuer: String,
    pub app_url: String,
    pub public_url: String,
    pub faults: Arc<Faults>,
    pub stop: AtomicBool,
    pub tallies: Mutex<HashMap<Kind, Tally>>,
    /// The e-mail addresses of acknowledged registrations.
    pub registered: Mutex<Vec<String>>,
    next_person: AtomicUsize,
    next_stranger: AtomicUsize,
}

impl Shared {
    pub fn new(gw: &Gerbang, faults: Arc<Faults>) -> Shared {
        Shared {
            started: Instant::now(),
            issuer: gw.url(Gerbang::PROVIDER_HOST, ""),
            app_url: gw.url(APP_HOST, "/whoami"),
            public_url: gw.url(PUBLIC_HOST, "/public"),
            faults,
            stop: AtomicBool::new(false),
            tallies: Mutex::new(HashMap::new()),
            registered: Mutex::new(Vec::new()),
            next_person: AtomicUsize::new(0),
            next_stranger: AtomicUsize::new(0),
        }
    }

    fn record(&self, kind: Kind, started: Instant, outcome: Result<(), String>) {
        let ended = Instant::now();
        let mut tallies = self.tallies.lock().unwrap();
        let tally = tallies.entry(kind).or_default();
        tally.times.push((ended, ended - started));
        match outcome {
            Ok(()) => tally.ok += 1,
            Err(_) if self.faults.explain(kind.failed_by(), started, ended) => tally.explained += 1,
            Err(e) => {
                tally.unexplained += 1;
                if tally.samples.len() < 5 {
                    let at = (ended - self.started).as_secs_f64();
                    tally.samples.push(format!("at {at:.1} s: {e}"));
                }
            }
        }
    }
}

/// A client's loop: requests of `kind` until `stop`. `browser` holds a session for the kinds
/// that need one; the others make their own.
pub async fn run(
    kind: Kind,
    gw_client: impl Fn() -> reqwest::Client,
    session: reqwest::Client,
    shared: Arc<Shared>,
) {
    while !shared.stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        let outcome = match kind {
            Kind::Public => expect_status(session.get(&shared.public_url), 200).await,
            Kind::Private => expect_status(session.get(&shared.app_url), 200).await,
            Kind::ForwardAuth => {
                let url = shared.app_url.replace("/whoami", "/_gerbang/auth");
                let request = session.get(url).header("x-original-uri", "/whoami");
                expect_status(request, 200).await
            }
            Kind::WrongPassword => {
                let n = shared.next_stranger.fetch_add(1, Ordering::Relaxed);
                wrong_password(&gw_client(), &shared.issuer, n).await
            }
            Kind::Login => log_in(gw_client(), &shared).await,
            Kind::Registration => register(&gw_client(), &shared).await,
            Kind::TokenGrant => {
                let request = session
                    .post(format!("{}/token", shared.issuer))
                    .basic_auth(CLIENT, Some(CLIENT_SECRET))
                    .form(&[("grant_type", "client_credentials")]);
                expect_status(request, 200).await
            }
        };
        shared.record(kind, started, outcome);
    }
}

async fn expect_status(request: reqwest::RequestBuilder, status: u16) -> Result<(), String> {
    let response = request
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    match response.status().as_u16() {
        s if s == status => {
            let _ = response.bytes().await;
            Ok(())
        }
        s => Err(format!("{s} {:?}", location(&response))),
    }
}

/// A wrong password is answered with the login page again, saying so. Each attempt names
/// another user that does not exist, so no lockout answers instead.
async fn wrong_password(browser: &reqwest::Client, issuer: &str, n: usize) -> Result<(), String> {
    let (browser, issuer) = (browser.clone(), issuer.to_string());
    let stranger = format!("tidak-ada-{n}");
    // The login helper panics on a server that does not answer: caught, as a failure.
    let response = tokio::spawn(async move {
        let response = browser::submit_login(&browser, &issuer, &stranger, "salah sekali", None);
        let response = response.await;
        (
            response.status().as_u16(),
            response.text().await.unwrap_or_default(),
        )
    })
    .await
    .map_err(|e| format!("no answer: {e}"))?;
    match response {
        (status, page) if status < 500 && page.contains("salah") => Ok(()),
        (status, _) => Err(format!("{status} to a wrong password")),
    }
}

/// From the app to the provider's login and back to the app, signed in.
async fn log_in(browser: reqwest::Client, shared: &Shared) -> Result<(), String> {
    let (app, issuer) = (shared.app_url.clone(), shared.issuer.clone());
    let landed = tokio::spawn(async move {
        let response = browser::log_in_to_app(&browser, &app, &issuer, USER, PASSWORD).await;
        response.status().as_u16()
    })
    .await
    .map_err(|e| format!("the login failed: {e}"))?;
    match landed {
        200 | 302 | 303 => Ok(()),
        status => Err(format!("{status} at the callback")),
    }
}

/// Registration `n`'s form: a KTP with its own NIK and address.
fn person(n: usize) -> (String, Vec<(&'static str, String)>) {
    let (day, serial) = (1 + n / 9_000 % 28, 1 + n % 9_000);
    let email = format!("soak{n}@example.test");
    let mut fields = ktp(&email, &format!("317405{day:02}0885{serial:04}"));
    for (name, value) in &mut fields {
        if *name == "birth_date" {
            *value = format!("{day:02}-08-1985");
        }
    }
    (email, fields)
}

async fn register(client: &reqwest::Client, shared: &Shared) -> Result<(), String> {
    let (email, fields) = person(shared.next_person.fetch_add(1, Ordering::Relaxed));
    let send = |request: reqwest::RequestBuilder| async move {
        let response = request
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("no answer: {e}"))?;
        let status = response.status().as_u16();
        Ok::<_, String>((status, response.text().await.unwrap_or_default()))
    };
    let (status, page) = send(client.get(format!("{}/register", shared.issuer))).await?;
    let token = hidden_field(&page, "captcha_token").ok_or(format!("{status}: no form"))?;
    let mut form = borrowed(&fields);
    form.extend([
        ("captcha_token", token.as_str()),
        ("captcha", CAPTCHA_TEST_ANSWER),
    ]);
    let request = client
        .post(format!("{}/register", shared.issuer))
        .form(&form);
    let (status, page) = send(request).await?;
    if status != 200 || !page.contains(ACKNOWLEDGED) {
        return Err(format!("{status}: not acknowledged"));
    }
    shared.registered.lock().unwrap().push(email);
    Ok(())
}
