//! The whole journey as a person makes it, in headless Chromium: from an app to the login page,
//! registration (with a mistake), activation by e-mail over SMTP, the forced password change,
//! back in the app, single sign-on into a second app, the home page, and logging out
//! everywhere; then two people in different groups meet the access rules. axe-core checks every
//! page on the way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use gerbang_examples::identity::Verifier;
use gerbang_tests::chrome::{screenshot_dir, Chrome, Violation};
use gerbang_tests::site::{Site, MAIL_WAIT};
use gerbang_tests::{browser, smtp, Reserved};

fn route(name: &str, title: &str, app: std::net::SocketAddr) -> String {
    format!(
        "[[route]]\nname = \"{name}\"\ntitle = \"{title}\"\nhost = \"{name}.test\"\nupstreams = [\"{app}\"]\npolicy = \"authenticated\"\nforward = [\"headers\", \"jwt\"]\n\n"
    )
}

/// Runs axe-core on the current page and keeps what it finds, by page.
async fn audit(chrome: &Chrome, page: &str, found: &mut Vec<(String, Violation)>) {
    for v in chrome.violations().await {
        found.push((page.to_string(), v));
    }
}

#[tokio::test]
async fn register_activate_log_in_sso_and_log_out_everywhere() {
    let (perizinan, berusaha) = (
        Reserved::new("perizinan").await,
        Reserved::new("berusaha").await,
    );
    let site = Site::build(
        [
            route("perizinan", "Perizinan Berusaha", perizinan.addr),
            route("berusaha", "Portal Berusaha", berusaha.addr),
        ]
        .concat(),
        Vec::new(),
    )
    .await;
    let issuer = site.issuer.clone();
    let _apps = [
        perizinan.serve(Some(Verifier::new(
            &issuer,
            "perizinan",
            site.gw.jwks_source(),
        ))),
        berusaha.serve(Some(Verifier::new(
            &issuer,
            "berusaha",
            site.gw.jwks_source(),
        ))),
    ];
    let app1 = site.gw.url("perizinan.test", "/whoami");
    let app2 = site.gw.url("berusaha.test", "/whoami");
    let shots = screenshot_dir().join("journey");
    let chrome = Chrome::start(1280, 900, "id-ID").await;
    let mut violations = Vec::new();

    // An app sends the person to the login page.
    chrome.goto(&app1).await;
    chrome.wait_for("Lupa Password?").await;
    assert!(chrome.url().await.starts_with(&format!("{issuer}/login")));
    audit(&chrome, "login", &mut violations).await;
    chrome.screenshot(&shots, "01-login").await;

    // "Daftar": the KTP form; Paspor changes the fields, and back.
    chrome.click_link("Daftar").await;
    // The form says which app it registers for (issue 21, item 4).
    chrome
        .wait_for("Untuk <strong>Perizinan Berusaha</strong>")
        .await;
    assert!(chrome.visible("nik").await && !chrome.visible("passport_number").await);
    chrome.select("identity_type", "passport").await;
    assert!(!chrome.visible("nik").await && chrome.visible("passport_number").await);
    assert!(chrome.visible("passport_office").await && chrome.visible("nationality").await);
    chrome.screenshot(&shots, "02-register-passport").await;
    chrome.select("identity_type", "ktp").await;
    assert!(chrome.visible("nik").await && !chrome.visible("passport_number").await);
    audit(&chrome, "register", &mut violations).await;

    // A NIK that does not match the birth date: the error beside the field, the rest kept.
    chrome.type_into("nik", "3174051208850001").await;
    chrome.type_into("birth_date", "13-08-1985").await;
    // The phone as people write it at home (issue 21, item 6): kept as typed, stored in E.164.
    chrome.type_into("phone", "0812-3456-789").await;
    chrome.type_into("email", "sari@example.id").await;
    chrome
        .type_into("captcha", browser::CAPTCHA_TEST_ANSWER)
        .await;
    chrome.click("#terms").await;
    chrome.click("button[type=submit]:not([name])").await;
    let page = chrome
        .wait_for("NIK tidak sesuai dengan Tanggal Lahir.")
        .await;
    assert!(page.contains("id=\"nik-error\""));
    assert_eq!(
        chrome
            .by_id("nik")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    assert_eq!(chrome.value("email").await, "sari@example.id");
    assert_eq!(chrome.value("phone").await, "0812-3456-789");
    assert_eq!(
        chrome.value("captcha").await,
        "",
        "the captcha answer is not kept"
    );
    audit(&chrome, "register with errors", &mut violations).await;
    chrome.screenshot(&shots, "03-register-errors").await;

    // Corrected: "check your e-mail".
    chrome.type_into("birth_date", "12-08-1985").await;
    chrome
        .type_into("captcha", browser::CAPTCHA_TEST_ANSWER)
        .await;
    chrome.click("button[type=submit]:not([name])").await;
    chrome.wait_for("Periksa e-mail Anda").await;
    audit(&chrome, "check your e-mail", &mut violations).await;
    chrome.screenshot(&shots, "04-check-email").await;

    // The activation e-mail, over SMTP; its link; its button.
    let first = site.smtp.wait_for("sari@example.id", 1, MAIL_WAIT).await;
    chrome
        .goto(&smtp::link(&first[0].text, "/activate?token=").unwrap())
        .await;
    chrome.wait_for("Aktifkan akun").await;
    audit(&chrome, "activate", &mut violations).await;
    chrome.screenshot(&shots, "05-activate").await;
    chrome.click("button[type=submit]:not([name])").await;
    chrome.wait_for("Akun Anda sudah aktif").await;

    // The second e-mail: user name and temporary password.
    let mails = site.smtp.wait_for("sari@example.id", 2, MAIL_WAIT).await;
    let second = mails
        .iter()
        .find(|m| m.subject == "Username dan password akun OSS")
        .unwrap();
    let username = smtp::labelled(&second.text, "Username").unwrap();
    let temporary = smtp::labelled(&second.text, "Password").unwrap();

    // Its login link leads to the app the person registered from, as the activated page's does.
    let login = smtp::link(&second.text, "https://perizinan.test").expect("the app's address");
    assert!(app1.starts_with(login.trim_end_matches('/')), "{login}");

    // Back to the app: from the activated page's "Masuk", log in with them, choose a new
    // password, land in the app. The login page names the app (issue 21, item 4).
    chrome.click_link("Masuk").await;
    chrome
        .wait_for("<h1>Masuk ke Perizinan Berusaha</h1>")
        .await;
    chrome.log_in(&username, &temporary).await;
    chrome.wait_for("Buat password baru").await;
    audit(&chrome, "new password", &mut violations).await;
    chrome.screenshot(&shots, "06-new-password").await;
    chrome.type_into("password", "sawah hijau di lereng").await;
    chrome.type_into("confirm", "sawah hijau di lereng").await;
    chrome.click("button[type=submit]:not([name])").await;
    // In the app, at its home page, as the new user.
    chrome
        .wait_for(&format!("Pengguna: <strong>{username}</strong>"))
        .await;
    assert!(
        chrome
            .url()
            .await
            .starts_with(&app1.replace("/whoami", "/")),
        "back in perizinan: {}",
        chrome.url().await
    );
    chrome.goto(&app1).await;
    let landed = chrome.wait_for("\"verified\":true").await;
    assert!(
        landed.contains(&format!("\"x-gerbang-user\":[\"{username}\"]")),
        "{landed}"
    );
    assert!(
        !landed.contains("__Host-gerbang-"),
        "the gateway's cookies stay with it"
    );
    assert!(
        chrome.url().await.starts_with(&app1),
        "back in perizinan: {}",
        chrome.url().await
    );

    // The second app: in without a login page.
    chrome.goto(&app2).await;
    let landed = chrome.wait_for("\"verified\":true").await;
    assert!(landed.contains(&username));
    assert!(chrome.url().await.starts_with(&app2));

    // The home page: both apps, then log out everywhere.
    chrome.goto(&format!("{issuer}/")).await;
    let home = chrome.wait_for("Beranda").await;
    assert!(home.contains("Perizinan Berusaha") && home.contains("Portal Berusaha"));
    assert!(home.contains("3174********0001") && home.contains(&username));
    assert!(home.contains("+628123456789"), "the phone in E.164: {home}");
    audit(&chrome, "home", &mut violations).await;
    chrome.screenshot(&shots, "07-home").await;
    // This browser's session lists both apps it opened, by title, and the device.
    assert!(
        home.contains("Perizinan Berusaha, Portal Berusaha")
            || home.contains("Portal Berusaha, Perizinan Berusaha"),
        "{home}"
    );
    assert!(
        home.contains("Chrome · Linux") && home.contains(" WIB"),
        "{home}"
    );

    // A second device, a phone, sees both sessions and ends the first one: the apps refuse
    // the first browser within a second (issue 21, item 3).
    let phone = Chrome::start(390, 844, "id-ID").await;
    phone.goto(&format!("{issuer}/login")).await;
    phone.log_in(&username, "sawah hijau di lereng").await;
    let list = phone.wait_for("Sesi aktif").await;
    assert_eq!(list.matches("<li class=\"session").count(), 2, "{list}");
    audit(&phone, "sessions", &mut violations).await;
    phone.screenshot(&shots, "08-sessions-on-a-phone").await;
    phone.click("li.session:not(.current) button").await;
    phone
        .wait_for("Sesi di perangkat tersebut sudah diakhiri.")
        .await;
    // The first request the app gets one second after the page said so is refused.
    let ended = Instant::now();
    tokio::time::sleep_until((ended + Duration::from_secs(1)).into()).await;
    chrome.goto(&app1).await;
    assert!(
        chrome.url().await.starts_with(&format!("{issuer}/login")),
        "the ended session still opens the app a second later"
    );
    let list = phone.source().await;
    assert_eq!(list.matches("<li class=\"session").count(), 1, "{list}");

    // Back in on the first browser, then "log out everywhere" from it.
    chrome.log_in(&username, "sawah hijau di lereng").await;
    chrome.wait_for("\"verified\":true").await;
    chrome.goto(&format!("{issuer}/")).await;
    chrome.wait_for("Beranda").await;
    chrome
        .click("form[action='/logout/everywhere'] button")
        .await;
    chrome.wait_for("Anda sudah keluar.").await;
    audit(&chrome, "logged out", &mut violations).await;

    // Both apps ask for a login again (the gateways hear of it within seconds).
    for app in [&app1, &app2] {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            chrome.goto(app).await;
            if chrome.url().await.starts_with(&format!("{issuer}/login")) {
                break;
            }
            assert!(Instant::now() < deadline, "{app} still lets the user in");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    // A new login on the phone lists only what is live: its own session.
    phone.goto(&format!("{issuer}/")).await;
    phone.log_in(&username, "sawah hijau di lereng").await;
    let list = phone.wait_for("Sesi aktif").await;
    assert_eq!(list.matches("<li class=\"session").count(), 1, "{list}");
    assert!(list.contains("class=\"session current\""), "{list}");
    phone.quit().await;
    chrome.quit().await;
    assert!(
        violations.is_empty(),
        "axe-core, WCAG 2.2 A and AA: {violations:#?}"
    );
}

/// Access rules as two people meet them (issue 18): a business user and an administrator,
/// three apps. Each one's Beranda lists exactly the apps the rules let them open, each app
/// answers as the rules say, a refusal is the page that says who is logged in and whom to ask,
/// and a grant on the running server opens the app within a second, without logging in again.
#[tokio::test]
async fn two_people_in_different_groups_see_what_the_rules_allow() {
    let app = gerbang_tests::App::start("app").await;
    let rule_route = |name: &str, rules: &str| {
        format!(
            "[[route]]\nname = \"{name}\"\ntitle = \"App {name}\"\nhost = \"{name}.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\n\n{rules}",
            app.addr
        )
    };
    let config = [
        rule_route(
            "perizinan",
            "[[route.rule]]\neffect = \"deny\"\npaths = [\"/internal\"]\n\n\
             [[route.rule]]\neffect = \"allow\"\ngroups = [\"pelaku-usaha\"]\n\n",
        ),
        rule_route(
            "admin",
            "[[route.rule]]\neffect = \"allow\"\ngroups = [\"admin\"]\nnetworks = [\"127.0.0.0/8\", \"::1\"]\n\n",
        ),
        rule_route("portal", ""),
        "[[group]]\nname = \"pelaku-usaha\"\ntitle = \"Pelaku Usaha\"\n\n[[group]]\nname = \"admin\"\ntitle = \"Administrator\"\n\n".into(),
    ]
    .concat();
    const PASSWORD: &str = "kuda laut biru";
    let site = Site::build(
        config,
        vec![
            ("budi".into(), PASSWORD.into()),
            ("sari".into(), PASSWORD.into()),
        ],
    )
    .await;
    let grant = |user: &str, group: &str| {
        let (ok, out, err) = site.gw.admin(&["groups", "grant", user, group], "");
        assert!(ok, "{out}{err}");
    };
    grant("budi", "pelaku-usaha");
    grant("sari", "admin");
    let url = |app: &str, path: &str| site.gw.url(&format!("{app}.test"), path);
    let home = format!("{}/", site.issuer);
    let shots = screenshot_dir().join("access");
    let mut violations = Vec::new();

    // Budi at his desk, Sari on her phone; each logs in through the portal, open to all.
    let budi = Chrome::start(1280, 900, "id-ID").await;
    let sari = Chrome::start(390, 844, "id-ID").await;
    for (chrome, user) in [(&budi, "budi"), (&sari, "sari")] {
        chrome.goto(&url("portal", "/whoami")).await;
        chrome.log_in(user, PASSWORD).await;
        chrome
            .wait_for(&format!("\"x-gerbang-user\":[\"{user}\"]"))
            .await;
    }

    // Beranda lists the apps each may open, and the person's groups.
    let listed = |page: &str, app: &str| page.contains(&format!(">App {app}</a>"));
    for (chrome, user, mine, others) in [
        (&budi, "budi", ["perizinan", "portal"], "admin"),
        (&sari, "sari", ["admin", "portal"], "perizinan"),
    ] {
        chrome.goto(&home).await;
        let page = chrome.wait_for("Hak akses Anda").await;
        assert!(mine.iter().all(|app| listed(&page, app)), "{user}: {page}");
        assert!(!listed(&page, others), "{user} sees {others}: {page}");
        audit(chrome, &format!("home of {user}"), &mut violations).await;
        chrome.screenshot(&shots, &format!("home-{user}")).await;
    }

    // Each app answers as the rules say: the app itself, or the 403 page naming who asks.
    let opens = |page: &str| page.contains("\"x-gerbang-user\"");
    for (chrome, user, app, path, allowed) in [
        (&budi, "budi", "perizinan", "/whoami", true),
        (&budi, "budi", "perizinan", "/internal/laporan", false),
        (&budi, "budi", "perizinan", "/INTERNAL/laporan", false),
        (&budi, "budi", "admin", "/whoami", false),
        (&sari, "sari", "admin", "/whoami", true),
        (&sari, "sari", "perizinan", "/whoami", false),
        (&sari, "sari", "portal", "/whoami", true),
    ] {
        chrome.goto(&url(app, path)).await;
        let page = chrome
            .wait_for_any(&["\"x-gerbang-user\"", "Akses ditolak"])
            .await;
        assert_eq!(opens(&page), allowed, "{user} at {app}{path}: {page}");
        if !allowed {
            assert!(
                page.contains(&format!("<strong>{user}</strong>"))
                    && page.contains(&format!("<strong>App {app}</strong>")),
                "{page}"
            );
        }
    }
    sari.goto(&url("admin", "/whoami")).await;
    let seen = sari.wait_for("\"x-gerbang-groups\"").await;
    assert!(seen.contains("\"x-gerbang-groups\":[\"admin\"]"), "{seen}");

    // Budi's refusal as he sees it, checked like every page.
    budi.goto(&url("admin", "/whoami")).await;
    budi.wait_for("Akses ditolak").await;
    audit(&budi, "access denied", &mut violations).await;
    budi.screenshot(&shots, "forbidden-budi").await;

    // An administrator grants Budi the admin group: within a second the same browser, still
    // logged in, opens the app, and Beranda lists it.
    grant("budi", "admin");
    let granted = Instant::now();
    tokio::time::sleep_until((granted + Duration::from_secs(1)).into()).await;
    budi.goto(&url("admin", "/whoami")).await;
    let page = budi
        .wait_for_any(&["\"x-gerbang-user\"", "Akses ditolak"])
        .await;
    assert!(opens(&page), "a second after the grant: {page}");
    budi.goto(&home).await;
    let page = budi.wait_for("Hak akses Anda").await;
    assert!(
        listed(&page, "admin") && page.contains("Administrator"),
        "{page}"
    );

    budi.quit().await;
    sari.quit().await;
    assert!(
        violations.is_empty(),
        "axe-core, WCAG 2.2 A and AA: {violations:#?}"
    );
}
