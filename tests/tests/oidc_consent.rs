//! The provider's own pages a relying party sends people to: login errors and consent for third
//! party clients.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::browser::{self, location};
use gerbang_tests::op::*;

// ---------------------------------------------------------------------------------------------
// Pages and consent
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn failed_login_keeps_the_user_name_and_shows_the_helpdesk() {
    let op = Op::start().await;
    let page = browser::submit_login(&op.browser, &op.issuer, USER, "salah sekali", None)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Username atau password salah."));
    assert!(
        page.contains(&format!("value=\"{USER}\"")),
        "the user name is kept"
    );
    assert!(
        !page.contains("salah sekali"),
        "the password is never shown again"
    );
    assert!(
        page.contains("Layanan OSS") || page.contains("Hubungi"),
        "helpdesk block"
    );
    let _ = &op.gw;
}

/// A client that is not first-party gets a code only after the user agreed, once.
#[tokio::test]
async fn consent_for_third_party_clients() {
    let op = Op::start().await;
    let client = op.client().await;
    op.log_in_tokens(&client).await;
    let partner = |extra: &str| {
        format!("{}/authorize?client_id=partner&response_type=code&scope=openid+email&state=ps&redirect_uri=https%3A%2F%2Fpartner.test%2Fcb{extra}", op.issuer)
    };
    assert_eq!(
        query(&location(&op.silent(&partner("&prompt=none")).await).unwrap())["error"],
        "consent_required"
    );
    let page = op.silent(&partner("")).await;
    assert_eq!(page.status(), 200, "a consent page, not a redirect");
    let html = page.text().await.unwrap();
    // The client's name, the data each scope releases in words, and whose account.
    assert!(
        html.contains("Mitra") && html.contains("Alamat e-mail"),
        "{html}"
    );
    assert!(html.contains(&format!("<strong>{USER}</strong>")), "{html}");
    let request = browser::hidden_field(&html, "request").unwrap();
    let answer = |decision: &'static str, request: String| {
        let browser = op.browser.clone();
        let url = format!("{}/consent", op.issuer);
        async move {
            browser
                .post(url)
                .form(&[("request", request.as_str()), ("decision", decision)])
                .send()
                .await
                .unwrap()
        }
    };
    let denied = query(&location(&answer("deny", request.clone()).await).unwrap());
    assert_eq!(denied["error"], "access_denied");
    assert_eq!(denied["state"], "ps");
    let allowed = query(&location(&answer("allow", request).await).unwrap());
    assert!(allowed.contains_key("code"));
    // Remembered: no page next time, unless the client asks with prompt=consent.
    assert!(query(&location(&op.silent(&partner("")).await).unwrap()).contains_key("code"));
    assert_eq!(op.silent(&partner("&prompt=consent")).await.status(), 200);
    // A forged origin cannot answer for the user.
    let forged = op
        .browser
        .post(format!("{}/consent", op.issuer))
        .header("origin", "https://evil.test")
        .form(&[("request", "x"), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 400);
}
