//! Load measurement shared by the benchmark harnesses: wrk on a pinned core, the CPU and peak
//! memory of the processes under test from `/proc`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::{browser, Gerbang};

/// The core the load generator runs on.
pub const LOAD_CPU: &str = "0";
/// The core every server under test (and its upstream) runs on.
pub const SERVER_CPU: &str = "1";

/// wrk's report, printed by the Lua `done` hook on one line.
pub const REPORT_SCRIPT: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("REPORT %d %d %.3f %.3f %.3f %d\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"#;

/// One measured target.
pub struct Run {
    pub name: &'static str,
    pub rate: f64,
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub errors: u64,
    pub cpu_per_10k: f64,
    pub rss_mb: f64,
}

/// CPU ticks (user + system) of `pids`, from `/proc`.
pub fn cpu_ticks(pids: &[u32]) -> u64 {
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
pub fn peak_rss_mb(pids: &[u32]) -> f64 {
    memory_mb(pids, "VmHWM:")
}

/// Resident memory of `pids` now, in MB.
pub fn rss_mb(pids: &[u32]) -> f64 {
    memory_mb(pids, "VmRSS:")
}

/// The sum of a `/proc/<pid>/status` memory field (`VmRSS:`, `VmHWM:`) over `pids`, in MB.
fn memory_mb(pids: &[u32], field: &str) -> f64 {
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .sum::<f64>()
        / 1024.0
}

/// A process and its children (nginx's workers).
pub fn with_children(pid: u32) -> Vec<u32> {
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

pub fn pin(pids: &[u32], cpu: &str) {
    for pid in pids {
        let _ = Command::new("taskset")
            .args(["-a", "-cp", cpu, &pid.to_string()])
            .output();
    }
}

/// wrk on `url` with `headers`: a warm-up, then `seconds` measured.
pub fn wrk(
    url: &str,
    headers: &[String],
    seconds: u64,
    script: &std::path::Path,
) -> (u64, f64, [f64; 3], u64) {
    wrk_once(url, headers, 32, 2, script);
    wrk_once(url, headers, 32, seconds, script)
}

/// One wrk run (1 thread, on the load core) of `seconds` over `connections`: requests,
/// seconds, latency p50/p99/p99.9 in ms, errors.
pub fn wrk_once(
    url: &str,
    headers: &[String],
    connections: u32,
    seconds: u64,
    script: &std::path::Path,
) -> (u64, f64, [f64; 3], u64) {
    let mut command = Command::new("taskset");
    command.args(["-c", LOAD_CPU, "wrk", "-t1"]);
    command.arg(format!("-c{connections}"));
    command.arg(format!("-d{seconds}s")).arg("-s").arg(script);
    for h in headers {
        command.arg("-H").arg(h);
    }
    let out = command
        .arg(url)
        .output()
        .expect("wrk (scripts/compare installs it)");
    let (out, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let line = out
        .lines()
        .find_map(|l| l.strip_prefix("REPORT "))
        .unwrap_or_else(|| panic!("no wrk report from {url}:\n{out}{err}"));
    let f: Vec<f64> = line
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    (f[0] as u64, f[1] / 1e6, [f[2], f[3], f[4]], f[5] as u64)
}

/// Instructions counted by callgrind (valgrind), which counts every instruction a process
/// executes in user space: the same program doing the same work gives the same count on any
/// machine, however busy, where rates and CPU time vary by tens of per cent. Servers started
/// under [`Callgrind::under`] count nothing until [`Callgrind::count`] asks.
pub struct Callgrind {
    dir: PathBuf,
    /// A folder made for this run, removed with it; `None` when the dumps are to be kept.
    _temporary: Option<tempfile::TempDir>,
}

impl Callgrind {
    /// Dumps go to `keep` (and stay there for `callgrind_annotate`) or to a folder removed
    /// afterwards.
    pub fn new(keep: Option<PathBuf>) -> Callgrind {
        match keep {
            Some(dir) => {
                std::fs::create_dir_all(&dir).expect("callgrind folder");
                Callgrind {
                    dir,
                    _temporary: None,
                }
            }
            None => {
                let temporary = tempfile::tempdir().expect("callgrind folder");
                Callgrind {
                    dir: temporary.path().to_path_buf(),
                    _temporary: Some(temporary),
                }
            }
        }
    }

    /// The command a server runs under: callgrind, counting off, following forks (nginx's
    /// workers).
    pub fn under(&self) -> Vec<String> {
        vec![
            "valgrind".into(),
            "--tool=callgrind".into(),
            "--instr-atstart=no".into(),
            "--trace-children=yes".into(),
            format!("--callgrind-out-file={}/callgrind.%p", self.dir.display()),
        ]
    }

    /// What `work` returns, and the instructions `pids` (all under callgrind) executed
    /// meanwhile, with the dump files that hold them.
    pub fn count<T>(&self, pids: &[u32], work: impl FnOnce() -> T) -> (T, u64, Vec<PathBuf>) {
        for pid in pids {
            control(&["--instr=on", &pid.to_string()]);
            control(&["--zero", &pid.to_string()]);
        }
        let done = work();
        let (mut instructions, mut dumps) = (0, Vec::new());
        for pid in pids {
            control(&["--dump", &pid.to_string()]);
            control(&["--instr=off", &pid.to_string()]);
            let (counted, dump) = self.last_dump(*pid);
            instructions += counted;
            dumps.push(dump);
        }
        (done, instructions, dumps)
    }

    /// `pid`'s newest dump and the instructions in it (its `summary:` line).
    fn last_dump(&self, pid: u32) -> (u64, PathBuf) {
        let prefix = format!("callgrind.{pid}.");
        let newest = std::fs::read_dir(&self.dir)
            .expect("callgrind folder")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let part: u32 = name.strip_prefix(&prefix)?.parse().ok()?;
                Some((part, e.path()))
            })
            .max_by_key(|(part, _)| *part)
            .unwrap_or_else(|| panic!("no callgrind dump of {pid}"));
        let text = std::fs::read_to_string(&newest.1).expect("callgrind dump");
        let counted = text
            .lines()
            .find_map(|l| l.strip_prefix("summary: "))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no summary in {}", newest.1.display()));
        (counted, newest.1)
    }
}

/// `program` run under `under` (a command and its arguments, e.g. [`Callgrind::under`]); empty:
/// `program` itself.
pub fn command_under(under: &[String], program: impl AsRef<std::ffi::OsStr>) -> Command {
    match under.split_first() {
        Some((wrapper, args)) => {
            let mut command = Command::new(wrapper);
            command.args(args).arg(program);
            command
        }
        None => Command::new(program),
    }
}

fn control(args: &[&str]) {
    let status = Command::new("callgrind_control")
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("callgrind_control (valgrind)");
    assert!(status.success(), "callgrind_control {args:?} failed");
}

/// wrk on `url` for `seconds` (after a warm-up), with the CPU and peak memory of `pids`.
pub fn measure(
    name: &'static str,
    url: &str,
    headers: &[String],
    pids: &[u32],
    seconds: u64,
    script: &std::path::Path,
) -> Run {
    let before = cpu_ticks(pids);
    let (requests, secs, [p50, p99, p999], errors) = wrk(url, headers, seconds, script);
    let cpu = (cpu_ticks(pids) - before) as f64 / 100.0;
    Run {
        name,
        rate: requests as f64 / secs,
        p50,
        p99,
        p999,
        errors,
        cpu_per_10k: cpu * 10_000.0 / requests.max(1) as f64,
        rss_mb: peak_rss_mb(pids),
    }
}

/// Clients posting wrong passwords to the login page as fast as they are answered, until
/// stopped. Each uses a new unknown user name every time (so no lock short-cuts the argon2id
/// check of the decoy hash) and its own address (so no per-address limit stops it).
pub struct LoginFlood {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl LoginFlood {
    pub fn start(gw: &Gerbang, clients: usize) -> LoginFlood {
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicU64::new(0));
        let provider = gw.url(Gerbang::PROVIDER_HOST, "");
        let tasks = (0..clients)
            .map(|c| {
                let browser = gw.client(&[Gerbang::PROVIDER_HOST]);
                let (provider, stop, answered) =
                    (provider.clone(), Arc::clone(&stop), Arc::clone(&answered));
                tokio::spawn(async move {
                    let address = format!("198.51.100.{}", c % 250 + 1);
                    let mut n = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        let user = format!("penyerang{c}x{n}");
                        browser::submit_login(
                            &browser,
                            &provider,
                            &user,
                            "salah sekali",
                            Some(&address),
                        )
                        .await;
                        answered.fetch_add(1, Ordering::Relaxed);
                        n += 1;
                    }
                })
            })
            .collect();
        LoginFlood {
            stop,
            answered,
            tasks,
        }
    }

    /// Attempts answered so far.
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// Stops the clients; the attempts answered in all.
    pub async fn stop(self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
        self.answered.load(Ordering::Relaxed)
    }
}

/// System calls, grouped as a proxy makes them: (label, the tracepoints summed into it).
const SYSCALL_GROUPS: &[(&str, &[&str])] = &[
    ("read", &["read", "readv", "recvfrom", "recvmsg"]),
    ("write", &["write", "writev", "sendto", "sendmsg"]),
    ("epoll_wait", &["epoll_wait", "epoll_pwait", "epoll_pwait2"]),
    ("epoll_ctl", &["epoll_ctl"]),
    ("futex", &["futex"]),
];

/// The C library's allocation entry points, counted through uprobes.
const ALLOCATORS: &[&str] = &["malloc", "calloc", "realloc"];

/// `perf stat` counting the system calls (kernel tracepoints) and heap allocations (uprobes
/// on the C library's `malloc`, `calloc`, `realloc`) of some processes over a window. Exact
/// counts; the uprobes slow every allocation down, so rates measured meanwhile are not kept.
pub struct CallCounter {
    child: std::process::Child,
}

/// What a [`CallCounter`] counted: all system calls, each group of [`SYSCALL_GROUPS`] in its
/// order, and allocations.
pub struct Calls {
    pub syscalls: u64,
    pub groups: Vec<(&'static str, u64)>,
    pub allocations: u64,
}

impl CallCounter {
    /// Counts from `delay_ms` after now, for `seconds`.
    pub fn start(pids: &[u32], delay_ms: u64, seconds: u64) -> CallCounter {
        let mut events = vec!["raw_syscalls:sys_enter".to_string()];
        for (_, calls) in SYSCALL_GROUPS {
            events.extend(calls.iter().map(|c| format!("syscalls:sys_enter_{c}")));
        }
        if let Some(libc) = pids.first().and_then(|pid| libc_of(*pid)) {
            for function in ALLOCATORS {
                // Defines `probe_libc:<function>`; fails harmlessly when it exists.
                let _ = Command::new("perf")
                    .args(["probe", "-q", "-x", &libc, function])
                    .output();
                events.push(format!("probe_libc:{function}"));
            }
        }
        let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
        let child = Command::new("perf")
            .args(["stat", "-x", ",", "-D", &delay_ms.to_string(), "-e"])
            .arg(events.join(","))
            .args(["-p", &pids.join(","), "--", "sleep"])
            .arg((delay_ms.div_ceil(1000) + seconds).to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("perf (linux-perf)");
        CallCounter { child }
    }

    pub fn finish(self) -> Calls {
        let out = self.child.wait_with_output().expect("perf stat");
        let text = String::from_utf8_lossy(&out.stderr);
        // CSV lines: count,unit,event,…; "<not supported>" counts as 0.
        let count = |event: &str| -> u64 {
            text.lines()
                .filter_map(|l| {
                    let f: Vec<&str> = l.split(',').collect();
                    (f.get(2) == Some(&event)).then(|| f[0].parse::<u64>().unwrap_or(0))
                })
                .sum()
        };
        Calls {
            syscalls: count("raw_syscalls:sys_enter"),
            groups: SYSCALL_GROUPS
                .iter()
                .map(|(label, calls)| {
                    let n = calls
                        .iter()
                        .map(|c| count(&format!("syscalls:sys_enter_{c}")))
                        .sum();
                    (*label, n)
                })
                .collect(),
            allocations: ALLOCATORS
                .iter()
                .map(|f| count(&format!("probe_libc:{f}")))
                .sum(),
        }
    }
}

/// The C library a process has mapped (for its allocation probes).
fn libc_of(pid: u32) -> Option<String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    maps.lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .find(|path| path.contains("/libc.so") || path.contains("/libc-"))
        .map(str::to_string)
}
