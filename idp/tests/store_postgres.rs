//! The store conformance suite on PostgreSQL: the same checks as on sled, each test in a fresh
//! schema (see `test_database`). No database, no pass: these tests never skip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use gerbang_idp::store::test_database::TestSchema;
use gerbang_idp::store::{PgStore, SharedStore, SCHEMA_VERSION};

/// A store in a schema of its own, migrated.
async fn fresh() -> (SharedStore, TestSchema) {
    let schema = TestSchema::create().await;
    let store = PgStore::connect(&schema.options()).unwrap();
    assert_eq!(store.migrate().await.unwrap(), SCHEMA_VERSION);
    assert_eq!(
        store.migrate().await.unwrap(),
        SCHEMA_VERSION,
        "migrating again changes nothing"
    );
    (Arc::new(store), schema)
}

gerbang_idp::conformance_suite!(fresh());

/// `gerbang store export` from sled and `import` into PostgreSQL, and back: every record
/// arrives and works (see the conformance check).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sled_store_moves_into_postgresql_and_back() {
    use gerbang_idp::store::conformance::exports_import_into_an_empty_store;
    use gerbang_idp::store::SledStore;
    let dir = tempfile::tempdir().unwrap();
    let sled: SharedStore = Arc::new(SledStore::open(&dir.path().join("a")).unwrap());
    let (postgres, _schema) = fresh().await;
    exports_import_into_an_empty_store(sled, postgres).await;

    let (postgres, _schema) = fresh().await;
    let sled: SharedStore = Arc::new(SledStore::open(&dir.path().join("b")).unwrap());
    exports_import_into_an_empty_store(postgres, sled).await;
}

/// A database at version 1 (user records with a string `attributes` map) migrates to typed
/// accounts: the records are rewritten in the migration's transaction, and a store of this
/// version refuses to start on the old schema until it is migrated.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_database_migrates_to_typed_accounts() {
    use gerbang_idp::store::conformance::{assert_typed_version_1_user, VERSION_1_USER};
    use gerbang_idp::store::{StoreError, UserStore};
    let schema = TestSchema::create().await;
    let store = PgStore::connect(&schema.options()).unwrap();
    assert_eq!(store.migrate_to(1).await.unwrap(), 1);
    let record = VERSION_1_USER.replace('\'', "''");
    schema
        .execute(&format!(
            "INSERT INTO users (id, record) VALUES ('u1', '{record}')"
        ))
        .await;
    assert!(matches!(
        store.check_schema().await,
        Err(StoreError::SchemaVersion {
            found: 1,
            needed: SCHEMA_VERSION
        })
    ));
    assert_eq!(store.migrate().await.unwrap(), SCHEMA_VERSION);
    store.check_schema().await.unwrap();
    assert_typed_version_1_user(&store.user("u1").await.unwrap().unwrap());
}

/// A dump an earlier version exported imports with typed accounts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_1_dump_imports_with_typed_accounts() {
    use gerbang_idp::store::conformance::{assert_typed_version_1_user, VERSION_1_USER};
    use gerbang_idp::store::transfer::{from_json_lines, import};
    let mut line: serde_json::Value = serde_json::from_str(VERSION_1_USER).unwrap();
    line["record"] = "user".into();
    let records = from_json_lines(&line.to_string()).unwrap();
    let (postgres, _schema) = fresh().await;
    import(postgres.as_ref(), &records).await.unwrap();
    assert_typed_version_1_user(&postgres.user("u1").await.unwrap().unwrap());
}
