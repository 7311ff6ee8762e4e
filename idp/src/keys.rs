//! The provider's signing keys: RS256 (the interoperable default) and ES256, generated on first
//! start and kept in the store, signed with ring (constant-time, fast). The `rsa` crate only
//! generates RSA keys here; it never signs (RUSTSEC-2023-0071).

use std::sync::Arc;

use arc_swap::ArcSwap;

use openidconnect::core::{
    CoreJsonCurveType, CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm,
};
use openidconnect::{JsonWebKeyId, PrivateSigningKey, SigningError};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair, RsaKeyPair};

use crate::store::{KeyStore, SigningKey, StoreError, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    Rs256,
    Es256,
}

impl SigningAlg {
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
        }
    }

    fn parse(text: &str) -> Option<SigningAlg> {
        match text {
            "RS256" => Some(SigningAlg::Rs256),
            "ES256" => Some(SigningAlg::Es256),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("signing key `{0}` in the store is unusable")]
    Corrupt(String),
    #[error("cannot generate a signing key: {0}")]
    Generate(String),
}

enum Pair {
    Rsa {
        pair: RsaKeyPair,
        public: signature::RsaPublicKeyComponents<Vec<u8>>,
    },
    Ec(EcdsaKeyPair),
}

/// One key: its private half (never shown by `Debug`) and its public JWK.
pub struct Signer {
    kid: String,
    alg: SigningAlg,
    pair: Pair,
    jwk: CoreJsonWebKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl Signer {
    fn from_stored(key: &SigningKey) -> Result<Signer, KeyError> {
        let corrupt = || KeyError::Corrupt(key.kid.clone());
        let alg = SigningAlg::parse(&key.alg).ok_or_else(corrupt)?;
        let rng = SystemRandom::new();
        let kid = Some(JsonWebKeyId::new(key.kid.clone()));
        let (pair, jwk) = match alg {
            SigningAlg::Rs256 => {
                let pair = RsaKeyPair::from_pkcs8(&key.private_pkcs8).map_err(|_| corrupt())?;
                let public: signature::RsaPublicKeyComponents<Vec<u8>> = pair.public().into();
                let jwk = CoreJsonWebKey::new_rsa(public.n.clone(), public.e.clone(), kid);
                (Pair::Rsa { pair, public }, jwk)
            }
            SigningAlg::Es256 => {
                let pair = EcdsaKeyPair::from_pkcs8(
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &key.private_pkcs8,
                    &rng,
                )
                .map_err(|_| corrupt())?;
                // Uncompressed point: 0x04 || x || y.
                let point = pair.public_key().as_ref();
                let (x, y) = point.get(1..).ok_or_else(corrupt)?.split_at(32);
                let jwk =
                    CoreJsonWebKey::new_ec(x.to_vec(), y.to_vec(), CoreJsonCurveType::P256, kid);
                (Pair::Ec(pair), jwk)
            }
        };
        Ok(Signer {
            kid: key.kid.clone(),
            alg,
            pair,
            jwk: with_alg(jwk, alg).ok_or_else(corrupt)?,
            rng,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    pub fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, ring::error::Unspecified> {
        match &self.pair {
            Pair::Rsa { pair, .. } => {
                let mut signature = vec![0; pair.public().modulus_len()];
                pair.sign(
                    &signature::RSA_PKCS1_SHA256,
                    &self.rng,
                    message,
                    &mut signature,
                )?;
                Ok(signature)
            }
            Pair::Ec(pair) => Ok(pair.sign(&self.rng, message)?.as_ref().to_vec()),
        }
    }

    pub fn verify_bytes(&self, message: &[u8], sig: &[u8]) -> Result<(), ring::error::Unspecified> {
        match &self.pair {
            Pair::Rsa { public, .. } => {
                public.verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
            }
            Pair::Ec(pair) => signature::UnparsedPublicKey::new(
                &signature::ECDSA_P256_SHA256_FIXED,
                pair.public_key().as_ref(),
            )
            .verify(message, sig),
        }
    }
}

impl PrivateSigningKey for Signer {
    type VerificationKey = CoreJsonWebKey;

    fn sign(&self, alg: &CoreJwsSigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        let expected = match self.alg {
            SigningAlg::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            SigningAlg::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        };
        if *alg != expected {
            return Err(SigningError::UnsupportedAlg(format!("{alg:?}")));
        }
        self.sign_bytes(message)
            .map_err(|_| SigningError::CryptoError)
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        self.jwk.clone()
    }
}

/// `jwk` with its `alg` member set, so clients know what each published key signs. The crate
/// has no setter for it, so it goes through the JSON form.
fn with_alg(jwk: CoreJsonWebKey, alg: SigningAlg) -> Option<CoreJsonWebKey> {
    let mut json = serde_json::to_value(jwk).ok()?;
    json.as_object_mut()?
        .insert("alg".into(), alg.as_str().into());
    serde_json::from_value(json).ok()
}

/// Every published key, and which one signs for each algorithm.
#[derive(Debug, Clone)]
pub struct Keyring {
    /// Every published key with its activation time, newest first.
    signers: Vec<(Timestamp, Arc<Signer>)>,
}

impl Keyring {
    /// The keyring of these stored keys: retired ones left out.
    pub fn from_stored(stored: &[SigningKey], now: Timestamp) -> Result<Keyring, KeyError> {
        let mut live: Vec<&SigningKey> = stored
            .iter()
            .filter(|k| k.retire_after.is_none_or(|t| t > now))
            .collect();
        // Newest first, so `active` finds the newest key whose time has come. Rotations within
        // one second share an activation time: of those, the one a later rotation has not set
        // to retire (or set to retire later) is the newer.
        live.sort_by_key(|k| {
            std::cmp::Reverse((k.active_from, k.retire_after.unwrap_or(Timestamp::MAX)))
        });
        let signers = live
            .into_iter()
            .map(|k| Signer::from_stored(k).map(|s| (k.active_from, Arc::new(s))))
            .collect::<Result<Vec<_>, _>>()?;
        for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
            if !signers.iter().any(|(from, s)| s.alg == alg && *from <= now) {
                return Err(KeyError::Corrupt(format!("no active {} key", alg.as_str())));
            }
        }
        Ok(Keyring { signers })
    }

    /// The key that signs for `alg` at `now`: the newest whose activation time has passed. A
    /// key added by rotation is published at once and signs only after its delay, so clients
    /// have fetched it before they meet a token it signed.
    pub fn active(&self, alg: SigningAlg, now: Timestamp) -> &Signer {
        self.signers
            .iter()
            .filter(|(_, s)| s.alg == alg)
            .find(|(from, _)| *from <= now)
            .or_else(|| self.signers.iter().rev().find(|(_, s)| s.alg == alg))
            .map(|(_, s)| s.as_ref())
            .unwrap_or_else(|| &self.signers[0].1)
    }

    pub fn find(&self, kid: &str) -> Option<&Signer> {
        self.signers
            .iter()
            .map(|(_, s)| s.as_ref())
            .find(|s| s.kid == kid)
    }

    /// The public keys, as served at the JWKS endpoint.
    pub fn jwks(&self) -> CoreJsonWebKeySet {
        CoreJsonWebKeySet::new(self.signers.iter().map(|(_, s)| s.jwk.clone()).collect())
    }
}

/// The keyring every request reads, replaced whole when the stored keys change: another
/// instance sharing the store may rotate, and retired keys drop out as their time passes.
pub struct LiveKeyring {
    current: ArcSwap<Keyring>,
    /// The stored keys the current keyring was made from, to notice a change.
    made_from: std::sync::Mutex<Vec<(String, Option<Timestamp>)>>,
}

/// What identifies a set of stored keys for [`LiveKeyring::refresh`]: each key and its retirement.
fn fingerprint(stored: &[SigningKey], now: Timestamp) -> Vec<(String, Option<Timestamp>)> {
    let mut print: Vec<_> = stored
        .iter()
        .filter(|k| k.retire_after.is_none_or(|t| t > now))
        .map(|k| (k.kid.clone(), k.retire_after))
        .collect();
    print.sort();
    print
}

impl LiveKeyring {
    /// Loads the keys from the store, making an RS256 and an ES256 key if there is none yet.
    pub async fn load_or_create(
        store: &dyn KeyStore,
        now: Timestamp,
    ) -> Result<LiveKeyring, KeyError> {
        let mut stored = store.signing_keys().await?;
        for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
            if !stored.iter().any(|k| k.alg == alg.as_str()) {
                let key = generate(alg, now)?;
                store.put_signing_key(&key).await?;
                stored.push(key);
            }
        }
        Ok(LiveKeyring {
            current: ArcSwap::from_pointee(Keyring::from_stored(&stored, now)?),
            made_from: std::sync::Mutex::new(fingerprint(&stored, now)),
        })
    }

    /// The keyring now (cheap: no lock, no copy).
    pub fn current(&self) -> arc_swap::Guard<Arc<Keyring>> {
        self.current.load()
    }

    /// Reads the stored keys again and replaces the keyring if they changed. Returns whether
    /// they did.
    pub async fn refresh(&self, store: &dyn KeyStore, now: Timestamp) -> Result<bool, KeyError> {
        let stored = store.signing_keys().await?;
        let print = fingerprint(&stored, now);
        let mut made_from = self
            .made_from
            .lock()
            .map_err(|_| KeyError::Corrupt("keyring lock poisoned".into()))?;
        if *made_from == print {
            return Ok(false);
        }
        self.current
            .store(Arc::new(Keyring::from_stored(&stored, now)?));
        *made_from = print;
        Ok(true)
    }
}

/// A new key of `alg`, active from `now`.
pub fn generate(alg: SigningAlg, now: Timestamp) -> Result<SigningKey, KeyError> {
    let private_pkcs8 = match alg {
        SigningAlg::Rs256 => {
            use rsa::pkcs8::EncodePrivateKey;
            let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048)
                .map_err(|e| KeyError::Generate(e.to_string()))?;
            key.to_pkcs8_der()
                .map_err(|e| KeyError::Generate(e.to_string()))?
                .as_bytes()
                .to_vec()
        }
        SigningAlg::Es256 => EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &SystemRandom::new(),
        )
        .map_err(|_| KeyError::Generate("P-256".into()))?
        .as_ref()
        .to_vec(),
    };
    let id: [u8; 9] = rand::random();
    use base64::Engine;
    Ok(SigningKey {
        kid: format!(
            "{}-{}",
            alg.as_str().to_lowercase(),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
        ),
        alg: alg.as_str().into(),
        private_pkcs8,
        created_at: now,
        active_from: now,
        retire_after: None,
    })
}

/// Rotation: a new key of `alg`, published now and signing from `now + delay`; the keys it
/// replaces stay published until every token they signed has expired (`longest_token` after
/// the new key takes over), then drop out of the JWKS.
pub async fn rotate(
    store: &dyn KeyStore,
    alg: SigningAlg,
    delay: u64,
    longest_token: u64,
    now: Timestamp,
) -> Result<SigningKey, KeyError> {
    let mut key = generate(alg, now)?;
    key.active_from = now + delay;
    // The new key first: stopped in between (a crash), the old keys merely stay published
    // longer; the other way round, they would be set to retire with no key after them.
    store.put_signing_key(&key).await?;
    for mut old in store.signing_keys().await? {
        if old.alg == alg.as_str() && old.retire_after.is_none() && old.kid != key.kid {
            old.retire_after = Some(key.active_from + longest_token);
            store.put_signing_key(&old).await?;
        }
    }
    Ok(key)
}
