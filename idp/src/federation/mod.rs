//! Logging in with another identity provider (`[[identity_provider]]`): the upstream login
//! (`crate::upstream_provider`), what it asserted ([`assertion`]), where that leads
//! ([`linking`]), and the steps that keep state between them: the pending login, bound to the
//! browser that started it, and the link that waits for the person to prove control of the
//! account it matched.

pub mod assertion;
pub mod linking;
pub mod prefill;
pub mod registration;

use std::collections::HashMap;

use gerbang_config::IdentityProvider;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

use crate::account::login::{self as limits, LockKeys, Origin};
use crate::assurance::{Method, Proven};
use crate::audit::AuditKind;
use crate::flows::login::{check_password, PasswordCheck};
use crate::flows::AccountError;
use crate::provider::Provider;
use crate::store::{
    FederatedLink, Membership, OneTimeKind, StoreError, Timestamp, UniqueKey, UpstreamSession, User,
};
use crate::token;
use crate::upstream_provider::{Started, UpstreamError};
use assertion::Assertion;
use linking::{Candidates, Decision, MatchedBy, Refused};

/// How long a person has to finish the upstream login, or to prove control of the account
/// it matched.
const PENDING_LIFETIME: u64 = 10 * 60;

#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("no identity provider `{0}` is configured")]
    UnknownProvider(String),
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
    /// The callback's state is not the one this browser was sent with.
    #[error("the state does not belong to this browser")]
    ForeignState,
    /// The state was used before, or never issued, or its time ran out.
    #[error("the state is unknown, used or expired")]
    SpentState,
    #[error("{}", .0.reason())]
    Refused(Refused),
    /// The upstream identity is linked to another account already.
    #[error("the identity is linked to another account")]
    LinkedElsewhere,
    #[error(transparent)]
    Account(#[from] AccountError),
}

impl From<StoreError> for FederationError {
    fn from(e: StoreError) -> Self {
        FederationError::Account(e.into())
    }
}

/// A login at an upstream, between its start and its callback.
#[derive(Serialize, Deserialize)]
struct PendingLogin {
    provider: String,
    started: Started,
    /// The sealed authorization request the login continues ("" for none).
    request: String,
    /// The account that asked to link this upstream from Beranda.
    link_for: Option<String>,
}

/// An upstream identity waiting for the person to prove they control `user_id`.
#[derive(Serialize, Deserialize)]
struct PendingLink {
    asserted: Assertion,
    user_id: String,
    by: MatchedBy,
    request: String,
    upstream: UpstreamSession,
}

/// An upstream identity that matched no account, while the person fills in the registration
/// form it pre-filled.
#[derive(Serialize, Deserialize)]
struct PendingRegistration {
    asserted: Assertion,
    upstream: UpstreamSession,
    request: String,
}

/// Where to send the browser, and the state to bind to it (its cookie).
pub struct Begun {
    pub url: String,
    pub state: String,
}

/// The path an upstream sends its answers to.
pub fn callback_path(provider: &str) -> String {
    format!("/federation/{provider}/callback")
}

/// Starts a login at the upstream `provider_id`, continuing `request` (sealed) afterwards;
/// `link_for` when a logged-in person links it from Beranda.
pub async fn begin(
    p: &Provider,
    provider_id: &str,
    request: &str,
    link_for: Option<String>,
    ui_locale: &str,
    now: Timestamp,
) -> Result<Begun, FederationError> {
    let provider = configured(p, provider_id)?;
    let redirect = p.url(&callback_path(provider_id));
    let (url, state, started) = p
        .upstreams
        .authorization_url(&provider, &redirect, ui_locale)
        .await?;
    let pending = PendingLogin {
        provider: provider.id.clone(),
        started,
        request: request.to_string(),
        link_for,
    };
    let value = serde_json::to_vec(&pending).map_err(|e| StoreError::Backend(e.to_string()))?;
    let key = token::hash(&state);
    let expires = now + PENDING_LIFETIME;
    p.store
        .put_once(OneTimeKind::FederatedLogin, &key, &value, expires)
        .await?;
    Ok(Begun { url, state })
}

/// A login an upstream's word decided: a session for `user`, continuing `request`.
pub struct Login {
    pub user: Box<User>,
    /// What the upstream's login counts as here.
    pub proven: Proven,
    /// The upstream login the session remembers (for logging out there).
    pub upstream: UpstreamSession,
    /// The sealed authorization request the login continues ("" for none).
    pub request: String,
}

/// How a verified upstream login ended.
pub enum Finished {
    LoggedIn(Login),
    /// Linked from Beranda to the account that asked.
    Linked {
        user: User,
    },
    /// An account matched: its password proves control, with the form's `token`.
    ProveControl {
        token: String,
        user: User,
        by: MatchedBy,
    },
    /// Nobody matched, and the provider may create accounts: the registration form it
    /// pre-fills waits under `token`.
    Register {
        token: String,
    },
}

/// Finishes an upstream login from its callback's parameters and the state this browser's
/// cookie holds. Every refusal is audited with its reason.
pub async fn finish(
    p: &Provider,
    provider_id: &str,
    params: &HashMap<String, String>,
    browser_state: Option<&str>,
    address: &str,
    now: Timestamp,
) -> Result<Finished, FederationError> {
    let finished = verify_and_decide(p, provider_id, params, browser_state, now).await;
    if let Err(e) = &finished {
        let detail = format!("{provider_id}: {e}");
        p.audit(
            AuditKind::FederationRefused,
            None,
            None,
            Some(address),
            &detail,
        )
        .await;
    }
    let finished = finished?;
    let (kind, user_id, what) = match &finished {
        Finished::LoggedIn(login) => (AuditKind::FederationLogin, &login.user.id, "logged in"),
        Finished::Linked { user } => (AuditKind::FederationLinked, &user.id, "linked from Beranda"),
        Finished::ProveControl { user, .. } => (
            AuditKind::FederationLogin,
            &user.id,
            "matched: asked for the password to link",
        ),
        Finished::Register { .. } => return Ok(finished),
    };
    let detail = format!("{provider_id}: {what}");
    p.audit(kind, Some(user_id), None, Some(address), &detail)
        .await;
    if let Finished::LoggedIn(login) = &finished {
        grant_groups(p, provider_id, &login.user.id, now).await;
    }
    Ok(finished)
}

async fn verify_and_decide(
    p: &Provider,
    provider_id: &str,
    params: &HashMap<String, String>,
    browser_state: Option<&str>,
    now: Timestamp,
) -> Result<Finished, FederationError> {
    let provider = configured(p, provider_id)?;
    let state = params.get("state").map(String::as_str).unwrap_or("");
    let same = browser_state.is_some_and(|b| bool::from(b.as_bytes().ct_eq(state.as_bytes())));
    if state.is_empty() || !same {
        return Err(FederationError::ForeignState);
    }
    let key = token::hash(state);
    let pending = p
        .store
        .take_once(OneTimeKind::FederatedLogin, &key, now)
        .await?
        .and_then(|bytes| serde_json::from_slice::<PendingLogin>(&bytes).ok())
        .filter(|pending| pending.provider == provider.id)
        .ok_or(FederationError::SpentState)?;
    let redirect = p.url(&callback_path(provider_id));
    let verified = p
        .upstreams
        .finish(
            &provider,
            &redirect,
            params,
            pending.started,
            &p.keys.current(),
        )
        .await?;
    let asserted = Assertion::read(&provider, &verified.subject, &verified.claims);
    let upstream = UpstreamSession {
        provider: provider.id.clone(),
        subject: verified.subject.clone(),
        sid: verified
            .claims
            .get("sid")
            .and_then(|s| s.as_str())
            .map(str::to_string),
        id_token: verified.id_token,
    };
    if let Some(user_id) = pending.link_for {
        let user = link(p, &user_id, &asserted, now).await?;
        return Ok(Finished::Linked { user });
    }
    let found = candidates(p, &asserted).await?;
    match linking::decide(&provider, &asserted, found) {
        Decision::LogIn(user) => Ok(Finished::LoggedIn(Login {
            user: Box::new(user),
            proven: proven(&asserted),
            upstream,
            request: pending.request,
        })),
        Decision::ProveControl(user, by) => {
            let pending = PendingLink {
                asserted,
                user_id: user.id.clone(),
                by,
                request: pending.request,
                upstream,
            };
            let token = keep(p, OneTimeKind::FederatedLink, &pending, now).await?;
            Ok(Finished::ProveControl { token, user, by })
        }
        Decision::Register => {
            let pending = PendingRegistration {
                asserted,
                upstream,
                request: pending.request,
            };
            let token = keep(p, OneTimeKind::FederatedRegistration, &pending, now).await?;
            Ok(Finished::Register { token })
        }
        Decision::Refuse(why) => Err(FederationError::Refused(why)),
    }
}

fn configured(p: &Provider, id: &str) -> Result<IdentityProvider, FederationError> {
    p.config()
        .identity_provider(id)
        .cloned()
        .ok_or_else(|| FederationError::UnknownProvider(id.to_string()))
}

/// Grants the user the groups the provider's users receive (`groups`), those they do not hold
/// already: a membership an administrator gave keeps its end and its granter. A failure is
/// logged; the login goes on without it.
async fn grant_groups(p: &Provider, provider_id: &str, user_id: &str, now: Timestamp) {
    let Ok(provider) = configured(p, provider_id) else {
        return;
    };
    if provider.groups.is_empty() {
        return;
    }
    let held = match p.store.memberships(user_id).await {
        Ok(held) => held,
        Err(e) => {
            tracing::error!(error = %e, "cannot read the memberships of a federated login");
            return;
        }
    };
    for group in &provider.groups {
        if held.iter().any(|m| &m.group == group && m.holds(now)) {
            continue;
        }
        let membership = Membership {
            group: group.clone(),
            granted_by: format!("identity provider {}", provider.id),
            granted_at: now,
            until: None,
        };
        if let Err(e) = p.store.grant(user_id, &membership).await {
            tracing::error!(error = %e, group, "cannot grant a federated login's group");
            continue;
        }
        let detail = format!("{group}, no end, as a user of {}", provider.id);
        p.audit_account(AuditKind::GroupGranted, user_id, &detail)
            .await;
    }
}

/// What a session started from an upstream login proved.
fn proven(asserted: &Assertion) -> Proven {
    Proven::by(Method::federated(asserted.strength))
}

async fn candidates(p: &Provider, asserted: &Assertion) -> Result<Candidates, FederationError> {
    let store = p.store.as_ref();
    let linked = store.user_by_key(&federated_key(asserted)).await?;
    let by_nik = match &asserted.nik {
        Some(nik) => store.user_by_key(&UniqueKey::Nik(nik.to_string())).await?,
        None => None,
    };
    let by_passport = match &asserted.passport {
        Some(passport) => {
            let key = UniqueKey::Passport {
                number: passport.number.clone(),
                country: passport.country.clone(),
            };
            store.user_by_key(&key).await?
        }
        None => None,
    };
    let by_email = match &asserted.email {
        Some(email) => {
            store
                .user_by_key(&UniqueKey::Email(email.to_string()))
                .await?
        }
        None => None,
    };
    Ok(Candidates {
        linked,
        by_nik,
        by_passport,
        by_email,
    })
}

fn federated_key(asserted: &Assertion) -> UniqueKey {
    UniqueKey::Federated {
        provider: asserted.provider.clone(),
        subject: asserted.subject.clone(),
    }
}

/// Keeps `pending` as a one-time value of `kind` (an assertion while the person proves control
/// of the account it matched, or fills in the registration it pre-filled); the token for its
/// form.
async fn keep(
    p: &Provider,
    kind: OneTimeKind,
    pending: &impl Serialize,
    now: Timestamp,
) -> Result<String, FederationError> {
    let value = serde_json::to_vec(pending).map_err(|e| StoreError::Backend(e.to_string()))?;
    let token = token::random_token();
    p.store
        .put_once(kind, &token::hash(&token), &value, now + PENDING_LIFETIME)
        .await?;
    Ok(token)
}

/// The pending value of `kind` under `token`, while it waits (not taken).
async fn waiting<T: DeserializeOwned>(
    p: &Provider,
    kind: OneTimeKind,
    token: &str,
    now: Timestamp,
) -> Result<Option<T>, FederationError> {
    let bytes = p.store.peek_once(kind, &token::hash(token), now).await?;
    Ok(bytes.and_then(|b| serde_json::from_slice(&b).ok()))
}

/// A link waiting for its proof of control, as its page shows it.
pub struct Waiting {
    pub provider: String,
    pub username: String,
    pub by: MatchedBy,
}

/// What a pending link waits on, while it waits.
pub async fn awaiting(p: &Provider, link_token: &str, now: Timestamp) -> Option<Waiting> {
    let pending: PendingLink = waiting(p, OneTimeKind::FederatedLink, link_token, now)
        .await
        .ok()??;
    let user = p.store.user(&pending.user_id).await.ok()??;
    Some(Waiting {
        provider: pending.asserted.provider,
        username: user.username,
        by: pending.by,
    })
}

/// How a proof of control ended.
pub enum Proof {
    /// Linked, and logged in.
    Linked(Login),
    /// The link waits no more (used, or its time ran out).
    Gone,
    Wrong,
    Locked,
    Busy,
}

/// The person gives the matched account's password: if right, the upstream identity is linked
/// to it and they are logged in. Wrong ones count towards the account's lock as logins do.
pub async fn prove_with_password(
    p: &Provider,
    link_token: &str,
    password: &str,
    address: &str,
    now: Timestamp,
) -> Result<Proof, FederationError> {
    let Some(pending) =
        waiting::<PendingLink>(p, OneTimeKind::FederatedLink, link_token, now).await?
    else {
        return Ok(Proof::Gone);
    };
    let user = p.store.user(&pending.user_id).await?;
    let account = limits::account_key(Some(&pending.user_id), "");
    let lock_keys = LockKeys::new(&account, Origin::Address(address));
    match check_password(p, user, password, &lock_keys, address, now).await? {
        PasswordCheck::Right(_) => {}
        PasswordCheck::Wrong => return Ok(Proof::Wrong),
        PasswordCheck::Locked(_) => return Ok(Proof::Locked),
        PasswordCheck::Busy => return Ok(Proof::Busy),
    }
    let key = token::hash(link_token);
    if p.store
        .take_once(OneTimeKind::FederatedLink, &key, now)
        .await?
        .is_none()
    {
        return Ok(Proof::Gone);
    }
    if let Err(e) = limits::record_success(p.store.as_ref(), &lock_keys).await {
        tracing::error!(error = %e, "cannot clear the failures of a login");
    }
    let user = link(p, &pending.user_id, &pending.asserted, now).await?;
    let detail = format!(
        "{}: linked after the account's password",
        pending.asserted.provider
    );
    p.audit(
        AuditKind::FederationLinked,
        Some(&user.id),
        None,
        Some(address),
        &detail,
    )
    .await;
    Ok(Proof::Linked(Login {
        user: Box::new(user),
        proven: proven(&pending.asserted),
        upstream: pending.upstream,
        request: pending.request,
    }))
}

/// Links the asserted identity to `user_id` (replacing a link it had to the same provider).
async fn link(
    p: &Provider,
    user_id: &str,
    asserted: &Assertion,
    now: Timestamp,
) -> Result<User, FederationError> {
    let mut user = p
        .store
        .user(user_id)
        .await?
        .ok_or(FederationError::Account(StoreError::NotFound.into()))?;
    user.unlink(&asserted.provider);
    user.links.push(FederatedLink {
        provider: asserted.provider.clone(),
        subject: asserted.subject.clone(),
        linked_at: now,
    });
    match p.store.update_user(&user, None, now).await {
        Ok(()) => {
            grant_groups(p, &asserted.provider, &user.id, now).await;
            Ok(user)
        }
        Err(StoreError::Taken(UniqueKey::Federated { .. })) => {
            Err(FederationError::LinkedElsewhere)
        }
        Err(e) => Err(e.into()),
    }
}

/// Removes the account's link to `provider`; whether there was one. `by` names who did it in
/// the audit trail (the person, or an operator).
pub async fn unlink(
    p: &Provider,
    user_id: &str,
    provider: &str,
    by: &str,
    now: Timestamp,
) -> Result<bool, FederationError> {
    let Some(mut user) = p.store.user(user_id).await? else {
        return Ok(false);
    };
    if !user.unlink(provider) {
        return Ok(false);
    }
    p.store.update_user(&user, None, now).await?;
    let detail = format!("{provider}: unlinked by {by}");
    p.audit_account(AuditKind::FederationUnlinked, user_id, &detail)
        .await;
    Ok(true)
}

/// Ends the sessions that a login at `provider_id` started for the person its back-channel
/// logout token names (its `sub`, or the `sid` alone), only that `sid`'s when it names one;
/// how many.
pub async fn logged_out_upstream(
    p: &std::sync::Arc<Provider>,
    provider_id: &str,
    token: &str,
    now: Timestamp,
) -> Result<usize, FederationError> {
    let provider = configured(p, provider_id)?;
    let verified = p.upstreams.verify_logout_token(&provider, token, now).await;
    let named = match verified {
        Ok(named) => named,
        Err(e) => {
            let detail = format!("{provider_id}: back-channel logout refused: {e}");
            p.audit(AuditKind::FederationRefused, None, None, None, &detail)
                .await;
            return Err(e.into());
        }
    };
    let user = match (&named.subject, &named.sid) {
        (Some(subject), _) => {
            let key = UniqueKey::Federated {
                provider: provider.id.clone(),
                subject: subject.clone(),
            };
            p.store.user_by_key(&key).await?
        }
        (None, Some(sid)) => {
            let key = crate::session::upstream_sid_key(&provider.id, sid);
            match p
                .store
                .peek_once(OneTimeKind::UpstreamSid, &key, now)
                .await?
            {
                Some(id) => p.store.user(&String::from_utf8_lossy(&id)).await?,
                None => None,
            }
        }
        (None, None) => None,
    };
    let Some(user) = user else {
        return Ok(0);
    };
    let mut ended = 0;
    for session in p.store.sessions_of(&user.id).await? {
        let from_there = session.upstream.as_ref().is_some_and(|u| {
            u.provider == provider.id
                && named.subject.as_ref().is_none_or(|s| *s == u.subject)
                && (named.sid.is_none() || u.sid == named.sid)
        });
        if from_there {
            crate::logout::end_session(p, &session.id_hash, &user.id, None).await?;
            ended += 1;
        }
    }
    let detail = format!("{provider_id}: back-channel logout ended {ended} sessions");
    p.audit_account(AuditKind::Logout, &user.id, &detail).await;
    Ok(ended)
}

/// Where the browser goes to log out at the upstream that started `session`, where its
/// provider is configured to (`end_upstream_session`) and offers RP-initiated logout.
pub async fn upstream_logout(p: &Provider, session: &crate::store::Session) -> Option<String> {
    let upstream = session.upstream.as_ref()?;
    let provider = configured(p, &upstream.provider).ok()?;
    if !provider.end_upstream_session {
        return None;
    }
    p.upstreams
        .logout_url(&provider, &upstream.id_token, &p.url("/"))
        .await
}
