//! Access rules on the real binary (issue 18): two users in different groups, three routes,
//! each sees what the rules allow; path spellings cannot slip past a denied prefix; a grant
//! and a revocation through the running server's admin socket decide within a second.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use gerbang_tests::browser::{self, follow};
use gerbang_tests::{App, Gerbang, Spec};
use serde_json::Value;

const PASSWORD: &str = "kuda laut biru";
/// A client whose access tokens the routes accept as bearer tokens.
const API: &str = "perizinan-api";
const API_REDIRECT: &str = "https://rp.test/cb";

use browser::{PKCE_CHALLENGE as CHALLENGE, PKCE_VERIFIER as VERIFIER};

/// `client`'s authorization request for `scope` in `browser`'s session: the provider's answer.
async fn authorize(
    gw: &Gerbang,
    browser: &reqwest::Client,
    client: &str,
    scope: &str,
) -> reqwest::Response {
    let authorize = gw.url(
        Gerbang::PROVIDER_HOST,
        &format!("/authorize?client_id={client}&response_type=code&scope={scope}&state=s&redirect_uri={API_REDIRECT}&code_challenge={CHALLENGE}&code_challenge_method=S256"),
    );
    browser.get(authorize).send().await.unwrap()
}

/// The tokens `client` gets for the code in the provider's `answer`.
async fn redeem(gw: &Gerbang, client: &str, answer: &reqwest::Response) -> Value {
    let (token_url, secret) = (gw.url(Gerbang::PROVIDER_HOST, "/token"), secret(client));
    let client = browser::CodeClient {
        token_url: &token_url,
        id: client,
        secret: &secret,
        redirect_uri: API_REDIRECT,
        verifier: VERIFIER,
    };
    client
        .redeem(&gw.client(&[Gerbang::PROVIDER_HOST]), answer)
        .await
}

/// The claims of a JWT (its signature is the provider's concern, tested elsewhere).
fn jwt_claims(jwt: &str) -> Value {
    gerbang_tests::op::jwt_part(jwt, 1)
}

fn secret(client: &str) -> String {
    format!("{client}-secret-0123456789")
}

/// An access token of `API` for the user logged in to `browser`.
async fn access_token(gw: &Gerbang, browser: &reqwest::Client) -> String {
    let answer = authorize(gw, browser, API, "openid").await;
    let tokens = redeem(gw, API, &answer).await;
    tokens["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}

/// `perizinan` for business users (its `/internal` closed to all), `admin` for admins from
/// loopback, `portal` for everyone logged in.
fn routes(app: std::net::SocketAddr) -> String {
    let route = |name: &str, rules: &str| {
        format!(
            "[[route]]\nname = \"{name}\"\ntitle = \"App {name}\"\nhost = \"{name}.test\"\nupstreams = [\"{app}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\napi_clients = [\"{API}\"]\n\n{rules}"
        )
    };
    [
        route(
            "perizinan",
            "[[route.rule]]\neffect = \"deny\"\npaths = [\"/internal\"]\n\n\
             [[route.rule]]\neffect = \"allow\"\ngroups = [\"pelaku-usaha\"]\n\n",
        ),
        route(
            "admin",
            "[[route.rule]]\neffect = \"allow\"\ngroups = [\"admin\"]\nnetworks = [\"127.0.0.0/8\", \"::1\"]\n\n",
        ),
        route("portal", ""),
    ]
    .concat()
}

/// A first-party client of the provider, its redirect `API_REDIRECT`.
fn client(id: &str, extra: &str) -> String {
    format!(
        "\n[[client]]\nid = \"{id}\"\nsecret = \"{}\"\nredirect_uris = [\"{API_REDIRECT}\"]\nfirst_party = true\n{extra}",
        secret(id)
    )
}

async fn start() -> (Gerbang, App) {
    let app = App::start("app").await;
    let gw = Gerbang::start(Spec {
        https: true,
        http: false,
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n\n\
             [[group]]\nname = \"pelaku-usaha\"\ntitle = \"Pelaku Usaha\"\n\n\
             [[group]]\nname = \"admin\"\n\n\
             {}{}{}",
            browser::CAPTCHA_TEST_ANSWER,
            client(API, ""),
            // Learns only the business groups, whatever else a user is in.
            client(
                "laporan",
                "groups = [\"pelaku-*\"]\nscopes = [\"openid\", \"groups\"]\n"
            ),
            // Lets in administrators only.
            client("konsol", "required_groups = [\"admin\"]\n"),
        ),
        users: vec![
            ("budi".into(), PASSWORD.into()),
            ("sari".into(), PASSWORD.into()),
        ],
        ..Spec::http(routes(app.addr))
    })
    .await;
    (gw, app)
}

/// A browser logged in as `user` (through the portal, which lets everyone in).
async fn browser_of(gw: &Gerbang, user: &str) -> reqwest::Client {
    let browser = gw.client(&[
        "perizinan.test",
        "admin.test",
        "portal.test",
        Gerbang::PROVIDER_HOST,
    ]);
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let portal = gw.url("portal.test", "/whoami");
    let callback = browser::log_in(&browser, &portal, &provider, user, PASSWORD).await;
    browser.get(&callback).send().await.unwrap();
    assert_eq!(
        follow(&browser, &portal).await.status(),
        200,
        "{user} is in"
    );
    browser
}

fn grant(gw: &Gerbang, user: &str, group: &str) {
    let (ok, out, err) = gw.admin(&["groups", "grant", user, group], "");
    assert!(ok, "{out}{err}");
}

/// The status of a browser's GET, following the SSO hops.
async fn status(browser: &reqwest::Client, url: &str) -> u16 {
    follow(browser, url).await.status().as_u16()
}

#[tokio::test]
async fn two_users_in_different_groups_see_what_the_rules_allow() {
    let (gw, _app) = start().await;
    grant(&gw, "budi", "pelaku-usaha");
    grant(&gw, "sari", "admin");
    // Grants reach the proxy's decisions within a second (the other test measures it).
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (budi, sari) = (browser_of(&gw, "budi").await, browser_of(&gw, "sari").await);
    let url = |host: &str, path: &str| gw.url(host, path);

    for (who, browser, perizinan, admin, portal) in [
        ("budi", &budi, 200, 403, 200),
        ("sari", &sari, 403, 200, 200),
    ] {
        assert_eq!(
            status(browser, &url("perizinan.test", "/whoami")).await,
            perizinan,
            "{who}"
        );
        assert_eq!(
            status(browser, &url("admin.test", "/whoami")).await,
            admin,
            "{who}"
        );
        assert_eq!(
            status(browser, &url("portal.test", "/whoami")).await,
            portal,
            "{who}"
        );
    }

    // The app learns the groups its rules name, from the gateway only: what the client sent
    // under that name, in any spelling, is gone.
    let seen: Value = budi
        .get(url("perizinan.test", "/whoami"))
        .header("X-Gerbang-Groups", "admin")
        .header("x-gerbang-groups", "admin,pejabat")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["headers"]["x-gerbang-groups"],
        serde_json::json!(["pelaku-usaha"]),
        "{seen}"
    );
    let portal: Value = follow(&sari, &url("portal.test", "/whoami"))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        portal["headers"].get("x-gerbang-groups").is_none(),
        "a route without rules sees none: {portal}"
    );

    // The browser's 403 page: who is logged in, which app, whom to ask, the request code.
    let refused = follow(&budi, &url("admin.test", "/whoami")).await;
    let request_id = refused.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let page = refused.text().await.unwrap();
    assert!(page.contains("Akses ditolak"), "{page}");
    assert!(
        page.contains("<strong>budi</strong>") && page.contains("<strong>App admin</strong>"),
        "{page}"
    );
    assert!(
        page.contains("administrator") && page.contains(&request_id),
        "{page}"
    );
    let english = budi
        .get(url("admin.test", "/whoami"))
        .header("accept", "text/html")
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert!(english.text().await.unwrap().contains("Access denied"));

    // An API call gets RFC 6750's answer.
    let api = budi
        .get(url("admin.test", "/whoami"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 403);
    let challenge = api.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.contains("error=\"insufficient_scope\""),
        "{challenge}"
    );
    let body: Value = api.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");

    // Every spelling of the denied prefix is refused (or not a path at all), never proxied.
    for path in [
        "/internal",
        "/INTERNAL",
        "/Internal/x",
        "/internal./x",
        "/internal%20/x",
        "/%69nternal",
        "/x/../internal",
        "//internal",
        "/./internal",
        "/internal;x=1",
        "/internal/",
    ] {
        let status = status(&budi, &url("perizinan.test", path)).await;
        assert!(status == 403 || status == 400, "{path}: {status}");
    }
    let other = status(&budi, &url("perizinan.test", "/internals")).await;
    assert!(
        other != 403 && other != 400,
        "another path reaches the app: {other}"
    );
}

#[tokio::test]
async fn a_grant_and_a_revocation_decide_within_a_second() {
    let (gw, _app) = start().await;
    let sari = browser_of(&gw, "sari").await;
    let app = gw.url("perizinan.test", "/whoami");
    // The same user as an API client's bearer token, issued before any grant.
    let token = access_token(&gw, &sari).await;
    let api = gw.client(&["perizinan.test"]);
    let with_token = || async {
        let answer = api.get(&app).bearer_auth(&token).send().await.unwrap();
        answer.status().as_u16()
    };
    assert_eq!(status(&sari, &app).await, 403);
    assert_eq!(with_token().await, 403);

    let granted = Instant::now();
    grant(&gw, "sari", "pelaku-usaha");
    tokio::time::sleep_until((granted + Duration::from_secs(1)).into()).await;
    assert_eq!(
        status(&sari, &app).await,
        200,
        "the grant holds a second later"
    );
    assert_eq!(with_token().await, 200, "for the bearer token too");

    let revoked = Instant::now();
    let (ok, out, err) = gw.admin(&["groups", "revoke", "sari", "pelaku-usaha"], "");
    assert!(ok && out.contains("no longer"), "{out}{err}");
    tokio::time::sleep_until((revoked + Duration::from_secs(1)).into()).await;
    assert_eq!(
        status(&sari, &app).await,
        403,
        "the revocation holds a second later"
    );
    assert_eq!(with_token().await, 403, "for the bearer token too");

    // Who granted what, and the refusals of what is not there.
    let (ok, out, _) = gw.admin(&["groups", "list"], "");
    assert!(
        ok && out.contains("pelaku-usaha") && out.contains("Pelaku Usaha"),
        "{out}"
    );
    let (ok, _, err) = gw.admin(&["groups", "grant", "sari", "pejabat"], "");
    assert!(!ok && err.contains("not a declared [[group]]"), "{err}");
    let (ok, _, err) = gw.admin(&["groups", "revoke", "sari", "pelaku-usaha"], "");
    assert!(!ok && err.contains("not in group"), "{err}");
    let (ok, _, err) = gw.admin(
        &["groups", "grant", "sari", "admin", "--until", "2001-01-01"],
        "",
    );
    assert!(!ok && err.contains("before it begins"), "{err}");
    let (ok, out, err) = gw.admin(
        &["groups", "grant", "sari", "admin", "--until", "2099-06-30"],
        "",
    );
    assert!(
        ok && out.contains("until 2099-07-01 00:00 WIB"),
        "{out}{err}"
    );
    let (ok, out, _) = gw.admin(&["groups", "show", "admin"], "");
    assert!(
        ok && out.contains("sari") && out.contains("command-line"),
        "{out}"
    );
    // A rule tried from the shell: the decision and the rule that made it.
    let check = |user: &str, path: &str| {
        let args = [
            "access",
            "check",
            "--user",
            user,
            "--route",
            "perizinan",
            "--path",
            path,
            "--method",
            "post",
        ];
        let (ok, out, err) = gw.admin(&args, "");
        assert!(ok, "{err}");
        out.trim().to_string()
    };
    assert_eq!(
        check("budi", "/internal/x"),
        "deny POST /internal/x on perizinan: by its rule[0]"
    );
    assert_eq!(
        check("sari", "/izin"),
        "deny POST /izin on perizinan: by the route's default: no rule matched"
    );
    grant(&gw, "sari", "pelaku-usaha");
    assert_eq!(
        check("sari", "/izin"),
        "allow POST /izin on perizinan: by its rule[1]"
    );
    let (ok, out, _) = gw.admin(&["audit", "--limit", "50"], "");
    assert!(
        ok && out.contains("group.granted") && out.contains("group.revoked"),
        "{out}"
    );
}

/// OIDC clients: the `groups` claim within the client's limit, and a client that requires a
/// group sends everyone else back with `access_denied` after saying why.
#[tokio::test]
async fn clients_learn_only_their_groups_and_may_require_one() {
    let (gw, _app) = start().await;
    grant(&gw, "budi", "pelaku-usaha");
    grant(&gw, "budi", "admin");
    let (budi, sari) = (browser_of(&gw, "budi").await, browser_of(&gw, "sari").await);

    let tokens = redeem(
        &gw,
        "laporan",
        &authorize(&gw, &budi, "laporan", "openid%20groups").await,
    )
    .await;
    let claims = jwt_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        claims["groups"],
        serde_json::json!(["pelaku-usaha"]),
        "not `admin`: {claims}"
    );
    let userinfo: Value = gw
        .client(&[Gerbang::PROVIDER_HOST])
        .get(gw.url(Gerbang::PROVIDER_HOST, "/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        userinfo["groups"],
        serde_json::json!(["pelaku-usaha"]),
        "{userinfo}"
    );
    // A client with no groups to learn is not given the scope, whatever it asks.
    let answer = authorize(&gw, &budi, API, "openid%20groups").await;
    let tokens = redeem(&gw, API, &answer).await;
    assert!(
        !tokens["scope"]
            .as_str()
            .unwrap_or_default()
            .contains("groups"),
        "{tokens}"
    );
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(jwt_claims(id_token).get("groups"), None);

    // An administrator gets a code; anyone else a page that says why, then access_denied.
    let admitted = authorize(&gw, &budi, "konsol", "openid").await;
    assert!(browser::location(&admitted).unwrap().contains("code="));
    let refused = authorize(&gw, &sari, "konsol", "openid").await;
    assert_eq!(refused.status(), 403);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("<strong>sari</strong>") && page.contains("<strong>konsol</strong>"),
        "{page}"
    );
    assert!(
        page.contains("error=access_denied") && page.contains("state=s"),
        "{page}"
    );
}
