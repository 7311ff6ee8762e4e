//! A new account from an upstream login that matched none (where its provider may create
//! accounts): the registration form pre-filled from the assertion ([`super::prefill`]), the
//! OSS fields it did not give still asked, and the account linked to the upstream identity
//! as it is made. Its activation is skipped only when the provider's `email_verified` is
//! trusted and vouched for the address.

use crate::account::registration::{self, Field, FieldError, RegistrationForm};
use crate::audit::AuditKind;
use crate::flows::enrolment::{self, Beginning, Enrolled};
use crate::lang::Lang;
use crate::provider::Provider;
use crate::store::{FederatedLink, OneTimeKind, Timestamp};
use crate::token;

use super::{configured, grant_groups, proven, waiting};
use super::{FederationError, Login, PendingRegistration};

/// A registration form waiting to be filled in, as its page shows it.
pub struct Prefilled {
    /// The `[[identity_provider]]` id.
    pub provider: String,
    pub form: RegistrationForm,
    /// The fields the upstream vouched for: read-only.
    pub fixed: Vec<Field>,
    /// The sealed authorization request the login continues.
    pub request: String,
}

/// The form the registration waiting under `token` starts from; `None` once it is used or
/// its time ran out.
pub async fn prefilled(p: &Provider, token: &str, now: Timestamp) -> Option<Prefilled> {
    let kind = OneTimeKind::FederatedRegistration;
    let pending: PendingRegistration = waiting(p, kind, token, now).await.ok()??;
    let mut form = RegistrationForm::default();
    let fixed = super::prefill::fill(&pending.asserted, &mut form);
    Some(Prefilled {
        provider: pending.asserted.provider,
        form,
        fixed,
        request: pending.request,
    })
}

/// How a registration from an upstream login ended.
pub enum Registered {
    /// Something is wrong with the form: shown again, with the upstream's fields put back.
    Invalid {
        prefilled: Box<Prefilled>,
        errors: Vec<FieldError>,
    },
    /// Active at once (the address was vouched for), linked, and logging in.
    LoggedIn(Login),
    /// Pending activation (the link is mailed to `email`), or the address had an account
    /// whose owner was told: the same page either way.
    CheckEmail { email: String },
    /// The registration waits no more (used, or its time ran out).
    Gone,
}

/// Makes the account the form describes, with what the upstream asserted written over what
/// was posted, linked to the upstream identity. `return_to` gives, for the login's sealed
/// request, where the account's first mail sends its holder to log in.
pub async fn register(
    p: &Provider,
    token: &str,
    mut form: RegistrationForm,
    lang: Lang,
    return_to: impl FnOnce(&str) -> Option<String>,
    now: Timestamp,
) -> Result<Registered, FederationError> {
    let kind = OneTimeKind::FederatedRegistration;
    let Some(pending) = waiting::<PendingRegistration>(p, kind, token, now).await? else {
        return Ok(Registered::Gone);
    };
    let provider = configured(p, &pending.asserted.provider)?;
    if !provider.create_accounts {
        return Err(FederationError::Refused(super::Refused::NoAccount));
    }
    let fixed = super::prefill::fill(&pending.asserted, &mut form);
    let registration = match registration::validate(&form, crate::clock::day_of(now)) {
        Ok(registration) => registration,
        Err(errors) => {
            let prefilled = Box::new(Prefilled {
                provider: provider.id,
                form,
                fixed,
                request: pending.request,
            });
            return Ok(Registered::Invalid { prefilled, errors });
        }
    };
    if p.store
        .take_once(kind, &token::hash(token), now)
        .await?
        .is_none()
    {
        return Ok(Registered::Gone);
    }
    let asserted = &pending.asserted;
    let email_verified =
        asserted.email_verified && asserted.email.as_ref() == Some(&registration.email);
    let beginning = Beginning {
        links: vec![FederatedLink {
            provider: provider.id.clone(),
            subject: asserted.subject.clone(),
            linked_at: now,
        }],
        email_verified,
    };
    let email = registration.email.to_string();
    let return_to = return_to(&pending.request);
    let user = match enrolment::enrol(p, registration, (return_to, beginning), lang, now).await? {
        Enrolled::Created(user) => user,
        Enrolled::OwnerTold => return Ok(Registered::CheckEmail { email }),
    };
    let detail = format!("{}: linked as the account was registered", provider.id);
    p.audit_account(AuditKind::FederationLinked, &user.id, &detail)
        .await;
    grant_groups(p, &provider.id, &user.id, now).await;
    if !email_verified {
        return Ok(Registered::CheckEmail { email });
    }
    Ok(Registered::LoggedIn(Login {
        user,
        proven: proven(asserted),
        upstream: pending.upstream,
        request: pending.request,
    }))
}
