//! A real SMTP server on loopback for the mail tests: aiosmtpd (installed by `scripts/setup`)
//! with its Mailbox handler, which keeps every message it accepts in a maildir.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A message as the server received it, decoded.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
}

pub struct SmtpServer {
    child: Option<Child>,
    pub port: u16,
    dir: tempfile::TempDir,
    /// Certificate and key (PEM files) for STARTTLS, which the server then requires.
    tls: Option<(PathBuf, PathBuf)>,
}

impl SmtpServer {
    /// A server without TLS on a free port.
    pub async fn start() -> SmtpServer {
        Self::start_on(crate::free_port(), None).await
    }

    /// A server on `port`, requiring STARTTLS with `tls` (certificate, key) when given.
    pub async fn start_on(port: u16, tls: Option<(PathBuf, PathBuf)>) -> SmtpServer {
        let dir = tempfile::tempdir().expect("maildir");
        let mut server = SmtpServer {
            child: None,
            port,
            dir,
            tls,
        };
        server.resume().await;
        server
    }

    /// The `[mail]` table of a Gerbang that delivers here.
    pub fn mail_config(&self) -> String {
        format!(
            "[mail]\nfrom = \"Layanan OSS <noreply@oss.test>\"\ntransport = \"smtp\"\n\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = {}\nsecurity = \"none\"\n",
            self.port
        )
    }

    /// Stops accepting mail (the port is closed; what arrived stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts (again) on the same port and maildir.
    pub async fn resume(&mut self) {
        let maildir: PathBuf = self.dir.path().join("mail");
        let mut command = Command::new("python3");
        command
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port));
        if let Some((cert, key)) = &self.tls {
            command.arg("--tlscert").arg(cert).arg("--tlskey").arg(key);
        }
        let child = command
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (scripts/setup installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Every message received so far.
    pub fn messages(&self) -> Vec<Received> {
        let new = self.dir.path().join("mail").join("new");
        let Ok(entries) = std::fs::read_dir(new) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read(e.path()).ok())
            .map(|bytes| decode(&bytes))
            .collect()
    }

    /// The messages to `to`, once there are at least `count` of them (at most `within`).
    pub async fn wait_for(&self, to: &str, count: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let mine: Vec<Received> = self
                .messages()
                .into_iter()
                .filter(|m| m.to.contains(to))
                .collect();
            if mine.len() >= count {
                return mine;
            }
            assert!(
                Instant::now() < deadline,
                "{count} message(s) to {to} not received within {within:?}; got {}",
                mine.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn decode(bytes: &[u8]) -> Received {
    let mail = mailparse::parse_mail(bytes).expect("a MIME message");
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let mut text = String::new();
    let mut html = String::new();
    let mut parts = vec![&mail];
    while let Some(part) = parts.pop() {
        parts.extend(part.subparts.iter());
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body().unwrap_or_default(),
            "text/html" => html = part.get_body().unwrap_or_default(),
            _ => {}
        }
    }
    Received {
        to: header("To"),
        subject: header("Subject"),
        message_id: header("Message-ID"),
        text,
        html,
    }
}

/// The first `https://` link in `text` whose path starts with `path`.
pub fn link(text: &str, path: &str) -> Option<String> {
    text.split_whitespace()
        .find(|w| w.starts_with("https://") && w.contains(path))
        .map(str::to_string)
}

/// The value after `label: ` on a line of `text`.
pub fn labelled(text: &str, label: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{label}: ")))
        .map(|v| v.trim().to_string())
}

/// The address in a `To` header (`Name <a@b>` or `a@b`), lower case.
pub fn address(to: &str) -> String {
    let inner = to.rsplit('<').next().unwrap_or(to);
    inner.trim().trim_end_matches('>').to_lowercase()
}

/// The addresses of every message still in `store`'s outbox: due, or leased by a server that
/// died. Read by claiming them all, so only once the server has stopped.
pub async fn queued_to(
    store: &gerbang_idp::store::SharedStore,
) -> std::collections::HashSet<String> {
    let far_future = gerbang_idp::clock::now() + 86_400;
    store
        .claim_mail(far_future, Duration::from_secs(1), 1_000_000)
        .await
        .expect("the outbox")
        .into_iter()
        .map(|mail| address(&mail.message.to))
        .collect()
}
