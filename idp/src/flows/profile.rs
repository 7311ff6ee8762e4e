//! Changes a logged-in user makes to their own account, each after typing their password
//! again: the password, the phone number, and the e-mail address (which takes effect only once
//! the new address confirms it; the old address is told).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::audit::AuditKind;
use crate::logout;
use crate::mail::templates::{self, Sender};
use crate::provider::Provider;
use crate::store::{Email, OneTimeKind, Phone, StoreError, Timestamp, UniqueKey, User};
use crate::token;

use super::enrolment::{self, user_lang};
use super::AccountError;

/// How long the confirmation link sent to a new e-mail address lives.
const EMAIL_LINK_LIFETIME: u64 = 24 * 3600;

#[derive(Debug, PartialEq, Eq)]
pub enum EmailChange {
    /// The account now has the new address.
    Changed,
    /// Another account took the address meanwhile.
    Taken,
    /// Used, expired or never issued.
    LinkInvalid,
}

#[derive(Serialize, Deserialize)]
struct PendingEmail {
    user_id: String,
    email: Email,
}

/// Re-authentication: whether `password` is the user's current one.
pub async fn confirm_password(
    p: &Provider,
    user: &User,
    password: &str,
) -> Result<bool, AccountError> {
    Ok(p.passwords
        .verify(password, user.password_hash.as_deref())
        .await?)
}

/// Sets a new password and ends every other session of the user; the caller starts a fresh
/// one for this browser.
pub async fn change_password(
    p: &Arc<Provider>,
    user: User,
    new_password: &str,
    address: &str,
    now: Timestamp,
) -> Result<User, AccountError> {
    let user = enrolment::set_password(p, user, new_password, now).await?;
    logout::end_all_sessions(p, &user.id, Some(address)).await?;
    Ok(user)
}

/// Replaces the phone number, typed in the country `country` (whose dialling code it carries).
pub async fn change_phone(
    p: &Provider,
    mut user: User,
    phone: Phone,
    country: &str,
    now: Timestamp,
) -> Result<(), AccountError> {
    user.phone = phone;
    user.profile.country = Some(country.to_ascii_uppercase());
    p.store.update_user(&user, None, now).await?;
    p.audit_account(
        AuditKind::AccountPhoneChanged,
        &user.id,
        "phone number changed",
    )
    .await;
    Ok(())
}

/// Sends a confirmation link to `new_email`. Nothing changes until it is followed.
pub async fn request_email_change(
    p: &Provider,
    user: &User,
    new_email: &Email,
    now: Timestamp,
) -> Result<(), AccountError> {
    let link = token::random_token();
    let pending = PendingEmail {
        user_id: user.id.clone(),
        email: new_email.clone(),
    };
    let bytes = serde_json::to_vec(&pending).map_err(|e| StoreError::Backend(e.to_string()))?;
    p.store
        .put_once(
            OneTimeKind::EmailChange,
            &token::hash(&link),
            &bytes,
            now + EMAIL_LINK_LIFETIME,
        )
        .await?;
    let lang = user_lang(user);
    let mail = templates::confirm_email(
        new_email,
        lang,
        &p.url(&format!(
            "/account/email/confirm?token={link}&ui_locales={}",
            lang.code()
        )),
        &Sender::of(&p.config()),
    );
    p.store.enqueue_mail(mail, now).await?;
    p.mail_queued.notify_one();
    Ok(())
}

/// Follows a confirmation link: the account takes the new address, and the old one is told.
pub async fn confirm_email_change(
    p: &Provider,
    link: &str,
    now: Timestamp,
) -> Result<EmailChange, AccountError> {
    let Some(bytes) = p
        .store
        .take_once(OneTimeKind::EmailChange, &token::hash(link), now)
        .await?
    else {
        return Ok(EmailChange::LinkInvalid);
    };
    let Ok(pending) = serde_json::from_slice::<PendingEmail>(&bytes) else {
        return Ok(EmailChange::LinkInvalid);
    };
    let Some(mut user) = p.store.user(&pending.user_id).await? else {
        return Ok(EmailChange::LinkInvalid);
    };
    let old = std::mem::replace(&mut user.email, pending.email);
    let notice = templates::email_changed(
        &old,
        user_lang(&user),
        &user.email,
        &Sender::of(&p.config()),
    );
    match p.store.update_user(&user, Some(notice), now).await {
        Ok(()) => {}
        Err(StoreError::Taken(UniqueKey::Email(_))) => return Ok(EmailChange::Taken),
        Err(e) => return Err(e.into()),
    }
    p.mail_queued.notify_one();
    p.audit_account(
        AuditKind::AccountEmailChanged,
        &user.id,
        "e-mail address changed after confirmation",
    )
    .await;
    Ok(EmailChange::Changed)
}
