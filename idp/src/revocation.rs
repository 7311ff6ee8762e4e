//! What can be revoked before its natural end, and the one key encoding every writer (logout,
//! token revocation, code replay, administration) and every reader (the provider's checks, each
//! gateway instance's in-memory set fed from the store's log) share. A kind is a variant, not a
//! string prefix, so a typo cannot silently disable a revocation.

use std::fmt;

/// One revocable thing, naming it by the id it is known by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked<'a> {
    /// A provider session (its hash): every gateway session and token that came from it.
    Session(&'a str),
    /// One gateway session (its id, as sealed in the gateway's cookie).
    GatewaySession(&'a str),
    /// Every session of a user (disabled or deleted accounts).
    User(&'a str),
    /// One access token (its `jti`).
    AccessToken(&'a str),
    /// A grant family: everything issued from one authorization code (named by the code's
    /// hash), its access tokens and every refresh token rotated from it.
    Family(&'a str),
}

impl<'a> Revoked<'a> {
    /// The prefix and id its key is made of.
    fn parts(self) -> (&'static str, &'a str) {
        match self {
            Revoked::Session(id) => ("session:", id),
            Revoked::GatewaySession(id) => ("gateway:", id),
            Revoked::User(id) => ("user:", id),
            Revoked::AccessToken(id) => ("jti:", id),
            // Families are named after the code they came from, as they always were on disk.
            Revoked::Family(id) => ("code:", id),
        }
    }

    /// The key the store and the gateways keep it under.
    pub fn key(self) -> String {
        let mut key = String::new();
        self.write_key(&mut key);
        key
    }

    /// Writes the key into `buffer` (cleared first): a look-up on the proxy path reuses one
    /// buffer instead of allocating.
    pub fn write_key(self, buffer: &mut String) {
        let (prefix, id) = self.parts();
        buffer.clear();
        buffer.push_str(prefix);
        buffer.push_str(id);
    }

    /// The revocation a stored key names (an export being imported); `None` for a key no
    /// version of Gerbang writes.
    pub fn parse(key: &'a str) -> Option<Revoked<'a>> {
        let (prefix, id) = key.split_once(':')?;
        let kind = match prefix {
            "session" => Revoked::Session,
            "gateway" => Revoked::GatewaySession,
            "user" => Revoked::User,
            "jti" => Revoked::AccessToken,
            "code" => Revoked::Family,
            _ => return None,
        };
        Some(kind(id))
    }
}

impl fmt::Display for Revoked<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, id) = self.parts();
        f.write_str(prefix)?;
        f.write_str(id)
    }
}

/// The family id a stored grant or token claim names: the code's hash. Records written before
/// the family was typed carry the key (`code:…`) instead; both read the same.
pub fn family_id(stored: &str) -> &str {
    stored.strip_prefix("code:").unwrap_or(stored)
}

/// Serde helper for fields holding a family id, accepting the older spelling too.
pub mod family_field {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let stored = String::deserialize(d)?;
        Ok(super::family_id(&stored).to_string())
    }

    pub fn deserialize_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let stored = Option::<String>::deserialize(d)?;
        Ok(stored.map(|s| super::family_id(&s).to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_key() {
        for revoked in [
            Revoked::Session("s1"),
            Revoked::GatewaySession("g1"),
            Revoked::User("u1"),
            Revoked::AccessToken("j1"),
            Revoked::Family("f1"),
        ] {
            let key = revoked.key();
            assert_eq!(Revoked::parse(&key), Some(revoked), "{key}");
            assert_eq!(revoked.to_string(), key);
        }
        assert_eq!(Revoked::parse("family:x"), None, "a prefix nothing writes");
        assert_eq!(Revoked::parse("nocolon"), None);
    }

    #[test]
    fn keys_are_the_ones_stored_before_the_enum() {
        assert_eq!(Revoked::Session("s").key(), "session:s");
        assert_eq!(Revoked::GatewaySession("g").key(), "gateway:g");
        assert_eq!(Revoked::User("u").key(), "user:u");
        assert_eq!(Revoked::AccessToken("j").key(), "jti:j");
        assert_eq!(Revoked::Family("h").key(), "code:h");
    }

    #[test]
    fn the_older_family_spelling_reads_as_the_id() {
        assert_eq!(family_id("code:abc"), "abc");
        assert_eq!(family_id("abc"), "abc");
    }

    #[test]
    fn write_key_reuses_the_buffer() {
        let mut buffer = String::from("leftover");
        Revoked::User("u1").write_key(&mut buffer);
        assert_eq!(buffer, "user:u1");
    }
}
