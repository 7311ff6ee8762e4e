//! Second factors (issue 19): authenticator-app codes (`totp`), recovery codes (`recovery`),
//! and the seal that keeps TOTP secrets unreadable in the store.

pub mod recovery;
pub mod totp;

use ring::hkdf;

use crate::sealed::Sealer;

/// Seals TOTP secrets at rest. Its key is not in the store: it is derived (HKDF-SHA-256) from
/// `[mfa] secret_key` in the configuration (an environment variable in production), or on the
/// embedded store from a key file kept beside it, so a copy of the database or a store export
/// alone opens no secret. Sealed values are bound to their purpose (AES-256-GCM's associated
/// data), so nothing else sealed elsewhere opens as a secret.
pub struct SecretSeal(Sealer);

impl SecretSeal {
    /// From the key material (at least 32 bytes of it, checked where it is read).
    pub fn new(material: &[u8]) -> SecretSeal {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"gerbang second factors");
        let mut key = [0u8; 32];
        let derived = salt
            .extract(material)
            .expand(&[b"totp secret seal v1"], hkdf::HKDF_SHA256)
            .and_then(|okm| okm.fill(&mut key));
        // HKDF-SHA-256 gives 32 bytes to anyone who asks for at most 8160.
        debug_assert!(derived.is_ok());
        match Sealer::new(&key, "totp secret") {
            Ok(sealer) => SecretSeal(sealer),
            Err(_) => unreachable!("the derived key is 32 bytes"),
        }
    }

    pub fn seal(&self, secret: &[u8]) -> String {
        self.0.seal(secret)
    }

    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        self.0.open(sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_opens_only_under_its_own_key_and_purpose() {
        let seal = SecretSeal::new(&[7; 32]);
        let secret = totp::new_secret();
        let sealed = seal.seal(&secret);
        assert!(!sealed.contains(&data_encoding::BASE32_NOPAD.encode(&secret)));
        assert_eq!(seal.open(&sealed).as_deref(), Some(&secret[..]));
        assert_eq!(SecretSeal::new(&[8; 32]).open(&sealed), None, "another key");
        let other = Sealer::new(&[7; 32], "captcha").unwrap();
        assert_eq!(other.open(&sealed), None, "the material itself as a key");
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(seal.open(&String::from_utf8(tampered).unwrap()), None);
    }
}
