//! SIGTERM and SIGINT (Ctrl-C) stop Gerbang gracefully: a request in flight is answered in full,
//! and the process exits without a storm of failed accepts in its log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use gerbang_tests::{App, Gerbang, Spec};

#[tokio::test]
async fn sigterm_drains_an_in_flight_request() {
    let logs = stop_during_a_request("TERM").await;
    assert!(
        logs.contains("SIGTERM received, gracefully exiting"),
        "{logs}"
    );
}

#[tokio::test]
async fn sigint_drains_an_in_flight_request_as_sigterm_does() {
    let logs = stop_during_a_request("INT").await;
    assert!(
        logs.contains("SIGINT received: stopping gracefully"),
        "{logs}"
    );
}

/// Sends `signal` while a slow request is in flight; the request is answered in full and the
/// process exits cleanly. Returns its log.
async fn stop_during_a_request(signal: &str) -> String {
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
    gw.signal(signal);
    let (status, body) = in_flight.await.unwrap().unwrap();
    assert_eq!(status, 200, "SIG{signal}");
    assert_eq!(body, "slow answered after 1500 ms", "SIG{signal}");
    let exit = gw.wait_exit(Duration::from_secs(20)).await;
    let logs = gw.logs();
    assert!(exit.is_some_and(|s| s.success()), "exit: {exit:?}\n{logs}");
    assert!(!logs.contains("Accept() failed"), "{logs}");
    logs
}
