//! `gerbang`: an authentication gateway. A Pingora reverse proxy with an OpenID Connect
//! provider built in.

mod demo;
mod devcert;
mod error;
mod http_service;
mod logging;
mod pages;
mod proxy;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gerbang_config::Config;

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
        /// The configuration file.
        #[arg(long, short, env = "GERBANG_CONFIG")]
        config: PathBuf,
    },
    /// Work with configuration files.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Run the demo: the gateway, the provider and three example apps on localhost, data in ./data.
    Demo,
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check files and print every problem with file, line and key; exit 1 if any.
    Check {
        /// Configuration files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.log_format);
    match cli.command {
        Command::Config {
            command: ConfigCommand::Check { files },
        } => check(&files),
        Command::Serve { config } => match Config::load(&config) {
            Ok(config) => finish(serve::run(config, Vec::new())),
            Err(e) => fail(&e),
        },
        Command::Demo => {
            let started = demo::config(std::path::Path::new(".")).and_then(|config| {
                let apps = demo::example_apps(&config)?;
                eprintln!("{}", demo::banner(&config));
                serve::run(config, apps)
            });
            finish(started)
        }
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
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("gerbang: {e}");
    ExitCode::FAILURE
}
