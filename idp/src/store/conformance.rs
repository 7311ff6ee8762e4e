//! The store conformance suite: every backend runs these same checks.
//!
//! A backend's tests call [`conformance_suite!`] with an async expression that yields a fresh,
//! empty store; the macro expands to one `#[tokio::test]` per check, so each is named and run
//! on its own.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::*;

pub const NOW: Timestamp = 1_800_000_000;

pub fn new_user(n: usize) -> NewUser {
    NewUser {
        username: format!("user{n}"),
        email: email(&format!("user{n}@example.id")),
        phone: numbered_phone(n),
        identity: Identity::Ktp {
            nik: numbered_nik(n),
        },
        status: UserStatus::Active,
        password_hash: None,
        must_change_password: false,
        profile: Profile {
            full_name: Some(format!("Pengguna {n}")),
            ..Profile::default()
        },
        pending: Pending::default(),
        locale: None,
        links: Vec::new(),
    }
}

/// The `n`th of many distinct valid NIKs (Jakarta Pusat, women born on 10 August).
pub fn numbered_nik(n: usize) -> Nik {
    let (district, year, serial) = (n / 999_900 % 90 + 1, n / 9999 % 100, n % 9999 + 1);
    Nik::parse(&format!("3171{district:02}5008{year:02}{serial:04}"), None).unwrap()
}

/// The `n`th of ten million distinct valid Indonesian mobile numbers.
pub fn numbered_phone(n: usize) -> Phone {
    Phone::parse_international(&format!("+62812{:07}", n % 10_000_000)).unwrap()
}

pub fn email(typed: &str) -> Email {
    Email::parse(typed).unwrap()
}

/// A user record of version 1, as `gerbang` before typed accounts wrote it for a passport
/// holder who had just registered in English.
pub const VERSION_1_USER: &str = r#"{
    "id": "u1", "username": "budi", "email": "budi@example.id", "phone": "+628123456789",
    "identity": {"Passport": {"number": "A1234567", "country": "MY"}},
    "status": "Pending", "password_hash": null, "must_change_password": true,
    "attributes": {
        "birth_date": "1985-08-12", "gender": "male", "country": "MY", "identity_type": "passport",
        "passport_issued": "2020-01-02", "passport_expires": "2030-01-01",
        "passport_office": "Kuala Lumpur", "birth_place": "Ipoh", "nationality": "MY",
        "activation_link": "abc", "locale": "en", "temporary_password_until": "1800000000",
        "full_name": "Budi Santoso"
    },
    "created_at": 1700000000
}"#;

/// That every field of [`VERSION_1_USER`] arrived in its typed place.
pub fn assert_typed_version_1_user(user: &User) {
    assert_eq!(user.id, "u1");
    assert_eq!(user.email.as_str(), "budi@example.id");
    assert_eq!(user.phone.as_str(), "+628123456789");
    assert!(matches!(&user.identity, Identity::Passport { number, .. } if number == "A1234567"));
    let profile = &user.profile;
    assert_eq!(profile.full_name.as_deref(), Some("Budi Santoso"));
    assert_eq!(profile.birth_date.unwrap().to_string(), "1985-08-12");
    assert_eq!(profile.gender, Some(Gender::Male));
    assert_eq!(profile.country.as_deref(), Some("MY"));
    assert_eq!(profile.nationality.as_deref(), Some("MY"));
    assert_eq!(profile.birth_place.as_deref(), Some("Ipoh"));
    let passport = profile.passport.as_ref().unwrap();
    assert_eq!(passport.issued.to_string(), "2020-01-02");
    assert_eq!(passport.expires.to_string(), "2030-01-01");
    assert_eq!(passport.office, "Kuala Lumpur");
    assert_eq!(user.pending.activation_link.as_deref(), Some("abc"));
    assert_eq!(user.pending.reset_link, None);
    assert_eq!(user.pending.temporary_password_until, Some(1_800_000_000));
    assert_eq!(user.locale, Some(Lang::En));
}

fn mail(to: &str) -> NewMail {
    NewMail {
        to: to.into(),
        subject: "Aktivasi".into(),
        text: "halo".into(),
        html: None,
    }
}

fn session(id: &str, user: &str) -> Session {
    Session {
        upstream: None,
        id_hash: id.into(),
        user_id: user.into(),
        created_at: NOW,
        last_seen: NOW,
        expires_at: NOW + 3600,
        auth_time: NOW,
        audience: "provider".into(),
        device: Some("Firefox · Linux".into()),
        parent: None,
        clients: vec!["portal".into()],
        proven: crate::assurance::Proven::password().and(crate::assurance::Method::Otp),
    }
}

pub async fn users_are_found_by_every_key(store: SharedStore) {
    let created = store.create_user(new_user(1), None, NOW).await.unwrap();
    assert_eq!(created.created_at, NOW);
    assert_eq!(
        store.user(&created.id).await.unwrap().as_ref(),
        Some(&created)
    );
    for key in [
        UniqueKey::Username("USER1".into()),
        UniqueKey::Email(" User1@Example.ID ".into()),
        UniqueKey::Nik(numbered_nik(1).to_string()),
    ] {
        let found = store.user_by_key(&key).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(created.id.clone()), "{key:?}");
    }
    assert!(store
        .user_by_key(&UniqueKey::Email("nobody@example.id".into()))
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.users().await.unwrap().len(), 1);
}

pub async fn unique_keys_are_enforced(store: SharedStore) {
    store.create_user(new_user(1), None, NOW).await.unwrap();
    let mut same_email = new_user(2);
    same_email.email = email("USER1@example.id");
    assert!(matches!(
        store.create_user(same_email, None, NOW).await,
        Err(StoreError::Taken(UniqueKey::Email(_)))
    ));
    let mut same_name = new_user(3);
    same_name.username = "User1".into();
    assert!(matches!(
        store.create_user(same_name, None, NOW).await,
        Err(StoreError::Taken(UniqueKey::Username(_)))
    ));
    let mut same_nik = new_user(4);
    same_nik.identity = new_user(1).identity;
    assert!(matches!(
        store.create_user(same_nik, None, NOW).await,
        Err(StoreError::Taken(UniqueKey::Nik(_)))
    ));
    // A refused user leaves none of its keys behind.
    assert!(store
        .user_by_key(&UniqueKey::Username("user2".into()))
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.users().await.unwrap().len(), 1);
}

pub async fn passports_are_unique_per_number_and_country(store: SharedStore) {
    let passport = |n: &str, c: &str| Identity::Passport {
        number: n.into(),
        country: c.into(),
    };
    let mut a = new_user(1);
    a.identity = passport("x1234567", "my");
    store.create_user(a, None, NOW).await.unwrap();
    let mut b = new_user(2);
    b.identity = passport("X1234567", "SG");
    store.create_user(b, None, NOW).await.unwrap();
    let mut c = new_user(3);
    c.identity = passport(" X1234567 ", "MY");
    assert!(matches!(
        store.create_user(c, None, NOW).await,
        Err(StoreError::Taken(UniqueKey::Passport { .. }))
    ));
}

/// Many tasks register the same e-mail at once: exactly one account results.
pub async fn concurrent_creation_gives_one_user(store: SharedStore) {
    let tasks: Vec<_> = (0..64)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut user = new_user(n);
                user.email = email("same@example.id");
                store
                    .create_user(user, Some(mail("same@example.id")), NOW)
                    .await
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::Taken(UniqueKey::Email(_))) => {}
            Err(other) => panic!("unexpected {other}"),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(store.users().await.unwrap().len(), 1);
    // The refused registrations queued no mail: the user and its mail are one transaction.
    assert_eq!(store.pending_mail().await.unwrap(), 1);
}

pub async fn concurrent_creation_with_one_nik_gives_one_user(store: SharedStore) {
    let tasks: Vec<_> = (0..32)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let mut user = new_user(n);
                user.identity = Identity::Ktp {
                    nik: Nik::parse("3171014101900001", None).unwrap(),
                };
                store.create_user(user, None, NOW).await.is_ok()
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        created += usize::from(task.await.unwrap());
    }
    assert_eq!(created, 1);
}

pub async fn updates_move_unique_keys(store: SharedStore) {
    let mut a = store.create_user(new_user(1), None, NOW).await.unwrap();
    let b = store.create_user(new_user(2), None, NOW).await.unwrap();
    a.email = email("new@example.id");
    a.status = UserStatus::Disabled;
    let notice = NewMail {
        to: a.email.to_string(),
        subject: "changed".into(),
        text: "your address changed".into(),
        html: None,
    };
    let queued_before = store.pending_mail().await.unwrap();
    store
        .update_user(&a, Some(notice.clone()), NOW)
        .await
        .unwrap();
    assert_eq!(
        store.pending_mail().await.unwrap(),
        queued_before + 1,
        "the update's mail is queued with it"
    );
    assert_eq!(
        store.user(&a.id).await.unwrap().unwrap().status,
        UserStatus::Disabled
    );
    assert_eq!(
        store
            .user_by_key(&UniqueKey::Email("new@example.id".into()))
            .await
            .unwrap()
            .map(|u| u.id),
        Some(a.id.clone())
    );
    // The old address is free again.
    assert!(store
        .user_by_key(&UniqueKey::Email("user1@example.id".into()))
        .await
        .unwrap()
        .is_none());
    let mut c = new_user(3);
    c.email = email("user1@example.id");
    store.create_user(c, None, NOW).await.unwrap();
    // Taking another user's address is refused and changes nothing.
    let mut b2 = b.clone();
    b2.email = email("new@example.id");
    assert!(matches!(
        store.update_user(&b2, Some(notice), NOW).await,
        Err(StoreError::Taken(_))
    ));
    assert_eq!(
        store.pending_mail().await.unwrap(),
        queued_before + 1,
        "a refused update queues nothing"
    );
    assert_eq!(store.user(&b.id).await.unwrap(), Some(b));
    let mut ghost = a.clone();
    ghost.id = "missing".into();
    assert!(matches!(
        store.update_user(&ghost, None, NOW).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn federated_links_belong_to_one_account(store: SharedStore) {
    let mut a = store.create_user(new_user(1), None, NOW).await.unwrap();
    let mut b = store.create_user(new_user(2), None, NOW).await.unwrap();
    let link = FederatedLink {
        provider: "inapas".into(),
        subject: "Sub-1".into(),
        linked_at: NOW,
    };
    let key = UniqueKey::Federated {
        provider: "inapas".into(),
        subject: "Sub-1".into(),
    };
    a.links.push(link.clone());
    store.update_user(&a, None, NOW).await.unwrap();
    let found = store.user_by_key(&key).await.unwrap().unwrap();
    assert_eq!(
        (found.id.as_str(), found.links.as_slice()),
        (a.id.as_str(), &[link.clone()][..])
    );
    // A subject is compared exactly: another case is another person.
    let other_case = UniqueKey::Federated {
        provider: "inapas".into(),
        subject: "sub-1".into(),
    };
    assert!(store.user_by_key(&other_case).await.unwrap().is_none());
    // Another account cannot take the same identity, and nothing of it changes.
    b.links.push(link.clone());
    assert!(matches!(
        store.update_user(&b, None, NOW).await,
        Err(StoreError::Taken(UniqueKey::Federated { .. }))
    ));
    assert!(store.user(&b.id).await.unwrap().unwrap().links.is_empty());
    // Unlinking frees it.
    a.links.clear();
    store.update_user(&a, None, NOW).await.unwrap();
    assert!(store.user_by_key(&key).await.unwrap().is_none());
    store.update_user(&b, None, NOW).await.unwrap();
    assert_eq!(
        store.user_by_key(&key).await.unwrap().map(|u| u.id),
        Some(b.id.clone())
    );
    // Deleting the account frees it too.
    store.delete_user(&b.id).await.unwrap();
    assert!(store.user_by_key(&key).await.unwrap().is_none());
}

pub async fn deleting_a_user_frees_keys_and_ends_sessions(store: SharedStore) {
    let a = store.create_user(new_user(1), None, NOW).await.unwrap();
    store.put_session(&session("s1", &a.id)).await.unwrap();
    store.delete_user(&a.id).await.unwrap();
    assert!(store.user(&a.id).await.unwrap().is_none());
    assert!(store.session("s1").await.unwrap().is_none());
    store.create_user(new_user(1), None, NOW).await.unwrap();
    assert!(matches!(
        store.delete_user("missing").await,
        Err(StoreError::NotFound)
    ));
}

pub async fn sessions_by_id_and_user(store: SharedStore) {
    store.put_session(&session("s1", "u1")).await.unwrap();
    store.put_session(&session("s2", "u1")).await.unwrap();
    store.put_session(&session("s3", "u2")).await.unwrap();
    assert_eq!(store.count_sessions().await.unwrap(), 3);
    assert_eq!(
        store.session("s1").await.unwrap(),
        Some(session("s1", "u1"))
    );
    let mut of_u1: Vec<_> = store
        .sessions_of("u1")
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id_hash)
        .collect();
    of_u1.sort();
    assert_eq!(of_u1, ["s1", "s2"]);
    store.delete_session("s1").await.unwrap();
    assert!(store.session("s1").await.unwrap().is_none());
    assert_eq!(store.delete_sessions_of("u1").await.unwrap(), 1);
    assert!(store.session("s2").await.unwrap().is_none());
    assert!(store.session("s3").await.unwrap().is_some());
}

pub async fn one_time_values_are_taken_once(store: SharedStore) {
    let kind = OneTimeKind::AuthorizationCode;
    store
        .put_once(kind, "h1", b"grant", NOW + 60)
        .await
        .unwrap();
    // Kinds are separate name spaces.
    assert_eq!(
        store
            .take_once(OneTimeKind::Captcha, "h1", NOW)
            .await
            .unwrap(),
        None
    );
    let grant = Some(&b"grant"[..]);
    assert_eq!(
        store.peek_once(kind, "h1", NOW).await.unwrap().as_deref(),
        grant
    );
    assert_eq!(
        store.peek_once(kind, "h1", NOW + 60).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        store.take_once(kind, "h1", NOW).await.unwrap().as_deref(),
        grant,
        "peeking leaves it"
    );
    assert_eq!(store.take_once(kind, "h1", NOW).await.unwrap(), None);
    assert_eq!(store.peek_once(kind, "h1", NOW).await.unwrap(), None);
    store.put_once(kind, "h2", b"late", NOW + 60).await.unwrap();
    assert_eq!(store.take_once(kind, "h2", NOW + 60).await.unwrap(), None);
    store.put_once(kind, "h3", b"old", NOW + 10).await.unwrap();
    store.put_once(kind, "h4", b"new", NOW + 100).await.unwrap();
    assert_eq!(store.purge_expired(NOW + 50).await.unwrap(), 1);
    assert!(store
        .take_once(kind, "h4", NOW + 50)
        .await
        .unwrap()
        .is_some());
}

pub async fn live_records_are_listed_by_prefix(store: SharedStore) {
    let kind = OneTimeKind::LoginLock;
    for (key, until) in [
        ("login:account:u1:from:10.0.0.1", NOW + 60),
        ("login:account:u1:unknown-devices", NOW + 600),
        ("login:account:u1:device:d1", NOW),
        ("login:account:u10:from:10.0.0.1", NOW + 60),
    ] {
        store.put_once(kind, key, b"", until).await.unwrap();
    }
    store
        .put_once(OneTimeKind::Captcha, "login:account:u1:x", b"", NOW + 60)
        .await
        .unwrap();
    let live = store
        .live_with_prefix(kind, "login:account:u1:", NOW)
        .await
        .unwrap();
    assert_eq!(
        live,
        [
            ("login:account:u1:from:10.0.0.1".to_string(), NOW + 60),
            ("login:account:u1:unknown-devices".to_string(), NOW + 600),
        ],
        "live ones of the kind, in key order; the expired one, another kind and another \
         account are not"
    );
    let none = store.live_with_prefix(kind, "%", NOW).await.unwrap();
    assert!(none.is_empty(), "a prefix is literal: {none:?}");
}

pub async fn uses_are_first_once(store: SharedStore) {
    let kind = OneTimeKind::ClientAssertion;
    assert!(store.first_use(kind, "j1", NOW, NOW + 60).await.unwrap());
    assert!(!store
        .first_use(kind, "j1", NOW + 59, NOW + 120)
        .await
        .unwrap());
    assert!(
        store
            .first_use(kind, "j1", NOW + 60, NOW + 120)
            .await
            .unwrap(),
        "once the first use has expired, the key is free"
    );
    assert!(!store
        .first_use(kind, "j1", NOW + 61, NOW + 120)
        .await
        .unwrap());
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.first_use(kind, "j2", NOW, NOW + 60).await.unwrap() })
        })
        .collect();
    let mut firsts = 0;
    for task in tasks {
        firsts += usize::from(task.await.unwrap());
    }
    assert_eq!(firsts, 1, "concurrent uses: exactly one is first");
}

pub async fn concurrent_takes_win_once(store: SharedStore) {
    store
        .put_once(OneTimeKind::Captcha, "c", b"SAMBAS", NOW + 60)
        .await
        .unwrap();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .take_once(OneTimeKind::Captcha, "c", NOW)
                    .await
                    .unwrap()
                    .is_some()
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
}

pub async fn spent_values_are_remembered(store: SharedStore) {
    let kind = OneTimeKind::RefreshToken;
    assert_eq!(
        store
            .spend_once(kind, "never", NOW, NOW + 60)
            .await
            .unwrap(),
        Spent::Unknown
    );
    store
        .put_once(kind, "r1", b"grant", NOW + 100)
        .await
        .unwrap();
    assert_eq!(
        store.spend_once(kind, "r1", NOW, NOW + 10).await.unwrap(),
        Spent::First(b"grant".to_vec())
    );
    assert!(store.peek_once(kind, "r1", NOW).await.unwrap().is_none());
    assert_eq!(
        store
            .spend_once(kind, "r1", NOW + 50, NOW + 60)
            .await
            .unwrap(),
        Spent::Again(b"grant".to_vec()),
        "remembered for the value's own life when that is longer than asked"
    );
    assert_eq!(
        store
            .spend_once(kind, "r1", NOW + 100, NOW + 200)
            .await
            .unwrap(),
        Spent::Unknown,
        "and forgotten after"
    );
    store.put_once(kind, "r2", b"code", NOW + 10).await.unwrap();
    store.spend_once(kind, "r2", NOW, NOW + 500).await.unwrap();
    assert_eq!(
        store
            .spend_once(kind, "r2", NOW + 400, NOW + 900)
            .await
            .unwrap(),
        Spent::Again(b"code".to_vec()),
        "remembered as long as asked when that is longer than the value's life"
    );
    store.put_once(kind, "r3", b"late", NOW + 10).await.unwrap();
    assert_eq!(
        store
            .spend_once(kind, "r3", NOW + 10, NOW + 500)
            .await
            .unwrap(),
        Spent::Unknown,
        "an expired value is not spent"
    );
}

/// Refresh rotation's race: of 50 concurrent spends of one token exactly one gets it and every
/// other one learns it was spent (so it can revoke the family), none finds nothing.
pub async fn concurrent_spends_win_once_and_the_rest_see_it_spent(store: SharedStore) {
    let kind = OneTimeKind::RefreshToken;
    store.put_once(kind, "r", b"grant", NOW + 60).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.spend_once(kind, "r", NOW, NOW + 60).await.unwrap() })
        })
        .collect();
    let (mut first, mut again) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Spent::First(v) | Spent::Again(v) if v != b"grant" => panic!("another value: {v:?}"),
            Spent::First(_) => first += 1,
            Spent::Again(_) => again += 1,
            Spent::Unknown => panic!("a concurrent spend found nothing"),
        }
    }
    assert_eq!((first, again), (1, 49));
}

pub async fn outbox_leases_retries_and_delivers(store: SharedStore) {
    let first = store.enqueue_mail(mail("a@example.id"), NOW).await.unwrap();
    let second = store
        .enqueue_mail(mail("b@example.id"), NOW + 1)
        .await
        .unwrap();
    assert_eq!(store.pending_mail().await.unwrap(), 2);
    let lease = Duration::from_secs(30);
    let claimed = store.claim_mail(NOW + 1, lease, 10).await.unwrap();
    assert_eq!(
        claimed.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(),
        [&first, &second]
    );
    assert_eq!(claimed[0].attempts, 1);
    // Leased: nobody else gets them until the lease ends.
    assert!(store
        .claim_mail(NOW + 2, lease, 10)
        .await
        .unwrap()
        .is_empty());
    store.mail_sent(&first).await.unwrap();
    store
        .mail_failed(&second, NOW + 100, "connection refused")
        .await
        .unwrap();
    assert!(store
        .claim_mail(NOW + 99, lease, 10)
        .await
        .unwrap()
        .is_empty());
    let retried = store.claim_mail(NOW + 100, lease, 10).await.unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].attempts, 2);
    assert_eq!(retried[0].last_error.as_deref(), Some("connection refused"));
    store.mail_sent(&second).await.unwrap();
    assert_eq!(store.pending_mail().await.unwrap(), 0);
}

pub async fn concurrent_claims_are_disjoint(store: SharedStore) {
    for n in 0..40 {
        store
            .enqueue_mail(mail(&format!("{n}@example.id")), NOW)
            .await
            .unwrap();
    }
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .claim_mail(NOW, Duration::from_secs(60), 7)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for task in tasks {
        for m in task.await.unwrap() {
            assert!(seen.insert(m.id), "a message was claimed twice");
        }
    }
    assert_eq!(seen.len(), 40);
}

pub async fn audit_events_newest_first(store: SharedStore) {
    for n in 0..5u64 {
        store
            .record(&AuditEvent {
                at: NOW + n,
                kind: "login.failure".into(),
                user_id: Some("u1".into()),
                client_id: None,
                address: Some("127.0.0.1".into()),
                detail: format!("attempt {n}"),
                actor: None,
            })
            .await
            .unwrap();
    }
    let recent = store.recent_events(3).await.unwrap();
    assert_eq!(
        recent.iter().map(|e| e.at).collect::<Vec<_>>(),
        [NOW + 4, NOW + 3, NOW + 2]
    );
    for (n, (user, actor)) in [("u2", "dewi"), ("u1", "dewi"), ("u2", "command-line")]
        .into_iter()
        .enumerate()
    {
        let event = AuditEvent {
            user_id: Some(user.into()),
            actor: Some(actor.into()),
            ..AuditEvent::new(
                crate::audit::AuditKind::LoginUnlocked,
                NOW + 10 + n as u64,
                "x",
            )
        };
        store.record(&event).await.unwrap();
    }
    let found = |filter: AuditFilter, limit| {
        let store = Arc::clone(&store);
        async move {
            let events = store.events_matching(&filter, limit).await.unwrap();
            events.iter().map(|e| e.at - NOW).collect::<Vec<_>>()
        }
    };
    let by = |user: Option<&str>, kind: Option<&str>, actor: Option<&str>| AuditFilter {
        user_id: user.map(Into::into),
        kind: kind.map(Into::into),
        actor: actor.map(Into::into),
        ..AuditFilter::default()
    };
    assert_eq!(found(AuditFilter::default(), 2).await, [12, 11]);
    assert_eq!(
        found(by(Some("u1"), None, None), 10).await,
        [11, 4, 3, 2, 1, 0]
    );
    assert_eq!(
        found(by(Some("u1"), Some("login.failure"), None), 2).await,
        [4, 3]
    );
    assert_eq!(found(by(None, None, Some("dewi")), 10).await, [11, 10]);
    assert_eq!(found(by(Some("u2"), None, Some("dewi")), 10).await, [10]);
    let range = AuditFilter {
        from: Some(NOW + 2),
        until: Some(NOW + 11),
        ..AuditFilter::default()
    };
    assert_eq!(found(range, 10).await, [10, 4, 3, 2]);
}

pub async fn signing_keys_and_secrets(store: SharedStore) {
    let key = SigningKey {
        kid: "k1".into(),
        alg: "RS256".into(),
        private_pkcs8: vec![1, 2, 3],
        created_at: NOW,
        active_from: NOW,
        retire_after: None,
    };
    store.put_signing_key(&key).await.unwrap();
    let mut later = key.clone();
    later.retire_after = Some(NOW + 10);
    store.put_signing_key(&later).await.unwrap();
    assert_eq!(store.signing_keys().await.unwrap(), [later]);
    assert!(!format!("{key:?}").contains("[1, 2, 3]"));

    let tasks: Vec<_> = (0..16u8)
        .map(|n| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.secret("cookie", &move || vec![n; 32]).await.unwrap() })
        })
        .collect();
    let mut values = HashSet::new();
    for task in tasks {
        values.insert(task.await.unwrap());
    }
    assert_eq!(values.len(), 1, "every caller sees the same secret");
    let again = store.secret("cookie", &|| vec![99; 32]).await.unwrap();
    assert!(values.contains(&again));
}

pub async fn counters_count_per_window(store: SharedStore) {
    let minute = Duration::from_secs(60);
    let start = NOW - NOW % 60;
    assert_eq!(store.hit("ip:1", minute, start).await.unwrap(), 1);
    assert_eq!(store.hit("ip:1", minute, start + 59).await.unwrap(), 2);
    assert_eq!(store.count("ip:1", minute, start + 59).await.unwrap(), 2);
    assert_eq!(store.count("ip:2", minute, start).await.unwrap(), 0);
    // A new window starts from one.
    assert_eq!(store.hit("ip:1", minute, start + 60).await.unwrap(), 1);
    assert_eq!(store.count("ip:1", minute, start + 121).await.unwrap(), 0);
    store.reset("ip:1").await.unwrap();
    assert_eq!(store.count("ip:1", minute, start + 60).await.unwrap(), 0);

    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.hit("acct", minute, start).await.unwrap() })
        })
        .collect();
    let mut counts = Vec::new();
    for task in tasks {
        counts.push(task.await.unwrap());
    }
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=50).collect::<Vec<_>>(),
        "no hit is lost under contention"
    );
}

pub async fn revocations_expire_and_can_be_followed(store: SharedStore) {
    assert!(!store.is_revoked(Revoked::Family("f1"), NOW).await.unwrap());
    let (none, start) = store.revocations_since(0).await.unwrap();
    assert!(none.is_empty());
    store.revoke(Revoked::Family("f1"), NOW + 60).await.unwrap();
    store.revoke(Revoked::User("u1"), NOW + 60).await.unwrap();
    assert!(store.is_revoked(Revoked::Family("f1"), NOW).await.unwrap());
    assert!(
        !store
            .is_revoked(Revoked::Family("f1"), NOW + 60)
            .await
            .unwrap(),
        "a revocation ends with what it revoked"
    );
    let (seen, cursor) = store.revocations_since(start).await.unwrap();
    assert_eq!(
        seen,
        [
            (Revoked::Family("f1").key(), NOW + 60),
            (Revoked::User("u1").key(), NOW + 60)
        ]
    );
    store
        .revoke(Revoked::Session("s9"), NOW + 90)
        .await
        .unwrap();
    let (later, _) = store.revocations_since(cursor).await.unwrap();
    assert_eq!(
        later,
        [(Revoked::Session("s9").key(), NOW + 90)],
        "a follower sees each revocation once"
    );
}

fn membership(group: &str, until: Option<Timestamp>) -> Membership {
    Membership {
        group: group.into(),
        granted_by: "admin-cli".into(),
        granted_at: NOW,
        until,
    }
}

/// Users sorted by id, as both backends list them.
fn by_user(mut changed: Vec<(String, Memberships)>) -> Vec<(String, Memberships)> {
    changed.sort_by(|a, b| a.0.cmp(&b.0));
    changed
}

pub async fn memberships_are_kept_and_followed(store: SharedStore) {
    let budi = store.create_user(new_user(1), None, NOW).await.unwrap();
    let sari = store.create_user(new_user(2), None, NOW).await.unwrap();
    let (none, start) = store.membership_changes_since(0).await.unwrap();
    assert!(none.is_empty());
    let admin = membership("admin", None);
    let usaha = membership("pelaku-usaha", Some(NOW + 60));
    store.grant(&budi.id, &admin).await.unwrap();
    store.grant(&budi.id, &usaha).await.unwrap();
    store.grant(&sari.id, &usaha).await.unwrap();
    assert!(
        matches!(
            store.grant("nobody", &admin).await,
            Err(StoreError::NotFound)
        ),
        "only users are granted"
    );
    // A second grant of a group replaces the first (here: a later end).
    let longer = membership("pelaku-usaha", Some(NOW + 600));
    store.grant(&budi.id, &longer).await.unwrap();
    assert_eq!(
        store.memberships(&budi.id).await.unwrap(),
        [admin.clone(), longer.clone()]
    );
    let mut members = store.members("pelaku-usaha").await.unwrap();
    let mut expected = vec![
        (budi.id.clone(), longer.clone()),
        (sari.id.clone(), usaha.clone()),
    ];
    members.sort_by(|a, b| a.0.cmp(&b.0));
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(members, expected);
    let (seen, cursor) = store.membership_changes_since(start).await.unwrap();
    assert_eq!(
        by_user(seen),
        by_user(vec![
            (budi.id.clone(), vec![admin.clone(), longer.clone()]),
            (sari.id.clone(), vec![usaha.clone()])
        ]),
        "each changed user once, with what they hold now"
    );
    assert!(store.remove_membership(&budi.id, "admin").await.unwrap());
    assert!(!store.remove_membership(&budi.id, "admin").await.unwrap());
    let (later, cursor) = store.membership_changes_since(cursor).await.unwrap();
    assert_eq!(later, [(budi.id.clone(), vec![longer.clone()])]);
    let (nothing, same) = store.membership_changes_since(cursor).await.unwrap();
    assert!(nothing.is_empty() && same == cursor);
    // A deleted user's memberships go with it, and followers hear of it.
    store.delete_user(&sari.id).await.unwrap();
    let (gone, _) = store.membership_changes_since(cursor).await.unwrap();
    assert_eq!(gone, [(sari.id.clone(), vec![])]);
    assert_eq!(store.members("pelaku-usaha").await.unwrap().len(), 1);
}

fn totp_factor(id: &str, created_at: Timestamp) -> SecondFactor {
    SecondFactor {
        id: id.into(),
        name: format!("app {id}"),
        kind: FactorKind::Totp {
            sealed_secret: format!("sealed-{id}"),
        },
        created_at,
        last_used_at: None,
        last_step: None,
    }
}

/// Second factors: kept per user, oldest first, replaced by id, removed one by one; a TOTP
/// step is accepted once, across concurrent attempts, and never one before it; a deleted
/// user's go with it.
pub async fn second_factors_are_kept_and_steps_accepted_once(store: SharedStore) {
    let budi = store.create_user(new_user(1), None, NOW).await.unwrap();
    let sari = store.create_user(new_user(2), None, NOW).await.unwrap();
    let (phone, laptop) = (totp_factor("f1", NOW), totp_factor("f2", NOW + 1));
    store.put_factor(&budi.id, &laptop).await.unwrap();
    store.put_factor(&budi.id, &phone).await.unwrap();
    store.put_factor(&sari.id, &phone).await.unwrap();
    assert!(matches!(
        store.put_factor("nobody", &phone).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.factors(&budi.id).await.unwrap(),
        [phone.clone(), laptop.clone()]
    );
    let renamed = SecondFactor {
        name: "ponsel kantor".into(),
        ..phone.clone()
    };
    store.put_factor(&budi.id, &renamed).await.unwrap();
    assert_eq!(
        store.factors(&budi.id).await.unwrap()[0].name,
        "ponsel kantor"
    );

    // Steps: once each, forwards only, per factor.
    assert!(store.accept_step(&budi.id, "f1", 100, NOW).await.unwrap());
    assert!(!store.accept_step(&budi.id, "f1", 100, NOW).await.unwrap());
    assert!(!store.accept_step(&budi.id, "f1", 99, NOW).await.unwrap());
    assert!(store.accept_step(&sari.id, "f1", 100, NOW).await.unwrap());
    assert!(!store
        .accept_step(&budi.id, "absent", 100, NOW)
        .await
        .unwrap());
    let used = &store.factors(&budi.id).await.unwrap()[0];
    assert_eq!((used.last_step, used.last_used_at), (Some(100), Some(NOW)));
    // Eight instances accept one code at once: one of them does.
    let tries = (0..8).map(|_| {
        let (store, id) = (store.clone(), budi.id.clone());
        tokio::spawn(async move { store.accept_step(&id, "f1", 101, NOW + 30).await })
    });
    let mut accepted = 0;
    for attempt in tries {
        accepted += usize::from(attempt.await.unwrap().unwrap());
    }
    assert_eq!(
        accepted, 1,
        "a code is accepted once across concurrent attempts"
    );

    assert!(store.remove_factor(&budi.id, "f2").await.unwrap());
    assert!(!store.remove_factor(&budi.id, "f2").await.unwrap());
    assert_eq!(store.factors(&budi.id).await.unwrap().len(), 1);
    store.delete_user(&sari.id).await.unwrap();
    assert!(store.factors(&sari.id).await.unwrap().is_empty());
}

/// Recovery codes: replaced as a set, each spent once, per user; a reset removes them with the
/// factors; a deleted user's go with it.
pub async fn recovery_codes_are_spent_once(store: SharedStore) {
    let budi = store.create_user(new_user(1), None, NOW).await.unwrap();
    let sari = store.create_user(new_user(2), None, NOW).await.unwrap();
    store
        .put_factor(&budi.id, &totp_factor("f1", NOW))
        .await
        .unwrap();
    let codes: Vec<String> = (0..3).map(|n| format!("hash{n}")).collect();
    store.set_recovery_codes(&budi.id, &codes).await.unwrap();
    store
        .set_recovery_codes(&sari.id, &codes[..1])
        .await
        .unwrap();
    assert_eq!(store.recovery_codes_left(&budi.id).await.unwrap(), 3);
    let spend = |hash: &'static str| {
        let (store, id) = (store.clone(), budi.id.clone());
        async move { store.spend_recovery_code(&id, hash).await.unwrap() }
    };
    assert_eq!(spend("hash1").await, Some(2));
    assert_eq!(spend("hash1").await, None);
    assert_eq!(spend("other").await, None);
    assert_eq!(
        store.recovery_codes_left(&sari.id).await.unwrap(),
        1,
        "per user"
    );
    let fresh = vec!["new0".to_string(), "new1".to_string()];
    store.set_recovery_codes(&budi.id, &fresh).await.unwrap();
    assert_eq!(spend("hash0").await, None, "a new set voids the old one");
    assert_eq!(store.recovery_codes_left(&budi.id).await.unwrap(), 2);

    assert_eq!(store.remove_second_factors(&budi.id).await.unwrap(), 1);
    assert!(store.factors(&budi.id).await.unwrap().is_empty());
    assert_eq!(store.recovery_codes_left(&budi.id).await.unwrap(), 0);
    store.delete_user(&sari.id).await.unwrap();
    assert_eq!(store.recovery_codes_left(&sari.id).await.unwrap(), 0);
}

/// Expands to one `#[tokio::test]` per conformance check, each on a fresh store made by `$make`:
/// an async expression yielding a [`SharedStore`] and a guard that cleans up after it (a
/// temporary directory, a scratch database) when dropped at the end of the test.
/// A store with some of everything: three users (each with a queued mail), a session, a
/// one-time value, audit events, a key, a secret, a revocation, a membership, a second factor
/// and recovery codes.
pub async fn populated(store: &SharedStore) {
    for n in 0..3 {
        let user = store
            .create_user(new_user(n), Some(mail(&format!("user{n}@example.id"))), NOW)
            .await
            .unwrap();
        store
            .put_session(&session(&format!("s{n}"), &user.id))
            .await
            .unwrap();
    }
    store
        .put_once(OneTimeKind::RefreshToken, "h1", b"family", NOW + 600)
        .await
        .unwrap();
    for n in 0..2u64 {
        store
            .record(&AuditEvent {
                at: NOW + n,
                kind: "login.success".into(),
                user_id: None,
                client_id: None,
                address: None,
                detail: format!("event {n}"),
                actor: Some("command-line".into()),
            })
            .await
            .unwrap();
    }
    let key = SigningKey {
        kid: "k1".into(),
        alg: "ES256".into(),
        private_pkcs8: vec![7; 16],
        created_at: NOW,
        active_from: NOW,
        retire_after: None,
    };
    store.put_signing_key(&key).await.unwrap();
    store.secret("cookie-key", &|| vec![5; 32]).await.unwrap();
    store.revoke(Revoked::User("gone"), NOW + 60).await.unwrap();
    let first = store.users().await.unwrap().remove(0);
    store
        .grant(&first.id, &membership("admin", Some(NOW + 60)))
        .await
        .unwrap();
    let factor = SecondFactor {
        last_step: Some(7),
        last_used_at: Some(NOW),
        ..totp_factor("f1", NOW)
    };
    store.put_factor(&first.id, &factor).await.unwrap();
    let codes = ["hash0".to_string(), "hash1".to_string()];
    store.set_recovery_codes(&first.id, &codes).await.unwrap();
}

/// Sorted by their JSON form, to compare exports of backends that list in other orders.
fn canonical(records: &[transfer::Record]) -> Vec<String> {
    let mut lines: Vec<String> = transfer::to_json_lines(records)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

/// Export `from` (populated here), import into the empty `to`: the same records, and they work
/// there (found by key, taken once, mail claimable, audit in order). `to` may be another backend.
pub async fn exports_import_into_an_empty_store(from: SharedStore, to: SharedStore) {
    populated(&from).await;
    let exported = from.export().await.unwrap();
    let read = transfer::from_json_lines(&transfer::to_json_lines(&exported).unwrap()).unwrap();
    assert_eq!(read, exported, "the JSON lines read back as written");
    let counts = transfer::import(to.as_ref(), &read).await.unwrap();
    assert_eq!((counts.users, counts.sessions, counts.mail), (3, 3, 3));
    assert_eq!(canonical(&to.export().await.unwrap()), canonical(&exported));

    let user = to
        .user_by_key(&UniqueKey::Email("USER1@example.id".into()))
        .await
        .unwrap()
        .expect("found by e-mail");
    assert_eq!(to.sessions_of(&user.id).await.unwrap().len(), 1);
    assert!(matches!(
        to.create_user(new_user(1), None, NOW).await,
        Err(StoreError::Taken(_))
    ));
    assert_eq!(
        to.take_once(OneTimeKind::RefreshToken, "h1", NOW)
            .await
            .unwrap(),
        Some(b"family".to_vec())
    );
    assert_eq!(
        to.claim_mail(NOW, Duration::from_secs(60), 10)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        to.recent_events(10).await.unwrap(),
        from.recent_events(10).await.unwrap()
    );
    assert_eq!(
        to.secret("cookie-key", &|| vec![0; 32]).await.unwrap(),
        vec![5; 32]
    );
    assert!(to.is_revoked(Revoked::User("gone"), NOW).await.unwrap());
    assert_eq!(to.members("admin").await.unwrap().len(), 1);
    let holder = &to.members("admin").await.unwrap()[0].0;
    assert!(
        !to.accept_step(holder, "f1", 7, NOW).await.unwrap(),
        "the last accepted step moves with the factor"
    );
    assert_eq!(
        to.spend_recovery_code(holder, "hash1").await.unwrap(),
        Some(1)
    );
    assert!(
        transfer::import(to.as_ref(), &read).await.is_err(),
        "never into a store that has users"
    );
}

#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@tests $make;
            users_are_found_by_every_key,
            unique_keys_are_enforced,
            passports_are_unique_per_number_and_country,
            concurrent_creation_gives_one_user,
            concurrent_creation_with_one_nik_gives_one_user,
            updates_move_unique_keys,
            federated_links_belong_to_one_account,
            deleting_a_user_frees_keys_and_ends_sessions,
            sessions_by_id_and_user,
            one_time_values_are_taken_once,
            live_records_are_listed_by_prefix,
            concurrent_takes_win_once,
            uses_are_first_once,
            spent_values_are_remembered,
            concurrent_spends_win_once_and_the_rest_see_it_spent,
            outbox_leases_retries_and_delivers,
            concurrent_claims_are_disjoint,
            audit_events_newest_first,
            signing_keys_and_secrets,
            counters_count_per_window,
            revocations_expire_and_can_be_followed,
            memberships_are_kept_and_followed,
            second_factors_are_kept_and_steps_accepted_once,
            recovery_codes_are_spent_once,
        );

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn exports_import_into_an_empty_store() {
            let (from, _from_cleanup) = $make.await;
            let (to, _to_cleanup) = $make.await;
            $crate::store::conformance::exports_import_into_an_empty_store(from, to).await;
        }
    };
    (@tests $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let (store, _cleanup) = $make.await;
                $crate::store::conformance::$name(store).await;
            }
        )*
    };
}
