//! Gerbang behind nginx as a forward-auth service (`auth_request`), the way Authelia and
//! oauth2-proxy are used: nginx serves the app and asks `/_gerbang/auth` for every request;
//! a refused browser is sent to `/_gerbang/login`, which starts the provider's login.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use gerbang_tests::browser::{self, location};
use gerbang_tests::nginx::Nginx;
use gerbang_tests::{free_port, App, Gerbang, Spec};
use serde_json::Value;

const PASSWORD: &str = "kuda laut biru";

#[tokio::test]
async fn nginx_auth_request_lets_sessions_in_and_sends_strangers_to_log_in() {
    let app = App::start("perizinan").await;
    let front = SocketAddr::from(([127, 0, 0, 1], free_port()));
    // Gerbang's public port is nginx's: every public URL goes through it.
    let gw = Gerbang::start(Spec {
        https: true,
        http: false,
        public_port: Some(front.port()),
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: vec![("budi".into(), PASSWORD.into())],
        ..Spec::http(format!(
            "[[route]]\nname = \"perizinan\"\nhost = \"perizinan.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\n",
            app.addr
        ))
    })
    .await;
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

    let browser = gw.client_via(front, &["perizinan.test", Gerbang::PROVIDER_HOST]);
    let app_url = format!("https://perizinan.test:{}/whoami", front.port());
    let provider = format!("https://{}:{}", Gerbang::PROVIDER_HOST, front.port());

    // A stranger, even one claiming an identity, is sent to log in.
    let refused = browser
        .get(&app_url)
        .header("accept", "text/html")
        .header("x-gerbang-user", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 302, "{}", nginx.errors());
    let login = location(&refused).unwrap();
    assert_eq!(
        login,
        format!(
            "https://perizinan.test:{}/_gerbang/login?rd=/whoami",
            front.port()
        )
    );

    // Logging in through the pages (all through nginx) lands back on the app with the identity.
    let callback = browser::log_in(&browser, &login, &provider, "budi", PASSWORD).await;
    assert!(callback.contains("/_gerbang/callback?"), "{callback}");
    let landed = browser.get(&callback).send().await.unwrap();
    assert_eq!(location(&landed).as_deref(), Some("/whoami"));
    let seen = browser.get(&app_url).send().await.unwrap();
    assert_eq!(seen.status(), 200, "{}", nginx.errors());
    let seen: Value = seen.json().await.unwrap();
    assert_eq!(seen["app"], "perizinan");
    assert_eq!(seen["headers"]["x-gerbang-user"][0], "budi");

    // The endpoint itself: 401 without a session, 200 with the identity headers with one.
    let direct = gw.client(&["perizinan.test"]);
    let ask = |client: &reqwest::Client| {
        client
            .get(format!(
                "https://perizinan.test:{}/_gerbang/auth",
                gerbang.port()
            ))
            .header("x-original-uri", "/whoami")
            .send()
    };
    let stranger = ask(&direct).await.unwrap();
    assert_eq!(stranger.status(), 401);
    assert!(stranger.headers().get("x-gerbang-user").is_none());
    // The browser's session cookie (host-bound, any port) asked straight at Gerbang's port.
    let member = ask(&browser).await.unwrap();
    assert_eq!(member.status(), 200);
    assert_eq!(member.headers()["x-gerbang-user"], "budi");
}
