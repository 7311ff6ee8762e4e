//! The command line: `serve`, `demo`, `config check`, `migrate` and the administrative commands.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gerbang_config::Config;

use crate::admin_cli::AdminCli;
#[cfg(feature = "demo")]
use crate::demo;
use crate::{admin, admin_socket, daemon, error, logging, serve, store};

#[derive(Parser)]
#[command(
    name = "gerbang",
    version,
    about = "Gerbang: a single sign-on gateway. A reverse proxy with an OpenID Connect provider built in.",
    after_help = "Examples:\n  gerbang demo                               run everything locally on https://localhost:8443\n  gerbang serve --config /etc/gerbang.toml   run with a configuration file\n  gerbang config check /etc/gerbang.toml     check a configuration without starting"
)]
struct Cli {
    /// Log format.
    #[arg(long, value_enum, default_value = "human", global = true)]
    log_format: logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway and its provider.
    Serve {
        /// The configuration file. It is watched: changes are applied without a restart (also
        /// on SIGHUP), a file with errors is refused whole.
        #[arg(long, short, env = "GERBANG_CONFIG")]
        config: PathBuf,
        /// Take the listeners over from the running Gerbang: start this, then send the running
        /// one SIGQUIT; it hands its sockets over and drains (docs/operations.md, "Upgrade").
        #[arg(long)]
        upgrade: bool,
        /// Run in the background (for systemd's Type=forking), writing the process id here.
        #[arg(long, value_name = "PID_FILE")]
        daemon: Option<PathBuf>,
    },
    /// Work with configuration files.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run the demo: the gateway, the provider and three example apps on localhost, data in ./data.
    Demo {
        /// Move every port of the demo up by this much (8443 becomes 8443 + N, ...), to run it
        /// beside another.
        #[arg(long, default_value_t = 0)]
        port_offset: u16,
    },
    #[command(flatten)]
    Admin(AdminCli),
    /// Bring a PostgreSQL store's tables to this version (servers can also do it at start).
    Migrate {
        #[arg(long, short, env = "GERBANG_CONFIG")]
        config: Option<PathBuf>,
    },
}

/// The commands that administer a store: through a running server's admin socket when one
/// listens (see `admin_socket`), else on the store itself.
#[derive(Subcommand)]
enum ConfigCommand {
    /// Check files and print every problem with file, line and key; exit 1 if any.
    Check {
        /// Configuration files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Runs the command the process was started with.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    match cli.command {
        Command::Config {
            command: ConfigCommand::Check { files },
        } => check(&files),
        Command::Serve {
            config,
            upgrade,
            daemon,
        } => match gerbang_config::Loaded::read(&config) {
            Ok(loaded) => {
                if let Some(pid_file) = daemon {
                    if let Err(e) = daemon::detach(&pid_file) {
                        return fail(&e);
                    }
                }
                let start = serve::Start {
                    text: Some(loaded.text),
                    upgrade,
                };
                finish(serve::run(loaded.config, start, Vec::new()))
            }
            Err(e) => fail(&e),
        },
        Command::Admin(admin) => administer_store(admin),
        Command::Migrate { config } => {
            administer(config, |config| Box::pin(store::migrate(config)))
        }
        Command::Demo { port_offset } => finish(run_demo(port_offset)),
    }
}

/// `gerbang demo`: the gateway with the example apps, on a directory of its own.
#[cfg(feature = "demo")]
fn run_demo(port_offset: u16) -> Result<(), error::GatewayError> {
    let config = demo::config(std::path::Path::new("."), port_offset)?;
    let apps = demo::example_apps(&config)?;
    let password = demo::seed_user(&config)?;
    eprintln!("{}", demo::banner(&config, password.as_deref()));
    serve::run(config, serve::Start::default(), apps)
}

/// A production build has no example apps to run.
#[cfg(not(feature = "demo"))]
fn run_demo(_port_offset: u16) -> Result<(), error::GatewayError> {
    Err(error::GatewayError::Demo(
        "this gerbang was built without the demo: run scripts/demo (or build with `--features demo`)"
            .into(),
    ))
}

/// Runs an administrative command through the running server's admin socket, or on the store
/// when no server listens (`gerbang store` always on the store).
fn administer_store(cli: AdminCli) -> ExitCode {
    let through_server = !matches!(cli, AdminCli::Store { .. });
    let (config, command) = cli.split();
    administer(config, move |config| {
        Box::pin(async move {
            let input = admin::read_input(&command)?;
            let socket = admin_socket::path(config).filter(|_| through_server);
            if let Some(path) = socket {
                let request = admin_socket::Request {
                    args: std::env::args().skip(1).collect(),
                    input,
                };
                if let Some(reply) = admin_socket::send(&path, &request).await {
                    let reply = reply.map_err(|e| {
                        admin::AdminError::Input(format!(
                            "the admin socket {}: {e}",
                            path.display()
                        ))
                    })?;
                    return match reply.ok {
                        true => Ok(reply.output),
                        false => Err(admin::AdminError::Input(reply.output)),
                    };
                }
                return admin::run(config, command, &request.input).await;
            }
            admin::run(config, command, &input).await
        })
    })
}

/// An administrative task's output or its error, printed.
type Task<'a, E> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, E>> + 'a>>;

/// Loads the configuration and runs `task` on it, printing what it answers.
fn administer<E: std::fmt::Display>(
    config: Option<PathBuf>,
    task: impl for<'a> FnOnce(&'a Config) -> Task<'a, E>,
) -> ExitCode {
    let Some(path) = config else {
        return fail(&"give the configuration with --config FILE (or GERBANG_CONFIG)");
    };
    let config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    match runtime.block_on(task(&config)) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut ok = true;
    for file in files {
        match Config::load(file) {
            Ok(config) => println!("{}: ok ({} routes)", file.display(), config.routes.len()),
            Err(e) => {
                eprintln!("{e}");
                ok = false;
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn finish(result: Result<(), error::GatewayError>) -> ExitCode {
    logging::flush();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("gerbang: {e}");
    ExitCode::FAILURE
}
