//! A logged-in user's changes to their own account, each behind the current password: the
//! password (other sessions end), the phone number, and the e-mail address (only once the new
//! address confirms it; the old one is told).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::browser::{hidden_field, location};
use gerbang_tests::site::{Site, MAIL_WAIT};
use gerbang_tests::smtp;
use gerbang_tests::Gerbang;

const PASSWORD: &str = "kuda laut biru";

async fn logged_in_site() -> Site {
    let site = Site::with_users(vec![("budi".into(), PASSWORD.into())]).await;
    assert_eq!(
        location(&site.log_in("budi", PASSWORD).await).as_deref(),
        Some("/")
    );
    site
}

/// Posts `form` to `path` in the site's browser.
async fn post(site: &Site, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    site.browser
        .post(format!("{}{path}", site.issuer))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn change_password_needs_the_current_one_and_ends_other_sessions() {
    let site = logged_in_site().await;
    let other = site.gw.client(&[Gerbang::PROVIDER_HOST]);
    gerbang_tests::browser::submit_login(&other, &site.issuer, "budi", PASSWORD, None).await;

    let page = site.get("/account/password").await.text().await.unwrap();
    assert!(page.contains("Password saat ini"));
    let wrong = post(
        &site,
        "/account/password",
        &[
            ("current", "salah"),
            ("password", "gajah terbang tinggi"),
            ("confirm", "gajah terbang tinggi"),
        ],
    )
    .await;
    let wrong = wrong.text().await.unwrap();
    assert!(wrong.contains("Password saat ini salah.") && wrong.contains("aria-invalid=\"true\""));
    let weak = post(
        &site,
        "/account/password",
        &[
            ("current", PASSWORD),
            ("password", "12345678"),
            ("confirm", "12345678"),
        ],
    )
    .await;
    assert!(weak.text().await.unwrap().contains("terlalu umum"));

    let done = post(
        &site,
        "/account/password",
        &[
            ("current", PASSWORD),
            ("password", "gajah terbang tinggi"),
            ("confirm", "gajah terbang tinggi"),
        ],
    )
    .await;
    assert_eq!(done.status(), 200);
    assert!(
        done.headers().get("set-cookie").is_some(),
        "this browser gets a new session"
    );
    assert!(
        site.get("/").await.status().is_success(),
        "still logged in here"
    );
    let elsewhere = other.get(format!("{}/", site.issuer)).send().await.unwrap();
    assert_eq!(
        location(&elsewhere).as_deref(),
        Some("/login"),
        "logged out elsewhere"
    );
    assert_eq!(
        location(&site.log_in("budi", "gajah terbang tinggi").await).as_deref(),
        Some("/")
    );
}

#[tokio::test]
async fn change_phone_and_email_after_confirmation() {
    let site = logged_in_site().await;
    let page = site.get("/account/contact").await.text().await.unwrap();
    assert!(
        page.contains("value=\"budi@example.test\""),
        "the form shows the current values"
    );

    // A bad phone is shown beside its field; nothing changes.
    let bad = post(
        &site,
        "/account/contact",
        &[
            ("current", PASSWORD),
            ("email", "budi@example.test"),
            ("country", "ID"),
            ("phone", "0812"),
        ],
    )
    .await;
    assert!(bad
        .text()
        .await
        .unwrap()
        .contains("Nomor ini bukan nomor telepon yang valid"));

    let saved = post(
        &site,
        "/account/contact",
        &[
            ("current", PASSWORD),
            ("email", "Budi.Baru@Example.ID"),
            ("country", "ID"),
            // As people write it at home: the leading 0 and dashes (issue 21, item 6).
            ("phone", "0857-1234-567"),
        ],
    )
    .await;
    assert!(saved.text().await.unwrap().contains("tautan konfirmasi"));
    let home = site.get("/").await.text().await.unwrap();
    assert!(home.contains("+628571234567"), "the phone changes at once");
    let page = site.get("/account/contact").await.text().await.unwrap();
    assert!(
        page.contains("value=\"8571234567\""),
        "the form shows the number as it is typed, without the country's code"
    );

    // A number of another country: the form shows that country and the national part.
    let abroad = post(
        &site,
        "/account/contact",
        &[
            ("current", PASSWORD),
            ("email", "budi@example.test"),
            ("country", "MY"),
            ("phone", "123456789"),
        ],
    )
    .await;
    assert_eq!(abroad.status(), 200);
    let page = site.get("/account/contact").await.text().await.unwrap();
    assert!(page.contains("value=\"123456789\""), "{page}");
    assert!(
        page.contains("value=\"MY\" selected"),
        "Malaysia is chosen: {page}"
    );
    assert!(
        home.contains("budi@example.test"),
        "the address waits for its confirmation"
    );

    let mails = site
        .smtp
        .wait_for("budi.baru@example.id", 1, MAIL_WAIT)
        .await;
    let link = smtp::link(&mails[0].text, "/account/email/confirm?token=").unwrap();
    let page = site
        .browser
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden_field(&page, "token").unwrap();
    let confirmed = post(&site, "/account/email/confirm", &[("token", &token)]).await;
    assert_eq!(confirmed.status(), 200);
    assert!(site
        .get("/")
        .await
        .text()
        .await
        .unwrap()
        .contains("budi.baru@example.id"));
    let told = site.smtp.wait_for("budi@example.test", 1, MAIL_WAIT).await;
    assert_eq!(told[0].subject, "Alamat e-mail akun OSS diganti");
    assert_eq!(
        post(&site, "/account/email/confirm", &[("token", &token)])
            .await
            .status(),
        410
    );
    // The new address logs in.
    assert_eq!(
        location(&site.log_in("budi.baru@example.id", PASSWORD).await).as_deref(),
        Some("/")
    );
}

#[tokio::test]
async fn account_pages_need_a_session_and_the_right_origin() {
    let site = Site::with_users(vec![("budi".into(), PASSWORD.into())]).await;
    for path in ["/account/password", "/account/contact"] {
        assert_eq!(
            location(&site.get(path).await).as_deref(),
            Some("/login"),
            "{path}"
        );
    }
    site.log_in("budi", PASSWORD).await;
    let forged = site
        .browser
        .post(format!("{}/account/password", site.issuer))
        .header("origin", "https://evil.test")
        .form(&[
            ("current", PASSWORD),
            ("password", "gajah terbang tinggi"),
            ("confirm", "gajah terbang tinggi"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    // `Origin: null` (what `Referrer-Policy: no-referrer` makes browsers send) counts as this
    // origin only with Fetch Metadata saying so.
    let form = [
        ("current", PASSWORD),
        ("password", "gajah terbang tinggi"),
        ("confirm", "gajah terbang tinggi"),
    ];
    let post = |site_header: Option<&'static str>| {
        let mut request = site
            .browser
            .post(format!("{}/account/password", site.issuer))
            .header("origin", "null")
            .form(&form);
        if let Some(value) = site_header {
            request = request.header("sec-fetch-site", value);
        }
        request.send()
    };
    assert_eq!(post(None).await.unwrap().status(), 403);
    assert_eq!(post(Some("cross-site")).await.unwrap().status(), 403);
    assert_eq!(post(Some("same-origin")).await.unwrap().status(), 200);
}
