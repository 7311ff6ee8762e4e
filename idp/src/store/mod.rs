//! The store: everything Gerbang keeps, behind one trait per aggregate, with the sled backend as
//! the embedded default. Every backend passes the same [`conformance`] suite.
//!
//! Durability: a call that returns `Ok` for users, mail, audit events, sessions and signing keys
//! has reached the disk (the backend flushes before answering). Ephemeral data (captcha
//! challenges, rate-limit counters, pending logins) is written through the backend's periodic
//! flush (sled: every 500 ms) and may be lost in a crash, which only costs a retry.

mod model;
mod pg_store;
mod sled_store;
pub mod transfer;
pub mod upgrade;

#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
#[cfg(any(test, feature = "conformance"))]
pub mod test_database;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::revocation::Revoked;

pub use model::*;
pub use pg_store::{PgStore, SCHEMA_VERSION};
pub use sled_store::SledStore;
pub use transfer::{Record, TransferStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The value is already held by another record.
    #[error("{} is already taken", .0.canonical().split(':').next().unwrap_or("value"))]
    Taken(UniqueKey),
    #[error("no such record")]
    NotFound,
    /// The backend failed (disk, connection, corrupt record); the message names what.
    #[error("store backend: {0}")]
    Backend(String),
    /// The database's tables are older (or newer) than this build expects.
    #[error("the database schema is at version {found}, this gerbang needs version {needed}: run `gerbang migrate --config FILE` (with this version of gerbang) first")]
    SchemaVersion { found: i32, needed: i32 },
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait UserStore: Send + Sync {
    /// Creates a user, atomically claiming its user name, e-mail and identity document, and
    /// queues `mail` in the same transaction. Two concurrent calls with one e-mail give one user.
    async fn create_user(
        &self,
        user: NewUser,
        mail: Option<NewMail>,
        now: Timestamp,
    ) -> StoreResult<User>;
    async fn user(&self, id: &str) -> StoreResult<Option<User>>;
    /// The user holding this unique key (user name and e-mail compare case-insensitively).
    async fn user_by_key(&self, key: &UniqueKey) -> StoreResult<Option<User>>;
    /// Replaces a user's record, moving its unique keys when they changed, and queues `mail` in
    /// the same transaction.
    async fn update_user(
        &self,
        user: &User,
        mail: Option<NewMail>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Removes a user and frees its unique keys.
    async fn delete_user(&self, id: &str) -> StoreResult<()>;
    async fn users(&self) -> StoreResult<Vec<User>>;
}

#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn put_session(&self, session: &Session) -> StoreResult<()>;
    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>>;
    async fn delete_session(&self, id_hash: &str) -> StoreResult<()>;
    async fn sessions_of(&self, user_id: &str) -> StoreResult<Vec<Session>>;
    /// Ends every session of a user; returns how many there were.
    async fn delete_sessions_of(&self, user_id: &str) -> StoreResult<usize>;
    /// How many sessions are stored (for the metrics gauge).
    async fn count_sessions(&self) -> StoreResult<usize>;
}

#[async_trait]
pub trait OneTimeStore: Send + Sync {
    /// Keeps `value` under `key_hash` (a hash of the secret, never the secret) until `expires_at`.
    async fn put_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        value: &[u8],
        expires_at: Timestamp,
    ) -> StoreResult<()>;
    /// Removes and returns the value, once: a second take, or a take after expiry, finds nothing.
    async fn take_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<u8>>>;
    /// Spends the value under `key_hash`, once: removes it and, in the same transaction, keeps
    /// it as spent until `spent_until` (or its own expiry, if later). The first spend gets
    /// [`Spent::First`]; every later one, however concurrent, gets [`Spent::Again`] with the
    /// value, so the caller can revoke what the first spend issued (a replayed code, a reused
    /// refresh token).
    async fn spend_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
        spent_until: Timestamp,
    ) -> StoreResult<Spent>;
    /// Records that `key_hash` was used, until `expires_at`: `true` the first time, `false`
    /// while an earlier use is live, however concurrent the calls (a client assertion's `jti`
    /// is accepted once this way).
    async fn first_use(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<bool>;
    /// The value, if it is there and live, leaving it in place (introspection reads this way).
    async fn peek_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<u8>>>;
    /// Every live record of `kind` whose key starts with `prefix`: its key and when it ends,
    /// in key order (the console lists an account's login locks this way).
    async fn live_with_prefix(
        &self,
        kind: OneTimeKind,
        prefix: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<(String, Timestamp)>>;
    /// Drops what has expired; returns how many.
    async fn purge_expired(&self, now: Timestamp) -> StoreResult<usize>;
}

#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn enqueue_mail(&self, mail: NewMail, now: Timestamp) -> StoreResult<String>;
    /// Leases up to `limit` messages due at `now` for `lease`: no other claim sees them until then.
    async fn claim_mail(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> StoreResult<Vec<Mail>>;
    /// Delivered: removed from the outbox.
    async fn mail_sent(&self, id: &str) -> StoreResult<()>;
    /// Not delivered: tried again at `retry_at`.
    async fn mail_failed(&self, id: &str, retry_at: Timestamp, error: &str) -> StoreResult<()>;
    async fn pending_mail(&self) -> StoreResult<usize>;
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn record(&self, event: &AuditEvent) -> StoreResult<()>;
    /// The newest `limit` events, newest first.
    async fn recent_events(&self, limit: usize) -> StoreResult<Vec<AuditEvent>>;
    /// The newest `limit` events that `filter` lets through, newest first.
    async fn events_matching(
        &self,
        filter: &AuditFilter,
        limit: usize,
    ) -> StoreResult<Vec<AuditEvent>>;
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn put_signing_key(&self, key: &SigningKey) -> StoreResult<()>;
    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>>;
    /// A named secret (e.g. the cookie key), made by `make` the first time and the same ever after,
    /// for every instance sharing the store.
    async fn secret(
        &self,
        name: &str,
        make: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> StoreResult<Vec<u8>>;
}

#[async_trait]
pub trait CounterStore: Send + Sync {
    /// Counts one hit on `key` in the fixed window of `window` containing `now`; returns the
    /// count in that window including this hit.
    async fn hit(&self, key: &str, window: Duration, now: Timestamp) -> StoreResult<u64>;
    /// The count in the window containing `now`, without a hit.
    async fn count(&self, key: &str, window: Duration, now: Timestamp) -> StoreResult<u64>;
    async fn reset(&self, key: &str) -> StoreResult<()>;
}

/// What has been revoked before its natural end: token families, sessions, users' sessions.
/// Every gateway instance polls [`RevocationStore::revocations_since`] to drop what it cached.
#[async_trait]
pub trait RevocationStore: Send + Sync {
    /// Marks `subject` revoked until `until`.
    async fn revoke(&self, subject: Revoked<'_>, until: Timestamp) -> StoreResult<()>;
    async fn is_revoked(&self, subject: Revoked<'_>, now: Timestamp) -> StoreResult<bool>;
    /// Revocations recorded after `cursor` (0 for all), each as its key ([`Revoked::key`]) with
    /// the time it ends, and the cursor to ask from next time.
    async fn revocations_since(&self, cursor: u64) -> StoreResult<(Vec<(String, Timestamp)>, u64)>;
}

/// A user's memberships of groups, each with its group's name.
pub type Memberships = Vec<Membership>;

/// Who belongs to which group (`[[group]]`). Every change is logged, so every instance follows
/// it ([`GroupStore::membership_changes_since`]) into the decisions it makes from memory.
/// Second factors and recovery codes (issue 19).
#[async_trait]
pub trait FactorStore: Send + Sync {
    /// Adds or replaces (by id) one of the user's factors; [`StoreError::NotFound`] when there
    /// is no such user.
    async fn put_factor(&self, user_id: &str, factor: &SecondFactor) -> StoreResult<()>;
    /// The user's factors, oldest first.
    async fn factors(&self, user_id: &str) -> StoreResult<Vec<SecondFactor>>;
    async fn remove_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool>;
    /// Accepts the code of time step `step` for the factor if the step is later than every
    /// step accepted for it before, atomically: of two instances accepting one code at once,
    /// one gets `true`. Notes `now` as the factor's last use.
    async fn accept_step(
        &self,
        user_id: &str,
        factor_id: &str,
        step: u64,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Replaces the user's recovery codes (their hashes, see `crate::mfa::recovery`).
    async fn set_recovery_codes(&self, user_id: &str, hashes: &[String]) -> StoreResult<()>;
    /// Spends one recovery code, once: how many are left after it, or `None` when the user
    /// holds no such code (any more).
    async fn spend_recovery_code(&self, user_id: &str, hash: &str) -> StoreResult<Option<usize>>;
    async fn recovery_codes_left(&self, user_id: &str) -> StoreResult<usize>;
    /// Removes every factor and recovery code of the user (a helpdesk reset); how many factors
    /// went.
    async fn remove_second_factors(&self, user_id: &str) -> StoreResult<usize>;
}

#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Grants the user `membership`; one of the same group is replaced (a new end, a new
    /// granter).
    async fn grant(&self, user_id: &str, membership: &Membership) -> StoreResult<()>;
    /// Ends the user's membership of `group`; whether there was one.
    async fn remove_membership(&self, user_id: &str, group: &str) -> StoreResult<bool>;
    /// The user's memberships, by group name.
    async fn memberships(&self, user_id: &str) -> StoreResult<Memberships>;
    /// Every member of `group` (user id and membership), by user id.
    async fn members(&self, group: &str) -> StoreResult<Vec<(String, Membership)>>;
    /// The users whose memberships changed after `cursor`, each with all their memberships
    /// now (none: every one ended), and the cursor to ask from next time. From 0: every user
    /// that has a membership.
    async fn membership_changes_since(
        &self,
        cursor: u64,
    ) -> StoreResult<(Vec<(String, Memberships)>, u64)>;
}

/// Everything Gerbang keeps.
pub trait Store:
    UserStore
    + SessionStore
    + OneTimeStore
    + OutboxStore
    + AuditStore
    + KeyStore
    + CounterStore
    + RevocationStore
    + GroupStore
    + FactorStore
    + TransferStore
{
}

impl<T> Store for T where
    T: UserStore
        + SessionStore
        + OneTimeStore
        + OutboxStore
        + AuditStore
        + KeyStore
        + CounterStore
        + RevocationStore
        + GroupStore
        + FactorStore
        + TransferStore
{
}

pub type SharedStore = Arc<dyn Store>;
