//! Gerbang behind nginx, Caddy and Traefik as a forward-auth service (`auth_request`,
//! `forward_auth`, `forwardAuth`), the way Authelia and oauth2-proxy are used: the proxy serves
//! the app and asks `/_gerbang/auth` for every request; a refused browser is sent to
//! `/_gerbang/login`, which starts the provider's login. Each proxy is the real one, configured
//! as `docs/forward-auth.md` says, and a client that adds every spelling of the headers that
//! carry the original URI and host cannot steer the answer.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use gerbang_tests::browser::{self, location};
use gerbang_tests::front::{Backends, Front};
use gerbang_tests::nginx::Nginx;
use gerbang_tests::{free_port, App, Gerbang, Spec};
use serde_json::Value;

const PASSWORD: &str = "kuda laut biru";

/// What a client adds to make a protected path look public, in every spelling a proxy or
/// framework reads.
const STEERING: [(&str, &str); 8] = [
    ("x-original-uri", "/public/x"),
    ("x-forwarded-uri", "/public/x"),
    ("x-original-url", "/public/x"),
    ("x-rewrite-url", "/public/x"),
    ("x-forwarded-host", "public.test"),
    ("x-forwarded-method", "OPTIONS"),
    ("x-gerbang-user", "admin"),
    ("x-forwarded-prefix", "/public"),
];

/// The routes on the app's host: everything authenticated but `/public`.
fn spec(app: SocketAddr, front: SocketAddr, proxy: &str, trusted: &str) -> Spec {
    Spec {
        https: true,
        http: false,
        public_port: Some(front.port()),
        server_extra: format!("forward_auth = \"{proxy}\"\ntrusted_proxies = [\"{trusted}\"]\n"),
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: vec![("budi".into(), PASSWORD.into())],
        ..Spec::http(format!(
            "[[route]]\nname = \"perizinan\"\nhost = \"perizinan.test\"\nupstreams = [\"{app}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\n\n\
             [[route]]\nname = \"informasi\"\nhost = \"perizinan.test\"\npath_prefix = \"/public\"\nupstreams = [\"{app}\"]\npolicy = \"public\"\n"
        ))
    }
}

/// How a proxy refuses a stranger: the `rd` of the login redirect, and the status an API
/// client gets (nginx's `error_page 401` redirects every refusal; Traefik and Caddy hand
/// Gerbang's own answer over: a redirect for a browser, 401 for an API client).
struct Refusal {
    login_rd: &'static str,
    api_status: u16,
}

/// The journey every proxy must give: strangers (however they spell the headers) are sent to
/// log in, public paths pass, and after logging in through the proxy the app sees the user.
async fn journey(
    gw: &Gerbang,
    front: SocketAddr,
    refusal: Refusal,
    proxy_log: &dyn Fn() -> String,
) {
    let login_rd = refusal.login_rd;
    let browser = gw.client_via(front, &["perizinan.test", Gerbang::PROVIDER_HOST]);
    let app_url = |path: &str| format!("https://perizinan.test:{}{path}", front.port());
    let provider = format!("https://{}:{}", Gerbang::PROVIDER_HOST, front.port());

    let mut steered = browser
        .get(app_url("/whoami"))
        .header("accept", "text/html");
    for (name, value) in STEERING {
        steered = steered.header(name, value);
    }
    let refused = steered.send().await.unwrap();
    assert_eq!(refused.status(), 302, "{}", proxy_log());
    let login = location(&refused).unwrap();
    assert_eq!(
        login,
        format!(
            "https://perizinan.test:{}/_gerbang/login?rd={login_rd}",
            front.port()
        )
    );
    let mut api = browser
        .get(app_url("/whoami"))
        .header("accept", "application/json");
    for (name, value) in STEERING {
        api = api.header(name, value);
    }
    let api = api.send().await.unwrap();
    assert_eq!(api.status(), refusal.api_status, "{}", proxy_log());
    assert!(
        !api.text().await.unwrap().contains("\"app\""),
        "reached the app"
    );

    let public = browser
        .get(app_url("/public/x"))
        .header("x-gerbang-user", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 200, "{}", proxy_log());
    let public: Value = public.json().await.unwrap();
    assert_eq!(public["path"], "/public/x");
    assert!(
        public["headers"].get("x-gerbang-user").is_none(),
        "a client's identity header reached the app on a public path: {public}"
    );

    let callback = browser::log_in(&browser, &login, &provider, "budi", PASSWORD).await;
    assert!(callback.contains("/_gerbang/callback?"), "{callback}");
    let landed = browser.get(&callback).send().await.unwrap();
    assert_eq!(location(&landed).as_deref(), Some("/whoami"));
    let seen = browser
        .get(app_url("/whoami"))
        .header("x-gerbang-user", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(seen.status(), 200, "{}", proxy_log());
    let seen: Value = seen.json().await.unwrap();
    assert_eq!(seen["app"], "perizinan");
    assert_eq!(
        seen["headers"]["x-gerbang-user"],
        serde_json::json!(["budi"])
    );
}

/// Refusals Gerbang writes itself (behind Traefik and Caddy).
const BY_GERBANG: Refusal = Refusal {
    login_rd: "%2Fwhoami",
    api_status: 401,
};

#[tokio::test]
async fn nginx_auth_request_lets_sessions_in_and_sends_strangers_to_log_in() {
    let app = App::start("perizinan").await;
    let front = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let gw = Gerbang::start(spec(app.addr, front, "nginx", "127.0.0.1")).await;
    let gerbang = gw.https.unwrap();
    let certs = gw.dir.path().join("certs");
    let (cert, key) = (certs.join("cert.pem"), certs.join("key.pem"));
    let (cert, key) = (cert.display(), key.display());
    let to_gerbang = format!(
        "proxy_pass https://{gerbang};\n      proxy_set_header Host $http_host;\n      proxy_ssl_server_name on;\n      proxy_ssl_name $host;"
    );
    let nginx = Nginx::start(
        &format!(
            "  server {{\n    listen {front} ssl;\n    server_name sso.test;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n    location / {{\n      {to_gerbang}\n    }}\n  }}\n\
             server {{\n    listen {front} ssl;\n    server_name perizinan.test;\n    ssl_certificate {cert};\n    ssl_certificate_key {key};\n\
             location / {{\n      auth_request /_gerbang/auth;\n      auth_request_set $gerbang_user $upstream_http_x_gerbang_user;\n      \
             auth_request_set $gerbang_cookie $upstream_http_set_cookie;\n      add_header Set-Cookie $gerbang_cookie;\n      \
             proxy_set_header X-Gerbang-User $gerbang_user;\n      error_page 401 = @login;\n      proxy_pass http://{app};\n    }}\n\
             location = /_gerbang/auth {{\n      internal;\n      {to_gerbang}\n      proxy_set_header X-Original-URI $request_uri;\n      \
             proxy_pass_request_body off;\n      proxy_set_header Content-Length \"\";\n    }}\n\
             location /_gerbang/ {{\n      {to_gerbang}\n    }}\n\
             location @login {{\n      return 302 https://$http_host/_gerbang/login?rd=$request_uri;\n    }}\n  }}\n",
            app = app.addr
        ),
        front,
    )
    .await;
    let refusal = Refusal {
        login_rd: "/whoami",
        api_status: 302,
    };
    journey(&gw, front, refusal, &|| nginx.errors()).await;

    // The endpoint itself, asked straight at Gerbang's port (the test is a trusted proxy on
    // loopback): 401 without a session, 200 with the identity headers with one, 400 without
    // the header nginx is configured to send (never a default path).
    let direct = gw.client(&["perizinan.test"]);
    let auth_url = format!("https://perizinan.test:{}/_gerbang/auth", gerbang.port());
    let stranger = direct
        .get(&auth_url)
        .header("x-original-uri", "/whoami")
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 401);
    assert!(stranger.headers().get("x-gerbang-user").is_none());
    let missing = direct
        .get(&auth_url)
        .header("x-forwarded-uri", "/public/x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        missing.status(),
        400,
        "another proxy's spelling is not read"
    );
}

#[tokio::test]
async fn caddy_forward_auth_lets_sessions_in_and_sends_strangers_to_log_in() {
    journey_behind("caddy").await;
}

#[tokio::test]
async fn traefik_forward_auth_lets_sessions_in_and_sends_strangers_to_log_in() {
    journey_behind("traefik").await;
}

/// The journey behind Caddy or Traefik, configured as `docs/forward-auth.md` says.
async fn journey_behind(proxy: &'static str) {
    let app = App::start("perizinan").await;
    let front = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let gw = Gerbang::start(spec(app.addr, front, proxy, "127.0.0.1")).await;
    let certs = gw.dir.path().join("certs");
    let backends = Backends {
        gerbang: gw.https.unwrap(),
        app: app.addr,
        certs: &certs,
    };
    let running = match proxy {
        "caddy" => Front::caddy(front, &backends).await,
        _ => Front::traefik(front, &backends).await,
    };
    // Traefik's file provider loads its routers just after the port opens.
    let client = gw.client_via(front, &[Gerbang::PROVIDER_HOST]);
    let discovery = format!(
        "https://{}:{}/.well-known/openid-configuration",
        Gerbang::PROVIDER_HOST,
        front.port()
    );
    for _ in 0..100 {
        if client
            .get(&discovery)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    journey(&gw, front, BY_GERBANG, &|| running.errors() + &gw.logs()).await;
}

/// Only the proxies listed in `trusted_proxies` are answered; with forward-auth off the path
/// is still the gateway's and answers 404, never the app.
#[tokio::test]
async fn forward_auth_answers_only_its_proxy_and_only_when_on() {
    let app = App::start("perizinan").await;
    let front = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let untrusted = spec(app.addr, front, "nginx", "10.9.9.9");
    assert_eq!(
        ask_directly(untrusted).await,
        403,
        "loopback is not the trusted proxy"
    );
    let mut off = spec(app.addr, front, "nginx", "127.0.0.1");
    off.server_extra = String::new();
    assert_eq!(ask_directly(off).await, 404);
}

/// Starts Gerbang with `spec` and asks its `/_gerbang/auth` from loopback: the status.
async fn ask_directly(spec: Spec) -> u16 {
    let gw = Gerbang::start(spec).await;
    let url = format!(
        "https://perizinan.test:{}/_gerbang/auth",
        gw.https.unwrap().port()
    );
    gw.client(&["perizinan.test"])
        .get(&url)
        .header("x-original-uri", "/public/x")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
