//! No account enumeration: registration, "Lupa Password?" and the activation resend answer an
//! address that has an account and one that has none with the same status, the same page and,
//! within noise, the same time (the account work happens after the answer).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use gerbang_tests::browser::{self, hidden_field};
use gerbang_tests::site::{address_blanked, borrowed, ktp, nik, Site, MAIL_WAIT};

const ROUNDS: usize = 12;

/// Posts `fields` to the form at `path` (captcha answered) and times the POST alone.
async fn timed(site: &Site, path: &str, fields: &[(&str, &str)]) -> (u16, String, Duration) {
    let page = site.get(path).await.text().await.unwrap();
    let token = hidden_field(&page, "captcha_token").unwrap();
    let mut form = vec![
        ("captcha_token", token.as_str()),
        ("captcha", browser::CAPTCHA_TEST_ANSWER),
    ];
    form.extend_from_slice(fields);
    let started = Instant::now();
    let response = site
        .browser
        .post(format!("{}{path}", site.issuer))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    (status, body, started.elapsed())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Runs `known(i)` and `unknown(i)` alternately; both answer alike, and their median times
/// differ by less than 25 ms.
async fn assert_indistinguishable(
    site: &Site,
    path: &str,
    known: impl Fn(usize) -> Vec<(&'static str, String)>,
    unknown: impl Fn(usize) -> Vec<(&'static str, String)>,
) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let mut answers = Vec::new();
    for i in 0..ROUNDS {
        let (sa, pa, ta) = timed(site, path, &borrowed(&known(i))).await;
        let (sb, pb, tb) = timed(site, path, &borrowed(&unknown(i))).await;
        // Alike but for the address each names (which its own visitor typed).
        assert_eq!(
            address_blanked(&(sa, pa)),
            address_blanked(&(sb, pb)),
            "{path}: the same status and page"
        );
        answers.push(sa);
        a.push(ta);
        b.push(tb);
    }
    assert!(answers.iter().all(|s| *s == 200));
    let (ma, mb) = (median(a), median(b));
    let gap = ma.abs_diff(mb);
    eprintln!("{path}: median {ma:?} with an account, {mb:?} without");
    assert!(
        gap < Duration::from_millis(25),
        "{path}: medians {ma:?} (account) and {mb:?} (none) differ by {gap:?}"
    );
}

#[tokio::test]
async fn registration_forgot_password_and_resend_reveal_no_account() {
    let site = Site::with_users(vec![("budi".into(), "kuda laut biru".into())]).await;
    // A pending account for the resend form.
    site.register(&borrowed(&ktp("pending@example.id", &nik(900))))
        .await;
    site.smtp.wait_for("pending@example.id", 1, MAIL_WAIT).await;

    assert_indistinguishable(
        &site,
        "/register",
        |i| ktp("budi@example.test", &nik(i)),
        |i| ktp(&format!("new{i}@example.id"), &nik(100 + i)),
    )
    .await;
    assert_indistinguishable(
        &site,
        "/forgot-password",
        |_| vec![("email", "budi@example.test".into())],
        |i| vec![("email", format!("nobody{i}@example.id"))],
    )
    .await;
    assert_indistinguishable(
        &site,
        "/activate/resend",
        |_| vec![("email", "pending@example.id".into())],
        |i| vec![("email", format!("nobody{i}@example.id"))],
    )
    .await;
}
