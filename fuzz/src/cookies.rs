//! The gateway's cookies. A `Cookie` header is read as browsers send it; nothing opens under
//! the gateway's key that the gateway did not seal (AES-GCM); what it seals opens to exactly
//! that, from any place in the header; and the header an upstream receives has none of the
//! gateway's cookies left in it.

use std::sync::OnceLock;

use cookie::Key;
use gerbang::proxy::headers::without_gateway_cookies;
use gerbang::proxy::login::PENDING_COOKIE_PREFIX;
use gerbang::proxy::session::{self, Identity, COOKIE};
use gerbang_idp::cookie_header;

fn key() -> &'static Key {
    static KEY: OnceLock<Key> = OnceLock::new();
    KEY.get_or_init(|| Key::from(&[7; 64]))
}

/// The input is a `Cookie` header (or, when it parses, a session's identity as JSON).
pub fn check(data: &[u8]) {
    if let Ok(identity) = serde_json::from_slice::<Identity>(data) {
        identity_round_trip(&identity);
    }
    let Some(header) = crate::text(data) else {
        return;
    };
    if let Some(value) = cookie_header::value(header, COOKIE) {
        assert!(header.contains(value));
        assert!(
            session::open_identity(value, key()).is_none(),
            "an unsealed session cookie opened: {header:?}"
        );
    }
    sealed_round_trip(header);
    upstream_header(header);
}

fn sealed_round_trip(value: &str) {
    let Some(set_cookie) = session::sealed_cookie(COOKIE, value.to_string(), key(), 60) else {
        return;
    };
    let pair = set_cookie.split(';').next().unwrap_or("");
    for header in [
        pair.to_string(),
        format!("a=1; {pair}"),
        format!("{pair}; b=2"),
    ] {
        assert_eq!(
            session::open_cookie(&header, COOKIE, key()).as_deref(),
            Some(value),
            "a sealed value did not open to itself"
        );
    }
    let other = Key::from(&[8; 64]);
    assert_eq!(session::open_cookie(pair, COOKIE, &other), None);
    let pending = format!("{PENDING_COOKIE_PREFIX}x");
    assert_eq!(
        session::open_cookie(&pair.replacen(COOKIE, &pending, 1), &pending, key()),
        None,
        "a session cookie opened under another cookie's name"
    );
}

fn identity_round_trip(identity: &Identity) {
    let Some(set_cookie) = session::cookie_for(identity, key(), 60) else {
        return;
    };
    let raw = cookie_header::value(set_cookie.split(';').next().unwrap_or(""), COOKIE)
        .expect("the cookie has its name");
    let opened = session::open_identity(raw, key()).expect("a sealed identity opens");
    assert_eq!(&opened, identity);
}

fn upstream_header(header: &str) {
    // A pair's name without the blanks around it (RFC 6265 section 5.2), as apps read it.
    let name_of = |pair: &str| pair.split('=').next().unwrap_or("").trim().to_string();
    let is_ours = |pair: &str| {
        let name = name_of(pair);
        name == COOKIE || name.starts_with(PENDING_COOKIE_PREFIX)
    };
    let Some(kept) = without_gateway_cookies(header) else {
        assert!(
            !header.split(';').any(is_ours),
            "a gateway cookie would reach the upstream: {header:?}"
        );
        return;
    };
    for pair in kept.split(';') {
        assert!(!is_ours(pair), "{pair:?} kept in {kept:?} from {header:?}");
    }
    assert_eq!(cookie_header::value(&kept, COOKIE), None);
    let others: Vec<&str> = header
        .split(';')
        .filter(|p| !is_ours(p))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let kept_pairs: Vec<&str> = kept.split("; ").filter(|p| !p.is_empty()).collect();
    assert_eq!(
        kept_pairs, others,
        "the app's own cookies changed: {header:?}"
    );
}
