//! Logging in with another identity provider, end to end: this Gerbang is a relying party of a
//! second Gerbang instance acting as the upstream (its own users, the NIK in its
//! `identity_document` claim), both real binaries over HTTPS.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use gerbang_tests::browser::{self, location, CAPTCHA_TEST_ANSWER};
use gerbang_tests::fake_op::{FakeOp, Flaw, CLIENT_ID, CLIENT_SECRET};
use gerbang_tests::{Gerbang, Spec};

const PASSWORD: &str = "kuda laut biru";
const UPSTREAM_SECRET: &str = "oss-at-upstream-0123456789";
/// The upstream's redirect URI until the local instance's port is known.
const PORT_LATER: &str = "65000";
const UPSTREAM_HOST: &str = "127.0.0.1";
const LOCAL_HOST: &str = "localhost";

/// The upstream provider ("INApas") and the OSS Gerbang that trusts it.
struct Pair {
    upstream: Gerbang,
    local: Gerbang,
}

/// How the OSS Gerbang of a [`Pair`] differs from the plain one.
#[derive(Default)]
struct Local {
    /// More keys of its `[[identity_provider]]` table.
    provider: &'static str,
    /// More of its configuration (`[[group]]` tables).
    extra: &'static str,
    /// Its `[mail]` table; `None`: an outbox folder.
    mail: Option<String>,
    /// Whether it proves itself to the upstream with a JWT signed by its own keys (which the
    /// upstream reads from its `/jwks`) instead of a shared secret.
    private_key_jwt: bool,
}

/// The group INApas's users receive where a test says so.
const GROUP: &str = "\n[[group]]\nname = \"pelaku-usaha\"\ntitle = { id = \"Pelaku Usaha\", en = \"Business user\" }\n";

impl Pair {
    async fn start() -> Pair {
        Pair::start_with(Local::default()).await
    }

    /// Upstream users: `ani` (the NIK of the local `budi`), `citra`, `dewi` and `eko` (no OSS
    /// account) and `budi` (another person, whose e-mail is the local budi's). The upstream is
    /// the issuer `https://127.0.0.1:…`, this Gerbang `https://localhost:…`: both resolve
    /// without help, so each can call the other (the upstream posts back-channel logouts
    /// here), and they share one development certificate that names both.
    async fn start_with(local: Local) -> Pair {
        let (upstream_auth, local_auth) = match local.private_key_jwt {
            true => (
                format!("jwks_uri = \"https://localhost:{PORT_LATER}/jwks\""),
                "client_auth = \"private_key_jwt\"".to_string(),
            ),
            false => (
                format!("secret = \"{UPSTREAM_SECRET}\""),
                format!("client_secret = \"{UPSTREAM_SECRET}\""),
            ),
        };
        let upstream_client = format!(
            "[captcha]\ntest_answer = \"{CAPTCHA_TEST_ANSWER}\"\n\n\
             [[client]]\nid = \"oss\"\n{upstream_auth}\n\
             redirect_uris = [\"https://localhost:{PORT_LATER}/federation/inapas/callback\"]\n\
             post_logout_redirect_uris = [\"https://localhost:{PORT_LATER}/\"]\n\
             backchannel_logout_uri = \"https://localhost:{PORT_LATER}/federation/inapas/backchannel-logout\"\n\
             scopes = [\"openid\", \"profile\", \"email\", \"phone\", \"identity_document\"]\nfirst_party = true\n"
        );
        let mut upstream = Gerbang::start(Spec {
            https: true,
            http: false,
            provider_host: Some("127.0.0.1"),
            extra: upstream_client,
            users: ["ani", "citra", "budi", "dewi", "eko"]
                .map(|u| (u.to_string(), PASSWORD.to_string()))
                .to_vec(),
            ..Spec::http("")
        })
        .await;
        let local = Gerbang::start(Spec {
            https: true,
            http: false,
            provider_host: Some("localhost"),
            certs: Some(upstream.dir.path().join("certs")),
            extra: format!(
                "[captcha]\ntest_answer = \"{CAPTCHA_TEST_ANSWER}\"\n\n\
                 [[identity_provider]]\nid = \"inapas\"\ntitle = \"INApas\"\n\
                 issuer = \"{}\"\nclient_id = \"oss\"\n{local_auth}\n\
                 scopes = [\"openid\", \"profile\", \"email\", \"phone\", \"identity_document\"]\n\
                 nik_claim = \"identity_document.number\"\nca = \"{}\"\nend_upstream_session = true\n{}\n{}",
                upstream.url(UPSTREAM_HOST, ""),
                upstream.ca_path().display(),
                local.provider,
                local.extra,
            ),
            users: vec![("budi".into(), PASSWORD.into())],
            mail: local.mail,
            ..Spec::http("")
        })
        .await;
        // Now that the local port is known, the upstream takes its redirect and logout URIs,
        // and trusts the shared CA when it posts back-channel logouts (`upstream_ca` is read
        // at start).
        upstream.stop();
        let path = upstream.config_path();
        let text = std::fs::read_to_string(&path).unwrap();
        let ca = format!(
            "[server]\nupstream_ca = \"{}\"\n",
            upstream.ca_path().display()
        );
        let text = text
            .replace(PORT_LATER, &local.public_port.to_string())
            .replacen("[server]\n", &ca, 1);
        std::fs::write(&path, text).unwrap();
        upstream.restart().await;
        let pair = Pair { upstream, local };
        pair.wait_until_offered().await;
        pair
    }

    /// Waits until the login page offers INApas: its probe (every 10 s) may have found it
    /// down while it restarted above. Each login page draws a captcha, which an address may
    /// ask for only so often: once a second is within it.
    async fn wait_until_offered(&self) {
        let browser = self.browser();
        for _ in 0..20 {
            let page = browser.get(self.local_url("/login")).send().await.unwrap();
            if page
                .text()
                .await
                .unwrap()
                .contains("/federation/inapas/start?")
            {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        panic!("the login page never offered INApas");
    }

    /// A new browser: cookies kept, the shared development CA trusted.
    fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .timeout(Duration::from_secs(20))
            .add_root_certificate(reqwest::Certificate::from_pem(&self.local.ca_pem()).unwrap())
            .build()
            .unwrap()
    }

    fn local_url(&self, path: &str) -> String {
        self.local.url(LOCAL_HOST, path)
    }

    fn upstream_url(&self, path: &str) -> String {
        self.upstream.url(UPSTREAM_HOST, path)
    }

    /// Starts a login with INApas, logs in there as `who`: the callback URL the upstream sends
    /// the browser back to (not yet followed).
    async fn upstream_login(&self, browser: &reqwest::Client, who: &str) -> String {
        let start = browser
            .get(self.local_url("/federation/inapas/start"))
            .send()
            .await
            .unwrap();
        assert_eq!(start.status(), 302, "start redirects to the upstream");
        let authorize = location(&start).unwrap();
        let origin = self.upstream_url("");
        assert!(authorize.starts_with(&origin), "{authorize}");
        for asked in [
            "code_challenge_method=S256",
            "nonce=",
            "state=",
            "identity_document",
        ] {
            assert!(authorize.contains(asked), "{asked} in {authorize}");
        }
        let back = browser::log_in(browser, &authorize, &origin, who, PASSWORD).await;
        assert!(
            back.starts_with(&self.local_url("/federation/inapas/callback")),
            "{back}"
        );
        assert!(
            back.contains("iss="),
            "the upstream names itself (RFC 9207): {back}"
        );
        back
    }

    /// A whole login with INApas as `who`: the callback's answer.
    async fn log_in_with_inapas(
        &self,
        browser: &reqwest::Client,
        who: &str,
    ) -> (u16, String, Option<String>) {
        let back = self.upstream_login(browser, who).await;
        answer(browser.get(back).send().await.unwrap()).await
    }

    fn audit(&self) -> String {
        let (ok, audit, err) = self.local.admin(&["audit", "--limit", "100"], "");
        assert!(ok, "{err}");
        audit
    }
}

async fn answer(response: reqwest::Response) -> (u16, String, Option<String>) {
    let status = response.status().as_u16();
    let to = location(&response);
    (status, response.text().await.unwrap(), to)
}

async fn home(pair: &Pair, browser: &reqwest::Client) -> String {
    let page = browser.get(pair.local_url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200, "Beranda, logged in");
    page.text().await.unwrap()
}

async fn link_with(
    pair: &Pair,
    browser: &reqwest::Client,
    password: &str,
) -> (u16, String, Option<String>) {
    link_at(&pair.local, LOCAL_HOST, browser, password).await
}

/// Proves control of the account a pending link matched, with its password, at `local`.
async fn link_at(
    local: &Gerbang,
    host: &str,
    browser: &reqwest::Client,
    password: &str,
) -> (u16, String, Option<String>) {
    let response = browser
        .post(local.url(host, "/federation/link"))
        .header("origin", local.url(host, ""))
        .form(&[("password", password), ("ui_locales", "id")])
        .send()
        .await
        .unwrap();
    answer(response).await
}

#[tokio::test]
async fn a_matching_nik_links_only_after_the_local_password_then_logs_in_directly() {
    let pair = Pair::start().await;
    let browser = pair.browser();
    let login = browser.get(pair.local_url("/login")).send().await.unwrap();
    let login = login.text().await.unwrap();
    assert!(login.contains("Masuk dengan INApas"), "the button: {login}");

    // Ani at INApas has the NIK of the OSS account budi: linking needs budi's password.
    let (status, page, _) = pair.log_in_with_inapas(&browser, "ani").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Sudah ada akun OSS dengan NIK Anda"),
        "{page}"
    );
    assert!(
        page.contains("value=\"budi\""),
        "the account it matched: {page}"
    );
    let (status, page, _) = link_with(&pair, &browser, "not the password").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Password salah. Akun belum dihubungkan."),
        "{page}"
    );
    assert!(
        !page.contains("not the password"),
        "a password is never shown again"
    );
    let audit = pair.audit();
    assert!(
        !audit.contains("federation.linked"),
        "a wrong password links nothing:\n{audit}"
    );
    assert!(
        audit.contains("login.failure"),
        "and counts as a failed login:\n{audit}"
    );

    let (status, _, to) = link_with(&pair, &browser, PASSWORD).await;
    assert_eq!((status, to.as_deref()), (302, Some("/")));
    let beranda = home(&pair, &browser).await;
    assert!(beranda.contains("<strong>budi</strong>"), "{beranda}");
    assert!(
        beranda.contains("Terhubung sejak"),
        "the link on Beranda: {beranda}"
    );
    let audit = pair.audit();
    assert!(
        audit.contains("federation.linked")
            && audit.contains("linked after the account's password"),
        "{audit}"
    );

    // From now on INApas alone logs in, in another browser, with no password here.
    let other = pair.browser();
    let (status, page, to) = pair.log_in_with_inapas(&other, "ani").await;
    assert_eq!((status, to.as_deref()), (302, Some("/")), "{page}");
    assert!(home(&pair, &other).await.contains("<strong>budi</strong>"));
    assert!(pair.audit().contains("inapas: logged in"));
    let (ok, links, err) = pair.local.admin(&["users", "links", "budi"], "");
    assert!(ok && links.contains("inapas"), "{links}{err}");

    // Unlinked from Beranda: the next login with INApas asks for the password again.
    let removed = other
        .post(pair.local_url("/account/links/remove"))
        .header("origin", pair.local_url(""))
        .form(&[("provider", "inapas"), ("ui_locales", "id")])
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), 302);
    let notice = location(&removed).unwrap();
    let beranda = other.get(pair.local_url(&notice)).send().await.unwrap();
    let beranda = beranda.text().await.unwrap();
    assert!(
        beranda.contains("Hubungan sudah diputus") && beranda.contains("Belum terhubung"),
        "{beranda}"
    );
    assert!(pair.audit().contains("federation.unlinked"));
    let (status, page, _) = pair.log_in_with_inapas(&pair.browser(), "ani").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Sudah ada akun OSS dengan NIK Anda"),
        "{page}"
    );
}

/// No shared secret: the local Gerbang signs its token requests with its own keys, and the
/// upstream reads them from the local `/jwks` (private_key_jwt both ways, one real peer each).
#[tokio::test]
async fn with_private_key_jwt_no_secret_is_shared() {
    let pair = Pair::start_with(Local {
        private_key_jwt: true,
        ..Local::default()
    })
    .await;
    let upstream_config = std::fs::read_to_string(pair.upstream.config_path()).unwrap();
    assert!(
        !upstream_config.contains(UPSTREAM_SECRET) && upstream_config.contains("/jwks"),
        "the upstream knows the local keys' address, and no secret"
    );
    let browser = pair.browser();
    let (status, page, _) = pair.log_in_with_inapas(&browser, "ani").await;
    assert_eq!(status, 200, "the code was exchanged: {page}");
    assert!(
        page.contains("Sudah ada akun OSS dengan NIK Anda"),
        "{page}"
    );
    let (status, _, to) = link_with(&pair, &browser, PASSWORD).await;
    assert_eq!((status, to.as_deref()), (302, Some("/")));
    let other = pair.browser();
    let (status, page, to) = pair.log_in_with_inapas(&other, "ani").await;
    assert_eq!((status, to.as_deref()), (302, Some("/")), "{page}");
    assert!(home(&pair, &other).await.contains("<strong>budi</strong>"));

    let (ok, audit, err) = pair.upstream.admin(&["audit", "--limit", "100"], "");
    assert!(ok, "{err}");
    assert_eq!(
        audit.matches("token.issued").count(),
        2,
        "each exchange authenticated by its assertion:\n{audit}"
    );
    assert!(!audit.contains("token.refused"), "{audit}");
}

#[tokio::test]
async fn refusals_each_get_a_page_and_an_audit_event() {
    let pair = Pair::start().await;

    // No OSS account, and INApas may not create one here.
    let (status, page, _) = pair.log_in_with_inapas(&pair.browser(), "citra").await;
    assert_eq!(status, 403);
    assert!(page.contains("Belum ada akun OSS yang terhubung"), "{page}");
    assert!(
        page.contains("href=\"/login\"") && page.contains("href=\"/register\""),
        "{page}"
    );

    // Another person whose e-mail is an OSS account's: no account is reached by e-mail alone.
    let (status, page, _) = pair.log_in_with_inapas(&pair.browser(), "budi").await;
    assert_eq!(status, 403);
    assert!(
        page.contains("dipakai akun OSS yang belum terhubung"),
        "{page}"
    );

    // A replayed answer, even with the browser's cookie copied: its state was spent by its
    // first use (the browser itself no longer holds the cookie).
    let browser = pair.browser();
    let back = pair.upstream_login(&browser, "citra").await;
    let state = url::Url::parse(&back).unwrap();
    let state = state
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    assert_eq!(browser.get(&back).send().await.unwrap().status(), 403);
    let replay = pair
        .browser()
        .get(&back)
        .header("cookie", format!("__Host-gerbang-federation={state}"))
        .send()
        .await
        .unwrap();
    let (status, page, _) = answer(replay).await;
    assert_eq!(status, 400);
    assert!(
        page.contains("sudah dipakai, kedaluwarsa, atau dimulai di browser lain"),
        "{page}"
    );

    // An answer carried to another browser (login CSRF): its state is not that browser's.
    let back = pair.upstream_login(&pair.browser(), "ani").await;
    let (status, _, _) = answer(pair.browser().get(&back).send().await.unwrap()).await;
    assert_eq!(status, 400);

    // An answer that names another issuer (a mix-up, RFC 9207).
    let browser = pair.browser();
    let back = pair.upstream_login(&browser, "ani").await;
    let url = url::Url::parse(&back).unwrap();
    let mixed: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| match k.as_ref() {
            "iss" => (k.into_owned(), "https://evil.example".to_string()),
            _ => (k.into_owned(), v.into_owned()),
        })
        .collect();
    let mut mixed_url = url.clone();
    mixed_url.query_pairs_mut().clear().extend_pairs(&mixed);
    let (status, page, _) = answer(browser.get(mixed_url.as_str()).send().await.unwrap()).await;
    assert_eq!(status, 502);
    assert!(page.contains("tidak dapat diverifikasi"), "{page}");

    // The upstream's own error (the person cancelled there).
    let browser = pair.browser();
    let start = browser
        .get(pair.local_url("/federation/inapas/start"))
        .send()
        .await
        .unwrap();
    let authorize = url::Url::parse(&location(&start).unwrap()).unwrap();
    let state = authorize
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let cancelled = pair.local_url(&format!(
        "/federation/inapas/callback?error=access_denied&state={state}"
    ));
    let (status, page, _) = answer(browser.get(cancelled).send().await.unwrap()).await;
    assert_eq!(status, 403);
    assert!(page.contains("dibatalkan atau ditolak"), "{page}");

    let audit = pair.audit();
    for reason in [
        "no linked account, and the provider may not create one",
        "the e-mail belongs to an account it is not linked to",
        "the state is unknown, used or expired",
        "the state does not belong to this browser",
        "another issuer",
        "the error `access_denied`",
    ] {
        assert!(audit.contains(reason), "audited: {reason}\n{audit}");
    }
    assert_eq!(audit.matches("federation.refused").count(), 7, "{audit}");
    assert!(!audit.contains("federation.linked"));
}

/// The misbehaving provider, asserting `claims`, and a Gerbang that trusts it (with budi,
/// whose NIK is 3171014101000001), `provider` adding to its `[[identity_provider]]` table.
async fn with_fake(claims: serde_json::Value, provider: &str) -> (FakeOp, Gerbang) {
    let fake = FakeOp::start(claims).await;
    let local = Gerbang::start(Spec {
        https: true,
        http: false,
        extra: format!(
            "[[identity_provider]]\nid = \"fake\"\ntitle = \"Fake\"\nissuer = \"{}\"\n\
             client_id = \"{CLIENT_ID}\"\nclient_secret = \"{CLIENT_SECRET}\"\nnik_claim = \"nik\"\n{provider}\n",
            fake.issuer
        ),
        users: vec![("budi".into(), PASSWORD.into())],
        ..Spec::http("")
    })
    .await;
    (fake, local)
}

/// Through the misbehaving provider: start, its instant login, and the callback's answer.
async fn through_fake(local: &Gerbang, browser: &reqwest::Client) -> (u16, String, Option<String>) {
    let start = local.url(Gerbang::PROVIDER_HOST, "/federation/fake/start");
    let start = browser.get(start).send().await.unwrap();
    let authorize = location(&start).unwrap();
    let back = location(&browser.get(&authorize).send().await.unwrap()).unwrap();
    answer(browser.get(back).send().await.unwrap()).await
}

#[tokio::test]
async fn an_id_token_that_does_not_verify_is_refused_and_a_rotated_key_is_fetched() {
    let (fake, local) = with_fake(
        serde_json::json!({ "sub": "fake-1", "nik": "3171014101000001" }),
        "",
    )
    .await;
    let browser = local.client(&[Gerbang::PROVIDER_HOST]);
    // A sound token: the NIK is budi's, so the link page asks for budi's password.
    let (status, page, _) = through_fake(&local, &browser).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("value=\"budi\""), "{page}");
    for (flaw, audited) in [
        (Flaw::WrongAudience, "audiences"),
        (Flaw::BadSignature, "signature"),
        (Flaw::WrongNonce, "nonce"),
        (Flaw::Expired, "expired"),
    ] {
        fake.flaw(flaw);
        let (status, page, _) = through_fake(&local, &browser).await;
        assert_eq!(status, 502, "{flaw:?}: {page}");
        assert!(
            page.contains("tidak dapat diverifikasi"),
            "{flaw:?}: {page}"
        );
        let (_, audit, _) = local.admin(&["audit", "--limit", "1"], "");
        assert!(
            audit.contains("federation.refused") && audit.to_lowercase().contains(audited),
            "{flaw:?} audited with `{audited}`:\n{audit}"
        );
    }
    // Signed by a key the provider published after Gerbang read its keys: read again, accepted.
    fake.flaw(Flaw::NewKey);
    let (status, page, _) = through_fake(&local, &browser).await;
    assert_eq!(status, 200, "a rotated key is fetched: {page}");
    assert!(page.contains("value=\"budi\""), "{page}");
}

/// A back-channel logout token may name only the upstream's session (`sid`, no `sub`): the
/// session that login started ends, found by that `sid`; an unknown `sid` ends nothing.
#[tokio::test]
async fn a_logout_token_naming_only_the_sid_ends_the_session_it_started() {
    let (fake, local) = with_fake(
        serde_json::json!({
            "sub": "fake-1", "nik": "3171014101000001", "sid": "fake-session-1"
        }),
        "",
    )
    .await;
    let browser = local.client(&[Gerbang::PROVIDER_HOST]);
    let (status, page, _) = through_fake(&local, &browser).await;
    assert_eq!(status, 200, "{page}");
    let (_, _, to) = link_at(&local, Gerbang::PROVIDER_HOST, &browser, PASSWORD).await;
    assert_eq!(to.as_deref(), Some("/"));
    let logged_in = |browser: reqwest::Client| {
        let url = local.url(Gerbang::PROVIDER_HOST, "/");
        async move { browser.get(url).send().await.unwrap().status() == 200 }
    };
    assert!(logged_in(browser.clone()).await);

    let post = |token: String| {
        let url = local.url(
            Gerbang::PROVIDER_HOST,
            "/federation/fake/backchannel-logout",
        );
        let http = local.client(&[Gerbang::PROVIDER_HOST]);
        async move {
            let response = http.post(url).form(&[("logout_token", token)]).send().await;
            response.unwrap().status().as_u16()
        }
    };
    assert_eq!(
        post(fake.logout_token_for_sid("another-session")).await,
        200
    );
    assert!(logged_in(browser.clone()).await, "another sid ends nothing");
    assert_eq!(post(fake.logout_token_for_sid("fake-session-1")).await, 200);
    assert!(
        !logged_in(browser).await,
        "the session that sid started has ended"
    );
    let (_, audit, _) = local.admin(&["audit", "--limit", "5"], "");
    assert!(
        audit.contains("fake: back-channel logout ended 1 sessions"),
        "{audit}"
    );
}

/// A provider that vouches for foreigners asserts a passport: the account holding that
/// number from that country is offered for linking, after its password, as a NIK's is.
#[tokio::test]
async fn an_asserted_passport_links_after_the_password_like_a_nik() {
    let (_fake, local) = with_fake(
        serde_json::json!({
            "sub": "fake-2", "passport": { "number": "a1234567", "country": "my" }
        }),
        "passport_claim = \"passport.number\"\npassport_country_claim = \"passport.country\"",
    )
    .await;
    let (ok, _, err) = local.admin(
        &[
            "users",
            "add",
            "--username",
            "siti",
            "--email",
            "siti@example.test",
            "--phone",
            "+60123456789",
            "--name",
            "Siti Aminah",
            "--passport",
            "A1234567",
            "--country",
            "MY",
        ],
        PASSWORD,
    );
    assert!(ok, "{err}");
    let browser = local.client(&[Gerbang::PROVIDER_HOST]);
    let (status, page, _) = through_fake(&local, &browser).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("Sudah ada akun OSS dengan nomor paspor Anda")
            && page.contains("value=\"siti\""),
        "{page}"
    );
    let (_, _, to) = link_at(&local, Gerbang::PROVIDER_HOST, &browser, PASSWORD).await;
    assert_eq!(to.as_deref(), Some("/"));
    let (ok, links, err) = local.admin(&["users", "links", "siti"], "");
    assert!(ok && links.contains("fake"), "{links}{err}");
}

#[tokio::test]
async fn with_the_upstream_stopped_its_button_says_so_and_local_login_still_works() {
    let mut pair = Pair::start().await;
    let browser = pair.browser();
    pair.upstream.stop();
    // The background probe notices within its interval (10 s). Each login page draws a
    // captcha, which an address may ask for only so often: once a second is within it.
    let mut unavailable = String::new();
    for _ in 0..20 {
        let page = browser.get(pair.local_url("/login")).send().await.unwrap();
        unavailable = page.text().await.unwrap();
        if unavailable.contains("Tidak tersedia saat ini") {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert!(unavailable.contains("Masuk dengan INApas"), "{unavailable}");
    assert!(
        unavailable.contains("Tidak tersedia saat ini"),
        "{unavailable}"
    );
    assert!(
        !unavailable.contains("/federation/inapas/start"),
        "no way to a dead provider: {unavailable}"
    );
    // Going there anyway (an old tab) says what happened.
    let start = browser
        .get(pair.local_url("/federation/inapas/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 503);
    assert!(start
        .text()
        .await
        .unwrap()
        .contains("tidak dapat dihubungi saat ini"));
    // The OSS password still logs in.
    let origin = pair.local_url("");
    let back = browser::log_in(
        &browser,
        &pair.local_url("/login"),
        &origin,
        "budi",
        PASSWORD,
    )
    .await;
    assert_eq!(back, "/");
    assert!(home(&pair, &browser)
        .await
        .contains("<strong>budi</strong>"));
}

/// Whether `browser` holds a live session at `url`'s provider (its home page, not a login).
async fn logged_in_at(browser: &reqwest::Client, url: &str) -> bool {
    browser.get(url).send().await.unwrap().status() == 200
}

#[tokio::test]
async fn logging_out_ends_the_session_at_both_and_an_upstream_logout_ends_it_here() {
    let pair = Pair::start().await;
    let browser = pair.browser();
    pair.log_in_with_inapas(&browser, "ani").await;
    assert_eq!(link_with(&pair, &browser, PASSWORD).await.0, 302);
    assert!(logged_in_at(&browser, &pair.local_url("/")).await);
    assert!(logged_in_at(&browser, &pair.upstream_url("/")).await);

    // Logging out at INApas: its back-channel logout ends the session here within 5 s.
    let out = browser
        .post(pair.upstream_url("/logout/everywhere"))
        .header("origin", pair.upstream_url(""))
        .form(&[("ui_locales", "id")])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 200);
    let logged_out = std::time::Instant::now();
    while logged_in_at(&browser, &pair.local_url("/")).await {
        assert!(
            logged_out.elapsed() < Duration::from_secs(5),
            "the local session outlived the upstream's by 5 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let audit = pair.audit();
    assert!(
        audit.contains("back-channel logout ended 1 sessions"),
        "{audit}"
    );

    // Logged in again with INApas, then "log out everywhere" here: it ends there too.
    let (status, _, _) = pair.log_in_with_inapas(&browser, "ani").await;
    assert_eq!(status, 302);
    assert!(logged_in_at(&browser, &pair.upstream_url("/")).await);
    let out = browser
        .post(pair.local_url("/logout/everywhere"))
        .header("origin", pair.local_url(""))
        .form(&[("ui_locales", "id")])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 302);
    let there = location(&out).unwrap();
    assert!(
        there.starts_with(&pair.upstream_url("/logout?")) && there.contains("id_token_hint="),
        "{there}"
    );
    assert!(
        !logged_in_at(&browser, &pair.local_url("/")).await,
        "ended here at once"
    );
    // INApas asks before it logs out (its own rule for a hint it accepts); the form is sent.
    let page = browser.get(&there).send().await.unwrap();
    let status = page.status();
    let page = page.text().await.unwrap();
    if status == 200 {
        let fields: Vec<(String, String)> = page
            .split("<input type=\"hidden\" ")
            .skip(1)
            .filter_map(|input| {
                let name = input.split("name=\"").nth(1)?.split('"').next()?;
                let value = input.split("value=\"").nth(1)?.split('"').next()?;
                Some((name.to_string(), value.replace("&amp;", "&")))
            })
            .collect();
        let confirmed = browser
            .post(pair.upstream_url("/logout"))
            .header("origin", pair.upstream_url(""))
            .form(&fields)
            .send()
            .await
            .unwrap();
        let back = location(&confirmed);
        assert_eq!(
            back,
            Some(pair.local_url("/")),
            "back here after logging out there"
        );
    }
    assert!(
        !logged_in_at(&browser, &pair.upstream_url("/")).await,
        "ended at INApas too"
    );
}

/// The registration form's fields as a browser posts them, for `/federation/register`.
fn registration_post(fields: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    let mut post: Vec<(&'static str, String)> = vec![("ui_locales", "id".into())];
    post.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    post
}

async fn post_registration(
    pair: &Pair,
    browser: &reqwest::Client,
    fields: &[(&'static str, &str)],
) -> (u16, String, Option<String>) {
    let response = browser
        .post(pair.local_url("/federation/register"))
        .header("origin", pair.local_url(""))
        .form(&registration_post(fields))
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// Citra at INApas: her NIK (3171014101000002 encodes 1 January 2000), e-mail and phone.
const CITRA_NIK: &str = "3171014101000002";
const CITRA_EMAIL: &str = "citra@example.test";

#[tokio::test]
async fn a_first_login_fills_in_the_registration_and_a_trusted_address_logs_in_at_once() {
    let smtp = gerbang_tests::smtp::SmtpServer::start().await;
    let pair = Pair::start_with(Local {
        provider:
            "create_accounts = true\ntrust_email_verified = true\ngroups = [\"pelaku-usaha\"]",
        extra: GROUP,
        mail: Some(smtp.mail_config()),
        ..Local::default()
    })
    .await;
    let browser = pair.browser();
    let (status, page, to) = pair.log_in_with_inapas(&browser, "citra").await;
    assert_eq!(status, 302, "{page}");
    let to = to.unwrap();
    assert!(to.starts_with("/federation/register"), "{to}");
    let form = browser.get(pair.local_url(&to)).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let form = form.text().await.unwrap();
    for (id, value) in [
        ("nik", CITRA_NIK),
        ("email", CITRA_EMAIL),
        ("phone", "8120000001"),
    ] {
        let input = format!("id=\"{id}\" name=\"{id}\" type=");
        let at = form.find(&input).unwrap_or_else(|| panic!("{id}: {form}"));
        let tag = &form[at..at + form[at..].find('>').unwrap()];
        assert!(
            tag.contains(&format!("value=\"{value}\"")) && tag.contains("readonly"),
            "{id} filled in from INApas, read-only: {tag}"
        );
    }
    assert!(form.contains("Dari <strong>INApas</strong>"), "{form}");
    assert!(
        !form.contains("name=\"captcha\""),
        "the upstream's login was the test: {form}"
    );
    assert!(
        !form.contains("passport_number"),
        "an asserted NIK fixes the identity type: {form}"
    );

    // A post that tries another person's NIK and address, and leaves out what is asked: the
    // form again, with the upstream's values back and what is missing marked.
    let (status, page, _) = post_registration(
        &pair,
        &browser,
        &[
            ("identity_type", "passport"),
            ("nik", "3171014101000001"),
            ("email", "mallory@example.test"),
            ("country", "ID"),
            ("phone", "8120000009"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"error-summary\""), "{page}");
    assert!(
        page.contains("href=\"#birth_date\"") && page.contains("href=\"#terms\""),
        "{page}"
    );
    assert!(
        page.contains(CITRA_NIK) && !page.contains("3171014101000001"),
        "{page}"
    );
    assert!(
        !page.contains("mallory") && !page.contains("8120000009"),
        "{page}"
    );

    let (status, page, to) = post_registration(
        &pair,
        &browser,
        &[("birth_date", "01-01-2000"), ("terms", "on")],
    )
    .await;
    assert_eq!((status, to.as_deref()), (302, Some("/")), "{page}");
    let beranda = home(&pair, &browser).await;
    assert!(beranda.contains("Terhubung sejak"), "{beranda}");
    assert!(beranda.contains("Pelaku Usaha"), "its group: {beranda}");

    // The first mail, as every new account's: its user name and a temporary password.
    let mails = smtp
        .wait_for(CITRA_EMAIL, 1, gerbang_tests::site::MAIL_WAIT)
        .await;
    let username = gerbang_tests::smtp::labelled(&mails[0].text, "Username").unwrap();
    assert!(gerbang_tests::smtp::labelled(&mails[0].text, "Password").is_some());
    assert!(beranda.contains(&format!("<strong>{username}</strong>")));
    let (ok, links, err) = pair.local.admin(&["users", "links", &username], "");
    assert!(ok && links.contains("inapas"), "{links}{err}");
    // Found by the NIK INApas asserted: the account holds it.
    let (ok, by_nik, err) = pair.local.admin(&["users", "links", CITRA_NIK], "");
    assert!(ok && by_nik == links, "{by_nik}{err}");
    let audit = pair.audit();
    for event in [
        "active: its address was verified upstream",
        "linked as the account was registered",
        "pelaku-usaha, no end, as a user of inapas",
    ] {
        assert!(audit.contains(event), "audited: {event}\n{audit}");
    }

    // The registration was spent; INApas alone logs in from now on.
    let (status, _, _) = post_registration(
        &pair,
        &browser,
        &[("birth_date", "01-01-2000"), ("terms", "on")],
    )
    .await;
    assert_eq!(status, 410);
    let other = pair.browser();
    let (status, _, to) = pair.log_in_with_inapas(&other, "citra").await;
    assert_eq!((status, to.as_deref()), (302, Some("/")));
    assert!(home(&pair, &other)
        .await
        .contains(&format!("<strong>{username}</strong>")));
}

#[tokio::test]
async fn an_address_the_upstream_is_not_trusted_on_is_activated_by_mail_first() {
    let smtp = gerbang_tests::smtp::SmtpServer::start().await;
    let pair = Pair::start_with(Local {
        provider: "create_accounts = true",
        mail: Some(smtp.mail_config()),
        ..Local::default()
    })
    .await;
    let browser = pair.browser();
    let (status, _, to) = pair.log_in_with_inapas(&browser, "citra").await;
    assert_eq!(status, 302);
    assert!(to.unwrap().starts_with("/federation/register"));
    let (status, page, _) = post_registration(
        &pair,
        &browser,
        &[("birth_date", "01-01-2000"), ("terms", "on")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(page.contains(CITRA_EMAIL), "check your e-mail: {page}");
    assert!(
        !logged_in_at(&browser, &pair.local_url("/")).await,
        "not logged in before the address is confirmed"
    );
    // Until it is activated, INApas does not log in to it.
    let (status, page, _) = pair.log_in_with_inapas(&pair.browser(), "citra").await;
    assert_eq!(status, 403);
    assert!(page.contains("belum aktif"), "{page}");

    let mails = smtp
        .wait_for(CITRA_EMAIL, 1, gerbang_tests::site::MAIL_WAIT)
        .await;
    let link = gerbang_tests::smtp::link(&mails[0].text, "/activate?token=").unwrap();
    let token = url::Url::parse(&link).unwrap();
    let token = token.query_pairs().find(|(k, _)| k == "token").unwrap().1;
    let activated = browser
        .post(pair.local_url("/activate"))
        .header("origin", pair.local_url(""))
        .form(&[("token", token.as_ref()), ("ui_locales", "id")])
        .send()
        .await
        .unwrap();
    assert_eq!(activated.status(), 200);
    smtp.wait_for(CITRA_EMAIL, 2, gerbang_tests::site::MAIL_WAIT)
        .await;
    let (status, _, to) = pair.log_in_with_inapas(&browser, "citra").await;
    assert_eq!((status, to.as_deref()), (302, Some("/")));
    assert!(pair.audit().contains("pending activation"));
}

/// As a person sees it, in Chromium on a phone and a desktop: the login page's INApas button,
/// the registration it pre-fills, and the link on Beranda; screenshots of each, axe-core clean.
#[tokio::test]
async fn in_chromium_the_button_the_prefilled_registration_and_the_link_on_beranda() {
    use gerbang_tests::chrome::{Chrome, Gallery};
    let pair = Pair::start_with(Local {
        provider:
            "create_accounts = true\ntrust_email_verified = true\ngroups = [\"pelaku-usaha\"]",
        extra: GROUP,
        ..Local::default()
    })
    .await;
    let mut gallery = Gallery::new();
    // Two people of INApas (their NIKs encode 1 January 2000), one per screen.
    for (width, who) in [(390, "dewi"), (1280, "eko")] {
        let chrome = Chrome::start(width, 900, "id-ID").await;
        chrome.goto(&pair.local_url("/login?ui_locales=id")).await;
        chrome.wait_for("Masuk dengan INApas").await;
        chrome
            .run("document.querySelector('.federated').scrollIntoView({block: 'center'});")
            .await;
        gallery.shot(&chrome, "federation-login", "id", width).await;
        chrome.click("a[href^='/federation/inapas/start']").await;
        chrome.log_in(who, PASSWORD).await;
        chrome.wait_for("Dari <strong>INApas</strong>").await;
        assert_eq!(chrome.prop("nik", "readOnly").await, "true");
        gallery
            .shot(&chrome, "federation-register", "id", width)
            .await;
        chrome.type_into("birth_date", "01-01-2000").await;
        chrome.click("#terms").await;
        chrome
            .click("form[action='/federation/register'] button[type=submit]")
            .await;
        let beranda = chrome.wait_for("Terhubung sejak").await;
        assert!(beranda.contains("Pelaku Usaha"), "{beranda}");
        chrome
            .run("document.getElementById('links').scrollIntoView();")
            .await;
        gallery
            .shot(&chrome, "federation-beranda", "id", width)
            .await;
        chrome.quit().await;
    }
    gallery.assert_clean();
}
