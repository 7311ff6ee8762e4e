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
