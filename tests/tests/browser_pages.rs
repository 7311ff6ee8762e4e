//! Every page in headless Chromium, in both languages, on a phone (390 px) and a desktop
//! (1280 px): a screenshot of each (kept under `target/screenshots/pages`, the current ones
//! committed in `docs/screenshots/`), no axe-core violation of WCAG 2.2 A or AA (any impact),
//! nothing wider than the phone's screen, and no text a person cannot read for its layout (a
//! box a few characters wide, a word broken across lines).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::authenticator::{code_in, shown_secret, wrong_code};
use gerbang_tests::browser;
use gerbang_tests::chrome::{Chrome, Gallery};
use gerbang_tests::site::{borrowed, ktp, nik, Site, APP_ROUTE, MAIL_WAIT, SITE_UI};
use gerbang_tests::smtp::{self, SmtpServer};

const PASSWORD: &str = "kuda laut biru";

/// Of a text in Indonesian and in English, the one of the language that is not `lang`.
fn other<'a>(lang: &str, id: &'a str, en: &'a str) -> &'a str {
    if lang == "id" {
        en
    } else {
        id
    }
}

/// Logs in on the provider's own login page.
async fn log_in(chrome: &Chrome, issuer: &str, lang: &str, username: &str, password: &str) {
    chrome
        .goto(&format!("{issuer}/login?ui_locales={lang}"))
        .await;
    chrome.log_in(username, password).await;
}

/// A third party that asks the user's consent.
const PARTNER: &str = "\n[[client]]\nid = \"partner\"\nname = \"Mitra Perizinan\"\nsecret = \"partner-secret-0123456789\"\nredirect_uris = [\"https://partner.test/cb\"]\n";

/// An app only administrators may open (budi is not one): its 403 page.
const ADMIN_ROUTE: &str = "[[route]]\nname = \"admin\"\ntitle = { id = \"Administrasi Perizinan\", en = \"Licensing administration\" }\nhost = \"admin.test\"\nupstreams = [\"127.0.0.1:9\"]\npolicy = \"authenticated\"\n\n[[route.rule]]\neffect = \"allow\"\ngroups = [\"admin\"]\n";

const GROUPS: &str = "\n[[group]]\nname = \"admin\"\n\n[[group]]\nname = \"pelaku-usaha\"\ntitle = { id = \"Pelaku Usaha\", en = \"Business user\" }\n\n[[group]]\nname = \"pejabat-dpmptsp-3273\"\ntitle = { id = \"Pejabat DPMPTSP Kota Bandung\", en = \"Official, DPMPTSP Bandung\" }\n";

/// The (language, `Accept-Language`, width) of each browser run.
const RUNS: [(&str, &str, u32); 4] = [
    ("id", "id-ID", 390),
    ("id", "id-ID", 1280),
    ("en", "en-GB", 390),
    ("en", "en-GB", 1280),
];

#[tokio::test]
async fn every_page_in_indonesian_on_a_phone() {
    pages_of_run(0).await;
}

#[tokio::test]
async fn every_page_in_indonesian_on_a_desktop() {
    pages_of_run(1).await;
}

#[tokio::test]
async fn every_page_in_english_on_a_phone() {
    pages_of_run(2).await;
}

#[tokio::test]
async fn every_page_in_english_on_a_desktop() {
    pages_of_run(3).await;
}

/// Every page of one run (a language at a width), each run on a site of its own so the four
/// run side by side.
async fn pages_of_run(run: usize) {
    let (lang, accept, width) = RUNS[run];
    let smtp = SmtpServer::start().await;
    // Budi, one account for "Lupa Password?" and one that sets up two-step verification (the
    // per-run names keep the screenshots' account names the same as ever).
    let users = [
        "budi".to_string(),
        format!("sari{run}"),
        format!("dua{run}"),
    ]
    .map(|name| (name, PASSWORD.to_string()));
    let mut spec = Site::spec(&smtp, format!("{APP_ROUTE}\n{ADMIN_ROUTE}"), users.to_vec());
    spec.extra.push_str(PARTNER);
    spec.extra.push_str(GROUPS);
    // Administrators must set up a second factor (the run's "dua" account is one).
    spec.extra.push_str(
        "\n[mfa]\nrequired_groups = [\"admin\"]\n\n[admin]\nadministrators = [\"admin\"]\n",
    );
    let site = Site::around(gerbang_tests::Gerbang::start(spec).await, smtp);
    // Budi's access rights, one with an end, for Beranda; the run's administrator.
    let dua = format!("dua{run}");
    for args in [
        &["groups", "grant", "budi", "pelaku-usaha"][..],
        &[
            "groups",
            "grant",
            "budi",
            "pejabat-dpmptsp-3273",
            "--until",
            "2027-06-30",
        ],
        &["groups", "grant", &dua, "admin"],
    ] {
        let (ok, out, err) = site.gw.admin(args, "");
        assert!(ok, "{out}{err}");
    }
    // An account that still has its temporary password, for the forced change.
    let fields = ktp("baru@example.id", &nik(40));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (fresh, temporary) = site.enrol(&fields, "baru@example.id").await;
    // An account waiting for activation, for the pages its link opens (the link works once):
    // its path and token (the page's language is chosen below).
    let email = format!("tunggu{run}@example.id");
    let waiting = ktp(&email, &nik(41 + run));
    site.register(&borrowed(&waiting)).await;
    let mail = site.smtp.wait_for(&email, 1, MAIL_WAIT).await;
    let link = smtp::link(&mail[0].text, "/activate?token=").expect("an activation link");
    let activation = link.trim_start_matches(&site.issuer).split('&').next();
    let activation = activation.unwrap().to_string();
    let issuer = site.issuer.clone();
    let mut gallery = Gallery::new();

    let chrome = Chrome::start(width, 844, accept).await;
    // The device's passkeys (the second-factor pages below make one).
    chrome.add_virtual_authenticator().await;
    let q = format!("ui_locales={lang}");
    // (page, path, what shows it is there) for the pages reached by their address.
    let pages = [
        (
            "login",
            format!("/login?{q}"),
            ["Lupa Password?", "Forgot password?"],
        ),
        (
            "register-ktp",
            format!("/register?{q}"),
            ["Jenis Identitas", "Identity type"],
        ),
        (
            "activate",
            format!("{activation}&{q}"),
            ["Aktifkan akun", "Activate account"],
        ),
        (
            "not-found",
            format!("/tidak-ada?{q}"),
            ["Halaman tidak ditemukan", "Page not found"],
        ),
        (
            "resend-activation",
            format!("/activate/resend?{q}"),
            ["Kirim ulang", "Send the activation"],
        ),
        (
            "forgot-password",
            format!("/forgot-password?{q}"),
            ["Lupa Password", "Forgot password"],
        ),
        (
            "link-invalid",
            format!("/password/reset?token=spent&{q}"),
            ["Tautan tidak berlaku", "Link no longer valid"],
        ),
        (
            "error",
            format!("/authorize?client_id=unknown&{q}"),
            ["Terjadi kesalahan", "Something went wrong"],
        ),
        (
            "logout-confirm",
            format!("/logout?{q}"),
            ["Keluar dari semua", "Log out of every"],
        ),
    ];
    for (page, path, markers) in &pages {
        chrome.goto(&format!("{issuer}{path}")).await;
        chrome.wait_for_any(markers).await;
        gallery.shot(&chrome, page, lang, width).await;
        if *page == "register-ktp" {
            chrome.select("identity_type", "passport").await;
            gallery
                .shot(&chrome, "register-passport", lang, width)
                .await;
            chrome.select("identity_type", "ktp").await;
            chrome.type_into("nik", "12345").await;
            chrome.type_into("phone", "0812").await;
            chrome.type_into("birth_date", "31-02-1990").await;
            chrome.click("button[type=submit]:not([name])").await;
            let page = chrome
                .wait_for_any(&["Periksa isian", "Please check"])
                .await;
            gallery.shot(&chrome, "register-errors", lang, width).await;
            // The error summary has the focus and links to each field, in the form's
            // order; a date the calendar lacks is named as such (issue 21, item 6).
            assert_eq!(chrome.focused_id().await, "error-summary");
            let links = [
                "#nik",
                "#birth_date",
                "#phone",
                "#email",
                "#captcha",
                "#terms",
            ]
            .map(|f| {
                page.find(&format!("href=\"{f}\""))
                    .unwrap_or_else(|| panic!("{f}"))
            });
            assert!(links.is_sorted(), "in the form's order: {links:?}");
            assert!(
                page.contains("tidak ada di kalender") || page.contains("no such date"),
                "{page}"
            );
            chrome.click(".error-summary a[href=\"#phone\"]").await;
            assert_eq!(chrome.focused_id().await, "phone");
            assert_eq!(chrome.value("phone").await, "0812", "kept as typed");
            // The language link keeps what was typed (issue 21, item 6).
            chrome.click(".lang a").await;
            chrome
                .wait_for(other(lang, "Jenis Identitas", "Identity type"))
                .await;
            assert_eq!(chrome.value("nik").await, "12345");
            assert_eq!(chrome.value("birth_date").await, "31-02-1990");
        }
        if *page == "login" {
            // The show-password button (issue 21, item 10) shows what was typed and
            // hides it again; the field keeps its value.
            chrome.type_into("password", "kuda laut").await;
            assert_eq!(chrome.prop("password", "type").await, "password");
            chrome.click("button.reveal").await;
            assert_eq!(chrome.prop("password", "type").await, "text");
            assert_eq!(chrome.value("password").await, "kuda laut");
            gallery
                .shot(&chrome, "login-password-shown", lang, width)
                .await;
            chrome.click("button.reveal").await;
            assert_eq!(chrome.prop("password", "type").await, "password");
            // "Masuk dengan passkey" below the form, shown by its script (issue 19).
            assert!(chrome.visible("passkey-login").await);
            chrome
                .client
                .execute(
                    "document.getElementById('passkey-login').scrollIntoView();",
                    vec![],
                )
                .await
                .unwrap();
            gallery.shot(&chrome, "login-passkey", lang, width).await;
            // The language link keeps the user name, not the password.
            chrome.type_into("username", "budi").await;
            chrome.click(".lang a").await;
            chrome
                .wait_for(other(lang, "Lupa Password?", "Forgot password?"))
                .await;
            assert_eq!(chrome.value("username").await, "budi");
            assert_eq!(chrome.value("password").await, "");
        }
        if *page == "activate" {
            chrome.click("form button[type=submit]:not([name])").await;
            chrome
                .wait_for_any(&["Akun Anda sudah aktif", "Your account is active"])
                .await;
            gallery.shot(&chrome, "activated", lang, width).await;
            // The link again: used, said at once, in an error style (item 5).
            chrome.goto(&format!("{issuer}{path}")).await;
            chrome
                .wait_for_any(&["sudah dipakai", "has been used"])
                .await;
            gallery.shot(&chrome, "link-used", lang, width).await;
        }
        if *page == "resend-activation" {
            // An address with no account (the waiting one's link would be voided).
            chrome.type_into("email", "siapa@example.id").await;
            chrome
                .type_into("captcha", browser::CAPTCHA_TEST_ANSWER)
                .await;
            chrome.click("form button[type=submit]:not([name])").await;
            chrome.wait_for_any(&["siapa@example.id</strong>"]).await;
            gallery.shot(&chrome, "mail-sent", lang, width).await;
        }
    }

    log_in(&chrome, &issuer, lang, &fresh, &temporary).await;
    chrome
        .wait_for_any(&["Buat password baru", "Choose a new password"])
        .await;
    gallery.shot(&chrome, "new-password", lang, width).await;

    reset_password(&site, &chrome, lang, width, run, &mut gallery).await;

    log_in(&chrome, &issuer, lang, "budi", PASSWORD).await;
    chrome.wait_for_any(&["Beranda", "Home"]).await;
    gateway_pages(&site, &chrome, lang, width, &mut gallery).await;
    chrome
        .goto(&format!(
            "{issuer}/authorize?client_id=partner&response_type=code&redirect_uri=https://partner.test/cb\
             &scope=openid%20profile%20email&state=s&nonce=n&{q}\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        ))
        .await;
    chrome.wait_for_any(&["Izin akses", "Allow access"]).await;
    gallery.shot(&chrome, "consent", lang, width).await;
    for (page, path, markers) in [
        ("home", "/", ["Beranda", "Home"]),
        (
            "change-password",
            "/account/password",
            ["Password saat ini", "Current password"],
        ),
        (
            "change-contact",
            "/account/contact",
            ["Ubah e-mail", "Change e-mail"],
        ),
    ] {
        chrome.goto(&format!("{issuer}{path}?{q}")).await;
        chrome.wait_for_any(&markers).await;
        gallery.shot(&chrome, page, lang, width).await;
        if page == "home" {
            // Only the apps budi may open; his access rights and when one ends (issue 18).
            let home = chrome.source().await;
            let start = home.find("id=\"apps\"").expect("the apps");
            let apps = &home[start..start + home[start..].find("</section>").unwrap()];
            assert!(apps.contains("Perizinan Berusaha"), "{apps}");
            assert!(
                !apps.contains("Administrasi Perizinan")
                    && !apps.contains("Licensing administration"),
                "{apps}"
            );
            let title = if lang == "id" {
                "Pelaku Usaha"
            } else {
                "Business user"
            };
            assert!(home.contains(title), "{home}");
            assert!(home.contains("01-07-2027 00:00 WIB"), "{home}");
            chrome
                .client
                .execute(
                    "document.getElementById('groups').scrollIntoView();",
                    vec![],
                )
                .await
                .unwrap();
            gallery.shot(&chrome, "home-groups", lang, width).await;
            // The sessions list, below the fold on a phone.
            chrome
                .client
                .execute(
                    "document.getElementById('sessions').scrollIntoView();",
                    vec![],
                )
                .await
                .unwrap();
            gallery.shot(&chrome, "home-sessions", lang, width).await;
            // Two-step verification's set-up page, and a wrong code on it (issue 19).
            chrome
                .goto(&format!("{issuer}/account/second-factor?{q}"))
                .await;
            chrome.wait_for("<svg").await;
            gallery
                .shot(&chrome, "second-factor-setup", lang, width)
                .await;
            chrome.type_into("code", "000000").await;
            chrome.click("form button[type=submit]").await;
            chrome.wait_for("id=\"code-error\"").await;
            gallery
                .shot(&chrome, "second-factor-setup-error", lang, width)
                .await;
        }
    }
    // Logging out: the page after it leads back in (issue 21, item 4).
    chrome.goto(&format!("{issuer}/logout?{q}")).await;
    chrome
        .wait_for_any(&["Keluar dari semua", "Log out of every"])
        .await;
    chrome.click("form button[type=submit]:not([name])").await;
    chrome.wait_for_any(&["Masuk lagi", "Log in again"]).await;
    gallery.shot(&chrome, "logged-out", lang, width).await;
    second_factor_pages(&chrome, &issuer, lang, width, run, &mut gallery).await;
    // Budi on another device, so his account in the console lists a session to end.
    site.log_in("budi", PASSWORD).await;
    console_pages(&chrome, &issuer, lang, width, &mut gallery).await;
    chrome.quit().await;
    gallery.assert_clean();
}

/// Two-step verification through (issue 19): this run's account, an administrator whom the
/// `[mfa]` policy asks for a second factor, is led through setting up an app at login (its
/// recovery codes, shown once), adds a passkey from Beranda, logs out and in again: the second
/// step (a passkey or a code), a wrong code, the right one.
async fn second_factor_pages(
    chrome: &Chrome,
    issuer: &str,
    lang: &str,
    width: u32,
    run: usize,
    gallery: &mut Gallery,
) {
    let user = format!("dua{run}");
    log_in(chrome, issuer, lang, &user, PASSWORD).await;
    chrome.wait_for_any(&["Nanti saja", "Not now"]).await;
    gallery
        .shot(chrome, "second-factor-required", lang, width)
        .await;
    let secret = shown_secret(&chrome.wait_for("<svg").await);
    chrome.type_into("code", &code_in(&secret, -1)).await;
    chrome.type_into("name", "Ponsel kantor").await;
    chrome.click("form button[type=submit]").await;
    chrome
        .wait_for_any(&["Simpan kode pemulihan", "Save your recovery codes"])
        .await;
    gallery
        .shot(chrome, "second-factor-recovery-codes", lang, width)
        .await;
    chrome
        .goto(&format!("{issuer}/account/passkeys/new?ui_locales={lang}"))
        .await;
    chrome.wait_for("id=\"name\"").await;
    gallery.shot(chrome, "passkey-setup", lang, width).await;
    chrome.type_into("name", "Laptop kantor").await;
    chrome.click("form.passkey button[type=submit]").await;
    chrome.wait_for("Laptop kantor</strong>").await;
    chrome
        .goto(&format!("{issuer}/logout?ui_locales={lang}"))
        .await;
    chrome
        .wait_for_any(&["Keluar dari semua", "Log out of every"])
        .await;
    chrome.click("form button[type=submit]:not([name])").await;
    chrome.wait_for_any(&["Masuk lagi", "Log in again"]).await;
    log_in(chrome, issuer, lang, &user, PASSWORD).await;
    chrome.wait_for("action=\"/login/second-factor\"").await;
    gallery
        .shot(chrome, "second-factor-login", lang, width)
        .await;
    chrome
        .type_into("code", wrong_code(&code_in(&secret, 0)))
        .await;
    chrome.click("form:not(.passkey) button[type=submit]").await;
    chrome.wait_for("id=\"code-error\"").await;
    gallery
        .shot(chrome, "second-factor-login-error", lang, width)
        .await;
    chrome.type_into("code", &code_in(&secret, 0)).await;
    chrome.click("form:not(.passkey) button[type=submit]").await;
    chrome.wait_for_any(&["Ponsel kantor"]).await;
    // Changes that the password confirms: new recovery codes, removing the (last) app.
    chrome
        .goto(&format!(
            "{issuer}/account/recovery-codes?ui_locales={lang}"
        ))
        .await;
    chrome.wait_for("id=\"current\"").await;
    gallery
        .shot(chrome, "recovery-codes-renew", lang, width)
        .await;
    chrome.goto(&format!("{issuer}/?ui_locales={lang}")).await;
    chrome
        .click("a[href^=\"/account/second-factor/remove\"]")
        .await;
    chrome.wait_for("id=\"current\"").await;
    chrome.type_into("current", "bukan password").await;
    chrome.click("form button[type=submit]").await;
    chrome.wait_for("id=\"current-error\"").await;
    gallery
        .shot(chrome, "second-factor-remove-error", lang, width)
        .await;
}

/// The console (issue 20), for this run's administrator, whose session has two factors by
/// now: the search, its results, an account, the confirmation of a grant and of a deletion,
/// the audit log, the configuration and the confirmation of a key rotation.
async fn console_pages(
    chrome: &Chrome,
    issuer: &str,
    lang: &str,
    width: u32,
    gallery: &mut Gallery,
) {
    chrome
        .goto(&format!("{issuer}/admin?ui_locales={lang}"))
        .await;
    chrome.wait_for("id=\"q\"").await;
    gallery.shot(chrome, "console", lang, width).await;
    chrome.type_into("q", "budi").await;
    chrome.click("form[role=search] button[type=submit]").await;
    chrome.wait_for("id=\"results\"").await;
    gallery.shot(chrome, "console-results", lang, width).await;
    chrome.click("ul.accounts a").await;
    chrome.wait_for("id=\"events\"").await;
    gallery.shot(chrome, "console-account", lang, width).await;
    chrome
        .run("document.getElementById('sessions').scrollIntoView();")
        .await;
    gallery
        .shot(chrome, "console-account-sessions", lang, width)
        .await;
    // Granting asks for a confirmation and a reason (not given here: nothing changes).
    chrome
        .click("form[action$=\"/grant\"] button[type=submit]")
        .await;
    chrome.wait_for("id=\"reason\"").await;
    gallery.shot(chrome, "console-confirm", lang, width).await;
    // Deleting warns what is lost and asks for the operator's password again; a wrong one
    // keeps the reason (nothing is deleted here).
    chrome.client.back().await.unwrap();
    chrome.wait_for("id=\"events\"").await;
    chrome
        .click("form:has(input[value=delete]) button[type=submit]")
        .await;
    chrome.wait_for("id=\"current\"").await;
    chrome
        .type_into("reason", "Permintaan pemilik akun, tiket 77")
        .await;
    chrome.type_into("current", "bukan password").await;
    chrome.click("form[method=post] button[type=submit]").await;
    chrome.wait_for("id=\"current-error\"").await;
    gallery
        .shot(chrome, "console-delete-error", lang, width)
        .await;
    // The audit log, with a filter that is wrong.
    chrome
        .goto(&format!("{issuer}/admin/audit?ui_locales={lang}"))
        .await;
    chrome.wait_for("id=\"events\"").await;
    gallery.shot(chrome, "console-audit", lang, width).await;
    chrome.type_into("account", "tidak-ada").await;
    chrome
        .click("form[action=\"/admin/audit\"] button[type=submit]:not([name])")
        .await;
    chrome.wait_for("id=\"account-error\"").await;
    gallery
        .shot(chrome, "console-audit-error", lang, width)
        .await;
    chrome
        .goto(&format!("{issuer}/admin/configuration?ui_locales={lang}"))
        .await;
    chrome.wait_for("id=\"reload\"").await;
    gallery
        .shot(chrome, "console-configuration", lang, width)
        .await;
    // Rotating the signing key: its form, and its confirmation (a reason and the password).
    chrome
        .run("document.getElementById('rotate').scrollIntoView();")
        .await;
    gallery
        .shot(chrome, "console-configuration-rotate", lang, width)
        .await;
    chrome
        .click("form[action=\"/admin/keys/rotate\"] button[type=submit]")
        .await;
    chrome.wait_for("id=\"current\"").await;
    gallery
        .shot(chrome, "console-rotate-confirm", lang, width)
        .await;
}

/// "Lupa Password?" for this run's account, from the mailed link to the page after the new
/// password.
async fn reset_password(
    site: &Site,
    chrome: &Chrome,
    lang: &str,
    width: u32,
    run: usize,
    gallery: &mut Gallery,
) {
    let email = format!("sari{run}@example.test");
    site.ask("/forgot-password", &email).await;
    let mail = site.smtp.wait_for(&email, 1, MAIL_WAIT).await;
    let link = smtp::link(&mail[0].text, "/password/reset?token=").expect("a reset link");
    let link = link.split('&').next().unwrap();
    chrome.goto(&format!("{link}&ui_locales={lang}")).await;
    let password = format!("{PASSWORD} {run}");
    chrome.type_into("password", &password).await;
    chrome.type_into("confirm", &password).await;
    chrome.click("form button[type=submit]:not([name])").await;
    chrome
        .wait_for_any(&["sudah diganti", "password is changed"])
        .await;
    gallery.shot(chrome, "reset-done", lang, width).await;
}

/// The pages the gateway answers itself on an app's host, in the provider's look: the app that
/// does not answer (its upstream is down), the logout question and a host nobody serves.
async fn gateway_pages(
    site: &Site,
    chrome: &Chrome,
    lang: &str,
    width: u32,
    gallery: &mut Gallery,
) {
    let app = site.gw.url("perizinan.test", "");
    for (page, url, markers) in [
        (
            "gateway-unreachable",
            format!("{app}/"),
            ["tidak dapat dihubungi", "cannot be reached"],
        ),
        (
            "gateway-logout",
            format!("{app}/_gerbang/logout"),
            ["Keluar dari semua", "Log out of every"],
        ),
        (
            "gateway-forbidden",
            site.gw.url("admin.test", "/"),
            ["Akses ditolak", "Access denied"],
        ),
        (
            "gateway-not-found",
            site.gw.url("nobody.test", "/"),
            ["Halaman tidak ditemukan", "Page not found"],
        ),
    ] {
        chrome.goto(&url).await;
        chrome.wait_for_any(&markers).await;
        gallery.shot(chrome, page, lang, width).await;
    }
}

/// The layout check sees what broke Beranda on a phone (values one character a line), a word
/// wrapped inside itself and a picture that did not load, and passes text laid out well.
#[tokio::test]
async fn the_layout_check_finds_text_a_person_cannot_read() {
    let chrome = Chrome::start(390, 844, "id-ID").await;
    chrome
        .goto(
            "data:text/html;charset=utf-8,<p>Beranda yang rapi</p>\
             <dl style='display:grid;grid-template-columns:1fr 12px'><dt>Alamat e-mail</dt><dd>budi@example.test</dd></dl>\
             <p style='width:60px;overflow-wrap:anywhere'>Nomor Induk Kependudukan</p>\
             <img src='/tidak-ada.png' alt='hilang' width='20' height='20'>",
        )
        .await;
    let found = chrome.layout_problems().await;
    chrome.quit().await;
    assert!(
        found.iter().any(|f| f.contains("budi@example.test")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("word broken") && f.contains("Kependudukan")),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("picture not shown: /tidak-ada.png")),
        "{found:#?}"
    );
    assert!(!found.iter().any(|f| f.contains("rapi")), "{found:#?}");
}

/// The OSS-branded set (`examples/branding/oss.toml`): its name in every title, its logo in the
/// header, its colour on the buttons, its terms page linked from the registration, and texts
/// from the configuration in the reader's language (issue 21, items 8 and 9).
#[tokio::test]
async fn an_oss_branded_configuration_renders_with_its_name_logo_and_colour() {
    let branding = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/branding");
    let sample = std::fs::read_to_string(branding.join("oss.toml")).unwrap();
    // Its [ui] table, the file's last.
    let set = sample[sample.find("\n[ui]").unwrap()..]
        .replace("logo = \"", &format!("logo = \"{}/", branding.display()))
        .replace(
            "favicon = \"",
            &format!("favicon = \"{}/", branding.display()),
        );
    let smtp = smtp::SmtpServer::start().await;
    let routes = "[[route]]\nname = \"perizinan\"\ntitle = { id = \"Perizinan Berusaha\", en = \"Business Licensing\" }\n\
                  host = \"perizinan.test\"\nupstreams = [\"127.0.0.1:9\"]\npolicy = \"authenticated\"\n\n";
    let mut spec = Site::spec(&smtp, routes.into(), vec![("budi".into(), PASSWORD.into())]);
    spec.extra = spec.extra.replace(SITE_UI, &set);
    let site = Site::around(gerbang_tests::Gerbang::start(spec).await, smtp);
    let mut gallery = Gallery::new();
    for (lang, accept) in [("id", "id-ID"), ("en", "en-GB")] {
        for width in [390, 1280] {
            let chrome = Chrome::start(width, 844, accept).await;
            chrome
                .goto(&format!("{}/register?ui_locales={lang}", site.issuer))
                .await;
            let page = chrome
                .wait_for_any(&["Jenis Identitas", "Identity type"])
                .await;
            gallery.shot(&chrome, "branded-register", lang, width).await;
            let title = chrome.client.title().await.unwrap();
            assert!(title.ends_with(" · OSS"), "{title}");
            assert!(
                page.contains("href=\"https://oss.go.id/syarat-dan-ketentuan\""),
                "the terms link: {page}"
            );
            let drawn = |script: &str| {
                let client = chrome.client.clone();
                let script = script.to_string();
                async move { client.execute(&script, vec![]).await.unwrap() }
            };
            let logo = drawn("const i = document.querySelector('header.brand img'); return i.complete && i.naturalWidth;").await;
            assert!(logo.as_u64().unwrap_or(0) > 0, "the logo is drawn: {logo}");
            let color = drawn("return getComputedStyle(document.querySelector('form button[type=submit]:not([name])')).backgroundColor;").await;
            assert_eq!(color, "rgb(0, 90, 156)", "the primary colour");
            log_in(&chrome, &site.issuer, lang, "budi", PASSWORD).await;
            let home = chrome.wait_for_any(&["Beranda", "Home"]).await;
            let app = if lang == "id" {
                "Perizinan Berusaha"
            } else {
                "Business Licensing"
            };
            assert!(
                home.contains(app),
                "the route's title in the reader's language: {home}"
            );
            gallery.shot(&chrome, "branded-home", lang, width).await;
            chrome.quit().await;
        }
    }
    gallery.assert_clean();
}
