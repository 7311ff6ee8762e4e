//! Administration: every action an operator takes on an account, in one place. The command
//! line calls these (on the store, or through a running server's admin socket), and so does
//! the console. Each checks its input with the registration's own parsers, does the work,
//! ends what it must (sessions, tokens) and records an audit event naming who acted.

use std::sync::Arc;

use crate::account::password::{check_policy, PasswordError, Passwords};
use crate::account::registration::{passport_number, Problem};
use crate::audit::AuditKind;
use crate::clock::{rfc3339, Timestamp};
use crate::flows::{enrolment, recovery, AccountError};
use crate::keys::{self, KeyError, SigningAlg};
use crate::logout;
use crate::mail::templates::{self, Sender};
use crate::personal::countries;
use crate::provider::Provider;
use crate::revocation::Revoked;
use crate::store::{
    AuditEvent, Email, Identity, Membership, NewUser, Nik, Pending, Phone, Profile, SecondFactor,
    SharedStore, SigningKey, StoreError, UniqueKey, User, UserStatus,
};
use gerbang_config::Group;

/// Why an administrative action was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A field the operator gave is wrong, as registration would say it (`field` names it).
    #[error("{field}: {problem:?}")]
    Field {
        field: &'static str,
        problem: Problem,
    },
    #[error("{0}")]
    Password(#[from] PasswordError),
    #[error("give a NIK, or a passport number with its country")]
    NoIdentity,
    #[error("no user `{0}`")]
    NoSuchUser(String),
    #[error("{0} is already activated")]
    AlreadyActive(String),
    #[error("{0} is not active (pending activation or disabled)")]
    NotActive(String),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("`{0}` is not a declared [[group]] of the configuration")]
    UnknownGroup(String),
    #[error("{user} is not in group `{group}`")]
    NotAMember { user: String, group: String },
    #[error("the membership would end before it begins")]
    EndsInThePast,
    #[error("{0} has no such session (it ended meanwhile)")]
    NoSuchSession(String),
    #[error("{user} has no link to the identity provider `{provider}`")]
    NoSuchLink { user: String, provider: String },
}

/// Who acts: recorded with every event.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// An operator on the server's command line.
    CommandLine,
    /// A person in the console: their user name.
    Console(&'a str),
    /// A person through the admin API, with a token from their session: their user name.
    ApiUser(&'a str),
    /// A client through the admin API, with its own token: its id.
    ApiClient(&'a str),
}

impl Actor<'_> {
    fn detail(self) -> String {
        match self {
            Actor::CommandLine => "by an administrator (command line)".into(),
            Actor::Console(operator) => format!("by {operator} (console)"),
            Actor::ApiUser(operator) => format!("by {operator} (admin API)"),
            Actor::ApiClient(client) => format!("by client {client} (admin API)"),
        }
    }

    /// As a membership records who granted it.
    fn name(self) -> String {
        match self {
            Actor::CommandLine => "command-line".into(),
            Actor::Console(operator) | Actor::ApiUser(operator) => operator.into(),
            Actor::ApiClient(client) => format!("client:{client}"),
        }
    }
}

/// When a membership granted until the day `day` (`YYYY-MM-DD`) ends: the midnight after it,
/// in `zone`. `None` for anything else.
pub fn end_of_day(day: &str, zone: gerbang_config::TimeZone) -> Option<Timestamp> {
    let day = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
    midnight_before(day.succ_opt()?, zone)
}

/// When the day `day` (`YYYY-MM-DD`) begins in `zone`. `None` for anything else.
pub fn start_of_day(day: &str, zone: gerbang_config::TimeZone) -> Option<Timestamp> {
    let day = chrono::NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").ok()?;
    midnight_before(day, zone)
}

fn midnight_before(day: chrono::NaiveDate, zone: gerbang_config::TimeZone) -> Option<Timestamp> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    let at = midnight.and_utc().timestamp() - i64::from(zone.offset_secs());
    u64::try_from(at).ok()
}

/// An audit detail: what, who acted, and why when they said.
fn with_reason(what: &str, actor: Actor<'_>, reason: &str) -> String {
    match reason.trim() {
        "" => format!("{what}, {}", actor.detail()),
        why => format!("{what}, {}: {why}", actor.detail()),
    }
}

/// An account an administrator creates, as typed.
pub struct NewAccount {
    pub username: String,
    pub email: String,
    /// International form (`+62 812-3456-789`).
    pub phone: String,
    pub full_name: String,
    pub nik: Option<String>,
    /// A passport number and its issuing country (ISO 3166 alpha-2).
    pub passport: Option<(String, String)>,
}

/// What an operator typed to find someone, when it is a NIK (sixteen digits): checked as
/// registration checks one, so a mistyped NIK gets registration's words rather than "nothing
/// found".
fn check_typed_nik(typed: &str) -> Result<(), AdminError> {
    let typed = typed.trim();
    if typed.len() == 16 && typed.bytes().all(|b| b.is_ascii_digit()) {
        Nik::parse(typed, None).map_err(|p| AdminError::Field {
            field: "nik",
            problem: Problem::Nik(p),
        })?;
    }
    Ok(())
}

/// The user a user name, e-mail address or NIK names (reading needs no actor).
pub async fn find(store: &SharedStore, who: &str) -> Result<User, AdminError> {
    check_typed_nik(who)?;
    for key in [
        UniqueKey::Username(who.into()),
        UniqueKey::Email(who.into()),
        UniqueKey::Nik(who.into()),
    ] {
        if let Some(user) = store.user_by_key(&key).await? {
            return Ok(user);
        }
    }
    Err(AdminError::NoSuchUser(who.into()))
}

/// Users a search for `query` finds (reading needs no actor), in user-name order: see
/// [`found_by`]. Nothing for an empty query.
pub async fn search(store: &SharedStore, query: &str) -> Result<Vec<User>, AdminError> {
    let needle = query.trim().to_lowercase();
    if needle.is_empty() {
        return Ok(Vec::new());
    }
    check_typed_nik(&needle)?;
    let mut found: Vec<User> = store
        .users()
        .await?
        .into_iter()
        .filter(|u| found_by(u, &needle))
        .collect();
    // In one order, so pages of results follow on.
    found.sort_by(|a, b| a.username.cmp(&b.username));
    Ok(found)
}

/// Whether a search for `needle` (trimmed, lower case) finds `user`: part of their user name,
/// e-mail, phone number or name, or their identity document number exactly (a fragment of a
/// NIK finds no one, so numbers cannot be guessed a few digits at a time).
fn found_by(user: &User, needle: &str) -> bool {
    let document = match &user.identity {
        Identity::Ktp { nik } => nik.to_string(),
        Identity::Passport { number, .. } => number.to_lowercase(),
    };
    if document == needle {
        return true;
    }
    let name = user
        .profile
        .full_name
        .as_deref()
        .unwrap_or("")
        .to_lowercase();
    [
        user.username.to_lowercase().as_str(),
        user.email.as_str(),
        &user.phone.to_string(),
        &name,
    ]
    .iter()
    .any(|field| field.contains(needle))
}

/// Counts a search by `searcher` (an operator's user id, or `client:<id>`); true when it is
/// over `per_minute`. Each operator has their own count, beside the address limit.
pub async fn searches_over_limit(
    store: &SharedStore,
    searcher: &str,
    per_minute: u64,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let key = format!("admin:search:{searcher}");
    Ok(store.hit(&key, SEARCH_WINDOW, now).await? > per_minute)
}

/// The window of [`searches_over_limit`].
const SEARCH_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// How many accounts one page of search results holds.
pub const RESULTS_PER_PAGE: usize = 50;

/// Where a page of search results stands among them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResultsPage {
    /// 0-based.
    pub page: usize,
    /// The index of its first result among all of them.
    pub first: usize,
    pub shown: usize,
    pub total: usize,
}

impl ResultsPage {
    pub fn has_previous(&self) -> bool {
        self.page > 0
    }

    pub fn has_next(&self) -> bool {
        self.first + self.shown < self.total
    }
}

/// Page `page` (0-based) of `all`, [`RESULTS_PER_PAGE`] to a page; past the end, the last.
pub fn page_of<T>(all: &[T], page: usize) -> (&[T], ResultsPage) {
    let last = all.len().saturating_sub(1) / RESULTS_PER_PAGE;
    let page = page.min(last);
    let first = page * RESULTS_PER_PAGE;
    let shown = &all[first..(first + RESULTS_PER_PAGE).min(all.len())];
    let at = ResultsPage {
        page,
        first,
        shown: shown.len(),
        total: all.len(),
    };
    (shown, at)
}

/// What every action needs: the store, who acts, and the time.
pub struct Admin<'a> {
    pub store: &'a SharedStore,
    pub actor: Actor<'a>,
    pub now: Timestamp,
    /// How long a revocation of a user's sessions must last (the longest session).
    pub session_lifetime: u64,
}

impl Admin<'_> {
    /// The user a user name, e-mail address or NIK names.
    pub async fn find(&self, who: &str) -> Result<User, AdminError> {
        find(self.store, who).await
    }

    /// Users whose user name, e-mail or identity document number contains `query`.
    pub async fn search(&self, query: &str) -> Result<Vec<User>, AdminError> {
        search(self.store, query).await
    }

    /// An active account with a password the operator chose (checked against the policy).
    pub async fn create(
        &self,
        account: NewAccount,
        password: &str,
        passwords: &Passwords,
    ) -> Result<User, AdminError> {
        let field = |field, problem| AdminError::Field { field, problem };
        let identity = match (account.nik, account.passport) {
            (Some(typed), _) => Identity::Ktp {
                nik: Nik::parse(&typed, None).map_err(|p| field("nik", Problem::Nik(p)))?,
            },
            (None, Some((number, country))) => Identity::Passport {
                number: passport_number(&number).map_err(|p| field("passport", p))?,
                country: countries::find(&country)
                    .ok_or(field("country", Problem::UnknownCountry))?
                    .code
                    .to_string(),
            },
            (None, None) => return Err(AdminError::NoIdentity),
        };
        let phone = Phone::parse_international(&account.phone);
        let full_name = account.full_name.trim();
        let user = NewUser {
            username: account.username,
            email: Email::parse(&account.email).map_err(|p| field("email", Problem::Email(p)))?,
            profile: Profile {
                country: phone
                    .as_ref()
                    .ok()
                    .and_then(Phone::country)
                    .map(str::to_string),
                full_name: (!full_name.is_empty()).then(|| full_name.to_string()),
                ..Profile::default()
            },
            phone: phone.map_err(|p| field("phone", Problem::Phone(p)))?,
            identity,
            status: UserStatus::Active,
            password_hash: Some(self.hash(password, passwords).await?),
            must_change_password: false,
            pending: Pending::default(),
            locale: None,
            links: Vec::new(),
        };
        let created = self.store.create_user(user, None, self.now).await?;
        self.audit(AuditKind::AccountCreated, &created.id).await?;
        Ok(created)
    }

    /// Disables an account, ends its sessions everywhere and tells its owner; returns how many
    /// sessions there were.
    pub async fn disable(
        &self,
        provider: &Provider,
        who: &str,
        reason: &str,
    ) -> Result<(User, usize), AdminError> {
        self.set_status(provider, who, UserStatus::Disabled, reason)
            .await
    }

    /// Enables a disabled account again and tells its owner.
    pub async fn enable(
        &self,
        provider: &Provider,
        who: &str,
        reason: &str,
    ) -> Result<User, AdminError> {
        let (user, _) = self
            .set_status(provider, who, UserStatus::Active, reason)
            .await?;
        Ok(user)
    }

    async fn set_status(
        &self,
        provider: &Provider,
        who: &str,
        status: UserStatus,
        reason: &str,
    ) -> Result<(User, usize), AdminError> {
        let mut user = self.find(who).await?;
        let disabled = status == UserStatus::Disabled;
        user.status = status;
        let mail = templates::account_status(
            &user.email,
            enrolment::user_lang(&user),
            disabled,
            &Sender::of(&provider.config()),
        );
        self.store.update_user(&user, Some(mail), self.now).await?;
        provider.mail_queued.notify_one();
        let ended = match disabled {
            true => self.end_sessions(&user).await?,
            false => 0,
        };
        let kind = match disabled {
            true => AuditKind::AccountDisabled,
            false => AuditKind::AccountEnabled,
        };
        let what = format!("{ended} sessions ended");
        self.audit_why(kind, &user.id, &what, reason).await?;
        Ok((user, ended))
    }

    /// Lifts every login lock of an account (the failures that led to them are forgotten);
    /// returns how many there were.
    pub async fn unlock(&self, who: &str, reason: &str) -> Result<(User, usize), AdminError> {
        let user = self.find(who).await?;
        let lifted = crate::account::login::unlock(self.store.as_ref(), &user.id, self.now).await?;
        let what = format!("{lifted} locks lifted");
        self.audit_why(AuditKind::LoginUnlocked, &user.id, &what, reason)
            .await?;
        Ok((user, lifted))
    }

    /// Removes the account's link to the identity provider `provider`: logging in there no
    /// longer logs in here (the person may link it again, proving the account once more).
    pub async fn unlink(
        &self,
        who: &str,
        provider: &str,
        reason: &str,
    ) -> Result<User, AdminError> {
        let mut user = self.find(who).await?;
        if !user.unlink(provider) {
            let (user, provider) = (user.username, provider.to_string());
            return Err(AdminError::NoSuchLink { user, provider });
        }
        self.store.update_user(&user, None, self.now).await?;
        let what = format!("{provider}: unlinked");
        self.audit_why(AuditKind::FederationUnlinked, &user.id, &what, reason)
            .await?;
        Ok(user)
    }

    /// Mails an active account a password reset link (as "Lupa Password?" would, without its
    /// wait between links: the operator asked now).
    pub async fn send_reset_link(
        &self,
        provider: &Provider,
        who: &str,
        reason: &str,
    ) -> Result<User, AdminError> {
        let user = self.find(who).await?;
        if user.status != UserStatus::Active {
            return Err(AdminError::NotActive(user.username));
        }
        let user = recovery::send_link(provider, user, None, self.now).await?;
        self.audit_why(
            AuditKind::PasswordResetRequested,
            &user.id,
            "reset link sent",
            reason,
        )
        .await?;
        Ok(user)
    }

    /// Sets a password the operator chose and ends the account's sessions; returns how many
    /// there were.
    pub async fn set_password(
        &self,
        who: &str,
        password: &str,
        passwords: &Passwords,
    ) -> Result<(User, usize), AdminError> {
        let mut user = self.find(who).await?;
        user.password_hash = Some(self.hash(password, passwords).await?);
        user.must_change_password = false;
        self.store.update_user(&user, None, self.now).await?;
        let ended = self.store.delete_sessions_of(&user.id).await?;
        self.audit(AuditKind::PasswordSet, &user.id).await?;
        Ok((user, ended))
    }

    /// Deletes an account: its personal data goes, its sessions end, the audit trail keeps
    /// only its id.
    pub async fn delete(&self, who: &str, reason: &str) -> Result<User, AdminError> {
        let user = self.find(who).await?;
        self.store.delete_user(&user.id).await?;
        self.store
            .revoke(Revoked::User(&user.id), self.now + self.session_lifetime)
            .await?;
        self.audit_why(
            AuditKind::AccountDeleted,
            &user.id,
            "personal data removed",
            reason,
        )
        .await?;
        Ok(user)
    }

    /// Sends a pending account a new activation link (the old one stops working).
    pub async fn resend_activation(
        &self,
        provider: &Provider,
        who: &str,
        reason: &str,
    ) -> Result<User, AdminError> {
        let user = self.find(who).await?;
        if user.status != UserStatus::Pending {
            return Err(AdminError::AlreadyActive(user.username));
        }
        let lang = enrolment::user_lang(&user);
        let user = enrolment::send_activation(provider, user, lang, self.now).await?;
        self.audit_why(
            AuditKind::AccountActivationResent,
            &user.id,
            "new activation link",
            reason,
        )
        .await?;
        Ok(user)
    }

    /// Ends every session of an account everywhere (apps with a back-channel logout URI are
    /// told); the account stays active. Returns how many provider sessions there were.
    pub async fn end_all_sessions(
        &self,
        provider: &Arc<Provider>,
        who: &str,
        reason: &str,
    ) -> Result<(User, usize), AdminError> {
        let user = self.find(who).await?;
        let ended = logout::end_all_sessions(provider, &user.id, None).await?;
        self.audit_why(
            AuditKind::SessionsEnded,
            &user.id,
            &format!("{ended} sessions"),
            reason,
        )
        .await?;
        Ok((user, ended))
    }

    /// Ends one of the account's provider sessions (one browser), and the app sessions it
    /// started, as the person's own "end this session" on Beranda does.
    pub async fn end_session(
        &self,
        provider: &Arc<Provider>,
        who: &str,
        session_hash: &str,
        reason: &str,
    ) -> Result<User, AdminError> {
        let user = self.find(who).await?;
        let sessions = self.store.sessions_of(&user.id).await?;
        let Some(session) = sessions
            .iter()
            .find(|s| s.audience == "provider" && s.id_hash == session_hash)
        else {
            return Err(AdminError::NoSuchSession(user.username));
        };
        logout::end_session(provider, session_hash, &user.id, None).await?;
        let device = session.device.as_deref().unwrap_or("an unknown device");
        let what = format!("1 session ({device})");
        self.audit_why(AuditKind::SessionsEnded, &user.id, &what, reason)
            .await?;
        Ok(user)
    }

    /// Adds a signing key of `alg` that signs after `delay` seconds; the keys it replaces stay
    /// published for `longest_token` seconds after that (see [`keys::rotate`]).
    pub async fn rotate_key(
        &self,
        alg: SigningAlg,
        (delay, longest_token): (u64, u64),
        reason: &str,
    ) -> Result<SigningKey, AdminError> {
        let key = keys::rotate(self.store.as_ref(), alg, delay, longest_token, self.now).await?;
        let detail = with_reason(&format!("{} {}", key.alg, key.kid), self.actor, reason);
        let event = AuditEvent {
            actor: Some(self.actor.name()),
            ..AuditEvent::new(AuditKind::KeyRotated, self.now, &detail)
        };
        self.store.record(&event).await?;
        Ok(key)
    }

    /// Makes `who` a member of `group` (one of `declared`), until `until` if given; a
    /// membership of the group they have is replaced. Every gateway decides by it within a
    /// second.
    pub async fn grant(
        &self,
        declared: &[Group],
        who: &str,
        (group, until): (&str, Option<Timestamp>),
        reason: &str,
    ) -> Result<(User, Membership), AdminError> {
        if !declared.iter().any(|g| g.name == group) {
            return Err(AdminError::UnknownGroup(group.into()));
        }
        if until.is_some_and(|until| until <= self.now) {
            return Err(AdminError::EndsInThePast);
        }
        let user = self.find(who).await?;
        let membership = Membership {
            group: group.into(),
            granted_by: self.actor.name(),
            granted_at: self.now,
            until,
        };
        self.store.grant(&user.id, &membership).await?;
        let ends = until.map_or_else(|| "no end".into(), |t| format!("until {}", rfc3339(t)));
        self.audit_why(
            AuditKind::GroupGranted,
            &user.id,
            &format!("{group}, {ends}"),
            reason,
        )
        .await?;
        Ok((user, membership))
    }

    /// Ends `who`'s membership of `group` now.
    pub async fn revoke_membership(
        &self,
        who: &str,
        group: &str,
        reason: &str,
    ) -> Result<User, AdminError> {
        let user = self.find(who).await?;
        if !self.store.remove_membership(&user.id, group).await? {
            return Err(AdminError::NotAMember {
                user: user.username,
                group: group.into(),
            });
        }
        self.audit_why(AuditKind::GroupRevoked, &user.id, group, reason)
            .await?;
        Ok(user)
    }

    /// `who`'s second factors (never their secrets) and how many recovery codes they have left.
    pub async fn second_factors(
        &self,
        who: &str,
    ) -> Result<(User, Vec<SecondFactor>, usize), AdminError> {
        let user = self.find(who).await?;
        let factors = self.store.factors(&user.id).await?;
        let left = self.store.recovery_codes_left(&user.id).await?;
        Ok((user, factors, left))
    }

    /// Helpdesk's reset for someone who lost their phone: every second factor and recovery code
    /// of `who` goes, every session ends everywhere (the next login asks for the password only,
    /// and a person who stole the phone is logged out too), and the user is mailed. `reason`
    /// is recorded. How many factors went, and how many sessions ended.
    pub async fn reset_second_factors(
        &self,
        provider: &Arc<Provider>,
        who: &str,
        reason: &str,
    ) -> Result<(User, usize, usize), AdminError> {
        let user = self.find(who).await?;
        let removed = self.store.remove_second_factors(&user.id).await?;
        let ended = logout::end_all_sessions(provider, &user.id, None).await?;
        self.audit_why(
            AuditKind::SecondFactorsReset,
            &user.id,
            &format!("{removed} factors"),
            reason,
        )
        .await?;
        let mail = templates::second_factors_reset(
            &user.email,
            enrolment::user_lang(&user),
            &Sender::of(&provider.config()),
        );
        self.store.enqueue_mail(mail, self.now).await?;
        provider.mail_queued.notify_one();
        Ok((user, removed, ended))
    }

    async fn end_sessions(&self, user: &User) -> Result<usize, AdminError> {
        let ended = self.store.delete_sessions_of(&user.id).await?;
        self.store
            .revoke(Revoked::User(&user.id), self.now + self.session_lifetime)
            .await?;
        Ok(ended)
    }

    /// `user`'s identity document number in full, for a role that needs it: each view is
    /// audited, with who looked and from where.
    pub async fn unmasked_document(
        &self,
        user: &User,
        address: &str,
    ) -> Result<String, StoreError> {
        let event = AuditEvent {
            user_id: Some(user.id.clone()),
            actor: Some(self.actor.name()),
            address: Some(address.to_string()),
            ..AuditEvent::new(AuditKind::DocumentViewed, self.now, &self.actor.detail())
        };
        self.store.record(&event).await?;
        Ok(match &user.identity {
            Identity::Ktp { nik } => nik.to_string(),
            Identity::Passport { number, .. } => number.clone(),
        })
    }

    async fn hash(&self, password: &str, passwords: &Passwords) -> Result<String, AdminError> {
        check_policy(password, &[])?;
        Ok(passwords.hash(password).await?)
    }

    async fn audit(&self, kind: AuditKind, user_id: &str) -> Result<(), AdminError> {
        self.audit_with(kind, user_id, self.actor.detail()).await
    }

    /// Records `kind` on the account `user_id`: `what`, who acted, and why (`reason`).
    async fn audit_why(
        &self,
        kind: AuditKind,
        user_id: &str,
        what: &str,
        reason: &str,
    ) -> Result<(), AdminError> {
        let detail = with_reason(what, self.actor, reason);
        self.audit_with(kind, user_id, detail).await
    }

    async fn audit_with(
        &self,
        kind: AuditKind,
        user_id: &str,
        detail: String,
    ) -> Result<(), AdminError> {
        let event = AuditEvent {
            user_id: Some(user_id.to_string()),
            actor: Some(self.actor.name()),
            ..AuditEvent::new(kind, self.now, &detail)
        };
        Ok(self.store.record(&event).await?)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod search_tests {
    use super::*;

    fn budi() -> User {
        User {
            id: "u1".into(),
            username: "Budi".into(),
            email: Email::parse("budi.s@example.id").unwrap(),
            phone: Phone::parse_international("+62 812-3456-789").unwrap(),
            identity: Identity::Ktp {
                nik: Nik::parse("3171014101000001", None).unwrap(),
            },
            status: UserStatus::Active,
            password_hash: None,
            must_change_password: false,
            profile: Profile {
                full_name: Some("Budi Santoso".into()),
                ..Profile::default()
            },
            pending: Pending::default(),
            locale: None,
            created_at: 0,
            links: Vec::new(),
        }
    }

    #[test]
    fn a_search_finds_parts_of_names_and_contacts_and_only_whole_documents() {
        let user = budi();
        for found in [
            "budi",
            "santoso",
            "s@example",
            "3456789",
            "3171014101000001",
        ] {
            assert!(found_by(&user, found), "{found}");
        }
        for not_found in ["3171014", "000001", "sari"] {
            assert!(!found_by(&user, not_found), "{not_found}");
        }
    }

    #[test]
    fn pages_follow_on_and_a_page_past_the_end_is_the_last() {
        let all: Vec<usize> = (0..120).collect();
        let (shown, at) = page_of(&all, 1);
        assert_eq!((shown[0], shown.len()), (50, 50));
        assert!(at.has_previous() && at.has_next());
        let (shown, at) = page_of(&all, 9);
        assert_eq!(
            (at.page, at.first, shown.len(), at.total),
            (2, 100, 20, 120)
        );
        assert!(!at.has_next());
        let (shown, at) = page_of::<usize>(&[], 3);
        assert!(shown.is_empty() && !at.has_previous() && !at.has_next());
    }
}
