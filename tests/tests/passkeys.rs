//! Passkeys in headless Chromium (issue 19), with a virtual authenticator (WebDriver's WebAuthn
//! extension) standing in for a phone's or laptop's: created from Beranda, then used alone on
//! the login page ("Masuk dengan passkey") and as the second step after a password, then
//! removed; an answer is accepted once; tokens say a passkey was proven (`acr` passkey, `amr`
//! hwk and mfa); a client that asks for the passkey level gets it, the passkey made on the way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use gerbang_tests::browser::{self, PKCE_CHALLENGE, PKCE_VERIFIER};
use gerbang_tests::chrome::Chrome;
use gerbang_tests::site::{Site, APP_ROUTE, MAIL_WAIT};
use gerbang_tests::Gerbang;
use serde_json::Value;

const PASSWORD: &str = "kuda laut biru";
const CLIENT: &str = "perizinan-web";
const SECRET: &str = "perizinan-web-secret-0123456789";

/// A site with `budi` and a first-party client whose redirect URI is a page of the provider's
/// own host (so the browser lands somewhere it can read the code from).
async fn start() -> Site {
    let smtp = gerbang_tests::smtp::SmtpServer::start().await;
    let users = vec![("budi".to_string(), PASSWORD.to_string())];
    let mut spec = Site::spec(&smtp, APP_ROUTE.into(), users);
    spec.extra.push_str(&format!(
        "\n[[client]]\nid = \"{CLIENT}\"\nsecret = \"{SECRET}\"\nredirect_uris = [\"https://{}:{{public_port}}/callback\"]\nfirst_party = true\n",
        Gerbang::PROVIDER_HOST
    ));
    Site::around(Gerbang::start(spec).await, smtp)
}

fn redirect_uri(site: &Site) -> String {
    format!("{}/callback", site.issuer)
}

/// Logs in by password and creates a passkey named `name` from Beranda; its first factor, so
/// the recovery codes follow.
async fn create_passkey(chrome: &Chrome, site: &Site, name: &str) {
    create_passkey_with(chrome, site, name, "").await;
}

/// As [`create_passkey`], running `script` on the set-up page first; the page as it came.
async fn create_passkey_with(chrome: &Chrome, site: &Site, name: &str, script: &str) -> String {
    chrome.goto(&format!("{}/login", site.issuer)).await;
    chrome.log_in("budi", PASSWORD).await;
    chrome.wait_for("Beranda").await;
    chrome.click_link("Buat passkey").await;
    let page = chrome.wait_for("Nama passkey").await;
    chrome.client.execute(script, vec![]).await.unwrap();
    chrome.type_into("name", name).await;
    chrome.click("form.passkey button[type=submit]").await;
    chrome.wait_for("Simpan kode pemulihan").await;
    page
}

/// Logs out, and in again with "Masuk dengan passkey" on the login page.
async fn log_in_with_passkey(chrome: &Chrome, site: &Site) {
    chrome.forget_cookies().await;
    chrome.goto(&format!("{}/login", site.issuer)).await;
    chrome.wait_for("Masuk dengan passkey").await;
    chrome.click("form.passkey button[type=submit]").await;
}

/// Waits until the browser is at an address starting with `prefix`; the address.
async fn wait_for_url(chrome: &Chrome, prefix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let url = chrome.url().await;
        if url.starts_with(prefix) {
            return url;
        }
        assert!(Instant::now() < deadline, "still at {url}, not {prefix}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The ID token's claims for the code the browser came back with to `back`.
async fn id_token_claims(site: &Site, back: &str) -> Value {
    let token_url = format!("{}/token", site.issuer);
    let client = browser::CodeClient {
        token_url: &token_url,
        id: CLIENT,
        secret: SECRET,
        redirect_uri: &redirect_uri(site),
        verifier: PKCE_VERIFIER,
    };
    let tokens = client.redeem_at(&site.browser, back).await;
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    gerbang_tests::op::jwt_part(id_token, 1)
}

fn authorize_url(site: &Site, extra: &str) -> String {
    format!(
        "{}/authorize?client_id={CLIENT}&response_type=code&scope=openid&state=s&nonce=n&redirect_uri={}&code_challenge={PKCE_CHALLENGE}&code_challenge_method=S256{extra}",
        site.issuer,
        redirect_uri(site)
    )
}

#[tokio::test]
async fn a_passkey_made_on_beranda_logs_in_alone_and_as_the_second_step() {
    let site = start().await;
    let chrome = Chrome::start(1280, 900, "id-ID").await;
    let authenticator = chrome.add_virtual_authenticator().await;
    create_passkey(&chrome, &site, "Laptop kantor").await;

    // The authenticator keeps one discoverable credential for the provider's host.
    let held = chrome.virtual_credentials(&authenticator).await;
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["rpId"], Gerbang::PROVIDER_HOST);
    assert_eq!(held[0]["isResidentCredential"], true, "{held:?}");
    // Beranda lists it by its name and kind.
    chrome.goto(&format!("{}/", site.issuer)).await;
    let home = chrome.wait_for("Laptop kantor").await;
    assert!(
        home.contains("<strong>Laptop kantor</strong> · Passkey"),
        "{home}"
    );

    // Logged out, an app's login: "Masuk dengan passkey", no user name, password or captcha.
    chrome.forget_cookies().await;
    chrome.goto(&authorize_url(&site, "")).await;
    chrome.wait_for("Masuk dengan passkey").await;
    chrome.click("form.passkey button[type=submit]").await;
    let back = wait_for_url(&chrome, &redirect_uri(&site)).await;
    let claims = id_token_claims(&site, &back).await;
    assert_eq!(claims["acr"], "urn:gerbang:acr:passkey", "{claims}");
    assert_eq!(claims["amr"], serde_json::json!(["hwk", "mfa"]), "{claims}");

    // Logged out again, the password: the second step offers the passkey.
    chrome.forget_cookies().await;
    chrome.goto(&authorize_url(&site, "")).await;
    chrome.log_in("budi", PASSWORD).await;
    chrome.wait_for("Gunakan passkey").await;
    chrome.click("form.passkey button[type=submit]").await;
    let back = wait_for_url(&chrome, &redirect_uri(&site)).await;
    let claims = id_token_claims(&site, &back).await;
    assert_eq!(claims["acr"], "urn:gerbang:acr:passkey", "{claims}");
    assert_eq!(
        claims["amr"],
        serde_json::json!(["pwd", "hwk", "mfa"]),
        "{claims}"
    );
    // The signature counter moved on with each use (a clone would be caught by it).
    let held = chrome.virtual_credentials(&authenticator).await;
    assert!(held[0]["signCount"].as_u64().unwrap() >= 2, "{held:?}");

    // Removed from Beranda behind the password: mailed about, and it no longer logs in.
    chrome.goto(&format!("{}/", site.issuer)).await;
    chrome
        .click("a[href^=\"/account/second-factor/remove\"]")
        .await;
    let page = chrome.wait_for("id=\"current\"").await;
    assert!(page.contains("metode verifikasi terakhir"), "{page}");
    chrome.type_into("current", PASSWORD).await;
    chrome.click("form button[type=submit]").await;
    let home = chrome.wait_for("Belum aktif").await;
    assert!(!home.contains("Laptop kantor"), "{home}");
    let mail = site.smtp.wait_for("budi@example.test", 1, MAIL_WAIT).await;
    assert!(
        mail[0]
            .text
            .contains("Passkey \"Laptop kantor\" baru saja dihapus"),
        "{}",
        mail[0].text
    );
    log_in_with_passkey(&chrome, &site).await;
    chrome.wait_for("Passkey tidak diterima").await;
    chrome.quit().await;
}

/// The fields of the page's passkey form once the authenticator answered, without sending it.
const ANSWER_WITHOUT_SENDING: &str = r#"
const done = arguments[arguments.length - 1];
const form = document.querySelector("form.passkey");
form.submit = () => done(Object.fromEntries(new FormData(form)));
form.requestSubmit();
"#;

#[tokio::test]
async fn a_passkey_answer_logs_in_once() {
    let site = start().await;
    let chrome = Chrome::start(390, 844, "id-ID").await;
    chrome.add_virtual_authenticator().await;
    create_passkey(&chrome, &site, "").await;
    chrome.forget_cookies().await;
    chrome.goto(&format!("{}/login", site.issuer)).await;
    chrome.wait_for("Masuk dengan passkey").await;
    let fields = chrome
        .client
        .execute_async(ANSWER_WITHOUT_SENDING, vec![])
        .await
        .expect("the passkey's answer");
    let fields: Vec<(String, String)> = fields
        .as_object()
        .expect("the form's fields")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    let send = || {
        site.browser
            .post(format!("{}/login/passkey", site.issuer))
            .header("origin", &site.issuer)
            .form(&fields)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), 302, "the passkey logs in");
    assert_eq!(browser::location(&first).as_deref(), Some("/"));
    let again = send().await.unwrap();
    assert_eq!(again.status(), 200);
    let page = again.text().await.unwrap();
    assert!(page.contains("Passkey tidak diterima"), "{page}");
    // A made-up answer to a live ceremony is refused the same way.
    chrome.goto(&format!("{}/login", site.issuer)).await;
    let page = chrome.wait_for("Masuk dengan passkey").await;
    let ticket = browser::hidden_field(&page, "passkey").expect("a ceremony");
    let forged = [
        ("passkey", ticket.as_str()),
        ("credential", "{\"id\":\"x\"}"),
    ];
    let refused = site
        .browser
        .post(format!("{}/login/passkey", site.issuer))
        .header("origin", &site.issuer)
        .form(&forged)
        .send()
        .await
        .unwrap();
    let page = refused.text().await.unwrap();
    assert!(page.contains("Passkey tidak diterima"), "{page}");
    chrome.quit().await;
}

#[tokio::test]
async fn a_client_that_asks_for_a_passkey_gets_one_made_on_the_way_then_used() {
    let site = start().await;
    let chrome = Chrome::start(1280, 900, "id-ID").await;
    chrome.add_virtual_authenticator().await;
    let passkey_level = "&acr_values=urn:gerbang:acr:passkey";
    chrome.goto(&authorize_url(&site, passkey_level)).await;
    chrome.log_in("budi", PASSWORD).await;
    // No passkey yet: the set-up page, which continues to the app.
    chrome.wait_for("Nama passkey").await;
    chrome.click("form.passkey button[type=submit]").await;
    chrome.wait_for("Simpan kode pemulihan").await;
    chrome.click("form button[type=submit]").await;
    // Then the passkey itself, and only it: no code field.
    let page = chrome.wait_for("Gunakan passkey").await;
    assert!(!page.contains("id=\"code\""), "{page}");
    chrome.click("form.passkey button[type=submit]").await;
    let back = wait_for_url(&chrome, &redirect_uri(&site)).await;
    let claims = id_token_claims(&site, &back).await;
    assert_eq!(claims["acr"], "urn:gerbang:acr:passkey", "{claims}");
    assert_eq!(
        claims["amr"],
        serde_json::json!(["pwd", "hwk", "mfa"]),
        "{claims}"
    );
    chrome.quit().await;
}

/// Keeps only EdDSA among the algorithms the set-up page's options offer.
const ONLY_EDDSA: &str = r#"
const form = document.querySelector("form.passkey");
const options = JSON.parse(form.dataset.options);
options.pubKeyCredParams = options.pubKeyCredParams.filter(p => p.alg === -8);
form.dataset.options = JSON.stringify(options);
"#;

/// An authenticator offered EdDSA alone makes an Ed25519 passkey, and its signatures are
/// verified (the `webauthn-rs-core` patch in `third_party/`).
#[tokio::test]
async fn an_ed25519_passkey_logs_in() {
    let site = start().await;
    let chrome = Chrome::start(1280, 900, "id-ID").await;
    chrome.add_virtual_authenticator().await;
    let page = create_passkey_with(&chrome, &site, "", ONLY_EDDSA).await;
    assert!(page.contains("&quot;alg&quot;:-8"), "EdDSA offered: {page}");
    log_in_with_passkey(&chrome, &site).await;
    chrome.wait_for("Anda masuk sebagai").await;
    chrome.quit().await;
}
