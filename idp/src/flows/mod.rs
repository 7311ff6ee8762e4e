//! The account flows that act through the provider (store, mail, audit, sessions): enrolment
//! (register, activate, a new link), recovery ("Lupa Password?"), changes a user makes to their
//! own account, and the login attempt. The web handlers and the administration commands call
//! these; they decide nothing themselves.

pub mod enrolment;
pub mod login;
pub mod passkey;
pub mod profile;
pub mod recovery;
pub mod second_factor;
pub mod second_step;

use crate::account::captcha::CaptchaError;
use crate::account::password::PasswordError;
use crate::provider::Provider;
use crate::store::StoreError;
use crate::store::{OneTimeKind, Timestamp};

/// Why an account flow could not finish (a user's mistakes are outcomes, not errors).
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Captcha(#[from] CaptchaError),
}

/// Whether the e-mail link `link` of `kind` can still be followed (not used, not expired),
/// leaving it unspent: the page it opens says at once when it cannot.
pub async fn link_is_live(
    p: &Provider,
    kind: OneTimeKind,
    link: &str,
    now: Timestamp,
) -> Result<bool, AccountError> {
    let hash = crate::token::hash(link);
    Ok(p.store.peek_once(kind, &hash, now).await?.is_some())
}
