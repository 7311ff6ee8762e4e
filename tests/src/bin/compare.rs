//! `gerbang-compare`: Gerbang side by side with what users would pick instead, on loopback,
//! measured with wrk (a separate process) for a fixed time after a warm-up:
//! - **direct**: the upstream itself (the limit);
//! - **nginx**: Debian's nginx as a plain reverse proxy, keep-alive to the upstream;
//! - **gerbang public**, **gerbang session** (a gateway session cookie), **gerbang bearer** (a
//!   JWT access token verified per request);
//! - **nginx + auth_request**: nginx asking Gerbang's `/_gerbang/auth` for every request.
//!
//! Cores: wrk runs on CPU 0; the servers (nginx with one worker, Gerbang with one thread) (this process's upstream, nginx, Gerbang) on CPU 1,
//! so each proxy shares one core with the upstream it fronts. Reports requests/s, p50/p99/p99.9,
//! the server side's CPU seconds per 10k requests, its peak RSS, and ratios.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use gerbang_tests::browser;
use gerbang_tests::nginx::Nginx;
use gerbang_tests::{free_port, App, Gerbang, Spec};

const PASSWORD: &str = "kuda laut biru";
const MACHINE_SECRET: &str = "machine-secret-0123456789";
const LOAD_CPU: &str = "0";
const SERVER_CPU: &str = "1";

/// wrk's report, printed by the Lua `done` hook on one line.
const REPORT_SCRIPT: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("REPORT %d %d %.3f %.3f %.3f %d\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"#;

struct Run {
    name: &'static str,
    rate: f64,
    p50: f64,
    p99: f64,
    p999: f64,
    errors: u64,
    cpu_per_10k: f64,
    rss_mb: f64,
}

/// CPU ticks (user + system) of `pids`, from `/proc`.
fn cpu_ticks(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .map(|stat| {
            // Fields after the command name (which may hold spaces) start after ") ".
            let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
            let fields: Vec<&str> = rest.split_whitespace().collect();
            fields[11].parse::<u64>().unwrap_or(0) + fields[12].parse::<u64>().unwrap_or(0)
        })
        .sum()
}

/// Peak resident memory of `pids`, in MB.
fn peak_rss_mb(pids: &[u32]) -> f64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .sum::<f64>()
        / 1024.0
}

/// A process and its children (nginx's workers).
fn with_children(pid: u32) -> Vec<u32> {
    let mut pids = vec![pid];
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    pids.extend(
        children
            .split_whitespace()
            .filter_map(|p| p.parse::<u32>().ok()),
    );
    pids
}

fn pin(pids: &[u32], cpu: &str) {
    for pid in pids {
        let _ = Command::new("taskset")
            .args(["-a", "-cp", cpu, &pid.to_string()])
            .output();
    }
}

/// wrk on `url` with `headers`: a warm-up, then `seconds` measured.
fn wrk(
    url: &str,
    headers: &[String],
    seconds: u64,
    script: &std::path::Path,
) -> (u64, f64, [f64; 3], u64) {
    let run = |duration: u64| {
        let mut command = Command::new("taskset");
        command.args(["-c", LOAD_CPU, "wrk", "-t1", "-c32"]);
        command.arg(format!("-d{duration}s")).arg("-s").arg(script);
        for h in headers {
            command.arg("-H").arg(h);
        }
        let out = command
            .arg(url)
            .output()
            .expect("wrk (scripts/compare installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    run(2);
    let out = run(seconds);
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("REPORT "))
        .unwrap_or_else(|| panic!("no wrk report:\n{out}"));
    let f: Vec<f64> = line
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    (f[0] as u64, f[1] / 1e6, [f[2], f[3], f[4]], f[5] as u64)
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let app = App::start("bench").await;
    let gw = Gerbang::start(Spec {
        https: true,
        http: false,
        server_extra: "threads = 1\n".into(),
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n\n[login]\nattempts_per_address_per_minute = 10000\n\n\
             [[client]]\nid = \"machine\"\nsecret = \"{MACHINE_SECRET}\"\ngrant_types = [\"client_credentials\"]\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: vec![("budi".into(), PASSWORD.into())],
        ..Spec::http(format!(
            "[[route]]\nname = \"open\"\nhost = \"open.test\"\nupstreams = [\"{a}\"]\npolicy = \"public\"\n\n\
             [[route]]\nname = \"app\"\nhost = \"app.test\"\nupstreams = [\"{a}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\n\n\
             [[route]]\nname = \"api\"\nhost = \"api.test\"\nupstreams = [\"{a}\"]\npolicy = \"authenticated\"\napi_clients = [\"machine\"]\n",
            a = app.addr
        ))
    })
    .await;
    let gerbang = gw.https.unwrap();

    // A session cookie and an access token, as a browser and an API client hold them.
    let browser = gw.client(&["app.test", Gerbang::PROVIDER_HOST]);
    let provider = gw.url(Gerbang::PROVIDER_HOST, "");
    let landed = browser::log_in_to_app(
        &browser,
        &gw.url("app.test", "/whoami"),
        &provider,
        "budi",
        PASSWORD,
    )
    .await;
    let cookie = format!("Cookie: {}", browser::cookies_set_by(&landed));
    let token_url = format!("{provider}/token");
    let token = browser::client_credentials(&browser, &token_url, "machine", MACHINE_SECRET).await;
    let bearer = format!("Authorization: Bearer {token}");

    // nginx: a plain proxy, and the same with auth_request to Gerbang.
    let front = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let certs = gw.dir.path().join("certs");
    let (cert, key) = (certs.join("cert.pem"), certs.join("key.pem"));
    let tls = format!(
        "listen {front} ssl;\n    ssl_certificate {};\n    ssl_certificate_key {};",
        cert.display(),
        key.display()
    );
    let keepalive = "proxy_http_version 1.1;\n      proxy_set_header Connection \"\";";
    let nginx = Nginx::start(
        &format!(
            "  upstream app {{ server {app}; keepalive 64; }}\n  upstream gerbang {{ server {gerbang}; keepalive 64; }}\n\
             server {{\n    {tls}\n    server_name plain.test;\n    location / {{\n      proxy_pass http://app;\n      {keepalive}\n    }}\n  }}\n\
             server {{\n    {tls}\n    server_name guarded.test;\n    location / {{\n      auth_request /_gerbang/auth;\n      \
             auth_request_set $gerbang_user $upstream_http_x_gerbang_user;\n      proxy_set_header X-Gerbang-User $gerbang_user;\n      \
             proxy_pass http://app;\n      {keepalive}\n    }}\n    location = /_gerbang/auth {{\n      internal;\n      \
             proxy_pass https://gerbang;\n      {keepalive}\n      proxy_ssl_session_reuse on;\n      proxy_set_header Host app.test;\n      \
             proxy_set_header X-Original-URI $request_uri;\n      proxy_pass_request_body off;\n      proxy_set_header Content-Length \"\";\n    }}\n  }}\n",
            app = app.addr
        ),
        front,
    )
    .await;
    let nginx_pid: u32 = std::fs::read_to_string(nginx.dir.path().join("nginx.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let nginx_pids = with_children(nginx_pid);
    let gerbang_pids = vec![gw.pid()];
    let own = vec![std::process::id()];
    pin(&nginx_pids, SERVER_CPU);
    pin(&gerbang_pids, SERVER_CPU);
    pin(&own, SERVER_CPU);

    let script = gw.dir.path().join("report.lua");
    std::fs::write(&script, REPORT_SCRIPT).unwrap();
    let host = |h: &str| format!("Host: {h}");
    let phases: Vec<(&'static str, String, Vec<String>, Vec<u32>)> = vec![
        (
            "direct (the upstream itself)",
            format!("http://{}/whoami", app.addr),
            vec![],
            own.clone(),
        ),
        (
            "nginx, plain reverse proxy",
            format!("https://{front}/whoami"),
            vec![host("plain.test")],
            nginx_pids.clone(),
        ),
        (
            "gerbang, public route",
            format!("https://{gerbang}/whoami"),
            vec![host("open.test")],
            gerbang_pids.clone(),
        ),
        (
            "gerbang, session cookie",
            format!("https://{gerbang}/whoami"),
            vec![host("app.test"), cookie.clone()],
            gerbang_pids.clone(),
        ),
        (
            "gerbang, bearer JWT",
            format!("https://{gerbang}/whoami"),
            vec![host("api.test"), bearer],
            gerbang_pids.clone(),
        ),
        (
            "nginx + auth_request to gerbang",
            format!("https://{front}/whoami"),
            vec![host("guarded.test"), cookie],
            [nginx_pids.clone(), gerbang_pids.clone()].concat(),
        ),
    ];
    let mut runs = Vec::new();
    for (name, url, headers, pids) in phases {
        let before = cpu_ticks(&pids);
        let (requests, secs, [p50, p99, p999], errors) =
            tokio::task::block_in_place(|| wrk(&url, &headers, seconds, &script));
        let cpu = (cpu_ticks(&pids) - before) as f64 / 100.0;
        runs.push(Run {
            name,
            rate: requests as f64 / secs,
            p50,
            p99,
            p999,
            errors,
            cpu_per_10k: cpu * 10_000.0 / requests.max(1) as f64,
            rss_mb: peak_rss_mb(&pids),
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let public = runs[2].rate;
    let nginx_rate = runs[1].rate;
    println!("| target | req/s | p50 ms | p99 ms | p99.9 ms | errors | CPU s / 10k req | peak RSS MB | × gerbang public | × nginx |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in &runs {
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.2} | {:.1} | {:.2} | {:.2} |",
            r.name,
            r.rate,
            r.p50,
            r.p99,
            r.p999,
            r.errors,
            r.cpu_per_10k,
            r.rss_mb,
            r.rate / public,
            r.rate / nginx_rate
        );
    }
    println!();
    println!(
        "wrk: 1 thread, 32 connections, {seconds} s after a 2 s warm-up, pinned to CPU {LOAD_CPU}; servers (upstream, nginx with 1 worker, gerbang with 1 thread) pinned to CPU {SERVER_CPU}; HTTPS with keep-alive except direct (HTTP)."
    );
    println!(
        "inline gerbang session / nginx + auth_request: {:.2}",
        runs[3].rate / runs[5].rate
    );
}
