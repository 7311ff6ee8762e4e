//! Administration from the shell against a real store: users, keys, audit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::browser;
use gerbang_tests::{Gerbang, Spec};

const PASSWORD: &str = "kuda laut biru";

#[tokio::test]
async fn users_keys_and_audit_from_the_shell() {
    let mut gw = Gerbang::start(Spec {
        https: true,
        http: false,
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: vec![("budi".into(), PASSWORD.into())],
        ..Spec::http("")
    })
    .await;
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let browser = gw.client(&[Gerbang::PROVIDER_HOST]);
    // One failed and one successful login, by e-mail this time.
    let attempt = |password: &'static str| {
        let (browser, provider) = (browser.clone(), provider.clone());
        async move {
            browser::submit_login(&browser, &provider, "BUDI@example.test", password, None).await
        }
    };
    assert_eq!(attempt("salah sekali").await.status(), 200);
    assert_eq!(attempt(PASSWORD).await.status(), 302);
    gw.stop();

    let (ok, audit, _) = gw.admin(&["audit"], "");
    assert!(ok);
    assert!(
        audit.contains("login.failure") && audit.contains("login.success"),
        "{audit}"
    );
    assert!(audit.contains("(from 127.0.0.1)"));
    assert!(
        !audit.contains(PASSWORD) && !audit.contains("salah sekali"),
        "no secrets in the audit trail"
    );

    let (ok, list, _) = gw.admin(&["users", "list"], "");
    assert!(
        ok && list.contains("budi") && list.contains("active"),
        "{list}"
    );
    let (ok, added, err) = gw.admin(
        &[
            "users",
            "add",
            "--username",
            "sari",
            "--email",
            "sari@example.test",
            "--phone",
            "+6281300000000",
            "--name",
            "Sari",
            "--nik",
            "3171015008990002",
        ],
        "short",
    );
    assert!(!ok && added.is_empty(), "a weak password is refused");
    assert!(err.contains("shorter than 8"), "{err}");
    let (ok, _, err) = gw.admin(
        &[
            "users",
            "add",
            "--username",
            "budi",
            "--email",
            "other@example.test",
            "--phone",
            "+6281300000001",
            "--name",
            "Budi Dua",
            "--nik",
            "3171015008990003",
        ],
        PASSWORD,
    );
    assert!(!ok && err.contains("taken"), "{err}");
    // What an operator types is checked by the registration's rules, with its messages, and
    // stored in the same form (issue 17, item 4).
    let add = |nik: &'static str, phone: &'static str| {
        gw.admin(
            &[
                "users",
                "add",
                "--username",
                "dewi",
                "--email",
                " Dewi@Example.TEST ",
                "--phone",
                phone,
                "--name",
                "Dewi",
                "--nik",
                nik,
            ],
            PASSWORD,
        )
    };
    let (ok, _, err) = add("9971015008990004", "+6281300000002");
    assert!(!ok, "no province 99");
    assert!(
        err.contains("--nik: The first two digits of the NIK are no province code."),
        "{err}"
    );
    let (ok, _, err) = add("3171013213990004", "+6281300000002");
    assert!(!ok, "day 32, month 13");
    assert!(
        err.contains("--nik: Digits 7 to 12 of the NIK are no birth date."),
        "{err}"
    );
    let passport = |number: &'static str, country: &'static str| {
        gw.admin(
            &[
                "users",
                "add",
                "--username",
                "siti",
                "--email",
                "siti@example.my",
                "--phone",
                "+60 12-345 6789",
                "--name",
                "Siti",
                "--passport",
                number,
                "--country",
                country,
            ],
            PASSWORD,
        )
    };
    let (ok, _, err) = passport("A12", "MY");
    assert!(!ok && err.contains("--passport: "), "too short: {err}");
    let (ok, _, err) = passport("A1234567", "XX");
    assert!(!ok && err.contains("--country: "), "no such country: {err}");
    let (ok, _, err) = add("3171015008990004", "0812 3456 789");
    assert!(!ok && err.contains("--phone: "), "{err}");
    let (ok, out, err) = add("3171015008990004", "+62 812-3456-789");
    assert!(ok, "{out}{err}");
    let (_, found, _) = gw.admin(&["users", "search", "dewi"], "");
    assert!(
        found.contains("dewi@example.test"),
        "the e-mail is stored normal: {found}"
    );
    assert!(
        found.contains("+628123456789"),
        "the phone is stored in E.164: {found}"
    );
    let (ok, out, _) = gw.admin(&["users", "disable", "budi@example.test"], "");
    assert!(ok && out.contains("disabled budi"), "{out}");
    let (_, list, _) = gw.admin(&["users", "list"], "");
    assert!(list.contains("disabled"));

    let (ok, rotated, _) = gw.admin(
        &["keys", "rotate", "--alg", "ES256", "--delay-secs", "60"],
        "",
    );
    assert!(ok && rotated.contains("added ES256 key"), "{rotated}");
    let (_, keys, _) = gw.admin(&["keys", "list"], "");
    assert_eq!(keys.lines().count(), 1 + 3, "{keys}");
    assert!(!keys.contains("PRIVATE"));
    let (_, audit, _) = gw.admin(&["audit", "--limit", "1"], "");
    assert!(audit.contains("key.rotated"), "{audit}");
    // Every change an administrator makes to an account is in the audit trail.
    let (_, audit, _) = gw.admin(&["audit"], "");
    for kind in ["account.created", "account.disabled"] {
        assert!(audit.contains(kind), "{kind}: {audit}");
    }
}

/// A disabled user cannot log in and loses the sessions they had, at the provider and at the
/// gateway (administered while the server is stopped: sled allows one process).
#[tokio::test]
async fn disabling_a_user_on_a_running_server_ends_every_session_within_5_s() {
    // `_app` bound: the upstream app lives as long as the test.
    let LoggedIn {
        mut gw,
        _app,
        browser,
        provider,
        ..
    } = LoggedIn::budi().await;

    // On the running server (which holds the sled store): through its admin socket.
    let socket = gw.dir.path().join("store.admin.sock");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "only the owner may administer");
    let (ok, out, err) = gw.admin(&["users", "disable", "budi"], "");
    assert!(ok, "{out}{err}");

    // The gateway session is gone within the revocation feed's second; logging in is refused.
    LoggedIn::refused_within_5_s(&browser, &gw).await;
    let refused = browser::submit_login(&browser, &provider, "budi", PASSWORD, None).await;
    assert_eq!(
        refused.status(),
        200,
        "the login page again, not a redirect"
    );
    assert!(refused
        .text()
        .await
        .unwrap()
        .contains("Username atau password salah."));

    // Same commands, same output, with the server running or stopped; errors alike.
    let (ok, live, _) = gw.admin(&["users", "list"], "");
    assert!(
        ok && live.contains("budi") && live.contains("disabled"),
        "{live}"
    );
    let (ok, _, live_error) = gw.admin(&["users", "enable", "nobody"], "");
    assert!(!ok);
    let (ok, _, refused_store) = gw.admin(&["store", "export", "dump.jsonl"], "");
    assert!(!ok, "the store is held by the server: {refused_store}");
    gw.stop();
    assert_eq!(gw.admin(&["users", "list"], "").1, live);
    assert_eq!(gw.admin(&["users", "enable", "nobody"], "").2, live_error);
}

/// `gerbang users search|resend-activation|delete` on an account registered through the pages.
#[tokio::test]
async fn search_resend_activation_and_delete() {
    use gerbang_tests::site::{borrowed, ktp, Site, MAIL_WAIT};
    let mut site = Site::start().await;
    let fields = ktp("rina@example.id", "3174055208850002");
    site.register(&borrowed(&fields)).await;
    site.smtp.wait_for("rina@example.id", 1, MAIL_WAIT).await;
    site.gw.stop();

    for query in ["3174055208850002", "RINA@example.id", "rina"] {
        let (ok, found, _) = site.gw.admin(&["users", "search", query], "");
        assert!(
            ok && found.contains("rina@example.id") && found.contains("pending"),
            "{query}: {found}"
        );
    }
    let (ok, nothing, _) = site.gw.admin(&["users", "search", "nobody"], "");
    assert!(ok && !nothing.contains("@"), "{nothing}");

    let (ok, out, err) = site
        .gw
        .admin(&["users", "resend-activation", "3174055208850002"], "");
    assert!(ok, "{err}");
    assert!(out.contains("rina@example.id"));
    site.gw.restart().await;
    let mails = site.smtp.wait_for("rina@example.id", 2, MAIL_WAIT).await;
    assert!(mails.iter().all(|m| m.subject == "Aktivasi akun OSS"));
    site.gw.stop();

    let (ok, out, _) = site.gw.admin(&["users", "delete", "rina@example.id"], "");
    assert!(ok, "{out}");
    let (_, found, _) = site.gw.admin(&["users", "search", "rina"], "");
    assert!(!found.contains("rina@example.id"), "gone: {found}");
    let (_, audit, _) = site.gw.admin(&["audit"], "");
    assert!(audit.contains("account.deleted"), "{audit}");
    assert!(
        !audit.contains("rina@example.id") && !audit.contains("3174055208850002"),
        "no personal data in the audit trail: {audit}"
    );
    // The address and the NIK are free for a new registration.
    site.gw.restart().await;
    let (status, _) = site.register(&borrowed(&fields)).await;
    assert_eq!(status, 200);
    site.smtp.wait_for("rina@example.id", 3, MAIL_WAIT).await;
}

/// `gerbang sessions list|revoke` against a running server: the user's sessions are listed
/// (never a cookie), then ended everywhere within 5 s, and the account may log in again.
#[tokio::test]
async fn revoking_a_users_sessions_on_a_running_server_logs_them_out_everywhere() {
    let LoggedIn {
        gw,
        _app,
        browser,
        provider,
        cookies,
    } = LoggedIn::budi().await;
    let app_url = gw.url("perizinan.test", "/whoami");

    let (ok, listed, err) = gw.admin(&["sessions", "list", "budi"], "");
    assert!(ok && listed.contains("provider"), "{listed}{err}");
    for value in cookies
        .split("; ")
        .filter_map(|c| c.split_once('='))
        .map(|(_, v)| v)
    {
        // Secrets are long; short values (a language) may well appear in any text.
        assert!(
            value.len() < 16 || !listed.contains(value),
            "a cookie value in the listing"
        );
    }

    let (ok, out, err) = gw.admin(&["sessions", "revoke", "budi"], "");
    assert!(ok && out.contains("1 sessions of budi ended"), "{out}{err}");
    LoggedIn::refused_within_5_s(&browser, &gw).await;
    let (_, listed, _) = gw.admin(&["sessions", "list", "budi"], "");
    assert!(!listed.contains("provider"), "{listed}");
    let (_, audit, _) = gw.admin(&["audit", "--limit", "5"], "");
    assert!(audit.contains("sessions.ended"), "{audit}");
    // The account itself is untouched: budi logs in again.
    browser::log_in_to_app(&browser, &app_url, &provider, "budi", PASSWORD).await;
    assert_eq!(LoggedIn::status(&browser, &gw).await, 200);
}

/// budi, logged in to an authenticated app through a running server.
struct LoggedIn {
    gw: Gerbang,
    _app: gerbang_tests::App,
    browser: reqwest::Client,
    /// The provider's origin.
    provider: String,
    /// The cookies the login set.
    cookies: String,
}

impl LoggedIn {
    async fn budi() -> LoggedIn {
        let app = gerbang_tests::App::start("perizinan").await;
        let gw = Gerbang::start(Spec {
            https: true,
            http: false,
            extra: format!("[captcha]\ntest_answer = \"{}\"\n", browser::CAPTCHA_TEST_ANSWER),
            users: vec![("budi".into(), PASSWORD.into())],
            ..Spec::http(format!(
                "[[route]]\nname = \"perizinan\"\nhost = \"perizinan.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\n",
                app.addr
            ))
        })
        .await;
        let provider = gw.url(Gerbang::PROVIDER_HOST, "");
        let browser = gw.client(&["perizinan.test", Gerbang::PROVIDER_HOST]);
        let app_url = gw.url("perizinan.test", "/whoami");
        let set = browser::log_in_to_app(&browser, &app_url, &provider, "budi", PASSWORD).await;
        let cookies = browser::cookies_set_by(&set);
        assert_eq!(LoggedIn::status(&browser, &gw).await, 200);
        LoggedIn {
            gw,
            _app: app,
            browser,
            provider,
            cookies,
        }
    }

    /// What the app answers the browser (as an API call: 401 without a session).
    async fn status(browser: &reqwest::Client, gw: &Gerbang) -> u16 {
        browser
            .get(gw.url("perizinan.test", "/whoami"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Waits for the browser's gateway session to be refused, at most 5 s.
    async fn refused_within_5_s(browser: &reqwest::Client, gw: &Gerbang) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while LoggedIn::status(browser, gw).await != 401 {
            assert!(
                std::time::Instant::now() < deadline,
                "the gateway session lives on"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }
}
