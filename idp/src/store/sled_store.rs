//! The embedded store on sled: one process, zero set-up.

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sled::transaction::{ConflictableTransactionError, TransactionError, TransactionalTree};
use sled::Transactional;

use super::*;

pub struct SledStore {
    db: sled::Db,
    users: sled::Tree,
    unique: sled::Tree,
    sessions: sled::Tree,
    user_sessions: sled::Tree,
    once: sled::Tree,
    outbox: sled::Tree,
    audit: sled::Tree,
    keys: sled::Tree,
    secrets: sled::Tree,
    counters: sled::Tree,
    revoked: sled::Tree,
    revocation_log: sled::Tree,
    /// `user id \0 group` → membership.
    memberships: sled::Tree,
    /// Sequence → the user id whose memberships changed.
    membership_log: sled::Tree,
    /// `user id \0 factor id` → second factor.
    factors: sled::Tree,
    /// `user id \0 code hash` → nothing: the user's unspent recovery codes.
    recovery_codes: sled::Tree,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn encode<T: Serialize>(value: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(backend)
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Backend(format!("corrupt record: {e}")))
}

/// How far out of order (seconds) events are taken to be recorded: a clock stepped back.
const CLOCK_SLACK: Timestamp = 300;

fn once_key(kind: OneTimeKind, key_hash: &str) -> Vec<u8> {
    format!("{}:{key_hash}", kind.as_str()).into_bytes()
}

/// A one-time record's expiry and value (it is kept as the expiry's 8 bytes, then the value),
/// if it is still live at `now`.
fn live_once(record: &[u8], now: Timestamp) -> Option<(Timestamp, &[u8])> {
    let (expiry, value) = record.split_at_checked(8)?;
    let expires_at = u64::from_be_bytes(expiry.try_into().ok()?);
    (now < expires_at).then_some((expires_at, value))
}

/// The key of a user's record of a kind kept per user (`user id \0 name`); with an empty
/// name, the prefix of all of them.
fn per_user_key(user_id: &str, name: &str) -> Vec<u8> {
    format!("{user_id}\0{name}").into_bytes()
}

/// The name part of a [`per_user_key`]'s key, and its user id.
fn split_per_user_key(key: &[u8]) -> (String, String) {
    let key = String::from_utf8_lossy(key);
    let (user_id, name) = key.split_once('\0').unwrap_or((&key, ""));
    (user_id.to_string(), name.to_string())
}

fn user_session_key(user_id: &str, id_hash: &str) -> Vec<u8> {
    format!("{user_id}\0{id_hash}").into_bytes()
}

/// Removes every record under `prefix` at once; how many there were.
fn remove_prefix(tree: &sled::Tree, prefix: &[u8]) -> StoreResult<usize> {
    let mut batch = sled::Batch::default();
    let mut count = 0;
    for key in tree.scan_prefix(prefix).keys() {
        batch.remove(key.map_err(backend)?);
        count += 1;
    }
    tree.apply_batch(batch).map_err(backend)?;
    Ok(count)
}

type TxResult<T> = Result<T, ConflictableTransactionError<StoreError>>;

fn tx_abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

fn tx_error(e: TransactionError<StoreError>) -> StoreError {
    match e {
        TransactionError::Abort(e) => e,
        TransactionError::Storage(e) => backend(e),
    }
}

/// The `meta` tree's key for the version of the record shapes the store holds.
const VERSION_KEY: &[u8] = b"record_version";

impl SledStore {
    /// Opens (or creates) the store in `path`.
    pub fn open(path: &Path) -> StoreResult<SledStore> {
        let db = sled::Config::new()
            .path(path)
            .flush_every_ms(Some(500))
            .open()
            .map_err(|e| {
                StoreError::Backend(format!("cannot open the store at {}: {e}", path.display()))
            })?;
        let tree = |name: &str| db.open_tree(name).map_err(backend);
        SledStore {
            users: tree("users")?,
            unique: tree("unique")?,
            sessions: tree("sessions")?,
            user_sessions: tree("user_sessions")?,
            once: tree("once")?,
            outbox: tree("outbox")?,
            audit: tree("audit")?,
            keys: tree("keys")?,
            secrets: tree("secrets")?,
            counters: tree("counters")?,
            revoked: tree("revoked")?,
            revocation_log: tree("revocation_log")?,
            memberships: tree("memberships")?,
            membership_log: tree("membership_log")?,
            factors: tree("factors")?,
            recovery_codes: tree("recovery_codes")?,
            db,
        }
        .upgraded()
    }

    /// The store with every record in this build's shape: records an earlier version wrote are
    /// rewritten once (see [`upgrade`]), and the `meta` tree remembers the version reached.
    fn upgraded(self) -> StoreResult<SledStore> {
        let meta = self.db.open_tree("meta").map_err(backend)?;
        let version = match meta.get(VERSION_KEY).map_err(backend)? {
            Some(bytes) => bytes
                .as_ref()
                .try_into()
                .map(u32::from_be_bytes)
                .unwrap_or(0),
            None => 1,
        };
        if version < upgrade::RECORD_VERSION {
            let mut batch = sled::Batch::default();
            for entry in self.users.iter() {
                let (id, record) = entry.map_err(backend)?;
                if let Some(current) = upgrade::user_bytes(&record) {
                    batch.insert(id, current);
                }
            }
            self.users.apply_batch(batch).map_err(backend)?;
            meta.insert(VERSION_KEY, &upgrade::RECORD_VERSION.to_be_bytes())
                .map_err(backend)?;
            self.db.flush().map_err(backend)?;
        }
        Ok(self)
    }

    /// Makes what was written durable. sled's own `flush_async` runs on its small I/O pool,
    /// which concurrent flushes can exhaust and deadlock; a blocking flush on tokio's blocking
    /// pool cannot.
    async fn flush(&self) -> StoreResult<()> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || db.flush())
            .await
            .map_err(backend)?
            .map(|_| ())
            .map_err(backend)
    }

    fn claim_keys(unique: &TransactionalTree, keys: &[UniqueKey], id: &str) -> TxResult<()> {
        for key in keys {
            match unique.get(key.canonical().as_bytes())? {
                Some(holder) if holder != id.as_bytes() => {
                    return Err(tx_abort(StoreError::Taken(key.clone())))
                }
                _ => {
                    unique.insert(key.canonical().as_bytes(), id.as_bytes())?;
                }
            }
        }
        Ok(())
    }
}

#[async_trait]
impl UserStore for SledStore {
    async fn create_user(
        &self,
        new: NewUser,
        mail: Option<NewMail>,
        now: Timestamp,
    ) -> StoreResult<User> {
        let user = User::new(new, now);
        let keys = user.unique_keys();
        let record = encode(&user)?;
        let queued = mail.map(|message| Mail::new(message, now));
        let queued_record = queued.as_ref().map(encode).transpose()?;
        (&self.users, &self.unique, &self.outbox)
            .transaction(|(users, unique, outbox)| {
                Self::claim_keys(unique, &keys, &user.id)?;
                users.insert(user.id.as_bytes(), record.as_slice())?;
                if let (Some(mail), Some(bytes)) = (&queued, &queued_record) {
                    outbox.insert(mail.id.as_bytes(), bytes.as_slice())?;
                }
                Ok(())
            })
            .map_err(tx_error)?;
        self.flush().await?;
        Ok(user)
    }

    async fn user(&self, id: &str) -> StoreResult<Option<User>> {
        self.users
            .get(id)
            .map_err(backend)?
            .map(|b| decode(&b))
            .transpose()
    }

    async fn user_by_key(&self, key: &UniqueKey) -> StoreResult<Option<User>> {
        let canonical = key.normalised();
        match self.unique.get(canonical.canonical()).map_err(backend)? {
            Some(id) => self.user(&String::from_utf8_lossy(&id)).await,
            None => Ok(None),
        }
    }

    async fn update_user(
        &self,
        user: &User,
        mail: Option<NewMail>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let record = encode(user)?;
        let new_keys = user.unique_keys();
        let queued = mail.map(|message| Mail::new(message, now));
        let queued_record = queued.as_ref().map(encode).transpose()?;
        (&self.users, &self.unique, &self.outbox)
            .transaction(|(users, unique, outbox)| {
                let old: User = match users.get(user.id.as_bytes())? {
                    Some(bytes) => decode(&bytes).map_err(tx_abort)?,
                    None => return Err(tx_abort(StoreError::NotFound)),
                };
                Self::claim_keys(unique, &new_keys, &user.id)?;
                for key in old.unique_keys() {
                    if !new_keys.contains(&key) {
                        unique.remove(key.canonical().as_bytes())?;
                    }
                }
                users.insert(user.id.as_bytes(), record.as_slice())?;
                if let (Some(mail), Some(bytes)) = (&queued, &queued_record) {
                    outbox.insert(mail.id.as_bytes(), bytes.as_slice())?;
                }
                Ok(())
            })
            .map_err(tx_error)?;
        self.flush().await
    }

    async fn delete_user(&self, id: &str) -> StoreResult<()> {
        (&self.users, &self.unique)
            .transaction(|(users, unique)| {
                let old: User = match users.remove(id.as_bytes())? {
                    Some(bytes) => decode(&bytes).map_err(tx_abort)?,
                    None => return Err(tx_abort(StoreError::NotFound)),
                };
                for key in old.unique_keys() {
                    unique.remove(key.canonical().as_bytes())?;
                }
                Ok(())
            })
            .map_err(tx_error)?;
        self.delete_sessions_of(id).await?;
        for tree in [&self.memberships, &self.factors, &self.recovery_codes] {
            remove_prefix(tree, &per_user_key(id, ""))?;
        }
        self.log_membership_change(id)?;
        self.flush().await
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        self.users
            .iter()
            .values()
            .map(|v| decode(&v.map_err(backend)?))
            .collect()
    }
}

#[async_trait]
impl SessionStore for SledStore {
    async fn put_session(&self, session: &Session) -> StoreResult<()> {
        let record = encode(session)?;
        (&self.sessions, &self.user_sessions)
            .transaction(|(sessions, index)| {
                sessions.insert(session.id_hash.as_bytes(), record.as_slice())?;
                index.insert(user_session_key(&session.user_id, &session.id_hash), &[])?;
                Ok::<_, ConflictableTransactionError<StoreError>>(())
            })
            .map_err(tx_error)?;
        self.flush().await
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        self.sessions
            .get(id_hash)
            .map_err(backend)?
            .map(|b| decode(&b))
            .transpose()
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        if let Some(bytes) = self.sessions.remove(id_hash).map_err(backend)? {
            let session: Session = decode(&bytes)?;
            self.user_sessions
                .remove(user_session_key(&session.user_id, id_hash))
                .map_err(backend)?;
        }
        self.flush().await
    }

    async fn sessions_of(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        let prefix = format!("{user_id}\0");
        let mut found = Vec::new();
        for key in self.user_sessions.scan_prefix(prefix.as_bytes()).keys() {
            let key = key.map_err(backend)?;
            let id_hash = String::from_utf8_lossy(&key[prefix.len()..]).into_owned();
            if let Some(session) = self.session(&id_hash).await? {
                found.push(session);
            }
        }
        Ok(found)
    }

    async fn delete_sessions_of(&self, user_id: &str) -> StoreResult<usize> {
        let sessions = self.sessions_of(user_id).await?;
        for s in &sessions {
            self.sessions
                .remove(s.id_hash.as_bytes())
                .map_err(backend)?;
            self.user_sessions
                .remove(user_session_key(user_id, &s.id_hash))
                .map_err(backend)?;
        }
        self.flush().await?;
        Ok(sessions.len())
    }

    async fn count_sessions(&self) -> StoreResult<usize> {
        Ok(self.sessions.len())
    }
}

#[async_trait]
impl OneTimeStore for SledStore {
    async fn put_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        value: &[u8],
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        let mut record = expires_at.to_be_bytes().to_vec();
        record.extend_from_slice(value);
        self.once
            .insert(once_key(kind, key_hash), record)
            .map_err(backend)?;
        if matches!(
            kind,
            OneTimeKind::ActivationLink | OneTimeKind::ResetLink | OneTimeKind::RefreshToken
        ) {
            self.flush().await?;
        }
        Ok(())
    }

    async fn take_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<u8>>> {
        let record = self
            .once
            .remove(once_key(kind, key_hash))
            .map_err(backend)?;
        Ok(record
            .as_deref()
            .and_then(|r| live_once(r, now))
            .map(|(_, value)| value.to_vec()))
    }

    async fn spend_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
        spent_until: Timestamp,
    ) -> StoreResult<Spent> {
        let (key, marker) = (
            once_key(kind, key_hash),
            once_key(kind, &spent_key(key_hash)),
        );
        let spent = self
            .once
            .transaction(|tx| {
                if let Some(record) = tx.remove(key.as_slice())? {
                    if let Some((expires_at, value)) = live_once(&record, now) {
                        let mut kept = spent_until.max(expires_at).to_be_bytes().to_vec();
                        kept.extend_from_slice(value);
                        tx.insert(marker.as_slice(), kept)?;
                        return Ok(Spent::First(value.to_vec()));
                    }
                }
                let before = tx.get(marker.as_slice())?;
                Ok::<_, ConflictableTransactionError<StoreError>>(
                    match before.as_deref().and_then(|r| live_once(r, now)) {
                        Some((_, value)) => Spent::Again(value.to_vec()),
                        None => Spent::Unknown,
                    },
                )
            })
            .map_err(tx_error)?;
        if matches!(spent, Spent::First(_)) {
            self.flush().await?;
        }
        Ok(spent)
    }

    async fn first_use(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<bool> {
        let key = once_key(kind, key_hash);
        let first = self
            .once
            .transaction(|tx| {
                let before = tx.get(key.as_slice())?;
                if before.as_deref().and_then(|r| live_once(r, now)).is_some() {
                    return Ok(false);
                }
                tx.insert(key.as_slice(), expires_at.to_be_bytes().to_vec())?;
                Ok::<_, ConflictableTransactionError<StoreError>>(true)
            })
            .map_err(tx_error)?;
        if first {
            self.flush().await?;
        }
        Ok(first)
    }

    async fn peek_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<u8>>> {
        let record = self.once.get(once_key(kind, key_hash)).map_err(backend)?;
        Ok(record
            .as_deref()
            .and_then(|r| live_once(r, now))
            .map(|(_, value)| value.to_vec()))
    }

    async fn live_with_prefix(
        &self,
        kind: OneTimeKind,
        prefix: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<(String, Timestamp)>> {
        let start = once_key(kind, "").len();
        let mut live = Vec::new();
        for entry in self.once.scan_prefix(once_key(kind, prefix)) {
            let (key, record) = entry.map_err(backend)?;
            if let Some((expires_at, _)) = live_once(&record, now) {
                let name = String::from_utf8_lossy(&key[start..]).into_owned();
                live.push((name, expires_at));
            }
        }
        Ok(live)
    }

    async fn purge_expired(&self, now: Timestamp) -> StoreResult<usize> {
        let mut purged = 0;
        for entry in self.once.iter() {
            let (key, record) = entry.map_err(backend)?;
            let expiry = record
                .get(..8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_be_bytes);
            if expiry.is_none_or(|e| e <= now)
                && self
                    .once
                    .compare_and_swap(&key, Some(&record), None::<&[u8]>)
                    .map_err(backend)?
                    .is_ok()
            {
                purged += 1;
            }
        }
        Ok(purged)
    }
}

#[async_trait]
impl OutboxStore for SledStore {
    async fn enqueue_mail(&self, message: NewMail, now: Timestamp) -> StoreResult<String> {
        let mail = Mail::new(message, now);
        self.outbox
            .insert(mail.id.as_bytes(), encode(&mail)?)
            .map_err(backend)?;
        self.flush().await?;
        Ok(mail.id)
    }

    async fn claim_mail(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> StoreResult<Vec<Mail>> {
        let mut claimed = Vec::new();
        for entry in self.outbox.iter() {
            if claimed.len() >= limit {
                break;
            }
            let (key, bytes) = entry.map_err(backend)?;
            let mut mail: Mail = decode(&bytes)?;
            if mail.not_before > now {
                continue;
            }
            mail.not_before = now + lease.as_secs().max(1);
            mail.attempts += 1;
            let swapped = self
                .outbox
                .compare_and_swap(&key, Some(&bytes), Some(encode(&mail)?))
                .map_err(backend)?;
            if swapped.is_ok() {
                claimed.push(mail);
            }
        }
        if !claimed.is_empty() {
            self.flush().await?;
        }
        Ok(claimed)
    }

    async fn mail_sent(&self, id: &str) -> StoreResult<()> {
        self.outbox.remove(id).map_err(backend)?;
        self.flush().await
    }

    async fn mail_failed(&self, id: &str, retry_at: Timestamp, error: &str) -> StoreResult<()> {
        let updated = self
            .outbox
            .update_and_fetch(id, |old| {
                let mut mail: Mail = serde_json::from_slice(old?).ok()?;
                mail.not_before = retry_at;
                mail.last_error = Some(error.to_string());
                serde_json::to_vec(&mail).ok()
            })
            .map_err(backend)?;
        if updated.is_none() {
            return Err(StoreError::NotFound);
        }
        self.flush().await
    }

    async fn pending_mail(&self) -> StoreResult<usize> {
        Ok(self.outbox.len())
    }
}

#[async_trait]
impl AuditStore for SledStore {
    async fn record(&self, event: &AuditEvent) -> StoreResult<()> {
        let seq = self.db.generate_id().map_err(backend)?;
        self.audit
            .insert(seq.to_be_bytes(), encode(event)?)
            .map_err(backend)?;
        self.flush().await
    }

    async fn recent_events(&self, limit: usize) -> StoreResult<Vec<AuditEvent>> {
        self.audit
            .iter()
            .values()
            .rev()
            .take(limit)
            .map(|v| decode(&v.map_err(backend)?))
            .collect()
    }

    async fn events_matching(
        &self,
        filter: &AuditFilter,
        limit: usize,
    ) -> StoreResult<Vec<AuditEvent>> {
        let mut found = Vec::new();
        for value in self.audit.iter().values().rev() {
            let event: AuditEvent = decode(&value.map_err(backend)?)?;
            if filter
                .from
                .is_some_and(|from| event.at + CLOCK_SLACK < from)
            {
                // Well before the range: the log only runs further back from here.
                break;
            }
            if filter.matches(&event) {
                found.push(event);
                if found.len() == limit {
                    break;
                }
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl KeyStore for SledStore {
    async fn put_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        self.keys
            .insert(key.kid.as_bytes(), encode(key)?)
            .map_err(backend)?;
        self.flush().await
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        self.keys
            .iter()
            .values()
            .map(|v| decode(&v.map_err(backend)?))
            .collect()
    }

    async fn secret(
        &self,
        name: &str,
        make: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> StoreResult<Vec<u8>> {
        if let Some(existing) = self.secrets.get(name).map_err(backend)? {
            return Ok(existing.to_vec());
        }
        let fresh = make();
        match self
            .secrets
            .compare_and_swap(name, None::<&[u8]>, Some(fresh.as_slice()))
            .map_err(backend)?
        {
            Ok(()) => {
                self.flush().await?;
                Ok(fresh)
            }
            Err(lost) => Ok(lost.current.map(|v| v.to_vec()).unwrap_or_default()),
        }
    }
}

fn window_start(window: Duration, now: Timestamp) -> u64 {
    let w = window.as_secs().max(1);
    now - now % w
}

fn read_counter(bytes: Option<&[u8]>) -> (u64, u64) {
    let word = |range: std::ops::Range<usize>| {
        bytes
            .and_then(|b| b.get(range))
            .and_then(|b| b.try_into().ok())
            .map_or(0, u64::from_be_bytes)
    };
    (word(0..8), word(8..16))
}

#[async_trait]
impl CounterStore for SledStore {
    async fn hit(&self, key: &str, window: Duration, now: Timestamp) -> StoreResult<u64> {
        let start = window_start(window, now);
        let updated = self
            .counters
            .update_and_fetch(key, |old| {
                let (old_start, count) = read_counter(old);
                let count = if old_start == start { count + 1 } else { 1 };
                let mut record = start.to_be_bytes().to_vec();
                record.extend_from_slice(&count.to_be_bytes());
                Some(record)
            })
            .map_err(backend)?;
        Ok(read_counter(updated.as_deref()).1)
    }

    async fn count(&self, key: &str, window: Duration, now: Timestamp) -> StoreResult<u64> {
        let record = self.counters.get(key).map_err(backend)?;
        let (start, count) = read_counter(record.as_deref());
        Ok(if start == window_start(window, now) {
            count
        } else {
            0
        })
    }

    async fn reset(&self, key: &str) -> StoreResult<()> {
        self.counters.remove(key).map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl RevocationStore for SledStore {
    async fn revoke(&self, subject: Revoked<'_>, until: Timestamp) -> StoreResult<()> {
        let subject = subject.key();
        let seq = self.db.generate_id().map_err(backend)? + 1;
        self.revoked
            .insert(subject.as_bytes(), &until.to_be_bytes())
            .map_err(backend)?;
        let mut entry = until.to_be_bytes().to_vec();
        entry.extend_from_slice(subject.as_bytes());
        self.revocation_log
            .insert(seq.to_be_bytes(), entry)
            .map_err(backend)?;
        self.flush().await
    }

    async fn is_revoked(&self, subject: Revoked<'_>, now: Timestamp) -> StoreResult<bool> {
        let until = self.revoked.get(subject.key()).map_err(backend)?;
        Ok(read_counter(until.as_deref()).0 > now)
    }

    async fn revocations_since(&self, cursor: u64) -> StoreResult<(Vec<(String, Timestamp)>, u64)> {
        let mut subjects = Vec::new();
        let mut last = cursor;
        for entry in self.revocation_log.range((cursor + 1).to_be_bytes()..) {
            let (key, value) = entry.map_err(backend)?;
            last = key
                .as_ref()
                .try_into()
                .map(u64::from_be_bytes)
                .unwrap_or(last);
            let (until, subject) = value.split_at(8.min(value.len()));
            let until = read_counter(Some(until)).0;
            subjects.push((String::from_utf8_lossy(subject).into_owned(), until));
        }
        Ok((subjects, last))
    }
}

impl SledStore {
    fn log_membership_change(&self, user_id: &str) -> StoreResult<()> {
        let seq = self.db.generate_id().map_err(backend)? + 1;
        self.membership_log
            .insert(seq.to_be_bytes(), user_id.as_bytes())
            .map_err(backend)?;
        Ok(())
    }

    fn memberships_of(&self, user_id: &str) -> StoreResult<Memberships> {
        self.memberships
            .scan_prefix(per_user_key(user_id, ""))
            .values()
            .map(|v| decode(&v.map_err(backend)?))
            .collect()
    }
}

#[async_trait]
impl GroupStore for SledStore {
    async fn grant(&self, user_id: &str, membership: &Membership) -> StoreResult<()> {
        if !self.users.contains_key(user_id).map_err(backend)? {
            return Err(StoreError::NotFound);
        }
        self.memberships
            .insert(
                per_user_key(user_id, &membership.group),
                encode(membership)?,
            )
            .map_err(backend)?;
        self.log_membership_change(user_id)?;
        self.flush().await
    }

    async fn remove_membership(&self, user_id: &str, group: &str) -> StoreResult<bool> {
        let had = self
            .memberships
            .remove(per_user_key(user_id, group))
            .map_err(backend)?
            .is_some();
        if had {
            self.log_membership_change(user_id)?;
            self.flush().await?;
        }
        Ok(had)
    }

    async fn memberships(&self, user_id: &str) -> StoreResult<Memberships> {
        self.memberships_of(user_id)
    }

    async fn members(&self, group: &str) -> StoreResult<Vec<(String, Membership)>> {
        let mut members = Vec::new();
        for entry in self.memberships.iter() {
            let (key, value) = entry.map_err(backend)?;
            let membership: Membership = decode(&value)?;
            if membership.group == group {
                let key = String::from_utf8_lossy(&key);
                let user_id = key.split('\0').next().unwrap_or_default().to_string();
                members.push((user_id, membership));
            }
        }
        Ok(members)
    }

    async fn membership_changes_since(
        &self,
        cursor: u64,
    ) -> StoreResult<(Vec<(String, Memberships)>, u64)> {
        let mut users = std::collections::BTreeSet::new();
        let mut last = cursor;
        for entry in self.membership_log.range((cursor + 1).to_be_bytes()..) {
            let (key, user_id) = entry.map_err(backend)?;
            last = key
                .as_ref()
                .try_into()
                .map(u64::from_be_bytes)
                .unwrap_or(last);
            users.insert(String::from_utf8_lossy(&user_id).into_owned());
        }
        let mut changed = Vec::with_capacity(users.len());
        for id in users {
            let now_held = self.memberships_of(&id)?;
            changed.push((id, now_held));
        }
        Ok((changed, last))
    }
}

#[async_trait]
impl FactorStore for SledStore {
    async fn put_factor(&self, user_id: &str, factor: &SecondFactor) -> StoreResult<()> {
        if !self.users.contains_key(user_id).map_err(backend)? {
            return Err(StoreError::NotFound);
        }
        self.factors
            .insert(per_user_key(user_id, &factor.id), encode(factor)?)
            .map_err(backend)?;
        self.flush().await
    }

    async fn factors(&self, user_id: &str) -> StoreResult<Vec<SecondFactor>> {
        let mut factors: Vec<SecondFactor> = self
            .factors
            .scan_prefix(per_user_key(user_id, ""))
            .values()
            .map(|v| decode(&v.map_err(backend)?))
            .collect::<StoreResult<_>>()?;
        factors.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(factors)
    }

    async fn remove_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool> {
        let had = self
            .factors
            .remove(per_user_key(user_id, factor_id))
            .map_err(backend)?
            .is_some();
        self.flush().await?;
        Ok(had)
    }

    async fn accept_step(
        &self,
        user_id: &str,
        factor_id: &str,
        step: u64,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let key = per_user_key(user_id, factor_id);
        loop {
            let Some(old) = self.factors.get(&key).map_err(backend)? else {
                return Ok(false);
            };
            let mut factor: SecondFactor = decode(&old)?;
            if factor.last_step.is_some_and(|last| last >= step) {
                return Ok(false);
            }
            factor.last_step = Some(step);
            factor.last_used_at = Some(now);
            let swapped = self
                .factors
                .compare_and_swap(&key, Some(old), Some(encode(&factor)?))
                .map_err(backend)?;
            if swapped.is_ok() {
                self.flush().await?;
                return Ok(true);
            }
        }
    }

    async fn set_recovery_codes(&self, user_id: &str, hashes: &[String]) -> StoreResult<()> {
        if !self.users.contains_key(user_id).map_err(backend)? {
            return Err(StoreError::NotFound);
        }
        let mut batch = sled::Batch::default();
        for key in self
            .recovery_codes
            .scan_prefix(per_user_key(user_id, ""))
            .keys()
        {
            batch.remove(key.map_err(backend)?);
        }
        for hash in hashes {
            batch.insert(per_user_key(user_id, hash), &[]);
        }
        self.recovery_codes.apply_batch(batch).map_err(backend)?;
        self.flush().await
    }

    async fn spend_recovery_code(&self, user_id: &str, hash: &str) -> StoreResult<Option<usize>> {
        let spent = self
            .recovery_codes
            .remove(per_user_key(user_id, hash))
            .map_err(backend)?
            .is_some();
        if !spent {
            return Ok(None);
        }
        self.flush().await?;
        self.recovery_codes_left(user_id).await.map(Some)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> StoreResult<usize> {
        Ok(self
            .recovery_codes
            .scan_prefix(per_user_key(user_id, ""))
            .count())
    }

    async fn remove_second_factors(&self, user_id: &str) -> StoreResult<usize> {
        let prefix = per_user_key(user_id, "");
        let removed = remove_prefix(&self.factors, &prefix)?;
        remove_prefix(&self.recovery_codes, &prefix)?;
        self.flush().await?;
        Ok(removed)
    }
}

#[async_trait]
impl TransferStore for SledStore {
    async fn export(&self) -> StoreResult<Vec<Record>> {
        fn values<T: DeserializeOwned>(tree: &sled::Tree) -> StoreResult<Vec<T>> {
            tree.iter()
                .values()
                .map(|v| decode(&v.map_err(backend)?))
                .collect()
        }
        fn entries(tree: &sled::Tree) -> StoreResult<Vec<(String, sled::IVec)>> {
            tree.iter()
                .map(|entry| {
                    let (key, value) = entry.map_err(backend)?;
                    Ok((String::from_utf8_lossy(&key).into_owned(), value))
                })
                .collect()
        }
        let split_expiry = |record: &[u8]| {
            let (expiry, value) = record.split_at(8.min(record.len()));
            (read_counter(Some(expiry)).0, value.to_vec())
        };
        let mut records: Vec<Record> = values(&self.keys)?
            .into_iter()
            .map(Record::SigningKey)
            .collect();
        for (name, value) in entries(&self.secrets)? {
            records.push(Record::Secret {
                name,
                value: value.to_vec(),
            });
        }
        records.extend(
            values(&self.users)?
                .into_iter()
                .map(|u| Record::User(Box::new(u))),
        );
        records.extend(values(&self.sessions)?.into_iter().map(Record::Session));
        for (key, record) in entries(&self.once)? {
            let (kind, key_hash) = key.split_once(':').unwrap_or(("", &key));
            let (expires_at, value) = split_expiry(&record);
            records.push(Record::OneTime {
                kind: kind.to_string(),
                key_hash: key_hash.to_string(),
                value,
                expires_at,
            });
        }
        records.extend(values(&self.outbox)?.into_iter().map(Record::Mail));
        records.extend(values(&self.audit)?.into_iter().map(Record::Audit));
        for (subject, until) in entries(&self.revoked)? {
            records.push(Record::Revoked {
                subject,
                until: read_counter(Some(&until)).0,
            });
        }
        for entry in self.memberships.iter() {
            let (key, value) = entry.map_err(backend)?;
            let key = String::from_utf8_lossy(&key);
            records.push(Record::Membership {
                user_id: key.split('\0').next().unwrap_or_default().to_string(),
                membership: decode(&value)?,
            });
        }
        for entry in self.factors.iter() {
            let (key, value) = entry.map_err(backend)?;
            records.push(Record::SecondFactor {
                user_id: split_per_user_key(&key).0,
                factor: decode(&value)?,
            });
        }
        for key in self.recovery_codes.iter().keys() {
            let (user_id, code_hash) = split_per_user_key(&key.map_err(backend)?);
            records.push(Record::RecoveryCode { user_id, code_hash });
        }
        Ok(records)
    }

    async fn restore(&self, record: &Record) -> StoreResult<()> {
        match record {
            Record::SigningKey(key) => self.put_signing_key(key).await,
            Record::Secret { name, value } => self
                .secrets
                .insert(name.as_bytes(), value.as_slice())
                .map(|_| ())
                .map_err(backend),
            Record::User(user) => {
                let keys = user.unique_keys();
                let bytes = encode(user)?;
                (&self.users, &self.unique)
                    .transaction(|(users, unique)| {
                        Self::claim_keys(unique, &keys, &user.id)?;
                        users.insert(user.id.as_bytes(), bytes.as_slice())?;
                        Ok(())
                    })
                    .map_err(tx_error)
            }
            Record::Session(session) => self.put_session(session).await,
            Record::OneTime {
                kind,
                key_hash,
                value,
                expires_at,
            } => {
                let mut bytes = expires_at.to_be_bytes().to_vec();
                bytes.extend_from_slice(value);
                self.once
                    .insert(format!("{kind}:{key_hash}").as_bytes(), bytes)
                    .map(|_| ())
                    .map_err(backend)
            }
            Record::Mail(mail) => self
                .outbox
                .insert(mail.id.as_bytes(), encode(mail)?)
                .map(|_| ())
                .map_err(backend),
            Record::Audit(event) => self.record(event).await,
            Record::Revoked { subject, until } => match Revoked::parse(subject) {
                Some(revoked) => self.revoke(revoked, *until).await,
                None => Err(StoreError::Backend(format!(
                    "the export revokes {subject:?}, which no kind of revocation names"
                ))),
            },
            Record::Membership {
                user_id,
                membership,
            } => self.grant(user_id, membership).await,
            Record::SecondFactor { user_id, factor } => self.put_factor(user_id, factor).await,
            Record::RecoveryCode { user_id, code_hash } => self
                .recovery_codes
                .insert(per_user_key(user_id, code_hash), &[])
                .map(|_| ())
                .map_err(backend),
        }
    }

    async fn finish_import(&self) -> StoreResult<()> {
        self.flush().await
    }
}
