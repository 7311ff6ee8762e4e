//! The store conformance suite on sled, and sled's durability across a killed process.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use gerbang_idp::store::conformance::{new_user, NOW};
use gerbang_idp::store::{SharedStore, SledStore, UniqueKey, UserStore};

async fn fresh() -> (SharedStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    (Arc::new(SledStore::open(dir.path()).unwrap()), dir)
}

gerbang_idp::conformance_suite!(fresh());

const CHILD_DIR: &str = "GERBANG_DURABILITY_CHILD_DIR";

/// As a child process: creates users one by one and prints each once the store has
/// acknowledged it, until killed.
async fn write_until_killed(dir: &str) {
    let store = SledStore::open(Path::new(dir)).unwrap();
    for n in 0.. {
        let user = store.create_user(new_user(n), None, NOW).await.unwrap();
        println!("acked {n} {}", user.id);
    }
}

/// Runs this very test again as a child process that writes, kills it with SIGKILL (no
/// destructor, no flush at exit), reopens the store and finds every acknowledged user.
#[test]
fn acknowledged_writes_survive_kill() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(write_until_killed(&dir));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "acknowledged_writes_survive_kill",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DIR, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acked = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acked.len() < 25 {
        let line = lines.next().expect("child ended early").unwrap();
        if let Some(rest) = line.strip_prefix("acked ") {
            let (n, id) = rest.split_once(' ').unwrap();
            acked.push((n.parse::<usize>().unwrap(), id.to_string()));
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = SledStore::open(dir.path()).unwrap();
        for (n, id) in &acked {
            let user = store.user(id).await.unwrap();
            assert_eq!(
                user.map(|u| u.username),
                Some(format!("user{n}")),
                "acknowledged user {n} lost"
            );
            let by_email = store
                .user_by_key(&UniqueKey::Email(format!("user{n}@example.id")))
                .await
                .unwrap();
            assert!(by_email.is_some(), "unique index of user {n} lost");
        }
    });
}

/// What `open` opens, once the database dropped just before has let the folder go: sled's
/// flush thread keeps the file lock a moment after the last handle is dropped.
fn once_free<T, E: std::fmt::Debug>(open: impl Fn() -> Result<T, E>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match open() {
            Ok(opened) => return opened,
            Err(_) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            Err(e) => panic!("the store stays locked: {e:?}"),
        }
    }
}

/// A store an earlier version wrote (user records with a string `attributes` map) opens with
/// every record in the typed shape, once: the version reached is remembered.
#[tokio::test]
async fn a_version_1_store_opens_with_typed_accounts() {
    use gerbang_idp::store::conformance::{assert_typed_version_1_user, VERSION_1_USER};
    let dir = tempfile::tempdir().unwrap();
    {
        let db = sled::open(dir.path()).unwrap();
        let users = db.open_tree("users").unwrap();
        users.insert("u1", VERSION_1_USER.as_bytes()).unwrap();
        db.flush().unwrap();
    }
    let store = once_free(|| SledStore::open(dir.path()));
    assert_typed_version_1_user(&store.user("u1").await.unwrap().unwrap());
    drop(store);

    let db = once_free(|| sled::open(dir.path()));
    let record = db.open_tree("users").unwrap().get("u1").unwrap().unwrap();
    let record: serde_json::Value = serde_json::from_slice(&record).unwrap();
    assert!(record.get("attributes").is_none(), "rewritten on disk");
    let meta = db.open_tree("meta").unwrap();
    assert_eq!(
        meta.get("record_version").unwrap().unwrap().as_ref(),
        gerbang_idp::store::upgrade::RECORD_VERSION.to_be_bytes()
    );
    drop((meta, db));
    let store = once_free(|| SledStore::open(dir.path()));
    assert_typed_version_1_user(&store.user("u1").await.unwrap().unwrap());
}
