//! Step-up on the real binary (issue 19): a route whose rules want two factors, and a client
//! that asks for them with `acr_values`. A session that proved only a password is asked for
//! the missing factor, never the password again; a user without a factor sets one up on the
//! way and lands in the app; tokens say what the session proved (`acr`, `amr`); a bearer token
//! below the route's strength gets RFC 9470's answer; `prompt=none` and `max_age` keep their
//! meaning.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gerbang_tests::authenticator::set_up_on_the_way;
use gerbang_tests::browser::{self, follow, hidden_field, location};
use gerbang_tests::site::{Site, MAIL_WAIT};
use gerbang_tests::{App, Gerbang};
use serde_json::{json, Value};

const PASSWORD: &str = "kuda laut biru";
const API: &str = "perizinan-api";
const API_REDIRECT: &str = "https://rp.test/cb";
const TWO_FACTOR: &str = "urn:gerbang:acr:two-factor";
const PASSWORD_ONLY: &str = "urn:gerbang:acr:password-captcha";
use browser::{PKCE_CHALLENGE as CHALLENGE, PKCE_VERIFIER as VERIFIER};

/// `rahasia.test`: two factors or nothing, for browsers and for `API`'s tokens.
fn route(app: std::net::SocketAddr) -> String {
    format!(
        "[[route]]\nname = \"rahasia\"\ntitle = \"Rahasia\"\nhost = \"rahasia.test\"\nupstreams = [\"{app}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\napi_clients = [\"{API}\"]\n\n[[route.rule]]\neffect = \"allow\"\nacr = \"two_factor\"\n"
    )
}

async fn start() -> (Site, App) {
    let app = App::start("rahasia").await;
    let smtp = gerbang_tests::smtp::SmtpServer::start().await;
    let users = ["budi", "sari"].map(|u| (u.to_string(), PASSWORD.to_string()));
    let mut spec = Site::spec(&smtp, route(app.addr), users.to_vec());
    spec.extra.push_str(&format!(
        "\n[[client]]\nid = \"{API}\"\nsecret = \"{API}-secret-0123456789\"\nredirect_uris = [\"{API_REDIRECT}\"]\nfirst_party = true\n"
    ));
    (Site::around(Gerbang::start(spec).await, smtp), app)
}

fn browser_for(site: &Site) -> reqwest::Client {
    site.gw.client(&["rahasia.test", Gerbang::PROVIDER_HOST])
}

/// A browser with a provider session that proved `user`'s password.
async fn logged_in(site: &Site, user: &str) -> reqwest::Client {
    let browser = browser_for(site);
    let answer = browser::submit_login(&browser, &site.issuer, user, PASSWORD, None).await;
    assert_eq!(location(&answer).as_deref(), Some("/"), "{user} logged in");
    browser
}

/// `API`'s authorization request in `browser`'s session, with `extra` parameters.
async fn authorize(site: &Site, browser: &reqwest::Client, extra: &str) -> reqwest::Response {
    let url = format!(
        "{}/authorize?client_id={API}&response_type=code&scope=openid&state=s&nonce=n&redirect_uri={API_REDIRECT}&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        site.issuer
    );
    browser.get(url).send().await.unwrap()
}

/// The tokens for the code in the provider's `answer`.
async fn redeem(site: &Site, answer: &reqwest::Response) -> Value {
    let token_url = format!("{}/token", site.issuer);
    let client = browser::CodeClient {
        token_url: &token_url,
        id: API,
        secret: &format!("{API}-secret-0123456789"),
        redirect_uri: API_REDIRECT,
        verifier: VERIFIER,
    };
    client.redeem(&site.browser, answer).await
}

fn jwt_claims(jwt: &str) -> Value {
    gerbang_tests::op::jwt_part(jwt, 1)
}

/// GETs `url` as a page: the answer, not followed.
async fn open(browser: &reqwest::Client, url: &str) -> reqwest::Response {
    browser
        .get(url)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_route_and_a_client_that_want_two_factors_ask_only_for_the_missing_one() {
    let (site, _app) = start().await;
    let whoami = site.gw.url("rahasia.test", "/whoami");
    let discovery: Value = site
        .browser
        .get(format!("{}/.well-known/openid-configuration", site.issuer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["acr_values_supported"],
        json!([PASSWORD_ONLY, TWO_FACTOR, "urn:gerbang:acr:passkey"])
    );

    // A session from before budi had a second factor: it proved his password only.
    let earlier = logged_in(&site, "budi").await;

    // Budi, without a factor, opens the app: after his password, the gateway asks the
    // provider for two factors, and the provider has him set up an app on the way.
    let phone = browser_for(&site);
    let callback = browser::log_in(&phone, &whoami, &site.issuer, "budi", PASSWORD).await;
    let back_in_app = phone.get(&callback).send().await.unwrap();
    assert_eq!(location(&back_in_app).as_deref(), Some("/whoami"));
    let refused = open(&phone, &whoami).await;
    assert_eq!(refused.status(), 302, "a password session is not enough");
    let again = location(&refused).unwrap();
    assert!(
        again.contains(&format!("acr_values={}", TWO_FACTOR.replace(':', "%3A"))),
        "{again}"
    );
    let setup = follow(&phone, &again).await.text().await.unwrap();
    assert!(
        setup.contains("Aplikasi yang Anda buka meminta verifikasi dua langkah"),
        "{setup}"
    );
    let (codes_page, resumed) = set_up_on_the_way(&phone, &site.issuer, &setup).await;
    assert!(
        codes_page.contains("action=\"/authorize/resume\""),
        "{codes_page}"
    );
    assert!(codes_page.contains("Lanjutkan ke aplikasi"), "{codes_page}");
    let recovery: Vec<&str> = codes_page
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap())
        .collect();
    assert_eq!(recovery.len(), 10);
    let callback = resumed.expect("back to the app with a code");
    assert!(callback.contains("/_gerbang/callback?"), "{callback}");
    let app = follow(&phone, &callback).await;
    assert_eq!(app.status(), 200, "in the app with two factors");

    // The earlier session opens the app: only the missing factor is asked for (no password
    // field), and a recovery code is one; the owner is mailed about it.
    let refused = follow(&earlier, &whoami).await;
    assert_eq!(refused.status(), 200);
    let step = refused.text().await.unwrap();
    assert!(step.contains("action=\"/login/second-factor\""), "{step}");
    assert!(!step.contains("name=\"password\""), "{step}");
    let answer = earlier
        .post(format!("{}/login/second-factor", site.issuer))
        .form(&[
            ("ticket", hidden_field(&step, "ticket").unwrap().as_str()),
            ("code", recovery[0]),
        ])
        .send()
        .await
        .unwrap();
    let callback = location(&answer).expect("back to the app");
    assert_eq!(follow(&earlier, &callback).await.status(), 200);
    let mails = site.smtp.wait_for("budi@example.test", 1, MAIL_WAIT).await;
    assert!(mails
        .iter()
        .any(|m| m.subject.starts_with("Kode pemulihan dipakai")));

    // A client asking for two factors of that session gets a code at once; the tokens say
    // what was proved, and the access token passes the route.
    let answer = authorize(&site, &earlier, &format!("&acr_values={TWO_FACTOR}")).await;
    let tokens = redeem(&site, &answer).await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["acr"], TWO_FACTOR);
    assert_eq!(id_token["amr"], json!(["pwd", "otp", "mfa"]));
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(jwt_claims(access)["acr"], TWO_FACTOR);
    let api = site.gw.client(&["rahasia.test"]);
    let answer = api.get(&whoami).bearer_auth(access).send().await.unwrap();
    assert_eq!(answer.status(), 200);

    // `max_age` still wants a fresh login, password and all.
    let answer = authorize(
        &site,
        &earlier,
        &format!("&acr_values={TWO_FACTOR}&max_age=0"),
    )
    .await;
    assert!(location(&answer).unwrap().starts_with("/login?request="));

    // Sari proved a password only: her tokens say so, and the route refuses her token with
    // RFC 9470's answer, naming the strength to ask for.
    let sari = logged_in(&site, "sari").await;
    let tokens = redeem(&site, &authorize(&site, &sari, "").await).await;
    let id_token = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["acr"], PASSWORD_ONLY);
    assert_eq!(id_token["amr"], json!(["pwd"]));
    let access = tokens["access_token"].as_str().unwrap();
    let answer = api.get(&whoami).bearer_auth(access).send().await.unwrap();
    assert_eq!(answer.status(), 401);
    let challenge = answer.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.contains("error=\"insufficient_user_authentication\"")
            && challenge.contains(&format!("acr_values=\"{TWO_FACTOR}\"")),
        "{challenge}"
    );
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_user_authentication");

    // Without a page to show (`prompt=none`), a session too weak is `interaction_required`.
    let answer = authorize(
        &site,
        &sari,
        &format!("&acr_values={TWO_FACTOR}&prompt=none"),
    )
    .await;
    let back = location(&answer).unwrap();
    assert!(
        back.starts_with(API_REDIRECT) && back.contains("error=interaction_required"),
        "{back}"
    );
    // Values Gerbang does not assert are ignored, as the parameter is voluntary.
    let answer = authorize(&site, &sari, "&acr_values=urn:other:gold").await;
    assert!(location(&answer).unwrap().contains("code="));
}
