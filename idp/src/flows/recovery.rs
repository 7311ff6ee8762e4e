//! "Lupa Password?": a single-use, short-lived reset link sent to the account's address, and
//! the new password it sets, which ends every session of the account.

use std::sync::Arc;

use crate::audit::AuditKind;
use crate::logout;
use crate::mail::templates::{self, Sender};
use crate::provider::Provider;
use crate::store::{OneTimeKind, Timestamp, UniqueKey, User, UserStatus};
use crate::token;

use super::enrolment::{self, user_lang};
use super::AccountError;

/// Sends a reset link to the active account with this address (or user name). Does nothing,
/// silently, for any other: the caller answers the same either way.
/// `return_to` is the app the person asked from: the reset leads back to it.
pub async fn request(
    p: &Provider,
    who: &str,
    return_to: Option<String>,
    now: Timestamp,
) -> Result<(), AccountError> {
    let store = p.store.as_ref();
    let user = match store.user_by_key(&UniqueKey::Email(who.into())).await? {
        Some(u) => Some(u),
        None => store.user_by_key(&UniqueKey::Username(who.into())).await?,
    };
    let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
        return Ok(());
    };
    if !enrolment::may_mail(p, "reset", &user.id, enrolment::LINK_COOLDOWN, now).await? {
        return Ok(());
    }
    let user = send_link(p, user, return_to, now).await?;
    let what = "reset link sent";
    p.audit_account(AuditKind::PasswordResetRequested, &user.id, what)
        .await;
    Ok(())
}

/// Mails `user` a new reset link (the one before stops working), leading back to `return_to`;
/// the caller has checked that the account is active and may be mailed now, and audits.
pub async fn send_link(
    p: &Provider,
    mut user: User,
    return_to: Option<String>,
    now: Timestamp,
) -> Result<User, AccountError> {
    let store = p.store.as_ref();
    let link = token::random_token();
    let lifetime = p.config().accounts.reset_link_lifetime.as_secs();
    if let Some(old) = &user.pending.reset_link {
        store.take_once(OneTimeKind::ResetLink, old, now).await?;
    }
    store
        .put_once(
            OneTimeKind::ResetLink,
            &token::hash(&link),
            user.id.as_bytes(),
            now + lifetime,
        )
        .await?;
    user.pending.reset_link = Some(token::hash(&link));
    user.pending.return_to = return_to;
    let lang = user_lang(&user);
    let mail = templates::reset(
        &user.email,
        lang,
        &user.username,
        &p.url(&format!(
            "/password/reset?token={link}&ui_locales={}",
            lang.code()
        )),
        lifetime / 60,
        &Sender::of(&p.config()),
    );
    store.update_user(&user, Some(mail), now).await?;
    p.mail_queued.notify_one();
    Ok(user)
}

/// The account a live reset link belongs to, without spending the link.
pub async fn holder(
    p: &Provider,
    link: &str,
    now: Timestamp,
) -> Result<Option<User>, AccountError> {
    let hash = token::hash(link);
    let Some(id) = p
        .store
        .peek_once(OneTimeKind::ResetLink, &hash, now)
        .await?
    else {
        return Ok(None);
    };
    let user = p.store.user(&String::from_utf8_lossy(&id)).await?;
    Ok(user
        .filter(|u| u.status == UserStatus::Active && u.pending.reset_link.as_ref() == Some(&hash)))
}

/// Spends the link and sets `new_password` (already checked against the policy by
/// [`enrolment::set_password`]); ends every session of the account. `None` when the link was
/// spent meanwhile; otherwise where the person logs in now (the app they asked from, or the
/// provider's login page).
pub async fn reset(
    p: &Arc<Provider>,
    link: &str,
    new_password: &str,
    address: &str,
    now: Timestamp,
) -> Result<Option<String>, AccountError> {
    let Some(user) = holder(p, link, now).await? else {
        return Ok(None);
    };
    crate::account::password::check_policy(new_password, &[&user.username, &user.email])?;
    if p.store
        .take_once(OneTimeKind::ResetLink, &token::hash(link), now)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    let mut user = user;
    user.pending.reset_link = None;
    let login = user.pending.return_to.take();
    let user = enrolment::set_password(p, user, new_password, now).await?;
    let ended = logout::end_all_sessions(p, &user.id, Some(address)).await?;
    p.audit(
        AuditKind::PasswordReset,
        Some(&user.id),
        None,
        Some(address),
        &format!("password reset by e-mail link; {ended} sessions ended"),
    )
    .await;
    Ok(Some(login.unwrap_or_else(|| "/login".into())))
}
