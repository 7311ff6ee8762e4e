//! Second factors a person enrols for themselves (issue 19): an authenticator app, confirmed by
//! its first code before it counts, and the recovery codes shown once beside it.

use super::{enrolment, AccountError};
use crate::audit::AuditKind;
use crate::mail::templates::{self, Sender};
use crate::mfa::{recovery, totp};
use crate::provider::Provider;
use crate::store::{FactorKind, SecondFactor, Timestamp, User};
use crate::token;

/// How long an enrolment form stays good: time to install an app and scan the code.
pub const ENROLMENT_LIFETIME: u64 = 15 * 60;
/// The longest name a person may give a factor.
pub const NAME_MAX: usize = 60;

/// An authenticator-app enrolment begun: the token its form carries and the secret to show.
pub struct Begun {
    pub token: String,
    pub secret: Vec<u8>,
}

/// A new secret for `user`, sealed into the token the enrolment form carries.
pub fn begin(p: &Provider, user: &User, now: Timestamp) -> Begun {
    let secret = totp::new_secret().to_vec();
    let token = p
        .factor_seal
        .seal_enrolment(&user.id, &secret, now + ENROLMENT_LIFETIME);
    Begun { token, secret }
}

/// The enrolment a form carries, if it is `user`'s and still good.
pub fn resume(p: &Provider, user: &User, token: &str, now: Timestamp) -> Option<Begun> {
    let secret = p.factor_seal.open_enrolment(token, &user.id, now)?;
    Some(Begun {
        token: token.to_string(),
        secret,
    })
}

/// How a confirmation ended.
pub enum Confirmed {
    /// The app is enrolled. The recovery codes to show once, when this made the user's first
    /// set (a second app keeps the set they have).
    Added { recovery_codes: Option<Vec<String>> },
    /// The code is not the app's: the form again.
    WrongCode,
    /// The name is longer than [`NAME_MAX`].
    NameTooLong,
}

/// Confirms the enrolment `begun` with the first code the app shows: then, and only then, the
/// factor is stored (its secret sealed), its step spent (the code does not log in again), and
/// the user's first recovery codes made.
pub async fn confirm(
    p: &Provider,
    user: &User,
    begun: &Begun,
    code: &str,
    name: &str,
    address: &str,
    now: Timestamp,
) -> Result<Confirmed, AccountError> {
    let name = name.trim();
    if name.chars().count() > NAME_MAX {
        return Ok(Confirmed::NameTooLong);
    }
    let Some(step) = totp::verify(&begun.secret, code, now, None) else {
        return Ok(Confirmed::WrongCode);
    };
    let factor = SecondFactor {
        id: token::random_token(),
        name: name.to_string(),
        kind: FactorKind::Totp {
            sealed_secret: p.factor_seal.seal(&begun.secret),
        },
        created_at: now,
        last_used_at: None,
        last_step: None,
    };
    p.store.put_factor(&user.id, &factor).await?;
    p.store.accept_step(&user.id, &factor.id, step, now).await?;
    let what = "authenticator app";
    p.audit(
        AuditKind::SecondFactorAdded,
        Some(&user.id),
        None,
        Some(address),
        what,
    )
    .await;
    let recovery_codes = match p.store.recovery_codes_left(&user.id).await? {
        0 => Some(new_recovery_codes(p, user, address).await?),
        _ => None,
    };
    Ok(Confirmed::Added { recovery_codes })
}

/// A new set of recovery codes for `user`, voiding the old set: the codes, to show once.
pub async fn new_recovery_codes(
    p: &Provider,
    user: &User,
    address: &str,
) -> Result<Vec<String>, AccountError> {
    let (shown, kept) = recovery::new_set();
    p.store.set_recovery_codes(&user.id, &kept).await?;
    let what = "a new set of recovery codes";
    p.audit(
        AuditKind::RecoveryCodesMade,
        Some(&user.id),
        None,
        Some(address),
        what,
    )
    .await;
    Ok(shown)
}

/// Removes the user's factor `factor_id` (after the caller confirmed their password). The last
/// one takes the recovery codes with it: two-step verification is then off. The user is
/// mailed either way. `false` when the user has no such factor.
pub async fn remove(
    p: &Provider,
    user: &User,
    factor_id: &str,
    address: &str,
    now: Timestamp,
) -> Result<bool, AccountError> {
    let factors = p.store.factors(&user.id).await?;
    let Some(factor) = factors.iter().find(|f| f.id == factor_id) else {
        return Ok(false);
    };
    if !p.store.remove_factor(&user.id, factor_id).await? {
        return Ok(false);
    }
    let still_on = factors.len() > 1;
    if !still_on {
        p.store.remove_second_factors(&user.id).await?;
    }
    let what = match still_on {
        true => "an authenticator app; others remain",
        false => "the last authenticator app: two-step verification is off",
    };
    p.audit(
        AuditKind::SecondFactorRemoved,
        Some(&user.id),
        None,
        Some(address),
        what,
    )
    .await;
    let mail = templates::second_factor_removed(
        &user.email,
        enrolment::user_lang(user),
        &factor.name,
        still_on,
        &Sender::of(&p.config()),
    );
    p.store.enqueue_mail(mail, now).await?;
    p.mail_queued.notify_one();
    Ok(true)
}
