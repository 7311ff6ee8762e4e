//! The PostgreSQL backend, for several Gerbang instances sharing one store. Uniqueness and
//! single use are the database's: unique keys are a primary key, a one-time value is taken by
//! one `DELETE … RETURNING`, and outbox claims use `FOR UPDATE SKIP LOCKED`, so no instance
//! reads and then writes what another may have changed in between.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use async_trait::async_trait;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Transaction};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};

type Params<'a> = &'a [&'a (dyn ToSql + Sync)];

use super::*;

/// One step of the schema: SQL, or records rewritten into a new shape (see [`upgrade`]).
enum Migration {
    Sql(&'static str),
    /// Version 2: user records take typed profiles.
    UserRecords,
}

/// The schema's versions, applied in order by [`PgStore::migrate`].
const MIGRATIONS: &[(i32, Migration)] = &[
    (
        1,
        Migration::Sql(include_str!("migrations/0001_initial.sql")),
    ),
    (2, Migration::UserRecords),
    (
        3,
        Migration::Sql(include_str!("migrations/0003_groups.sql")),
    ),
    (
        4,
        Migration::Sql(include_str!("migrations/0004_second_factors.sql")),
    ),
];

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

pub struct PgStore {
    pool: Pool,
    /// Drives every connection, whichever runtime asked for it: a connection opened by a
    /// short-lived start-up runtime would otherwise die with it.
    _connections: ConnectionRuntime,
}

/// A small runtime of its own on which connections are opened and driven.
struct ConnectionRuntime(Option<tokio::runtime::Runtime>);

impl Drop for ConnectionRuntime {
    fn drop(&mut self) {
        // The store may be dropped inside async code, where a blocking shutdown would panic.
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Opens connections on the store's runtime (see `PgStore::_connections`).
struct SpawnOn(tokio::runtime::Handle);

impl deadpool_postgres::Connect for SpawnOn {
    fn connect(
        &self,
        config: &tokio_postgres::Config,
    ) -> Pin<Box<dyn Future<Output = PgConnectResult> + Send + '_>> {
        let config = config.clone();
        let opened = self.0.spawn(open_connection(config.clone()));
        Box::pin(async move {
            match opened.await {
                Ok(result) => result,
                // Only when the store's runtime is shutting down: open one here instead.
                Err(_) => open_connection(config).await,
            }
        })
    }
}

type PgConnectResult =
    Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), tokio_postgres::Error>;

/// Opens a connection and spawns its driver on the current runtime.
async fn open_connection(config: tokio_postgres::Config) -> PgConnectResult {
    let (client, connection) = config.connect(NoTls).await?;
    let driver = tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::warn!(error = %e, "PostgreSQL connection ended");
        }
    });
    Ok((client, driver))
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

fn to_json<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(backend)
}

fn from_json<T: DeserializeOwned>(text: &str) -> StoreResult<T> {
    serde_json::from_str(text).map_err(backend)
}

/// Timestamps and counts as PostgreSQL's BIGINT.
fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn uint(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

impl PgStore {
    /// A pool of connections to the configured database, its tables in the configured schema
    /// (else the server's search path). Nothing connects until the first use.
    pub fn connect(options: &gerbang_config::Postgres) -> StoreResult<PgStore> {
        let mut config: tokio_postgres::Config = options.url.expose().parse().map_err(backend)?;
        config.connect_timeout(options.timeout);
        if let Some(schema) = &options.schema {
            config.options(format!("-c search_path={schema}"));
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("gerbang-postgres")
            .enable_all()
            .build()
            .map_err(backend)?;
        let manager = Manager::from_connect(
            config,
            SpawnOn(runtime.handle().clone()),
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .wait_timeout(Some(options.timeout))
            .create_timeout(Some(options.timeout))
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(backend)?;
        Ok(PgStore {
            pool,
            _connections: ConnectionRuntime(Some(runtime)),
        })
    }

    async fn client(&self) -> StoreResult<deadpool_postgres::Object> {
        self.pool.get().await.map_err(backend)
    }

    /// Runs one statement on a pooled connection: how many rows it touched.
    async fn execute(&self, sql: &str, params: Params<'_>) -> StoreResult<u64> {
        self.client()
            .await?
            .execute(sql, params)
            .await
            .map_err(backend)
    }

    async fn rows(&self, sql: &str, params: Params<'_>) -> StoreResult<Vec<Row>> {
        self.client()
            .await?
            .query(sql, params)
            .await
            .map_err(backend)
    }

    async fn row(&self, sql: &str, params: Params<'_>) -> StoreResult<Option<Row>> {
        self.client()
            .await?
            .query_opt(sql, params)
            .await
            .map_err(backend)
    }

    /// The record (JSON in the first column) of the row a query finds, if any.
    async fn fetch_one<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> StoreResult<Option<T>> {
        let row = self.row(sql, params).await?;
        row.map(|r| from_json(r.get(0))).transpose()
    }

    /// The records (JSON in the first column) of the rows a query finds.
    async fn fetch_all<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: Params<'_>,
    ) -> StoreResult<Vec<T>> {
        let rows = self.rows(sql, params).await?;
        rows.iter().map(|r| from_json(r.get(0))).collect()
    }

    /// The number a `SELECT count(*) …` finds.
    async fn count(&self, sql: &str) -> StoreResult<usize> {
        let count: i64 = self.row_one(sql, &[]).await?.get(0);
        Ok(usize::try_from(count).unwrap_or(0))
    }

    async fn row_one(&self, sql: &str, params: Params<'_>) -> StoreResult<Row> {
        self.client()
            .await?
            .query_one(sql, params)
            .await
            .map_err(backend)
    }

    /// The newest migration applied to the database (0 when none is).
    pub async fn schema_version(&self) -> StoreResult<i32> {
        let client = self.client().await?;
        let exists = client
            .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
            .await
            .map_err(backend)?
            .get::<_, bool>(0);
        if !exists {
            return Ok(0);
        }
        let row = client
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(backend)?;
        Ok(row.get(0))
    }

    /// Fails unless the database is at exactly the version this build expects.
    pub async fn check_schema(&self) -> StoreResult<()> {
        match self.schema_version().await? {
            SCHEMA_VERSION => Ok(()),
            found => Err(StoreError::SchemaVersion {
                found,
                needed: SCHEMA_VERSION,
            }),
        }
    }

    /// Applies the migrations not yet applied, one transaction each, under an advisory lock so
    /// that instances starting together do not race. Returns the schema version.
    pub async fn migrate(&self) -> StoreResult<i32> {
        self.migrate_to(SCHEMA_VERSION).await
    }

    /// [`PgStore::migrate`] up to version `target` only (a test builds an old database with it).
    pub async fn migrate_to(&self, target: i32) -> StoreResult<i32> {
        let mut client = self.client().await?;
        client
            .batch_execute(
                "SET client_min_messages = warning; \
                 CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now()); \
                 RESET client_min_messages",
            )
            .await
            .map_err(backend)?;
        let mut version = 0;
        for (number, step) in MIGRATIONS.iter().filter(|(n, _)| *n <= target) {
            let tx = client.transaction().await.map_err(backend)?;
            tx.execute("SELECT pg_advisory_xact_lock(7403392011)", &[])
                .await
                .map_err(backend)?;
            let applied = tx
                .query_opt(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[number],
                )
                .await
                .map_err(backend)?
                .is_some();
            if !applied {
                match step {
                    Migration::Sql(sql) => tx.batch_execute(sql).await.map_err(backend)?,
                    Migration::UserRecords => Self::upgrade_user_records(&tx).await?,
                }
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[number],
                )
                .await
                .map_err(backend)?;
            }
            tx.commit().await.map_err(backend)?;
            version = *number;
        }
        Ok(version)
    }

    /// Rewrites every user record an earlier version wrote into this version's shape.
    async fn upgrade_user_records(tx: &Transaction<'_>) -> StoreResult<()> {
        let rows = tx
            .query("SELECT id, record FROM users FOR UPDATE", &[])
            .await
            .map_err(backend)?;
        for row in rows {
            let (id, record): (String, String) = (row.get(0), row.get(1));
            if let Some(current) = upgrade::user_bytes(record.as_bytes()) {
                let current = String::from_utf8(current).map_err(backend)?;
                tx.execute(
                    "UPDATE users SET record = $2 WHERE id = $1",
                    &[&id, &current],
                )
                .await
                .map_err(backend)?;
            }
        }
        Ok(())
    }

    /// Claims `keys` for user `id` inside `tx`; another holder of any of them aborts.
    async fn claim_keys(tx: &Transaction<'_>, keys: &[UniqueKey], id: &str) -> StoreResult<()> {
        for key in keys {
            let canonical = key.canonical();
            let inserted = tx
                .execute(
                    "INSERT INTO unique_keys (key, user_id) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                    &[&canonical, &id],
                )
                .await
                .map_err(backend)?;
            if inserted == 0 {
                let holder: String = tx
                    .query_one(
                        "SELECT user_id FROM unique_keys WHERE key = $1",
                        &[&canonical],
                    )
                    .await
                    .map_err(backend)?
                    .get(0);
                if holder != id {
                    return Err(StoreError::Taken(key.clone()));
                }
            }
        }
        Ok(())
    }

    async fn queue_in(
        tx: &Transaction<'_>,
        mail: Option<NewMail>,
        now: Timestamp,
    ) -> StoreResult<()> {
        if let Some(message) = mail {
            let mail = Mail::new(message, now);
            tx.execute(
                "INSERT INTO outbox (id, message, queued_at, attempts, not_before) VALUES ($1, $2, $3, 0, $3)",
                &[&mail.id, &to_json(&mail.message)?, &int(now)],
            )
            .await
            .map_err(backend)?;
        }
        Ok(())
    }
}

#[async_trait]
impl UserStore for PgStore {
    async fn create_user(
        &self,
        new: NewUser,
        mail: Option<NewMail>,
        now: Timestamp,
    ) -> StoreResult<User> {
        let user = User::new(new, now);
        let keys = user.unique_keys();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.execute(
            "INSERT INTO users (id, record) VALUES ($1, $2)",
            &[&user.id, &to_json(&user)?],
        )
        .await
        .map_err(backend)?;
        Self::claim_keys(&tx, &keys, &user.id).await?;
        Self::queue_in(&tx, mail, now).await?;
        tx.commit().await.map_err(backend)?;
        Ok(user)
    }

    async fn user(&self, id: &str) -> StoreResult<Option<User>> {
        self.fetch_one("SELECT record FROM users WHERE id = $1", &[&id])
            .await
    }

    async fn user_by_key(&self, key: &UniqueKey) -> StoreResult<Option<User>> {
        self.fetch_one(
            "SELECT u.record FROM unique_keys k JOIN users u ON u.id = k.user_id WHERE k.key = $1",
            &[&key.normalised().canonical()],
        )
        .await
    }

    async fn update_user(
        &self,
        user: &User,
        mail: Option<NewMail>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let new_keys = user.unique_keys();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let old = tx
            .query_opt(
                "SELECT record FROM users WHERE id = $1 FOR UPDATE",
                &[&user.id],
            )
            .await
            .map_err(backend)?
            .ok_or(StoreError::NotFound)?;
        let old: User = from_json(old.get(0))?;
        Self::claim_keys(&tx, &new_keys, &user.id).await?;
        for key in old.unique_keys() {
            if !new_keys.contains(&key) {
                tx.execute(
                    "DELETE FROM unique_keys WHERE key = $1 AND user_id = $2",
                    &[&key.canonical(), &user.id],
                )
                .await
                .map_err(backend)?;
            }
        }
        tx.execute(
            "UPDATE users SET record = $2 WHERE id = $1",
            &[&user.id, &to_json(user)?],
        )
        .await
        .map_err(backend)?;
        Self::queue_in(&tx, mail, now).await?;
        tx.commit().await.map_err(backend)
    }

    async fn delete_user(&self, id: &str) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let deleted = tx
            .execute("DELETE FROM users WHERE id = $1", &[&id])
            .await
            .map_err(backend)?;
        if deleted == 0 {
            return Err(StoreError::NotFound);
        }
        tx.execute("DELETE FROM sessions WHERE user_id = $1", &[&id])
            .await
            .map_err(backend)?;
        // Its memberships went with the row (ON DELETE CASCADE): tell the followers.
        tx.execute("INSERT INTO membership_log (user_id) VALUES ($1)", &[&id])
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn users(&self) -> StoreResult<Vec<User>> {
        self.fetch_all("SELECT record FROM users ORDER BY id", &[])
            .await
    }
}

#[async_trait]
impl SessionStore for PgStore {
    async fn put_session(&self, session: &Session) -> StoreResult<()> {
        self.execute(
                "INSERT INTO sessions (id_hash, user_id, record) VALUES ($1, $2, $3) \
                 ON CONFLICT (id_hash) DO UPDATE SET user_id = EXCLUDED.user_id, record = EXCLUDED.record",
                &[&session.id_hash, &session.user_id, &to_json(session)?],
            ).await?;
        Ok(())
    }

    async fn session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        self.fetch_one(
            "SELECT record FROM sessions WHERE id_hash = $1",
            &[&id_hash],
        )
        .await
    }

    async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
        self.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash])
            .await?;
        Ok(())
    }

    async fn sessions_of(&self, user_id: &str) -> StoreResult<Vec<Session>> {
        self.fetch_all(
            "SELECT record FROM sessions WHERE user_id = $1",
            &[&user_id],
        )
        .await
    }

    async fn delete_sessions_of(&self, user_id: &str) -> StoreResult<usize> {
        let deleted = self
            .execute("DELETE FROM sessions WHERE user_id = $1", &[&user_id])
            .await?;
        Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
    }

    async fn count_sessions(&self) -> StoreResult<usize> {
        self.count("SELECT count(*) FROM sessions").await
    }
}

#[async_trait]
impl OneTimeStore for PgStore {
    async fn put_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        value: &[u8],
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        self.execute(
                "INSERT INTO one_time (kind, key_hash, value, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (kind, key_hash) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at",
                &[&kind.as_str(), &key_hash, &value, &int(expires_at)],
            ).await?;
        Ok(())
    }

    async fn take_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<u8>>> {
        let row = self.row(
                "DELETE FROM one_time WHERE kind = $1 AND key_hash = $2 RETURNING value, expires_at",
                &[&kind.as_str(), &key_hash],
            ).await?;
        Ok(row.and_then(|r| (uint(r.get(1)) > now).then(|| r.get(0))))
    }

    async fn spend_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
        spent_until: Timestamp,
    ) -> StoreResult<Spent> {
        let (kind, marker) = (kind.as_str(), spent_key(key_hash));
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        // A concurrent spend waits here for this row's lock; when it gets it the row is gone
        // and the marker below is committed, so it finds `Again`.
        let taken = tx
            .query_opt(
                "DELETE FROM one_time WHERE kind = $1 AND key_hash = $2 RETURNING value, expires_at",
                &[&kind, &key_hash],
            )
            .await
            .map_err(backend)?
            .filter(|r| uint(r.get(1)) > now);
        let spent = if let Some(row) = taken {
            let value: Vec<u8> = row.get(0);
            let kept_until = spent_until.max(uint(row.get(1)));
            tx.execute(
                "INSERT INTO one_time (kind, key_hash, value, expires_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (kind, key_hash) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at",
                &[&kind, &marker, &value, &int(kept_until)],
            )
            .await
            .map_err(backend)?;
            Spent::First(value)
        } else {
            tx.query_opt(
                "SELECT value FROM one_time WHERE kind = $1 AND key_hash = $2 AND expires_at > $3",
                &[&kind, &marker, &int(now)],
            )
            .await
            .map_err(backend)?
            .map_or(Spent::Unknown, |r| Spent::Again(r.get(0)))
        };
        tx.commit().await.map_err(backend)?;
        Ok(spent)
    }

    async fn first_use(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> StoreResult<bool> {
        // The conflicting row is replaced only when it has expired; a live one makes the
        // statement touch no row.
        let touched = self
            .execute(
                "INSERT INTO one_time (kind, key_hash, value, expires_at) VALUES ($1, $2, '', $3) \
                 ON CONFLICT (kind, key_hash) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at \
                 WHERE one_time.expires_at <= $4",
                &[&kind.as_str(), &key_hash, &int(expires_at), &int(now)],
            )
            .await?;
        Ok(touched == 1)
    }

    async fn peek_once(
        &self,
        kind: OneTimeKind,
        key_hash: &str,
        now: Timestamp,
    ) -> StoreResult<Option<Vec<u8>>> {
        let row = self
            .row(
                "SELECT value FROM one_time WHERE kind = $1 AND key_hash = $2 AND expires_at > $3",
                &[&kind.as_str(), &key_hash, &int(now)],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    async fn live_with_prefix(
        &self,
        kind: OneTimeKind,
        prefix: &str,
        now: Timestamp,
    ) -> StoreResult<Vec<(String, Timestamp)>> {
        let rows = self
            .rows(
                "SELECT key_hash, expires_at FROM one_time \
                 WHERE kind = $1 AND starts_with(key_hash, $2) AND expires_at > $3 \
                 ORDER BY key_hash",
                &[&kind.as_str(), &prefix, &int(now)],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), uint(r.get(1)))).collect())
    }

    async fn purge_expired(&self, now: Timestamp) -> StoreResult<usize> {
        let purged = self
            .execute("DELETE FROM one_time WHERE expires_at <= $1", &[&int(now)])
            .await?;
        Ok(usize::try_from(purged).unwrap_or(usize::MAX))
    }
}

fn mail_from_row(row: &tokio_postgres::Row) -> StoreResult<Mail> {
    let attempts: i32 = row.get(3);
    Ok(Mail {
        id: row.get(0),
        message: from_json(row.get(1))?,
        queued_at: uint(row.get(2)),
        attempts: u32::try_from(attempts).unwrap_or(0),
        not_before: uint(row.get(4)),
        last_error: row.get(5),
    })
}

#[async_trait]
impl OutboxStore for PgStore {
    async fn enqueue_mail(&self, message: NewMail, now: Timestamp) -> StoreResult<String> {
        let mail = Mail::new(message, now);
        self.execute(
                "INSERT INTO outbox (id, message, queued_at, attempts, not_before) VALUES ($1, $2, $3, 0, $3)",
                &[&mail.id, &to_json(&mail.message)?, &int(now)],
            ).await?;
        Ok(mail.id)
    }

    async fn claim_mail(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> StoreResult<Vec<Mail>> {
        let until = now + lease.as_secs().max(1);
        let rows = self.rows(
                "WITH due AS (SELECT id FROM outbox WHERE not_before <= $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) \
                 UPDATE outbox o SET not_before = $3, attempts = o.attempts + 1 FROM due WHERE o.id = due.id \
                 RETURNING o.id, o.message, o.queued_at, o.attempts, o.not_before, o.last_error",
                &[&int(now), &int(limit as u64), &int(until)],
            ).await?;
        rows.iter().map(mail_from_row).collect()
    }

    async fn mail_sent(&self, id: &str) -> StoreResult<()> {
        self.execute("DELETE FROM outbox WHERE id = $1", &[&id])
            .await?;
        Ok(())
    }

    async fn mail_failed(&self, id: &str, retry_at: Timestamp, error: &str) -> StoreResult<()> {
        let updated = self
            .execute(
                "UPDATE outbox SET not_before = $2, last_error = $3 WHERE id = $1",
                &[&id, &int(retry_at), &error],
            )
            .await?;
        if updated == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn pending_mail(&self) -> StoreResult<usize> {
        self.count("SELECT count(*) FROM outbox").await
    }
}

#[async_trait]
impl AuditStore for PgStore {
    async fn record(&self, event: &AuditEvent) -> StoreResult<()> {
        self.execute(
            "INSERT INTO audit (record) VALUES ($1)",
            &[&to_json(event)?],
        )
        .await?;
        Ok(())
    }

    async fn recent_events(&self, limit: usize) -> StoreResult<Vec<AuditEvent>> {
        self.fetch_all(
            "SELECT record FROM audit ORDER BY seq DESC LIMIT $1",
            &[&int(limit as u64)],
        )
        .await
    }

    async fn events_matching(
        &self,
        filter: &AuditFilter,
        limit: usize,
    ) -> StoreResult<Vec<AuditEvent>> {
        let (from, until) = (filter.from.map(int), filter.until.map(int));
        self.fetch_all(
            "SELECT record FROM audit WHERE \
             ($1::text IS NULL OR record::jsonb->>'user_id' = $1) \
             AND ($2::text IS NULL OR record::jsonb->>'kind' = $2) \
             AND ($3::text IS NULL OR record::jsonb->>'actor' = $3) \
             AND ($4::bigint IS NULL OR (record::jsonb->>'at')::bigint >= $4) \
             AND ($5::bigint IS NULL OR (record::jsonb->>'at')::bigint < $5) \
             ORDER BY seq DESC LIMIT $6",
            &[
                &filter.user_id,
                &filter.kind,
                &filter.actor,
                &from,
                &until,
                &int(limit as u64),
            ],
        )
        .await
    }
}

#[async_trait]
impl KeyStore for PgStore {
    async fn put_signing_key(&self, key: &SigningKey) -> StoreResult<()> {
        self.execute(
                "INSERT INTO signing_keys (kid, record) VALUES ($1, $2) ON CONFLICT (kid) DO UPDATE SET record = EXCLUDED.record",
                &[&key.kid, &to_json(key)?],
            ).await?;
        Ok(())
    }

    async fn signing_keys(&self) -> StoreResult<Vec<SigningKey>> {
        self.fetch_all("SELECT record FROM signing_keys ORDER BY kid", &[])
            .await
    }

    async fn secret(
        &self,
        name: &str,
        make: &(dyn Fn() -> Vec<u8> + Send + Sync),
    ) -> StoreResult<Vec<u8>> {
        let client = self.client().await?;
        let fresh = make();
        // The first instance's value wins; every other reads it back.
        client
            .execute(
                "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                &[&name, &fresh],
            )
            .await
            .map_err(backend)?;
        let row = client
            .query_one("SELECT value FROM secrets WHERE name = $1", &[&name])
            .await
            .map_err(backend)?;
        Ok(row.get(0))
    }
}

fn window_start(window: Duration, now: Timestamp) -> u64 {
    let w = window.as_secs().max(1);
    now - now % w
}

#[async_trait]
impl CounterStore for PgStore {
    async fn hit(&self, key: &str, window: Duration, now: Timestamp) -> StoreResult<u64> {
        let row = self.row_one(
                "INSERT INTO counters (key, window_start, count) VALUES ($1, $2, 1) \
                 ON CONFLICT (key) DO UPDATE SET \
                   count = CASE WHEN counters.window_start = EXCLUDED.window_start THEN counters.count + 1 ELSE 1 END, \
                   window_start = EXCLUDED.window_start \
                 RETURNING count",
                &[&key, &int(window_start(window, now))],
            ).await?;
        Ok(uint(row.get(0)))
    }

    async fn count(&self, key: &str, window: Duration, now: Timestamp) -> StoreResult<u64> {
        let row = self
            .row(
                "SELECT count FROM counters WHERE key = $1 AND window_start = $2",
                &[&key, &int(window_start(window, now))],
            )
            .await?;
        Ok(row.map_or(0, |r| uint(r.get(0))))
    }

    async fn reset(&self, key: &str) -> StoreResult<()> {
        self.execute("DELETE FROM counters WHERE key = $1", &[&key])
            .await?;
        Ok(())
    }
}

#[async_trait]
impl RevocationStore for PgStore {
    async fn revoke(&self, subject: Revoked<'_>, until: Timestamp) -> StoreResult<()> {
        let subject = subject.key();
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.execute(
            "INSERT INTO revoked (subject, until) VALUES ($1, $2) ON CONFLICT (subject) DO UPDATE SET until = EXCLUDED.until",
            &[&subject, &int(until)],
        )
        .await
        .map_err(backend)?;
        tx.execute(
            "INSERT INTO revocation_log (subject, until) VALUES ($1, $2)",
            &[&subject, &int(until)],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn is_revoked(&self, subject: Revoked<'_>, now: Timestamp) -> StoreResult<bool> {
        let row = self
            .row(
                "SELECT 1 FROM revoked WHERE subject = $1 AND until > $2",
                &[&subject.key(), &int(now)],
            )
            .await?;
        Ok(row.is_some())
    }

    async fn revocations_since(&self, cursor: u64) -> StoreResult<(Vec<(String, Timestamp)>, u64)> {
        let rows = self
            .rows(
                "SELECT seq, subject, until FROM revocation_log WHERE seq > $1 ORDER BY seq",
                &[&int(cursor)],
            )
            .await?;
        let last = rows.last().map_or(cursor, |r| uint(r.get(0)));
        Ok((
            rows.iter().map(|r| (r.get(1), uint(r.get(2)))).collect(),
            last,
        ))
    }
}

#[async_trait]
impl GroupStore for PgStore {
    async fn grant(&self, user_id: &str, membership: &Membership) -> StoreResult<()> {
        let record = to_json(membership)?;
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.execute(
            "INSERT INTO memberships (user_id, group_name, record) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, group_name) DO UPDATE SET record = EXCLUDED.record",
            &[&user_id, &membership.group, &record],
        )
        .await
        .map_err(no_such_user)?;
        tx.execute(
            "INSERT INTO membership_log (user_id) VALUES ($1)",
            &[&user_id],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn remove_membership(&self, user_id: &str, group: &str) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let removed = tx
            .execute(
                "DELETE FROM memberships WHERE user_id = $1 AND group_name = $2",
                &[&user_id, &group],
            )
            .await
            .map_err(backend)?;
        if removed > 0 {
            tx.execute(
                "INSERT INTO membership_log (user_id) VALUES ($1)",
                &[&user_id],
            )
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(removed > 0)
    }

    async fn memberships(&self, user_id: &str) -> StoreResult<Memberships> {
        self.fetch_all(
            "SELECT record FROM memberships WHERE user_id = $1 ORDER BY group_name",
            &[&user_id],
        )
        .await
    }

    async fn members(&self, group: &str) -> StoreResult<Vec<(String, Membership)>> {
        let rows = self
            .rows(
                "SELECT user_id, record FROM memberships WHERE group_name = $1 ORDER BY user_id",
                &[&group],
            )
            .await?;
        rows.iter()
            .map(|r| Ok((r.get(0), from_json(r.get(1))?)))
            .collect()
    }

    async fn membership_changes_since(
        &self,
        cursor: u64,
    ) -> StoreResult<(Vec<(String, Memberships)>, u64)> {
        let last = self
            .row_one(
                "SELECT COALESCE(MAX(seq), $1) FROM membership_log WHERE seq > $1",
                &[&int(cursor)],
            )
            .await?;
        let last = uint(last.get(0));
        if last == cursor {
            return Ok((Vec::new(), cursor));
        }
        // Read after the cursor was taken: a change in between is read now and again next time.
        let rows = self
            .rows(
                "SELECT changed.user_id, m.record FROM \
                 (SELECT DISTINCT user_id FROM membership_log WHERE seq > $1 AND seq <= $2) changed \
                 LEFT JOIN memberships m ON m.user_id = changed.user_id \
                 ORDER BY changed.user_id, m.group_name",
                &[&int(cursor), &int(last)],
            )
            .await?;
        let mut changed: Vec<(String, Memberships)> = Vec::new();
        for row in &rows {
            let user_id: String = row.get(0);
            if changed.last().is_none_or(|(id, _)| *id != user_id) {
                changed.push((user_id, Vec::new()));
            }
            if let (Some(record), Some((_, held))) =
                (row.get::<_, Option<String>>(1), changed.last_mut())
            {
                held.push(from_json(&record)?);
            }
        }
        Ok((changed, last))
    }
}

/// A foreign key violation (the user is gone) as [`StoreError::NotFound`].
fn no_such_user(e: tokio_postgres::Error) -> StoreError {
    match e.code() {
        Some(&tokio_postgres::error::SqlState::FOREIGN_KEY_VIOLATION) => StoreError::NotFound,
        _ => backend(e),
    }
}

#[async_trait]
impl FactorStore for PgStore {
    async fn put_factor(&self, user_id: &str, factor: &SecondFactor) -> StoreResult<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO second_factors (user_id, id, created_at, record) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (user_id, id) DO UPDATE SET record = EXCLUDED.record",
                &[&user_id, &factor.id, &int(factor.created_at), &to_json(factor)?],
            )
            .await
            .map_err(no_such_user)?;
        Ok(())
    }

    async fn factors(&self, user_id: &str) -> StoreResult<Vec<SecondFactor>> {
        self.fetch_all(
            "SELECT record FROM second_factors WHERE user_id = $1 ORDER BY created_at, id",
            &[&user_id],
        )
        .await
    }

    async fn remove_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool> {
        let removed = self
            .execute(
                "DELETE FROM second_factors WHERE user_id = $1 AND id = $2",
                &[&user_id, &factor_id],
            )
            .await?;
        Ok(removed > 0)
    }

    async fn accept_step(
        &self,
        user_id: &str,
        factor_id: &str,
        step: u64,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        // The row lock orders instances accepting codes of one factor at once.
        let row = tx
            .query_opt(
                "SELECT record FROM second_factors WHERE user_id = $1 AND id = $2 FOR UPDATE",
                &[&user_id, &factor_id],
            )
            .await
            .map_err(backend)?;
        let Some(row) = row else {
            return Ok(false);
        };
        let mut factor: SecondFactor = from_json(row.get(0))?;
        if factor.last_step.is_some_and(|last| last >= step) {
            return Ok(false);
        }
        factor.last_step = Some(step);
        factor.last_used_at = Some(now);
        tx.execute(
            "UPDATE second_factors SET record = $3 WHERE user_id = $1 AND id = $2",
            &[&user_id, &factor_id, &to_json(&factor)?],
        )
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn set_recovery_codes(&self, user_id: &str, hashes: &[String]) -> StoreResult<()> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        tx.execute("DELETE FROM recovery_codes WHERE user_id = $1", &[&user_id])
            .await
            .map_err(backend)?;
        tx.execute(
            "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, unnest($2::TEXT[])",
            &[&user_id, &hashes],
        )
        .await
        .map_err(no_such_user)?;
        tx.commit().await.map_err(backend)
    }

    async fn spend_recovery_code(&self, user_id: &str, hash: &str) -> StoreResult<Option<usize>> {
        let spent = self
            .execute(
                "DELETE FROM recovery_codes WHERE user_id = $1 AND code_hash = $2",
                &[&user_id, &hash],
            )
            .await?;
        if spent == 0 {
            return Ok(None);
        }
        self.recovery_codes_left(user_id).await.map(Some)
    }

    async fn recovery_codes_left(&self, user_id: &str) -> StoreResult<usize> {
        let row = self
            .row_one(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1",
                &[&user_id],
            )
            .await?;
        Ok(usize::try_from(row.get::<_, i64>(0)).unwrap_or(0))
    }

    async fn remove_second_factors(&self, user_id: &str) -> StoreResult<usize> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(backend)?;
        let removed = tx
            .execute("DELETE FROM second_factors WHERE user_id = $1", &[&user_id])
            .await
            .map_err(backend)?;
        tx.execute("DELETE FROM recovery_codes WHERE user_id = $1", &[&user_id])
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(usize::try_from(removed).unwrap_or(usize::MAX))
    }
}

#[async_trait]
impl TransferStore for PgStore {
    async fn export(&self) -> StoreResult<Vec<Record>> {
        let mut records: Vec<Record> = self
            .fetch_all::<SigningKey>("SELECT record FROM signing_keys ORDER BY kid", &[])
            .await?
            .into_iter()
            .map(Record::SigningKey)
            .collect();
        for row in self
            .rows("SELECT name, value FROM secrets ORDER BY name", &[])
            .await?
        {
            records.push(Record::Secret {
                name: row.get(0),
                value: row.get(1),
            });
        }
        let users = self.fetch_all("SELECT record FROM users ORDER BY id", &[]);
        records.extend(users.await?.into_iter().map(|u| Record::User(Box::new(u))));
        let sessions = self.fetch_all("SELECT record FROM sessions ORDER BY id_hash", &[]);
        records.extend(sessions.await?.into_iter().map(Record::Session));
        let once = "SELECT kind, key_hash, value, expires_at FROM one_time ORDER BY kind, key_hash";
        for row in self.rows(once, &[]).await? {
            records.push(Record::OneTime {
                kind: row.get(0),
                key_hash: row.get(1),
                value: row.get(2),
                expires_at: uint(row.get(3)),
            });
        }
        let outbox = "SELECT id, message, queued_at, attempts, not_before, last_error FROM outbox ORDER BY id";
        for row in self.rows(outbox, &[]).await? {
            records.push(Record::Mail(mail_from_row(&row)?));
        }
        let audit = self.fetch_all("SELECT record FROM audit ORDER BY seq", &[]);
        records.extend(audit.await?.into_iter().map(Record::Audit));
        let revoked = "SELECT subject, until FROM revoked ORDER BY subject";
        for row in self.rows(revoked, &[]).await? {
            records.push(Record::Revoked {
                subject: row.get(0),
                until: uint(row.get(1)),
            });
        }
        let memberships = "SELECT user_id, record FROM memberships ORDER BY user_id, group_name";
        for row in self.rows(memberships, &[]).await? {
            records.push(Record::Membership {
                user_id: row.get(0),
                membership: from_json(row.get(1))?,
            });
        }
        let factors = "SELECT user_id, record FROM second_factors ORDER BY user_id, created_at, id";
        for row in self.rows(factors, &[]).await? {
            records.push(Record::SecondFactor {
                user_id: row.get(0),
                factor: from_json(row.get(1))?,
            });
        }
        let codes = "SELECT user_id, code_hash FROM recovery_codes ORDER BY user_id, code_hash";
        for row in self.rows(codes, &[]).await? {
            records.push(Record::RecoveryCode {
                user_id: row.get(0),
                code_hash: row.get(1),
            });
        }
        Ok(records)
    }

    async fn restore(&self, record: &Record) -> StoreResult<()> {
        match record {
            Record::SigningKey(key) => self.put_signing_key(key).await,
            Record::Secret { name, value } => self
                .execute(
                    "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                    &[name, value],
                )
                .await
                .map(|_| ()),
            Record::User(user) => {
                let keys = user.unique_keys();
                let mut client = self.client().await?;
                let tx = client.transaction().await.map_err(backend)?;
                tx.execute(
                    "INSERT INTO users (id, record) VALUES ($1, $2)",
                    &[&user.id, &to_json(user)?],
                )
                .await
                .map_err(backend)?;
                Self::claim_keys(&tx, &keys, &user.id).await?;
                tx.commit().await.map_err(backend)
            }
            Record::Session(session) => self.put_session(session).await,
            Record::OneTime {
                kind,
                key_hash,
                value,
                expires_at,
            } => self
                .execute(
                    "INSERT INTO one_time (kind, key_hash, value, expires_at) VALUES ($1, $2, $3, $4)",
                    &[kind, key_hash, value, &int(*expires_at)],
                )
                .await
                .map(|_| ()),
            Record::Mail(mail) => self
                .execute(
                    "INSERT INTO outbox (id, message, queued_at, attempts, not_before, last_error) VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &mail.id,
                        &to_json(&mail.message)?,
                        &int(mail.queued_at),
                        &i32::try_from(mail.attempts).unwrap_or(i32::MAX),
                        &int(mail.not_before),
                        &mail.last_error,
                    ],
                )
                .await
                .map(|_| ()),
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
                .execute(
                    "INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                    &[user_id, code_hash],
                )
                .await
                .map(|_| ()),
        }
    }
}
