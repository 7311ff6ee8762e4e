//! From registration to a first password (guide 1.1–1.2): the pending account and its
//! activation link, activation with a generated user name and a temporary password, and a new
//! link on request. Answers never tell whether an address or identity already has an account:
//! the e-mail sent tells its owner instead.

use crate::audit::AuditKind;
use crate::lang::Lang;
use crate::mail::templates::{self, Sender};
use crate::provider::Provider;
use crate::store::{
    Email, FederatedLink, Identity, NewMail, NewUser, OneTimeKind, Pending, StoreError, Timestamp,
    UniqueKey, User, UserStatus,
};
use crate::token;

use super::AccountError;
use crate::account::password;
use crate::account::registration::Registration;

/// What became of an activation link.
#[derive(Debug, PartialEq, Eq)]
pub enum Activation {
    /// The account is active; the second e-mail is queued. `login` is where it logs in: the
    /// app the person registered from, or the provider's login page.
    Activated { login: String },
    /// Used, voided by a newer link, expired, or never issued.
    LinkInvalid,
}

/// Records a pending account and queues its activation e-mail, or, when the e-mail address or
/// identity document already has an account, tells that account's owner. Either way the
/// caller shows the same page.
pub async fn register(
    p: &Provider,
    registration: Registration,
    return_to: Option<String>,
    lang: Lang,
    now: Timestamp,
) -> Result<(), AccountError> {
    let beginning = Beginning::default();
    enrol(p, registration, (return_to, beginning), lang, now).await?;
    Ok(())
}

/// How a new account begins, beyond its registration.
#[derive(Debug, Default)]
pub struct Beginning {
    /// Upstream identities linked from the start (a registration from an upstream login).
    pub links: Vec<FederatedLink>,
    /// Its address was verified already, by an upstream whose word on it is trusted: the
    /// account is active at once, and its first mail carries the user name and a temporary
    /// password instead of an activation link.
    pub email_verified: bool,
}

/// What a registration made.
#[derive(Debug)]
pub enum Enrolled {
    /// A new account: pending activation, or active when its address was verified already.
    Created(Box<User>),
    /// The address, identity document or upstream identity has an account: its owner was told.
    OwnerTold,
}

/// Records a new account as `beginning` says and queues its first mail, in one store
/// transaction; or tells the owner of the account that has its address or identity.
pub async fn enrol(
    p: &Provider,
    registration: Registration,
    (return_to, beginning): (Option<String>, Beginning),
    lang: Lang,
    now: Timestamp,
) -> Result<Enrolled, AccountError> {
    let store = p.store.as_ref();
    let first = if beginning.email_verified {
        FirstStep::Password(TemporaryPassword::new(p, now).await?)
    } else {
        let (link, mail) = activation_link(p, &registration.email, lang, now).await?;
        FirstStep::Activation { link, mail }
    };
    let mut draw = 0;
    loop {
        let username = username_for(registration.email.as_str(), draw);
        let (status, password_hash, pending, mail) =
            first.account(p, (&registration.email, &username), return_to.clone(), lang);
        let user = NewUser {
            username,
            email: registration.email.clone(),
            phone: registration.phone.clone(),
            identity: registration.identity.clone(),
            status,
            password_hash,
            must_change_password: true,
            profile: registration.profile.clone(),
            pending,
            locale: Some(lang),
            links: beginning.links.clone(),
        };
        match store.create_user(user, Some(mail), now).await {
            Ok(created) => {
                p.mail_queued.notify_one();
                let what = match first {
                    FirstStep::Activation { .. } => "pending activation",
                    FirstStep::Password(_) => "active: its address was verified upstream",
                };
                p.audit_account(AuditKind::AccountRegistered, &created.id, what)
                    .await;
                return Ok(Enrolled::Created(Box::new(created)));
            }
            // A generated user name met an existing one: draw again, from a larger space each
            // few draws. Never read as "this person is registered": the name is ours, not theirs.
            Err(StoreError::Taken(UniqueKey::Username(name))) => {
                draw += 1;
                if draw == USERNAME_DRAWS {
                    return Err(StoreError::Taken(UniqueKey::Username(name)).into());
                }
            }
            Err(StoreError::Taken(key)) => {
                if let FirstStep::Activation { link, .. } = &first {
                    let _ = store
                        .take_once(OneTimeKind::ActivationLink, &token::hash(link), now)
                        .await;
                }
                tell_the_owner(p, &key, now).await?;
                return Ok(Enrolled::OwnerTold);
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// What a new account's first mail gives its holder.
enum FirstStep {
    /// A link that activates the account (its token), and the mail that carries it.
    Activation {
        link: String,
        mail: NewMail,
    },
    Password(TemporaryPassword),
}

/// A first password, to be changed at the first login.
struct TemporaryPassword {
    plain: String,
    hash: String,
    /// When it stops working unused.
    until: Timestamp,
}

impl TemporaryPassword {
    async fn new(p: &Provider, now: Timestamp) -> Result<TemporaryPassword, AccountError> {
        let plain = password::temporary_password();
        let hash = p.passwords.hash(&plain).await?;
        let until = now + p.config().accounts.temporary_password_lifetime.as_secs();
        Ok(TemporaryPassword { plain, hash, until })
    }
}

impl FirstStep {
    /// The new account's status, password hash and pending steps, and its first mail.
    fn account(
        &self,
        p: &Provider,
        (email, username): (&Email, &str),
        return_to: Option<String>,
        lang: Lang,
    ) -> (UserStatus, Option<String>, Pending, NewMail) {
        match self {
            FirstStep::Activation { link, mail } => {
                let pending = Pending {
                    activation_link: Some(token::hash(link)),
                    return_to,
                    ..Pending::default()
                };
                (UserStatus::Pending, None, pending, mail.clone())
            }
            FirstStep::Password(temporary) => {
                let pending = Pending {
                    temporary_password_until: Some(temporary.until),
                    ..Pending::default()
                };
                let login = login_address(p, return_to, lang);
                let credentials = (username, temporary.plain.as_str());
                let mail = credentials_mail(p, email.as_str(), credentials, &login, lang);
                (
                    UserStatus::Active,
                    Some(temporary.hash.clone()),
                    pending,
                    mail,
                )
            }
        }
    }
}

/// Where a new account's credentials mail sends its holder to log in: the app they registered
/// from (it sends them to the login, and back to itself after), or the provider's own login.
fn login_address(p: &Provider, return_to: Option<String>, lang: Lang) -> String {
    return_to.unwrap_or_else(|| p.url(&format!("/login?ui_locales={}", lang.code())))
}

/// The mail with the user name and temporary password (guide 1.2).
fn credentials_mail(
    p: &Provider,
    to: &str,
    (username, temporary): (&str, &str),
    login: &str,
    lang: Lang,
) -> NewMail {
    let lifetime = p.config().accounts.temporary_password_lifetime.as_secs();
    templates::credentials(
        to,
        lang,
        username,
        temporary,
        login,
        lifetime / 3600,
        &Sender::of(&p.config()),
    )
}

/// Someone registered with an address or document that has an account: its owner hears of it.
async fn tell_the_owner(p: &Provider, key: &UniqueKey, now: Timestamp) -> Result<(), AccountError> {
    let Some(owner) = p.store.user_by_key(key).await? else {
        return Ok(());
    };
    if !may_mail(p, "registration-notice", &owner.id, 3600, now).await? {
        return Ok(());
    }
    let lang = user_lang(&owner);
    let mail = templates::already_registered(
        &owner.email,
        lang,
        &p.url(&format!("/forgot-password?ui_locales={}", lang.code())),
        &Sender::of(&p.config()),
    );
    p.store.enqueue_mail(mail, now).await?;
    p.mail_queued.notify_one();
    p.audit_account(
        AuditKind::AccountRegistrationCollision,
        &owner.id,
        "a registration named this account's e-mail or identity document",
    )
    .await;
    Ok(())
}

/// Whether the account `user_id` may be sent a `purpose` message now: at most one per
/// `cooldown` seconds, so that nobody can flood someone's mailbox through the public forms
/// (which answer the same either way, so the limit tells nothing).
pub(super) async fn may_mail(
    p: &Provider,
    purpose: &str,
    user_id: &str,
    cooldown: u64,
    now: Timestamp,
) -> Result<bool, AccountError> {
    let key = format!("{purpose}:{user_id}");
    let store = p.store.as_ref();
    if store
        .peek_once(OneTimeKind::MailCooldown, &key, now)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    store
        .put_once(OneTimeKind::MailCooldown, &key, b"sent", now + cooldown)
        .await?;
    Ok(true)
}

/// How often the public forms may mail one account a new link.
pub(super) const LINK_COOLDOWN: u64 = 60;

/// Follows an activation link: activates the account and queues the e-mail with its user name
/// and a temporary password, in one store transaction.
pub async fn activate(
    p: &Provider,
    link: &str,
    now: Timestamp,
) -> Result<Activation, AccountError> {
    let store = p.store.as_ref();
    let hash = token::hash(link);
    let Some(email) = store
        .take_once(OneTimeKind::ActivationLink, &hash, now)
        .await?
    else {
        return Ok(Activation::LinkInvalid);
    };
    let email = String::from_utf8_lossy(&email).into_owned();
    let Some(mut user) = store.user_by_key(&UniqueKey::Email(email)).await? else {
        return Ok(Activation::LinkInvalid);
    };
    let current = user.pending.activation_link.as_ref() == Some(&hash);
    if user.status != UserStatus::Pending || !current {
        return Ok(Activation::LinkInvalid);
    }
    let temporary = TemporaryPassword::new(p, now).await?;
    user.must_change_password = true;
    user.status = UserStatus::Active;
    user.pending.activation_link = None;
    user.pending.temporary_password_until = Some(temporary.until);
    let lang = user_lang(&user);
    let login = login_address(p, user.pending.return_to.take(), lang);
    let mail = credentials_mail(
        p,
        user.email.as_str(),
        (&user.username, &temporary.plain),
        &login,
        lang,
    );
    user.password_hash = Some(temporary.hash);
    store.update_user(&user, Some(mail), now).await?;
    p.mail_queued.notify_one();
    p.audit_account(
        AuditKind::AccountActivated,
        &user.id,
        "temporary password sent",
    )
    .await;
    Ok(Activation::Activated { login })
}

/// Sends a new activation link to a pending account with this address, voiding the old one.
/// Does nothing, silently, for any other address.
pub async fn resend(
    p: &Provider,
    email: &Email,
    lang: Lang,
    now: Timestamp,
) -> Result<(), AccountError> {
    let store = p.store.as_ref();
    let Some(user) = store
        .user_by_key(&UniqueKey::Email(email.to_string()))
        .await?
    else {
        return Ok(());
    };
    if user.status != UserStatus::Pending
        || !may_mail(p, "activation", &user.id, LINK_COOLDOWN, now).await?
    {
        return Ok(());
    }
    let user = send_activation(p, user, lang, now).await?;
    let what = "new activation link";
    p.audit_account(AuditKind::AccountActivationResent, &user.id, what)
        .await;
    Ok(())
}

/// Mails the pending `user` a new activation link in `lang` (the one before stops working);
/// the caller has checked that the account is pending and may be mailed now, and audits.
pub async fn send_activation(
    p: &Provider,
    mut user: User,
    lang: Lang,
    now: Timestamp,
) -> Result<User, AccountError> {
    let store = p.store.as_ref();
    if let Some(old) = &user.pending.activation_link {
        store
            .take_once(OneTimeKind::ActivationLink, old, now)
            .await?;
    }
    let (link, mail) = activation_link(p, &user.email, lang, now).await?;
    user.pending.activation_link = Some(token::hash(&link));
    user.locale = Some(lang);
    store.update_user(&user, Some(mail), now).await?;
    p.mail_queued.notify_one();
    Ok(user)
}

/// Whether `user` still holds an unused temporary password that has run out.
pub fn temporary_password_expired(user: &User, now: Timestamp) -> bool {
    user.must_change_password
        && user
            .pending
            .temporary_password_until
            .is_some_and(|until| until <= now)
}

/// Replaces the password of `user` (already authenticated) and clears the forced change.
pub async fn set_password(
    p: &Provider,
    mut user: User,
    new_password: &str,
    now: Timestamp,
) -> Result<User, AccountError> {
    password::check_policy(new_password, &[&user.username, user.email.as_str()])?;
    user.password_hash = Some(p.passwords.hash(new_password).await?);
    user.must_change_password = false;
    user.pending.temporary_password_until = None;
    p.store.update_user(&user, None, now).await?;
    p.audit_account(AuditKind::PasswordChanged, &user.id, "new password set")
        .await;
    Ok(user)
}

/// A new single-use activation link for the account with `email` (stored only as a hash) and
/// the e-mail that carries it.
async fn activation_link(
    p: &Provider,
    email: &Email,
    lang: Lang,
    now: Timestamp,
) -> Result<(String, NewMail), AccountError> {
    let link = token::random_token();
    let lifetime = p.config().accounts.activation_link_lifetime.as_secs();
    p.store
        .put_once(
            OneTimeKind::ActivationLink,
            &token::hash(&link),
            email.as_str().as_bytes(),
            now + lifetime,
        )
        .await?;
    let mail = templates::activation(
        email.as_str(),
        lang,
        &p.url(&format!(
            "/activate?token={link}&ui_locales={}",
            lang.code()
        )),
        lifetime / 3600,
        &Sender::of(&p.config()),
    );
    Ok((link, mail))
}

/// The language an account's e-mails are written in: the one it registered in.
pub fn user_lang(user: &User) -> Lang {
    user.locale.unwrap_or(Lang::Id)
}

/// How many user names a registration draws before it gives up (a "busy" page).
const USERNAME_DRAWS: u32 = 12;

/// A short, readable user name: up to eight letters of the address's local part and random
/// digits (`budisant4821`). Unique because the store refuses a taken one: draws 0 to 3 take
/// four digits, 4 to 7 six and 8 on eight, so a stem as common as `muhammad` never runs out of
/// names once 10,000 accounts share it.
fn username_for(email: &str, draw: u32) -> String {
    let stem: String = email
        .split('@')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphabetic())
        .take(8)
        .collect::<String>()
        .to_ascii_lowercase();
    let stem = if stem.len() < 3 {
        "oss".to_string()
    } else {
        stem
    };
    let digits = 4 + 2 * (draw / 4).min(2) as usize;
    let number = rand::random_range(0..10u64.pow(digits as u32));
    format!("{stem}{number:0digits$}")
}

/// The identity document of an account, masked for display (`3174********0001`).
pub fn masked_document(identity: &Identity) -> String {
    let number = match identity {
        Identity::Ktp { nik } => nik.as_str(),
        Identity::Passport { number, .. } => number.as_str(),
    };
    let chars: Vec<char> = number.chars().collect();
    let shown = if chars.len() > 8 { 4 } else { 2 };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < shown || i + shown >= chars.len() {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Nik, Phone, Profile};

    #[test]
    fn user_names_are_short_and_readable() {
        for (email, stem) in [
            ("Budi.Santoso@example.id", "budisant"),
            ("x1@example.id", "oss"),
            ("siti@example.my", "siti"),
        ] {
            let name = username_for(email, 0);
            assert!(name.starts_with(stem), "{name}");
            assert_eq!(name.len(), stem.len() + 4);
            assert!(name[stem.len()..].chars().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn later_draws_take_more_digits() {
        let digits = |draw| username_for("muhammad@example.id", draw).len() - "muhammad".len();
        assert_eq!((0..4).map(digits).collect::<Vec<_>>(), [4; 4]);
        assert_eq!((4..8).map(digits).collect::<Vec<_>>(), [6; 4]);
        assert_eq!((8..USERNAME_DRAWS).map(digits).collect::<Vec<_>>(), [8; 4]);
    }

    #[test]
    fn an_unused_temporary_password_expires() {
        let mut user = User {
            id: "u".into(),
            username: "budi0001".into(),
            email: Email::parse("budi@example.id").unwrap(),
            phone: Phone::parse("ID", "8123456789").unwrap(),
            identity: Identity::Ktp {
                nik: Nik::parse("3174051208850001", None).unwrap(),
            },
            status: UserStatus::Active,
            password_hash: None,
            must_change_password: true,
            profile: Profile::default(),
            pending: Pending {
                temporary_password_until: Some(1000),
                ..Pending::default()
            },
            locale: None,
            created_at: 0,
            links: Vec::new(),
        };
        assert!(!temporary_password_expired(&user, 999));
        assert!(temporary_password_expired(&user, 1000));
        user.must_change_password = false;
        assert!(
            !temporary_password_expired(&user, 5000),
            "a chosen password never expires here"
        );
    }

    #[test]
    fn documents_are_masked() {
        assert_eq!(
            masked_document(&Identity::Ktp {
                nik: Nik::parse("3174051208850001", None).unwrap()
            }),
            "3174********0001"
        );
        assert_eq!(
            masked_document(&Identity::Passport {
                number: "A1234567".into(),
                country: "MY".into()
            }),
            "A1****67"
        );
    }
}
