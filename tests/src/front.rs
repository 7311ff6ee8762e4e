//! Caddy and Traefik on loopback in front of Gerbang, as forward-auth askers, run from a folder
//! of their own with the configuration a test gives; stopped when dropped. (nginx has its own
//! module: the benchmarks run it too.)

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Front {
    child: Child,
    pub dir: tempfile::TempDir,
    name: &'static str,
}

/// Where a front proxy finds Gerbang, the app and the development certificate.
pub struct Backends<'a> {
    pub gerbang: SocketAddr,
    pub app: SocketAddr,
    pub certs: &'a Path,
}

impl Front {
    /// Caddy with `forward_auth` on `perizinan.test` and the provider's host, on `listen`.
    pub async fn caddy(listen: SocketAddr, to: &Backends<'_>) -> Front {
        let dir = tempfile::tempdir().expect("caddy folder");
        let (port, d) = (listen.port(), dir.path().display());
        let (cert, key, ca) = Self::pems(to.certs);
        let gerbang = to.gerbang.port();
        let upstream = format!(
            "reverse_proxy https://localhost:{gerbang} {{\n    transport http {{\n      tls_trusted_ca_certs {ca}\n    }}\n  }}"
        );
        let caddyfile = format!(
            "{{\n  admin off\n  auto_https off\n  storage file_system {d}/data\n  skip_install_trust\n  log {{\n    output file {d}/caddy.log\n    level ERROR\n  }}\n}}\n\
             https://sso.test:{port} {{\n  bind 127.0.0.1\n  tls {cert} {key}\n  {upstream}\n}}\n\
             https://perizinan.test:{port} {{\n  bind 127.0.0.1\n  tls {cert} {key}\n  handle /_gerbang/* {{\n  {upstream}\n  }}\n  handle {{\n    \
             request_header -X-Gerbang-*\n    \
             reverse_proxy https://localhost:{gerbang} {{\n      method GET\n      rewrite /_gerbang/auth\n      header_up X-Forwarded-Method {{method}}\n      header_up X-Forwarded-Uri {{uri}}\n      \
             transport http {{\n        tls_trusted_ca_certs {ca}\n      }}\n      \
             @user {{\n        status 2xx\n        header X-Gerbang-User *\n      }}\n      handle_response @user {{\n        request_header X-Gerbang-User {{rp.header.X-Gerbang-User}}\n      }}\n      \
             @pass status 2xx\n      handle_response @pass {{\n        vars gerbang_passed yes\n      }}\n    }}\n    \
             reverse_proxy {app}\n  }}\n}}\n",
            app = to.app
        );
        let config = dir.path().join("Caddyfile");
        std::fs::write(&config, caddyfile).expect("Caddyfile");
        let mut command = Command::new("caddy");
        command
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&config)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_CONFIG_HOME", dir.path().join("config"));
        Self::start("caddy", command, dir, listen).await
    }

    /// Traefik with a `forwardAuth` middleware on `perizinan.test` and the provider's host, on
    /// `listen` (file provider).
    pub async fn traefik(listen: SocketAddr, to: &Backends<'_>) -> Front {
        let dir = tempfile::tempdir().expect("traefik folder");
        let d = dir.path().display();
        let (cert, key, ca) = Self::pems(to.certs);
        let gerbang = to.gerbang.port();
        let static_config = format!(
            "global:\n  checkNewVersion: false\n  sendAnonymousUsage: false\n\
             log:\n  level: ERROR\n  filePath: {d}/traefik.log\n\
             entryPoints:\n  websecure:\n    address: \"{listen}\"\n\
             providers:\n  file:\n    filename: {d}/dynamic.yml\n"
        );
        let dynamic = format!(
            "http:\n  routers:\n\
             \x20   sso:\n      rule: \"Host(`sso.test`)\"\n      service: gerbang\n      tls: {{}}\n\
             \x20   gerbang-paths:\n      rule: \"Host(`perizinan.test`) && PathPrefix(`/_gerbang/`)\"\n      service: gerbang\n      tls: {{}}\n\
             \x20   app:\n      rule: \"Host(`perizinan.test`)\"\n      service: app\n      middlewares: [gerbang]\n      tls: {{}}\n\
             \x20 middlewares:\n    gerbang:\n      forwardAuth:\n        address: \"https://localhost:{gerbang}/_gerbang/auth\"\n        tls:\n          ca: \"{ca}\"\n        authResponseHeaders: [\"X-Gerbang-User\"]\n        addAuthCookiesToResponse: [\"__Host-gerbang-session\"]\n\
             \x20 services:\n    gerbang:\n      loadBalancer:\n        serversTransport: gerbang\n        servers:\n          - url: \"https://localhost:{gerbang}\"\n\
             \x20   app:\n      loadBalancer:\n        servers:\n          - url: \"http://{app}\"\n\
             \x20 serversTransports:\n    gerbang:\n      rootCAs: [\"{ca}\"]\n\
             tls:\n  certificates:\n    - certFile: \"{cert}\"\n      keyFile: \"{key}\"\n",
            app = to.app
        );
        std::fs::write(dir.path().join("traefik.yml"), static_config).expect("traefik.yml");
        std::fs::write(dir.path().join("dynamic.yml"), dynamic).expect("dynamic.yml");
        let mut command = Command::new("traefik");
        command
            .arg(format!("--configFile={d}/traefik.yml"))
            .current_dir(dir.path());
        Self::start("traefik", command, dir, listen).await
    }

    fn pems(certs: &Path) -> (String, String, String) {
        let path = |name: &str| certs.join(name).display().to_string();
        (path("cert.pem"), path("key.pem"), path("ca.pem"))
    }

    async fn start(
        name: &'static str,
        mut command: Command,
        dir: tempfile::TempDir,
        listen: SocketAddr,
    ) -> Front {
        let log = std::fs::File::create(dir.path().join("output.log")).expect("log");
        let mut child = command
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name} (scripts/setup --tests installs it): {e}"));
        let logged = || logged_in(dir.path(), name);
        crate::wait_listening(&mut child, listen, Duration::from_secs(20), name, logged).await;
        Front { child, dir, name }
    }

    /// Everything it logged.
    pub fn errors(&self) -> String {
        logged_in(self.dir.path(), self.name)
    }
}

/// Everything the front `name` logged in `dir`.
fn logged_in(dir: &std::path::Path, name: &str) -> String {
    let mut text = String::new();
    for file in ["output.log", "caddy.log", "traefik.log"] {
        if let Ok(t) = std::fs::read_to_string(dir.join(file)) {
            text += &format!("--- {name} {file} ---\n{t}");
        }
    }
    text
}

impl Drop for Front {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
