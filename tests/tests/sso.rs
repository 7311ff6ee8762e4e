//! Single sign-on across two apps behind the gateway, and logout that ends both.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use gerbang_examples::identity::Verifier;
use gerbang_tests::browser::{self, follow, location};
use gerbang_tests::{App, Gerbang, Reserved, Spec};
use serde_json::Value;

const USER: &str = "budi";
const PASSWORD: &str = "kuda laut biru";

fn route(name: &str, app: std::net::SocketAddr) -> String {
    format!(
        "[[route]]\nname = \"{name}\"\nhost = \"{name}.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\nforward = [\"headers\", \"jwt\"]\n\n",
        app
    )
}

/// The site of these tests: HTTPS, the test captcha answer and `more` TOML, user `budi`.
fn spec(routes: String, more: &str) -> Spec {
    Spec {
        https: true,
        http: false,
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n{more}",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: vec![(USER.into(), PASSWORD.into())],
        ..Spec::http(routes)
    }
}

async fn whoami(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "{:?}", response.headers());
    response.json().await.unwrap()
}

#[tokio::test]
async fn one_login_serves_both_apps_and_logout_ends_both() {
    let (perizinan, berusaha) = (
        Reserved::new("perizinan").await,
        Reserved::new("berusaha").await,
    );
    let routes = [
        route("perizinan", perizinan.addr),
        route("berusaha", berusaha.addr),
    ];
    let gw = Gerbang::start(spec(routes.concat(), "")).await;
    // Both apps check the identity JWT against the provider's JWKS, as an app would.
    let issuer = gw.url(Gerbang::PROVIDER_HOST, "");
    let _apps = [
        perizinan.serve(Some(Verifier::new(&issuer, "perizinan", gw.jwks_source()))),
        berusaha.serve(Some(Verifier::new(&issuer, "berusaha", gw.jwks_source()))),
    ];
    let browser = gw.client(&["perizinan.test", "berusaha.test", Gerbang::PROVIDER_HOST]);
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let app1 = gw.url("perizinan.test", "");
    let app2 = gw.url("berusaha.test", "");

    // App 1: redirected to log in, once.
    let callback = browser::log_in(
        &browser,
        &format!("{app1}/whoami"),
        &provider,
        USER,
        PASSWORD,
    )
    .await;
    assert!(
        callback.starts_with(&format!("{app1}/_gerbang/callback?")),
        "{callback}"
    );
    let landed = browser.get(&callback).send().await.unwrap();
    assert_eq!(
        location(&landed).as_deref(),
        Some("/whoami"),
        "back where the user was going"
    );
    let seen = whoami(follow(&browser, &format!("{app1}/whoami")).await).await;
    assert_eq!(seen["app"], "perizinan");
    assert_eq!(seen["headers"]["x-gerbang-user"][0], USER);
    assert_eq!(seen["headers"]["x-gerbang-email"][0], "budi@example.test");
    assert_eq!(seen["headers"]["x-gerbang-name"][0], "Pengguna+budi");
    let jwt = seen["headers"]["x-gerbang-identity"][0].as_str().unwrap();
    let claims: Value = {
        use base64::Engine;
        let payload = jwt.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        claims["aud"], "perizinan",
        "the identity JWT is bound to the route"
    );
    assert_eq!(claims["preferred_username"], USER);
    // Signed once, then sent again while at least half its life is left.
    let again = whoami(follow(&browser, &format!("{app1}/whoami")).await).await;
    assert_eq!(again["headers"]["x-gerbang-identity"][0], jwt);
    assert_eq!(again["identity"]["verified"], true, "{}", again["identity"]);

    // App 2 on another host: in without a login page (single sign-on).
    let first = browser
        .get(format!("{app2}/whoami"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let authorize = location(&first).unwrap();
    assert!(authorize.starts_with(&format!("{provider}/authorize?")));
    let silent = browser.get(&authorize).send().await.unwrap();
    let callback = location(&silent).unwrap();
    assert!(
        callback.starts_with(&format!("{app2}/_gerbang/callback?")),
        "no login page: {callback}"
    );
    browser.get(&callback).send().await.unwrap();
    let seen = whoami(follow(&browser, &format!("{app2}/whoami")).await).await;
    assert_eq!(seen["app"], "berusaha");
    assert_eq!(seen["headers"]["x-gerbang-user"][0], USER);
    let jwt2 = seen["headers"]["x-gerbang-identity"][0].as_str().unwrap();
    assert_eq!(seen["identity"]["verified"], true, "{}", seen["identity"]);
    assert_eq!(seen["identity"]["claims"]["aud"], "berusaha");
    assert_ne!(jwt, jwt2);

    // Logging out needs a POST: a GET only asks.
    let ask = browser
        .get(format!("{app2}/_gerbang/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(ask.status(), 200);
    assert!(ask.text().await.unwrap().contains("method=\"post\""));
    assert_eq!(
        whoami(follow(&browser, &format!("{app2}/whoami")).await).await["app"],
        "berusaha",
        "still logged in"
    );
    // A post from another site's page is refused (cross-site logout, issue 16, item 8).
    let cross_site = browser
        .post(format!("{app2}/_gerbang/logout"))
        .header("origin", "https://evil.test")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403);
    assert_eq!(
        whoami(follow(&browser, &format!("{app2}/whoami")).await).await["app"],
        "berusaha",
        "still logged in"
    );
    let out = browser
        .post(format!("{app2}/_gerbang/logout"))
        .header("origin", &app2)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 303);

    // App 2 asks for login at once; app 1 within 5 s, and the provider shows its login page.
    let again = browser
        .get(format!("{app2}/whoami"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 302);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let response = browser
            .get(format!("{app1}/whoami"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        if response.status() == 302 {
            let authorize = location(&response).unwrap();
            let at_provider = browser.get(&authorize).send().await.unwrap();
            assert!(
                location(&at_provider).unwrap().starts_with("/login"),
                "the provider session ended too"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "app 1 still logged in 5 s after logout"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_forged_or_foreign_session_cookie_gets_nowhere() {
    let app = App::start("perizinan").await;
    let gw = Gerbang::start(Spec {
        https: true,
        http: false,
        ..Spec::http(route("perizinan", app.addr))
    })
    .await;
    let client = gw.client(&["perizinan.test"]);
    for cookie in [
        "__Host-gerbang-session=AAAA",
        "__Host-gerbang-session=",
        "__Host-gerbang-session=%ZZ",
    ] {
        let response = client
            .get(gw.url("perizinan.test", "/whoami"))
            .header("cookie", cookie)
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{cookie}");
    }
    // A callback without its pending-login cookie is refused with a page, never a session.
    let response = client
        .get(gw.url("perizinan.test", "/_gerbang/callback?code=x&state=y"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("set-cookie").is_none());
}

/// The gateway session ends after the idle timeout like the provider's (issue 16, item 3): a
/// browser that keeps using the app stays in (its cookie is sealed again with a newer time
/// every quarter of the timeout), one left alone for longer than the timeout is sent to log in.
#[tokio::test]
async fn an_idle_gateway_session_ends_and_an_active_one_goes_on() {
    let app = App::start("perizinan").await;
    let idle = "\n[session]\nidle_timeout_mins = 1\n";
    let gw = Gerbang::start(spec(route("perizinan", app.addr), idle)).await;
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let app_url = gw.url("perizinan.test", "/whoami");
    let hosts = ["perizinan.test", Gerbang::PROVIDER_HOST];
    let (active, idle) = (gw.client(&hosts), gw.client(&hosts));
    for browser in [&active, &idle] {
        let response = browser::log_in_to_app(browser, &app_url, &provider, USER, PASSWORD).await;
        assert_eq!(response.status(), 302);
        assert_eq!(
            whoami(browser.get(&app_url).send().await.unwrap()).await["app"],
            "perizinan"
        );
    }
    let started = Instant::now();
    let mut refreshed = 0;
    while started.elapsed() < Duration::from_secs(75) {
        tokio::time::sleep(Duration::from_secs(10)).await;
        let response = active.get(&app_url).send().await.unwrap();
        refreshed += response.headers().get_all("set-cookie").iter().count();
        assert_eq!(
            whoami(response).await["app"],
            "perizinan",
            "active after {:?}",
            started.elapsed()
        );
    }
    assert!(
        refreshed >= 2,
        "the cookie was sealed again {refreshed} times"
    );
    let response = idle
        .get(&app_url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        302,
        "75 s idle with a one-minute timeout"
    );
    assert!(location(&response).unwrap().starts_with(&provider));
}

/// A signing key rotated in while the gateway runs (taken up at its key refresh) signs ID
/// tokens that the gateway's own login accepts: it verifies them with the keys it publishes
/// now. Its relying party kept the keys it started with, so once a rotated key signed, every
/// login through the gateway was answered 400 at the callback (found by the soak, during
/// upgrades: the old process drained past the new key's start).
#[tokio::test]
async fn a_login_after_a_key_rotation_verifies_with_the_new_key() {
    let perizinan = Reserved::new("perizinan").await;
    let gw = Gerbang::start(spec(route("perizinan", perizinan.addr), "")).await;
    let _app = perizinan.serve(None);
    let (ok, out, err) = gw.admin(
        &["keys", "rotate", "--alg", "RS256", "--delay-secs", "2"],
        "",
    );
    assert!(ok, "{err}");
    let kid = out.split_whitespace().nth(3).unwrap().trim_end_matches(',');
    // The server takes stored keys up every `serve::KEY_REFRESH` (10 s).
    let http = gw.client(&[Gerbang::PROVIDER_HOST]);
    let jwks = gw.url(Gerbang::PROVIDER_HOST, "/jwks");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !http
        .get(&jwks)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains(kid)
    {
        assert!(Instant::now() < deadline, "{kid} not published");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // Past the new key's start (2 s after the rotation, a second later than any key before
    // it), so that it is the one that signs.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let browser = gw.client(&["perizinan.test", Gerbang::PROVIDER_HOST]);
    let app = gw.url("perizinan.test", "/whoami");
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let back = browser::log_in_to_app(&browser, &app, &provider, USER, PASSWORD).await;
    assert_eq!(back.status(), 302, "the callback: {:?}", back.headers());
    let me = whoami(follow(&browser, &app).await).await;
    assert_eq!(me["headers"]["x-gerbang-user"][0], USER, "{me}");
}
