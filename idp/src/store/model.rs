//! What the store keeps: plain data, no behaviour beyond naming its unique keys.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use crate::assurance::Proven;

pub use crate::audit::AuditKind;
pub use crate::clock::Timestamp;
pub use crate::lang::Lang;
pub use crate::personal::email::Email;
pub use crate::personal::nik::Nik;
pub use crate::personal::phone::Phone;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Identity {
    /// Indonesian identity card: the 16-digit NIK.
    Ktp { nik: Nik },
    /// A passport: number and issuing country (ISO 3166 alpha-2).
    Passport { number: String, country: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserStatus {
    /// Registered, e-mail not yet confirmed.
    Pending,
    Active,
    Disabled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    /// The OpenID Connect `gender` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
}

/// What the holder told at registration (or an operator at creation) besides the identity
/// document and the contact: the guide's remaining fields, each as parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    /// Negara Asal (KTP) or the phone's country (passport): ISO 3166 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// A passport holder's nationality (ISO 3166 alpha-2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nationality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_place: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passport: Option<PassportDetails>,
}

/// A passport's dates and issuing office (its number and country are the [`Identity`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassportDetails {
    pub issued: NaiveDate,
    pub expires: NaiveDate,
    pub office: String,
}

/// The account's flows in progress: the one activation link and the one reset link now valid
/// (by hash; sending a new one replaces the old), and until when a temporary password works.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Pending {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temporary_password_until: Option<Timestamp>,
    /// The app a person was on their way to when they registered or asked for a reset: its
    /// address, where the activated account's or the new password's login leads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewUser {
    pub username: String,
    pub email: Email,
    pub phone: Phone,
    pub identity: Identity,
    pub status: UserStatus,
    /// An argon2id PHC string; `None` until a password is set.
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub profile: Profile,
    pub pending: Pending,
    /// The language the holder registered in: their mails are written in it.
    pub locale: Option<Lang>,
    /// Upstream identities linked from the start (an account registered from an upstream
    /// login); their keys are claimed with the account's.
    pub links: Vec<FederatedLink>,
}

impl User {
    /// The record of a new account, with a fresh id.
    pub fn new(new: NewUser, now: Timestamp) -> User {
        User {
            id: new_id(),
            username: new.username,
            email: new.email,
            phone: new.phone,
            identity: new.identity,
            status: new.status,
            password_hash: new.password_hash,
            must_change_password: new.must_change_password,
            profile: new.profile,
            pending: new.pending,
            locale: new.locale,
            created_at: now,
            links: new.links,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: Email,
    pub phone: Phone,
    pub identity: Identity,
    pub status: UserStatus,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    #[serde(default)]
    pub profile: Profile,
    #[serde(default)]
    pub pending: Pending,
    #[serde(default)]
    pub locale: Option<Lang>,
    pub created_at: Timestamp,
    /// Identities at upstream providers that log in to this account (`[[identity_provider]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<FederatedLink>,
}

/// An identity at an upstream OpenID Connect provider, linked to an account: logging in there
/// as `subject` logs in here as the account. Each is held by one account at most.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedLink {
    /// The `[[identity_provider]]` id.
    pub provider: String,
    /// The `sub` the provider gives the person (unique and never reassigned, OIDC Core 2).
    pub subject: String,
    pub linked_at: Timestamp,
}

impl User {
    /// Every value this account holds alone: user name, e-mail, identity document and links.
    pub fn unique_keys(&self) -> Vec<UniqueKey> {
        let mut keys = UniqueKey::of(&self.username, &self.email, &self.identity).to_vec();
        keys.extend(self.links.iter().map(|l| UniqueKey::Federated {
            provider: l.provider.clone(),
            subject: l.subject.clone(),
        }));
        keys
    }

    /// The account's link to `provider`, if it has one.
    pub fn link_to(&self, provider: &str) -> Option<&FederatedLink> {
        self.links.iter().find(|l| l.provider == provider)
    }

    /// Removes the account's link to `provider`; whether it had one.
    pub fn unlink(&mut self, provider: &str) -> bool {
        let before = self.links.len();
        self.links.retain(|l| l.provider != provider);
        self.links.len() != before
    }
}

/// A value that may belong to one account only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UniqueKey {
    Username(String),
    Email(String),
    Nik(String),
    Passport {
        number: String,
        country: String,
    },
    /// An identity at an upstream provider (compared exactly, as `sub` is).
    Federated {
        provider: String,
        subject: String,
    },
}

impl UniqueKey {
    /// The keys a user holds, in their canonical spelling (case-folded where case does not matter).
    pub fn of(username: &str, email: &Email, identity: &Identity) -> [UniqueKey; 3] {
        let identity = match identity {
            Identity::Ktp { nik } => UniqueKey::Nik(nik.to_string()),
            Identity::Passport { number, country } => UniqueKey::Passport {
                number: number.trim().to_ascii_uppercase(),
                country: country.trim().to_ascii_uppercase(),
            },
        };
        [
            UniqueKey::Username(username.trim().to_lowercase()),
            UniqueKey::Email(email.to_string()),
            identity,
        ]
    }

    /// The same key in its canonical spelling: callers may pass any; the index holds this one.
    pub fn normalised(&self) -> UniqueKey {
        match self {
            UniqueKey::Username(u) => UniqueKey::Username(u.trim().to_lowercase()),
            UniqueKey::Email(e) => UniqueKey::Email(e.trim().to_lowercase()),
            UniqueKey::Nik(n) => UniqueKey::Nik(n.trim().to_string()),
            UniqueKey::Passport { number, country } => UniqueKey::Passport {
                number: number.trim().to_ascii_uppercase(),
                country: country.trim().to_ascii_uppercase(),
            },
            UniqueKey::Federated { .. } => self.clone(),
        }
    }

    /// The canonical text of the key, as the backends index it.
    pub fn canonical(&self) -> String {
        match self {
            UniqueKey::Username(u) => format!("username:{u}"),
            UniqueKey::Email(e) => format!("email:{e}"),
            UniqueKey::Nik(n) => format!("nik:{n}"),
            UniqueKey::Passport { number, country } => format!("passport:{country}:{number}"),
            UniqueKey::Federated { provider, subject } => format!("federated:{provider}:{subject}"),
        }
    }
}

/// A server-side session, of the provider or of the gateway. Keyed by the hash of its cookie value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id_hash: String,
    pub user_id: String,
    pub created_at: Timestamp,
    pub last_seen: Timestamp,
    pub expires_at: Timestamp,
    pub auth_time: Timestamp,
    /// Which client or route host the session belongs to (`provider` for the provider's own).
    pub audience: String,
    /// The browser and system it was started from, coarsely ("Chrome · Android"), for the
    /// user's list of sessions.
    #[serde(default)]
    pub device: Option<String>,
    /// A gateway session's provider session (the ID token's `sid`), which it ends with.
    #[serde(default)]
    pub parent: Option<String>,
    /// The OIDC clients a provider session has logged in to, by id.
    #[serde(default)]
    pub clients: Vec<String>,
    /// What the person proved: a password, and a second factor if they gave one.
    #[serde(default)]
    pub proven: Proven,
    /// The login at an upstream identity provider this session was started by, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<UpstreamSession>,
}

/// A provider session's login at an upstream identity provider: what its back-channel logout
/// names, and the ID token logging out there is asked with (`id_token_hint`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamSession {
    /// The `[[identity_provider]]` id.
    pub provider: String,
    pub subject: String,
    /// The upstream's session id (`sid`), when its ID token carried one.
    pub sid: Option<String>,
    pub id_token: String,
}

/// Values that expire: single-use secrets (taken at most once, never after expiry) and a few
/// records read in place until they expire (locks, consents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OneTimeKind {
    AuthorizationCode,
    RefreshToken,
    Captcha,
    ActivationLink,
    ResetLink,
    /// A login that passed its password and waits for its second factor.
    PendingLogin,
    /// An account locked after repeated failures, until the record expires.
    LoginLock,
    /// A user's consent to a client's scopes, read (not taken) until it expires.
    Consent,
    /// A login that must set a new password before it gets a session.
    PasswordChange,
    /// A new e-mail address waiting for its confirmation link to be followed.
    EmailChange,
    /// A mailed link that lets the device it is opened on log in to a locked account.
    UnlockLink,
    /// Marks that an account was sent a message of some kind, so that repeats within the
    /// cool-down send nothing more (nobody can flood a mailbox through the public forms).
    MailCooldown,
    /// When a person the `[mfa]` policy asks for a second factor must have one by (kept under
    /// their user id, read in place).
    SecondFactorDue,
    /// A passkey ceremony between its options and the authenticator's answer.
    PasskeyCeremony,
    /// A login at an upstream identity provider, between its start and its callback.
    FederatedLogin,
    /// An upstream identity waiting for the person to prove control of the account it matched.
    FederatedLink,
    /// An upstream identity that matched no account, while the person fills in the
    /// registration form it pre-filled.
    FederatedRegistration,
    /// A client assertion's `jti`, remembered until the assertion expires so it is used once.
    ClientAssertion,
    /// The user a login at an upstream started a session for, under the upstream's session id
    /// (`sid`): a back-channel logout token naming only the `sid` finds the account this way.
    UpstreamSid,
}

/// What spending a one-time value found (see [`super::OneTimeStore::spend_once`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spent {
    /// It was live, and this spend took it: its value.
    First(Vec<u8>),
    /// It was spent before, and is still remembered as spent: the value it held.
    Again(Vec<u8>),
    /// Never there, expired unspent, or spent so long ago that it is forgotten.
    Unknown,
}

/// The key a spent value is remembered under, beside live ones of its kind.
pub fn spent_key(key_hash: &str) -> String {
    format!("spent:{key_hash}")
}

impl OneTimeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OneTimeKind::AuthorizationCode => "code",
            OneTimeKind::RefreshToken => "refresh",
            OneTimeKind::Captcha => "captcha",
            OneTimeKind::ActivationLink => "activation",
            OneTimeKind::ResetLink => "reset",
            OneTimeKind::PendingLogin => "pending_login",
            OneTimeKind::LoginLock => "login_lock",
            OneTimeKind::Consent => "consent",
            OneTimeKind::PasswordChange => "password_change",
            OneTimeKind::EmailChange => "email_change",
            OneTimeKind::MailCooldown => "mail_cooldown",
            OneTimeKind::UnlockLink => "unlock",
            OneTimeKind::SecondFactorDue => "second_factor_due",
            OneTimeKind::PasskeyCeremony => "passkey_ceremony",
            OneTimeKind::FederatedLogin => "federated_login",
            OneTimeKind::FederatedLink => "federated_link",
            OneTimeKind::FederatedRegistration => "federated_registration",
            OneTimeKind::ClientAssertion => "client_assertion",
            OneTimeKind::UpstreamSid => "upstream_sid",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub id: String,
    pub message: NewMail,
    pub queued_at: Timestamp,
    pub attempts: u32,
    /// Not handed out again before this time (a claimed message is leased; a failed one backs off).
    pub not_before: Timestamp,
    pub last_error: Option<String>,
}

impl Mail {
    /// A message queued at `now`, due at once.
    pub fn new(message: NewMail, now: Timestamp) -> Mail {
        Mail {
            // Time first, so the outbox is read oldest first.
            id: format!("{now:016x}{}", new_id()),
            message,
            queued_at: now,
            attempts: 0,
            not_before: now,
            last_error: None,
        }
    }
}

/// 128 random bits, hex: record identifiers.
pub fn new_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub at: Timestamp,
    /// An [`AuditKind`]'s text (`login.success`, `token.issued`, `key.rotated`, …); kept as
    /// text, so events a newer version recorded still read.
    pub kind: String,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    pub address: Option<String>,
    pub detail: String,
    /// The operator of an administrative action: a console user's name, or `command-line`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

/// Which audit events to read: each part that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub user_id: Option<String>,
    /// An [`AuditKind`]'s text.
    pub kind: Option<String>,
    pub actor: Option<String>,
    /// From this time on (inclusive).
    pub from: Option<Timestamp>,
    /// Before this time.
    pub until: Option<Timestamp>,
}

impl AuditFilter {
    /// Whether `event` is one the filter lets through (the store's queries say the same).
    pub fn matches(&self, event: &AuditEvent) -> bool {
        let same = |wanted: &Option<String>, field: &Option<String>| {
            wanted.is_none() || wanted.as_deref() == field.as_deref()
        };
        same(&self.user_id, &event.user_id)
            && self.kind.as_ref().is_none_or(|k| *k == event.kind)
            && same(&self.actor, &event.actor)
            && self.from.is_none_or(|from| event.at >= from)
            && self.until.is_none_or(|until| event.at < until)
    }
}

impl AuditEvent {
    /// An event of `kind` at `at`, about no user, client or address yet.
    pub fn new(kind: AuditKind, at: Timestamp, detail: &str) -> AuditEvent {
        AuditEvent {
            at,
            kind: kind.as_str().into(),
            user_id: None,
            client_id: None,
            address: None,
            detail: detail.into(),
            actor: None,
        }
    }
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKey {
    pub kid: String,
    /// `RS256` or `ES256`.
    pub alg: String,
    /// PKCS#8 DER of the private key; never shown by `Debug`.
    pub private_pkcs8: Vec<u8>,
    pub created_at: Timestamp,
    /// Used for signing from this time on.
    pub active_from: Timestamp,
    /// Dropped from the JWKS after this time (set when a newer key takes over).
    pub retire_after: Option<Timestamp>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("created_at", &self.created_at)
            .field("active_from", &self.active_from)
            .field("retire_after", &self.retire_after)
            .finish_non_exhaustive()
    }
}

/// A user's membership of a group (`[[group]]`): who granted it, when, and when it ends by
/// itself, if it does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub group: String,
    /// The administrator (or `gerbang` command) that granted it.
    pub granted_by: String,
    pub granted_at: Timestamp,
    /// The membership ends at this time (exclusive).
    pub until: Option<Timestamp>,
}

impl Membership {
    /// Whether it holds at `now`.
    pub fn holds(&self, now: Timestamp) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// A second factor a user enrolled (issue 19): what it is, what they call it, when it was
/// last used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecondFactor {
    /// Random, unique within the user's factors.
    pub id: String,
    /// What the user calls it ("Ponsel kantor"), shown on Beranda.
    pub name: String,
    pub kind: FactorKind,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// The last time step whose code was accepted: no code of it or before it is accepted
    /// again (see [`super::FactorStore::accept_step`]).
    #[serde(default)]
    pub last_step: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FactorKind {
    /// An authenticator app (RFC 6238). The secret is sealed with the second-factor key
    /// (`crate::mfa::SecretSeal`), which the store does not hold.
    Totp { sealed_secret: String },
    /// A passkey (WebAuthn): its credential id, public key and signature counter, none of them
    /// secret (see `crate::mfa::passkey`).
    Passkey {
        key: Box<webauthn_rs::prelude::Passkey>,
    },
}

impl FactorKind {
    /// Whether `[mfa] factors` allows factors of this kind (one that does not no longer
    /// counts: it is neither asked for nor accepted).
    pub fn allowed(&self, factors: gerbang_config::Factors) -> bool {
        match self {
            FactorKind::Totp { .. } => factors.totp,
            FactorKind::Passkey { .. } => factors.passkey,
        }
    }

    pub fn passkey(&self) -> Option<&webauthn_rs::prelude::Passkey> {
        match self {
            FactorKind::Passkey { key } => Some(key),
            FactorKind::Totp { .. } => None,
        }
    }
}
