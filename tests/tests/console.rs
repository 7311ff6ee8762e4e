//! The administration console on the real binary (issue 20, first slice): who may enter (a
//! role from `[admin]` or a group's managers, and two factors, the second step asked where the
//! session has only a password), the search (a POST: the NIK never in an address) and an
//! account's page, its document unmasked only for roles that need it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::authenticator::shown_secret;
use gerbang_tests::authenticator::{code_now, set_up_from_beranda};
use gerbang_tests::browser::{self, hidden_field, location};
use gerbang_tests::chrome::Chrome;
use gerbang_tests::site::{group_route, AtGroupRoute, Site, APP_ROUTE};
use gerbang_tests::Gerbang;
use serde_json::{json, Value};

const PASSWORD: &str = "kuda laut biru";

const ROLES: &str = "\n[[group]]\nname = \"helpdesk-oss\"\n\n[[group]]\nname = \"admin-oss\"\n\n[[group]]\nname = \"pejabat-3273\"\nmanagers = [\"admin-3273\"]\n\n[[group]]\nname = \"admin-3273\"\n\n[admin]\nhelpdesk = [\"helpdesk-oss\"]\nadministrators = [\"admin-oss\"]\nsearches_per_minute = 12\n";

async fn start() -> Site {
    start_with(APP_ROUTE.into()).await
}

/// With these `[[route]]` tables; budi, dewi (helpdesk), rudi (manager of `pejabat-3273`),
/// sari (administrator), and tono and wati.
async fn start_with(routes: String) -> Site {
    let smtp = gerbang_tests::smtp::SmtpServer::start().await;
    let users = ["budi", "dewi", "rudi", "sari", "tono", "wati"];
    let users = users.map(|u| (u.to_string(), PASSWORD.to_string()));
    let mut spec = Site::spec(&smtp, routes, users.to_vec());
    spec.extra.push_str(ROLES);
    // Locks last long enough for the helpdesk to see them.
    spec.extra = spec
        .extra
        .replace("[login]\n", "[login]\nbackoff_base_secs = 300\n");
    let site = Site::around(Gerbang::start(spec).await, smtp);
    let roles = [
        ("dewi", "helpdesk-oss"),
        ("rudi", "admin-3273"),
        ("sari", "admin-oss"),
    ];
    for (user, group) in roles {
        let (ok, _, err) = site.gw.admin(&["groups", "grant", user, group], "");
        assert!(ok, "{err}");
    }
    site
}

/// A browser logged in as `user` by password.
async fn logged_in(site: &Site, user: &str) -> reqwest::Client {
    let browser = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    let answer = browser::submit_login(&browser, &site.issuer, user, PASSWORD, None).await;
    assert_eq!(location(&answer).as_deref(), Some("/"), "{user} logged in");
    browser
}

/// A browser logged in as `user` with two factors (an authenticator app set up from Beranda).
async fn operator(site: &Site, user: &str) -> reqwest::Client {
    let browser = logged_in(site, user).await;
    set_up_from_beranda(&browser, &site.issuer).await;
    browser
}

async fn get(site: &Site, browser: &reqwest::Client, path: &str) -> (u16, String) {
    let answer = browser
        .get(format!("{}{path}", site.issuer))
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// The console's CSRF token for this browser's session (its pages carry it, and set its
/// cookie).
async fn csrf(site: &Site, browser: &reqwest::Client) -> String {
    let (_, page) = get(site, browser, "/admin").await;
    hidden_field(&page, "csrf").expect("the console's token")
}

async fn search(site: &Site, browser: &reqwest::Client, typed: &str) -> (u16, String) {
    let token = csrf(site, browser).await;
    let answer = browser
        .post(format!("{}/admin/search", site.issuer))
        .header("origin", &site.issuer)
        .form(&[("q", typed), ("csrf", &token)])
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

/// The address of budi's page in the console, found by a search.
async fn budis_account(site: &Site, browser: &reqwest::Client) -> String {
    let (_, results) = search(site, browser, "budi").await;
    first_account(&results)
}

/// The first account link of a results page.
fn first_account(page: &str) -> String {
    let start = page.find("href=\"/admin/users/").expect("a result") + 6;
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].replace("&amp;", "&")
}

#[tokio::test]
async fn the_helpdesk_finds_an_account_by_nik_with_two_factors() {
    let site = start().await;
    // Budi holds no role: the console is closed to him, and Beranda does not link to it.
    let budi = logged_in(&site, "budi").await;
    let (status, page) = get(&site, &budi, "/admin").await;
    assert_eq!(status, 403);
    assert!(page.contains("tidak memiliki peran"), "{page}");
    assert!(!get(&site, &budi, "/").await.1.contains("href=\"/admin\""));

    // Dewi (helpdesk) without a second factor is told to set one up first.
    let dewi = logged_in(&site, "dewi").await;
    // (Another of her browsers, logged in by password before she had a second factor.)
    let other = logged_in(&site, "dewi").await;
    assert!(get(&site, &dewi, "/").await.1.contains("href=\"/admin\""));
    let (status, page) = get(&site, &dewi, "/admin").await;
    assert_eq!(status, 403);
    assert!(page.contains("memerlukan verifikasi dua langkah"), "{page}");
    let secret = set_up_from_beranda(&dewi, &site.issuer).await;
    let (status, page) = get(&site, &dewi, "/admin").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Layanan bantuan"), "{page}");

    // The search is a POST; by user name first, then by the NIK the helpdesk sees in full.
    let (status, results) = search(&site, &dewi, "budi").await;
    assert_eq!(status, 200);
    let account = first_account(&results);
    let (_, page) = get(&site, &dewi, &account).await;
    let nik = page
        .split("translate=\"no\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the document")
        .to_string();
    assert_eq!(nik.len(), 16, "unmasked for the helpdesk: {nik}");
    assert!(
        page.contains("budi@example.test") && page.contains("Aktif"),
        "{page}"
    );
    assert!(
        page.contains("login.success"),
        "budi's login, audited: {page}"
    );
    let (_, results) = search(&site, &dewi, &nik).await;
    assert_eq!(first_account(&results), account);
    assert!(results.contains("Ditemukan: 1"), "{results}");
    let listed = results.split("class=\"accounts\"").nth(1).unwrap();
    assert!(!listed.contains(&nik), "results stay masked: {listed}");
    // Her view of the number is on the account's record, with who looked.
    let (_, page) = get(&site, &dewi, &account).await;
    assert!(page.contains("console.document_viewed"), "{page}");
    assert!(page.contains("by dewi (console)"), "{page}");
    assert!(!results.contains("dewi@example.test"), "{results}");
    // Sixteen digits that are no NIK get registration's words, on the console and on the
    // command line, with what was typed kept.
    let bad_nik = "3171019999999999";
    let (status, page) = search(&site, &dewi, bad_nik).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"q-error\""), "{page}");
    assert!(page.contains(&format!("value=\"{bad_nik}\"")), "{page}");
    let said = page.split("id=\"q-error\">").nth(1).unwrap();
    let said = said.split('<').next().unwrap();
    assert!(said.contains("NIK"), "{said}");
    let (ok, _, err) = site.gw.admin(&["users", "search", bad_nik], "");
    assert!(!ok);
    assert!(err.contains("--nik: "), "{err}");
    // A post from another site is refused.
    let forged = dewi
        .post(format!("{}/admin/search", site.issuer))
        .header("origin", "https://evil.test")
        .form(&[("q", "budi")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    // So is one from the right origin without the console's token, and one with the token but
    // without its cookie (another browser, or a post that another site started).
    let without_token = dewi
        .post(format!("{}/admin/search", site.issuer))
        .header("origin", &site.issuer)
        .form(&[("q", "budi")])
        .send()
        .await
        .unwrap();
    assert_eq!(without_token.status(), 403);
    let page = without_token.text().await.unwrap();
    assert!(page.contains("Formulir ini tidak berlaku lagi"), "{page}");
    let token = csrf(&site, &dewi).await;
    let cookieless = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    let without_cookie = cookieless
        .post(format!("{}/admin/search", site.issuer))
        .header("origin", &site.issuer)
        .form(&[("q", "budi"), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_ne!(
        without_cookie.status(),
        200,
        "no session, no console cookie"
    );

    // Her other browser's session proved only the password: the console asks for the second
    // factor (not the password), then opens.
    let (_, page) = get(&site, &other, "/admin").await;
    assert!(page.contains("action=\"/login/second-factor\""), "{page}");
    let ticket = hidden_field(&page, "ticket").unwrap();
    let answer = other
        .post(format!("{}/login/second-factor", site.issuer))
        .form(&[("ticket", ticket.as_str()), ("code", &code_now(&secret))])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&answer).as_deref(), Some("/admin"));
}

#[tokio::test]
async fn a_group_manager_finds_people_but_sees_documents_masked() {
    let site = start().await;
    let rudi = operator(&site, "rudi").await;
    let (status, page) = get(&site, &rudi, "/admin").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Pengelola grup") && page.contains("pejabat-3273"),
        "{page}"
    );
    let (_, results) = search(&site, &rudi, "budi").await;
    assert!(results.contains("********"), "masked: {results}");
    let (_, page) = get(&site, &rudi, &first_account(&results)).await;
    assert!(page.contains("********"), "masked: {page}");
}

/// POSTs `fields` to an account's `action` (grant, revoke) from the console.
async fn act(
    site: &Site,
    browser: &reqwest::Client,
    account: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let token = csrf(site, browser).await;
    let mut fields = fields.to_vec();
    fields.push(("csrf", &token));
    let answer = browser
        .post(format!(
            "{}{}/{action}",
            site.issuer,
            account.split('?').next().unwrap()
        ))
        .header("origin", &site.issuer)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    match location(&answer) {
        Some(to) => (status, to),
        None => (status, answer.text().await.unwrap()),
    }
}

/// OSS's "hak akses turunan": a group's manager grants that group, with an end and a reason,
/// after a confirmation, and revokes it; never another group. The command line's grant is
/// audited as the same kind of event, naming its actor.
#[tokio::test]
async fn a_group_manager_grants_and_revokes_their_group_with_a_reason() {
    let site = start().await;
    let rudi = operator(&site, "rudi").await;
    let account = budis_account(&site, &rudi).await;
    let (_, page) = get(&site, &rudi, &account).await;
    assert!(page.contains("<option value=\"pejabat-3273\">"), "{page}");
    assert!(!page.contains("<option value=\"admin-3273\">"), "{page}");

    let group = ("group", "pejabat-3273");
    // A manager must give an end.
    let (_, page) = act(&site, &rudi, &account, "grant", &[group, ("until", "")]).await;
    assert!(page.contains("wajib memberi tanggal berakhir"), "{page}");
    // The confirmation asks for the reason, and insists on it.
    let until = ("until", "2099-12-31");
    let (_, page) = act(&site, &rudi, &account, "grant", &[group, until]).await;
    assert!(
        page.contains("Konfirmasi tindakan") && page.contains("id=\"reason\""),
        "{page}"
    );
    let yes = ("confirm", "yes");
    let (_, page) = act(&site, &rudi, &account, "grant", &[group, until, yes]).await;
    assert!(page.contains("Tulis alasannya"), "{page}");
    let reason = ("reason", "Surat tugas 12/2026");
    let (status, to) = act(
        &site,
        &rudi,
        &account,
        "grant",
        &[group, until, yes, reason],
    )
    .await;
    assert_eq!(status, 302, "{to}");
    let (_, page) = get(&site, &rudi, &to).await;
    assert!(page.contains("Selesai"), "{page}");
    assert!(
        page.contains("Berlaku sampai <time class=\"nowrap\">01-01-2100"),
        "{page}"
    );
    assert!(
        page.contains("by rudi (console): Surat tugas 12/2026"),
        "{page}"
    );
    // Another group is not his to grant.
    let other = [("group", "admin-3273"), until, yes, reason];
    assert_eq!(act(&site, &rudi, &account, "grant", &other).await.0, 403);

    // Revoked, with a reason too.
    let why = ("reason", "Mutasi");
    let (status, _) = act(&site, &rudi, &account, "revoke", &[group, yes, why]).await;
    assert_eq!(status, 302);
    let (_, page) = get(&site, &rudi, &account).await;
    assert!(page.contains("group.revoked"), "{page}");
    assert!(page.contains("by rudi (console): Mutasi"), "{page}");

    // The command line's grant is the same event, naming its own actor.
    let cli = [
        "groups",
        "grant",
        "budi",
        "pejabat-3273",
        "--until",
        "2099-12-31",
        "--reason",
        "Tiket 7",
    ];
    let (ok, _, err) = site.gw.admin(&cli, "");
    assert!(ok, "{err}");
    let (_, page) = get(&site, &rudi, &account).await;
    assert!(
        page.contains(
            "until <span class=\"nowrap\">2099-12-31T17:00:00Z,</span> by an administrator (command line): Tiket 7"
        ),
        "{page}"
    );
}

/// A console grant reaches the proxy's decision within a second, and so does its revocation:
/// the official opens the group's route, then no longer.
#[tokio::test]
async fn a_console_grant_opens_the_groups_route_within_a_second() {
    let app = gerbang_tests::App::start("dinas").await;
    let route = group_route(&app, "pejabat-3273");
    let site = start_with(format!("{APP_ROUTE}\n{route}")).await;
    let budi = AtGroupRoute::log_in(&site, "budi", PASSWORD).await;
    assert_eq!(budi.status().await, 403);

    let rudi = operator(&site, "rudi").await;
    let account = budis_account(&site, &rudi).await;
    let grant = [
        ("group", "pejabat-3273"),
        ("until", "2099-12-31"),
        ("confirm", "yes"),
        ("reason", "Surat tugas"),
    ];
    let granted = std::time::Instant::now();
    assert_eq!(act(&site, &rudi, &account, "grant", &grant).await.0, 302);
    assert_eq!(
        budi.status_a_second_after(granted).await,
        200,
        "the grant holds a second later"
    );

    let revoke = [
        ("group", "pejabat-3273"),
        ("confirm", "yes"),
        ("reason", "Mutasi"),
    ];
    let revoked = std::time::Instant::now();
    assert_eq!(act(&site, &rudi, &account, "revoke", &revoke).await.0, 302);
    assert_eq!(
        budi.status_a_second_after(revoked).await,
        403,
        "the revocation holds a second later"
    );
}

/// The helpdesk ends a person's sessions and resets their second factors from the console,
/// each after the confirmation with a reason, audited as the command line's events naming the
/// operator; a group's manager may do neither.
#[tokio::test]
async fn the_helpdesk_ends_sessions_and_resets_second_factors() {
    let site = start().await;
    // Budi on two browsers (the laptop's by password, before he set up a second factor).
    let laptop = logged_in(&site, "budi").await;
    let budi = operator(&site, "budi").await;
    let dewi = operator(&site, "dewi").await;
    let account = budis_account(&site, &dewi).await;
    let (_, page) = get(&site, &dewi, &account).await;
    assert!(page.contains("Akhiri semua sesi") && page.contains("Reset verifikasi dua langkah"));

    // One of his browsers: its session ends, the other's goes on.
    let (_, page) = get(&site, &dewi, &account).await;
    let listed = page.split("id=\"sessions\"").nth(1).unwrap();
    assert_eq!(listed.matches("name=\"session\"").count(), 2, "{listed}");
    let one = hidden_field(listed, "session").unwrap();
    let chosen = ("session", one.as_str());
    let (_, page) = act(&site, &dewi, &account, "sessions/end", &[chosen]).await;
    assert!(page.contains("id=\"reason\""), "{page}");
    let why_one = ("reason", "Laptop tertinggal di kantor");
    let yes = ("confirm", "yes");
    let answer = act(
        &site,
        &dewi,
        &account,
        "sessions/end",
        &[chosen, yes, why_one],
    )
    .await;
    assert_eq!(answer.0, 302);
    let still = [
        get(&site, &budi, "/").await.0,
        get(&site, &laptop, "/").await.0,
    ];
    assert!(still == [200, 302] || still == [302, 200], "{still:?}");
    let (_, page) = get(&site, &dewi, &account).await;
    assert!(
        page.contains("1 session (") && page.contains("Laptop tertinggal"),
        "{page}"
    );
    // Ending it again (a stale page) leads back to the account and does nothing.
    let answer = act(
        &site,
        &dewi,
        &account,
        "sessions/end",
        &[chosen, yes, why_one],
    )
    .await;
    assert!(answer.0 == 302 && !answer.1.contains("done"), "{answer:?}");

    let end = ("action", "end-sessions");
    let (_, page) = act(&site, &dewi, &account, "act", &[end]).await;
    assert!(
        page.contains("Konfirmasi tindakan") && page.contains("id=\"reason\""),
        "{page}"
    );
    let why = ("reason", "Ponsel dicuri, tiket 9");
    assert_eq!(
        act(&site, &dewi, &account, "act", &[end, yes, why]).await.0,
        302
    );
    for browser in [&budi, &laptop] {
        let (status, _) = get(&site, browser, "/").await;
        assert_eq!(status, 302, "budi's sessions are over");
    }

    let reset = ("action", "reset-second-factors");
    assert_eq!(
        act(&site, &dewi, &account, "act", &[reset, yes, why])
            .await
            .0,
        302
    );
    let (_, page) = get(&site, &dewi, &account).await;
    assert!(page.contains("second_factor.reset"), "{page}");
    assert!(
        page.contains("by dewi (console): Ponsel dicuri, tiket 9"),
        "{page}"
    );
    let factors = page.split("id=\"factors\"").nth(1).unwrap();
    assert!(
        factors.starts_with(">Verifikasi dua langkah</h2><p>Tidak ada"),
        "{factors}"
    );

    // A manager has neither action, and posting one anyway is refused.
    let rudi = operator(&site, "rudi").await;
    let (_, page) = get(&site, &rudi, &account).await;
    assert!(!page.contains("Akhiri semua sesi"), "{page}");
    assert_eq!(
        act(&site, &rudi, &account, "act", &[end, yes, why]).await.0,
        403
    );
}

/// The text of budi's mail that contains `needle`, once he has `count` mails.
async fn mail_with(site: &Site, count: usize, needle: &str) -> String {
    let mails = site
        .smtp
        .wait_for("budi@example.test", count, gerbang_tests::site::MAIL_WAIT)
        .await;
    let found = mails.into_iter().find(|m| m.text.contains(needle));
    found
        .map(|m| m.text)
        .unwrap_or_else(|| panic!("no mail with {needle}"))
}

/// Someone locked out by wrong passwords calls the helpdesk: the operator sees the lock and
/// until when, lifts it, and mails a reset link; the person resets and logs in. Disabling asks
/// the operator's password again and mails the person; the helpdesk may neither delete nor
/// enable, an administrator may. Each is audited with the operator and the reason, and the
/// command line's unlock is the same event.
#[tokio::test]
async fn the_helpdesk_unlocks_sends_a_reset_link_and_disables() {
    let site = start().await;
    let locked_out = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    for _ in 0..6 {
        browser::submit_login(&locked_out, &site.issuer, "budi", "salah sekali", None).await;
    }
    let answer = browser::submit_login(&locked_out, &site.issuer, "budi", PASSWORD, None).await;
    assert_eq!(location(&answer), None, "locked: the right password waits");

    let dewi = operator(&site, "dewi").await;
    let account = budis_account(&site, &dewi).await;
    let (_, page) = get(&site, &dewi, &account).await;
    assert!(page.contains("Terkunci sampai <time"), "{page}");
    assert!(page.contains("perangkat baru dari"), "{page}");
    assert!(
        !page.contains("Kirim ulang tautan aktivasi"),
        "budi is active: {page}"
    );
    assert!(!page.contains("Hapus akun"), "not the helpdesk's: {page}");

    let unlock = ("action", "unlock");
    let (yes, why) = (("confirm", "yes"), ("reason", "Telepon, tiket 31"));
    assert_eq!(
        act(&site, &dewi, &account, "act", &[unlock, yes, why])
            .await
            .0,
        302
    );
    let (_, page) = get(&site, &dewi, &account).await;
    assert!(page.contains("Tidak terkunci"), "{page}");
    // Unlocking again (a second operator on a stale page) leads back to the account's page,
    // doing nothing.
    let (status, to) = act(&site, &dewi, &account, "act", &[unlock, yes, why]).await;
    assert_eq!(status, 302);
    assert!(
        to.starts_with(account.split('?').next().unwrap()) && !to.contains("done"),
        "{to}"
    );
    let (_, page) = get(&site, &dewi, &account).await;
    assert_eq!(page.matches("login.unlocked").count(), 1, "{page}");
    assert!(page.contains("login.unlocked"), "{page}");
    assert!(
        page.contains("by dewi (console): Telepon, tiket 31"),
        "{page}"
    );

    // He has forgotten the password after all: a reset link, mailed.
    let reset = ("action", "send-reset-link");
    assert_eq!(
        act(&site, &dewi, &account, "act", &[reset, yes, why])
            .await
            .0,
        302
    );
    // (The first mail is the unlock link the locked login offered.)
    let mail = mail_with(&site, 2, "/password/reset?token=").await;
    let link = gerbang_tests::smtp::link(&mail, "/password/reset?token=").unwrap();
    site.reset_password(&link, "bintang laut merah").await;
    let answer = browser::submit_login(
        &locked_out,
        &site.issuer,
        "budi",
        "bintang laut merah",
        None,
    )
    .await;
    assert_eq!(
        location(&answer).as_deref(),
        Some("/"),
        "in with the new password"
    );

    // Disabling asks for the operator's own password again, and keeps the reason typed.
    let disable = ("action", "disable");
    let (_, page) = act(&site, &dewi, &account, "act", &[disable, yes, why]).await;
    assert!(page.contains("id=\"current\""), "{page}");
    let wrong = ("current", "bukan ini");
    let (_, page) = act(&site, &dewi, &account, "act", &[disable, yes, why, wrong]).await;
    assert!(page.contains("Password saat ini salah"), "{page}");
    assert!(page.contains("value=\"Telepon, tiket 31\""), "{page}");
    let right = ("current", PASSWORD);
    assert_eq!(
        act(&site, &dewi, &account, "act", &[disable, yes, why, right])
            .await
            .0,
        302
    );
    let mail = mail_with(&site, 3, "telah dinonaktifkan oleh petugas").await;
    assert!(
        mail.contains("Anda telah dikeluarkan dari semua perangkat"),
        "{mail}"
    );
    let answer = browser::submit_login(
        &site.gw.client(&[Gerbang::PROVIDER_HOST]),
        &site.issuer,
        "budi",
        "bintang laut merah",
        None,
    )
    .await;
    assert_eq!(location(&answer), None, "disabled");
    let (status, _) = get(&site, &locked_out, "/").await;
    assert_eq!(status, 302, "his session ended");

    // Enabling and deleting are not the helpdesk's.
    for action in ["enable", "delete"] {
        let fields = [("action", action), yes, why, right];
        assert_eq!(
            act(&site, &dewi, &account, "act", &fields).await.0,
            403,
            "{action}"
        );
    }
    // An administrator enables him again, and may delete (after the warning and the password).
    let sari = operator(&site, "sari").await;
    let enable = [("action", "enable"), yes, ("reason", "Klarifikasi selesai")];
    assert_eq!(act(&site, &sari, &account, "act", &enable).await.0, 302);
    let (_, page) = get(&site, &sari, &account).await;
    assert!(
        page.contains("Hapus akun") && page.contains("account.enabled"),
        "{page}"
    );
    let (_, page) = act(&site, &sari, &account, "act", &[("action", "delete")]).await;
    assert!(
        page.contains("tidak dapat dikembalikan") && page.contains("id=\"current\""),
        "{page}"
    );
    let delete = [
        ("action", "delete"),
        yes,
        ("reason", "Permintaan pemilik"),
        right,
    ];
    let (status, to) = act(&site, &sari, &account, "act", &delete).await;
    assert_eq!((status, to.split('?').next()), (302, Some("/admin")));
    let (_, page) = get(&site, &sari, &to).await;
    assert!(page.contains("Akun sudah dihapus"), "{page}");
    assert_eq!(get(&site, &sari, &account).await.0, 404);

    // The command line's unlock is the same event, naming its actor.
    let (ok, out, err) = site
        .gw
        .admin(&["users", "unlock", "dewi", "--reason", "Tiket 40"], "");
    assert!(ok, "{err}");
    assert!(out.contains("0 login locks of dewi lifted"), "{out}");
    let (ok, out, _) = site.gw.admin(&["audit", "--limit", "3"], "");
    assert!(ok && out.contains("login.unlocked"), "{out}");
    assert!(
        out.contains("by an administrator (command line): Tiket 40"),
        "{out}"
    );
}

/// Budi's NIK: the harness gives its n-th user `317101410100{n+1:04}`, and he is the first.
const BUDI_NIK: &str = "3171014101000001";

/// In Chromium, as people do it: an operator logs in, sets up an authenticator app from
/// Beranda, and opens the console.
async fn operator_in_chromium(site: &Site, user: &str) -> Chrome {
    let chrome = Chrome::start(1280, 900, "id-ID").await;
    chrome.goto(&format!("{}/login", site.issuer)).await;
    chrome.log_in(user, PASSWORD).await;
    chrome.wait_for("Beranda").await;
    chrome
        .goto(&format!("{}/account/second-factor", site.issuer))
        .await;
    let page = chrome.wait_for("class=\"key\"").await;
    let secret = shown_secret(&page);
    chrome.type_into("code", &code_now(&secret)).await;
    chrome
        .click("form[action='/account/second-factor'] button[type=submit]")
        .await;
    chrome.wait_for("kode pemulihan").await;
    chrome.goto(&format!("{}/admin", site.issuer)).await;
    chrome.wait_for("Cari akun").await;
    chrome
}

/// In the console: finds the account with `nik` and opens it.
async fn open_by_nik(chrome: &Chrome, nik: &str, username: &str) {
    chrome.type_into("q", nik).await;
    chrome.click("form[role=search] button").await;
    chrome.wait_for("Hasil pencarian").await;
    chrome.click_link(username).await;
    chrome.wait_for("Kejadian terakhir").await;
}

/// Clicks the account page's button for `action`, gives `reason` and confirms.
async fn confirm_action(chrome: &Chrome, action: &str, reason: &str) {
    chrome
        .click(&format!("form:has(input[value='{action}']) button"))
        .await;
    chrome.wait_for("Konfirmasi tindakan").await;
    chrome.type_into("reason", reason).await;
    chrome.click("form[method=post] button[type=submit]").await;
    chrome.wait_for("Selesai: tercatat di log audit").await;
}

/// Issue 20's scenario end to end in Chromium: a person locked out by wrong passwords calls
/// the helpdesk; the operator (two factors) finds the account by NIK, sees that it is locked
/// and until when, unlocks it and sends a reset link; the person resets and logs in. Then a
/// group manager grants their group to the person, found by NIK, with an end date: the route
/// that requires the group opens within a second, and closes after the revocation.
#[tokio::test]
async fn helpdesk_and_group_manager_in_chromium() {
    let app = gerbang_tests::App::start("Perizinan Dinas").await;
    let route = group_route(&app, "pejabat-3273");
    let site = start_with(format!("{APP_ROUTE}\n{route}")).await;
    let person = Chrome::start(390, 844, "id-ID").await;
    for _ in 0..6 {
        // A fresh page each time, so the wait below sees this answer, not the last one.
        person.goto(&format!("{}/login", site.issuer)).await;
        person.log_in("budi", "salah sekali").await;
        person
            .wait_for_any(&["Username atau password salah", "Terlalu banyak percobaan"])
            .await;
    }
    person.log_in("budi", PASSWORD).await;
    person
        .wait_for("Terlalu banyak percobaan masuk yang gagal")
        .await;

    let desk = operator_in_chromium(&site, "dewi").await;
    open_by_nik(&desk, BUDI_NIK, "budi").await;
    let page = desk.wait_for("Terkunci sampai").await;
    assert!(page.contains(BUDI_NIK), "the helpdesk sees the NIK in full");
    confirm_action(&desk, "unlock", "Telepon ke layanan bantuan, tiket 31").await;
    desk.wait_for("Tidak terkunci").await;
    confirm_action(&desk, "send-reset-link", "Lupa password, tiket 31").await;
    let page = desk.source().await;
    assert!(
        page.contains("login.unlocked") && page.contains("password.reset_requested"),
        "{page}"
    );
    assert!(
        page.contains("by dewi (console): Telepon ke layanan bantuan, tiket 31"),
        "{page}"
    );

    let mail = mail_with(&site, 2, "/password/reset?token=").await;
    person
        .goto(&gerbang_tests::smtp::link(&mail, "/password/reset?token=").unwrap())
        .await;
    person.wait_for("Buat password baru").await;
    person.type_into("password", "gunung biru di timur").await;
    person.type_into("confirm", "gunung biru di timur").await;
    person.click("button[type=submit]:not([name])").await;
    person.wait_for("Password Anda sudah diganti").await;
    person.goto(&format!("{}/login", site.issuer)).await;
    person.log_in("budi", "gunung biru di timur").await;
    person.wait_for("Beranda").await;
    desk.quit().await;

    // The route needs the group: refused before the grant.
    let dinas = site.gw.url("dinas.test", "/");
    person.goto(&dinas).await;
    person.wait_for("Akses ditolak").await;

    let manager = operator_in_chromium(&site, "rudi").await;
    open_by_nik(&manager, BUDI_NIK, "budi").await;
    assert!(
        !manager.source().await.contains(BUDI_NIK),
        "masked for a manager"
    );
    manager.select("group", "pejabat-3273").await;
    manager
        .run("document.getElementById('until').value = '2099-12-31'")
        .await;
    manager
        .click("form[action$='/grant'] button[type=submit]")
        .await;
    let page = manager.wait_for("Konfirmasi tindakan").await;
    let end = "Berlaku sampai <span class=\"nowrap\">01-01-2100</span> 00:00 WIB";
    assert!(page.contains(end), "the end, before confirming: {page}");
    manager.type_into("reason", "Surat tugas 12/2026").await;
    manager.click("form[method=post] button[type=submit]").await;
    manager.wait_for("Selesai: tercatat di log audit").await;
    let granted = std::time::Instant::now();
    tokio::time::sleep_until((granted + std::time::Duration::from_secs(1)).into()).await;
    person.goto(&dinas).await;
    person.wait_for("<h1>Perizinan Dinas</h1>").await;

    manager
        .click("form[action$='/revoke'] button[type=submit]")
        .await;
    manager.wait_for("Konfirmasi tindakan").await;
    manager.type_into("reason", "Mutasi").await;
    manager.click("form[method=post] button[type=submit]").await;
    manager.wait_for("Selesai: tercatat di log audit").await;
    let revoked = std::time::Instant::now();
    tokio::time::sleep_until((revoked + std::time::Duration::from_secs(1)).into()).await;
    person.goto(&dinas).await;
    person.wait_for("Akses ditolak").await;
    manager.quit().await;
    person.quit().await;
}

/// Posts the audit log's form with `fields`: the status, the content type and the body.
async fn audit_log(
    site: &Site,
    browser: &reqwest::Client,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let token = csrf(site, browser).await;
    let mut fields = fields.to_vec();
    fields.push(("csrf", &token));
    let answer = browser
        .post(format!("{}/admin/audit", site.issuer))
        .header("origin", &site.issuer)
        .form(&fields)
        .send()
        .await
        .unwrap();
    let status = answer.status().as_u16();
    let kind = answer
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, kind, answer.text().await.unwrap())
}

/// The audit log: filtered by account (found by NIK), kind, operator and days, and exported as
/// CSV and JSON lines, each export audited; a wrong filter is said beside its field, keeping
/// what was typed; a group's manager has no audit log.
#[tokio::test]
async fn the_audit_log_filters_and_exports() {
    let site = start().await;
    let dewi = operator(&site, "dewi").await;
    let account = budis_account(&site, &dewi).await;
    let end = [
        ("action", "end-sessions"),
        ("confirm", "yes"),
        ("reason", "Tiket 31"),
    ];
    assert_eq!(act(&site, &dewi, &account, "act", &end).await.0, 302);
    let cli = [
        "groups",
        "grant",
        "budi",
        "pejabat-3273",
        "--reason",
        "Tiket 7",
    ];
    let (ok, _, err) = site.gw.admin(&cli, "");
    assert!(ok, "{err}");

    let (status, page) = get(&site, &dewi, "/admin/audit").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("sessions.ended") && page.contains("group.granted"),
        "{page}"
    );
    assert!(
        page.contains(">budi</a>"),
        "events link to their account: {page}"
    );

    let (_, _, page) = audit_log(&site, &dewi, &[("account", BUDI_NIK), ("actor", "dewi")]).await;
    let listed = page.split("id=\"events\"").nth(1).unwrap();
    assert!(listed.contains("sessions.ended"), "{listed}");
    assert!(!listed.contains("group.granted"), "{listed}");
    assert!(!listed.contains("login.success"), "{listed}");
    let (_, _, page) = audit_log(&site, &dewi, &[("actor", "command-line")]).await;
    let listed = page.split("id=\"events\"").nth(1).unwrap();
    assert!(
        listed.contains("group.granted") && !listed.contains("sessions.ended"),
        "{listed}"
    );
    let (_, _, page) = audit_log(&site, &dewi, &[("from", "2099-01-01")]).await;
    assert!(page.contains("Tidak ada kejadian yang cocok"), "{page}");

    let csv_fields = [("kind", "sessions.ended"), ("format", "csv")];
    let (status, kind, csv) = audit_log(&site, &dewi, &csv_fields).await;
    assert_eq!((status, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "time,kind,user_id,client_id,address,actor,detail");
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(
        lines[1].contains(",sessions.ended,") && lines[1].contains(",dewi,"),
        "{csv}"
    );
    assert!(lines[1].ends_with("by dewi (console): Tiket 31\""), "{csv}");
    let json_fields = [("account", "budi"), ("format", "jsonl")];
    let (_, kind, jsonl) = audit_log(&site, &dewi, &json_fields).await;
    assert!(kind.starts_with("application/x-ndjson"), "{kind}");
    let events: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(events
        .iter()
        .any(|e| e["kind"] == "group.granted" && e["actor"] == "command-line"));
    assert!(
        events.iter().all(|e| e["user_id"] == events[0]["user_id"]),
        "{jsonl}"
    );
    // Both exports are on the record.
    let exported = [("kind", "console.audit_exported")];
    let (_, _, page) = audit_log(&site, &dewi, &exported).await;
    assert!(page.contains("events as csv, by dewi (console)"), "{page}");
    assert!(
        page.contains("events as jsonl, by dewi (console)"),
        "{page}"
    );

    // Wrong filters are said where they are, and what was typed stays.
    let (_, _, page) = audit_log(&site, &dewi, &[("from", "31/12/2026"), ("actor", "dewi")]).await;
    assert!(
        page.contains("id=\"from-error\"") && page.contains("Tulis tanggal seperti"),
        "{page}"
    );
    assert!(
        page.contains("value=\"31/12/2026\"") && page.contains("value=\"dewi\""),
        "{page}"
    );
    let (_, _, page) = audit_log(&site, &dewi, &[("account", "tidak-ada")]).await;
    assert!(page.contains("id=\"account-error\""), "{page}");

    let rudi = operator(&site, "rudi").await;
    assert_eq!(get(&site, &rudi, "/admin/audit").await.0, 403);
    assert!(!get(&site, &rudi, "/admin").await.1.contains("/admin/audit"));
}

/// Polls the configuration page until it shows `text` (a reload is noticed within seconds).
async fn configuration_showing(site: &Site, browser: &reqwest::Client, text: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, page) = get(site, browser, "/admin/configuration").await;
        assert_eq!(status, 200, "{page}");
        if page.contains(text) {
            return page;
        }
        assert!(std::time::Instant::now() < deadline, "never {text}: {page}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// An administrator reads what runs: routes with their upstreams' health, clients, signing keys,
/// and the last reload (refused, with why; then applied). The helpdesk may not.
#[tokio::test]
async fn an_administrator_reads_the_configuration_and_the_last_reload() {
    let site = start().await;
    let sari = operator(&site, "sari").await;
    assert!(get(&site, &sari, "/admin")
        .await
        .1
        .contains("/admin/configuration"));
    let page = configuration_showing(&site, &sari, "Belum ada sejak server dimulai").await;
    assert!(
        page.contains("perizinan.test") && page.contains("upstream sehat"),
        "{page}"
    );
    assert!(
        page.contains("Kunci penandatanganan") && page.contains("aktif sejak"),
        "{page}"
    );
    let (ok, keys, _) = site.gw.admin(&["keys", "list"], "");
    let kid = keys
        .lines()
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap();
    assert!(ok && page.contains(kid), "{keys}\n{page}");

    let path = site.gw.config_path();
    let good = std::fs::read_to_string(&path).unwrap();
    let broken =
        format!("{good}\n[[route]]\nname = \"rusak\"\nhost = \"rusak.test\"\nupstreams = []\n");
    std::fs::write(&path, broken).unwrap();
    site.gw.signal("HUP");
    let page = configuration_showing(&site, &sari, "Ditolak").await;
    assert!(
        page.contains("gerbang.toml:") && page.contains("route"),
        "why, where: {page}"
    );
    std::fs::write(&path, good).unwrap();
    site.gw.signal("HUP");
    configuration_showing(&site, &sari, "Diterapkan").await;

    // Rotating the signing key asks for a reason and the password again; the new key is in
    // the JWKS at once, and the rotation in the audit log with the reason.
    let jwks_keys = || async {
        let jwks: serde_json::Value = site.get("/jwks").await.json().await.unwrap();
        jwks["keys"].as_array().unwrap().len()
    };
    let before = jwks_keys().await;
    let rotate = |fields: &'static [(&'static str, &'static str)]| {
        let sari = sari.clone();
        let site = &site;
        async move {
            let token = csrf(site, &sari).await;
            let mut fields = fields.to_vec();
            fields.push(("csrf", &token));
            let answer = sari
                .post(format!("{}/admin/keys/rotate", site.issuer))
                .header("origin", &site.issuer)
                .form(&fields)
                .send()
                .await
                .unwrap();
            match location(&answer) {
                Some(to) => to,
                None => answer.text().await.unwrap(),
            }
        }
    };
    let page = rotate(&[("alg", "ES256")]).await;
    assert!(
        page.contains("id=\"current\"") && page.contains("ES256"),
        "{page}"
    );
    let wrong = rotate(&[
        ("alg", "ES256"),
        ("confirm", "yes"),
        ("reason", "Rotasi tahunan"),
        ("current", "salah"),
    ])
    .await;
    assert!(wrong.contains("id=\"current-error\""), "{wrong}");
    let to = rotate(&[
        ("alg", "ES256"),
        ("confirm", "yes"),
        ("reason", "Rotasi tahunan"),
        ("current", PASSWORD),
    ])
    .await;
    assert!(to.starts_with("/admin/configuration?rotated=1"), "{to}");
    assert_eq!(jwks_keys().await, before + 1, "published at once");
    let (_, page) = get(&site, &sari, &to).await;
    assert!(
        page.contains("Kunci baru ditambahkan") && page.contains("</code> · ES256 · aktif sejak"),
        "{page}"
    );
    let (ok, out, _) = site.gw.admin(&["audit", "--limit", "5"], "");
    assert!(ok && out.contains("key.rotated"), "{out}");
    assert!(out.contains("by sari (console): Rotasi tahunan"), "{out}");

    let dewi = operator(&site, "dewi").await;
    assert_eq!(get(&site, &dewi, "/admin/configuration").await.0, 403);
    let token = csrf(&site, &dewi).await;
    let refused = dewi
        .post(format!("{}/admin/keys/rotate", site.issuer))
        .header("origin", &site.issuer)
        .form(&[("alg", "RS256"), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403, "not the helpdesk's");
    assert!(!get(&site, &dewi, "/admin")
        .await
        .1
        .contains("/admin/configuration"));
}

/// The newest `kind` event about the account `user_id`, from the console's JSON-lines export.
async fn newest_event(site: &Site, admin: &reqwest::Client, kind: &str, user_id: &str) -> Value {
    let filter = [("kind", kind), ("format", "jsonl")];
    let (status, _, lines) = audit_log(site, admin, &filter).await;
    assert_eq!(status, 200, "{lines}");
    lines
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|event| event["user_id"] == user_id)
        .unwrap_or_else(|| panic!("no {kind} for {user_id}: {lines}"))
}

/// Its detail with who acted left out.
fn without_actor(detail: &str) -> String {
    detail
        .replace("by an administrator (command line)", "by …")
        .replace("by sari (console)", "by …")
}

/// One code path (issue 20): each action, taken on tono from the command line and on wati from
/// the console, writes the same audit event: the same kind, and the same detail but for who
/// acted, the actor named (`command-line`, `sari`).
#[tokio::test]
async fn the_command_line_and_the_console_write_the_same_event_for_each_action() {
    let site = start().await;
    let sari = operator(&site, "sari").await;
    let mut ids = Vec::new();
    for user in ["tono", "wati"] {
        // An authenticator app (for the reset), then a lock from wrong passwords.
        operator(&site, user).await;
        let stranger = site.gw.client(&[Gerbang::PROVIDER_HOST]);
        for _ in 0..6 {
            browser::submit_login(&stranger, &site.issuer, user, "salah sekali", None).await;
        }
        let (_, results) = search(&site, &sari, user).await;
        ids.push(first_account(&results));
    }
    let wati = ids[1].clone();
    let id_of = |account: &str| {
        account
            .trim_start_matches("/admin/users/")
            .split('?')
            .next()
            .unwrap()
            .to_string()
    };
    let (tono_id, wati_id) = (id_of(&ids[0]), id_of(&wati));
    let until = "2099-12-31";
    // (console action or path, the command line's words, the event's kind)
    let cases: [(&str, &[&str], &str); 9] = [
        ("unlock", &["users", "unlock"], "login.unlocked"),
        (
            "send-reset-link",
            &["users", "send-reset-link"],
            "password.reset_requested",
        ),
        (
            "reset-second-factors",
            &["mfa", "reset"],
            "second_factor.reset",
        ),
        ("end-sessions", &["sessions", "revoke"], "sessions.ended"),
        ("disable", &["users", "disable"], "account.disabled"),
        ("enable", &["users", "enable"], "account.enabled"),
        ("grant", &["groups", "grant"], "group.granted"),
        ("revoke", &["groups", "revoke"], "group.revoked"),
        ("delete", &["users", "delete"], "account.deleted"),
    ];
    for (action, words, kind) in cases {
        let reason = format!("Tiket {action}");
        let mut args = words.to_vec();
        args.push("tono");
        let group = ["grant", "revoke"].contains(&action);
        if group {
            args.push("pejabat-3273");
        }
        if action == "grant" {
            args.extend(["--until", until]);
        }
        args.extend(["--reason", &reason]);
        let (ok, out, err) = site.gw.admin(&args, "");
        assert!(ok, "{args:?}: {out}{err}");

        let mut fields = vec![("confirm", "yes"), ("reason", reason.as_str())];
        let path = match group {
            true => {
                fields.extend([("group", "pejabat-3273"), ("until", until)]);
                action
            }
            false => {
                fields.extend([("action", action), ("current", PASSWORD)]);
                "act"
            }
        };
        let (status, to) = act(&site, &sari, &wati, path, &fields).await;
        assert_eq!(status, 302, "{action}: {to}");

        let by_command = newest_event(&site, &sari, kind, &tono_id).await;
        let by_console = newest_event(&site, &sari, kind, &wati_id).await;
        assert_eq!(by_command["actor"], "command-line", "{by_command}");
        assert_eq!(by_console["actor"], "sari", "{by_console}");
        let detail = |e: &Value| without_actor(e["detail"].as_str().unwrap());
        assert_eq!(detail(&by_command), detail(&by_console), "{action}");
        assert!(
            detail(&by_console).ends_with(&format!("by …: {reason}")),
            "{by_console}"
        );
    }

    // Resending the activation, to two accounts registered through the pages and pending.
    let mut pending = Vec::new();
    for (n, email) in [(60, "baru1@example.id"), (61, "baru2@example.id")] {
        let fields = gerbang_tests::site::ktp(email, &gerbang_tests::site::nik(n));
        site.register(&gerbang_tests::site::borrowed(&fields)).await;
        let (_, results) = search(&site, &sari, email).await;
        pending.push(first_account(&results));
    }
    let reason = "Tiket resend-activation";
    let args = [
        "users",
        "resend-activation",
        "baru1@example.id",
        "--reason",
        reason,
    ];
    let (ok, out, err) = site.gw.admin(&args, "");
    assert!(ok, "{out}{err}");
    let fields = [
        ("action", "resend-activation"),
        ("confirm", "yes"),
        ("reason", reason),
    ];
    let (status, to) = act(&site, &sari, &pending[1], "act", &fields).await;
    assert_eq!(status, 302, "{to}");
    let kind = "account.activation_resent";
    let by_command = newest_event(&site, &sari, kind, &id_of(&pending[0])).await;
    let by_console = newest_event(&site, &sari, kind, &id_of(&pending[1])).await;
    let detail = |e: &Value| without_actor(e["detail"].as_str().unwrap());
    assert_eq!(detail(&by_command), detail(&by_console));
    let actors = (&by_command["actor"], &by_console["actor"]);
    assert_eq!(actors, (&json!("command-line"), &json!("sari")));
}

/// A search with more results than a page: fifty to a page in user-name order, the range said,
/// the next and previous pages one button away (posts, as the search is).
#[tokio::test]
async fn search_results_come_in_pages() {
    let site = start().await;
    for n in 0..52 {
        let email = format!("warga{n:02}@example.id");
        let fields = gerbang_tests::site::ktp(&email, &gerbang_tests::site::nik(100 + n));
        let (status, page) = site.register(&gerbang_tests::site::borrowed(&fields)).await;
        assert!(status < 400, "{page}");
    }
    let dewi = operator(&site, "dewi").await;
    let (_, first) = search(&site, &dewi, "warga").await;
    assert!(first.contains("1–50 dari 52"), "{first}");
    assert_eq!(first.matches("href=\"/admin/users/").count(), 50);
    assert!(
        first.contains("Berikutnya") && !first.contains("Sebelumnya"),
        "{first}"
    );
    let token = csrf(&site, &dewi).await;
    let answer = dewi
        .post(format!("{}/admin/search", site.issuer))
        .header("origin", &site.issuer)
        .form(&[("q", "warga"), ("page", "1"), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let second = answer.text().await.unwrap();
    assert!(second.contains("51–52 dari 52"), "{second}");
    // Together the pages hold every account once.
    let emails = |page: &str| -> Vec<String> {
        let after = page.split("warga").skip(1);
        let numbered =
            after.filter(|rest| rest.get(2..).is_some_and(|r| r.starts_with("@example.id")));
        numbered.map(|rest| rest[..2].to_string()).collect()
    };
    let mut all = emails(&first);
    all.extend(emails(&second));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 52, "{all:?}");
    assert!(
        second.contains("Sebelumnya") && !second.contains("Berikutnya"),
        "{second}"
    );

    // In Chromium: the next page is a button away; the page passes axe-core.
    let chrome = operator_in_chromium(&site, "sari").await;
    chrome.type_into("q", "warga").await;
    chrome.click("form[role=search] button[type=submit]").await;
    chrome.wait_for("1–50 dari 52").await;
    chrome.click("nav.pager button").await;
    chrome.wait_for("51–52 dari 52").await;
    let dir = gerbang_tests::chrome::screenshot_dir().join("console");
    chrome.screenshot(&dir, "search-second-page").await;
    let violations = chrome.violations().await;
    assert!(violations.is_empty(), "{violations:#?}");
    chrome.quit().await;
}

/// Each operator has their own limit on searches a minute (here 12), beside the address limit:
/// over it, a "too many" page; another operator searches on.
#[tokio::test]
async fn an_operator_searching_too_fast_is_held_back_alone() {
    let site = start().await;
    let dewi = operator(&site, "dewi").await;
    for n in 0..12 {
        let (status, page) = search(&site, &dewi, "budi").await;
        assert_eq!(status, 200, "search {n}: {page}");
    }
    let (status, page) = search(&site, &dewi, "budi").await;
    assert_eq!(status, 429, "{page}");
    let sari = operator(&site, "sari").await;
    assert_eq!(search(&site, &sari, "budi").await.0, 200);
}
