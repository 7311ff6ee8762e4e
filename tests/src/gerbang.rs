//! Booting the real binary.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::free_port;

/// The `gerbang` binary of this workspace, with the demo: `$GERBANG_BIN` when set (the test
/// script builds it first), else built here, once per test process.
pub fn gerbang_binary() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            if let Some(path) = std::env::var_os("GERBANG_BIN") {
                return PathBuf::from(path);
            }
            // target/<profile>/deps/<test> → target/<profile>/gerbang
            let exe = std::env::current_exe().expect("test executable");
            let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "--quiet", "-p", "gerbang", "--features", "demo"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("run cargo build");
            assert!(status.success(), "cargo build of gerbang failed");
            profile_dir.join("gerbang")
        })
        .clone()
}

/// What to boot: the routes (TOML `[[route]]` tables) and the listeners.
pub struct Spec {
    pub routes: String,
    pub http: bool,
    pub https: bool,
    /// More keys of the `[server]` table.
    pub server_extra: String,
    /// More TOML appended as is (e.g. `[session]`); `{public_port}` becomes the public port.
    pub extra: String,
    /// Accounts made with `gerbang users add` before the server starts: (user name, password).
    pub users: Vec<(String, String)>,
    /// The `[mail]` table; `None` writes `.eml` files into the `outbox` folder.
    pub mail: Option<String>,
    pub grace_period_secs: u64,
    /// The `[store]` table; `None` keeps a sled store in the `store` folder.
    pub store: Option<String>,
    /// The port in the issuer and every public URL when clients come through a load balancer
    /// (several instances behind one address); `None`: this instance's own.
    pub public_port: Option<u16>,
    /// A `certs` folder to start with (instances behind one address share one certificate).
    pub certs: Option<PathBuf>,
    /// A command `gerbang serve` runs under (e.g. valgrind); empty: none.
    pub under: Vec<String>,
    /// Another build of `gerbang` to serve with (e.g. with another allocator); `None`:
    /// [`gerbang_binary`].
    pub binary: Option<PathBuf>,
    /// The issuer's host; `None`: [`Gerbang::PROVIDER_HOST`]. A second instance (an upstream
    /// identity provider) takes `localhost`, which resolves without help and is in every
    /// development certificate.
    pub provider_host: Option<&'static str>,
}

/// Makes clients that reach one Gerbang: `hosts` resolved to its address, its development
/// CA trusted, redirects not followed, cookies kept.
#[derive(Clone)]
pub struct ClientMaker {
    addr: SocketAddr,
    hosts: Vec<String>,
    ca_pem: Option<Vec<u8>>,
}

impl ClientMaker {
    pub fn builder(&self) -> reqwest::ClientBuilder {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .timeout(Duration::from_secs(20));
        for host in &self.hosts {
            builder = builder.resolve(host, self.addr);
        }
        if let Some(pem) = &self.ca_pem {
            let ca = reqwest::Certificate::from_pem(pem).expect("ca");
            builder = builder.add_root_certificate(ca);
        }
        builder
    }

    pub fn client(&self) -> reqwest::Client {
        self.builder().build().expect("client")
    }
}

impl Spec {
    /// Plain HTTP only, with these routes.
    pub fn http(routes: impl Into<String>) -> Spec {
        Spec {
            routes: routes.into(),
            http: true,
            https: false,
            server_extra: String::new(),
            extra: String::new(),
            users: Vec::new(),
            mail: None,
            grace_period_secs: 0,
            store: None,
            public_port: None,
            certs: None,
            under: Vec::new(),
            binary: None,
            provider_host: None,
        }
    }
}

/// How a start ended.
enum Ready {
    Listening,
    PortTaken,
}

/// A running `gerbang serve`, killed when dropped.
pub struct Gerbang {
    child: Child,
    pub dir: tempfile::TempDir,
    pub http: Option<SocketAddr>,
    pub https: Option<SocketAddr>,
    /// The port in the issuer and in every public URL.
    pub public_port: u16,
    launch: Launch,
}

/// How `gerbang serve` is started: which build, under what (if anything).
struct Launch {
    binary: PathBuf,
    under: Vec<String>,
}

impl Launch {
    /// `gerbang serve` on the configuration in `dir`, its log appended to `dir/gerbang.log`.
    fn spawn(&self, dir: &Path, serve_args: &[&str]) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("gerbang.log"))
            .expect("log file");
        let mut command = crate::load::command_under(&self.under, &self.binary);
        command
            .arg("serve")
            .args(serve_args)
            .arg("--config")
            .arg(dir.join("gerbang.toml"))
            .env("GERBANG_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start gerbang")
    }
}

impl Gerbang {
    pub const PROVIDER_HOST: &'static str = "sso.test";

    pub fn config_text(spec: &Spec, http: Option<u16>, https: Option<u16>) -> String {
        let public_port = spec.public_port.or(https).or(http).unwrap_or(443);
        let mut text = String::from("[server]\n");
        if let Some(p) = http {
            text += &format!("http = \"127.0.0.1:{p}\"\n");
        }
        if let Some(p) = https {
            text += &format!("https = \"127.0.0.1:{p}\"\n");
        }
        text += &format!(
            "grace_period_secs = {}\nshutdown_timeout_secs = 5\n{}\n",
            spec.grace_period_secs, spec.server_extra
        );
        if https.is_some() {
            text += "[tls]\ncert = \"certs/cert.pem\"\nkey = \"certs/key.pem\"\ngenerate_dev_cert = true\n\n";
        }
        text += &format!(
            "[provider]\nissuer = \"https://{}:{public_port}\"\n\n{}\n\n{}\n",
            spec.provider_host.unwrap_or(Self::PROVIDER_HOST),
            spec.store.as_deref().unwrap_or("[store]\npath = \"store\""),
            spec.mail.as_deref().unwrap_or(
                "[mail]\nfrom = \"OSS <noreply@oss.test>\"\ntransport = \"folder\"\nfolder = \"outbox\"\n"
            )
        );
        text += &spec.extra;
        text += "\n";
        text += &spec.routes;
        // Tables that name public URLs (a client's redirect URI) say `{public_port}`.
        text.replace("{public_port}", &public_port.to_string())
    }

    pub async fn start(spec: Spec) -> Gerbang {
        let mut dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("gerbang.toml");
        if let Some(certs) = &spec.certs {
            let to = dir.path().join("certs");
            std::fs::create_dir_all(&to).expect("certs folder");
            for entry in std::fs::read_dir(certs).expect("certs to copy") {
                let from = entry.expect("cert").path();
                std::fs::copy(&from, to.join(from.file_name().expect("a file"))).expect("copy");
            }
        }
        let mut users_added = false;
        // Another test process may take a port between `free_port` and the server's bind: then
        // the server either exits (the address is in use) or another one answers there, and the
        // start is tried again on other ports.
        for attempt in 1.. {
            let http = spec.http.then(free_port);
            let https = spec.https.then(free_port);
            std::fs::write(&config, Self::config_text(&spec, http, https)).expect("write config");
            if !users_added {
                for (n, (username, password)) in spec.users.iter().enumerate() {
                    add_user(&config, username, password, n);
                }
                users_added = true;
            }
            let launch = Launch {
                binary: spec.binary.clone().unwrap_or_else(gerbang_binary),
                under: spec.under.clone(),
            };
            let child = launch.spawn(dir.path(), &[]);
            let mut gerbang = Gerbang {
                child,
                dir,
                launch,
                http: http.map(|p| SocketAddr::from(([127, 0, 0, 1], p))),
                https: https.map(|p| SocketAddr::from(([127, 0, 0, 1], p))),
                public_port: spec.public_port.or(https).or(http).unwrap_or(443),
            };
            match gerbang.wait_ready().await {
                Ready::Listening => return gerbang,
                Ready::PortTaken if attempt < 5 => {
                    eprintln!("a port of gerbang's was taken by another process; starting again");
                    gerbang.stop();
                    dir = gerbang.take_dir();
                }
                Ready::PortTaken => panic!("gerbang found its ports taken 5 times"),
            }
        }
        unreachable!()
    }

    /// The data directory, out of a server that is stopped (its process is already reaped).
    fn take_dir(mut self) -> tempfile::TempDir {
        let dir = std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"));
        let _ = std::fs::remove_file(dir.path().join("gerbang.log"));
        dir
    }

    /// Replaces the running process with a new one the way an operator upgrades: starts
    /// `gerbang serve --upgrade`, sends the running one SIGQUIT (it hands its listeners over and
    /// drains), and waits for it to exit and for the new one to start serving.
    pub async fn upgrade(&mut self) {
        let started_before = self.logs().matches("gerbang started").count();
        let mut old = std::mem::replace(
            &mut self.child,
            self.launch.spawn(self.dir.path(), &["--upgrade"]),
        );
        // The new process is waiting for the sockets before the old one is asked to send them.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let status = Command::new("kill")
            .args(["-QUIT", &old.id().to_string()])
            .status();
        assert!(status.is_ok_and(|s| s.success()), "kill -QUIT failed");
        let deadline = Instant::now() + Duration::from_secs(60);
        while old.try_wait().ok().flatten().is_none() {
            assert!(
                Instant::now() < deadline,
                "the old process did not exit:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // One "gerbang started" per process (the log's fields are coloured, its message is not).
        while self.logs().matches("gerbang started").count() == started_before {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the upgrade exited ({status}):\n{}", self.logs());
            }
            assert!(
                Instant::now() < deadline,
                "the upgrade did not start:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts the server again after `stop`, on the same ports and data.
    pub async fn restart(&mut self) {
        self.child = self.launch.spawn(self.dir.path(), &[]);
        if let Ready::PortTaken = self.wait_ready().await {
            panic!("another process took gerbang's port while it was stopped");
        }
    }

    /// Waits until this process listens on every port of its spec; `PortTaken` when it exits
    /// because an address is in use, or when another process answers on one of them.
    async fn wait_ready(&mut self) -> Ready {
        // Under valgrind everything, key generation first, runs many times slower.
        let seconds = if self.launch.under.is_empty() {
            30
        } else {
            180
        };
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let addresses: Vec<SocketAddr> =
            self.http.iter().chain(self.https.iter()).copied().collect();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let logs = self.logs();
                if logs.contains("Address already in use") {
                    return Ready::PortTaken;
                }
                panic!("gerbang exited during start-up ({status}):\n{logs}");
            }
            let mut up = true;
            for a in &addresses {
                up &= tokio::net::TcpStream::connect(a).await.is_ok();
            }
            if up {
                let pid = self.child.id();
                if addresses.iter().all(|a| crate::listens_on(pid, a.port())) {
                    return Ready::Listening;
                }
                // Someone answers, and it is not this process (yet): it exits when its bind
                // fails, which the next turn sees; a server that keeps running without the port
                // is not the test's.
            }
            if Instant::now() >= deadline {
                if up {
                    return Ready::PortTaken;
                }
                panic!("gerbang did not start:\n{}", self.logs());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("gerbang.log")).unwrap_or_default()
    }

    /// Where the development CA the server made is (HTTPS specs only).
    pub fn ca_path(&self) -> PathBuf {
        self.dir.path().join("certs/ca.pem")
    }

    /// Where an app finds this provider's JWKS, through the HTTPS listener.
    pub fn jwks_source(&self) -> gerbang_examples::identity::JwksSource {
        gerbang_examples::identity::JwksSource {
            url: self.url(Self::PROVIDER_HOST, "/jwks"),
            ca_pem: Some(self.ca_pem()),
            resolve: Some((
                Self::PROVIDER_HOST.to_string(),
                self.https.expect("an HTTPS listener"),
            )),
        }
    }

    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.ca_path()).expect("ca.pem")
    }

    /// A client that reaches `hosts` at this server, follows no redirect, keeps cookies, and
    /// trusts the development CA when there is one.
    pub fn client(&self, hosts: &[&str]) -> reqwest::Client {
        self.client_builder(self.https.or(self.http).expect("a listener"), hosts)
            .build()
            .expect("client")
    }

    /// Like [`Gerbang::client`], keeping its cookies in `jar` where the caller can read them,
    /// or (`None`) keeping none: a request then carries only the cookies it is given.
    pub fn client_with_jar(
        &self,
        hosts: &[&str],
        jar: Option<std::sync::Arc<reqwest::cookie::Jar>>,
    ) -> reqwest::Client {
        let builder = self.client_builder(self.https.or(self.http).expect("a listener"), hosts);
        match jar {
            Some(jar) => builder.cookie_provider(jar),
            None => builder.cookie_store(false),
        }
        .build()
        .expect("client")
    }

    /// Like [`Gerbang::client`], reaching `hosts` at `addr` (a load balancer in front) on a
    /// new connection for every request, so the balancer chooses an instance each time.
    pub fn client_via(&self, addr: SocketAddr, hosts: &[&str]) -> reqwest::Client {
        self.client_builder(addr, hosts)
            .pool_max_idle_per_host(0)
            .build()
            .expect("client")
    }

    fn client_builder(&self, addr: SocketAddr, hosts: &[&str]) -> reqwest::ClientBuilder {
        self.client_maker_at(addr, hosts).builder()
    }

    /// What makes clients like [`Gerbang::client`], each with cookies of its own, without
    /// holding on to the server (a harness makes them while the server is replaced).
    pub fn client_maker(&self, hosts: &[&str]) -> ClientMaker {
        self.client_maker_at(self.https.or(self.http).expect("a listener"), hosts)
    }

    fn client_maker_at(&self, addr: SocketAddr, hosts: &[&str]) -> ClientMaker {
        ClientMaker {
            addr,
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
            ca_pem: self.https.is_some().then(|| self.ca_pem()),
        }
    }

    /// `scheme://host:port/path` for the main listener.
    pub fn url(&self, host: &str, path: &str) -> String {
        let scheme = if self.https.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}:{}{path}", self.public_port)
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("gerbang.toml")
    }

    /// Kills the server and waits for it, keeping its data directory (for the admin commands,
    /// which open the store themselves).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Runs `gerbang ARGS --config <this config>` with `stdin`; returns (success, stdout, stderr).
    pub fn admin(&self, args: &[&str], stdin: &str) -> (bool, String, String) {
        use std::io::Write;
        let mut child = Command::new(gerbang_binary())
            .args(args)
            .arg("--config")
            .arg(self.config_path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gerbang");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("stdin");
        let out = child.wait_with_output().expect("gerbang output");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal by name (`HUP`: reload the configuration; `QUIT`: hand over to an upgrade;
    /// `TERM` or `INT`: stop gracefully).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status();
        assert!(status.is_ok_and(|s| s.success()), "kill -{name} failed");
    }

    /// Waits for the process to end, at most `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

/// `gerbang users add` for a test account `n`: e-mail `<name>@example.test`, a NIK made from `n`.
fn add_user(config: &Path, username: &str, password: &str, n: usize) {
    use std::io::Write;
    let mut child = Command::new(gerbang_binary())
        .args(["users", "add", "--config"])
        .arg(config)
        .args([
            "--username",
            username,
            "--email",
            &format!("{username}@example.test"),
        ])
        .args([
            "--phone",
            &format!("+62812000{n:04}"),
            "--name",
            &format!("Pengguna {username}"),
        ])
        .args(["--nik", &format!("317101410100{:04}", n + 1)])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("gerbang users add");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(password.as_bytes())
        .expect("password");
    assert!(
        child.wait().expect("users add").success(),
        "gerbang users add {username} failed"
    );
}

impl Drop for Gerbang {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- gerbang log ---\n{}--- end of gerbang log ---",
                self.logs()
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
