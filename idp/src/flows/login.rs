//! A login attempt (guide 1.3, "Masuk"): the captcha, the account by user name or e-mail, the
//! lock, the password (hashed off the async runtime, bounded), the counting of failures and
//! the audit trail. The handler only maps the outcome to a page.

use super::enrolment;
use super::AccountError;
use crate::account::login::{self as limits, LockKeys, Origin};
use crate::account::password::PasswordError;
use crate::audit::AuditKind;
use crate::mail::templates::{self, Sender};
use crate::provider::Provider;
use crate::store::{OneTimeKind, Timestamp, UniqueKey, User, UserStatus};
use crate::token;

/// How long a mailed unlock link works.
const UNLOCK_LINK_LIFETIME: u64 = 30 * 60;
/// At most one unlock link per account in this many seconds, however many attempts meet the
/// lock (nobody can flood the owner's mailbox by failing to log in).
const UNLOCK_COOLDOWN: u64 = 15 * 60;

/// What a person typed into the login form, and where it came from.
pub struct Attempt<'a> {
    /// A user name or an e-mail address.
    pub username: &'a str,
    pub password: &'a str,
    pub captcha_token: &'a str,
    pub captcha_answer: &'a str,
    /// The client's address, as the lock counts it.
    pub address: &'a str,
    /// The device id the browser's device cookie proves for an account id, if it does.
    pub device_of: &'a (dyn Fn(&str) -> Option<String> + Sync),
}

/// Who passed, and the device they passed on (to be remembered as known).
#[derive(Debug)]
pub struct Passed {
    pub user: User,
    /// The device id the browser proved, if it was a known device already.
    pub known_device: Option<String>,
    /// The account has a second factor: the login is not over until it is given.
    pub second_factor: bool,
}

/// How an attempt ended.
#[derive(Debug)]
pub enum LoginOutcome {
    WrongCaptcha,
    /// The account is locked for this device or address (see `account::login`). On a device
    /// the account does not know, its owner is mailed a link that unlocks the device they open
    /// it on (the page says so whether or not the account exists).
    Locked {
        new_device: bool,
    },
    /// Wrong user name or password, or an account that cannot log in: never said which.
    WrongCredentials,
    /// Every password check slot is taken: try again in a moment.
    Busy,
    /// The right temporary password, after its time ran out.
    TemporaryExpired,
    /// The right temporary password: a new one must be chosen before a session starts.
    MustChangePassword(Passed),
    LoggedIn(Passed),
}

/// Decides a login attempt at `now`, counting it towards the account's lock.
pub async fn attempt(
    p: &Provider,
    attempt: &Attempt<'_>,
    now: Timestamp,
) -> Result<LoginOutcome, AccountError> {
    if !p
        .captchas
        .check(attempt.captcha_token, attempt.captcha_answer, now)
        .await?
    {
        return Ok(LoginOutcome::WrongCaptcha);
    }
    let store = p.store.as_ref();
    let user = find(p, attempt.username).await?;
    let account = limits::account_key(user.as_ref().map(|u| u.id.as_str()), attempt.username);
    let known_device = user.as_ref().and_then(|u| (attempt.device_of)(&u.id));
    let origin = match &known_device {
        Some(device) => Origin::KnownDevice(device),
        None => Origin::Address(attempt.address),
    };
    let lock_keys = LockKeys::new(&account, origin);
    let user =
        match check_password(p, user, attempt.password, &lock_keys, attempt.address, now).await? {
            PasswordCheck::Right(user) => user,
            PasswordCheck::Locked(user) => {
                return Ok(locked(p, user, known_device.is_none(), attempt.address, now).await)
            }
            PasswordCheck::Wrong => return Ok(LoginOutcome::WrongCredentials),
            PasswordCheck::Busy => return Ok(LoginOutcome::Busy),
        };
    // With a second factor the login is not over: the failures it counted (wrong codes too)
    // stand until the second step passes, so giving the password again never clears them.
    let second_factor = super::second_step::needed(p, &user).await?;
    if !second_factor {
        if let Err(e) = limits::record_success(store, &lock_keys).await {
            tracing::error!(error = %e, "cannot clear the failures of a login");
        }
    }
    if user.must_change_password && enrolment::temporary_password_expired(&user, now) {
        return Ok(LoginOutcome::TemporaryExpired);
    }
    let passed = Passed {
        user,
        known_device,
        second_factor,
    };
    if passed.user.must_change_password {
        return Ok(LoginOutcome::MustChangePassword(passed));
    }
    // With a second factor, the login is audited once the second step passes.
    if !second_factor {
        let how = "password and captcha";
        let user_id = Some(passed.user.id.as_str());
        p.audit(
            AuditKind::LoginSuccess,
            user_id,
            None,
            Some(attempt.address),
            how,
        )
        .await;
    }
    Ok(LoginOutcome::LoggedIn(passed))
}

/// What checking a password against an account and its lock found.
pub enum PasswordCheck {
    /// The account is locked for this origin: the password was not even checked.
    Locked(Option<User>),
    /// Wrong, or an account that cannot log in: counted towards the lock and audited.
    Wrong,
    /// Every password check slot is taken.
    Busy,
    Right(User),
}

/// Checks `password` for `user` (an active account), within the lock `lock_keys` names: a
/// wrong one counts towards it. The one password check of every login and of every proof of
/// control (linking an upstream identity).
pub async fn check_password(
    p: &Provider,
    user: Option<User>,
    password: &str,
    lock_keys: &LockKeys,
    address: &str,
    now: Timestamp,
) -> Result<PasswordCheck, AccountError> {
    let store = p.store.as_ref();
    if limits::locked(store, lock_keys, now).await? {
        return Ok(PasswordCheck::Locked(user));
    }
    let active = user.filter(|u| u.status == UserStatus::Active);
    let hash = active.as_ref().and_then(|u| u.password_hash.as_deref());
    let verified = match p.passwords.verify(password, hash).await {
        Ok(verified) => verified,
        Err(PasswordError::Busy) => return Ok(PasswordCheck::Busy),
        Err(e) => return Err(e.into()),
    };
    match active.filter(|_| verified) {
        Some(user) => Ok(PasswordCheck::Right(user)),
        None => {
            if let Err(e) = limits::record_failure(store, &p.config().login, lock_keys, now).await {
                tracing::error!(error = %e, "cannot count a failed login");
            }
            let why = "wrong user name or password";
            p.audit(AuditKind::LoginFailure, None, None, Some(address), why)
                .await;
            Ok(PasswordCheck::Wrong)
        }
    }
}

/// An attempt that met the lock: audited, and from a new device the owner is offered a way in.
async fn locked(
    p: &Provider,
    user: Option<User>,
    new_device: bool,
    address: &str,
    now: Timestamp,
) -> LoginOutcome {
    let user_id = user.as_ref().map(|u| u.id.as_str());
    let what = "account locked";
    p.audit(AuditKind::LoginLocked, user_id, None, Some(address), what)
        .await;
    if let Some(user) = user.filter(|u| new_device && u.status == UserStatus::Active) {
        if let Err(e) = offer_unlock(p, &user, now).await {
            tracing::error!(error = %e, "cannot mail an unlock link");
        }
    }
    LoginOutcome::Locked { new_device }
}

/// Mails the owner of a locked account a link that lets the device it is opened on log in with
/// the password while the lock lasts (at most one per [`UNLOCK_COOLDOWN`]). The lock keeps a
/// guessing attacker out of every new device; the owner proves the mailbox and gets one back.
async fn offer_unlock(p: &Provider, user: &User, now: Timestamp) -> Result<(), AccountError> {
    if !enrolment::may_mail(p, "unlock", &user.id, UNLOCK_COOLDOWN, now).await? {
        return Ok(());
    }
    let link = token::random_token();
    let expires_at = now + UNLOCK_LINK_LIFETIME;
    let (kind, hash) = (OneTimeKind::UnlockLink, token::hash(&link));
    p.store
        .put_once(kind, &hash, user.id.as_bytes(), expires_at)
        .await?;
    let lang = enrolment::user_lang(user);
    let url = p.url(&format!(
        "/login/unlock?token={link}&ui_locales={}",
        lang.code()
    ));
    let minutes = UNLOCK_LINK_LIFETIME / 60;
    let mail = templates::unlock_device(&user.email, lang, &url, minutes, &Sender::of(&p.config()));
    p.store.enqueue_mail(mail, now).await?;
    p.mail_queued.notify_one();
    let what = "unlock link mailed";
    p.audit_account(AuditKind::LoginUnlockMailed, &user.id, what)
        .await;
    Ok(())
}

/// Follows an unlock link (once): the id of the account whose owner it was mailed to, which the
/// caller makes the browser a known device of.
pub async fn unlock(
    p: &Provider,
    link: &str,
    address: &str,
    now: Timestamp,
) -> Result<Option<String>, AccountError> {
    let taken = p
        .store
        .take_once(OneTimeKind::UnlockLink, &token::hash(link), now)
        .await?;
    let Some(user_id) = taken.map(|id| String::from_utf8_lossy(&id).into_owned()) else {
        return Ok(None);
    };
    let what = "a device unlocked by a mailed link";
    p.audit(
        AuditKind::LoginDeviceUnlocked,
        Some(&user_id),
        None,
        Some(address),
        what,
    )
    .await;
    Ok(Some(user_id))
}

/// The same account whether its user name or its e-mail was typed.
async fn find(p: &Provider, typed: &str) -> Result<Option<User>, AccountError> {
    let store = p.store.as_ref();
    if let Some(user) = store
        .user_by_key(&UniqueKey::Username(typed.into()))
        .await?
    {
        return Ok(Some(user));
    }
    Ok(store
        .user_by_key(&UniqueKey::Email(typed.into()))
        .await
        .ok()
        .flatten())
}
