//! Who may reach what, on the proxy path: every instance holds every user's group memberships
//! in memory (followed from the store's change log, see `serve::SharedStateFeed`, so a grant
//! or a revocation on any instance decides here within a second), and asks
//! `gerbang_idp::access` with them. No store read per request.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use gerbang_config::{Access, Strength};
use gerbang_idp::access::{self, Asked, Asker, Decision, Person};
use gerbang_idp::store::{Membership, Memberships, Timestamp};

use super::session::Identity;

/// Every user's memberships, by user id; users without any are absent.
#[derive(Default)]
pub struct MembershipCache {
    users: RwLock<HashMap<String, Arc<[Membership]>>>,
}

impl MembershipCache {
    /// Takes what changed: each user with all their memberships now.
    pub fn update(&self, changed: Vec<(String, Memberships)>) {
        if changed.is_empty() {
            return;
        }
        if let Ok(mut users) = self.users.write() {
            for (user_id, held) in changed {
                if held.is_empty() {
                    users.remove(&user_id);
                } else {
                    users.insert(user_id, held.into());
                }
            }
        }
    }

    /// The user's memberships, if any (one reference count, no copy).
    pub fn of(&self, user_id: &str) -> Option<Arc<[Membership]>> {
        self.users.read().ok()?.get(user_id).cloned()
    }
}

/// The decision for one request: `identity` is the session or bearer token (none for a
/// public route's visitor), `address` the real client address. A refusal comes with the
/// strength that would let the request through, when a stronger login would (a step-up).
pub fn decide(
    rules: &Access,
    cache: &MembershipCache,
    identity: Option<&Identity>,
    address: Option<IpAddr>,
    asked: &Asked<'_>,
    now: Timestamp,
) -> (Decision, Option<Strength>) {
    // A client acting for itself is nobody's person: rules about people never match it. The
    // memberships are looked up only when a rule asks about people (a route without rules
    // that lets everyone in never gets here: see `Gateway::refused`).
    let identity = identity.filter(|i| !i.machine);
    let about_people = rules.rules.iter().any(|r| r.needs_person());
    let held = identity
        .filter(|_| about_people)
        .and_then(|i| cache.of(&i.sub));
    let person = identity.map(|i| Person {
        username: &i.username,
        email: i.email.as_deref(),
        memberships: held.as_deref().unwrap_or(&[]),
        strength: i.strength,
    });
    let asker = Asker { person, address };
    let decision = access::decide(rules, &asker, asked, now);
    match decision.allowed() {
        true => (decision, None),
        false => (decision, access::stronger_needed(rules, &asker, asked, now)),
    }
}
