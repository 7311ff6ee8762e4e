//! Debian's nginx on loopback, run in the foreground from a folder of its own with the `http`
//! block a test gives; stopped when dropped.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nginx {
    child: Child,
    pub dir: tempfile::TempDir,
}

impl Nginx {
    /// Starts nginx with `servers` (the inside of its `http` block) and waits until `listen`
    /// accepts connections.
    pub async fn start(servers: &str, listen: SocketAddr) -> Nginx {
        Self::start_under(servers, listen, &[]).await
    }

    /// [`Nginx::start`], nginx running under `under` (e.g. valgrind); empty: none.
    pub async fn start_under(servers: &str, listen: SocketAddr, under: &[String]) -> Nginx {
        let dir = tempfile::tempdir().expect("nginx folder");
        let d = dir.path().display();
        // Under valgrind, callgrind_control reaches a process only when it wakes: a worker
        // waiting on epoll for traffic that the command itself must precede would never hear
        // it. A timer wakes the worker every 50 ms.
        let timer = if under.is_empty() {
            ""
        } else {
            "timer_resolution 50ms;\n"
        };
        let config = format!(
            "{timer}worker_processes 1;\nerror_log {d}/error.log warn;\npid {d}/nginx.pid;\n\
             events {{ worker_connections 256; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n  \
             fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n{servers}\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), config).expect("nginx.conf");
        let mut command = crate::load::command_under(under, "/usr/sbin/nginx");
        let child = command
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .args(["-g", "daemon off; user root;"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nginx (scripts/setup --tests installs it)");
        let mut nginx = Nginx { child, dir };
        let deadline = Instant::now() + Duration::from_secs(if under.is_empty() { 10 } else { 60 });
        // Listening comes before the PID file: wait for both (under valgrind the gap is long).
        let pid_file = nginx.dir.path().join("nginx.pid");
        while !pid_file.exists() || tokio::net::TcpStream::connect(listen).await.is_err() {
            if let Ok(Some(status)) = nginx.child.try_wait() {
                panic!("nginx exited ({status}): {}", nginx.errors());
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                nginx.errors()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        nginx
    }

    /// The master's and its worker's process ids (under valgrind, once it has forked).
    pub async fn pids(&self) -> Vec<u32> {
        let master: u32 = std::fs::read_to_string(self.dir.path().join("nginx.pid"))
            .expect("nginx.pid")
            .trim()
            .parse()
            .expect("a process id");
        loop {
            let pids = crate::load::with_children(master);
            if pids.len() >= 2 {
                return pids;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn errors(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    /// SIGTERM (nginx's fast shutdown) stops the workers with the master; a SIGKILL would
    /// leave them running.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
