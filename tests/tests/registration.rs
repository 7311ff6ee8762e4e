//! Registration and e-mail activation (OSS guide 1.1–1.2) against the running binary, with
//! mail delivered over SMTP to a real server on loopback (aiosmtpd).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::Duration;

use gerbang_tests::browser::{self, hidden_field, location};
use gerbang_tests::site::{address_blanked, borrowed, ktp, nik, Site, APP_ROUTE, MAIL_WAIT};
use gerbang_tests::smtp::{self, Received, SmtpServer};
use gerbang_tests::tcp_proxy::TcpProxy;
use gerbang_tests::Gerbang;

/// Register with a KTP → activation mail over SMTP → link → second mail with user name and
/// temporary password → first login asks for a new password (policy enforced) → logged in.
#[tokio::test]
async fn ktp_registration_activation_and_first_login() {
    let site = Site::start().await;
    let fields = ktp("Budi.Santoso@Example.ID", "3174051208850001");
    let (username, temporary) = site
        .enrol(&borrowed(&fields), "budi.santoso@example.id")
        .await;
    assert!(username.starts_with("budisant"), "{username}");
    assert_eq!(temporary.len(), 16);

    // The temporary password leads to the new-password form, not to a session.
    let asked = site.log_in(&username, &temporary).await;
    assert_eq!(asked.status(), 200);
    let page = asked.text().await.unwrap();
    assert!(page.contains("Buat password baru"), "{page}");
    assert!(
        site.get("/").await.headers().get("location").is_some(),
        "no session yet"
    );

    // The policy, each refusal on a fresh form.
    let differ = site
        .new_password(&page, "kuda laut biru", "kuda laut hijau")
        .await;
    let page = differ.text().await.unwrap();
    assert!(page.contains("Kedua password tidak sama."));
    let common = site.new_password(&page, "password123", "password123").await;
    let page = common.text().await.unwrap();
    assert!(page.contains("terlalu umum"));
    let same = site.new_password(&page, &temporary, &temporary).await;
    let page = same.text().await.unwrap();
    assert!(page.contains("tidak boleh sama"));

    // A good one: a session, and the home page knows the user.
    let done = site
        .new_password(&page, "kuda laut biru", "kuda laut biru")
        .await;
    assert_eq!(done.status(), 302);
    assert!(done
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("__Host-gerbang-sso=")));
    let home = site.get("/").await.text().await.unwrap();
    assert!(
        home.contains("Beranda") && home.contains(&username),
        "{home}"
    );
    for shown in [
        "3174********0001",
        "budi.santoso@example.id",
        "+628123456789",
        "Kartu Tanda Penduduk (KTP)",
    ] {
        assert!(home.contains(shown), "the home page shows {shown}");
    }
    assert!(!home.contains("3174051208850001"), "the NIK is masked");
    let app = format!("href=\"https://perizinan.test:{}/\"", site.gw.public_port);
    assert!(
        home.contains(&app) && home.contains("Perizinan Berusaha"),
        "the apps"
    );
    assert!(
        home.contains("Layanan OSS") || home.contains("08071002576"),
        "the helpdesk"
    );

    // The ticket was single use; the temporary password is gone; the new one works.
    let replay = site
        .new_password(&page, "kuda laut biru", "kuda laut biru")
        .await;
    assert_eq!(replay.status(), 410);
    let old = site
        .log_in(&username, &temporary)
        .await
        .text()
        .await
        .unwrap();
    assert!(old.contains("Username atau password salah."));
    let again = site.log_in(&username, "kuda laut biru").await;
    assert_eq!(location(&again).as_deref(), Some("/"));
}

/// The same with a passport, in English.
#[tokio::test]
async fn passport_registration_in_english() {
    let site = Site::start().await;
    let fields = [
        ("identity_type", "passport"),
        ("passport_number", "a1234567"),
        ("passport_country", "MY"),
        ("passport_issued", "01-02-2022"),
        ("passport_expires", "01-02-2032"),
        ("passport_office", "Kuala Lumpur"),
        ("sex", "female"),
        ("nationality", "MY"),
        ("birth_place", "Johor Bahru"),
        ("birth_date", "04-03-1990"),
        ("country", "MY"),
        ("phone", "123456789"),
        ("email", "siti@example.my"),
        ("terms", "on"),
        ("ui_locales", "en"),
    ];
    let (status, page) = site.register(&fields).await;
    assert_eq!(status, 200);
    assert!(page.contains("Check your e-mail"), "{page}");
    let first = site.smtp.wait_for("siti@example.my", 1, MAIL_WAIT).await;
    assert_eq!(first[0].subject, "Activate your OSS account");
    assert!(site.activate(&first[0]).await.status().is_success());
    let mails = site.smtp.wait_for("siti@example.my", 2, MAIL_WAIT).await;
    let second = mails
        .iter()
        .find(|m| m.subject == "Your OSS user name and password")
        .unwrap();
    let username = smtp::labelled(&second.text, "User name").unwrap();
    let password = smtp::labelled(&second.text, "Password").unwrap();
    let page = site
        .log_in(&username, &password)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Buat password baru"), "{page}");
    let done = site
        .new_password(&page, "kuda laut biru", "kuda laut biru")
        .await;
    assert_eq!(location(&done).as_deref(), Some("/"));
    let home = site.get("/?ui_locales=en").await.text().await.unwrap();
    for shown in [
        "Home",
        "Passport",
        "A1****67",
        "siti@example.my",
        "+60123456789",
    ] {
        assert!(home.contains(shown), "the home page shows {shown}: {home}");
    }
}

/// A bad form comes back with each error beside its field, announced, and what was typed kept
/// (never the captcha answer); in English on request.
#[tokio::test]
async fn a_bad_form_keeps_what_was_typed() {
    let site = Site::start().await;
    let mut fields = ktp("budi@example.id", "3174051208850009");
    fields[3].1 = "13-08-1985".into(); // the NIK says the 12th
    fields[4].1 = "0812".into(); // too short
    let (status, page) = site.register(&borrowed(&fields)).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("NIK tidak sesuai dengan Tanggal Lahir."),
        "{page}"
    );
    assert!(page.contains("Nomor ini bukan nomor telepon yang valid"));
    assert!(page.contains("aria-describedby=\"nik-error\""));
    assert!(page.contains("aria-invalid=\"true\""));
    for kept in ["3174051208850009", "13-08-1985", "0812", "budi@example.id"] {
        assert!(page.contains(&format!("value=\"{kept}\"")), "{kept} kept");
    }
    assert!(
        !page.contains("value=\"uji\""),
        "the captcha answer is not kept"
    );
    assert!(site.smtp.messages().is_empty(), "nothing was sent");

    // English, and a wrong captcha beside the captcha field.
    let (_, english) = site
        .submit(
            "/register?ui_locales=en",
            "wrong",
            &[
                ("ui_locales", "en"),
                ("identity_type", "ktp"),
                ("email", "budi@"),
            ],
        )
        .await;
    assert!(english.contains("lang=\"en\""));
    assert!(english.contains("The captcha is wrong or expired."));
    assert!(english.contains("Not a valid e-mail address"));
    assert!(english.contains("Tick this box to continue."));
}

/// A second registration with the same address (or NIK) makes no account and answers with the
/// same page; the owner is told by e-mail.
#[tokio::test]
async fn registering_twice_reveals_nothing_and_tells_the_owner() {
    let site = Site::start().await;
    let first = ktp("ani@example.id", "3174055208850002");
    let first_answer = site.register(&borrowed(&first)).await;
    let first_page = address_blanked(&first_answer).1;
    site.smtp.wait_for("ani@example.id", 1, MAIL_WAIT).await;
    // Same address, another NIK; then same NIK, another address.
    let again = ktp("ani@example.id", "3174051208850001");
    let (status, page) = address_blanked(&site.register(&borrowed(&again)).await);
    assert_eq!((status, page.as_str()), (200, first_page.as_str()));
    let same_nik = ktp("other@example.id", "3174055208850002");
    let (status, page) = address_blanked(&site.register(&borrowed(&same_nik)).await);
    assert_eq!((status, page.as_str()), (200, first_page.as_str()));
    site.smtp.wait_for("ani@example.id", 2, MAIL_WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails: Vec<Received> = site
        .smtp
        .messages()
        .into_iter()
        .filter(|m| m.to.contains("ani@example.id"))
        .collect();
    let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
    assert_eq!(
        subjects
            .iter()
            .filter(|s| **s == "Aktivasi akun OSS")
            .count(),
        1,
        "{subjects:?}"
    );
    assert_eq!(
        subjects
            .iter()
            .filter(|s| **s == "Pendaftaran akun OSS")
            .count(),
        1,
        "one notice, not one per attempt: {subjects:?}"
    );
    assert!(
        site.smtp
            .messages()
            .iter()
            .all(|m| !m.to.contains("other@example.id")),
        "nothing to the address that collided on the NIK"
    );
}

/// Activation links are single use; asking for a new one voids the old.
#[tokio::test]
async fn activation_links_are_single_use_and_resend_voids_the_old() {
    let site = Site::start().await;
    let fields = ktp("dewi@example.id", "3578017112990004");
    let mut fields = fields;
    fields[3].1 = "31-12-1999".into();
    site.register(&borrowed(&fields)).await;
    let first = site.smtp.wait_for("dewi@example.id", 1, MAIL_WAIT).await;

    // Ask for a new link: the same answer as for an unknown address.
    let known = site.ask("/activate/resend", "dewi@example.id").await;
    let unknown = site.ask("/activate/resend", "nobody@example.id").await;
    assert_eq!(address_blanked(&known), address_blanked(&unknown));
    assert!(known.1.contains("<strong>dewi@example.id</strong>"));
    let mails = site.smtp.wait_for("dewi@example.id", 2, MAIL_WAIT).await;
    let newer = mails
        .iter()
        .find(|m| m.message_id != first[0].message_id)
        .unwrap();

    // A voided or used link says so on the page it opens, as a problem, with the way to log in
    // (the account may be active) and to a new link.
    let voided = site.activate(&first[0]).await;
    assert_eq!(voided.status(), 410);
    let page = voided.text().await.unwrap();
    assert!(
        page.contains("Tautan tidak berlaku")
            && page.contains(r#"class="problem" role="alert""#)
            && page.contains(r#"href="/login""#)
            && page.contains(r#"href="/activate/resend""#)
            && !page.contains("Aktifkan akun</button>"),
        "{page}"
    );
    assert_eq!(site.activate(newer).await.status(), 200);
    assert_eq!(site.activate(newer).await.status(), 410, "single use");
    let _ = &site.gw;
}

/// With the SMTP server down, 20 registrations succeed; Gerbang is killed (SIGKILL) and
/// restarted half-way; when the server returns, every message arrives exactly once.
#[tokio::test]
async fn mail_survives_an_smtp_outage_and_a_crash() {
    let mut site = Site::start().await;
    site.smtp.stop();
    for n in 0..20 {
        if n == 10 {
            site.gw.stop();
            site.gw.restart().await;
        }
        let fields = ktp(&format!("outage{n}@example.id"), &nik(n));
        let (status, page) = site.register(&borrowed(&fields)).await;
        assert_eq!(status, 200);
        assert!(page.contains("Periksa e-mail Anda"));
        assert!(
            page.contains(&format!("<strong>outage{n}@example.id</strong>")),
            "the page names the address the mail went to"
        );
    }
    site.smtp.resume().await;
    for n in 0..20 {
        site.smtp
            .wait_for(&format!("outage{n}@example.id"), 1, Duration::from_secs(90))
            .await;
    }
    // Anything sent twice would have arrived by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = site.smtp.messages();
    let ids: std::collections::HashSet<&str> =
        received.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(received.len(), 20, "each message once");
    assert_eq!(ids.len(), 20);
    assert!(
        site.gw.logs().contains("mail not delivered; will retry"),
        "the outage was seen and retried"
    );
}

/// Mail goes out over a few reused SMTP connections, not one per message; a reused connection
/// the server has since dropped is replaced, and its message still arrives once.
#[tokio::test]
async fn mail_reuses_smtp_connections_and_replaces_dropped_ones() {
    let smtp = SmtpServer::start().await;
    let relay = TcpProxy::start(vec![SocketAddr::from(([127, 0, 0, 1], smtp.port))]).await;
    let mut spec = Site::spec(&smtp, APP_ROUTE.into(), Vec::new());
    spec.mail = Some(smtp.mail_config().replace(
        &format!("port = {}", smtp.port),
        &format!("port = {}", relay.addr.port()),
    ));
    let site = Site::around(Gerbang::start(spec).await, smtp);
    let register = |n: usize| {
        let site = &site;
        async move {
            let fields = ktp(&format!("pooled{n}@example.id"), &nik(200 + n));
            let (status, page) = site.register(&borrowed(&fields)).await;
            assert_eq!(status, 200, "{page}");
            site.smtp
                .wait_for(&format!("pooled{n}@example.id"), 1, Duration::from_secs(30))
                .await;
        }
    };
    for n in 0..12 {
        register(n).await;
    }
    let connections = relay.relayed();
    assert!(
        (1..=4).contains(&connections),
        "12 messages over {connections} connections"
    );
    // The server end of every open connection goes away; the next message needs a new one.
    relay.cut();
    relay.restore();
    register(12).await;
    assert!(relay.relayed() > connections, "a new connection was opened");
    let received = site.smtp.messages();
    assert_eq!(received.len(), 13, "each message once");
}

/// 50 registrations at once with one e-mail address (then with one NIK) make exactly one
/// account and 50 identical answers.
#[tokio::test]
async fn fifty_parallel_registrations_make_one_account() {
    let site = Site::start().await;
    for (case, same_email) in [("email", true), ("nik", false)] {
        let forms: Vec<Vec<(&'static str, String)>> = (0..50)
            .map(|n| {
                if same_email {
                    ktp("race@example.id", &nik(n))
                } else {
                    ktp(&format!("race{n}@example.id"), &nik(100))
                }
            })
            .collect();
        let answers = futures_util::future::join_all(
            forms
                .iter()
                .map(|f| async { site.register(&borrowed(f)).await }),
        )
        .await;
        assert!(
            answers
                .iter()
                .all(|a| address_blanked(a) == address_blanked(&answers[0])),
            "{case}: 50 identical answers"
        );
        assert_eq!(answers[0].0, 200);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let activations = site
            .smtp
            .messages()
            .into_iter()
            .filter(|m| m.subject == "Aktivasi akun OSS")
            .filter(|m| {
                if same_email {
                    m.to.contains("race@")
                } else {
                    m.to.contains("race") && !m.to.contains("race@")
                }
            })
            .count();
        assert_eq!(activations, 1, "{case}: one account, one activation e-mail");
    }
}

/// "Lupa Password?": the same answer for any address; a single-use link; the new password ends
/// every session of the account.
#[tokio::test]
async fn forgot_password_end_to_end() {
    let mut site = Site::with_users(vec![("budi".into(), "kuda laut biru".into())]).await;
    let logged_in = site.log_in("budi", "kuda laut biru").await;
    assert_eq!(location(&logged_in).as_deref(), Some("/"));
    assert!(site.get("/").await.status().is_success(), "a session");

    let known = site.ask("/forgot-password", "Budi@Example.Test").await;
    let unknown = site.ask("/forgot-password", "nobody@example.test").await;
    assert_eq!(
        address_blanked(&known),
        address_blanked(&unknown),
        "the same answer"
    );
    assert_eq!(known.0, 200);
    let mails = site.smtp.wait_for("budi@example.test", 1, MAIL_WAIT).await;
    assert_eq!(mails[0].subject, "Atur ulang password OSS");
    assert_eq!(
        smtp::labelled(&mails[0].text, "Username").as_deref(),
        Some("budi")
    );
    let link = smtp::link(&mails[0].text, "/password/reset?token=").unwrap();
    assert!(link.starts_with(&site.issuer));

    let form = site
        .browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden_field(&form, "token").unwrap();
    let post = |password: &'static str, confirm: &'static str| {
        let site = &site;
        let token = token.clone();
        async move {
            site.browser
                .post(format!("{}/password/reset", site.issuer))
                .form(&[
                    ("token", token.as_str()),
                    ("password", password),
                    ("confirm", confirm),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let differ = post("gajah terbang tinggi", "gajah terbang rendah").await;
    assert!(differ
        .text()
        .await
        .unwrap()
        .contains("Kedua password tidak sama."));
    let short = post("pendek", "pendek").await;
    assert!(
        short.text().await.unwrap().contains("minimal 8 karakter"),
        "the link is not spent by a refusal"
    );
    let done = post("gajah terbang tinggi", "gajah terbang tinggi").await;
    assert_eq!(done.status(), 200);
    assert!(done
        .text()
        .await
        .unwrap()
        .contains("keluar dari semua perangkat"));

    // Every session ended; the old password is refused, the new one works; the link is spent.
    assert_eq!(location(&site.get("/").await).as_deref(), Some("/login"));
    let old = site
        .log_in("budi", "kuda laut biru")
        .await
        .text()
        .await
        .unwrap();
    assert!(old.contains("Username atau password salah."));
    let new = site.log_in("budi", "gajah terbang tinggi").await;
    assert_eq!(location(&new).as_deref(), Some("/"));
    assert_eq!(post("x", "x").await.status(), 410);
    assert_eq!(site.browser.get(&link).send().await.unwrap().status(), 410);
    site.gw.stop();
    let (ok, audit, _) = site.gw.admin(&["audit"], "");
    assert!(ok);
    assert!(audit.contains("password.reset"), "{audit}");
    assert!(!audit.contains("gajah"), "no password in the audit trail");
}

/// "Log out everywhere" on the home page ends every session of the user.
#[tokio::test]
async fn log_out_everywhere_from_the_home_page() {
    let site = Site::with_users(vec![("budi".into(), "kuda laut biru".into())]).await;
    let other = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    browser::submit_login(&other, &site.issuer, "budi", "kuda laut biru", None).await;
    site.log_in("budi", "kuda laut biru").await;
    let home = site.get("/").await.text().await.unwrap();
    assert_eq!(
        home.matches("<li class=\"session").count(),
        2,
        "two sessions: {home}"
    );
    let out = site
        .browser
        .post(format!("{}/logout/everywhere", site.issuer))
        .form(&[("ui_locales", "id")])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    for browser in [&site.browser, &other] {
        let home = browser
            .get(format!("{}/", site.issuer))
            .send()
            .await
            .unwrap();
        assert_eq!(location(&home).as_deref(), Some("/login"));
    }
}

/// The embedded default writes each message as an `.eml` file in the outbox folder.
#[tokio::test]
async fn the_folder_outbox_holds_each_message_as_an_eml_file() {
    let gw = Gerbang::start(gerbang_tests::Spec {
        https: true,
        http: false,
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        ..gerbang_tests::Spec::http("")
    })
    .await;
    register_on(&gw, "folder@example.id").await;
    let outbox = gw.dir.path().join("outbox");
    let deadline = std::time::Instant::now() + MAIL_WAIT;
    let eml = loop {
        let found = std::fs::read_dir(&outbox)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "eml"));
        if let Some(path) = found {
            break std::fs::read_to_string(path).unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no .eml in {}",
            outbox.display()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(eml.contains("To: folder@example.id"), "{eml}");
    assert!(eml.contains("Subject: Aktivasi akun Gerbang"));
    assert!(eml.contains("text/plain") && eml.contains("text/html"));
}

/// A Gerbang whose mail goes to `localhost:port` with STARTTLS, trusting `ca` when given.
async fn starttls_gerbang(port: u16, ca: Option<&str>) -> Gerbang {
    let ca = ca.map(|c| format!("ca = \"{c}\"\n")).unwrap_or_default();
    Gerbang::start(gerbang_tests::Spec {
        https: true,
        http: false,
        mail: Some(format!(
            "[mail]\nfrom = \"OSS <noreply@oss.test>\"\ntransport = \"smtp\"\n\n[mail.smtp]\nhost = \"localhost\"\nport = {port}\nsecurity = \"starttls\"\n{ca}"
        )),
        extra: format!("[captcha]\ntest_answer = \"{}\"\n", browser::CAPTCHA_TEST_ANSWER),
        ..gerbang_tests::Spec::http("")
    })
    .await
}

/// Registers `email` through the pages of `gw`.
async fn register_on(gw: &Gerbang, email: &str) {
    let issuer = gw.url(Gerbang::PROVIDER_HOST, "");
    let browser = gw.client(&[Gerbang::PROVIDER_HOST]);
    let page = browser
        .get(format!("{issuer}/register"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden_field(&page, "captcha_token").unwrap();
    let mut form = vec![
        ("captcha_token", token),
        ("captcha", browser::CAPTCHA_TEST_ANSWER.into()),
    ];
    form.extend(ktp(email, &nik(3)));
    let response = browser
        .post(format!("{issuer}/register"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

/// STARTTLS with rustls to a server whose certificate comes from a private CA named in
/// `mail.smtp.ca` (here the development CA Gerbang made, whose certificate covers localhost).
#[tokio::test]
async fn mail_over_starttls_with_a_private_ca() {
    let port = gerbang_tests::free_port();
    let gw = starttls_gerbang(port, Some("certs/ca.pem")).await;
    let certs = gw.dir.path().join("certs");
    let smtp =
        SmtpServer::start_on(port, Some((certs.join("cert.pem"), certs.join("key.pem")))).await;
    register_on(&gw, "tls@example.id").await;
    let mails = smtp.wait_for("tls@example.id", 1, MAIL_WAIT).await;
    assert_eq!(mails[0].subject, "Aktivasi akun Gerbang");
}

/// STARTTLS is required, never skipped: against a server that offers no TLS nothing is sent,
/// and the message waits in the outbox.
#[tokio::test]
async fn starttls_never_falls_back_to_clear_text() {
    let smtp = SmtpServer::start().await;
    let gw = starttls_gerbang(smtp.port, None).await;
    register_on(&gw, "plain@example.id").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !gw.logs().contains("mail not delivered") {
        assert!(
            std::time::Instant::now() < deadline,
            "no failed attempt logged:\n{}",
            gw.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(smtp.messages().is_empty(), "nothing went out in clear text");
}

/// The public forms cannot flood a mailbox: repeated reset requests for one account within the
/// cool-down send one e-mail (and answer the same every time).
#[tokio::test]
async fn reset_requests_cannot_flood_a_mailbox() {
    let site = Site::with_users(vec![("budi".into(), "kuda laut biru".into())]).await;
    let mut answers = Vec::new();
    for _ in 0..5 {
        answers.push(site.ask("/forgot-password", "budi@example.test").await);
    }
    assert!(answers.iter().all(|a| a == &answers[0] && a.0 == 200));
    site.smtp.wait_for("budi@example.test", 1, MAIL_WAIT).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(site.smtp.messages().len(), 1, "one e-mail, not five");
}

/// "Lupa Password?" begun at an app's login leads back to the app (issue 21, item 4): the form
/// names the app, and the page after the new password sends the person to the app's address.
#[tokio::test]
async fn a_reset_begun_at_an_app_leads_back_to_it() {
    let site = Site::with_users(vec![("budi".into(), "kuda laut biru".into())]).await;
    let browser = site.gw.client(&["perizinan.test", Gerbang::PROVIDER_HOST]);
    let app = site.gw.url("perizinan.test", "/");
    let login = browser::follow(&browser, &app).await;
    let request = login
        .url()
        .query_pairs()
        .find(|(k, _)| k == "request")
        .map(|(_, v)| v.into_owned())
        .expect("the app's login request");
    let page = login.text().await.unwrap();
    assert!(
        page.contains("<h1>Masuk ke Perizinan Berusaha</h1>"),
        "{page}"
    );
    assert!(page.contains("href=\"/forgot-password?request="), "{page}");

    let forgot = format!("/forgot-password?request={request}");
    let form = site.get(&forgot).await.text().await.unwrap();
    assert!(
        form.contains("Untuk <strong>Perizinan Berusaha</strong>"),
        "{form}"
    );
    let (status, _) = site
        .submit(
            &forgot,
            browser::CAPTCHA_TEST_ANSWER,
            &[("email", "budi@example.test"), ("request", &request)],
        )
        .await;
    assert_eq!(status, 200);
    let mails = site.smtp.wait_for("budi@example.test", 1, MAIL_WAIT).await;
    let link = smtp::link(&mails[0].text, "/password/reset?token=").unwrap();
    let done = site.reset_password(&link, "gajah besar di hutan").await;
    assert!(
        done.contains(&format!("<a href=\"{app}\">Masuk</a>")),
        "{done}"
    );
}
