//! `gerbang-soak`: Gerbang under mixed traffic for a while (issue 24; `scripts/soak`,
//! `docs/reliability.md`) while a fault schedule stops and starts the upstream, the SMTP server
//! and PostgreSQL (a cluster of the harness's own, restarted in immediate mode), reloads the
//! configuration, rotates a signing key and replaces the process (a zero-downtime upgrade).
//!
//! It reports, per kind of request, the failures a fault explains and those none does (any of
//! which fails the run); p99 latency, RSS and open descriptors over time, with the slope of the
//! last two after warm-up; and whether every acknowledged registration's activation mail
//! arrived exactly once.
//!
//! Settings: `SOAK_MINUTES` (default 30), `SOAK_CLIENTS` per kind of request (default 2).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod clients;
mod faults;
mod report;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gerbang_idp::store::test_database::TestSchema;
use gerbang_idp::store::{PgStore, SharedStore};
use gerbang_tests::cluster::Cluster;
use gerbang_tests::site::Site;
use gerbang_tests::smtp::SmtpServer;
use gerbang_tests::{browser, Gerbang, Reserved};

use clients::{Shared, APP_HOST, CLIENT, CLIENT_SECRET, KINDS, PASSWORD, PUBLIC_HOST, USER};
use faults::{Faults, Parts};
use report::Sample;

/// How often RSS and open descriptors are read.
const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// How long every acknowledged registration's mail has, after the traffic stops, to arrive
/// (a message that met the SMTP server stopped waits for its retry, at most 40 s by then).
const MAIL_WAIT: Duration = Duration::from_secs(120);

/// The site: the app behind an authenticated route and a public one, forward-auth for nginx,
/// a client for token grants, PostgreSQL as the store. The routes check their upstream every
/// second, so that one back from a stop is used again within the schedule's grace.
fn configuration(smtp: &SmtpServer, app: &str, schema: &TestSchema) -> gerbang_tests::Spec {
    let routes = format!(
        "[[route]]\nname = \"perizinan\"\nhost = \"{APP_HOST}\"\nupstreams = [\"{app}\"]\npolicy = \"authenticated\"\nforward = [\"headers\"]\nhealth_check_secs = 1\n\n\
         [[route]]\nname = \"informasi\"\nhost = \"{PUBLIC_HOST}\"\nupstreams = [\"{app}\"]\npolicy = \"public\"\nhealth_check_secs = 1\n"
    );
    let mut spec = Site::spec(smtp, routes, vec![(USER.into(), PASSWORD.into())]);
    spec.store = Some(gerbang_tests::postgres_store(schema));
    // An upgrade's old process drains its connections for a while, as in production.
    spec.grace_period_secs = 5;
    // A PostgreSQL store has no folder for the upgrade socket: it goes beside the configuration.
    spec.server_extra = "forward_auth = \"nginx\"\ntrusted_proxies = [\"127.0.0.1\"]\nupgrade_socket = \"upgrade.sock\"\n".into();
    let limit = "attempts_per_address_per_minute = 1000\n";
    assert!(spec.extra.contains(limit), "the site's limit moved");
    // Every client is 127.0.0.1: the most the configuration allows for one address.
    spec.extra = spec.extra.replace(limit, "attempts_per_address_per_minute = 10000\n")
        + &format!(
            "\n[[client]]\nid = \"{CLIENT}\"\nsecret = \"{CLIENT_SECRET}\"\nredirect_uris = [\"https://soak.test/cb\"]\ngrant_types = [\"client_credentials\"]\n"
        );
    spec
}

/// Reads RSS and open descriptors of the serving process every [`SAMPLE_EVERY`] until `until`.
async fn sample(pid: Arc<AtomicU32>, started: Instant, until: Instant) -> Vec<Sample> {
    let mut samples = Vec::new();
    while Instant::now() < until {
        let pid = pid.load(Ordering::Relaxed);
        let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count());
        samples.push(Sample {
            at: started.elapsed(),
            rss_mb: gerbang_tests::load::rss_mb(&[pid]),
            fds,
        });
        tokio::time::sleep(SAMPLE_EVERY).await;
    }
    samples
}

#[tokio::main]
async fn main() {
    gerbang_tests::short_panics();
    let minutes = gerbang_tests::setting("SOAK_MINUTES", 30);
    let per_kind = gerbang_tests::setting("SOAK_CLIENTS", 2) as usize;
    let cluster = tokio::task::block_in_place(Cluster::start);
    let schema = TestSchema::create_in(cluster.url()).await;
    let smtp = SmtpServer::start().await;
    let reserved = Reserved::new("perizinan").await;
    let app_address = reserved.addr.to_string();
    let gw = Gerbang::start(configuration(&smtp, &app_address, &schema)).await;
    let app = reserved.serve(None);
    let hosts = [Gerbang::PROVIDER_HOST, APP_HOST, PUBLIC_HOST];
    let maker = gw.client_maker(&hosts);
    let faults = Arc::new(Faults::default());
    let shared = Arc::new(Shared::new(&gw, faults.clone()));
    // The session the route, forward-auth and token loops use.
    let session = maker.client();
    let callback = browser::log_in(&session, &shared.app_url, &shared.issuer, USER, PASSWORD).await;
    session.get(&callback).send().await.expect("the callback");

    let started = Instant::now();
    let until = started + Duration::from_secs(minutes * 60);
    eprintln!("soak: {minutes} minutes, {per_kind} clients per kind");
    let pid = Arc::new(AtomicU32::new(gw.pid()));
    let sampler = tokio::spawn(sample(pid.clone(), started, until));
    let loops: Vec<_> = KINDS
        .iter()
        .flat_map(|kind| std::iter::repeat_n(*kind, per_kind))
        .map(|kind| {
            let maker = maker.clone();
            let fresh = move || maker.client();
            tokio::spawn(clients::run(kind, fresh, session.clone(), shared.clone()))
        })
        .collect();
    let mut parts = Parts {
        gw,
        app: Some(app),
        app_address,
        smtp,
        cluster,
        pid,
    };
    faults::run(&mut parts, &faults, until).await;
    shared.stop.store(true, Ordering::Relaxed);
    for task in loops {
        task.await.expect("a client loop");
    }
    let samples = sampler.await.expect("the sampler");
    let registered = shared.registered.lock().unwrap().clone();
    let mut mail = report::mail(&parts.smtp, &registered, MAIL_WAIT).await;
    // What is still in the outbox, read once the server has stopped.
    parts.gw.signal("TERM");
    let stopped = parts.gw.wait_exit(Duration::from_secs(60)).await;
    assert!(stopped.is_some(), "the server did not stop");
    let store: SharedStore = Arc::new(PgStore::connect(&schema.options()).expect("the store"));
    mail.still_queued(&gerbang_tests::smtp::queued_to(&store).await);
    let held = report::print(started, &shared, &faults, &samples, &mail);
    if let Some(app) = parts.app.take() {
        app.stop().await;
    }
    if !held {
        std::process::exit(1);
    }
}
