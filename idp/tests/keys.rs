//! Signing keys: made once, kept, published, and signing what verifies.

use std::sync::Arc;

use gerbang_idp::keys::{Keyring, LiveKeyring, SigningAlg};
use gerbang_idp::protocol::jwt::{self, JwtError};
use gerbang_idp::store::{KeyStore, SledStore};
use serde_json::{json, Value};

const NOW: u64 = 1_800_000_000;

#[tokio::test]
async fn keys_are_made_once_and_sign_verifiable_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let keys = LiveKeyring::load_or_create(store.as_ref(), NOW)
        .await
        .unwrap()
        .current();
    let again = LiveKeyring::load_or_create(store.as_ref(), NOW + 1)
        .await
        .unwrap()
        .current();
    assert_eq!(
        store.signing_keys().await.unwrap().len(),
        2,
        "one RS256 and one ES256, made once"
    );
    assert_eq!(
        keys.active(SigningAlg::Rs256, NOW).kid(),
        again.active(SigningAlg::Rs256, NOW).kid()
    );

    let jwks: Value = serde_json::to_value(keys.jwks()).unwrap();
    let published = jwks["keys"].as_array().unwrap();
    assert_eq!(published.len(), 2);
    for key in published {
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].is_string());
        assert!(key.get("d").is_none(), "no private part is published");
    }

    for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
        let token = jwt::sign(&keys, alg, "at+jwt", &json!({"sub": "u1", "n": 1}), NOW).unwrap();
        let claims: Value = jwt::verify(&again, &token).unwrap();
        assert_eq!(claims["sub"], "u1");
        // A changed payload no longer verifies.
        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        parts[1] = jwt::sign(&keys, alg, "at+jwt", &json!({"sub": "admin", "n": 1}), NOW)
            .unwrap()
            .split('.')
            .nth(1)
            .unwrap()
            .to_string();
        let forged = parts.join(".");
        assert_eq!(
            jwt::verify::<Value>(&keys, &forged).err(),
            Some(JwtError::BadSignature)
        );
    }
    assert_eq!(
        jwt::verify::<Value>(&keys, "a.b").err(),
        Some(JwtError::Malformed)
    );
    let none = "eyJhbGciOiJub25lIiwia2lkIjoieCJ9.eyJzdWIiOiJhZG1pbiJ9.";
    assert_eq!(
        jwt::verify::<Value>(&keys, none).err(),
        Some(JwtError::UnknownKey),
        "alg=none is never accepted"
    );
}

#[tokio::test]
async fn rotation_publishes_first_signs_later_and_retires_the_old_key() {
    use gerbang_idp::keys::rotate;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let now = gerbang_idp::clock::now();
    let live = LiveKeyring::load_or_create(store.as_ref(), now)
        .await
        .unwrap();
    let old_kid = live
        .current()
        .active(SigningAlg::Rs256, now)
        .kid()
        .to_string();
    assert!(
        !live.refresh(store.as_ref(), now).await.unwrap(),
        "nothing changed"
    );
    // Rotated by another instance sharing the store, or by `gerbang keys rotate`.
    let new = rotate(store.as_ref(), SigningAlg::Rs256, 3600, 600, now)
        .await
        .unwrap();

    // Published at once (a refresh finds it), but the old key still signs during the delay.
    assert!(live.refresh(store.as_ref(), now).await.unwrap());
    assert!(!live.refresh(store.as_ref(), now).await.unwrap());
    let during = live.current();
    let kids: Vec<String> = serde_json::to_value(during.jwks()).unwrap()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect();
    assert!(kids.contains(&new.kid) && kids.contains(&old_kid));
    assert_eq!(during.active(SigningAlg::Rs256, now).kid(), old_kid);
    assert_eq!(
        during.active(SigningAlg::Rs256, now + 3600).kid(),
        new.kid,
        "the key is chosen by the time given, not the wall clock"
    );

    // After the delay the new key signs; the old one is published until its tokens expire.
    let stored = store.signing_keys().await.unwrap();
    let after = Keyring::from_stored(&stored, now + 3600 + 1).unwrap();
    assert!(after.find(&old_kid).is_some());
    assert_eq!(
        after.active(SigningAlg::Rs256, now + 3600 + 1).kid(),
        new.kid
    );
    let retired = Keyring::from_stored(&stored, now + 3600 + 600 + 1).unwrap();
    assert!(
        retired.find(&old_kid).is_none(),
        "dropped once every token it signed has expired"
    );
    assert!(retired.find(&new.kid).is_some());
}

#[tokio::test]
async fn of_rotations_within_one_second_the_last_signs() {
    use gerbang_idp::keys::rotate;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(SledStore::open(dir.path()).unwrap());
    let now = gerbang_idp::clock::now();
    LiveKeyring::load_or_create(store.as_ref(), now)
        .await
        .unwrap();
    // Key ids are random, so the store's order (by id on sled) is not the rotations' order;
    // with a dozen rotations some land before an earlier one.
    for _ in 0..12 {
        let last = rotate(store.as_ref(), SigningAlg::Rs256, 0, 600, now)
            .await
            .unwrap();
        let stored = store.signing_keys().await.unwrap();
        let keyring = Keyring::from_stored(&stored, now).unwrap();
        assert_eq!(keyring.active(SigningAlg::Rs256, now).kid(), last.kid);
    }
}
