//! The identity JWT an upstream receives (`forward = ["jwt"]`, `X-Gerbang-Identity`), signed
//! once per identity, route and groups shown, and sent again while at least half its life is
//! left. An ES256 signature costs more than all the rest of a proxied request, and what the
//! token says changes only with those three; a token a minute old at most is what the route
//! promises, as Cloudflare Access and Pomerium send one assertion for many requests.

use std::sync::Mutex;

use http::HeaderValue;

/// How long an identity JWT is valid.
pub const LIFETIME: u64 = 60;
/// A token is sent again while it has at least this long to live.
const LEFT_TO_REUSE: u64 = LIFETIME / 2;
/// Tokens kept per identity: one per route it uses, with the groups each shows. When full, the
/// oldest makes room.
const KEPT: usize = 8;

struct Signed {
    route: Box<str>,
    groups: Box<[Box<str>]>,
    issued_at: u64,
    token: HeaderValue,
}

impl Signed {
    fn is_for(&self, route: &str, groups: &[&str]) -> bool {
        *self.route == *route
            && self.groups.len() == groups.len()
            && self.groups.iter().zip(groups).all(|(a, b)| **a == **b)
    }

    fn fresh_at(&self, now: u64) -> bool {
        // A clock that went back leaves a token with more life than it was given: not reused.
        self.issued_at <= now && now + LEFT_TO_REUSE < self.issued_at + LIFETIME
    }
}

/// One identity's signed tokens (a field of the remembered `Identity`, so it lives and ends
/// with the session or access token it is for).
#[derive(Default)]
pub struct SignedTokens {
    kept: Mutex<Vec<Signed>>,
}

impl SignedTokens {
    /// The token for `route` showing `groups` at `now`: a kept one with half its life left, or
    /// `sign(now)`, kept for the next request. The signing happens outside the lock: two
    /// requests that race may both sign, and the later is kept.
    pub fn get_or_sign(
        &self,
        route: &str,
        groups: &[&str],
        now: u64,
        sign: impl FnOnce(u64) -> Option<HeaderValue>,
    ) -> Option<HeaderValue> {
        if let Ok(kept) = self.kept.lock() {
            let found = kept.iter().find(|s| s.is_for(route, groups));
            if let Some(signed) = found.filter(|s| s.fresh_at(now)) {
                return Some(signed.token.clone());
            }
        }
        let token = sign(now)?;
        if let Ok(mut kept) = self.kept.lock() {
            kept.retain(|s| s.fresh_at(now) && !s.is_for(route, groups));
            if kept.len() >= KEPT {
                if let Some(oldest) = (0..kept.len()).min_by_key(|&i| kept[i].issued_at) {
                    kept.swap_remove(oldest);
                }
            }
            kept.push(Signed {
                route: route.into(),
                groups: groups.iter().map(|&g| g.into()).collect(),
                issued_at: now,
                token: token.clone(),
            });
        }
        Some(token)
    }
}

impl std::fmt::Debug for SignedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self.kept.lock().map_or(0, |k| k.len());
        write!(f, "SignedTokens({kept} kept)")
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// A signer that counts its calls and names each token after the time it was signed.
    fn signer(calls: &Cell<u32>) -> impl FnOnce(u64) -> Option<HeaderValue> + '_ {
        move |now| {
            calls.set(calls.get() + 1);
            HeaderValue::from_str(&format!("token-{now}")).ok()
        }
    }

    #[test]
    fn a_token_is_sent_again_while_half_its_life_is_left() {
        let (tokens, calls) = (SignedTokens::default(), Cell::new(0));
        let at = |now| tokens.get_or_sign("app", &["a"], now, signer(&calls));
        assert_eq!(at(1000).unwrap(), "token-1000");
        assert_eq!(
            at(1000 + LIFETIME - LEFT_TO_REUSE - 1).unwrap(),
            "token-1000"
        );
        assert_eq!(calls.get(), 1);
        assert_eq!(
            at(1000 + LIFETIME - LEFT_TO_REUSE).unwrap(),
            "token-1030",
            "no token goes out with less than half its life"
        );
        assert_eq!(calls.get(), 2);
        assert_eq!(
            at(999).unwrap(),
            "token-999",
            "a clock that went back signs anew"
        );
    }

    #[test]
    fn each_route_and_set_of_groups_has_its_own_token() {
        let (tokens, calls) = (SignedTokens::default(), Cell::new(0));
        tokens.get_or_sign("app", &["a"], 10, signer(&calls));
        tokens.get_or_sign("laporan", &["a"], 11, signer(&calls));
        tokens.get_or_sign("app", &["a", "b"], 12, signer(&calls));
        tokens.get_or_sign("app", &[], 13, signer(&calls));
        assert_eq!(
            calls.get(),
            4,
            "a different audience or claim is signed anew"
        );
        let again = tokens.get_or_sign("app", &["a"], 14, signer(&calls));
        assert_eq!(again.unwrap(), "token-10");
        assert_eq!(calls.get(), 4);
    }

    #[test]
    fn at_most_a_few_are_kept_and_a_failed_signature_keeps_nothing() {
        let (tokens, calls) = (SignedTokens::default(), Cell::new(0));
        for i in 0..(KEPT as u64 * 2) {
            tokens.get_or_sign(&format!("route-{i}"), &[], 100 + i, signer(&calls));
        }
        assert_eq!(tokens.kept.lock().unwrap().len(), KEPT);
        let newest = format!("route-{}", KEPT * 2 - 1);
        tokens.get_or_sign(&newest, &[], 120, signer(&calls));
        assert_eq!(calls.get(), KEPT as u32 * 2, "the newest stayed");
        assert_eq!(tokens.get_or_sign("failed", &[], 120, |_| None), None);
        assert!(tokens
            .get_or_sign("failed", &[], 121, signer(&calls))
            .is_some());
    }
}
