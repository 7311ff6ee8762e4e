//! Opening the configured store: sled in its folder, or PostgreSQL at the schema version this
//! build expects (migrated first when the configuration asks for it).

use std::sync::Arc;

use gerbang_config::{Config, Store as StoreConfig};
use gerbang_idp::store::{PgStore, SharedStore, SledStore, StoreResult};

pub async fn open(config: &Config) -> StoreResult<SharedStore> {
    Ok(match &config.store {
        StoreConfig::Sled { path } => Arc::new(SledStore::open(path)?),
        StoreConfig::Postgres(options) => {
            let store = PgStore::connect(options)?;
            if options.migrate_at_start {
                let version = store.migrate().await?;
                tracing::info!(version, "PostgreSQL store migrated");
            } else {
                store.check_schema().await?;
            }
            Arc::new(store)
        }
    })
}

/// `gerbang migrate`: brings a PostgreSQL store to this build's schema version.
pub async fn migrate(config: &Config) -> StoreResult<String> {
    match &config.store {
        StoreConfig::Sled { path } => Ok(format!(
            "the sled store in {} needs no migration",
            path.display()
        )),
        StoreConfig::Postgres(options) => {
            let store = PgStore::connect(options)?;
            let before = store.schema_version().await?;
            let after = store.migrate().await?;
            Ok(if before == after {
                format!("schema at version {after}: nothing to do")
            } else {
                format!("schema migrated from version {before} to {after}")
            })
        }
    }
}
