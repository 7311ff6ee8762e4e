//! Moving a whole store to another backend (`gerbang store export` / `import`): a single
//! instance on sled grows into several on PostgreSQL. The dump is JSON lines, one [`Record`]
//! each, with ids and times as they were; it holds password hashes, signing keys and secrets,
//! so it is as sensitive as the store itself.
//!
//! Rate-limit counters are not moved: they are one-minute windows that start again at zero.

use async_trait::async_trait;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::*;

/// One lasting record of a store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Record {
    SigningKey(SigningKey),
    Secret {
        name: String,
        #[serde(with = "base64_bytes")]
        value: Vec<u8>,
    },
    User(Box<User>),
    Session(Session),
    /// A one-time value (codes, refresh tokens, links, locks) under its kind's stored name.
    OneTime {
        kind: String,
        key_hash: String,
        #[serde(with = "base64_bytes")]
        value: Vec<u8>,
        expires_at: Timestamp,
    },
    Mail(Mail),
    Audit(AuditEvent),
    Revoked {
        subject: String,
        until: Timestamp,
    },
    /// After the users: a user's membership of a group.
    Membership {
        user_id: String,
        membership: Membership,
    },
    /// After the users: one of a user's second factors.
    SecondFactor {
        user_id: String,
        factor: SecondFactor,
    },
    /// After the users: the hash of one of a user's unspent recovery codes.
    RecoveryCode {
        user_id: String,
        code_hash: String,
    },
}

mod base64_bytes {
    use super::*;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        BASE64.decode(text).map_err(serde::de::Error::custom)
    }
}

/// What a backend does to be exported from and imported into.
#[async_trait]
pub trait TransferStore: Send + Sync {
    /// Every lasting record, in the order [`import`] replays them (audit events oldest first).
    async fn export(&self) -> StoreResult<Vec<Record>>;
    /// Writes one exported record as it was: same ids, same times.
    async fn restore(&self, record: &Record) -> StoreResult<()>;
    /// Makes everything restored durable.
    async fn finish_import(&self) -> StoreResult<()> {
        Ok(())
    }
}

/// How many records of each kind an import wrote, for the operator to compare with the export.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub users: usize,
    pub sessions: usize,
    pub mail: usize,
    pub other: usize,
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} users, {} sessions, {} queued mails, {} other records",
            self.users, self.sessions, self.mail, self.other
        )
    }
}

impl Counts {
    pub fn of(records: &[Record]) -> Counts {
        let mut counts = Counts::default();
        for record in records {
            match record {
                Record::User(_) => counts.users += 1,
                Record::Session(_) => counts.sessions += 1,
                Record::Mail(_) => counts.mail += 1,
                _ => counts.other += 1,
            }
        }
        counts
    }
}

/// Writes `records` into `to`, which must hold no user yet (an import never merges).
pub async fn import(to: &dyn Store, records: &[Record]) -> StoreResult<Counts> {
    if !to.users().await?.is_empty() {
        return Err(StoreError::Backend(
            "the target store already has users: import only into an empty store".into(),
        ));
    }
    for record in records {
        to.restore(record).await?;
    }
    to.finish_import().await?;
    Ok(Counts::of(records))
}

/// The dump as JSON lines.
pub fn to_json_lines(records: &[Record]) -> StoreResult<String> {
    let mut text = String::new();
    for record in records {
        text += &serde_json::to_string(record).map_err(|e| StoreError::Backend(e.to_string()))?;
        text.push('\n');
    }
    Ok(text)
}

/// Reads a dump, from this version or an earlier one (old records are brought to the current
/// shape, see [`super::upgrade`]); a bad line is named by its number.
pub fn from_json_lines(text: &str) -> StoreResult<Vec<Record>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            let bad = |e: serde_json::Error| StoreError::Backend(format!("line {}: {e}", n + 1));
            let mut record = serde_json::from_str(line).map_err(bad)?;
            super::upgrade::dump_record(&mut record);
            serde_json::from_value(record).map_err(bad)
        })
        .collect()
}
