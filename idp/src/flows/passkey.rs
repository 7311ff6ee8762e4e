//! Passkeys a person adds from Beranda, and proves at login (issue 19): as the second step
//! after a password, or alone ("Masuk dengan passkey"). Each ceremony's state waits in the
//! store under the hash of a ticket its page carries, and is taken once: an answer cannot be
//! replayed, nor a ceremony finished twice.

use webauthn_rs::prelude::{Passkey, PublicKeyCredential, RegisterPublicKeyCredential};

use super::{second_factor, AccountError};
use crate::assurance::Method;
use crate::mfa::passkey::{Ceremony, RelyingParty};
use crate::provider::Provider;
use crate::store::{FactorKind, OneTimeKind, SecondFactor, Timestamp, User, UserStatus};
use crate::token;

/// How long a page's ceremony waits for its answer (a login page left open longer asks again).
pub const LIFETIME: u64 = 10 * 60;

/// A ceremony begun: the ticket its page carries back, and the options (JSON) its script
/// hands to the browser.
pub struct Challenge {
    pub ticket: String,
    pub options: String,
}

/// The relying party, where passkeys are offered: the issuer can be one, and `[mfa] factors`
/// allows them.
pub fn offered(p: &Provider) -> Option<&RelyingParty> {
    p.passkeys
        .as_ref()
        .filter(|_| p.config().mfa.factors.passkey)
}

/// The user's passkeys.
fn passkeys(factors: &[SecondFactor]) -> Vec<Passkey> {
    factors
        .iter()
        .filter_map(|f| f.kind.passkey().cloned())
        .collect()
}

/// Keeps `ceremony` until its answer: the ticket, with the browser's `options`.
async fn keep(
    p: &Provider,
    ceremony: &Ceremony,
    options: String,
    now: Timestamp,
) -> Result<Challenge, AccountError> {
    let ticket = token::random_token();
    let state = serde_json::to_vec(ceremony).unwrap_or_default();
    let kind = OneTimeKind::PasskeyCeremony;
    let hash = token::hash(&ticket);
    p.store
        .put_once(kind, &hash, &state, now + LIFETIME)
        .await?;
    Ok(Challenge { ticket, options })
}

/// The ceremony `ticket` names, once.
async fn take(
    p: &Provider,
    ticket: &str,
    now: Timestamp,
) -> Result<Option<Ceremony>, AccountError> {
    let kind = OneTimeKind::PasskeyCeremony;
    let state = p.store.take_once(kind, &token::hash(ticket), now).await?;
    Ok(state.and_then(|s| serde_json::from_slice(&s).ok()))
}

/// A new passkey for `user`: `None` where passkeys are not offered.
pub async fn begin_registration(
    p: &Provider,
    user: &User,
    now: Timestamp,
) -> Result<Option<Challenge>, AccountError> {
    let Some(rp) = offered(p) else {
        return Ok(None);
    };
    let existing = passkeys(&p.store.factors(&user.id).await?);
    let (options, ceremony) = match rp.start_registration(&user.id, &user.username, &existing) {
        Ok(begun) => begun,
        Err(e) => {
            tracing::warn!(error = %e, "a passkey registration could not begin");
            return Ok(None);
        }
    };
    let options = serde_json::to_string(&options.public_key).unwrap_or_default();
    keep(p, &ceremony, options, now).await.map(Some)
}

/// How adding a passkey ended.
#[derive(Debug)]
pub enum Registered {
    /// Stored; the recovery codes to show once when these are the user's first.
    Added { recovery_codes: Option<Vec<String>> },
    /// The browser's answer is not a valid new passkey for this ceremony.
    Refused,
    /// The ceremony is over (used, timed out, or another user's): begin again.
    Expired,
    /// The name is longer than [`second_factor::NAME_MAX`].
    NameTooLong,
}

/// Adds the passkey the browser `answer`ed to the ceremony `ticket`, named `name`.
pub async fn register(
    p: &Provider,
    user: &User,
    (ticket, answer): (&str, &str),
    name: &str,
    address: &str,
    now: Timestamp,
) -> Result<Registered, AccountError> {
    let name = name.trim();
    if name.chars().count() > second_factor::NAME_MAX {
        return Ok(Registered::NameTooLong);
    }
    let (Some(rp), Some(ceremony)) = (offered(p), take(p, ticket, now).await?) else {
        return Ok(Registered::Expired);
    };
    let state = match ceremony {
        Ceremony::Registration { user_id, state } if user_id == user.id => state,
        _ => return Ok(Registered::Expired),
    };
    let Ok(answer) = serde_json::from_str::<RegisterPublicKeyCredential>(answer) else {
        return Ok(Registered::Refused);
    };
    let key = match rp.finish_registration(&answer, &state) {
        Ok(key) => key,
        Err(e) => {
            tracing::info!(error = %e, "a passkey registration was refused");
            return Ok(Registered::Refused);
        }
    };
    let factor = SecondFactor {
        id: token::random_token(),
        name: name.to_string(),
        kind: FactorKind::Passkey { key: Box::new(key) },
        created_at: now,
        last_used_at: None,
        last_step: None,
    };
    p.store.put_factor(&user.id, &factor).await?;
    let recovery_codes = second_factor::added(p, user, "passkey", address).await?;
    Ok(Registered::Added { recovery_codes })
}

/// Whether `user` has a passkey.
pub async fn has_one(p: &Provider, user: &User) -> Result<bool, AccountError> {
    Ok(offered(p).is_some() && !passkeys(&p.store.factors(&user.id).await?).is_empty())
}

/// The choice of a passkey on the second-step page, for `user_id`'s passkeys: `None` when they
/// have none (or passkeys are not offered).
pub async fn begin_for(
    p: &Provider,
    user_id: &str,
    now: Timestamp,
) -> Result<Option<Challenge>, AccountError> {
    let Some(rp) = offered(p) else {
        return Ok(None);
    };
    let keys = passkeys(&p.store.factors(user_id).await?);
    if keys.is_empty() {
        return Ok(None);
    }
    let Ok((options, ceremony)) = rp.start_authentication(user_id, &keys) else {
        return Ok(None);
    };
    let options = serde_json::to_string(&options.public_key).unwrap_or_default();
    keep(p, &ceremony, options, now).await.map(Some)
}

/// "Masuk dengan passkey" on the login page: any passkey of this site.
pub async fn begin_login(p: &Provider, now: Timestamp) -> Result<Option<Challenge>, AccountError> {
    let Some(rp) = offered(p) else {
        return Ok(None);
    };
    let Ok((options, ceremony)) = rp.start_discoverable() else {
        return Ok(None);
    };
    let options = serde_json::to_string(&options.public_key).unwrap_or_default();
    keep(p, &ceremony, options, now).await.map(Some)
}

/// A passkey proved who someone is.
#[derive(Debug)]
pub struct Proved {
    pub user: User,
    /// `hwk` for a key bound to its device, `swk` for one that may be synced.
    pub method: Method,
}

/// Checks the browser's `answer` to the ceremony `ticket`: the active account whose passkey
/// signed it (for a second step, it must be `expected`'s), its counter moved on and its use
/// noted. `None` for anything else: an unknown, expired or reused ceremony, another account's
/// key, a bad signature, a counter that went back (a cloned key).
pub async fn prove(
    p: &Provider,
    (ticket, answer): (&str, &str),
    expected: Option<&str>,
    now: Timestamp,
) -> Result<Option<Proved>, AccountError> {
    let (Some(rp), Some(ceremony)) = (offered(p), take(p, ticket, now).await?) else {
        return Ok(None);
    };
    let Ok(answer) = serde_json::from_str::<PublicKeyCredential>(answer) else {
        return Ok(None);
    };
    let user_id = match &ceremony {
        Ceremony::Authentication { user_id, .. } => user_id.clone(),
        Ceremony::Discoverable { .. } => match rp.identify(&answer) {
            Ok((user_id, _)) => user_id,
            Err(_) => return Ok(None),
        },
        Ceremony::Registration { .. } => return Ok(None),
    };
    if expected.is_some_and(|e| e != user_id) {
        return Ok(None);
    }
    let user = p.store.user(&user_id).await?;
    let Some(user) = user.filter(|u| u.status == UserStatus::Active) else {
        return Ok(None);
    };
    let factors = p.store.factors(&user.id).await?;
    let answered = answer.get_credential_id();
    let found = factors.into_iter().find_map(|f| {
        let key = f.kind.passkey()?.clone();
        (key.cred_id().as_slice() == answered).then_some((f, key))
    });
    let Some((mut factor, mut key)) = found else {
        return Ok(None);
    };
    let asserted = match rp.finish_authentication(&answer, ceremony, &key) {
        Ok(asserted) => asserted,
        Err(e) => {
            tracing::info!(error = %e, "a passkey answer was refused");
            return Ok(None);
        }
    };
    key.update_credential(&asserted.result);
    factor.kind = FactorKind::Passkey { key: Box::new(key) };
    factor.last_used_at = Some(now);
    p.store.put_factor(&user.id, &factor).await?;
    let method = match asserted.synced() {
        true => Method::Swk,
        false => Method::Hwk,
    };
    Ok(Some(Proved { user, method }))
}
