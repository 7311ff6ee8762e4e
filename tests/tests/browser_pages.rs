//! Every page in headless Chromium, in both languages, on a phone (390 px) and a desktop
//! (1280 px): a screenshot of each (kept under `target/screenshots/pages`, the current ones
//! committed in `docs/screenshots/`), no serious or critical axe-core violation, and nothing
//! wider than the phone's screen.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::browser;
use gerbang_tests::chrome::{screenshot_dir, Chrome, Violation};
use gerbang_tests::site::{ktp, nik, Site};

const PASSWORD: &str = "kuda laut biru";

/// Logs in on the provider's own login page.
async fn log_in(chrome: &Chrome, issuer: &str, lang: &str, username: &str, password: &str) {
    chrome
        .goto(&format!("{issuer}/login?ui_locales={lang}"))
        .await;
    chrome.wait_for_any(&["captcha"]).await;
    chrome.type_into("username", username).await;
    chrome.type_into("password", password).await;
    chrome
        .type_into("captcha", browser::CAPTCHA_TEST_ANSWER)
        .await;
    chrome.click("button[type=submit]").await;
}

#[tokio::test]
async fn every_page_in_both_languages_on_a_phone_and_a_desktop() {
    let site = Site::with_users(vec![("budi".into(), PASSWORD.into())]).await;
    // An account that still has its temporary password, for the forced change.
    let fields = ktp("baru@example.id", &nik(40));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (fresh, temporary) = site.enrol(&fields, "baru@example.id").await;
    let issuer = site.issuer.clone();
    let dir = screenshot_dir().join("pages");
    let mut violations: Vec<(String, Violation)> = Vec::new();
    let mut too_wide = Vec::new();

    for (lang, accept) in [("id", "id-ID"), ("en", "en-GB")] {
        for width in [390, 1280] {
            let chrome = Chrome::start(width, 844, accept).await;
            let q = format!("ui_locales={lang}");

            chrome.goto(&format!("{issuer}/login?{q}")).await;
            chrome
                .wait_for_any(&["Lupa Password?", "Forgot password?"])
                .await;
            take(
                &chrome,
                &dir,
                "login",
                lang,
                width,
                &mut violations,
                &mut too_wide,
            )
            .await;

            chrome.goto(&format!("{issuer}/register?{q}")).await;
            chrome
                .wait_for_any(&["Jenis Identitas", "Identity type"])
                .await;
            take(
                &chrome,
                &dir,
                "register-ktp",
                lang,
                width,
                &mut violations,
                &mut too_wide,
            )
            .await;
            chrome.select("identity_type", "passport").await;
            take(
                &chrome,
                &dir,
                "register-passport",
                lang,
                width,
                &mut violations,
                &mut too_wide,
            )
            .await;
            chrome.select("identity_type", "ktp").await;
            chrome.type_into("nik", "12345").await;
            chrome.type_into("phone", "0812").await;
            chrome.click("button[type=submit]").await;
            chrome
                .wait_for_any(&["Periksa isian", "Please check"])
                .await;
            take(
                &chrome,
                &dir,
                "register-errors",
                lang,
                width,
                &mut violations,
                &mut too_wide,
            )
            .await;

            chrome
                .goto(&format!("{issuer}/activate?token=example&{q}"))
                .await;
            chrome
                .wait_for_any(&["Aktifkan akun", "Activate account"])
                .await;
            take(
                &chrome,
                &dir,
                "activate",
                lang,
                width,
                &mut violations,
                &mut too_wide,
            )
            .await;

            chrome.goto(&format!("{issuer}/forgot-password?{q}")).await;
            chrome
                .wait_for_any(&["Lupa Password", "Forgot password"])
                .await;
            take(
                &chrome,
                &dir,
                "forgot-password",
                lang,
                width,
                &mut violations,
                &mut too_wide,
            )
            .await;

            chrome
                .goto(&format!("{issuer}/authorize?client_id=unknown&{q}"))
                .await;
            chrome
                .wait_for_any(&["Terjadi kesalahan", "Something went wrong"])
                .await;
            take(
                &chrome,
                &dir,
                "error",
                lang,
                width,
                &mut violations,
                &mut too_wide,
            )
            .await;

            log_in(&chrome, &issuer, lang, &fresh, &temporary).await;
            chrome
                .wait_for_any(&["Buat password baru", "Choose a new password"])
                .await;
            take(
                &chrome,
                &dir,
                "new-password",
                lang,
                width,
                &mut violations,
                &mut too_wide,
            )
            .await;

            log_in(&chrome, &issuer, lang, "budi", PASSWORD).await;
            chrome.wait_for_any(&["Beranda", "Home"]).await;
            chrome.goto(&format!("{issuer}/?{q}")).await;
            chrome.wait_for_any(&["Beranda", "Home"]).await;
            take(
                &chrome,
                &dir,
                "home",
                lang,
                width,
                &mut violations,
                &mut too_wide,
            )
            .await;
            chrome.quit().await;
        }
    }
    assert!(
        violations.is_empty(),
        "axe-core, serious or critical: {violations:#?}"
    );
    assert!(too_wide.is_empty(), "wider than the screen: {too_wide:?}");
}

/// Screenshot, accessibility audit and width check of the current page.
async fn take(
    chrome: &Chrome,
    dir: &std::path::Path,
    page: &str,
    lang: &str,
    width: u32,
    violations: &mut Vec<(String, Violation)>,
    too_wide: &mut Vec<String>,
) {
    let name = format!("{page}-{lang}-{width}");
    chrome.screenshot(dir, &name).await;
    for v in chrome.serious_violations().await {
        violations.push((name.clone(), v));
    }
    let scroll_width = chrome
        .client
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .unwrap();
    if scroll_width.as_u64().unwrap_or(0) > u64::from(width) {
        too_wide.push(format!("{name}: {scroll_width}px"));
    }
}
