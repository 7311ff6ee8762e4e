//! The two ways an app trusts Gerbang, side by side: `perizinan` behind the gateway (identity
//! headers and JWT), `berusaha` an OIDC client of the provider with its own session. Single
//! sign-on works in both directions, and logging out of either ends the other.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use gerbang_examples::relying_party::{self, RpConfig};
use gerbang_tests::browser::{self, follow};
use gerbang_tests::{Gerbang, Reserved, Spec};
use serde_json::Value;

const USER: &str = "budi";
const PASSWORD: &str = "kuda laut biru";
const SECRET: &str = "berusaha-secret-0123456789";

async fn wait_until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check().await {
        assert!(Instant::now() < deadline, "{what} within 5 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn sso_and_logout_in_both_directions() {
    let perizinan = Reserved::new("perizinan").await;
    let berusaha = Reserved::new("berusaha").await;
    let routes = format!(
        "[[route]]\nname = \"perizinan\"\nhost = \"perizinan.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\n\n\
         [[route]]\nname = \"berusaha\"\nhost = \"berusaha.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
        perizinan.addr, berusaha.addr
    );
    let extra = format!(
        "[captcha]\ntest_answer = \"{}\"\n\n[[client]]\nid = \"berusaha\"\nsecret = \"{SECRET}\"\n\
         redirect_uris = [\"https://berusaha.test:{{public_port}}/auth/callback\"]\n\
         backchannel_logout_uri = \"http://{}/auth/backchannel-logout\"\nfirst_party = true\n",
        browser::CAPTCHA_TEST_ANSWER,
        berusaha.addr
    );
    let gw = Gerbang::start(Spec {
        https: true,
        http: false,
        extra,
        users: vec![(USER.into(), PASSWORD.into())],
        ..Spec::http(routes)
    })
    .await;
    let issuer = gw.url(Gerbang::PROVIDER_HOST, "");
    let app1 = gw.url("perizinan.test", "");
    let app2 = gw.url("berusaha.test", "");
    let _perizinan = perizinan.serve(None);
    let _berusaha = berusaha.serve_router(relying_party::app(RpConfig {
        name: "berusaha".into(),
        issuer: issuer.clone(),
        client_id: "berusaha".into(),
        client_secret: SECRET.into(),
        origin: app2.clone(),
        http: gw.client(&[Gerbang::PROVIDER_HOST]),
        jwks: gw.jwks_source(),
    }));
    let browser = gw.client(&["perizinan.test", "berusaha.test", Gerbang::PROVIDER_HOST]);
    let user_at_berusaha = || async {
        browser::get_json(&browser, &format!("{app2}/whoami")).await["user"]["preferred_username"]
            .clone()
    };
    let user_at_perizinan = || async {
        let r = browser
            .get(format!("{app1}/whoami"))
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            r.json::<Value>().await.unwrap()["headers"]["x-gerbang-user"][0].clone()
        } else {
            Value::Null
        }
    };

    // Log in at perizinan (through the gateway); berusaha gets in without a login page.
    let callback =
        browser::log_in(&browser, &format!("{app1}/whoami"), &issuer, USER, PASSWORD).await;
    follow(&browser, &callback).await;
    assert_eq!(user_at_perizinan().await, USER);
    let landed = follow(&browser, &format!("{app2}/")).await;
    assert_eq!(
        landed.text().await.unwrap(),
        "berusaha: budi",
        "SSO into the OIDC client"
    );
    assert_eq!(user_at_berusaha().await, USER);

    // Logging out at perizinan ends berusaha's session (back-channel logout).
    browser
        .post(format!("{app1}/_gerbang/logout"))
        .send()
        .await
        .unwrap();
    wait_until("berusaha's session ended", async || {
        user_at_berusaha().await.is_null()
    })
    .await;

    // The other direction: log in at berusaha, perizinan follows silently.
    let callback = browser::log_in(&browser, &format!("{app2}/"), &issuer, USER, PASSWORD).await;
    assert!(
        callback.starts_with(&format!("{app2}/auth/callback")),
        "{callback}"
    );
    follow(&browser, &callback).await;
    assert_eq!(user_at_berusaha().await, USER);
    let at_perizinan = follow(&browser, &format!("{app1}/whoami")).await;
    assert_eq!(
        at_perizinan.json::<Value>().await.unwrap()["headers"]["x-gerbang-user"][0],
        USER,
        "SSO into the gateway's app"
    );

    // Logging out at berusaha (RP-initiated, with its ID token as hint) ends perizinan's.
    let out = follow(&browser, &format!("{app2}/logout")).await;
    assert_eq!(out.status(), 200);
    assert!(user_at_berusaha().await.is_null());
    wait_until("perizinan's session ended", async || {
        user_at_perizinan().await.is_null()
    })
    .await;
}
