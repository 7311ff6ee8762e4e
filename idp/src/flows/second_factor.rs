//! Second factors a person enrols for themselves (issue 19): an authenticator app, confirmed by
//! its first code before it counts, and the recovery codes shown once beside it.

use super::{enrolment, AccountError};
use crate::audit::AuditKind;
use crate::mail::templates::{self, Sender};
use crate::mfa::{recovery, totp};
use crate::provider::Provider;
use crate::store::{FactorKind, OneTimeKind, SecondFactor, Timestamp, User};
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
    let recovery_codes = added(p, user, "authenticator app", address).await?;
    Ok(Confirmed::Added { recovery_codes })
}

/// A factor (`what`) was just stored: audited, and the user's first recovery codes made when
/// they had none (a second factor keeps the set they have): the codes to show once.
pub(super) async fn added(
    p: &Provider,
    user: &User,
    what: &str,
    address: &str,
) -> Result<Option<Vec<String>>, AccountError> {
    p.audit(
        AuditKind::SecondFactorAdded,
        Some(&user.id),
        None,
        Some(address),
        what,
    )
    .await;
    Ok(match p.store.recovery_codes_left(&user.id).await? {
        0 => Some(new_recovery_codes(p, user, address).await?),
        _ => None,
    })
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
    let kind = match factor.kind.passkey() {
        Some(_) => "a passkey",
        None => "an authenticator app",
    };
    let what = match still_on {
        true => format!("{kind}; other factors remain"),
        false => format!("{kind}, the last factor: two-step verification is off"),
    };
    p.audit(
        AuditKind::SecondFactorRemoved,
        Some(&user.id),
        None,
        Some(address),
        &what,
    )
    .await;
    let mail = templates::second_factor_removed(
        &user.email,
        enrolment::user_lang(user),
        (&factor.name, factor.kind.passkey().is_some()),
        still_on,
        &Sender::of(&p.config()),
    );
    p.store.enqueue_mail(mail, now).await?;
    p.mail_queued.notify_one();
    Ok(true)
}

/// What the `[mfa]` policy asks of a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Nothing: in no required group, or has a second factor already.
    No,
    /// A second factor, which they may put off until then.
    By(Timestamp),
    /// A second factor now: no app opens for them until they set one up.
    Now,
}

/// How long a deadline is remembered after it passed (a person away longer gets a new grace).
const DEADLINE_KEPT: u64 = 365 * 86_400;

/// Whether `user` must have a second factor (a membership of one of `[mfa] required_groups`
/// holds) and does not, and by when: the grace runs from the first time they were asked.
pub async fn due(p: &Provider, user: &User, now: Timestamp) -> Result<Due, AccountError> {
    let config = p.config();
    let required = &config.mfa.required_groups;
    if required.is_empty() {
        return Ok(Due::No);
    }
    let held = p.store.memberships(&user.id).await?;
    if !held
        .iter()
        .any(|m| m.holds(now) && required.contains(&m.group))
    {
        return Ok(Due::No);
    }
    let factors = p.store.factors(&user.id).await?;
    if factors.iter().any(|f| f.kind.allowed(config.mfa.factors)) {
        return Ok(Due::No);
    }
    let kind = OneTimeKind::SecondFactorDue;
    let noted = p.store.peek_once(kind, &user.id, now).await?;
    let deadline = match noted.and_then(|b| String::from_utf8(b).ok()?.parse().ok()) {
        Some(deadline) => deadline,
        None => {
            let deadline = now + config.mfa.grace.as_secs();
            let kept = deadline + DEADLINE_KEPT;
            let value = deadline.to_string();
            p.store
                .put_once(kind, &user.id, value.as_bytes(), kept)
                .await?;
            deadline
        }
    };
    Ok(if now < deadline {
        Due::By(deadline)
    } else {
        Due::Now
    })
}
