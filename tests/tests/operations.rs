//! What platform teams watch: the internal listener's metrics after a scripted journey, and
//! the health endpoints.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use gerbang_tests::browser;
use gerbang_tests::site::{borrowed, ktp, nik, Site};
use gerbang_tests::smtp::SmtpServer;
use gerbang_tests::{free_port, metric as sample, App, Gerbang};

const NEW_PASSWORD: &str = "kuda laut biru terbang tinggi";
const MACHINE_SECRET: &str = "machine-secret-0123456789";

#[tokio::test]
async fn metrics_count_a_scripted_journey_and_health_answers() {
    let app = App::start("terbuka").await;
    let internal = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let routes = format!(
        "[[route]]\nname = \"perizinan\"\nhost = \"perizinan.test\"\nupstreams = [\"{a}\"]\npolicy = \"authenticated\"\n\n\
         [[route]]\nname = \"terbuka\"\nhost = \"terbuka.test\"\nupstreams = [\"{a}\"]\npolicy = \"public\"\n",
        a = app.addr
    );
    let smtp = SmtpServer::start().await;
    let mut spec = Site::spec(&smtp, routes, Vec::new());
    spec.server_extra = format!("internal = \"{internal}\"\n");
    spec.extra += &format!(
        "\n[[client]]\nid = \"machine\"\nsecret = \"{MACHINE_SECRET}\"\ngrant_types = [\"client_credentials\"]\n"
    );
    let site = Site::around(Gerbang::start(spec).await, smtp);
    let internal_url = |path: &str| format!("http://{internal}{path}");
    let plain = reqwest::Client::new();
    let metrics = || async {
        let response = plain.get(internal_url("/metrics")).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"));
        response.text().await.unwrap()
    };

    // Health first: up, and ready (the store answers, keys are loaded).
    let healthz = plain.get(internal_url("/healthz")).send().await.unwrap();
    assert_eq!(healthz.status(), 200);
    let readyz = plain.get(internal_url("/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 200);

    // The journey: one registration and activation (two mails), the forced change (a login),
    // two wrong passwords, one wrong captcha, two client_credentials grants, three requests to
    // the protected app without a session, two to the public one.
    let email = "rina.wati@example.id";
    let (username, temporary) = site.enrol(&borrowed(&ktp(email, &nik(3))), email).await;
    let page = site
        .log_in(&username, &temporary)
        .await
        .text()
        .await
        .unwrap();
    let done = site.new_password(&page, NEW_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(done.status(), 302);
    // What must never reach a log: cookie values, tokens, link tokens, passwords.
    let mut secrets: Vec<String> = vec![
        temporary.clone(),
        NEW_PASSWORD.into(),
        MACHINE_SECRET.into(),
    ];
    secrets.extend(done.headers().get_all("set-cookie").iter().filter_map(|c| {
        let value = c.to_str().ok()?.split(';').next()?.split_once('=')?.1;
        (value.len() >= 16).then(|| value.to_string())
    }));
    for mail in site.smtp.messages() {
        if let Some(link) = gerbang_tests::smtp::link(&mail.text, "token=") {
            secrets.push(link.split("token=").nth(1).unwrap().to_string());
        }
    }
    let stranger = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    for n in 0..2 {
        let wrong = browser::submit_login(
            &stranger,
            &site.issuer,
            &username,
            &format!("salah {n}"),
            None,
        )
        .await;
        assert_eq!(wrong.status(), 200);
    }
    let (status, _) = site
        .submit(
            "/login",
            "bukan jawabannya",
            &[("username", &username), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(status, 200, "a wrong captcha shows the form again");
    for _ in 0..2 {
        let token = stranger
            .post(format!("{}/token", site.issuer))
            .basic_auth("machine", Some(MACHINE_SECRET))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .unwrap();
        assert_eq!(token.status(), 200);
        let body: serde_json::Value = token.json().await.unwrap();
        secrets.push(body["access_token"].as_str().unwrap().to_string());
    }
    let apps = site.gw.client(&["perizinan.test", "terbuka.test"]);
    for _ in 0..3 {
        let response = apps
            .get(site.gw.url("perizinan.test", "/whoami"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 302);
    }
    for _ in 0..2 {
        let response = apps
            .get(site.gw.url("terbuka.test", "/whoami"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    let text = metrics().await;
    for (name, expected) in [
        ("gerbang_registrations_total", 1.0),
        ("gerbang_activations_total", 1.0),
        ("gerbang_mail_delivered_total", 2.0),
        ("gerbang_mail_failures_total", 0.0),
        ("gerbang_mail_queue", 0.0),
        ("gerbang_logins_total{result=\"success\"}", 1.0),
        ("gerbang_logins_total{result=\"failure\"}", 2.0),
        ("gerbang_logins_total{result=\"locked\"}", 0.0),
        ("gerbang_captcha_failures_total", 1.0),
        (
            "gerbang_token_grants_total{grant_type=\"client_credentials\"}",
            2.0,
        ),
        (
            "gerbang_token_grants_total{grant_type=\"authorization_code\"}",
            0.0,
        ),
        (
            "gerbang_requests_total{route=\"perizinan\",status=\"3xx\"}",
            3.0,
        ),
        (
            "gerbang_requests_total{route=\"perizinan\",status=\"2xx\"}",
            0.0,
        ),
        (
            "gerbang_requests_total{route=\"terbuka\",status=\"2xx\"}",
            2.0,
        ),
        (
            "gerbang_upstream_duration_seconds_count{route=\"terbuka\"}",
            2.0,
        ),
        (
            "gerbang_upstream_duration_seconds_count{route=\"perizinan\"}",
            0.0,
        ),
        ("gerbang_upstream_healthy{route=\"terbuka\"}", 1.0),
    ] {
        assert_eq!(sample(&text, name), expected, "{name}");
    }
    assert!(sample(&text, "gerbang_sessions") >= 1.0);
    assert!(sample(&text, "gerbang_store_latency_seconds") > 0.0);
    assert!(
        sample(
            &text,
            "gerbang_requests_total{route=\"provider\",status=\"2xx\"}"
        ) >= 10.0,
        "the provider's pages count as a route too"
    );
    // Bounded labels: no user, address, path or secret ever becomes one.
    for private in [
        username.as_str(),
        email,
        "/whoami",
        "127.0.0.1",
        MACHINE_SECRET,
        NEW_PASSWORD,
    ] {
        assert!(!text.contains(private), "{private} in the metrics");
    }
}

/// `--log-format json`: one JSON object per line, and the access line of a request carries the
/// request id its upstream saw (and the client got back).
#[tokio::test]
async fn json_logs_carry_the_request_id_the_upstream_saw() {
    let app = App::start("terbuka").await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let spec = gerbang_tests::Spec::http(format!(
        "[[route]]\nname = \"terbuka\"\nhost = \"terbuka.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
        app.addr
    ));
    let config = dir.path().join("gerbang.toml");
    std::fs::write(&config, Gerbang::config_text(&spec, Some(port), None)).unwrap();
    let log = dir.path().join("gerbang.log");
    let mut server = std::process::Command::new(gerbang_tests::gerbang_binary())
        .args(["--log-format", "json", "serve", "--config"])
        .arg(&config)
        .env("GERBANG_LOG", "info")
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder()
        .resolve("terbuka.test", SocketAddr::from(([127, 0, 0, 1], port)))
        .build()
        .unwrap();
    let mut response = None;
    for _ in 0..200 {
        match client
            .get(format!("http://terbuka.test:{port}/whoami"))
            .send()
            .await
        {
            Ok(r) => {
                response = Some(r);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    let response = response.expect("gerbang answered");
    let returned = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["headers"]["x-request-id"][0], returned.as_str());
    // The access line is written once the response has gone out: wait for it.
    let mut text = String::new();
    for _ in 0..100 {
        text = std::fs::read_to_string(&log).unwrap();
        if text.contains(&returned) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let _ = server.kill();
    let _ = server.wait();

    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let access = lines
        .iter()
        .find(|l| l["fields"]["request_id"] == returned.as_str())
        .unwrap_or_else(|| panic!("no access line with {returned}:\n{text}"));
    assert_eq!(access["target"], "gerbang::access");
    assert_eq!(access["fields"]["status"], 200);
    assert_eq!(access["fields"]["route"], "terbuka");
    assert_eq!(access["fields"]["path"], "/whoami");
    assert!(
        !text.contains('\u{1b}'),
        "no terminal colours in a log file"
    );
}

/// A password hash takes 19 MiB (argon2id); each is given back to the system when it is done
/// (gateway/src/allocator.rs), so logins on every hashing worker leave no memory behind.
#[tokio::test]
async fn logins_leave_no_password_hashing_memory_behind() {
    const PASSWORD: &str = "kuda laut biru";
    let app = App::start("app").await;
    let users: Vec<(String, String)> = (0..4)
        .map(|i| (format!("budi{i}"), PASSWORD.to_string()))
        .collect();
    let gw = Gerbang::start(gerbang_tests::Spec {
        https: true,
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n\n[login]\npassword_workers = 4\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: users.clone(),
        ..gerbang_tests::Spec::http(format!(
            "[[route]]\nname = \"app\"\nhost = \"app.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\n",
            app.addr
        ))
    })
    .await;
    let (start, provider) = (
        gw.url("app.test", "/whoami"),
        gw.url(Gerbang::PROVIDER_HOST, ""),
    );
    let log_in = |user: &str| {
        let browser = gw.client(&["app.test", Gerbang::PROVIDER_HOST]);
        let (start, provider, user) = (start.clone(), provider.clone(), user.to_string());
        async move {
            let landed = browser::log_in_to_app(&browser, &start, &provider, &user, PASSWORD).await;
            assert_eq!(landed.status(), 302, "{user} logged in");
        }
    };
    // One login first, for what the first of anything allocates once.
    log_in(&users[0].0).await;
    let pid = [gw.pid()];
    let before = gerbang_tests::load::rss_mb(&pid);
    // Four at a time, so that every worker hashes: twice.
    for _ in 0..2 {
        futures_util::future::join_all(users.iter().map(|(user, _)| log_in(user))).await;
    }
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let grown = gerbang_tests::load::rss_mb(&pid) - before;
    assert!(
        grown < 24.0,
        "8 logins on 4 hashing workers grew the server by {grown:.1} MB"
    );
}
