//! `gerbang-compare`: Gerbang side by side with what users would pick instead, on loopback,
//! measured with wrk (a separate process) for a fixed time after a warm-up:
//! - **direct**: the upstream itself (the limit): the Rust test app, or with
//!   `COMPARE_UPSTREAM=nginx` nginx answering `return 200`;
//! - **nginx**: Debian's nginx as a plain reverse proxy, keep-alive to the upstream;
//! - **bare pingora**: the engine without Gerbang (`gateway/examples/bare_pingora.rs`), built
//!   with Gerbang's profile and allocator, so a run shows the engine's cost and ours apart;
//! - **gerbang public**, **gerbang session** (a gateway session cookie), **gerbang bearer** (a
//!   JWT access token), the last two forwarding the identity headers and the signed JWT;
//! - nginx, bare Pingora and Gerbang's public route with **a new TLS connection per request**
//!   (the handshakes a gateway terminates for everyone);
//! - with `COMPARE_MIMALLOC_DIR` (scripts/compare sets it), bare Pingora and Gerbang's public
//!   route built with mimalloc as the global allocator;
//! - **nginx + auth_request**: nginx asking Gerbang's `/_gerbang/auth` for every request;
//! - **gerbang session under a login flood**: 32 clients posting wrong passwords meanwhile.
//!
//! Cores: wrk runs on CPU 0; the servers (this process's upstream, nginx with one worker,
//! Gerbang with one thread) on CPU 1, so each proxy shares one core with the upstream it fronts.
//! Every target is measured `COMPARE_ROUNDS` times (default 3), interleaved; the table gives
//! each column's median and the range of requests/s. Then open-loop load at half the session
//! route's median rate (this program's `rate` mode, in its own process on CPU 0) gives the
//! latency Gerbang adds over the upstream alone. `COMPARE_PROFILE="<target name>"` records a
//! `perf` profile of Gerbang during that target's first round (`perf.data`);
//! `COMPARE_COUNTS=1` adds a pass counting each target's system calls and heap allocations per
//! request. `COMPARE_INSTRUCTIONS=1` instead runs Gerbang and nginx under callgrind and reports
//! only the user-space instructions each proxied request costs them: a count that, unlike
//! rates, does not move with what else the machine is doing (`COMPARE_INSTRUCTIONS=<folder>`
//! keeps the dumps there, for `callgrind_annotate`). `COMPARE_UPSTREAM_CPU=0` runs the upstream
//! on the load core instead, so that each proxy has CPU 1 to itself.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use gerbang_tests::browser;
use gerbang_tests::load::{
    command_under, measure, pin, wrk_once, CallCounter, Callgrind, LoginFlood, Run, LOAD_CPU,
    REPORT_SCRIPT, SERVER_CPU,
};
use gerbang_tests::nginx::Nginx;
use gerbang_tests::{free_port, App, Gerbang, Spec};

const PASSWORD: &str = "kuda laut biru";
const MACHINE_SECRET: &str = "machine-secret-0123456789";
/// Ten rules an allowed request walks through: nine that do not match it (other paths,
/// methods, groups, users, domains, networks), then the one that lets its group in.
const TEN_RULES: &str = "\n[[route.rule]]\neffect = \"deny\"\npaths = [\"/internal\"]\n\n\
[[route.rule]]\neffect = \"allow\"\npaths = [\"/admin\"]\ngroups = [\"pejabat\"]\n\n\
[[route.rule]]\neffect = \"deny\"\npaths = [\"/admin\"]\n\n\
[[route.rule]]\neffect = \"allow\"\nmethods = [\"DELETE\"]\ngroups = [\"pejabat\"]\n\n\
[[route.rule]]\neffect = \"allow\"\npaths = [\"/laporan\"]\nemail_domains = [\"bkpm.go.id\"]\n\n\
[[route.rule]]\neffect = \"allow\"\nusers = [\"ani\", \"sari\"]\n\n\
[[route.rule]]\neffect = \"allow\"\nnetworks = [\"10.20.0.0/16\"]\ngroups = [\"pejabat\"]\n\n\
[[route.rule]]\neffect = \"deny\"\npaths = [\"/v1\", \"/v2\", \"/v3\"]\n\n\
[[route.rule]]\neffect = \"allow\"\nacr = \"two_factor\"\npaths = [\"/rahasia\"]\n\n\
[[route.rule]]\neffect = \"allow\"\ngroups = [\"pelaku-usaha\"]\n";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("rate") {
        return rate_mode(&args[1..]);
    }
    let seconds = env("BENCH_SECONDS", 10) as u64;
    // COMPARE_INSTRUCTIONS=1, or the folder to keep the callgrind dumps in.
    let callgrind = std::env::var("COMPARE_INSTRUCTIONS")
        .ok()
        .map(|v| Callgrind::new((v != "1").then(|| v.into())));
    let under = callgrind.as_ref().map(Callgrind::under).unwrap_or_default();
    let upstream = Upstream::start().await;
    // Sessions and tokens forward what apps use: the identity headers and the signed JWT.
    let forwarded = "forward = [\"headers\", \"jwt\"]\n";
    let routes = [
        route("open", upstream.addr, "public", ""),
        route("app", upstream.addr, "authenticated", forwarded),
        route(
            "api",
            upstream.addr,
            "authenticated",
            &format!("{forwarded}api_clients = [\"machine\"]\n"),
        ),
        route("ruled", upstream.addr, "authenticated", forwarded) + TEN_RULES,
    ];
    let gw = Gerbang::start(Spec {
        https: true,
        http: false,
        server_extra: "threads = 1\nforward_auth = \"nginx\"\ntrusted_proxies = [\"127.0.0.1\"]\n".into(),
        extra: format!(
            "[captcha]\ntest_answer = \"{}\"\n\n[login]\nattempts_per_address_per_minute = 10000\n\n\
             [[client]]\nid = \"machine\"\nsecret = \"{MACHINE_SECRET}\"\ngrant_types = [\"client_credentials\"]\n\n\
             [[group]]\nname = \"pelaku-usaha\"\n\n[[group]]\nname = \"pejabat\"\n",
            browser::CAPTCHA_TEST_ANSWER
        ),
        users: vec![("budi".into(), PASSWORD.into())],
        under: under.clone(),
        ..Spec::http(routes.join("\n"))
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
    // The same user on the route with ten rules, the last of which lets their group in.
    let (ok, out, err) = gw.admin(&["groups", "grant", "budi", "pelaku-usaha"], "");
    assert!(ok, "{out}{err}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ruled_browser = gw.client(&["ruled.test", Gerbang::PROVIDER_HOST]);
    let ruled = browser::log_in_to_app(
        &ruled_browser,
        &gw.url("ruled.test", "/whoami"),
        &provider,
        "budi",
        PASSWORD,
    )
    .await;
    let ruled_cookie = format!("Cookie: {}", browser::cookies_set_by(&ruled));
    let token_url = format!("{provider}/token");
    // An access token outlives a round, not a whole run: each round (and the counting pass)
    // takes a fresh one.
    let bearer = || async {
        let token =
            browser::client_credentials(&browser, &token_url, "machine", MACHINE_SECRET).await;
        format!("Authorization: Bearer {token}")
    };

    // nginx: a plain proxy, and the same with auth_request to Gerbang.
    let front = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let certs = gw.dir.path().join("certs");
    let (cert, key) = (certs.join("cert.pem"), certs.join("key.pem"));
    // Both proxies log every request, each buffering its lines (nginx's access log as Gerbang's).
    // nginx keeps its connections (to wrk and to the upstream) for any number of requests, as
    // Pingora does: its default, 1,000, would add a TLS handshake per thousand requests.
    let tls = format!(
        "listen {front} ssl;\n    ssl_certificate {};\n    ssl_certificate_key {};\n    \
         access_log {} combined buffer=64k flush=100ms;",
        cert.display(),
        key.display(),
        gw.dir.path().join("nginx-access.log").display()
    );
    let keepalive = "proxy_http_version 1.1;\n      proxy_set_header Connection \"\";";
    let nginx = Nginx::start_under(
        &format!(
            "  keepalive_requests 1000000;\n  \
             upstream app {{ server {app}; keepalive 64; keepalive_requests 1000000; }}\n  \
             upstream gerbang {{ server {gerbang}; keepalive 64; keepalive_requests 1000000; }}\n\
             server {{\n    {tls}\n    server_name plain.test;\n    location / {{\n      proxy_pass http://app;\n      {keepalive}\n    }}\n  }}\n\
             server {{\n    {tls}\n    server_name guarded.test;\n    location / {{\n      auth_request /_gerbang/auth;\n      \
             auth_request_set $gerbang_user $upstream_http_x_gerbang_user;\n      proxy_set_header X-Gerbang-User $gerbang_user;\n      \
             proxy_pass http://app;\n      {keepalive}\n    }}\n    location = /_gerbang/auth {{\n      internal;\n      \
             proxy_pass https://gerbang;\n      {keepalive}\n      proxy_ssl_session_reuse on;\n      proxy_set_header Host app.test;\n      \
             proxy_set_header X-Original-URI $request_uri;\n      proxy_pass_request_body off;\n      proxy_set_header Content-Length \"\";\n    }}\n  }}\n",
            app = upstream.addr
        ),
        front,
        &under,
    )
    .await;
    let nginx_pids = nginx.pids().await;
    let gerbang_pids = vec![gw.pid()];
    // The engine alone, with the same certificate, and the other allocator's builds.
    let bare = Bare::start(&bare_binary(None), upstream.addr, &cert, &key, &under).await;
    let mimalloc = match std::env::var_os("COMPARE_MIMALLOC_DIR").map(PathBuf::from) {
        Some(dir) => Some(Mimalloc {
            bare: Bare::start(&bare_binary(Some(&dir)), upstream.addr, &cert, &key, &under).await,
            gerbang: Gerbang::start(Spec {
                https: true,
                http: false,
                server_extra: "threads = 1\n".into(),
                under: under.clone(),
                binary: Some(dir.join("gerbang")),
                ..Spec::http(route("open", upstream.addr, "public", ""))
            })
            .await,
        }),
        None => None,
    };
    let mimalloc_pids = mimalloc
        .as_ref()
        .map(|m| (vec![m.bare.pid()], vec![m.gerbang.pid()]));
    pin(&nginx_pids, SERVER_CPU);
    pin(&gerbang_pids, SERVER_CPU);
    pin(&[bare.pid()], SERVER_CPU);
    if let Some((bare, gerbang)) = &mimalloc_pids {
        pin(&[bare.as_slice(), gerbang].concat(), SERVER_CPU);
    }
    // COMPARE_UPSTREAM_CPU=0 moves the upstream next to the load generator, giving the proxy
    // a core of its own (as in production, where it does not share one with the app).
    let upstream_cpu = std::env::var("COMPARE_UPSTREAM_CPU").unwrap_or_else(|_| SERVER_CPU.into());
    pin(&upstream.pids, &upstream_cpu);

    let script = gw.dir.path().join("report.lua");
    std::fs::write(&script, REPORT_SCRIPT).unwrap();
    let host = |h: &str| format!("Host: {h}");
    let app_url = gw.url("app.test", "/whoami");
    // Sends each session target's cookie as it stands, without a jar of its own.
    let refresher = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .resolve("app.test", gerbang)
        .resolve("ruled.test", gerbang)
        .build()
        .unwrap();
    let bare_url = format!("https://{}/whoami", bare.addr);
    // wrk opens a new connection, with a full TLS handshake, for each request that asks to
    // close (none of the three resumes a session).
    let close = || "Connection: close".to_string();
    let mut phases: Vec<Phase> = vec![
        Phase::new(
            DIRECT,
            format!("http://{}/whoami", upstream.addr),
            vec![],
            upstream.pids.clone(),
        ),
        Phase::new(
            NGINX,
            format!("https://{front}/whoami"),
            vec![host("plain.test")],
            nginx_pids.clone(),
        ),
        Phase::new(BARE, bare_url.clone(), vec![], vec![bare.pid()]),
        Phase::new(
            PUBLIC,
            format!("https://{gerbang}/whoami"),
            vec![host("open.test")],
            gerbang_pids.clone(),
        ),
        Phase::new(
            SESSION,
            format!("https://{gerbang}/whoami"),
            vec![host("app.test"), cookie.clone()],
            gerbang_pids.clone(),
        )
        .session(app_url.clone()),
        Phase::new(
            BEARER,
            format!("https://{gerbang}/whoami"),
            vec![host("api.test"), bearer().await],
            gerbang_pids.clone(),
        ),
        Phase::new(
            AUTH_REQUEST,
            format!("https://{front}/whoami"),
            vec![host("guarded.test"), cookie.clone()],
            [nginx_pids.clone(), gerbang_pids.clone()].concat(),
        )
        .session(app_url.clone()),
        Phase {
            flood: true,
            ..Phase::new(
                FLOOD,
                format!("https://{gerbang}/whoami"),
                vec![host("app.test"), cookie.clone()],
                gerbang_pids.clone(),
            )
            .session(app_url.clone())
        },
        Phase::new(
            RULES,
            format!("https://{gerbang}/whoami"),
            vec![host("ruled.test"), ruled_cookie],
            gerbang_pids.clone(),
        )
        .session(gw.url("ruled.test", "/whoami")),
        Phase::new(
            NGINX_HANDSHAKES,
            format!("https://{front}/whoami"),
            vec![host("plain.test"), close()],
            nginx_pids.clone(),
        ),
        Phase::new(BARE_HANDSHAKES, bare_url, vec![close()], vec![bare.pid()]),
        Phase::new(
            PUBLIC_HANDSHAKES,
            format!("https://{gerbang}/whoami"),
            vec![host("open.test"), close()],
            gerbang_pids.clone(),
        ),
    ];
    if let (Some(m), Some((bare_pids, gerbang_pids))) = (&mimalloc, &mimalloc_pids) {
        phases.push(Phase::new(
            BARE_MIMALLOC,
            format!("https://{}/whoami", m.bare.addr),
            vec![],
            bare_pids.clone(),
        ));
        phases.push(Phase::new(
            PUBLIC_MIMALLOC,
            format!("https://{}/whoami", m.gerbang.https.unwrap()),
            vec![host("open.test")],
            gerbang_pids.clone(),
        ));
    }
    if let Some(callgrind) = &callgrind {
        count_instructions(&mut phases, &refresher, callgrind, seconds, &script).await;
        return;
    }
    let rounds = env("COMPARE_ROUNDS", 3);
    let profile = std::env::var("COMPARE_PROFILE").ok();
    let mut runs: Vec<Vec<Run>> = phases.iter().map(|_| Vec::new()).collect();
    let bearer_phase = phases.iter().position(|p| p.name == BEARER).unwrap();
    for round in 0..rounds {
        phases[bearer_phase].headers[1] = bearer().await;
        for (phase, runs) in phases.iter_mut().zip(&mut runs) {
            phase.keep_fresh(&refresher).await;
            let flood = phase.flood.then(|| LoginFlood::start(&gw, 32));
            let profiler = (round == 0 && profile.as_deref() == Some(phase.name)).then(|| {
                Command::new("perf")
                    .args([
                        "record",
                        "-F",
                        "999",
                        "--call-graph",
                        "dwarf,16384",
                        "-o",
                        "perf.data",
                        "-p",
                        &gw.pid().to_string(),
                        "--",
                        "sleep",
                        &(seconds + 2).to_string(),
                    ])
                    .spawn()
                    .expect("perf (linux-perf)")
            });
            runs.push(phase.measure(seconds, &script));
            if let Some(mut p) = profiler {
                let _ = p.wait();
                eprintln!("profile of `{}` written to perf.data", phase.name);
            }
            if let Some(flood) = flood {
                let attempts = flood.stop().await;
                eprintln!("login flood: {attempts} wrong passwords answered");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }
    let medians: Vec<Run> = runs.iter().map(|r| median(r)).collect();
    let rate = |name: &str| {
        medians
            .iter()
            .find(|m| m.name == name)
            .map_or(f64::NAN, |m| m.rate)
    };
    let (public, nginx_rate, bare_rate) = (rate(PUBLIC), rate(NGINX), rate(BARE));
    println!("| target | req/s (median) | req/s (range) | p50 ms | p99 ms | p99.9 ms | errors | CPU s / 10k req | peak RSS MB | × gerbang public | × bare pingora | × nginx |");
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (m, all) in medians.iter().zip(&runs) {
        let (low, high) = all.iter().fold((f64::MAX, 0.0f64), |(l, h), r| {
            (l.min(r.rate), h.max(r.rate))
        });
        println!(
            "| {} | {:.0} | {:.0}–{:.0} | {:.2} | {:.2} | {:.2} | {} | {:.3} | {:.1} | {:.2} | {:.2} | {:.2} |",
            m.name, m.rate, low, high, m.p50, m.p99, m.p999, m.errors, m.cpu_per_10k, m.rss_mb,
            m.rate / public, m.rate / bare_rate, m.rate / nginx_rate
        );
    }
    println!();
    println!(
        "{rounds} rounds; each target: wrk, 1 thread, 32 connections, {seconds} s after a 2 s warm-up, pinned to CPU {LOAD_CPU}; servers (upstream: {}, nginx with 1 worker, bare pingora and gerbang with 1 thread) pinned to CPU {SERVER_CPU}, the upstream to CPU {upstream_cpu}; HTTPS with keep-alive except direct (HTTP) and the new-connection targets (a full TLS handshake per request). Medians of each column over the rounds.",
        upstream.name
    );
    if std::env::var_os("COMPARE_COUNTS").is_some() {
        phases[bearer_phase].headers[1] = bearer().await;
        count_calls(&mut phases, &refresher, &gw, seconds, &script).await;
    }
    let ratio = |a: &str, b: &str| rate(a) / rate(b);
    println!(
        "gerbang public / bare pingora (Gerbang's own overhead): {:.2}",
        ratio(PUBLIC, BARE)
    );
    println!(
        "bare pingora / nginx (the engine): {:.2}",
        ratio(BARE, NGINX)
    );
    println!(
        "session route (headers + JWT) / public route: {:.2}",
        ratio(SESSION, PUBLIC)
    );
    println!(
        "bearer route (headers + JWT) / public route: {:.2}",
        ratio(BEARER, PUBLIC)
    );
    println!(
        "inline gerbang session / nginx + auth_request: {:.2}",
        ratio(SESSION, AUTH_REQUEST)
    );
    println!(
        "session route under the login flood / without: {:.2}",
        ratio(FLOOD, SESSION)
    );
    println!(
        "TLS handshakes per second, gerbang / nginx: {:.2} (bare pingora / nginx: {:.2})",
        ratio(PUBLIC_HANDSHAKES, NGINX_HANDSHAKES),
        ratio(BARE_HANDSHAKES, NGINX_HANDSHAKES)
    );
    if mimalloc.is_some() {
        println!(
            "mimalloc / glibc: gerbang public {:.2}, bare pingora {:.2}",
            ratio(PUBLIC_MIMALLOC, PUBLIC),
            ratio(BARE_MIMALLOC, BARE)
        );
    }
    let cpu = |name: &str| {
        medians
            .iter()
            .find(|m| m.name == name)
            .map_or(f64::NAN, |m| m.cpu_per_10k)
    };
    println!(
        "session route with 10 access rules / without, CPU per request: {:.3} (requests/s {:.3})",
        cpu(RULES) / cpu(SESSION),
        ratio(RULES, SESSION)
    );

    // Latency added at half of the session route's capacity: open-loop load at a fixed rate,
    // from a separate process on the load core, against the upstream and against Gerbang.
    let half = (rate(SESSION) / 2.0).round() as u64;
    // As many rounds as above, the two interleaved; each column's median.
    let (mut direct, mut through) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        direct.push(at_rate(
            &format!("http://{}/whoami", upstream.addr),
            &[],
            half,
            seconds,
        ));
        through.push(at_rate(
            &format!("https://{gerbang}/whoami"),
            &[host("app.test"), cookie.clone()],
            half,
            seconds,
        ));
    }
    let added: Vec<f64> = direct
        .iter()
        .zip(&through)
        .map(|(d, t)| t[1] - d[1])
        .collect();
    let (direct, through) = (column_medians(&direct), column_medians(&through));
    println!();
    println!("| at {half} req/s (half the session route's median), {rounds} rounds, medians | p50 ms | p99 ms | p99.9 ms | errors |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (name, l) in [("direct", &direct), ("gerbang, session cookie", &through)] {
        println!(
            "| {name} | {:.2} | {:.2} | {:.2} | {} |",
            l[0], l[1], l[2], l[3]
        );
    }
    let rendered: Vec<String> = added.iter().map(|a| format!("{a:.2}")).collect();
    println!(
        "p99 added by gerbang at half load: {:.2} ms (median; each round: {} ms)",
        through[1] - direct[1],
        rendered.join(", ")
    );
    // An error line must mean something failed (issue 22): over the whole run, none.
    let logs = gw.logs();
    let errors: Vec<&str> = logs.lines().filter(|l| l.contains(" ERROR ")).collect();
    println!(
        "error-level lines in Gerbang's log over the whole run ({:.0} s of load per target and round): {}",
        seconds,
        errors.len()
    );
    for line in errors.iter().take(5) {
        println!("  {line}");
    }
}

/// One more pass over the targets, counting each one's system calls and heap allocations per
/// request (its rates are not kept: the allocation probes slow the servers down).
async fn count_calls(
    phases: &mut [Phase],
    refresher: &reqwest::Client,
    gw: &Gerbang,
    seconds: u64,
    script: &std::path::Path,
) {
    let mut counted = Vec::new();
    for phase in phases.iter_mut() {
        phase.keep_fresh(refresher).await;
        let flood = phase.flood.then(|| LoginFlood::start(gw, 32));
        // After wrk's 2 s warm-up, for the measured seconds.
        let counter = CallCounter::start(&phase.pids, 2000, seconds);
        let run = phase.measure(seconds, script);
        counted.push((phase.name, run.rate * seconds as f64, counter.finish()));
        if let Some(flood) = flood {
            flood.stop().await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let labels: Vec<&str> = counted[0].2.groups.iter().map(|(l, _)| *l).collect();
    println!();
    println!(
        "| per request | heap allocations | system calls | {} |",
        labels.join(" | ")
    );
    println!("| --- | ---: | ---: |{}", " ---: |".repeat(labels.len()));
    for (name, requests, calls) in &counted {
        let per = |n: u64| format!("{:.2}", n as f64 / requests.max(1.0));
        let groups: Vec<String> = calls.groups.iter().map(|(_, n)| per(*n)).collect();
        println!(
            "| {name} | {} | {} | {} |",
            per(calls.allocations),
            per(calls.syscalls),
            groups.join(" | ")
        );
    }
    println!();
}

/// Instructions per request of each target that runs only under callgrind (all but the
/// upstream alone, and without the login flood, whose password hashing would be counted):
/// the difference between a short and a long run, so that connecting (wrk opens new
/// connections each run, with TLS handshakes) and closing cancel out.
async fn count_instructions(
    phases: &mut [Phase],
    refresher: &reqwest::Client,
    callgrind: &Callgrind,
    seconds: u64,
    script: &Path,
) {
    let mut counted = Vec::new();
    // The upstream alone (nginx, or the Rust app in this process) never runs under callgrind.
    for phase in phases.iter_mut().filter(|p| !p.flood && p.name != DIRECT) {
        phase.keep_fresh(refresher).await;
        let run = |secs: u64| {
            callgrind.count(&phase.pids, || {
                // Few connections: under callgrind a request takes milliseconds, and 32 queued
                // ones would pass wrk's 2 s timeout.
                tokio::task::block_in_place(|| {
                    wrk_once(&phase.url, &phase.headers, 8, secs, script)
                })
            })
        };
        let (short, short_instructions, _) = run(2);
        let (long, long_instructions, dumps) = run(2 + seconds);
        // A run with failed requests counts work that is not a proxied request: left out.
        let errors = short.3 + long.3;
        let per_request = (errors == 0 && long.0 > short.0).then(|| {
            long_instructions.saturating_sub(short_instructions) as f64 / (long.0 - short.0) as f64
        });
        counted.push((
            phase.name,
            per_request,
            long.0.saturating_sub(short.0),
            errors,
        ));
        eprintln!("{}: callgrind dumps of the long run: {dumps:?}", phase.name);
    }
    let nginx = counted
        .iter()
        .find(|(name, ..)| name.starts_with("nginx, plain"))
        .and_then(|c| c.1);
    println!();
    println!("| target | user-space instructions per request | × nginx | requests counted |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, per_request, requests, errors) in &counted {
        match (per_request, nginx) {
            (Some(n), Some(nginx)) => {
                println!("| {name} | {n:.0} | {:.2} | {requests} |", n / nginx)
            }
            (Some(n), None) => println!("| {name} | {n:.0} | | {requests} |"),
            (None, _) => println!("| {name} | not counted: {errors} failed requests | | |"),
        }
    }
    println!();
    println!(
        "callgrind (valgrind): the difference between a {} s and a 2 s wrk run (1 thread, 8 connections) of each target; nginx + auth_request counts both nginx and gerbang.",
        2 + seconds
    );
}

// The targets, by name.
const DIRECT: &str = "direct (the upstream itself)";
const NGINX: &str = "nginx, plain reverse proxy";
const BARE: &str = "bare pingora (the engine alone)";
const PUBLIC: &str = "gerbang, public route";
const SESSION: &str = "gerbang, session cookie, headers + JWT";
const BEARER: &str = "gerbang, bearer JWT, headers + JWT";
const AUTH_REQUEST: &str = "nginx + auth_request to gerbang";
const FLOOD: &str = "gerbang, session cookie, 32-client login flood";
const RULES: &str = "gerbang, session cookie, 10 access rules";
const NGINX_HANDSHAKES: &str = "nginx, new TLS connection per request";
const BARE_HANDSHAKES: &str = "bare pingora, new TLS connection per request";
const PUBLIC_HANDSHAKES: &str = "gerbang public, new TLS connection per request";
const BARE_MIMALLOC: &str = "bare pingora, mimalloc";
const PUBLIC_MIMALLOC: &str = "gerbang, public route, mimalloc";

/// A `[[route]]` table for `<name>.test`; `extra`: more of its keys.
fn route(name: &str, upstream: SocketAddr, policy: &str, extra: &str) -> String {
    format!(
        "[[route]]\nname = \"{name}\"\nhost = \"{name}.test\"\nupstreams = [\"{upstream}\"]\n\
         policy = \"{policy}\"\n{extra}"
    )
}

/// The upstream every target fronts: the Rust test app in this process (it answers with what
/// it was sent), or with `COMPARE_UPSTREAM=nginx`, nginx answering `return 200`: the cheapest
/// upstream there is, so that each proxy's own cost dominates.
struct Upstream {
    name: &'static str,
    addr: SocketAddr,
    pids: Vec<u32>,
    _app: Option<App>,
    _nginx: Option<Nginx>,
}

impl Upstream {
    async fn start() -> Upstream {
        match std::env::var("COMPARE_UPSTREAM").as_deref() {
            Ok("nginx") => {
                let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
                let nginx = Nginx::start(
                    &format!(
                        "  server {{\n    listen {addr};\n    keepalive_requests 1000000;\n    \
                         location / {{ return 200 \"ok\\n\"; }}\n  }}\n"
                    ),
                    addr,
                )
                .await;
                Upstream {
                    name: "nginx, return 200",
                    addr,
                    pids: nginx.pids().await,
                    _app: None,
                    _nginx: Some(nginx),
                }
            }
            Ok("app") | Err(_) => {
                let app = App::start("bench").await;
                Upstream {
                    name: "the Rust test app",
                    addr: app.addr,
                    pids: vec![std::process::id()],
                    _app: Some(app),
                    _nginx: None,
                }
            }
            Ok(other) => panic!("COMPARE_UPSTREAM is `app` or `nginx`, not `{other}`"),
        }
    }
}

/// The engine alone (`gateway/examples/bare_pingora.rs`) on a port of its own; stopped when
/// dropped.
struct Bare {
    child: std::process::Child,
    addr: SocketAddr,
}

impl Bare {
    async fn start(
        binary: &Path,
        upstream: SocketAddr,
        cert: &Path,
        key: &Path,
        under: &[String],
    ) -> Bare {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let child = command_under(under, binary)
            .arg(addr.to_string())
            .arg(upstream.to_string())
            .args([cert, key])
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} (scripts/compare builds it): {e}", binary.display()));
        let mut bare = Bare { child, addr };
        let within = Duration::from_secs(60);
        gerbang_tests::wait_listening(&mut bare.child, addr, within, "bare_pingora", String::new)
            .await;
        bare
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The `bare_pingora` example beside the `gerbang` binary, or in `dir`.
fn bare_binary(dir: Option<&Path>) -> PathBuf {
    match dir {
        Some(dir) => dir.join("bare_pingora"),
        None => gerbang_tests::gerbang_binary()
            .parent()
            .expect("the binary's folder")
            .join("examples/bare_pingora"),
    }
}

/// The builds with mimalloc as the global allocator (`COMPARE_MIMALLOC_DIR`), each serving
/// the public route only: the allocator side by side.
struct Mimalloc {
    bare: Bare,
    gerbang: Gerbang,
}

fn env(name: &str, default: usize) -> usize {
    gerbang_tests::setting(name, default as u64) as usize
}

/// One target: what wrk asks for, and whose CPU and memory are counted.
struct Phase {
    name: &'static str,
    /// For a session cookie target (the cookie is `headers[1]`): the route's address, to take
    /// the cookie the gateway refreshes before each measurement (see [`Phase::keep_fresh`]).
    session_url: Option<String>,
    url: String,
    headers: Vec<String>,
    pids: Vec<u32>,
    /// Measured while 32 clients post wrong passwords to the login page.
    flood: bool,
}

impl Phase {
    /// wrk on this target (see [`measure`]), from the runtime's blocking section.
    fn measure(&self, seconds: u64, script: &std::path::Path) -> Run {
        tokio::task::block_in_place(|| {
            measure(
                self.name,
                &self.url,
                &self.headers,
                &self.pids,
                seconds,
                script,
            )
        })
    }

    fn new(name: &'static str, url: String, headers: Vec<String>, pids: Vec<u32>) -> Phase {
        Phase {
            name,
            session_url: None,
            url,
            headers,
            pids,
            flood: false,
        }
    }

    /// A session cookie target, its cookie refreshed through `session_url`.
    fn session(self, session_url: String) -> Phase {
        Phase {
            session_url: Some(session_url),
            ..self
        }
    }

    /// A browser keeps the cookie the gateway refreshes when its record is over a minute old;
    /// wrk does not, so a cookie that aged through the earlier targets would be resealed on
    /// every request and measured as such (it made the 10-rule route look 20 % dearer than
    /// the plain one). Takes the refreshed cookie before the target is measured, as a browser
    /// would.
    async fn keep_fresh(&mut self, http: &reqwest::Client) {
        let Some(url) = &self.session_url else {
            return;
        };
        let held = self.headers[1].trim_start_matches("Cookie: ").to_string();
        let answer = http
            .get(url)
            .header("cookie", &held)
            .send()
            .await
            .expect("the session route");
        assert_eq!(answer.status(), 200, "{} with its cookie", self.name);
        let set = browser::cookies_set_by(&answer);
        if set.is_empty() {
            return;
        }
        let renewed = |pair: &&str| {
            let name = pair.split('=').next().unwrap_or_default();
            set.split("; ").any(|s| s.split('=').next() == Some(name))
        };
        let kept: Vec<&str> = held.split("; ").filter(|p| !renewed(p)).collect();
        self.headers[1] = format!("Cookie: {}", [kept, vec![set.as_str()]].concat().join("; "));
    }
}

/// Each column's median over the rounds.
fn median(runs: &[Run]) -> Run {
    let mid = |f: fn(&Run) -> f64| median_of(runs.iter().map(f).collect());
    Run {
        name: runs[0].name,
        rate: mid(|r| r.rate),
        p50: mid(|r| r.p50),
        p99: mid(|r| r.p99),
        p999: mid(|r| r.p999),
        errors: runs.iter().map(|r| r.errors).sum(),
        cpu_per_10k: mid(|r| r.cpu_per_10k),
        rss_mb: mid(|r| r.rss_mb),
    }
}

/// The median of each column of `rows`.
fn column_medians(rows: &[[f64; 4]]) -> [f64; 4] {
    std::array::from_fn(|c| median_of(rows.iter().map(|r| r[c]).collect()))
}

fn median_of(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Latency (p50, p99, p99.9 in ms, and errors) of `rate` requests/s for `seconds`, sent by this
/// program's `rate` mode in its own process on the load core.
fn at_rate(url: &str, headers: &[String], rate: u64, seconds: u64) -> [f64; 4] {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("taskset")
        .args(["-c", LOAD_CPU])
        .arg(exe)
        .args(["rate", url, &rate.to_string(), &seconds.to_string()])
        .args(headers)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("LATENCY "))
        .unwrap_or_else(|| {
            panic!(
                "no latency report: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let v: Vec<f64> = line
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    [v[0], v[1], v[2], v[3]]
}

/// `gerbang-compare rate URL RATE SECONDS [HEADER…]`: open-loop load at a fixed rate over 32
/// kept-alive connections, each sending its share on a fixed schedule (as wrk2 does). Each
/// request's latency counts from the moment it was due, so a slow server cannot hide its queue
/// (no coordinated omission). A 2 s warm-up is sent first and not counted.
///
/// Each connection has its own thread and waits for its next request with the system's
/// high-resolution sleep: tokio's timer has a resolution of 1 ms, so connections waiting on it
/// all woke on the same tick and sent their requests in bursts, which then queued at the server
/// (at 5,700 requests/s, bursts of about six: the last waited for the five before it).
fn rate_mode(args: &[String]) {
    const CONNECTIONS: u32 = 32;
    let (url, rate, seconds) = (
        args[0].clone(),
        args[1].parse::<u64>().unwrap(),
        args[2].parse::<u64>().unwrap(),
    );
    let mut headers = reqwest::header::HeaderMap::new();
    for h in &args[3..] {
        let (name, value) = h.split_once(": ").unwrap();
        headers.insert(
            reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    let start = std::time::Instant::now();
    let warm_up = start + Duration::from_secs(2);
    let end = warm_up + Duration::from_secs(seconds);
    let interval = Duration::from_nanos(1_000_000_000 * u64::from(CONNECTIONS) / rate);
    let connections: Vec<_> = (0..CONNECTIONS)
        .map(|c| {
            let (url, headers) = (url.clone(), headers.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let client = reqwest::Client::builder()
                    .http1_only()
                    .pool_max_idle_per_host(1)
                    .danger_accept_invalid_certs(true)
                    .default_headers(headers)
                    .build()
                    .unwrap();
                let (mut latencies, mut errors) = (Vec::new(), 0u64);
                // Connections start spread over one interval.
                let mut due = start + interval * c / CONNECTIONS;
                while due < end {
                    std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
                    let ok = runtime.block_on(async {
                        match client.get(&url).send().await {
                            Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                            Err(_) => false,
                        }
                    });
                    if due >= warm_up {
                        match ok {
                            true => latencies.push(due.elapsed()),
                            false => errors += 1,
                        }
                    }
                    due += interval;
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut all, mut errors) = (Vec::new(), 0);
    for c in connections {
        let (l, e) = c.join().unwrap();
        all.extend(l);
        errors += e;
    }
    all.sort();
    let at = |q: f64| {
        all.get(((all.len().max(1) - 1) as f64 * q) as usize)
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    println!(
        "LATENCY {:.3} {:.3} {:.3} {}",
        at(0.5),
        at(0.99),
        at(0.999),
        errors
    );
}
