//! More of what a person does in the browser: "Lupa Password?" from the login page to a new
//! password, the language switch that sticks, and another captcha picture without losing what
//! was typed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use gerbang_tests::chrome::Chrome;
use gerbang_tests::site::{Site, MAIL_WAIT};
use gerbang_tests::{browser, smtp};

const PASSWORD: &str = "kuda laut biru";

#[tokio::test]
async fn forgot_password_in_the_browser() {
    let site = Site::with_users(vec![("budi".into(), PASSWORD.into())]).await;
    let chrome = Chrome::start(1280, 900, "id-ID").await;
    chrome.goto(&format!("{}/login", site.issuer)).await;
    chrome.wait_for("Lupa Password?").await;
    chrome.click_link("Lupa Password?").await;
    chrome.wait_for("Alamat e-mail atau username").await;
    chrome.type_into("email", "budi@example.test").await;
    chrome
        .type_into("captcha", browser::CAPTCHA_TEST_ANSWER)
        .await;
    chrome.click("button[type=submit]:not([name])").await;
    chrome.wait_for("kami telah mengirim tautan").await;

    let mail = site.smtp.wait_for("budi@example.test", 1, MAIL_WAIT).await;
    chrome
        .goto(&smtp::link(&mail[0].text, "/password/reset?token=").unwrap())
        .await;
    chrome.wait_for("Buat password baru").await;
    chrome.type_into("password", "gunung biru di timur").await;
    chrome.type_into("confirm", "gunung biru di timur").await;
    chrome.click("button[type=submit]:not([name])").await;
    chrome.wait_for("Password Anda sudah diganti").await;

    chrome.click_link("Masuk").await;
    chrome.wait_for("Lupa Password?").await;
    chrome.type_into("username", "budi").await;
    chrome.type_into("password", "gunung biru di timur").await;
    // Enter in the last field logs in, though "Ganti gambar" sits between the fields and the
    // button (issue 21, item 1).
    chrome
        .type_into(
            "captcha",
            &format!("{}\u{e007}", browser::CAPTCHA_TEST_ANSWER),
        )
        .await;
    chrome.wait_for("Beranda").await;
    chrome.quit().await;
}

#[tokio::test]
async fn the_language_switch_sticks_and_ui_locales_works() {
    let site = Site::start().await;
    let chrome = Chrome::start(390, 844, "id-ID").await;
    chrome.goto(&format!("{}/login", site.issuer)).await;
    chrome.wait_for("lang=\"id\"").await;
    chrome.click_link("English").await;
    chrome.wait_for("Forgot password?").await;
    // The next pages speak English too, though the browser asks for Indonesian.
    chrome.click_link("Register").await;
    let page = chrome.wait_for("Identity type").await;
    assert!(page.contains("lang=\"en\""));
    chrome.click_link("Bahasa Indonesia").await;
    chrome.wait_for("Jenis Identitas").await;
    chrome.quit().await;

    // A client's ui_locales=en, in a browser that asks for Indonesian.
    let chrome = Chrome::start(1280, 900, "id-ID").await;
    chrome
        .goto(&format!("{}/login?ui_locales=en", site.issuer))
        .await;
    chrome.wait_for("Log in").await;
    chrome.quit().await;
}

#[tokio::test]
async fn another_captcha_picture_keeps_what_was_typed() {
    let site = Site::start().await;
    let chrome = Chrome::start(1280, 900, "id-ID").await;
    chrome.goto(&format!("{}/register", site.issuer)).await;
    chrome.wait_for("Jenis Identitas").await;
    let before = chrome
        .by_id("captcha")
        .await
        .attr("aria-describedby")
        .await
        .unwrap();
    // The picture's address; `None` while the page is between documents (the element went
    // stale or is not there yet).
    let picture = |c: &Chrome| {
        let c = c.client.clone();
        async move {
            let image = c.find(fantoccini::Locator::Css("img.captcha")).await.ok()?;
            image.attr("src").await.ok().flatten()
        }
    };
    let first = picture(&chrome).await.expect("a captcha picture");
    chrome.type_into("nik", "3174051208850001").await;
    chrome.type_into("email", "budi@example.id").await;
    chrome.click("button[name=refresh]").await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while picture(&chrome).await.is_none_or(|src| src == first) {
        assert!(Instant::now() < deadline, "the picture did not change");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(chrome.value("nik").await, "3174051208850001");
    assert_eq!(chrome.value("email").await, "budi@example.id");
    assert!(
        !chrome.source().await.contains("field-error"),
        "a new picture is not a mistake"
    );
    assert_eq!(before.as_deref(), Some("captcha-help"));
    chrome.quit().await;
}
