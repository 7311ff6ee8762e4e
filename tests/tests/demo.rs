//! The README's first command: `gerbang demo` on a fresh directory. The demo's ports (8080,
//! 8443, 9464, 9101-9103) are moved up by `--port-offset`, to an offset where all of them are
//! free, so the test runs beside a demo someone left running.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gerbang_tests::browser::{self, hidden_field, location};
use gerbang_tests::gerbang_binary;

/// The demo process, killed however the test ends.
struct Demo(std::process::Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An offset at which every demo port is free, below the kernel's ephemeral range.
fn free_offset() -> u16 {
    use std::hash::{BuildHasher, Hasher};
    let seed = std::collections::hash_map::RandomState::new();
    for attempt in 0u64..1000 {
        let mut hasher = seed.build_hasher();
        hasher.write_u64(attempt);
        let offset = 10_000 + (hasher.finish() % 12_000) as u16;
        let free = [8080u16, 8443, 9464, 9101, 9102, 9103]
            .iter()
            .all(|port| std::net::TcpListener::bind(("127.0.0.1", port + offset)).is_ok());
        if free {
            return offset;
        }
    }
    panic!("no offset with every demo port free")
}

#[tokio::test]
async fn the_demo_runs_on_a_fresh_directory() {
    let dir = tempfile::tempdir().unwrap();
    let offset = free_offset();
    let (https_port, http_port) = (8443 + offset, 8080 + offset);
    let mut demo = Demo(
        Command::new(gerbang_binary())
            .args(["demo", "--port-offset", &offset.to_string()])
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
        banner.contains(&format!("https://perizinan.localhost:{https_port}/")),
        "{banner}"
    );
    assert!(
        banner.contains("Log in as user `demo` with password `"),
        "{banner}"
    );
    let https = SocketAddr::from(([127, 0, 0, 1], https_port));
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
        .get(format!("https://localhost:{https_port}/whoami"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public["app"], "informasi");
    let protected = client
        .get(format!("https://perizinan.localhost:{https_port}/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let authorize = location(&protected).unwrap();
    assert!(
        authorize.starts_with(&format!("https://sso.localhost:{https_port}/authorize?")),
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
        .get(format!(
            "https://sso.localhost:{https_port}/captcha/{token}/image"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(image.headers()["content-type"], "image/png");
    // Portal Berusaha is an OIDC client of the provider: it sends the browser there itself.
    let rp = client
        .get(format!("https://berusaha.localhost:{https_port}/"))
        .send()
        .await
        .unwrap();
    let to_provider = location(&rp).unwrap();
    assert!(
        to_provider.starts_with(&format!("https://sso.localhost:{https_port}/authorize?"))
            && to_provider.contains("client_id=berusaha"),
        "{to_provider}"
    );
    // Plain HTTP redirects to HTTPS.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("localhost", SocketAddr::from(([127, 0, 0, 1], http_port)))
        .build()
        .unwrap();
    let redirect = http
        .get(format!("http://localhost:{http_port}/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&redirect).as_deref(),
        Some(format!("https://localhost:{https_port}/whoami").as_str())
    );
}
