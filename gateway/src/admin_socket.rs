//! The admin socket: `gerbang users|keys|audit|store …` reach a running server through a Unix
//! socket beside its sled store, because sled lets one process open it. The socket file is
//! readable and writable by its owner only: file permissions are the access control. The
//! command line is sent as given and parsed by the server with the same parser, so the
//! commands and their output are the same whether a server runs or not.
//!
//! One request per connection: the client writes a JSON [`Request`] and shuts its side down;
//! the server answers with a JSON [`Reply`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use gerbang_config::Config;
use gerbang_idp::provider::Provider;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixListener, UnixStream};

/// Larger requests are refused (a command line and a password are far smaller).
const MAX_REQUEST: u64 = 64 * 1024;

#[derive(Serialize, Deserialize)]
pub struct Request {
    /// The command line after the program name.
    pub args: Vec<String>,
    /// Standard input, for the commands that read a password.
    pub input: String,
}

#[derive(Serialize, Deserialize)]
pub struct Reply {
    pub ok: bool,
    pub output: String,
}

/// Where a server with this configuration listens: beside a sled store (`<path>.admin.sock`).
/// A PostgreSQL store has none: any process may open it, so the commands do.
pub fn path(config: &Config) -> Option<PathBuf> {
    config.beside_sled_store("admin.sock")
}

/// Sends `request` to a server listening at `path`; `None` when no server listens there.
pub async fn send(path: &Path, request: &Request) -> Option<std::io::Result<Reply>> {
    let mut stream = UnixStream::connect(path).await.ok()?;
    Some(
        async {
            let body = serde_json::to_vec(request)?;
            stream.write_all(&body).await?;
            stream.shutdown().await?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await?;
            Ok(serde_json::from_slice(&answer)?)
        }
        .await,
    )
}

/// Serves the socket until shutdown, then removes it.
pub struct AdminSocket {
    pub path: PathBuf,
    pub provider: Arc<Provider>,
}

#[async_trait::async_trait]
impl pingora::services::background::BackgroundService for AdminSocket {
    async fn start(&self, mut shutdown: pingora::server::ShutdownWatch) {
        let listener = match self.bind() {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(path = %self.path.display(), error = %e, "the admin socket cannot listen: administer this server only after stopping it");
                return;
            }
        };
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let provider = Arc::clone(&self.provider);
                        tokio::spawn(async move { serve(stream, &provider).await });
                    }
                    Err(e) => tracing::warn!(error = %e, "admin socket"),
                },
                _ = shutdown.changed() => break,
            }
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl AdminSocket {
    /// Binds the socket, owner-only. A file left by a process that died is replaced; a live
    /// server's is not (binding fails, and the error names it).
    fn bind(&self) -> std::io::Result<UnixListener> {
        use std::os::unix::fs::PermissionsExt;
        if self.path.exists() && std::os::unix::net::UnixStream::connect(&self.path).is_err() {
            std::fs::remove_file(&self.path)?;
        }
        let listener = UnixListener::bind(&self.path)?;
        std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(0o600))?;
        Ok(listener)
    }
}

async fn serve(mut stream: UnixStream, provider: &Arc<Provider>) {
    let mut body = Vec::new();
    let read = (&mut stream).take(MAX_REQUEST).read_to_end(&mut body).await;
    let reply = match read.map(|_| serde_json::from_slice::<Request>(&body)) {
        Ok(Ok(request)) => run(request, provider).await,
        _ => Reply {
            ok: false,
            output: "a malformed admin request".into(),
        },
    };
    if let Ok(bytes) = serde_json::to_vec(&reply) {
        let _ = stream.write_all(&bytes).await;
    }
}

/// Runs a request with the running configuration (as last reloaded) and the server's provider.
async fn run(request: Request, provider: &Arc<Provider>) -> Reply {
    let command = match crate::admin_cli::admin_command(&request.args) {
        Ok(command) => command,
        Err(message) => {
            return Reply {
                ok: false,
                output: message,
            }
        }
    };
    tracing::info!(target: "gerbang::audit", command = request.args.first().map_or("", String::as_str), "admin command through the socket");
    let config = provider.config();
    let target = crate::admin::Target {
        store: &provider.store,
        provider: Some(provider),
    };
    match crate::admin::run_on(&config, target, command, &request.input).await {
        Ok(output) => Reply { ok: true, output },
        Err(e) => Reply {
            ok: false,
            output: e.to_string(),
        },
    }
}
