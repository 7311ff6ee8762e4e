//! Several instances behind one address, sharing one PostgreSQL (issue: scale out). The load
//! balancer is a TCP relay the test steers; each instance is the real binary with its own
//! ports and folder, and the same `[store]` (a fresh schema of the CI machine's database).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use gerbang_idp::store::test_database::{database_url, TestSchema};
use gerbang_idp::store::SCHEMA_VERSION;
use gerbang_tests::browser::{self, follow, location};
use gerbang_tests::op::{Op, RP, RP_SECRET};
use gerbang_tests::site::{borrowed, ktp, nik, Site, MAIL_WAIT};
use gerbang_tests::smtp::SmtpServer;
use gerbang_tests::{Gerbang, Reserved, Spec, TcpProxy};
use openidconnect::{OAuth2TokenResponse, TokenResponse};
use serde_json::Value;

const NEW_PASSWORD: &str = "kuda laut biru terbang tinggi";
/// What `serve::REVOCATION_BOUND` states: a request made this long after a revocation on any
/// instance is refused on every other.
const REVOCATION_BOUND: Duration = Duration::from_secs(1);
/// What `serve::KEY_REFRESH` states, plus a margin.
const KEY_WAIT: Duration = Duration::from_secs(15);

fn store_table(schema: &TestSchema, url: &str) -> String {
    format!(
        "{}\n[store]\nbackend = \"postgres\"\nurl = \"{url}\"\nschema = \"{}\"\npool_size = 4\ntimeout_secs = 2\n",
        gerbang_tests::POSTGRES_MFA,
        schema.name
    )
}

fn route(app: std::net::SocketAddr) -> String {
    format!(
        "[[route]]\nname = \"perizinan\"\ntitle = \"Perizinan Berusaha\"\nhost = \"perizinan.test\"\nupstreams = [\"{app}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\n"
    )
}

/// A site's spec on a shared store, public at `public_port`, with a lock after 3 failures.
fn spec(smtp: &SmtpServer, store: String, routes: String, public_port: Option<u16>) -> Spec {
    let mut spec = Site::spec(smtp, routes, vec![("budi".into(), NEW_PASSWORD.into())]);
    spec.extra = spec.extra.replace(
        "[login]\n",
        "[login]\nmax_failures = 3\nbackoff_base_secs = 60\nbackoff_cap_secs = 60\n",
    );
    Spec {
        store: Some(store),
        public_port,
        ..spec
    }
}

/// `https://sso.test:<port of this instance>/jwks`, bypassing the balancer.
async fn jwks_of(gw: &Gerbang) -> Value {
    let port = gw.https.unwrap().port();
    let url = format!("https://{}:{port}/jwks", Gerbang::PROVIDER_HOST);
    browser::get_json(&gw.client(&[Gerbang::PROVIDER_HOST]), &url).await
}

// Multi-threaded: the relays keep running while the test waits on a CLI run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_one_address_share_everything() {
    let schema = TestSchema::create().await;
    let smtp = SmtpServer::start().await;
    let app = Reserved::new("perizinan").await;
    let balancer = TcpProxy::start(Vec::new()).await;
    let public = Some(balancer.addr.port());
    let store = store_table(&schema, &database_url());
    let a = Gerbang::start(spec(&smtp, store.clone(), route(app.addr), public)).await;
    // Behind one address, the instances show one certificate.
    let b = Gerbang::start(Spec {
        certs: Some(a.dir.path().join("certs")),
        users: Vec::new(),
        ..spec(&smtp, store, route(app.addr), public)
    })
    .await;
    balancer.set_targets(vec![a.https.unwrap(), b.https.unwrap()]);
    let _app = app.serve(None);
    let (to_a, to_b) = (Some(0), Some(1));
    let mut site = Site::around(a, smtp);
    site.browser = site
        .gw
        .client_via(balancer.addr, &[Gerbang::PROVIDER_HOST, "perizinan.test"]);
    let app_url = site.gw.url("perizinan.test", "/whoami");

    // Register on A, activate on B, log in on A.
    balancer.pin(to_a);
    let email = "sari.dewi@example.id";
    let fields = ktp(email, &nik(7));
    let (status, page) = site.register(&borrowed(&fields)).await;
    assert_eq!(status, 200);
    assert!(page.contains("Periksa e-mail Anda"), "{page}");
    let first = site.smtp.wait_for(email, 1, MAIL_WAIT).await;
    balancer.pin(to_b);
    let activated = site.activate(&first[0]).await;
    assert_eq!(activated.status(), 200, "activated on B");
    let mails = site.smtp.wait_for(email, 2, MAIL_WAIT).await;
    let second = mails
        .iter()
        .find(|m| m.subject == "Username dan password akun OSS")
        .unwrap();
    let username = gerbang_tests::smtp::labelled(&second.text, "Username").unwrap();
    let temporary = gerbang_tests::smtp::labelled(&second.text, "Password").unwrap();
    balancer.pin(to_a);
    let asked = site.log_in(&username, &temporary).await;
    let page = asked.text().await.unwrap();
    assert!(page.contains("Buat password baru"), "{page}");
    let done = site.new_password(&page, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(done.status(), 302, "logged in on A");

    // The session is valid on B: the app is reached without a login page.
    balancer.pin(to_b);
    let to_app = site
        .browser
        .get(&app_url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let authorize = location(&to_app).unwrap();
    let silent = site.browser.get(&authorize).send().await.unwrap();
    let callback = location(&silent).unwrap();
    assert!(
        callback.contains("/_gerbang/callback?"),
        "no login page: {callback}"
    );
    let landed = site.browser.get(&callback).send().await.unwrap();
    // The gateway's session cookie, kept aside as another tab (or a thief) would hold it.
    let cookie = browser::cookies_set_by(&landed);
    let seen: Value = follow(&site.browser, &app_url).await.json().await.unwrap();
    assert_eq!(seen["headers"]["x-gerbang-user"][0], username.as_str());
    balancer.pin(to_a);
    let tab = site.gw.client_via(balancer.addr, &["perizinan.test"]);
    let with_cookie = |client: &reqwest::Client| {
        client
            .get(&app_url)
            .header("accept", "text/html")
            .header("cookie", cookie.as_str())
            .send()
    };
    assert_eq!(
        with_cookie(&tab).await.unwrap().status(),
        200,
        "A honours B's session"
    );

    // Logout on B is seen by A within the stated bound.
    balancer.pin(to_b);
    let out = site
        .browser
        .post(site.gw.url("perizinan.test", "/_gerbang/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);
    let logged_out = Instant::now();
    balancer.pin(to_a);
    let mut seen = None;
    while seen.is_none() {
        let asked = logged_out.elapsed();
        if with_cookie(&tab).await.unwrap().status() == 302 {
            seen = Some(asked);
        } else {
            assert!(
                asked < REVOCATION_BOUND,
                "A still serves the session {asked:?} after logout on B"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    eprintln!("logout on B seen by A at a request sent {seen:?} after it");

    // A brute-force counter shared: failures on A, B, A lock the account on B too.
    let mut statuses = Vec::new();
    for (n, instance) in [to_a, to_b, to_a, to_b].into_iter().enumerate() {
        balancer.pin(instance);
        let fresh = site.gw.client_via(balancer.addr, &[Gerbang::PROVIDER_HOST]);
        let response =
            browser::submit_login(&fresh, &site.issuer, "budi", &format!("salah {n}"), None).await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(
        statuses,
        [200, 200, 200, 429],
        "the fourth attempt, on B, meets A's lock"
    );

    // 100 registrations spread over both instances: 100 activation mails, each sent once.
    balancer.pin(None);
    let addresses: Vec<String> = (0..100).map(|n| format!("pemohon{n}@example.id")).collect();
    for (n, address) in addresses.iter().enumerate() {
        let fields = ktp(address, &nik(100 + n));
        let (status, page) = site.register(&borrowed(&fields)).await;
        assert_eq!(status, 200, "registration {n}: {page}");
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let count = |messages: &[gerbang_tests::smtp::Received]| {
        let mut per_address: HashMap<String, usize> = HashMap::new();
        for m in messages {
            *per_address.entry(m.to.clone()).or_default() += 1;
        }
        per_address
    };
    loop {
        let received = count(&site.smtp.messages());
        if addresses.iter().all(|a| received.contains_key(a)) {
            break;
        }
        assert!(Instant::now() < deadline, "not every mail arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Longer than a worker's lease and poll: a second sending would have happened by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = count(&site.smtp.messages());
    for address in &addresses {
        assert_eq!(received[address], 1, "{address} got its mail once");
    }
    for instance in [&site.gw, &b] {
        assert!(
            instance.logs().contains("mail delivered"),
            "both instances send: {}",
            instance.logs()
        );
    }

    // A key rotated through A (here with the CLI on A's configuration) is published by both.
    let (ok, out, err) = site.gw.admin(
        &["keys", "rotate", "--alg", "ES256", "--delay-secs", "60"],
        "",
    );
    assert!(ok, "{err}");
    let kid = out
        .split_whitespace()
        .nth(3)
        .unwrap()
        .trim_end_matches(',')
        .to_string();
    let rotated = Instant::now();
    loop {
        let (on_a, on_b) = (jwks_of(&site.gw).await, jwks_of(&b).await);
        let has = |jwks: &Value| jwks.to_string().contains(&kid);
        if has(&on_a) && has(&on_b) {
            assert_eq!(on_a, on_b, "the same JWKS on both");
            break;
        }
        assert!(rotated.elapsed() < KEY_WAIT, "{kid} not published by both");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A line to the test database that the test can cut, and the database's URL through it.
async fn database_line() -> (TcpProxy, url::Url) {
    let url = url::Url::parse(&database_url()).unwrap();
    let database = (
        url.host_str().unwrap().to_string(),
        url.port().unwrap_or(5432),
    );
    let address = tokio::net::lookup_host(database).await.unwrap().next();
    let line = TcpProxy::start(vec![address.unwrap()]).await;
    let mut through_line = url;
    through_line.set_port(Some(line.addr.port())).unwrap();
    (line, through_line)
}

/// A revocation or a logout that the store could not take is answered as an error, never as
/// done: the token and the session still work when the database is back (nothing half-done),
/// and the same request then ends them (issue 24: an acknowledged logout stays logged out).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_or_logout_the_store_did_not_take_is_not_answered_as_done() {
    let schema = TestSchema::create().await;
    let (line, through_line) = database_line().await;
    let op = Op::start_on(Some(store_table(&schema, through_line.as_str()))).await;
    let client = op.client().await;
    let tokens = op.log_in_tokens(&client).await;
    let refresh = tokens.refresh_token().unwrap().secret().clone();
    let hint = tokens.id_token().unwrap().to_string();
    let revoke = async |token: &str| {
        let response = op
            .http
            .post(format!("{}/revoke", op.issuer))
            .basic_auth(RP, Some(RP_SECRET))
            .form(&[("token", token)])
            .send()
            .await
            .unwrap();
        response.status().as_u16()
    };
    let logout = async || {
        op.logout(vec![("id_token_hint", hint.clone())])
            .await
            .status()
            .as_u16()
    };

    line.cut();
    assert_eq!(revoke(&refresh).await, 500, "a revocation not recorded");
    assert_eq!(logout().await, 503, "a logout not recorded");
    line.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    let rotated = loop {
        let form = [("grant_type", "refresh_token"), ("refresh_token", &refresh)];
        match op.token(Some(RP_SECRET), &form).await {
            (200, body) => break body["refresh_token"].as_str().unwrap().to_string(),
            (status, body) => assert!(Instant::now() < deadline, "{status}: {body}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(op.still_logged_in(&client).await, "the session was kept");

    assert_eq!(revoke(&rotated).await, 200);
    let form = [("grant_type", "refresh_token"), ("refresh_token", &rotated)];
    assert_eq!(op.token(Some(RP_SECRET), &form).await.0, 400, "revoked");
    assert_eq!(logout().await, 200, "the logged-out page");
    assert!(!op.still_logged_in(&client).await, "logged out");
}

/// PostgreSQL unreachable: sessions keep proxying, logins get a clear 503 page, and when the
/// database returns everything is as it was.
// Multi-threaded: the relays keep running while the test waits on a CLI run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_keeps_sessions_and_refuses_logins_clearly() {
    let schema = TestSchema::create().await;
    let (line, through_line) = database_line().await;
    let smtp = SmtpServer::start().await;
    let app = Reserved::new("perizinan").await;
    let gw = Gerbang::start(spec(
        &smtp,
        store_table(&schema, through_line.as_str()),
        route(app.addr),
        None,
    ))
    .await;
    let _app = app.serve(None);
    let site = Site::around(gw, smtp);
    let browser = site.gw.client(&[Gerbang::PROVIDER_HOST, "perizinan.test"]);
    let app_url = site.gw.url("perizinan.test", "/whoami");
    let callback = browser::log_in(&browser, &app_url, &site.issuer, "budi", NEW_PASSWORD).await;
    browser.get(&callback).send().await.unwrap();
    assert_eq!(follow(&browser, &app_url).await.status(), 200);

    line.cut();
    // The session is proxied as before: it needs no store.
    for _ in 0..5 {
        let response = browser.get(&app_url).send().await.unwrap();
        assert_eq!(response.status(), 200, "a session survives the outage");
    }
    // A login gets a clear page saying the service is busy, in time.
    let stranger = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    let started = Instant::now();
    let login = stranger
        .get(format!("{}/login", site.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(login.text().await.unwrap().contains("Layanan sedang sibuk"));

    // Back: the login works again, the session is still valid, nothing was lost.
    line.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let page = stranger
            .get(format!("{}/login", site.issuer))
            .send()
            .await
            .unwrap();
        if page.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the login page did not come back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let again = browser::submit_login(&stranger, &site.issuer, "budi", NEW_PASSWORD, None).await;
    assert_eq!(again.status(), 302, "logins work again");
    assert_eq!(follow(&browser, &app_url).await.status(), 200);
    let home = browser
        .get(format!("{}/", site.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200, "the provider session was kept");
    assert!(location(&home).is_none());
}

/// A single instance on sled grows into PostgreSQL: stop, `gerbang store export`, point the
/// configuration at PostgreSQL, `gerbang store import`, start. The user, the sessions and the
/// mail still waiting for its server all come along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sled_deployment_moves_into_postgresql() {
    let schema = TestSchema::create().await;
    let smtp = SmtpServer::start().await;
    let app = Reserved::new("perizinan").await;
    let mut sled_spec = spec(&smtp, String::new(), route(app.addr), None);
    sled_spec.store = None;
    let gw = Gerbang::start(sled_spec).await;
    let _app = app.serve(None);
    let mut site = Site::around(gw, smtp);
    let browser = site.gw.client(&[Gerbang::PROVIDER_HOST, "perizinan.test"]);
    let app_url = site.gw.url("perizinan.test", "/whoami");
    let callback = browser::log_in(&browser, &app_url, &site.issuer, "budi", NEW_PASSWORD).await;
    browser.get(&callback).send().await.unwrap();
    assert_eq!(follow(&browser, &app_url).await.status(), 200);
    // A reset mail that cannot leave yet: its server is down.
    site.smtp.stop();
    let (status, _) = site.ask("/forgot-password", "budi@example.test").await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_secs(1)).await;
    site.gw.stop();

    let dump = site.gw.dir.path().join("store.jsonl");
    let dump_arg = dump.to_str().unwrap();
    let (ok, out, err) = site.gw.admin(&["store", "export", dump_arg], "");
    assert!(ok, "{err}");
    assert!(
        out.contains("1 users") && out.contains("1 queued mails"),
        "{out}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&dump).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the dump is readable by its owner only"
    );

    let config = std::fs::read_to_string(site.gw.config_path()).unwrap();
    assert!(config.contains("[store]\npath = \"store\""));
    let moved = config.replace(
        "[store]\npath = \"store\"",
        store_table(&schema, &database_url()).trim_end(),
    );
    std::fs::write(site.gw.config_path(), moved).unwrap();
    let (ok, out, err) = site.gw.admin(&["store", "import", dump_arg], "");
    assert!(ok, "{err}");
    assert!(out.contains("imported 1 users"), "{out}");
    let (ok, _, err) = site.gw.admin(&["store", "import", dump_arg], "");
    assert!(!ok && err.contains("already has users"), "{err}");

    site.gw.restart().await;
    assert!(site.gw.logs().contains("PostgreSQL store migrated"));
    assert_eq!(
        follow(&browser, &app_url).await.status(),
        200,
        "the gateway session still opens (same cookie key)"
    );
    let home = browser
        .get(format!("{}/", site.issuer))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200, "the provider session came along");
    site.smtp.resume().await;
    let mails = site
        .smtp
        .wait_for("budi@example.test", 1, Duration::from_secs(30))
        .await;
    assert!(
        mails[0].text.contains("/password/reset?token="),
        "{}",
        mails[0].text
    );
    let again = browser::submit_login(
        &site.gw.client(&[Gerbang::PROVIDER_HOST]),
        &site.issuer,
        "budi",
        NEW_PASSWORD,
        None,
    )
    .await;
    assert_eq!(again.status(), 302, "the password hash came along");
}

/// `migrate_at_start = false`: a server refuses an unmigrated database and names the command;
/// `gerbang migrate` applies the schema once, then has nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gerbang_migrate_brings_the_schema_and_servers_check_it() {
    let schema = TestSchema::create().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("gerbang.toml");
    let spec = Spec {
        store: Some(format!(
            "{}migrate_at_start = false\n",
            store_table(&schema, &database_url())
        )),
        ..Spec::http("")
    };
    std::fs::write(
        &config,
        Gerbang::config_text(&spec, Some(gerbang_tests::free_port()), None),
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(gerbang_tests::gerbang_binary())
            .args(args)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let (ok, text) = run(&["serve"]);
    assert!(!ok, "started on an empty database: {text}");
    assert!(
        text.contains(&format!(
            "schema is at version 0, this gerbang needs version {SCHEMA_VERSION}"
        )) && text.contains("gerbang migrate"),
        "{text}"
    );
    let (ok, text) = run(&["migrate"]);
    assert!(
        ok && text.contains(&format!(
            "schema migrated from version 0 to {SCHEMA_VERSION}"
        )),
        "{text}"
    );
    let (ok, text) = run(&["migrate"]);
    assert!(
        ok && text.contains(&format!(
            "schema at version {SCHEMA_VERSION}: nothing to do"
        )),
        "{text}"
    );
}

/// A grant and a revocation on instance A decide instance B's requests within a second: B
/// follows the membership log in the shared PostgreSQL store (issue 18).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_on_one_instance_decides_on_the_other_within_a_second() {
    let schema = TestSchema::create().await;
    let smtp = SmtpServer::start().await;
    let app = gerbang_tests::App::start("perizinan").await;
    let store = store_table(&schema, &database_url());
    let routes = format!(
        "{}\n[[route.rule]]\neffect = \"allow\"\ngroups = [\"pelaku-usaha\"]\n",
        route(app.addr)
    );
    let with_group = |mut spec: Spec| {
        spec.extra
            .push_str("\n[[group]]\nname = \"pelaku-usaha\"\n");
        spec
    };
    let a = Gerbang::start(with_group(spec(&smtp, store.clone(), routes.clone(), None))).await;
    let b = Gerbang::start(with_group(Spec {
        users: Vec::new(),
        ..spec(&smtp, store, routes, None)
    }))
    .await;
    // Budi logs in on B, and B refuses him the app.
    let browser = b.client(&["perizinan.test", Gerbang::PROVIDER_HOST]);
    let on_b = b.url("perizinan.test", "/whoami");
    let provider = b.url(Gerbang::PROVIDER_HOST, "");
    let callback = browser::log_in(&browser, &on_b, &provider, "budi", NEW_PASSWORD).await;
    browser.get(&callback).send().await.unwrap();
    assert_eq!(follow(&browser, &on_b).await.status(), 403);

    let granted = Instant::now();
    let (ok, out, err) = a.admin(&["groups", "grant", "budi", "pelaku-usaha"], "");
    assert!(ok, "{out}{err}");
    tokio::time::sleep_until((granted + REVOCATION_BOUND).into()).await;
    assert_eq!(
        follow(&browser, &on_b).await.status(),
        200,
        "granted on A, decided on B"
    );

    let revoked = Instant::now();
    let (ok, out, err) = a.admin(&["groups", "revoke", "budi", "pelaku-usaha"], "");
    assert!(ok, "{out}{err}");
    tokio::time::sleep_until((revoked + REVOCATION_BOUND).into()).await;
    assert_eq!(
        follow(&browser, &on_b).await.status(),
        403,
        "revoked on A, decided on B"
    );
}

/// A second factor set up on instance A works on B (both seal and open with `[mfa]
/// secret_key`), and a code accepted on one instance is refused on the other.
#[tokio::test]
async fn a_one_time_code_is_accepted_once_across_instances() {
    use gerbang_tests::authenticator::{code_in, shown_secret};
    use gerbang_tests::browser::hidden_field;
    let schema = TestSchema::create().await;
    let smtp = SmtpServer::start().await;
    let store = store_table(&schema, &database_url());
    let routes = route("127.0.0.1:9".parse().unwrap());
    let a = Gerbang::start(spec(&smtp, store.clone(), routes.clone(), None)).await;
    let b = Gerbang::start(Spec {
        users: Vec::new(),
        ..spec(&smtp, store, routes, None)
    })
    .await;
    let provider = |gw: &Gerbang| gw.url(Gerbang::PROVIDER_HOST, "");

    // Set up on A.
    let on_a = a.client(&[Gerbang::PROVIDER_HOST]);
    let answer = browser::submit_login(&on_a, &provider(&a), "budi", NEW_PASSWORD, None).await;
    assert_eq!(location(&answer).as_deref(), Some("/"));
    let setup_url = format!("{}/account/second-factor", provider(&a));
    let page = browser::get_text(&on_a, &setup_url).await;
    let secret = shown_secret(&page);
    let enrolment = hidden_field(&page, "enrolment").unwrap();
    let code = code_in(&secret, -1);
    let confirmed = on_a
        .post(&setup_url)
        .form(&[("enrolment", enrolment.as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(confirmed.contains("Simpan kode pemulihan"), "{confirmed}");

    // The password on both, then one code: in on A, refused on B.
    let mut steps = Vec::new();
    for gw in [&a, &b] {
        let fresh = gw.client(&[Gerbang::PROVIDER_HOST]);
        let answer = browser::submit_login(&fresh, &provider(gw), "budi", NEW_PASSWORD, None).await;
        let page = answer.text().await.unwrap();
        let ticket = hidden_field(&page, "ticket").expect("the second step");
        steps.push((fresh, ticket, provider(gw)));
    }
    let code = code_in(&secret, 0);
    let mut answers = Vec::new();
    for (fresh, ticket, origin) in &steps {
        let answer = fresh
            .post(format!("{origin}/login/second-factor"))
            .form(&[("ticket", ticket.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        let to = location(&answer);
        answers.push((to, answer.text().await.unwrap()));
    }
    assert_eq!(answers[0].0.as_deref(), Some("/"), "in on A");
    assert_eq!(answers[1].0, None, "the same code refused on B");
    assert!(answers[1].1.contains("Kode salah"), "{}", answers[1].1);
}
