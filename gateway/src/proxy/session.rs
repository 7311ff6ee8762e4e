//! Gateway sessions. The cookie (`__Host-gerbang-session`, AES-GCM via the `cookie` crate's
//! private jar) carries who the user is, so any instance checks it from memory without a store
//! round trip; the store keeps a record of it for revocation, and `Revocations` (fed from the
//! store) makes a logout or a disabled user visible to every instance within seconds.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};

use http::HeaderValue;
use pingora::http::StaticHeaderName;

use cookie::{Cookie, CookieJar, Key, SameSite};
use gerbang_config::Strength;
use gerbang_idp::cookie_header;
use gerbang_idp::revocation::Revoked;
use serde::{Deserialize, Serialize};

use super::headers::{
    X_GERBANG_CLIENT, X_GERBANG_EMAIL, X_GERBANG_NAME, X_GERBANG_SUBJECT, X_GERBANG_USER,
};
use super::identity_jwt::SignedTokens;

pub const COOKIE: &str = "__Host-gerbang-session";

/// Who the user is, as the gateway forwards it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    /// The gateway session's id (random, 256 bits).
    pub sid: String,
    /// The provider's subject: the user's stable id.
    pub sub: String,
    pub username: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The provider session this one came from: ending it ends this one.
    pub provider_session: Option<String>,
    pub auth_time: u64,
    pub expires_at: u64,
    /// When the session was last seen active, to within [`Activity::granularity`]: the cookie
    /// is sealed again with a newer time as the user goes on (no store write), so every
    /// instance enforces the idle timeout from the cookie alone. Absent in cookies made before
    /// it existed: their `auth_time` stands in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen_at: Option<u64>,
    /// The OAuth client a bearer token was issued to (none for a browser session).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// A client acting for itself (`client_credentials`), not for a user.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub machine: bool,
    /// How strongly the user proved who they are (the ID token's or access token's `acr`);
    /// a route's rules may ask for more. Left out of the cookie for a password login.
    #[serde(default, skip_serializing_if = "is_password")]
    pub strength: Strength,
    /// Its identity headers, made on first use: a remembered session makes them once.
    #[serde(skip)]
    pub headers: OnceLock<Option<IdentityHeaders>>,
    /// Its identity JWTs (`forward = ["jwt"]`), signed on first use per route.
    #[serde(skip)]
    pub signed: Kept<SignedTokens>,
    /// The cookie last sealed for its activity (see [`Resealed`]).
    #[serde(skip)]
    pub resealed: Kept<Resealed>,
}

/// What an identity keeps on the side (its signed tokens, a resealed cookie): a cache, not part
/// of who it is. A copy starts empty, and identities are equal whatever they keep.
#[derive(Default)]
pub struct Kept<T>(T);

impl<T: Default> Clone for Kept<T> {
    fn clone(&self) -> Self {
        Kept(T::default())
    }
}

impl<T> PartialEq for Kept<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> Eq for Kept<T> {}

impl<T> std::ops::Deref for Kept<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Kept<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The cookie last sealed for a session's activity, given again while it is less than
/// [`Activity::granularity`] old: a client that keeps sending the older cookie and ignores the
/// refreshed one (a script with a fixed cookie, a load generator) gets the same refreshed one
/// back, instead of costing a new seal (JSON, AES-GCM, base64) on every request. (Its `Max-Age`
/// may then run up to that long past the session's end, which the gateway enforces itself.)
#[derive(Default)]
pub struct Resealed(Mutex<Option<(u64, String)>>);

impl Resealed {
    /// The cookie sealed at most `granularity` seconds before `now`, or `seal()` kept.
    pub fn get_or_seal(
        &self,
        now: u64,
        granularity: u64,
        seal: impl FnOnce() -> Option<String>,
    ) -> Option<String> {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((sealed_at, cookie)) = kept.as_ref() {
            if now.saturating_sub(*sealed_at) < granularity {
                return Some(cookie.clone());
            }
        }
        let cookie = seal()?;
        *kept = Some((now, cookie.clone()));
        Some(cookie)
    }
}

/// Without the cookie: it is a credential.
impl std::fmt::Debug for Resealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Resealed")
    }
}

fn is_password(strength: &Strength) -> bool {
    *strength == Strength::Password
}

/// The identity headers an upstream receives (`forward = ["headers"]`), ready to send.
pub type IdentityHeaders = Vec<(StaticHeaderName, HeaderValue)>;

impl Identity {
    /// The identity headers of `forward = ["headers"]`; `None` when a value cannot travel in
    /// a header (the request then fails rather than reach the app without them). A user is
    /// `X-Gerbang-User` (the user name of a browser session, the subject of a user's token); a
    /// client acting for itself is only `X-Gerbang-Client`, so an app cannot take it for a user.
    pub fn headers(&self) -> Option<&IdentityHeaders> {
        self.headers
            .get_or_init(|| {
                let value = |v: &str| HeaderValue::from_str(v).ok();
                let client = match &self.client {
                    Some(client) => Some((X_GERBANG_CLIENT, value(client)?)),
                    None => None,
                };
                if self.machine {
                    return Some(client.into_iter().collect());
                }
                let mut out = vec![
                    (X_GERBANG_USER, value(&self.username)?),
                    (X_GERBANG_SUBJECT, value(&self.sub)?),
                ];
                if let Some(email) = &self.email {
                    out.push((X_GERBANG_EMAIL, value(email)?));
                }
                if let Some(name) = &self.name {
                    // Header values are ASCII: the name travels percent-encoded (UTF-8).
                    let encoded: String =
                        url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
                    out.push((X_GERBANG_NAME, value(&encoded)?));
                }
                out.extend(client);
                Some(out)
            })
            .as_ref()
    }
}

/// The `Set-Cookie` value of a `__Host-` cookie `name` whose `value` is sealed under `key`
/// (AES-GCM, the `cookie` crate's private jar): Secure, HttpOnly, SameSite=Lax, path `/`.
pub fn sealed_cookie(name: &str, value: String, key: &Key, max_age_secs: u64) -> Option<String> {
    let mut jar = CookieJar::new();
    let cookie = Cookie::build((name.to_string(), value))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .max_age(cookie::time::Duration::seconds(max_age_secs as i64))
        .build();
    jar.private_mut(key).add(cookie);
    jar.delta().next().map(|c| c.encoded().to_string())
}

/// The opened value of the sealed cookie `name` in a request's `Cookie` header.
pub fn open_cookie(header: &str, name: &str, key: &Key) -> Option<String> {
    open_raw(cookie_header::value(header, name)?, name, key)
}

/// The opened value of a sealed cookie `name` sent as `raw`.
fn open_raw(raw: &str, name: &str, key: &Key) -> Option<String> {
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::new(name.to_string(), percent_decode(raw)));
    jar.private(key).get(name).map(|c| c.value().to_string())
}

/// The `Set-Cookie` value that carries `identity`.
pub fn cookie_for(identity: &Identity, key: &Key, max_age_secs: u64) -> Option<String> {
    sealed_cookie(
        COOKIE,
        serde_json::to_string(identity).ok()?,
        key,
        max_age_secs,
    )
}

/// The `Set-Cookie` value that removes a cookie named `name`.
pub fn removal(name: &str) -> String {
    format!("{name}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The identity sealed in a session cookie sent as `raw` (expired or not: the caller compares
/// `expires_at` with the time of each request).
pub fn open_identity(raw: &str, key: &Key) -> Option<Identity> {
    serde_json::from_str(&open_raw(raw, COOKIE, key)?).ok()
}

/// How a browser session's idleness is kept: the idle timeout, and how stale the recorded last
/// activity may grow before the cookie is sealed again.
#[derive(Debug, Clone, Copy)]
pub struct Activity {
    pub idle_timeout: u64,
}

impl Activity {
    /// A minute, or a quarter of the idle timeout when that is shorter: a session ends between
    /// `idle_timeout - granularity` and `idle_timeout` after its last request.
    pub fn granularity(self) -> u64 {
        (self.idle_timeout / 4).clamp(1, 60)
    }

    /// Whether the session has been idle too long at `now`.
    pub fn is_idle(self, identity: &Identity, now: u64) -> bool {
        now.saturating_sub(identity.last_active()) > self.idle_timeout
    }

    /// Whether the cookie should be sealed again with `now` as its last activity.
    pub fn needs_refresh(self, identity: &Identity, now: u64) -> bool {
        now.saturating_sub(identity.last_active()) >= self.granularity()
    }
}

impl Identity {
    /// When the session was last seen active.
    pub fn last_active(&self) -> u64 {
        self.seen_at.unwrap_or(self.auth_time)
    }

    /// The same session, seen active at `now` (its headers are made again when asked).
    pub fn seen(&self, now: u64) -> Identity {
        Identity {
            seen_at: Some(now),
            headers: OnceLock::new(),
            ..self.clone()
        }
    }
}

/// Whether a session still lets requests through at `now`: not expired, not idle too long, nor
/// revoked (itself, its provider session or its user).
pub fn is_live(
    identity: &Identity,
    revocations: &Revocations,
    activity: Activity,
    now: u64,
) -> bool {
    identity.expires_at > now && !activity.is_idle(identity, now) && !revocations.ends(identity)
}

impl super::remembered::Expiring for Identity {
    fn expires_at(&self) -> u64 {
        self.expires_at
    }
}

fn percent_decode(raw: &str) -> String {
    url::form_urlencoded::parse(format!("v={}", raw.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// What has been revoked, as this instance knows it (each by its [`Revoked::key`]), each until
/// it ends: expired entries are dropped as new ones come.
#[derive(Default)]
pub struct Revocations {
    subjects: RwLock<HashMap<String, u64>>,
}

impl Revocations {
    /// Records revocations ending at the given times, dropping those that ended before `now`.
    pub fn add(&self, subjects: impl IntoIterator<Item = (String, u64)>, now: u64) {
        if let Ok(mut map) = self.subjects.write() {
            map.extend(subjects);
            map.retain(|_, until| *until > now);
        }
    }

    /// Whether `identity` was ended: its own session, its provider session or its user.
    pub fn ends(&self, identity: &Identity) -> bool {
        self.ends_or_any(identity, &[])
    }

    /// Whether `identity` was ended, or any of `also` was revoked: one look under one lock,
    /// without allocating.
    pub fn ends_or_any(&self, identity: &Identity, also: &[Revoked<'_>]) -> bool {
        let own = [
            Revoked::GatewaySession(&identity.sid),
            Revoked::User(&identity.sub),
        ];
        let provider = identity.provider_session.as_deref().map(Revoked::Session);
        self.any_of(own.iter().chain(provider.iter()).chain(also))
    }

    /// Whether any subject is revoked; revoked too when the lock is poisoned.
    fn any_of<'a, 'b: 'a>(&self, subjects: impl IntoIterator<Item = &'a Revoked<'b>>) -> bool {
        let Ok(map) = self.subjects.read() else {
            return true;
        };
        if map.is_empty() {
            return false;
        }
        thread_local! {
            /// The key being looked up, reused: a look-up on the request path never allocates.
            static KEY: RefCell<String> = const { RefCell::new(String::new()) };
        }
        KEY.with_borrow_mut(|key| {
            subjects.into_iter().any(|subject| {
                subject.write_key(key);
                map.contains_key(key.as_str())
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resealed_cookie_is_given_again_within_the_granularity() {
        let resealed = Resealed::default();
        let mut seals = 0;
        let mut seal = |n: u64| {
            resealed.get_or_seal(n, 60, || {
                seals += 1;
                Some(format!("cookie sealed at {n}"))
            })
        };
        assert_eq!(seal(1_000).unwrap(), "cookie sealed at 1000");
        assert_eq!(seal(1_059).unwrap(), "cookie sealed at 1000");
        assert_eq!(seal(1_060).unwrap(), "cookie sealed at 1060");
        assert_eq!(seals, 2);
        assert!(
            resealed.get_or_seal(2_000, 60, || None).is_none(),
            "a failed seal is not kept"
        );
        assert_eq!(
            resealed
                .get_or_seal(2_001, 60, || Some("new".into()))
                .unwrap(),
            "new"
        );
    }

    fn identity() -> Identity {
        Identity {
            sid: "s1".into(),
            sub: "u1".into(),
            username: "budi".into(),
            name: Some("Budi Santoso".into()),
            email: Some("budi@example.test".into()),
            phone: None,
            provider_session: Some("p1".into()),
            auth_time: 10,
            expires_at: 100,
            seen_at: None,
            client: None,
            machine: false,
            strength: Strength::TwoFactor,
            headers: OnceLock::new(),
            signed: Default::default(),
            resealed: Default::default(),
        }
    }

    #[test]
    fn cookie_round_trip() {
        let key = Key::generate();
        let set_cookie = cookie_for(&identity(), &key, 90).unwrap();
        assert!(set_cookie.starts_with("__Host-gerbang-session="));
        assert!(!set_cookie.contains("budi"), "the identity is sealed");
        let value = set_cookie.split(';').next().unwrap();
        let header = format!("a=b; {value}; c=d");
        let raw = cookie_header::value(&header, COOKIE).unwrap();
        assert_eq!(open_identity(raw, &key), Some(identity()));
        assert_eq!(open_identity(raw, &Key::generate()), None, "another key");
        assert_eq!(open_identity("garbage", &key), None);
        assert_eq!(cookie_header::value("a=b; c=d", COOKIE), None);
        let revocations = Revocations::default();
        let activity = Activity { idle_timeout: 60 };
        assert!(is_live(&identity(), &revocations, activity, 50));
        assert!(
            !is_live(&identity(), &revocations, activity, 100),
            "expired"
        );
        revocations.add([(Revoked::Session("p1").key(), 200)], 50);
        assert!(!is_live(&identity(), &revocations, activity, 50), "revoked");
    }

    #[test]
    fn idle_sessions_end_and_active_ones_are_sealed_again_coarsely() {
        let activity = Activity { idle_timeout: 120 };
        assert_eq!(activity.granularity(), 30);
        assert_eq!(Activity { idle_timeout: 3600 }.granularity(), 60);
        assert_eq!(Activity { idle_timeout: 2 }.granularity(), 1);
        let fresh = identity().seen(1_000);
        assert!(!activity.needs_refresh(&fresh, 1_029));
        assert!(activity.needs_refresh(&fresh, 1_030));
        assert!(!activity.is_idle(&fresh, 1_120));
        assert!(
            activity.is_idle(&fresh, 1_121),
            "130 s idle with a 2-minute timeout"
        );
        let old_cookie = identity();
        assert_eq!(old_cookie.last_active(), old_cookie.auth_time);
        let key = Key::generate();
        let sealed = cookie_for(&fresh, &key, 90).unwrap();
        let raw = sealed.split(';').next().unwrap().split_once('=').unwrap().1;
        assert_eq!(open_identity(raw, &key).unwrap().seen_at, Some(1_000));
    }

    #[test]
    fn identity_headers_are_made_once_and_refuse_what_cannot_travel() {
        let identity = identity();
        let headers = identity.headers().unwrap();
        let shown: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap()))
            .collect();
        assert_eq!(
            shown,
            [
                ("x-gerbang-user", "budi"),
                ("x-gerbang-subject", "u1"),
                ("x-gerbang-email", "budi@example.test"),
                ("x-gerbang-name", "Budi+Santoso"),
            ]
        );
        assert!(
            std::ptr::eq(headers, identity.headers().unwrap()),
            "made once"
        );
        let broken = Identity {
            username: "budi\r\nx-gerbang-user: admin".into(),
            ..self::identity()
        };
        assert!(
            broken.headers().is_none(),
            "a line break never reaches a header"
        );
    }

    #[test]
    fn a_client_is_never_a_user() {
        let shown = |identity: &Identity| -> Vec<(&'static str, String)> {
            identity
                .headers()
                .unwrap()
                .iter()
                .map(|(n, v)| (n.as_str(), v.to_str().unwrap().to_string()))
                .collect()
        };
        let machine = Identity {
            username: "reporting".into(),
            sub: "reporting".into(),
            client: Some("reporting".into()),
            machine: true,
            email: None,
            name: None,
            ..identity()
        };
        assert_eq!(shown(&machine), [("x-gerbang-client", "reporting".into())]);
        let users_token = Identity {
            username: "u1".into(),
            client: Some("portal".into()),
            email: None,
            name: None,
            ..identity()
        };
        assert_eq!(
            shown(&users_token),
            [
                ("x-gerbang-user", "u1".into()),
                ("x-gerbang-subject", "u1".into()),
                ("x-gerbang-client", "portal".into()),
            ]
        );
    }

    #[test]
    fn revocations() {
        let r = Revocations::default();
        assert!(!r.ends(&identity()));
        r.add([(Revoked::Session("p1").key(), 200)], 100);
        assert!(r.ends(&identity()));
        let r = Revocations::default();
        r.add([(Revoked::User("u1").key(), 200)], 100);
        assert!(r.ends(&identity()));
        let r = Revocations::default();
        r.add([(Revoked::GatewaySession("s1").key(), 200)], 100);
        assert!(r.ends(&identity()));
        // Entries that have ended are dropped as others arrive.
        r.add([(Revoked::AccessToken("x").key(), 300)], 250);
        assert!(!r.ends(&identity()));
        assert!(r.ends_or_any(&identity(), &[Revoked::AccessToken("x")]));
        assert!(!r.ends_or_any(&identity(), &[Revoked::AccessToken("y")]));
        assert!(
            !r.ends_or_any(&identity(), &[Revoked::Session("x")]),
            "the kind is part of the key"
        );
    }
}
