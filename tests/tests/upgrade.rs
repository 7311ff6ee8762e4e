//! Zero-downtime upgrade: `gerbang serve --upgrade` takes the listeners over from the running
//! process (SIGQUIT hands them across and drains it) while a client loops requests; no request
//! fails, a session made before is still good after, and the internal listener and the admin
//! socket answer from the new process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::Duration;

use gerbang_tests::{browser, free_port, App, Gerbang, Spec, Traffic};

const PASSWORD: &str = "kuda laut biru terbang tinggi";

#[tokio::test]
async fn a_looping_client_sees_no_error_while_the_process_is_replaced() {
    let terbuka = App::start("terbuka").await;
    let perizinan = App::start("perizinan").await;
    let internal = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let routes = format!(
        "[[route]]\nname = \"terbuka\"\nhost = \"terbuka.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n\n\
         [[route]]\nname = \"perizinan\"\nhost = \"perizinan.test\"\nupstreams = [\"{}\"]\npolicy = \"authenticated\"\n",
        terbuka.addr, perizinan.addr
    );
    let spec = Spec {
        https: true,
        http: false,
        grace_period_secs: 1,
        server_extra: format!("internal = \"{internal}\"\n"),
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: vec![("budi".into(), PASSWORD.into())],
        ..Spec::http(routes)
    };
    let mut gw = Gerbang::start(spec).await;
    let old_pid = gw.pid();

    // A browser session made before the upgrade.
    let browser_client = gw.client(&["perizinan.test", Gerbang::PROVIDER_HOST]);
    let whoami = gw.url("perizinan.test", "/whoami");
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    browser::log_in_to_app(&browser_client, &whoami, &provider, "budi", PASSWORD).await;
    assert_eq!(
        browser_client.get(&whoami).send().await.unwrap().status(),
        200
    );

    let kept_alive = gw.client(&["terbuka.test"]);
    let fresh_each_time = gw.client_via(gw.https.unwrap(), &["terbuka.test"]);
    // Two loops: one on a kept-alive connection (HTTP/2), one on a new connection each time.
    let traffic = Traffic::start(
        vec![kept_alive, fresh_each_time],
        &gw.url("terbuka.test", "/whoami"),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = traffic.served();

    gw.upgrade().await;
    assert_ne!(gw.pid(), old_pid);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (served, failed) = traffic.stop().await;
    assert_eq!(
        failed,
        0,
        "{failed} of {} looping requests failed:\n{}",
        served + failed,
        gw.logs()
    );
    assert!(
        served > before + 20,
        "requests were served after the hand-over ({before} → {served})"
    );

    // The session made before still opens the protected app; the new process's internal
    // listener and admin socket answer.
    assert_eq!(
        browser_client.get(&whoami).send().await.unwrap().status(),
        200
    );
    let ready = reqwest::get(format!("http://{internal}/readyz"))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let (ok, out, err) = gw.admin(&["users", "search", "budi"], "");
    assert!(ok && out.contains("budi"), "{out}{err}");
    assert!(gw.logs().contains("listener sockets sent"), "{}", gw.logs());
}
