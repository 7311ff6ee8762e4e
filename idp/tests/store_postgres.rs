//! The store conformance suite on PostgreSQL: the same checks as on sled, each test in a fresh
//! schema (see `test_database`). No database, no pass: these tests never skip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use gerbang_idp::store::test_database::TestSchema;
use gerbang_idp::store::{PgStore, SharedStore};

/// A store in a schema of its own, migrated.
async fn fresh() -> (SharedStore, TestSchema) {
    let schema = TestSchema::create().await;
    let store = PgStore::connect(&schema.options()).unwrap();
    assert_eq!(store.migrate().await.unwrap(), 1);
    assert_eq!(
        store.migrate().await.unwrap(),
        1,
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
