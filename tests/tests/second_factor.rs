//! Two-step verification on the real binary (issue 19, first slice): a logged-in user sets up
//! an authenticator app from Beranda; the test reads the key from the page, as a person types
//! it into an app, and computes the codes (RFC 6238). A wrong code keeps the form; the right
//! one enrols the app and shows ten recovery codes once; Beranda lists the app; the secret is
//! sealed under a key kept beside the store, never in it. Then logging in asks for a code
//! after the password: a wrong one is refused and counted, the app's code lets in once, a
//! recovery code lets in once and is mailed about.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_idp::mfa::totp;
use gerbang_tests::authenticator::{
    code_in, code_now, set_up_on_the_way, shown_secret, wrong_code,
};
use gerbang_tests::browser::{self, hidden_field, location};
use gerbang_tests::site::{Site, MAIL_WAIT};
use gerbang_tests::Gerbang;

const PASSWORD: &str = "kuda laut biru";

/// A new browser that gives budi's password on the login page: the second step's page.
async fn password_given(site: &Site) -> (reqwest::Client, String) {
    let fresh = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    let answer = browser::submit_login(&fresh, &site.issuer, "budi", PASSWORD, None).await;
    assert_eq!(answer.status(), 200, "no session before the second factor");
    assert!(answer
        .headers()
        .get("set-cookie")
        .is_none_or(|c| !c.to_str().unwrap().contains("__Host-gerbang-sso=")));
    let page = answer.text().await.unwrap();
    assert!(page.contains("action=\"/login/second-factor\""), "{page}");
    (fresh, page)
}

/// Posts `code` to the second step of `page`: the status and where it leads (or the page).
async fn give_code(
    site: &Site,
    browser: &reqwest::Client,
    page: &str,
    code: &str,
) -> (u16, String) {
    let ticket = hidden_field(page, "ticket").expect("the ticket");
    let answer = browser
        .post(format!("{}/login/second-factor", site.issuer))
        .form(&[("ticket", ticket.as_str()), ("code", code)])
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    match location(&answer) {
        Some(to) => (status, to),
        None => (status, answer.text().await.unwrap()),
    }
}

async fn post(site: &Site, form: &[(&str, &str)]) -> (u16, String) {
    let answer = site
        .browser
        .post(format!("{}/account/second-factor", site.issuer))
        .form(form)
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// Confirms the enrolment `token` with `code`, naming the app "Ponsel kantor".
async fn confirm(site: &Site, token: &str, code: &str) -> (u16, String) {
    post(
        site,
        &[
            ("enrolment", token),
            ("code", code),
            ("name", "Ponsel kantor"),
        ],
    )
    .await
}

#[tokio::test]
async fn an_authenticator_app_set_up_from_beranda_is_asked_for_at_login() {
    let site = Site::with_users(vec![("budi".into(), PASSWORD.into())]).await;
    assert_eq!(
        location(&site.log_in("budi", PASSWORD).await).as_deref(),
        Some("/")
    );
    let home = site.get("/").await.text().await.unwrap();
    assert!(
        home.contains("Verifikasi dua langkah") && home.contains("Belum aktif"),
        "{home}"
    );
    assert!(home.contains("href=\"/account/second-factor\""), "{home}");

    // The page: the QR code drawn on the server, the key to type, no script needed.
    let page = site
        .get("/account/second-factor")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("<svg") && !page.contains("<?xml"), "{page}");
    assert!(page.contains("aria-label=\"Kode QR untuk aplikasi autentikator\""));
    let secret = shown_secret(&page);
    assert_eq!(secret.len(), totp::SECRET_LEN);
    let token = hidden_field(&page, "enrolment").expect("the enrolment");

    // A wrong code: said beside the field, the same key, the name kept.
    let right = code_now(&secret);
    let (status, again) = confirm(&site, &token, wrong_code(&right)).await;
    assert_eq!(status, 200);
    assert!(
        again.contains("Kode salah atau sudah kedaluwarsa"),
        "{again}"
    );
    assert!(again.contains("aria-invalid=\"true\""), "{again}");
    assert!(again.contains("value=\"Ponsel kantor\""), "{again}");
    assert_eq!(shown_secret(&again), secret, "the same key, not a new one");

    // A token that is not this user's enrolment (forged, or another's): a new one, said so.
    let (_, forged) = post(&site, &[("enrolment", "AAAA"), ("code", &right)]).await;
    assert!(forged.contains("Waktu pengaktifan habis"), "{forged}");
    assert_ne!(shown_secret(&forged), secret);

    // The right code, typed as apps show it (in two groups): the recovery codes, once.
    let typed = format!("{} {}", &right[..3], &right[3..]);
    let (status, codes_page) = confirm(&site, &token, &typed).await;
    assert_eq!(status, 200);
    assert!(
        codes_page.contains("Simpan kode pemulihan Anda"),
        "{codes_page}"
    );
    let codes: Vec<&str> = codes_page
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap())
        .collect();
    assert_eq!(codes.len(), 10, "{codes_page}");
    assert!(codes
        .iter()
        .all(|c| c.len() == 14 && c.matches('-').count() == 2));

    // Beranda lists the app by its name, and the codes left.
    let home = site.get("/").await.text().await.unwrap();
    assert!(home.contains("<strong>Ponsel kantor</strong>"), "{home}");
    assert!(
        home.contains("Kode pemulihan tersisa: <strong>10</strong>"),
        "{home}"
    );
    assert!(!home.contains("Belum aktif"), "{home}");
    for code in &codes {
        assert!(!home.contains(code), "a recovery code is shown once only");
    }

    // Logging in now asks for a code after the password. A wrong one is refused.
    let (phone, page) = password_given(&site).await;
    let wrong = wrong_code(&code_in(&secret, 1));
    let (status, again) = give_code(&site, &phone, &page, wrong).await;
    assert_eq!(status, 200);
    assert!(
        again.contains("Kode salah atau sudah kedaluwarsa"),
        "{again}"
    );
    // The app's next code lets in (the one that enrolled it is spent), once.
    let next = code_in(&secret, 1);
    assert_eq!(
        give_code(&site, &phone, &again, &next).await,
        (302, "/".into())
    );
    let home = phone.get(format!("{}/", site.issuer)).send().await.unwrap();
    assert!(home.text().await.unwrap().contains("Ponsel kantor"));
    let (other, page) = password_given(&site).await;
    let (_, replayed) = give_code(&site, &other, &page, &next).await;
    assert!(
        replayed.contains("Kode salah"),
        "a used code again: {replayed}"
    );
    // A login that finished is gone: its ticket does not take a code again.
    let (status, _) = give_code(&site, &phone, &again, &code_in(&secret, 0)).await;
    assert_eq!(status, 410);

    // A recovery code, typed in capitals: in once, and the owner is mailed.
    let (status, to) = give_code(&site, &other, &page, &codes[0].to_uppercase()).await;
    assert_eq!((status, to.as_str()), (302, "/"));
    let mails = site.smtp.wait_for("budi@example.test", 1, MAIL_WAIT).await;
    let used = mails
        .iter()
        .find(|m| m.subject.starts_with("Kode pemulihan dipakai"))
        .expect("the recovery code mail");
    assert!(used.text.contains("tersisa 9"), "{}", used.text);
    let (third, page) = password_given(&site).await;
    let (_, spent) = give_code(&site, &third, &page, codes[0]).await;
    assert!(
        spent.contains("Kode salah"),
        "a spent recovery code: {spent}"
    );
    let home = site.get("/").await.text().await.unwrap();
    assert!(
        home.contains("Kode pemulihan tersisa: <strong>9</strong>"),
        "{home}"
    );

    // A second app keeps the first one's recovery codes (no new set, no codes page).
    let page = site
        .get("/account/second-factor")
        .await
        .text()
        .await
        .unwrap();
    let (second, token) = (
        shown_secret(&page),
        hidden_field(&page, "enrolment").unwrap(),
    );
    let answer = site
        .browser
        .post(format!("{}/account/second-factor", site.issuer))
        .form(&[("enrolment", token.as_str()), ("code", &code_now(&second))])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&answer).as_deref(), Some("/#second-factor"));
    let home = site.get("/").await.text().await.unwrap();
    assert!(
        home.contains("<strong>Aplikasi autentikator</strong>"),
        "{home}"
    );
    assert!(
        home.contains("Kode pemulihan tersisa: <strong>9</strong>"),
        "{home}"
    );

    renew_and_remove(&site, &codes).await;

    // The sealing key lives beside the store, readable by the server's user only; the store's
    // files do not hold the key as the page showed it.
    let key_file = site.gw.dir.path().join("store.second-factor-key");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&key_file).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    let shown = data_encoding::BASE32_NOPAD.encode(&secret);
    for entry in walk(&site.gw.dir.path().join("store")) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&shown) && !contains(&bytes, &secret),
            "{} holds the secret in clear",
            entry.display()
        );
    }
}

/// A new set of recovery codes voids the old; removing the apps one by one (each confirmed by
/// the password, each mailed about) turns two-step verification off.
async fn renew_and_remove(site: &Site, old_codes: &[&str]) {
    let form = |path: &str, fields: Vec<(&'static str, String)>| {
        let url = format!("{}{path}", site.issuer);
        async move {
            let answer = site.browser.post(url).form(&fields).send().await.unwrap();
            let status = answer.status().as_u16();
            match location(&answer) {
                Some(to) => (status, to),
                None => (status, answer.text().await.unwrap()),
            }
        }
    };
    let page = site
        .get("/account/recovery-codes")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Set baru menggantikan"), "{page}");
    let wrong = vec![("current", "bukan password".to_string())];
    let (_, again) = form("/account/recovery-codes", wrong).await;
    assert!(again.contains("Password saat ini salah"), "{again}");
    let right = vec![("current", PASSWORD.to_string())];
    let (_, renewed) = form("/account/recovery-codes", right.clone()).await;
    assert!(
        renewed.contains("Kode pemulihan baru sudah dibuat"),
        "{renewed}"
    );
    assert_eq!(renewed.matches("<li><code>").count(), 10);
    let (browser, step) = password_given(site).await;
    let (_, refused) = give_code(site, &browser, &step, old_codes[1]).await;
    assert!(
        refused.contains("Kode salah"),
        "an old set's code: {refused}"
    );

    // Two apps: the first goes, two-step verification stays on; the last takes it off.
    let home = site.get("/").await.text().await.unwrap();
    let ids: Vec<String> = home
        .split("/account/second-factor/remove?factor=")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{home}");
    for (n, id) in ids.iter().enumerate() {
        let last = n == 1;
        let page = site
            .get(&format!("/account/second-factor/remove?factor={id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(page.contains("Hapus metode verifikasi"), "{page}");
        assert_eq!(page.contains("metode verifikasi terakhir"), last, "{page}");
        let mut fields = right.clone();
        fields.push(("factor", id.clone()));
        let (status, to) = form("/account/second-factor/remove", fields).await;
        assert_eq!((status, to.as_str()), (302, "/#second-factor"));
        let mails = site
            .smtp
            .wait_for("budi@example.test", 2 + n, MAIL_WAIT)
            .await;
        // Mails arrive in any order: one per removal so far, this one saying where it leaves.
        let changes: Vec<_> = mails
            .iter()
            .filter(|m| m.subject.starts_with("Verifikasi dua langkah"))
            .collect();
        assert_eq!(changes.len(), n + 1);
        let state = if last {
            "kini tidak aktif"
        } else {
            "tetap aktif"
        };
        assert!(
            changes.iter().any(|m| m.text.contains(state)),
            "{changes:?}"
        );
    }
    let home = site.get("/").await.text().await.unwrap();
    assert!(home.contains("Belum aktif"), "{home}");
    let answer = browser::submit_login(&site.browser, &site.issuer, "budi", PASSWORD, None).await;
    assert_eq!(
        location(&answer).as_deref(),
        Some("/"),
        "the password alone again"
    );
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Helpdesk, for someone who lost their phone: `gerbang mfa list` shows the factors (never a
/// secret), `gerbang mfa reset` (a reason required) removes them with the recovery codes, ends
/// every session, mails the user and is audited; the next login asks for the password only.
#[tokio::test]
async fn helpdesk_resets_the_second_factor_of_a_lost_phone() {
    let site = Site::with_users(vec![("budi".into(), PASSWORD.into())]).await;
    let secret = set_up_app(&site).await;

    let (ok, listed, err) = site.gw.admin(&["mfa", "list", "budi"], "");
    assert!(ok, "{err}");
    assert!(
        listed.contains("Ponsel kantor") && listed.contains(" WIB"),
        "{listed}"
    );
    assert!(listed.contains("10 recovery codes left"), "{listed}");
    let shown = data_encoding::BASE32_NOPAD.encode(&secret);
    assert!(!listed.contains(&shown), "no secret: {listed}");

    let (ok, _, _) = site.gw.admin(&["mfa", "reset", "budi"], "");
    assert!(!ok, "a reset says why");
    let reason = "ponsel hilang, tiket 4821";
    let (ok, out, err) = site
        .gw
        .admin(&["mfa", "reset", "budi", "--reason", reason], "");
    assert!(ok, "{err}");
    assert!(out.contains("1 second factors of budi removed"), "{out}");

    let mails = site.smtp.wait_for("budi@example.test", 1, MAIL_WAIT).await;
    let said = mails
        .iter()
        .find(|m| m.subject.contains("direset"))
        .expect("the reset mail");
    assert!(
        said.text.contains("dikeluarkan dari semua perangkat"),
        "{}",
        said.text
    );
    assert_eq!(
        location(&site.get("/").await).as_deref(),
        Some("/login"),
        "logged out"
    );
    let answer = browser::submit_login(&site.browser, &site.issuer, "budi", PASSWORD, None).await;
    assert_eq!(location(&answer).as_deref(), Some("/"), "the password only");
    let (ok, listed, _) = site.gw.admin(&["mfa", "list", "budi"], "");
    assert!(ok && listed.contains("no second factor"), "{listed}");
    let (_, audit, _) = site.gw.admin(&["audit"], "");
    assert!(
        audit.contains("second_factor.reset") && audit.contains(reason),
        "{audit}"
    );
}

/// A site whose app (`rahasia.test`, answering) is open to everyone logged in, whose `[mfa]`
/// policy requires a second factor of the `admin` group with `grace_days`; budi is an admin,
/// sari is not.
async fn policy_site(grace_days: u32) -> (Site, gerbang_tests::App) {
    let app = gerbang_tests::App::start("rahasia").await;
    let smtp = gerbang_tests::smtp::SmtpServer::start().await;
    let route = format!(
        "[[route]]\nname = \"rahasia\"\nhost = \"rahasia.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\n",
        app.addr
    );
    let users = ["budi", "sari"].map(|u| (u.to_string(), PASSWORD.to_string()));
    let mut spec = Site::spec(&smtp, route, users.to_vec());
    spec.extra.push_str(&format!(
        "\n[[group]]\nname = \"admin\"\n\n[mfa]\nrequired_groups = [\"admin\"]\ngrace_days = {grace_days}\n"
    ));
    let site = Site::around(Gerbang::start(spec).await, smtp);
    let (ok, out, err) = site.gw.admin(&["groups", "grant", "budi", "admin"], "");
    assert!(ok, "{out}{err}");
    (site, app)
}

/// A browser for the provider and the app.
fn app_browser(site: &Site) -> reqwest::Client {
    site.gw.client(&["rahasia.test", Gerbang::PROVIDER_HOST])
}

/// The `[mfa]` policy with a grace period: an admin's login leads through setting up an app,
/// which they may put off until a date it names; meanwhile apps open. Someone outside the
/// group is not asked.
#[tokio::test]
async fn a_required_group_may_put_the_set_up_off_during_its_grace() {
    let (site, _app) = policy_site(7).await;
    let budi = app_browser(&site);
    let answer = browser::submit_login(&budi, &site.issuer, "budi", PASSWORD, None).await;
    assert_eq!(answer.status(), 200, "the set-up page, not Beranda");
    let page = answer.text().await.unwrap();
    assert!(
        page.contains("Akun Anda wajib memakai verifikasi dua langkah"),
        "{page}"
    );
    assert!(
        page.contains("Anda dapat menundanya sampai") && page.contains(" WIB"),
        "{page}"
    );
    assert!(page.contains("<svg"), "the QR code to scan at once: {page}");
    let later = budi
        .post(format!("{}/account/second-factor/later", site.issuer))
        .form(&[("ui_locales", "id")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&later).as_deref(), Some("/"));
    let app = browser::follow(&budi, &site.gw.url("rahasia.test", "/whoami")).await;
    assert_eq!(app.status(), 200, "apps open during the grace");

    let sari = app_browser(&site);
    let answer = browser::submit_login(&sari, &site.issuer, "sari", PASSWORD, None).await;
    assert_eq!(
        location(&answer).as_deref(),
        Some("/"),
        "not in a required group"
    );
}

/// The grace over (here none at all): the set-up cannot be put off, and no app opens until an
/// authenticator app is set up; then the app the person was opening does.
#[tokio::test]
async fn a_required_group_reaches_no_app_before_setting_up_a_second_factor() {
    let (site, _app) = policy_site(0).await;
    let budi = app_browser(&site);
    let whoami = site.gw.url("rahasia.test", "/whoami");
    let login = browser::follow(&budi, &whoami).await.text().await.unwrap();
    let answer = browser::fill_in(&budi, &site.issuer, &login, "budi", PASSWORD, None).await;
    assert_eq!(answer.status(), 200, "the set-up page, no code for the app");
    let page = answer.text().await.unwrap();
    assert!(page.contains("Aktifkan sekarang"), "{page}");
    // The session is there, but the app does not open with it.
    let again = browser::follow(&budi, &whoami).await.text().await.unwrap();
    assert!(again.contains("Aktifkan sekarang"), "{again}");
    assert!(!page.contains("Nanti saja"), "{page}");
    let later = budi
        .post(format!("{}/account/second-factor/later", site.issuer))
        .form(&[
            ("ui_locales", "id"),
            ("request", &hidden_field(&page, "request").unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let again = later.text().await.unwrap();
    assert!(
        again.contains("Aktifkan sekarang"),
        "no putting off: {again}"
    );

    let (_, resumed) = set_up_on_the_way(&budi, &site.issuer, &again).await;
    let callback = resumed.expect("on to the app");
    assert_eq!(browser::follow(&budi, &callback).await.status(), 200);
}

/// Budi logs in and sets up an authenticator app ("Ponsel kantor"): its secret.
async fn set_up_app(site: &Site) -> Vec<u8> {
    site.log_in("budi", PASSWORD).await;
    gerbang_tests::authenticator::set_up_from_beranda(&site.browser, &site.issuer).await
}

/// Wrong codes count towards the account's lock as wrong passwords do (three by default), and
/// giving the password again in between clears nothing: the count stands until a whole login
/// passes, so the password alone never buys more guesses at the code.
#[tokio::test]
async fn wrong_codes_lock_the_account_however_often_the_password_is_given() {
    let site = Site::with_users(vec![("budi".into(), PASSWORD.into())]).await;
    let secret = set_up_app(&site).await;
    let wrong = wrong_code(&code_in(&secret, 0));
    for _ in 0..3 {
        let (browser, page) = password_given(&site).await;
        let (_, again) = give_code(&site, &browser, &page, wrong).await;
        assert!(again.contains("Kode salah"), "{again}");
    }
    let fresh = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    let answer = browser::submit_login(&fresh, &site.issuer, "budi", PASSWORD, None).await;
    let page = answer.text().await.unwrap();
    assert!(page.contains("Terlalu banyak percobaan"), "{page}");
    assert!(!page.contains("/login/second-factor"), "{page}");
}

/// `[mfa] factors` is reloadable: with authenticator apps taken off the list, their set-up
/// page is gone, Beranda offers passkeys only, and an app set up before no longer counts (the
/// password alone logs in) while it stays listed, to be removed.
#[tokio::test]
async fn authenticator_apps_taken_off_the_allowed_factors_no_longer_count() {
    let site = Site::with_users(vec![("budi".into(), PASSWORD.into())]).await;
    set_up_app(&site).await;
    password_given(&site).await;
    let path = site.gw.config_path();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("\n[mfa]\nfactors = [\"passkey\"]\n");
    std::fs::write(&path, text).unwrap();
    site.gw.signal("HUP");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let answer = site.get("/account/second-factor").await;
        if answer.status() == 302 {
            assert_eq!(location(&answer).as_deref(), Some("/#second-factor"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not reloaded");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let home = site.get("/").await.text().await.unwrap();
    assert!(home.contains("Ponsel kantor"), "{home}");
    assert!(home.contains("href=\"/account/passkeys/new\""), "{home}");
    assert!(!home.contains("href=\"/account/second-factor\""), "{home}");
    let fresh = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    let answer = browser::submit_login(&fresh, &site.issuer, "budi", PASSWORD, None).await;
    assert_eq!(location(&answer).as_deref(), Some("/"), "no second step");
}
