//! A login's second step (issue 19): after the password (and captcha), a person who enrolled a
//! second factor uses a passkey, types a code from their authenticator app, or one of their
//! recovery codes.
//! Wrong codes count towards the account's lock exactly as wrong passwords do; a code is
//! accepted once, on any instance; a spent recovery code is mailed about.

use serde::{Deserialize, Serialize};

use super::login::Passed;
use super::AccountError;
use super::{enrolment, passkey};
use crate::account::login::{self as limits, LockKeys, Origin};
use crate::assurance::Method;
use crate::audit::AuditKind;
use crate::mail::templates::{self, Sender};
use crate::mfa::{recovery, totp};
use crate::provider::Provider;
use crate::store::{FactorKind, OneTimeKind, Session, Timestamp, User, UserStatus};
use crate::token;

/// How long a login may wait between its password and its second factor.
pub const LIFETIME: u64 = 10 * 60;

/// A login that passed its password, or a session that must prove more (a step-up), kept
/// (under the hash of its ticket) for the second step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    pub user_id: String,
    /// The sealed authorization request the login continues ("" for none).
    pub request: String,
    pub known_device: Option<String>,
    /// The password was a temporary one: a new one is chosen after the second step.
    pub must_change: bool,
    /// A step-up: the provider session (its hash) that gains the factor, rather than a new one.
    #[serde(default)]
    pub step_up: Option<String>,
    /// Only a passkey will do (a client asked for the passkey level): no code is asked for.
    #[serde(default)]
    pub passkey_only: bool,
    /// A step-up for one of the provider's own pages (the console): where to go back to.
    #[serde(default)]
    pub back: Option<String>,
}

impl Pending {
    /// A login whose password (a temporary one if `must_change`) was right.
    pub fn login(passed: &Passed, request: &str, must_change: bool) -> Pending {
        Pending {
            user_id: passed.user.id.clone(),
            request: request.to_string(),
            known_device: passed.known_device.clone(),
            must_change,
            step_up: None,
            passkey_only: false,
            back: None,
        }
    }

    /// A session whose strength is below what `request` asks for (`passkey_only` when it asks
    /// for the passkey level).
    pub fn step_up(session: &Session, request: &str, passkey_only: bool) -> Pending {
        Pending {
            user_id: session.user_id.clone(),
            request: request.to_string(),
            known_device: None,
            must_change: false,
            step_up: Some(session.id_hash.clone()),
            passkey_only,
            back: None,
        }
    }

    /// A session that must prove a second factor before the provider's page `back` (a path of
    /// its own, such as `/admin`) opens.
    pub fn step_up_for_page(session: &Session, back: &str) -> Pending {
        Pending {
            back: Some(back.to_string()),
            ..Pending::step_up(session, "", false)
        }
    }
}

/// Whether `user` logs in with a second factor: they enrolled one of a kind `[mfa] factors`
/// allows.
pub async fn needed(p: &Provider, user: &User) -> Result<bool, AccountError> {
    let allowed = p.config().mfa.factors;
    let factors = p.store.factors(&user.id).await?;
    Ok(factors.iter().any(|f| f.kind.allowed(allowed)))
}

/// Keeps a login (or a step-up) until its second step: the ticket its form carries.
pub async fn park(p: &Provider, pending: &Pending, now: Timestamp) -> Result<String, AccountError> {
    let ticket = token::random_token();
    let bytes = serde_json::to_vec(pending).unwrap_or_default();
    p.store
        .put_once(
            OneTimeKind::PendingLogin,
            &token::hash(&ticket),
            &bytes,
            now + LIFETIME,
        )
        .await?;
    Ok(ticket)
}

/// What proved the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    AuthenticatorApp,
    RecoveryCode {
        left: usize,
    },
    /// A passkey, proved as `method` (`hwk` or `swk`).
    Passkey {
        method: Method,
    },
}

impl Proof {
    /// The method the session records.
    pub fn method(self) -> Method {
        match self {
            Proof::AuthenticatorApp | Proof::RecoveryCode { .. } => Method::Otp,
            Proof::Passkey { method } => method,
        }
    }

    fn audited(self) -> &'static str {
        match self {
            Proof::AuthenticatorApp => "authenticator app",
            Proof::RecoveryCode { .. } => "recovery code",
            Proof::Passkey { .. } => "passkey",
        }
    }
}

/// What the person gave at the second step.
#[derive(Debug, Clone, Copy)]
pub enum Answer<'a> {
    /// A code as typed: an authenticator app's, or a recovery code.
    Code(&'a str),
    /// A passkey's answer (JSON) to the ceremony its ticket names.
    Passkey { ticket: &'a str, answer: &'a str },
}

/// What the second-step page offers a user: their passkeys (a ceremony begun), whether it asks
/// for a code at all (not when only a passkey will do), and whether a code may be an
/// authenticator app's or only a recovery code.
pub struct Choices {
    pub passkey: Option<passkey::Challenge>,
    pub codes: bool,
    pub app: bool,
}

/// The choices of the login waiting under `ticket`; `None` when none waits.
pub async fn choices(
    p: &Provider,
    ticket: &str,
    now: Timestamp,
) -> Result<Option<Choices>, AccountError> {
    let hash = token::hash(ticket);
    let bytes = p
        .store
        .peek_once(OneTimeKind::PendingLogin, &hash, now)
        .await?;
    let Some(pending) = bytes.and_then(|b| serde_json::from_slice::<Pending>(&b).ok()) else {
        return Ok(None);
    };
    let factors = p.store.factors(&pending.user_id).await?;
    let allowed = p.config().mfa.factors;
    let app = allowed.totp
        && factors
            .iter()
            .any(|f| matches!(f.kind, FactorKind::Totp { .. }));
    let passkey = passkey::begin_for(p, &pending.user_id, now).await?;
    let codes = !pending.passkey_only;
    Ok(Some(Choices {
        passkey,
        codes,
        app,
    }))
}

/// How a second step ended.
#[derive(Debug)]
pub enum SecondStep {
    Passed {
        user: Box<User>,
        pending: Pending,
        proof: Proof,
    },
    /// Not a code of the user's: the form again (the ticket stays good).
    WrongCode,
    /// Too many wrong passwords or codes: the account's lock holds.
    Locked,
    /// No such login waiting (finished, timed out, or never begun): start again.
    Expired,
}

/// Decides the second step of the login `ticket` names with what the person gave.
pub async fn attempt(
    p: &Provider,
    ticket: &str,
    answer: Answer<'_>,
    address: &str,
    now: Timestamp,
) -> Result<SecondStep, AccountError> {
    let hash = token::hash(ticket);
    let kind = OneTimeKind::PendingLogin;
    let Some(bytes) = p.store.peek_once(kind, &hash, now).await? else {
        return Ok(SecondStep::Expired);
    };
    let Ok(pending) = serde_json::from_slice::<Pending>(&bytes) else {
        return Ok(SecondStep::Expired);
    };
    let user = p.store.user(&pending.user_id).await?;
    let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
        return Ok(SecondStep::Expired);
    };
    let account = limits::account_key(Some(&user.id), &user.username);
    let origin = match &pending.known_device {
        Some(device) => Origin::KnownDevice(device),
        None => Origin::Address(address),
    };
    let lock_keys = LockKeys::new(&account, origin);
    let store = p.store.as_ref();
    if limits::locked(store, &lock_keys, now).await? {
        return Ok(SecondStep::Locked);
    }
    let answer = match answer {
        Answer::Code(_) if pending.passkey_only => Answer::Code(""),
        answer => answer,
    };
    let Some(proof) = prove(p, &user, answer, now).await? else {
        limits::record_failure(store, &p.config().login, &lock_keys, now).await?;
        let why = "wrong second factor code";
        p.audit(
            AuditKind::LoginFailure,
            Some(&user.id),
            None,
            Some(address),
            why,
        )
        .await;
        return Ok(SecondStep::WrongCode);
    };
    // Two tabs finishing one login: the second finds it gone.
    if p.store.take_once(kind, &hash, now).await?.is_none() {
        return Ok(SecondStep::Expired);
    }
    limits::record_success(store, &lock_keys).await?;
    let how = match pending.step_up {
        None => format!("password, captcha and {}", proof.audited()),
        Some(_) => format!("step-up: {}", proof.audited()),
    };
    p.audit(
        AuditKind::LoginSuccess,
        Some(&user.id),
        None,
        Some(address),
        &how,
    )
    .await;
    if let Proof::RecoveryCode { left } = proof {
        let mail = templates::recovery_code_used(
            &user.email,
            enrolment::user_lang(&user),
            left,
            &Sender::of(&p.config()),
        );
        p.store.enqueue_mail(mail, now).await?;
        p.mail_queued.notify_one();
    }
    Ok(SecondStep::Passed {
        user: Box::new(user),
        pending,
        proof,
    })
}

/// Whether `answer` is one of the user's passkeys' answers, a code of one of their
/// authenticator apps (now, and not used before) or one of their unspent recovery codes: spent
/// if so.
async fn prove(
    p: &Provider,
    user: &User,
    answer: Answer<'_>,
    now: Timestamp,
) -> Result<Option<Proof>, AccountError> {
    let typed = match answer {
        Answer::Code(typed) => typed,
        Answer::Passkey { ticket, answer } => {
            let proved = passkey::prove(p, (ticket, answer), Some(&user.id), now).await?;
            return Ok(proved.map(|proved| Proof::Passkey {
                method: proved.method,
            }));
        }
    };
    if let Some(hash) = recovery::kept_form(typed) {
        let left = p.store.spend_recovery_code(&user.id, &hash).await?;
        return Ok(left.map(|left| Proof::RecoveryCode { left }));
    }
    if !p.config().mfa.factors.totp {
        return Ok(None);
    }
    for factor in p.store.factors(&user.id).await? {
        let FactorKind::Totp { sealed_secret } = &factor.kind else {
            continue;
        };
        let Some(secret) = p.factor_seal.open(sealed_secret) else {
            tracing::error!(
                factor = %factor.id,
                "a TOTP secret does not open: was [mfa] secret_key or the key file changed?"
            );
            continue;
        };
        let Some(step) = totp::verify(&secret, typed, now, factor.last_step) else {
            continue;
        };
        if p.store.accept_step(&user.id, &factor.id, step, now).await? {
            return Ok(Some(Proof::AuthenticatorApp));
        }
    }
    Ok(None)
}
