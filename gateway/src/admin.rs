//! Administration from the shell: `gerbang users …`, `gerbang sessions …`, `gerbang keys …`,
//! `gerbang audit`, `gerbang store …`. Run inside a running server (through its admin socket) or
//! on the store opened here when none holds it (sled allows one process).

use std::io::Read;
use std::sync::Arc;

use clap::{Args, Subcommand};
use gerbang_config::Config;
use gerbang_idp::account::password::Passwords;
use gerbang_idp::admin::{Actor, Admin, NewAccount};
use gerbang_idp::clock::now;
use gerbang_idp::keys::SigningAlg;
use gerbang_idp::provider::Provider;
use gerbang_idp::store::{SharedStore, User};

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Create an active user; the password is read from standard input.
    Add(NewAccountArgs),
    /// List users.
    List,
    /// Disable a user (by user name, e-mail or NIK) and end their sessions; they are mailed.
    Disable {
        user: String,
        /// Why, for the audit log.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Enable a user again; they are mailed.
    Enable {
        user: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Lift every login lock of a user (wrong passwords); the failures are forgotten.
    Unlock {
        user: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Mail an active user a password reset link.
    SendResetLink {
        user: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Set a user's password, read from standard input.
    SetPassword { user: String },
    /// Find users whose user name, name, e-mail or phone number contains QUERY, or whose NIK or
    /// passport number is QUERY.
    Search { query: String },
    /// Send a pending user a new activation link (the old one stops working).
    ResendActivation {
        user: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// A user's logins with other identity providers ([[identity_provider]]).
    Links { user: String },
    /// Remove a user's link to an identity provider: logging in there no longer logs in here.
    Unlink {
        user: String,
        /// The [[identity_provider]] id.
        provider: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Delete a user: their personal data goes; the audit trail keeps only the account's id.
    Delete {
        user: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
}

/// The account `gerbang users add` creates.
#[derive(Args)]
pub struct NewAccountArgs {
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
}

#[derive(Subcommand)]
pub enum SessionsCommand {
    /// List a user's sessions (by user name or e-mail).
    List { user: String },
    /// End every session of a user everywhere (apps with a back-channel logout URI are told);
    /// the account stays active and may log in again.
    Revoke {
        user: String,
        /// Why: recorded in the audit event.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum MfaCommand {
    /// A user's second factors (never their secrets) and the recovery codes they have left.
    List { user: String },
    /// Remove every second factor and recovery code of USER and end their sessions everywhere;
    /// they are mailed, and log in with their password next.
    Reset {
        user: String,
        /// Why (recorded in the audit log), e.g. "lost phone, ticket 4821".
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum GroupsCommand {
    /// The declared groups and how many members each has.
    List,
    /// A group's members: who granted each membership, when, and until when.
    Show { group: String },
    /// Make USER (user name, e-mail or NIK) a member of GROUP; a membership they have is
    /// replaced.
    #[command(visible_alias = "add")]
    Grant {
        user: String,
        group: String,
        /// The last day it holds (YYYY-MM-DD, in the configured time zone), or an RFC 3339
        /// time it ends at.
        #[arg(long)]
        until: Option<String>,
        /// Why (a ticket, a letter): recorded in the audit event.
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// End USER's membership of GROUP now.
    #[command(visible_alias = "remove")]
    Revoke {
        user: String,
        group: String,
        /// Why: recorded in the audit event.
        #[arg(long, default_value = "")]
        reason: String,
    },
}

#[derive(Subcommand)]
pub enum AccessCommand {
    /// What a route's rules decide for a user's request, and the rule that decides it.
    Check {
        /// User name, e-mail or NIK; leave out for a visitor who is not logged in.
        #[arg(long)]
        user: Option<String>,
        /// The route's name.
        #[arg(long)]
        route: String,
        #[arg(long, default_value = "/")]
        path: String,
        #[arg(long, default_value = "GET")]
        method: String,
        /// The client's address, for rules with `networks`.
        #[arg(long)]
        address: Option<std::net::IpAddr>,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Add a signing key that signs after a delay; the old one stays published until every
    /// token it signed has expired.
    Rotate {
        /// RS256 or ES256.
        #[arg(long, default_value = "RS256")]
        alg: String,
        /// Seconds before the new key signs (clients fetch the JWKS meanwhile).
        #[arg(long, default_value_t = 3600)]
        delay_secs: u64,
        /// Why (kept in the audit event).
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// List the signing keys (never their private parts).
    List,
}

#[derive(Subcommand)]
pub enum StoreCommand {
    /// Write every lasting record (users, sessions, keys, secrets, queued mail, audit) to FILE
    /// as JSON lines, readable only by you: it is as sensitive as the store.
    Export { file: std::path::PathBuf },
    /// Read a file made by `export` into this configuration's store, which must have no users.
    Import { file: std::path::PathBuf },
}

/// An administration error as the operator reads it: a field's problem in the registration's
/// own words (English).
fn describe(e: &gerbang_idp::admin::AdminError) -> String {
    use gerbang_idp::admin::AdminError::Field;
    match e {
        Field { field, problem } => format!(
            "--{field}: {}",
            gerbang_idp::web::problem(gerbang_idp::lang::Lang::En, *problem)
        ),
        other => other.to_string(),
    }
}

/// Every administrative command.
pub enum AdminCommand {
    Users(UsersCommand),
    Sessions(SessionsCommand),
    Groups(GroupsCommand),
    Mfa(MfaCommand),
    Access(AccessCommand),
    Keys(KeysCommand),
    Audit { limit: usize },
    Store(StoreCommand),
}

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] gerbang_idp::store::StoreError),
    #[error("{0}")]
    Input(String),
    #[error("{}", describe(.0))]
    Admin(#[from] gerbang_idp::admin::AdminError),
    #[error(transparent)]
    Keys(#[from] gerbang_idp::keys::KeyError),
    #[error(transparent)]
    Provider(#[from] gerbang_idp::provider::ProviderError),
    #[error(transparent)]
    Account(#[from] gerbang_idp::flows::AccountError),
}

/// The password given on standard input (`input`); the administration checks its policy.
fn read_password(input: &str) -> String {
    input.trim_end_matches(['\n', '\r']).to_string()
}

/// Users as a table: user name, e-mail, status, id.
fn user_table(users: &[User]) -> String {
    let mut lines = vec![format!(
        "{:<20} {:<32} {:<16} {:<9} {}",
        "USER NAME", "E-MAIL", "PHONE", "STATUS", "ID"
    )];
    for u in users {
        lines.push(format!(
            "{:<20} {:<32} {:<16} {:<9} {}",
            u.username,
            u.email,
            u.phone,
            format!("{:?}", u.status).to_lowercase(),
            u.id
        ));
    }
    lines.join("\n")
}

async fn find(store: &SharedStore, who: &str) -> Result<User, AdminError> {
    Ok(gerbang_idp::admin::find(store, who).await?)
}

impl AdminCommand {
    /// Whether the command reads standard input (a password).
    pub fn reads_input(&self) -> bool {
        matches!(
            self,
            AdminCommand::Users(UsersCommand::Add(_) | UsersCommand::SetPassword { .. })
        )
    }
}

/// Reads what the command wants from standard input.
pub fn read_input(command: &AdminCommand) -> Result<String, AdminError> {
    let mut text = String::new();
    if command.reads_input() {
        std::io::stdin().read_to_string(&mut text).map_err(|e| {
            AdminError::Input(format!("cannot read the password from standard input: {e}"))
        })?;
    }
    Ok(text)
}

/// Runs `command` on the configured store, opened here (no server holds it).
pub async fn run(
    config: &Config,
    command: AdminCommand,
    input: &str,
) -> Result<String, AdminError> {
    let store = crate::store::open(config).await?;
    let target = Target {
        store: &store,
        provider: None,
    };
    run_on(config, target, command, input).await
}

/// What a command works on: a store opened by `run`, or a running server's store and provider
/// (through its admin socket).
pub struct Target<'a> {
    pub store: &'a SharedStore,
    pub provider: Option<&'a Arc<Provider>>,
}

impl Target<'_> {
    /// The running server's provider, or one started on the store for this command.
    async fn provider(&self, config: &Config) -> Result<Arc<Provider>, AdminError> {
        match self.provider {
            Some(p) => Ok(Arc::clone(p)),
            None => Ok(Provider::start(Arc::new(config.clone()), self.store.clone()).await?),
        }
    }
}

pub async fn run_on(
    config: &Config,
    target: Target<'_>,
    command: AdminCommand,
    input: &str,
) -> Result<String, AdminError> {
    let store = target.store.clone();
    match command {
        AdminCommand::Users(users) => run_users(config, &target, users, input).await,
        AdminCommand::Sessions(sessions) => run_sessions(config, &target, sessions).await,
        AdminCommand::Groups(groups) => run_groups(config, &store, groups).await,
        AdminCommand::Mfa(mfa) => run_mfa(config, &target, mfa).await,
        AdminCommand::Access(AccessCommand::Check {
            user,
            route,
            path,
            method,
            address,
        }) => {
            let asked = RequestToCheck {
                route: &route,
                path: &path,
                method: &method,
                address,
            };
            check_access(config, &store, user.as_deref(), &asked).await
        }
        AdminCommand::Store(command) => run_store(&store, command).await,
        AdminCommand::Keys(keys) => run_keys(config, &store, keys).await,
        AdminCommand::Audit { limit } => {
            let mut lines = vec![format!(
                "{:<20} {:<18} {:<34} {:<16} {}",
                "WHEN (UTC)", "EVENT", "USER", "CLIENT", "DETAIL"
            )];
            for e in store.recent_events(limit).await? {
                let when = chrono::DateTime::from_timestamp(e.at as i64, 0).map_or_else(
                    || e.at.to_string(),
                    |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
                );
                lines.push(format!(
                    "{when:<20} {:<18} {:<34} {:<16} {}{}",
                    e.kind,
                    e.user_id.as_deref().unwrap_or("-"),
                    e.client_id.as_deref().unwrap_or("-"),
                    e.detail,
                    e.address
                        .map(|a| format!(" (from {a})"))
                        .unwrap_or_default()
                ));
            }
            Ok(lines.join("\n"))
        }
    }
}

async fn run_keys(
    config: &Config,
    store: &SharedStore,
    command: KeysCommand,
) -> Result<String, AdminError> {
    match command {
        KeysCommand::Rotate {
            alg,
            delay_secs,
            reason,
        } => {
            let alg = match alg.to_ascii_uppercase().as_str() {
                "RS256" => SigningAlg::Rs256,
                "ES256" => SigningAlg::Es256,
                other => {
                    return Err(AdminError::Input(format!(
                        "`{other}` is not RS256 or ES256"
                    )))
                }
            };
            let longest = config.provider.longest_token_lifetime().as_secs();
            let key = administrator(config, store)
                .rotate_key(alg, (delay_secs, longest), &reason)
                .await?;
            Ok(format!(
                "added {} key {}, signing from {} (in {delay_secs} s)",
                key.alg, key.kid, key.active_from
            ))
        }
        KeysCommand::List => {
            let mut lines = vec![format!(
                "{:<28} {:<6} {:<12} {}",
                "KID", "ALG", "SIGNS FROM", "RETIRES"
            )];
            for k in store.signing_keys().await? {
                lines.push(format!(
                    "{:<28} {:<6} {:<12} {}",
                    k.kid,
                    k.alg,
                    k.active_from,
                    k.retire_after.map_or_else(|| "-".into(), |t| t.to_string())
                ));
            }
            Ok(lines.join("\n"))
        }
    }
}

async fn run_sessions(
    config: &Config,
    target: &Target<'_>,
    command: SessionsCommand,
) -> Result<String, AdminError> {
    let time = |t: u64| {
        chrono::DateTime::from_timestamp(t as i64, 0).map_or_else(
            || t.to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
    };
    match command {
        SessionsCommand::List { user } => {
            let found = find(target.store, &user).await?;
            let mut lines = vec![format!(
                "{:<14} {:<12} {:<20} {:<20} {}",
                "SESSION", "FOR", "STARTED (UTC)", "LAST SEEN (UTC)", "EXPIRES (UTC)"
            )];
            for s in target.store.sessions_of(&found.id).await? {
                // A prefix of the stored hash names the session; the cookie never appears.
                lines.push(format!(
                    "{:<14} {:<12} {:<20} {:<20} {}",
                    s.id_hash.get(..12).unwrap_or(&s.id_hash),
                    s.audience,
                    time(s.created_at),
                    time(s.last_seen),
                    time(s.expires_at)
                ));
            }
            Ok(lines.join("\n"))
        }
        SessionsCommand::Revoke { user, reason } => {
            let provider = target.provider(config).await?;
            let (found, ended) = administrator(config, target.store)
                .end_all_sessions(&provider, &user, &reason)
                .await?;
            Ok(format!(
                "{ended} sessions of {} ended everywhere",
                found.username
            ))
        }
    }
}

async fn run_mfa(
    config: &Config,
    target: &Target<'_>,
    command: MfaCommand,
) -> Result<String, AdminError> {
    let admin = administrator(config, target.store);
    let zone = config.ui.time_zone;
    match command {
        MfaCommand::List { user } => {
            let (found, factors, left) = admin.second_factors(&user).await?;
            if factors.is_empty() {
                return Ok(format!("{} has no second factor", found.username));
            }
            let mut lines = vec![format!("{:<24} {:<22} {}", "NAME", "ADDED", "LAST USED")];
            for f in &factors {
                let name = if f.name.is_empty() {
                    "(unnamed)"
                } else {
                    &f.name
                };
                let used = f
                    .last_used_at
                    .map_or_else(|| "never".into(), |t| local(t, zone));
                lines.push(format!(
                    "{name:<24} {:<22} {used}",
                    local(f.created_at, zone)
                ));
            }
            lines.push(format!("{left} recovery codes left"));
            Ok(lines.join("\n"))
        }
        MfaCommand::Reset { user, reason } => {
            if reason.trim().is_empty() {
                return Err(AdminError::Input(
                    "--reason: say why, for the audit log".into(),
                ));
            }
            let provider = target.provider(config).await?;
            let (found, removed, ended) = admin
                .reset_second_factors(&provider, &user, &reason)
                .await?;
            Ok(format!(
                "{removed} second factors of {} removed, {ended} sessions ended; they are mailed",
                found.username
            ))
        }
    }
}

/// When a membership given `--until` ends: the midnight after a day (in `zone`), or an RFC
/// 3339 time.
fn membership_end(text: &str, zone: gerbang_config::TimeZone) -> Result<u64, AdminError> {
    let at = gerbang_idp::admin::end_of_day(text, zone).or_else(|| {
        let at = chrono::DateTime::parse_from_rfc3339(text).ok()?;
        u64::try_from(at.timestamp()).ok()
    });
    at.ok_or_else(|| {
        AdminError::Input(format!(
            "--until `{text}` is not a day (2027-06-30) or an RFC 3339 time (2027-06-30T17:00:00+07:00)"
        ))
    })
}

/// A time as the operator reads it, in the configured zone.
fn local(t: u64, zone: gerbang_config::TimeZone) -> String {
    let shifted = t as i64 + i64::from(zone.offset_secs());
    chrono::DateTime::from_timestamp(shifted, 0).map_or_else(
        || t.to_string(),
        |at| format!("{} {}", at.format("%Y-%m-%d %H:%M"), zone.label()),
    )
}

async fn run_groups(
    config: &Config,
    store: &SharedStore,
    command: GroupsCommand,
) -> Result<String, AdminError> {
    let admin = administrator(config, store);
    let zone = config.ui.time_zone;
    match command {
        GroupsCommand::List => {
            let mut lines = vec![format!("{:<28} {:<8} {}", "GROUP", "MEMBERS", "TITLE")];
            for group in &config.groups {
                let members = store.members(&group.name).await?.len();
                lines.push(format!("{:<28} {members:<8} {}", group.name, group.title));
            }
            Ok(lines.join("\n"))
        }
        GroupsCommand::Show { group } => {
            let mut lines = vec![format!(
                "{:<20} {:<14} {:<22} {}",
                "USER NAME", "GRANTED BY", "GRANTED", "UNTIL"
            )];
            for (user_id, m) in store.members(&group).await? {
                let user = store.user(&user_id).await?;
                let until = m.until.map_or_else(|| "-".into(), |t| local(t, zone));
                lines.push(format!(
                    "{:<20} {:<14} {:<22} {until}",
                    user.map_or(user_id, |u| u.username),
                    m.granted_by,
                    local(m.granted_at, zone),
                ));
            }
            Ok(lines.join("\n"))
        }
        GroupsCommand::Grant {
            user,
            group,
            until,
            reason,
        } => {
            let until = until.map(|t| membership_end(&t, zone)).transpose()?;
            let granted = (group.as_str(), until);
            let (user, membership) = admin.grant(&config.groups, &user, granted, &reason).await?;
            let ends = membership.until.map_or_else(
                || "with no end".into(),
                |t| format!("until {}", local(t, zone)),
            );
            Ok(format!("{} is in {group} {ends}", user.username))
        }
        GroupsCommand::Revoke {
            user,
            group,
            reason,
        } => {
            let user = admin.revoke_membership(&user, &group, &reason).await?;
            Ok(format!("{} is no longer in {group}", user.username))
        }
    }
}

/// A request `gerbang access check` asks about.
struct RequestToCheck<'a> {
    route: &'a str,
    path: &'a str,
    method: &'a str,
    address: Option<std::net::IpAddr>,
}

/// The decision and the rule that made it, as the operator reads it.
async fn check_access(
    config: &Config,
    store: &SharedStore,
    who: Option<&str>,
    asked: &RequestToCheck<'_>,
) -> Result<String, AdminError> {
    use gerbang_idp::access::{decide, Asked, Asker, Person};
    let route = config
        .routes
        .iter()
        .find(|r| r.name == asked.route)
        .ok_or_else(|| AdminError::Input(format!("no route named `{}`", asked.route)))?;
    let normal = gerbang_config::normalise_prefix(asked.path)
        .map_err(|e| AdminError::Input(format!("--path: {e}")))?;
    let user = match who {
        Some(who) => Some(find(store, who).await?),
        None => None,
    };
    let memberships = match &user {
        Some(u) => store.memberships(&u.id).await?,
        None => Vec::new(),
    };
    let person = user.as_ref().map(|u| Person {
        username: &u.username,
        email: Some(u.email.as_str()),
        memberships: &memberships,
        strength: gerbang_config::Strength::Password,
    });
    let method = asked.method.to_ascii_uppercase();
    let decision = decide(
        &route.access,
        &Asker {
            person,
            address: asked.address,
        },
        &Asked {
            path: &normal,
            method: &method,
        },
        now(),
    );
    let effect = if decision.allowed() { "allow" } else { "deny" };
    let why = match decision.rule {
        Some(i) => format!("by its rule[{i}]"),
        None if route.access.rules.is_empty() => "by the route's default (it has no rules)".into(),
        None => "by the route's default: no rule matched".into(),
    };
    Ok(format!(
        "{effect} {method} {normal} on {}: {why}",
        asked.route
    ))
}

/// The administration, acting for the operator at the command line now.
fn administrator<'a>(config: &Config, store: &'a SharedStore) -> Admin<'a> {
    Admin {
        store,
        actor: Actor::CommandLine,
        now: now(),
        session_lifetime: config.session.absolute_timeout.as_secs(),
    }
}

async fn run_users(
    config: &Config,
    target: &Target<'_>,
    command: UsersCommand,
    input: &str,
) -> Result<String, AdminError> {
    let admin = administrator(config, target.store);
    let passwords = || Passwords::new(1).map_err(|e| AdminError::Input(e.to_string()));
    match command {
        UsersCommand::Add(account) => {
            let created = admin
                .create(account.into(), &read_password(input), &passwords()?)
                .await?;
            Ok(format!("created {} ({})", created.username, created.id))
        }
        UsersCommand::List => Ok(user_table(&target.store.users().await?)),
        UsersCommand::Search { query } => Ok(user_table(&admin.search(&query).await?)),
        UsersCommand::ResendActivation { user, reason } => {
            let provider = target.provider(config).await?;
            let pending = admin.resend_activation(&provider, &user, &reason).await?;
            Ok(format!(
                "a new activation link for {} is queued; the server sends it when it runs",
                pending.email
            ))
        }
        UsersCommand::Delete { user, reason } => {
            let deleted = admin.delete(&user, &reason).await?;
            Ok(format!("deleted account {}", deleted.id))
        }
        UsersCommand::Disable { user, reason } => {
            let provider = target.provider(config).await?;
            let (disabled, ended) = admin.disable(&provider, &user, &reason).await?;
            Ok(format!(
                "disabled {}; {ended} sessions ended",
                disabled.username
            ))
        }
        UsersCommand::Enable { user, reason } => {
            let provider = target.provider(config).await?;
            let enabled = admin.enable(&provider, &user, &reason).await?;
            Ok(format!("enabled {}", enabled.username))
        }
        UsersCommand::Links { user } => {
            let found = admin.find(&user).await?;
            Ok(links_table(&found, config))
        }
        UsersCommand::Unlink {
            user,
            provider,
            reason,
        } => {
            let found = admin.unlink(&user, &provider, &reason).await?;
            Ok(format!(
                "{} is no longer linked to {provider}",
                found.username
            ))
        }
        UsersCommand::Unlock { user, reason } => {
            let (found, lifted) = admin.unlock(&user, &reason).await?;
            Ok(format!("{lifted} login locks of {} lifted", found.username))
        }
        UsersCommand::SendResetLink { user, reason } => {
            let provider = target.provider(config).await?;
            let found = admin.send_reset_link(&provider, &user, &reason).await?;
            Ok(format!(
                "a reset link for {} is queued; the server sends it when it runs",
                found.email
            ))
        }
        UsersCommand::SetPassword { user } => {
            let password = read_password(input);
            let (changed, ended) = admin.set_password(&user, &password, &passwords()?).await?;
            Ok(format!(
                "password of {} set; {ended} sessions ended",
                changed.username
            ))
        }
    }
}

/// An account's links, one per line: the provider, the subject there, when linked.
fn links_table(user: &User, config: &Config) -> String {
    if user.links.is_empty() {
        return format!("{} has no linked identity provider", user.username);
    }
    let zone = config.ui.time_zone;
    let mut lines = vec![format!("{:<16} {:<40} {}", "PROVIDER", "SUBJECT", "LINKED")];
    for link in &user.links {
        let linked = local(link.linked_at, zone);
        lines.push(format!(
            "{:<16} {:<40} {linked}",
            link.provider, link.subject
        ));
    }
    lines.join("\n")
}

impl From<NewAccountArgs> for NewAccount {
    fn from(args: NewAccountArgs) -> NewAccount {
        NewAccount {
            username: args.username,
            email: args.email,
            phone: args.phone,
            full_name: args.name,
            nik: args.nik,
            passport: args.passport.zip(args.country),
        }
    }
}

async fn run_store(store: &SharedStore, command: StoreCommand) -> Result<String, AdminError> {
    use gerbang_idp::store::transfer;
    let io = |file: &std::path::Path, e: std::io::Error| {
        AdminError::Input(format!("{}: {e}", file.display()))
    };
    match command {
        StoreCommand::Export { file } => {
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let records = store.export().await?;
            let text = transfer::to_json_lines(&records)?;
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&file)
                .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()))
                .map_err(|e| io(&file, e))?;
            Ok(format!(
                "exported {} to {}",
                transfer::Counts::of(&records),
                file.display()
            ))
        }
        StoreCommand::Import { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| io(&file, e))?;
            let records = transfer::from_json_lines(&text)
                .map_err(|e| AdminError::Input(format!("{}: {e}", file.display())))?;
            let counts = transfer::import(store.as_ref(), &records).await?;
            Ok(format!("imported {counts} from {}", file.display()))
        }
    }
}
