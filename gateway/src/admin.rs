//! `gerbang users …`: accounts managed from the shell, before (and beside) self-service
//! registration. It opens the store directly, so it runs while no server holds it (sled allows
//! one process).

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use clap::Subcommand;
use gerbang_config::{Config, Store as StoreConfig};
use gerbang_idp::account::password::{check_policy, Passwords};
use gerbang_idp::provider::now;
use gerbang_idp::store::{Identity, NewUser, SharedStore, SledStore, UniqueKey, User, UserStatus};

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Create an active user; the password is read from standard input.
    Add {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        /// Mobile number with country code, without the leading 0 (e.g. +628123456789).
        #[arg(long)]
        phone: String,
        #[arg(long)]
        name: String,
        /// NIK (16 digits), for a KTP identity.
        #[arg(
            long,
            conflicts_with = "passport",
            required_unless_present = "passport"
        )]
        nik: Option<String>,
        /// Passport number, with --country.
        #[arg(long, requires = "country")]
        passport: Option<String>,
        /// Issuing country of the passport (ISO 3166 alpha-2).
        #[arg(long)]
        country: Option<String>,
    },
    /// List users.
    List,
    /// Disable a user (by user name or e-mail) and end their sessions.
    Disable { user: String },
    /// Enable a user again.
    Enable { user: String },
    /// Set a user's password, read from standard input.
    SetPassword { user: String },
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] gerbang_idp::store::StoreError),
    #[error("{0}")]
    Input(String),
    #[error("no user `{0}`")]
    NoSuchUser(String),
}

fn open(config: &Config) -> Result<SharedStore, AdminError> {
    match &config.store {
        StoreConfig::Sled { path } => Ok(Arc::new(SledStore::open(path)?)),
    }
}

fn read_password() -> Result<String, AdminError> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| {
        AdminError::Input(format!("cannot read the password from standard input: {e}"))
    })?;
    let password = text.trim_end_matches(['\n', '\r']).to_string();
    check_policy(&password).map_err(|e| AdminError::Input(e.to_string()))?;
    Ok(password)
}

async fn find(store: &SharedStore, who: &str) -> Result<User, AdminError> {
    for key in [
        UniqueKey::Username(who.into()),
        UniqueKey::Email(who.into()),
    ] {
        if let Some(user) = store.user_by_key(&key).await? {
            return Ok(user);
        }
    }
    Err(AdminError::NoSuchUser(who.into()))
}

pub async fn run(config: &Config, command: UsersCommand) -> Result<String, AdminError> {
    let store = open(config)?;
    let passwords = Passwords::new(1).map_err(|e| AdminError::Input(e.to_string()))?;
    match command {
        UsersCommand::Add {
            username,
            email,
            phone,
            name,
            nik,
            passport,
            country,
        } => {
            let identity = match (nik, passport, country) {
                (Some(nik), _, _) if nik.len() == 16 && nik.bytes().all(|b| b.is_ascii_digit()) => {
                    Identity::Ktp { nik }
                }
                (Some(_), _, _) => return Err(AdminError::Input("a NIK is 16 digits".into())),
                (None, Some(number), Some(country)) => Identity::Passport { number, country },
                _ => {
                    return Err(AdminError::Input(
                        "give --nik, or --passport with --country".into(),
                    ))
                }
            };
            let password = read_password()?;
            let hash = passwords
                .hash(&password)
                .await
                .map_err(|e| AdminError::Input(e.to_string()))?;
            let user = NewUser {
                username,
                email,
                phone,
                identity,
                status: UserStatus::Active,
                password_hash: Some(hash),
                must_change_password: false,
                attributes: BTreeMap::from([("full_name".to_string(), name)]),
            };
            let created = store.create_user(user, None, now()).await?;
            Ok(format!("created {} ({})", created.username, created.id))
        }
        UsersCommand::List => {
            let mut lines = vec![format!(
                "{:<20} {:<32} {:<9} {}",
                "USER NAME", "E-MAIL", "STATUS", "ID"
            )];
            for u in store.users().await? {
                lines.push(format!(
                    "{:<20} {:<32} {:<9} {}",
                    u.username,
                    u.email,
                    format!("{:?}", u.status).to_lowercase(),
                    u.id
                ));
            }
            Ok(lines.join("\n"))
        }
        UsersCommand::Disable { user } => {
            let mut found = find(&store, &user).await?;
            found.status = UserStatus::Disabled;
            store.update_user(&found).await?;
            let ended = store.delete_sessions_of(&found.id).await?;
            store
                .revoke(
                    &format!("user:{}", found.id),
                    now() + config.session.absolute_timeout.as_secs(),
                )
                .await?;
            Ok(format!(
                "disabled {}; {ended} sessions ended",
                found.username
            ))
        }
        UsersCommand::Enable { user } => {
            let mut found = find(&store, &user).await?;
            found.status = UserStatus::Active;
            store.update_user(&found).await?;
            Ok(format!("enabled {}", found.username))
        }
        UsersCommand::SetPassword { user } => {
            let mut found = find(&store, &user).await?;
            let password = read_password()?;
            found.password_hash = Some(
                passwords
                    .hash(&password)
                    .await
                    .map_err(|e| AdminError::Input(e.to_string()))?,
            );
            found.must_change_password = false;
            store.update_user(&found).await?;
            let ended = store.delete_sessions_of(&found.id).await?;
            Ok(format!(
                "password of {} set; {ended} sessions ended",
                found.username
            ))
        }
    }
}
