//! The README's first command: `gerbang demo` on a fresh directory. It uses the demo's fixed
//! ports (8080, 8443, 9101-9103), so this is the one test that does.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gerbang_tests::browser::{self, hidden_field, location};
use gerbang_tests::gerbang_binary;

/// The demo process, killed however the test ends (it holds fixed ports).
struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_demo_runs_on_a_fresh_directory() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = Demo(
        Command::new(gerbang_binary())
            .arg("demo")
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stderr = demo.0.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut banner = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !banner.contains("Stop with Ctrl-C") {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(line) => banner.push_str(&format!("{line}\n")),
            Err(_) => assert!(
                Instant::now() < deadline && demo.0.try_wait().unwrap().is_none(),
                "no banner:\n{banner}"
            ),
        }
    }
    assert!(
        banner.contains("https://perizinan.localhost:8443/"),
        "{banner}"
    );
    assert!(
        banner.contains("Log in as user `demo` with password `"),
        "{banner}"
    );
    let https: SocketAddr = "127.0.0.1:8443".parse().unwrap();
    while tokio::net::TcpStream::connect(https).await.is_err() {
        if Instant::now() >= deadline || demo.0.try_wait().unwrap().is_some() {
            // Everything the demo said, to tell a slow start from a failed one.
            let said: String = rx.try_iter().map(|line| format!("{line}\n")).collect();
            let status = demo.0.try_wait().unwrap();
            panic!("the demo never listened on {https} (exited: {status:?}):\n{banner}{said}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        dir.path().join("data/store").exists() && dir.path().join("data/certs/ca.pem").exists()
    );

    let ca = reqwest::Certificate::from_pem(
        &std::fs::read(dir.path().join("data/certs/ca.pem")).unwrap(),
    )
    .unwrap();
    let mut builder = reqwest::Client::builder()
        .add_root_certificate(ca)
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true);
    for host in [
        "localhost",
        "perizinan.localhost",
        "berusaha.localhost",
        "sso.localhost",
    ] {
        builder = builder.resolve(host, https);
    }
    let client = builder.build().unwrap();
    // The public app answers; a protected one sends the browser to the provider's login page.
    let public: serde_json::Value = client
        .get("https://localhost:8443/whoami")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["app"], "informasi");
    let protected = client
        .get("https://perizinan.localhost:8443/")
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let authorize = location(&protected).unwrap();
    assert!(
        authorize.starts_with("https://sso.localhost:8443/authorize?"),
        "{authorize}"
    );
    let page = browser::follow(&client, &authorize)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Lupa Password?") && page.contains("Daftar"),
        "the OSS login page"
    );
    let token = hidden_field(&page, "captcha_token").unwrap();
    let image = client
        .get(format!("https://sso.localhost:8443/captcha/{token}/image"))
        .send()
        .await
        .unwrap();
    assert_eq!(image.headers()["content-type"], "image/png");
    // Portal Berusaha is an OIDC client of the provider: it sends the browser there itself.
    let rp = client
        .get("https://berusaha.localhost:8443/")
        .send()
        .await
        .unwrap();
    let to_provider = location(&rp).unwrap();
    assert!(
        to_provider.starts_with("https://sso.localhost:8443/authorize?")
            && to_provider.contains("client_id=berusaha"),
        "{to_provider}"
    );
    // Plain HTTP redirects to HTTPS.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("localhost", "127.0.0.1:8080".parse().unwrap())
        .build()
        .unwrap();
    let redirect = http
        .get("http://localhost:8080/whoami")
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&redirect).as_deref(),
        Some("https://localhost:8443/whoami")
    );
}
