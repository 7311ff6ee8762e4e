//! JWS parsing and verification, as bearer routes read access tokens and logout reads ID token
//! hints. Nothing verifies that the provider's keys did not sign; what they sign verifies to
//! the same claims; and any change to a signed token makes it fail.

use std::sync::OnceLock;

use gerbang_idp::keys::{generate, Keyring, SigningAlg};
use gerbang_idp::protocol::grant::{verify_access, AccessClaims};
use gerbang_idp::protocol::jwt;
use serde_json::{json, Value};

const ISSUER: &str = "https://login.example";
const NOW: u64 = 1_800_000_000;

fn keys() -> &'static Keyring {
    static KEYS: OnceLock<Keyring> = OnceLock::new();
    KEYS.get_or_init(|| {
        let stored = [SigningAlg::Rs256, SigningAlg::Es256]
            .map(|alg| generate(alg, NOW - 10).expect("a key"));
        Keyring::from_stored(&stored, NOW).expect("a keyring")
    })
}

/// The input is a token as sent (or any bytes: the claims of one this target signs).
pub fn check(data: &[u8]) {
    let keys = keys();
    let text = String::from_utf8_lossy(data);
    assert!(
        jwt::verify::<Value>(keys, &text).is_err(),
        "a token the keys never signed verified: {text:?}"
    );
    assert!(verify_access(keys, ISSUER, &text, NOW).is_err());
    let alg = match data.first() {
        Some(b) if b % 2 == 0 => SigningAlg::Rs256,
        _ => SigningAlg::Es256,
    };
    round_trip(keys, alg, &text, data);
}

fn round_trip(keys: &Keyring, alg: SigningAlg, text: &str, data: &[u8]) {
    let claims = json!({
        "iss": ISSUER, "sub": text, "aud": [text], "client_id": text, "scope": "openid",
        "iat": NOW, "exp": NOW + 60, "jti": text, "sid": text,
    });
    let token = jwt::sign(keys, alg, "at+jwt", &claims, NOW).expect("signs");
    let back: Value = jwt::verify(keys, &token).expect("what the keys signed verifies");
    assert_eq!(back, claims);
    let access: AccessClaims = verify_access(keys, ISSUER, &token, NOW).expect("a live token");
    assert_eq!(
        (access.sub.as_str(), access.sid.as_deref()),
        (text, Some(text))
    );
    assert!(
        verify_access(keys, ISSUER, &token, NOW + 60).is_err(),
        "expired"
    );
    assert!(verify_access(keys, "https://other.example", &token, NOW).is_err());
    // Change one byte, where and to what the input says.
    let (Some(&at), Some(&to)) = (data.first(), data.get(1)) else {
        return;
    };
    let mut tampered = token.into_bytes();
    let at = usize::from(at) * tampered.len() / 256;
    if tampered[at] == to {
        return;
    }
    tampered[at] = to;
    let tampered = String::from_utf8_lossy(&tampered);
    assert!(
        jwt::verify::<Value>(keys, &tampered).is_err(),
        "a changed token verified: {tampered:?}"
    );
}
