//! A PostgreSQL cluster of a harness's own (the crash harness, the soak): `initdb` in a
//! temporary folder, its own port on loopback. Restarting it under load, in immediate mode, is
//! a crash of the database (no checkpoint; the next start recovers from the write-ahead log),
//! and it disturbs no other user of the machine's PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    port: u16,
    /// Whether the commands run as the `postgres` user (PostgreSQL refuses to run as root).
    as_postgres: bool,
}

impl Cluster {
    /// Creates and starts a cluster; panics with what went wrong when it cannot.
    pub fn start() -> Cluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|versions| versions.filter_map(Result::ok).map(|v| v.path()).max())
            .map(|version| version.join("bin"))
            .filter(|bin| bin.join("pg_ctl").exists())
            .expect("PostgreSQL's programs in /usr/lib/postgresql/<version>/bin");
        let as_postgres = output("id", &["-u"]).trim() == "0";
        let mut cluster = Cluster {
            bin,
            data: PathBuf::new(),
            port: crate::free_port(),
            as_postgres,
        };
        let data = cluster.run_text("mktemp", &["-d", "/tmp/gerbang-crash-pg.XXXXXX"]);
        cluster.data = PathBuf::from(data.trim());
        let data = cluster.data.display().to_string();
        cluster.pg(
            "initdb",
            &["-D", &data, "-U", "postgres", "-A", "trust", "--no-sync"],
        );
        cluster.pg_ctl_start();
        cluster
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the cluster in immediate mode (a crash) and starts it again; returns how long it
    /// took until it accepted connections.
    pub fn restart(&self) -> std::time::Duration {
        let started = Instant::now();
        let data = self.data.display().to_string();
        self.pg("pg_ctl", &["stop", "-D", &data, "-m", "immediate", "-w"]);
        self.pg_ctl_start();
        started.elapsed()
    }

    fn pg_ctl_start(&self) {
        let data = self.data.display().to_string();
        let options = format!(
            "-p {} -k {data} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=100",
            self.port
        );
        let log = self.data.join("log").display().to_string();
        self.pg(
            "pg_ctl",
            &["start", "-D", &data, "-w", "-l", &log, "-o", &options],
        );
    }

    /// Runs one of PostgreSQL's programs; panics when it fails.
    fn pg(&self, program: &str, args: &[&str]) {
        self.run_text(&self.bin.join(program).display().to_string(), args);
    }

    fn run_text(&self, program: &str, args: &[&str]) -> String {
        let mut command = match self.as_postgres {
            true => {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--", program]);
                c
            }
            false => Command::new(program),
        };
        command.args(args).current_dir(Path::new("/tmp"));
        let out = command
            .output()
            .unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data.display().to_string();
        let stop = std::panic::catch_unwind(|| {
            self.pg("pg_ctl", &["stop", "-D", &data, "-m", "fast", "-w"]);
        });
        if stop.is_ok() {
            let _ = self.run_text("rm", &["-rf", &data]);
        }
    }
}

fn output(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output();
    out.map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}
