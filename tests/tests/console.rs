//! The administration console on the real binary (issue 20, first slice): who may enter (a
//! role from `[admin]` or a group's managers, and two factors, the second step asked where the
//! session has only a password), the search (a POST: the NIK never in an address) and an
//! account's page, its document unmasked only for roles that need it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::authenticator::{code_now, set_up_from_beranda};
use gerbang_tests::browser::{self, hidden_field, location};
use gerbang_tests::site::{Site, APP_ROUTE};
use gerbang_tests::Gerbang;

const PASSWORD: &str = "kuda laut biru";

const ROLES: &str = "\n[[group]]\nname = \"helpdesk-oss\"\n\n[[group]]\nname = \"pejabat-3273\"\nmanagers = [\"admin-3273\"]\n\n[[group]]\nname = \"admin-3273\"\n\n[admin]\nhelpdesk = [\"helpdesk-oss\"]\n";

async fn start() -> Site {
    start_with(APP_ROUTE.into()).await
}

/// With these `[[route]]` tables; budi, dewi (helpdesk) and rudi (manager of `pejabat-3273`).
async fn start_with(routes: String) -> Site {
    let smtp = gerbang_tests::smtp::SmtpServer::start().await;
    let users = ["budi", "dewi", "rudi"].map(|u| (u.to_string(), PASSWORD.to_string()));
    let mut spec = Site::spec(&smtp, routes, users.to_vec());
    spec.extra.push_str(ROLES);
    let site = Site::around(Gerbang::start(spec).await, smtp);
    for (user, group) in [("dewi", "helpdesk-oss"), ("rudi", "admin-3273")] {
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

async fn get(site: &Site, browser: &reqwest::Client, path: &str) -> (u16, String) {
    let answer = browser
        .get(format!("{}{path}", site.issuer))
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

async fn search(site: &Site, browser: &reqwest::Client, typed: &str) -> (u16, String) {
    let answer = browser
        .post(format!("{}/admin/search", site.issuer))
        .header("origin", &site.issuer)
        .form(&[("q", typed)])
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
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
    let listed = results.split("class=\"accounts\"").nth(1).unwrap();
    assert!(!listed.contains(&nik), "results stay masked: {listed}");
    // Her view of the number is on the account's record, with who looked.
    let (_, page) = get(&site, &dewi, &account).await;
    assert!(page.contains("console.document_viewed"), "{page}");
    assert!(page.contains("by dewi (console)"), "{page}");
    assert!(!results.contains("dewi@example.test"), "{results}");
    // A post from another site is refused.
    let forged = dewi
        .post(format!("{}/admin/search", site.issuer))
        .header("origin", "https://evil.test")
        .form(&[("q", "budi")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

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
    let rudi = logged_in(&site, "rudi").await;
    set_up_from_beranda(&rudi, &site.issuer).await;
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
    let answer = browser
        .post(format!(
            "{}{}/{action}",
            site.issuer,
            account.split('?').next().unwrap()
        ))
        .header("origin", &site.issuer)
        .form(fields)
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
    let rudi = logged_in(&site, "rudi").await;
    set_up_from_beranda(&rudi, &site.issuer).await;
    let (_, results) = search(&site, &rudi, "budi").await;
    let account = first_account(&results);
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
        page.contains("until 4102419600, by an administrator (command line): Tiket 7"),
        "{page}"
    );
}

/// A console grant reaches the proxy's decision within a second, and so does its revocation:
/// the official opens the group's route, then no longer.
#[tokio::test]
async fn a_console_grant_opens_the_groups_route_within_a_second() {
    let app = gerbang_tests::App::start("dinas").await;
    let route = format!(
        "[[route]]\nname = \"dinas\"\nhost = \"dinas.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\n\n[[route.rule]]\neffect = \"allow\"\ngroups = [\"pejabat-3273\"]\n",
        app.addr
    );
    let site = start_with(format!("{APP_ROUTE}\n{route}")).await;
    let budi = site.gw.client(&["dinas.test", Gerbang::PROVIDER_HOST]);
    let dinas = site.gw.url("dinas.test", "/");
    let callback = browser::log_in(&budi, &dinas, &site.issuer, "budi", PASSWORD).await;
    budi.get(&callback).send().await.unwrap();
    let status = || async { browser::follow(&budi, &dinas).await.status().as_u16() };
    assert_eq!(status().await, 403);

    let rudi = logged_in(&site, "rudi").await;
    set_up_from_beranda(&rudi, &site.issuer).await;
    let (_, results) = search(&site, &rudi, "budi").await;
    let account = first_account(&results);
    let grant = [
        ("group", "pejabat-3273"),
        ("until", "2099-12-31"),
        ("confirm", "yes"),
        ("reason", "Surat tugas"),
    ];
    let granted = std::time::Instant::now();
    assert_eq!(act(&site, &rudi, &account, "grant", &grant).await.0, 302);
    tokio::time::sleep_until((granted + std::time::Duration::from_secs(1)).into()).await;
    assert_eq!(status().await, 200, "the grant holds a second later");

    let revoke = [
        ("group", "pejabat-3273"),
        ("confirm", "yes"),
        ("reason", "Mutasi"),
    ];
    let revoked = std::time::Instant::now();
    assert_eq!(act(&site, &rudi, &account, "revoke", &revoke).await.0, 302);
    tokio::time::sleep_until((revoked + std::time::Duration::from_secs(1)).into()).await;
    assert_eq!(status().await, 403, "the revocation holds a second later");
}

/// The helpdesk ends a person's sessions and resets their second factors from the console,
/// each after the confirmation with a reason, audited as the command line's events naming the
/// operator; a group's manager may do neither.
#[tokio::test]
async fn the_helpdesk_ends_sessions_and_resets_second_factors() {
    let site = start().await;
    let budi = logged_in(&site, "budi").await;
    set_up_from_beranda(&budi, &site.issuer).await;
    let dewi = logged_in(&site, "dewi").await;
    set_up_from_beranda(&dewi, &site.issuer).await;
    let (_, results) = search(&site, &dewi, "budi").await;
    let account = first_account(&results);
    let (_, page) = get(&site, &dewi, &account).await;
    assert!(page.contains("Akhiri semua sesi") && page.contains("Reset verifikasi dua langkah"));

    let end = ("action", "end-sessions");
    let (_, page) = act(&site, &dewi, &account, "act", &[end]).await;
    assert!(
        page.contains("Konfirmasi tindakan") && page.contains("id=\"reason\""),
        "{page}"
    );
    let yes = ("confirm", "yes");
    let why = ("reason", "Ponsel dicuri, tiket 9");
    assert_eq!(
        act(&site, &dewi, &account, "act", &[end, yes, why]).await.0,
        302
    );
    let (status, _) = get(&site, &budi, "/").await;
    assert_eq!(status, 302, "budi's session is over");

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
    let rudi = logged_in(&site, "rudi").await;
    set_up_from_beranda(&rudi, &site.issuer).await;
    let (_, page) = get(&site, &rudi, &account).await;
    assert!(!page.contains("Akhiri semua sesi"), "{page}");
    assert_eq!(
        act(&site, &rudi, &account, "act", &[end, yes, why]).await.0,
        403
    );
}
