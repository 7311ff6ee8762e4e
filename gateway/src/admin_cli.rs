//! The administrative commands (`users`, `sessions`, `mfa`, `groups`, `access`, `keys`,
//! `store`, `audit`) as the command line and the admin socket both parse them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::{admin, logging};

#[derive(Subcommand)]
pub(crate) enum AdminCli {
    /// Manage user accounts (through a running server's admin socket, or on the store).
    Users {
        /// The configuration file (for the store's location).
        #[arg(long, short, env = "GERBANG_CONFIG", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: admin::UsersCommand,
    },
    /// See and end a user's sessions.
    Sessions {
        #[arg(long, short, env = "GERBANG_CONFIG", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: admin::SessionsCommand,
    },
    /// See and reset a user's two-step verification (helpdesk, for a lost phone).
    Mfa {
        #[arg(long, short, env = "GERBANG_CONFIG", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: admin::MfaCommand,
    },
    /// Who belongs to which group (`[[group]]`), for the routes' access rules.
    Groups {
        #[arg(long, short, env = "GERBANG_CONFIG", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: admin::GroupsCommand,
    },
    /// Try the routes' access rules (`gerbang access check --user U --route R --path P`).
    Access {
        #[arg(long, short, env = "GERBANG_CONFIG", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: admin::AccessCommand,
    },
    /// Manage the provider's signing keys.
    Keys {
        #[arg(long, short, env = "GERBANG_CONFIG", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: admin::KeysCommand,
    },
    /// Move a store's contents between backends (sled ↔ PostgreSQL), while no server holds it.
    Store {
        #[arg(long, short, env = "GERBANG_CONFIG", global = true)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: admin::StoreCommand,
    },
    /// Show the newest audit events: logins, logouts, tokens, key rotations.
    Audit {
        #[arg(long, short, env = "GERBANG_CONFIG")]
        config: Option<PathBuf>,
        /// How many events.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
}

impl AdminCli {
    pub(crate) fn split(self) -> (Option<PathBuf>, admin::AdminCommand) {
        match self {
            AdminCli::Users { config, command } => (config, admin::AdminCommand::Users(command)),
            AdminCli::Keys { config, command } => (config, admin::AdminCommand::Keys(command)),
            AdminCli::Groups { config, command } => (config, admin::AdminCommand::Groups(command)),
            AdminCli::Mfa { config, command } => (config, admin::AdminCommand::Mfa(command)),
            AdminCli::Access { config, command } => (config, admin::AdminCommand::Access(command)),
            AdminCli::Sessions { config, command } => {
                (config, admin::AdminCommand::Sessions(command))
            }
            AdminCli::Audit { config, limit } => (config, admin::AdminCommand::Audit { limit }),
            AdminCli::Store { config, command } => (config, admin::AdminCommand::Store(command)),
        }
    }
}

/// A command line sent to the admin socket: only the administrative commands parse.
#[derive(Parser)]
#[command(name = "gerbang")]
struct AdminLine {
    /// Accepted because the client forwards its whole command line; the server's log format
    /// is its own.
    #[arg(long, value_enum, global = true)]
    #[allow(dead_code)]
    log_format: Option<logging::LogFormat>,
    #[command(subcommand)]
    command: AdminCli,
}

/// Parses a command line sent to the admin socket (without the program name).
pub(crate) fn admin_command(args: &[String]) -> Result<admin::AdminCommand, String> {
    let line = std::iter::once("gerbang").chain(args.iter().map(String::as_str));
    match AdminLine::try_parse_from(line)
        .map_err(|e| e.to_string())?
        .command
    {
        AdminCli::Store { .. } => {
            Err("`gerbang store` works on a stopped server's store only".into())
        }
        admin => Ok(admin.split().1),
    }
}
