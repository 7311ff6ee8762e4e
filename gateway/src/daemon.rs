//! `gerbang serve --daemon PID_FILE`: detaches from the terminal before anything else starts
//! (a fork keeps only the calling thread, so no store, runtime or pool may exist yet), for
//! systemd's `Type=forking`. The process id is written to the PID file, replacing the old one,
//! so that after an upgrade systemd follows the new process (`examples/systemd/`).

use std::io::Write as _;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error("cannot run in the background: {0}")]
    Fork(String),
    #[error("cannot write the PID file {path}: {source}")]
    PidFile {
        path: String,
        source: std::io::Error,
    },
}

/// Forks into the background (the parent exits), keeping standard output and error (the
/// journal), then writes the PID file atomically.
pub fn detach(pid_file: &Path) -> Result<(), DaemonError> {
    let directory = std::env::current_dir().unwrap_or_else(|_| "/".into());
    daemonix::Daemonize::new()
        .working_directory(directory)
        .stdout(daemonix::Stdio::keep())
        .stderr(daemonix::Stdio::keep())
        .start()
        .map_err(|e| DaemonError::Fork(e.to_string()))?;
    let written = (|| {
        let mut temporary = pid_file.as_os_str().to_owned();
        temporary.push(".new");
        let mut file = std::fs::File::create(&temporary)?;
        writeln!(file, "{}", std::process::id())?;
        file.sync_all()?;
        std::fs::rename(&temporary, pid_file)
    })();
    written.map_err(|source| DaemonError::PidFile {
        path: pid_file.display().to_string(),
        source,
    })
}
