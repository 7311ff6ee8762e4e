//! Sealed tokens: small values that travel through the browser (a captcha challenge, a pending
//! authorization request) encrypted and authenticated with AES-256-GCM under a key kept in the
//! store, so any instance can open them and nobody can read or forge them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};

pub struct Sealer {
    key: LessSafeKey,
    /// Binds a token to its purpose: a captcha token does not open as a request token.
    purpose: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the sealing key is not 32 bytes")]
pub struct BadKey;

impl Sealer {
    pub fn new(key: &[u8], purpose: &'static str) -> Result<Sealer, BadKey> {
        let key = UnboundKey::new(&AES_256_GCM, key).map_err(|_| BadKey)?;
        Ok(Sealer {
            key: LessSafeKey::new(key),
            purpose,
        })
    }

    pub fn seal(&self, plain: &[u8]) -> String {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let mut data = plain.to_vec();
        // Sealing only fails for inputs larger than GCM allows; ours are small.
        let sealed = self.key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce_bytes),
            Aad::from(self.purpose.as_bytes()),
            &mut data,
        );
        if sealed.is_err() {
            return String::new();
        }
        let mut token = nonce_bytes.to_vec();
        token.extend_from_slice(&data);
        URL_SAFE_NO_PAD.encode(token)
    }

    pub fn open(&self, token: &str) -> Option<Vec<u8>> {
        let mut bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let mut sealed = bytes.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&bytes).ok()?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(self.purpose.as_bytes()), &mut sealed)
            .ok()?;
        Some(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_purpose() {
        let a = Sealer::new(&[1; 32], "a").unwrap();
        let b = Sealer::new(&[1; 32], "b").unwrap();
        let token = a.seal(b"hello");
        assert_eq!(a.open(&token).as_deref(), Some(&b"hello"[..]));
        assert_eq!(b.open(&token), None, "another purpose cannot open it");
        let mut tampered = token.clone().into_bytes();
        tampered[20] = if tampered[20] == b'A' { b'B' } else { b'A' };
        assert_eq!(a.open(&String::from_utf8(tampered).unwrap()), None);
        assert_eq!(a.open("%%%"), None);
        assert!(Sealer::new(&[1; 5], "a").is_err());
    }
}
