//! A fresh PostgreSQL schema for one test, dropped when the test ends. The database is the one
//! `GERBANG_TEST_POSTGRES` names (default: the CI machine's
//! `postgres://postgres@127.0.0.1:5432/test`). No database, no pass: a test that needs one
//! fails with the address it tried; it never skips.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use gerbang_config::{Postgres, Secret};

pub fn database_url() -> String {
    std::env::var("GERBANG_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A schema of its own in the test database; dropped (with everything in it) on drop.
pub struct TestSchema {
    pub name: String,
    /// The database it is in.
    url: String,
}

impl TestSchema {
    pub async fn create() -> TestSchema {
        TestSchema::create_in(database_url()).await
    }

    /// A schema in the database at `url` (a cluster a test runs itself).
    pub async fn create_in(url: String) -> TestSchema {
        let bytes: [u8; 8] = rand::random();
        let name = format!(
            "gerbang_test_{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        );
        let client = connect(&url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {url}: {e}"));
        client
            .batch_execute(&format!("CREATE SCHEMA {name}"))
            .await
            .unwrap();
        TestSchema { name, url }
    }

    /// Runs `sql` in this schema as it is, past the store (a test writes what an older
    /// version left behind with it).
    pub async fn execute(&self, sql: &str) {
        let client = connect(&self.url).await.unwrap();
        client
            .batch_execute(&format!("SET search_path TO {}; {sql}", self.name))
            .await
            .unwrap();
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Store options for this schema, as a configuration file would give them.
    pub fn options(&self) -> Postgres {
        Postgres {
            url: Secret::new(self.url.clone()),
            schema: Some(self.name.clone()),
            pool_size: 8,
            timeout: Duration::from_secs(5),
            migrate_at_start: true,
        }
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (name, url) = (self.name.clone(), self.url.clone());
        // Drop may run inside a test's runtime: do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(client) = connect(&url).await {
                    let _ = client
                        .batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                        .await;
                }
            });
        })
        .join();
    }
}

async fn connect(url: &str) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}
