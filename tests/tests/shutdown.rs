//! SIGTERM stops Gerbang gracefully: a request in flight is answered in full. SIGINT (Ctrl-C)
//! does the same.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use gerbang_tests::{App, Gerbang, Spec};

#[tokio::test]
async fn sigterm_drains_an_in_flight_request() {
    let app = App::start("slow").await;
    let spec = Spec {
        grace_period_secs: 3,
        ..Spec::http(format!(
            "[[route]]\nname = \"slow\"\nhost = \"slow.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
            app.addr
        ))
    };
    let mut gw = Gerbang::start(spec).await;
    let client = gw.client(&["slow.test"]);
    let url = gw.url("slow.test", "/slow?ms=1500");
    let in_flight = tokio::spawn(async move {
        let response = client.get(url).send().await?;
        let status = response.status();
        Ok::<_, reqwest::Error>((status, response.text().await?))
    });
    // Let the request reach the upstream, then ask Gerbang to stop.
    tokio::time::sleep(Duration::from_millis(400)).await;
    gw.terminate();
    let (status, body) = in_flight.await.unwrap().unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, "slow answered after 1500 ms");
    let exit = gw.wait_exit(Duration::from_secs(20)).await;
    assert!(
        exit.is_some_and(|s| s.success()),
        "exit: {exit:?}\n{}",
        gw.logs()
    );
    assert!(gw.logs().contains("SIGTERM received, gracefully exiting"));
}

#[tokio::test]
async fn sigint_stops_as_sigterm_does_and_the_log_stays_quiet() {
    let app = App::start("app").await;
    let mut gw = Gerbang::start(Spec {
        grace_period_secs: 1,
        ..Spec::http(format!(
            "[[route]]\nname = \"app\"\nhost = \"app.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
            app.addr
        ))
    })
    .await;
    let client = gw.client(&["app.test"]);
    let answered = client
        .get(gw.url("app.test", "/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);
    gw.signal("INT");
    let exit = gw.wait_exit(Duration::from_secs(20)).await;
    let logs = gw.logs();
    assert!(exit.is_some_and(|s| s.success()), "exit: {exit:?}\n{logs}");
    assert!(
        logs.contains("SIGINT received: stopping gracefully"),
        "{logs}"
    );
    assert!(!logs.contains("Accept() failed"), "{logs}");
}
