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
    // And one on the embedded provider, which the old process forwards to while it drains
    // (it answered 502 when the provider stopped accepting before the proxy had drained).
    let provider_traffic = Traffic::start(
        vec![gw.client(&[Gerbang::PROVIDER_HOST])],
        &gw.url(Gerbang::PROVIDER_HOST, "/.well-known/openid-configuration"),
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = traffic.served();

    gw.upgrade().await;
    assert_ne!(gw.pid(), old_pid);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (provider_served, provider_failed) = provider_traffic.stop().await;
    assert_eq!(
        provider_failed,
        0,
        "{provider_failed} of {} requests to the provider failed",
        provider_served + provider_failed
    );
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

/// What the systemd unit (`examples/systemd/gerbang.service`) relies on: `--daemon` returns once
/// the server runs in the background and names it in the PID file; an upgrade started the same
/// way replaces the PID in the file before the old process exits, so systemd follows it.
#[tokio::test]
async fn the_daemon_names_itself_in_the_pid_file_and_an_upgrade_takes_it_over() {
    let app = App::start("terbuka").await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let spec = Spec {
        grace_period_secs: 1,
        ..Spec::http(format!(
            "[[route]]\nname = \"terbuka\"\nhost = \"terbuka.test\"\nupstreams = [\"{}\"]\npolicy = \"public\"\n",
            app.addr
        ))
    };
    let config = dir.path().join("gerbang.toml");
    std::fs::write(&config, Gerbang::config_text(&spec, Some(port), None)).unwrap();
    let pid_file = dir.path().join("gerbang.pid");
    let log = dir.path().join("gerbang.log");
    let daemon = |upgrade: bool| {
        let mut command = std::process::Command::new(gerbang_tests::gerbang_binary());
        command
            .args(["serve", "--config"])
            .arg(&config)
            .arg("--daemon")
            .arg(&pid_file)
            .env("GERBANG_LOG", "info")
            .stdout(std::process::Stdio::null())
            .stderr(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&log)
                    .unwrap(),
            );
        if upgrade {
            command.arg("--upgrade");
        }
        // The command returns once the server has detached.
        let status = command.status().unwrap();
        assert!(status.success(), "{status}");
    };
    // The PID the file names once it names one other than `old`.
    let pid_in_file = |old: Option<u32>| {
        let pid_file = &pid_file;
        async move {
            for _ in 0..100 {
                let named = std::fs::read_to_string(pid_file)
                    .ok()
                    .and_then(|t| t.trim().parse::<u32>().ok());
                if let Some(pid) = named.filter(|pid| Some(*pid) != old) {
                    return pid;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("the PID file never named a process other than {old:?}");
        }
    };
    let alive = |pid: u32| std::path::Path::new(&format!("/proc/{pid}")).exists();
    let signal = |name: &str, pid: u32| {
        std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid.to_string()])
            .status()
            .unwrap()
    };
    let client = reqwest::Client::builder()
        .resolve("terbuka.test", SocketAddr::from(([127, 0, 0, 1], port)))
        .build()
        .unwrap();
    let url = format!("http://terbuka.test:{port}/whoami");
    let answered = || async {
        for _ in 0..200 {
            if client
                .get(&url)
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    };

    daemon(false);
    let first = pid_in_file(None).await;
    assert!(
        alive(first) && answered().await,
        "{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    daemon(true);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(signal("QUIT", first).success());
    let second = pid_in_file(Some(first)).await;
    // What systemd relies on: the file names the new process before the old one exits.
    assert!(
        alive(first),
        "the old process was still draining when the PID file changed"
    );
    for _ in 0..600 {
        if !alive(first) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!alive(first), "the old process exited:\n{logs}");
    assert!(
        alive(second) && answered().await,
        "the new process serves:\n{logs}"
    );
    assert!(signal("TERM", second).success());
}
