//! The provider's own session: who is logged in at the provider, in a `__Host-` cookie whose
//! value is 256 random bits; the store keeps only its hash.

use crate::assurance::{Method, Proven};
use crate::store::{
    OneTimeKind, OneTimeStore, Session, SessionStore, StoreResult, Timestamp, UpstreamSession,
    User, UserStatus, UserStore,
};

pub const COOKIE: &str = "__Host-gerbang-sso";
/// `last_seen` is written at most this often, so busy sessions do not write on every request.
const TOUCH_EVERY: u64 = 60;

pub use crate::token::hash;

/// Timeouts, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub idle: u64,
    pub absolute: u64,
}

/// Starts a session for `user` on `device`; returns the cookie value (shown once, never
/// stored) and the record. A session an upstream's login started is found again by that
/// upstream's `sid`, for as long as it can live.
pub async fn start<S: SessionStore + OneTimeStore + ?Sized>(
    store: &S,
    user: &User,
    device: Option<String>,
    (proven, upstream): (Proven, Option<UpstreamSession>),
    life: Lifetimes,
    now: Timestamp,
) -> StoreResult<(String, Session)> {
    let value = crate::token::random_token();
    let session = Session {
        id_hash: hash(&value),
        user_id: user.id.clone(),
        created_at: now,
        last_seen: now,
        expires_at: now + life.idle.min(life.absolute),
        auth_time: now,
        audience: "provider".into(),
        device,
        parent: None,
        clients: Vec::new(),
        proven,
        upstream,
    };
    store.put_session(&session).await?;
    if let Some(UpstreamSession {
        provider,
        sid: Some(sid),
        ..
    }) = &session.upstream
    {
        let key = upstream_sid_key(provider, sid);
        let until = now + life.absolute;
        store
            .put_once(OneTimeKind::UpstreamSid, &key, user.id.as_bytes(), until)
            .await?;
    }
    Ok((value, session))
}

/// Where the user behind an upstream's session id is kept.
pub fn upstream_sid_key(provider: &str, sid: &str) -> String {
    hash(&format!("{provider}\0{sid}"))
}

/// The live session a cookie value names, with its active user; touches it.
pub async fn current<S: SessionStore + UserStore + ?Sized>(
    store: &S,
    value: &str,
    life: Lifetimes,
    now: Timestamp,
) -> StoreResult<Option<(Session, User)>> {
    let Some(mut session) = store.session(&hash(value)).await? else {
        return Ok(None);
    };
    let absolute_end = session.created_at + life.absolute;
    if now >= session.expires_at || now >= absolute_end {
        store.delete_session(&session.id_hash).await?;
        return Ok(None);
    }
    let Some(user) = store
        .user(&session.user_id)
        .await?
        .filter(|u| u.status == UserStatus::Active)
    else {
        store.delete_session(&session.id_hash).await?;
        return Ok(None);
    };
    if now >= session.last_seen + TOUCH_EVERY {
        session.last_seen = now;
        session.expires_at = (now + life.idle).min(absolute_end);
        store.put_session(&session).await?;
    }
    Ok(Some((session, user)))
}

/// Records that the session `id_hash` of `user_id` proved `method` too (a step-up): the
/// session it was, with the stronger methods; `None` when it is gone or another user's.
pub async fn prove(
    store: &dyn SessionStore,
    id_hash: &str,
    user_id: &str,
    method: Method,
) -> StoreResult<Option<Session>> {
    let Some(mut session) = store.session(id_hash).await? else {
        return Ok(None);
    };
    if session.user_id != user_id {
        return Ok(None);
    }
    session.proven = session.proven.and(method);
    store.put_session(&session).await?;
    Ok(Some(session))
}

/// Notes that the provider session `id_hash` logged in to `client` (for the user's list of
/// sessions). The gateway is not noted: it keeps a session per app of its own.
pub async fn note_client(store: &dyn SessionStore, id_hash: &str, client: &str) -> StoreResult<()> {
    if client == gerbang_config::GATEWAY_CLIENT_ID {
        return Ok(());
    }
    let Some(mut session) = store.session(id_hash).await? else {
        return Ok(());
    };
    if !session.clients.iter().any(|c| c == client) {
        session.clients.push(client.to_string());
        store.put_session(&session).await?;
    }
    Ok(())
}

/// The `Set-Cookie` value for a session cookie (or, with `None`, one that removes it).
pub fn cookie(value: Option<&str>, life: Lifetimes) -> String {
    match value {
        Some(v) => format!(
            "{COOKIE}={v}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age={}",
            life.absolute
        ),
        None => format!("{COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"),
    }
}

/// The session cookie's value in a `Cookie` header.
pub fn from_cookie_header(header: &str) -> Option<&str> {
    crate::cookie_header::value(header, COOKIE)
}
