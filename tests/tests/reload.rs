//! Hot reload with traffic flowing: routes added, changed and removed through the file (with
//! SIGHUP, and by the file watch alone), a broken file refused whole while the old
//! configuration keeps serving, and what needs a restart named.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gerbang_tests::{free_port, metric, App, Gerbang, Spec, Traffic};

fn route(name: &str, upstream: SocketAddr, policy: &str) -> String {
    format!(
        "[[route]]\nname = \"{name}\"\nhost = \"{name}.test\"\nupstreams = [\"{upstream}\"]\npolicy = \"{policy}\"\n\n"
    )
}

/// Replaces the routes of the running file (everything after the first `[[route]]`), written
/// the way editors do: a new file renamed over the old one.
fn write_routes(gw: &Gerbang, routes: &str) {
    let path = gw.config_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let head = &text[..text.find("[[route]]").unwrap()];
    let next = path.with_extension("toml.new");
    std::fs::write(&next, format!("{head}{routes}")).unwrap();
    std::fs::rename(&next, &path).unwrap();
}

/// The app that answers `host`'s `/whoami`, or the status when it is not 200.
async fn answer(client: &reqwest::Client, gw: &Gerbang, host: &str) -> Result<String, u16> {
    let response = client
        .get(gw.url(host, "/whoami"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    match response.status().as_u16() {
        200 => Ok(response.json::<serde_json::Value>().await.unwrap()["app"]
            .as_str()
            .unwrap()
            .to_string()),
        status => Err(status),
    }
}

/// Waits until `host` answers `expected` (reloads take effect within a second or two).
async fn until(client: &reqwest::Client, gw: &Gerbang, host: &str, expected: Result<&str, u16>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = answer(client, gw, host).await;
        if got.as_deref().map_err(|s| *s) == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{host}: {got:?}, expected {expected:?}\n{}",
            gw.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn routes_change_under_traffic_and_a_broken_file_is_refused_whole() {
    let (satu, dua) = (App::start("satu").await, App::start("dua").await);
    let internal = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let spec = Spec {
        server_extra: format!("internal = \"{internal}\"\n"),
        ..Spec::http(route("satu", satu.addr, "public"))
    };
    let gw = Gerbang::start(spec).await;
    let client = gw.client(&["satu.test", "dua.test"]);

    // Traffic flowing the whole time: a client looping on the route that stays.
    let traffic = Traffic::start(vec![client.clone()], &gw.url("satu.test", "/whoami"));
    assert_eq!(answer(&client, &gw, "dua.test").await, Err(404));

    // Added (file, then SIGHUP).
    write_routes(
        &gw,
        &(route("satu", satu.addr, "public") + &route("dua", dua.addr, "public")),
    );
    gw.signal("HUP");
    until(&client, &gw, "dua.test", Ok("dua")).await;

    // Changed: another upstream (the file watch alone, the file rewritten in place), and a
    // setting that needs a restart.
    let path = gw.config_path();
    let text = std::fs::read_to_string(&path).unwrap();
    let head = text[..text.find("[[route]]").unwrap()]
        .replace("grace_period_secs = 0", "grace_period_secs = 7");
    let routes = route("satu", satu.addr, "public") + &route("dua", satu.addr, "public");
    std::fs::write(&path, format!("{head}{routes}")).unwrap();
    until(&client, &gw, "dua.test", Ok("satu")).await;
    assert!(
        gw.logs().contains("server.grace_period_secs"),
        "the restart-only change is named:\n{}",
        gw.logs()
    );

    // A policy change: dua now asks for a login (an API client gets 401).
    write_routes(
        &gw,
        &(route("satu", satu.addr, "public") + &route("dua", dua.addr, "authenticated")),
    );
    gw.signal("HUP");
    until(&client, &gw, "dua.test", Err(401)).await;

    // Removed, and a client added (SIGHUP): the token endpoint knows it at once.
    let provider = gw.client(&[Gerbang::PROVIDER_HOST]);
    let token_url = gw.url(Gerbang::PROVIDER_HOST, "/token");
    let grant = || {
        provider
            .post(&token_url)
            .basic_auth("mesin", Some("rahasia-mesin-0123456789"))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    assert_eq!(grant().await.unwrap().status(), 401, "no such client yet");
    let client_table = "[[client]]\nid = \"mesin\"\nsecret = \"rahasia-mesin-0123456789\"\ngrant_types = [\"client_credentials\"]\n";
    write_routes(&gw, &(route("satu", satu.addr, "public") + client_table));
    gw.signal("HUP");
    until(&client, &gw, "dua.test", Err(404)).await;
    let granted = grant().await.unwrap();
    assert_eq!(granted.status(), 200, "the reloaded client is known");

    // A broken file: one good new route and one bad upstream. Refused whole: the new route does
    // not appear, the old configuration keeps serving, the problem is named with file:line:key.
    let broken = route("satu", satu.addr, "public")
        + &route("dua", dua.addr, "public")
        + "[[route]]\nname = \"rusak\"\nhost = \"rusak.test\"\nupstreams = [\"tanpa-port\"]\npolicy = \"public\"\n";
    write_routes(&gw, &broken);
    gw.signal("HUP");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(answer(&client, &gw, "dua.test").await, Err(404));
    assert_eq!(answer(&client, &gw, "satu.test").await, Ok("satu".into()));
    let logs = gw.logs();
    let line = broken
        .lines()
        .position(|l| l.contains("tanpa-port"))
        .unwrap();
    let head_lines =
        std::fs::read_to_string(&path).unwrap().lines().count() - broken.lines().count();
    let located = format!("gerbang.toml:{}:", head_lines + line + 1);
    assert!(
        logs.contains("configuration reload refused")
            && logs.contains(&located)
            && logs.contains("route[2].upstreams"),
        "the refusal names file:line ({located}) and key:\n{logs}"
    );

    let metrics = gerbang_tests::scrape(internal).await;
    // Four applied (added, changed, policy, removed with the client); the broken file counted
    // once although both SIGHUP and the file watch saw it.
    assert_eq!(
        metric(&metrics, "gerbang_config_reloads_total{result=\"success\"}"),
        4.0
    );
    assert_eq!(
        metric(&metrics, "gerbang_config_reloads_total{result=\"failure\"}"),
        1.0
    );
    // The route that stayed kept its counters through every reload.
    assert!(
        metric(
            &metrics,
            "gerbang_requests_total{route=\"satu\",status=\"2xx\"}"
        ) > 10.0
    );

    let (served, failed) = traffic.stop().await;
    assert_eq!(
        failed,
        0,
        "{failed} of {} looping requests failed",
        served + failed
    );
    assert!(served > 50, "the loop ran ({served} requests)");
}
