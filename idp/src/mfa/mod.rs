//! Second factors (issue 19): authenticator-app codes (`totp`), passkeys (`passkey`), recovery
//! codes (`recovery`), and the seal that keeps TOTP secrets unreadable in the store.

pub mod passkey;
pub mod recovery;
pub mod totp;

use std::io::Write;
use std::path::{Path, PathBuf};

use gerbang_config::{Config, Store};
use ring::hkdf;

use crate::sealed::Sealer;
use crate::store::Timestamp;

/// The key material could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SealKeyError {
    #[error("the second-factor key file {path}: {error}")]
    File {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("the second-factor key file {0} holds fewer than 32 bytes: remove it only if no second factor was enrolled yet, or restore it from the backup")]
    Short(PathBuf),
    #[error("the PostgreSQL store needs `[mfa] secret_key`")]
    NotConfigured,
}

/// Where the embedded store's key file lives: beside the store, not in it, so that a copy of
/// the store's folder alone opens no secret.
pub fn key_file_path(store: &Path) -> PathBuf {
    let mut name = store.file_name().unwrap_or_default().to_os_string();
    name.push(".second-factor-key");
    store.with_file_name(name)
}

/// The material [`SecretSeal`] derives its key from: `[mfa] secret_key`, or on sled the key
/// file beside the store, made (32 random bytes, mode 0600) on first start.
pub fn key_material(config: &Config) -> Result<Vec<u8>, SealKeyError> {
    if let Some(secret) = &config.mfa.secret_key {
        return Ok(secret.expose().as_bytes().to_vec());
    }
    let Store::Sled { path } = &config.store else {
        return Err(SealKeyError::NotConfigured);
    };
    let path = key_file_path(path);
    let failed = |error| SealKeyError::File {
        path: path.clone(),
        error,
    };
    let made = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
    };
    match made {
        Ok(mut file) => {
            let key: [u8; 32] = rand::random();
            file.write_all(&key)
                .and_then(|()| file.sync_all())
                .map_err(failed)?;
            Ok(key.to_vec())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let key = std::fs::read(&path).map_err(failed)?;
            if key.len() < 32 {
                return Err(SealKeyError::Short(path));
            }
            Ok(key)
        }
        Err(e) => Err(failed(e)),
    }
}

/// Seals TOTP secrets: at rest in the store, and in the enrolment form while the user types
/// the first code. Its key is not in the store: it is derived (HKDF-SHA-256) from `[mfa]
/// secret_key` in the configuration (an environment variable in production), or on the
/// embedded store from a key file kept beside it (see [`key_material`]), so a copy of the
/// database or a store export alone opens no secret. Each use is bound to its purpose
/// (AES-256-GCM's associated data): an enrolment token does not open as a stored secret.
pub struct SecretSeal {
    stored: Sealer,
    enrolling: Sealer,
}

/// An enrolment in progress, as its form carries it (sealed).
#[derive(serde::Serialize, serde::Deserialize)]
struct Enrolling {
    user_id: String,
    #[serde(with = "base32")]
    secret: Vec<u8>,
    until: Timestamp,
}

mod base32 {
    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&data_encoding::BASE32_NOPAD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        data_encoding::BASE32_NOPAD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

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
        let sealer = |purpose| match Sealer::new(&key, purpose) {
            Ok(sealer) => sealer,
            Err(_) => unreachable!("the derived key is 32 bytes"),
        };
        SecretSeal {
            stored: sealer("totp secret"),
            enrolling: sealer("totp enrolment"),
        }
    }

    pub fn seal(&self, secret: &[u8]) -> String {
        self.stored.seal(secret)
    }

    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        self.stored.open(sealed)
    }

    /// The token an enrolment form carries: `secret`, for `user_id`, until `until`.
    pub fn seal_enrolment(&self, user_id: &str, secret: &[u8], until: Timestamp) -> String {
        let enrolling = Enrolling {
            user_id: user_id.into(),
            secret: secret.to_vec(),
            until,
        };
        serde_json::to_vec(&enrolling)
            .map(|plain| self.enrolling.seal(&plain))
            .unwrap_or_default()
    }

    /// The secret of an enrolment token, if it is `user_id`'s and live at `now`.
    pub fn open_enrolment(&self, token: &str, user_id: &str, now: Timestamp) -> Option<Vec<u8>> {
        let plain = self.enrolling.open(token)?;
        let enrolling: Enrolling = serde_json::from_slice(&plain).ok()?;
        (enrolling.user_id == user_id && now < enrolling.until).then_some(enrolling.secret)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_lives_beside_the_store_and_is_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        assert_eq!(
            key_file_path(&store),
            dir.path().join("store.second-factor-key")
        );
        let text = format!(
            "[server]\nhttp = \"127.0.0.1:8080\"\n[provider]\nissuer = \"https://sso.localhost\"\n\
             [store]\npath = \"{}\"\n[mail]\nfrom = \"a@example.id\"\ntransport = \"folder\"\nfolder = \"outbox\"\n",
            store.display()
        );
        let no_env = |_: &str| None;
        let config = Config::parse(&text, "t.toml".as_ref(), dir.path(), &no_env).unwrap();
        let first = key_material(&config).unwrap();
        assert_eq!(
            key_material(&config).unwrap(),
            first,
            "read back, not made again"
        );
        let file = key_file_path(&store);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&file, b"short").unwrap();
        assert!(matches!(key_material(&config), Err(SealKeyError::Short(_))));
    }

    #[test]
    fn a_secret_opens_only_under_its_own_key_and_purpose() {
        let seal = SecretSeal::new(&[7; 32]);
        let secret = totp::new_secret();
        let sealed = seal.seal(&secret);
        assert!(!sealed.contains(&data_encoding::BASE32_NOPAD.encode(&secret)));
        assert_eq!(seal.open(&sealed).as_deref(), Some(&secret[..]));
        assert_eq!(SecretSeal::new(&[8; 32]).open(&sealed), None, "another key");
        let other = Sealer::new(&[7; 32], "totp secret").unwrap();
        assert_eq!(other.open(&sealed), None, "the material itself as a key");
        let token = seal.seal_enrolment("u1", &secret, 100);
        assert_eq!(
            seal.open(&token),
            None,
            "an enrolment is not a stored secret"
        );
        assert_eq!(
            seal.open_enrolment(&sealed, "u1", 0),
            None,
            "nor the reverse"
        );
        assert_eq!(
            seal.open_enrolment(&token, "u1", 99).as_deref(),
            Some(&secret[..])
        );
        assert_eq!(
            seal.open_enrolment(&token, "u2", 99),
            None,
            "another user's"
        );
        assert_eq!(seal.open_enrolment(&token, "u1", 100), None, "expired");
        let mut tampered = sealed.into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(seal.open(&String::from_utf8(tampered).unwrap()), None);
    }
}
