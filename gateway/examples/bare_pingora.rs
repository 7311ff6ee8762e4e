//! The engine alone, for `scripts/compare` (docs/benchmarks.md): a Pingora proxy with no logic
//! at all. Every request goes to the one upstream; nothing is read, checked, added or logged.
//! Built as the `gerbang` package's example, it has Gerbang's release profile, its patched
//! Pingora and, with `--features mimalloc`, its allocator, so a run shows the engine's cost and
//! Gerbang's own apart.
//!
//! `bare_pingora <listen> <upstream> <cert.pem> <key.pem>`: HTTPS on `listen` (the same rustls
//! listener settings as Gerbang's: Mozilla intermediate, HTTP/2 offered), one thread.

#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;

use async_trait::async_trait;
use pingora::listeners::tls::TlsSettings;
use pingora::prelude::{HttpPeer, ProxyHttp, Result, Session};
use pingora::proxy::http_proxy_service;
use pingora::server::configuration::ServerConf;
use pingora::server::Server;

struct Bare {
    upstream: SocketAddr,
}

#[async_trait]
impl ProxyHttp for Bare {
    type CTX = ();

    fn new_ctx(&self) {}

    async fn upstream_peer(&self, _: &mut Session, _: &mut ()) -> Result<Box<HttpPeer>> {
        Ok(Box::new(HttpPeer::new(self.upstream, false, String::new())))
    }
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, upstream, cert, key] = args.as_slice() else {
        eprintln!("usage: bare_pingora <listen> <upstream> <cert.pem> <key.pem>");
        return std::process::ExitCode::from(2);
    };
    let Ok(upstream) = upstream.parse() else {
        eprintln!("bare_pingora: the upstream is an address and port: {upstream}");
        return std::process::ExitCode::from(2);
    };
    let mut conf = ServerConf {
        threads: 1,
        ..ServerConf::default()
    };
    conf.work_stealing = false;
    let mut server = Server::new_with_opt_and_conf(None, conf);
    server.bootstrap();
    let mut service = http_proxy_service(&server.configuration, Bare { upstream });
    let mut tls = match TlsSettings::intermediate(cert, key) {
        Ok(tls) => tls,
        Err(e) => {
            eprintln!("bare_pingora: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tls.enable_h2();
    service.add_tls_with_settings(listen, None, tls);
    server.add_service(service);
    server.run_forever()
}
