//! Captcha challenges as in the OSS guide: the name of one of Indonesia's regencies and cities
//! ([`words`]), drawn so that a script does not read it ([`picture`]), with a reading of it for
//! who cannot see the picture ([`sound`]). Each challenge is drawn and read once, and kept: a
//! script that could fetch many drawings of one word could vote across them.
//!
//! A challenge travels as a sealed token (see `sealed`), so any
//! instance can draw it; it is spent in the store by its first check, right or wrong, so it is
//! single-use on every instance. Answers compare without case and spaces.

use std::sync::Arc;

use arc_swap::ArcSwap;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::metrics::Metrics;
use crate::sealed::Sealer;
use crate::store::{OneTimeKind, SharedStore, StoreError, Timestamp};
use crate::token::hash;

pub mod picture;
pub mod sound;
pub mod words;

pub use words::WORDS;

#[derive(Debug, thiserror::Error)]
pub enum CaptchaError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the captcha key is unusable")]
    Key,
}

pub struct Captchas {
    sealer: Sealer,
    store: SharedStore,
    /// Lifetime and test answer, replaced by a reload.
    settings: ArcSwap<gerbang_config::Captcha>,
    metrics: Arc<Metrics>,
    /// Each challenge's picture and sound, drawn once: the crate draws its glyphs and noise at
    /// random, so a script that could fetch many drawings of one word could vote across them.
    media: std::sync::Mutex<std::collections::HashMap<String, Media>>,
}

/// Pictures one client address (IPv6: its /64) may fetch per minute: a person needs one per
/// form, a few more when a picture is hard to read. Never fewer than the challenges the
/// address may be shown (each comes with its picture).
pub const PICTURES_PER_MINUTE: u64 = 30;
/// Recordings one client address may fetch per minute (each is over half a megabyte).
pub const RECORDINGS_PER_MINUTE: u64 = 6;

/// At most this many challenges' media are kept (a few MiB; the oldest go first).
const MEDIA_KEPT: usize = 2048;

/// What a challenge was drawn as.
#[derive(Default)]
struct Media {
    expires_at: Timestamp,
    png: Option<bytes::Bytes>,
    wav: Option<bytes::Bytes>,
}

impl Media {
    fn slot(&mut self, kind: Kind) -> &mut Option<bytes::Bytes> {
        match kind {
            Kind::Png => &mut self.png,
            Kind::Wav => &mut self.wav,
        }
    }
}

/// Which drawing of a challenge.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Png,
    Wav,
}

/// What a sealed token holds.
struct Sealed {
    id: String,
    expires_at: Timestamp,
    word: String,
}

fn normalise(answer: &str) -> String {
    answer
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Whether `answer` names `word`: the same letters, whatever their case and spacing.
pub fn is_answer(word: &str, answer: &str) -> bool {
    let answer = normalise(answer);
    !answer.is_empty() && answer == normalise(word)
}

impl Captchas {
    /// `key` is 32 bytes kept in the store (`KeyStore::secret`), shared by every instance.
    pub fn new(
        key: &[u8],
        store: SharedStore,
        settings: &gerbang_config::Captcha,
        metrics: Arc<Metrics>,
    ) -> Result<Captchas, CaptchaError> {
        Ok(Captchas {
            sealer: Sealer::new(key, "captcha").map_err(|_| CaptchaError::Key)?,
            store,
            settings: ArcSwap::from_pointee(settings.clone()),
            metrics,
            media: Default::default(),
        })
    }

    /// Takes reloaded settings; challenges already issued keep their expiry.
    pub fn configure(&self, settings: &gerbang_config::Captcha) {
        self.settings.store(Arc::new(settings.clone()));
    }

    pub fn test_mode(&self) -> bool {
        self.settings.load().test_answer.is_some()
    }

    /// A new challenge for a form shown to `address`: its token, for the form and the image and
    /// audio URLs; `None` when the address has had `per_minute` already this minute (each
    /// challenge is a store entry until it is answered or expires).
    pub async fn issue(
        &self,
        address: &str,
        per_minute: u64,
        now: Timestamp,
    ) -> Result<Option<String>, CaptchaError> {
        if self
            .over_limit("challenge", address, per_minute, now)
            .await?
        {
            return Ok(None);
        }
        let id_bytes: [u8; 16] = rand::random();
        let id = URL_SAFE_NO_PAD.encode(id_bytes);
        let word = WORDS[rand::random_range(0..WORDS.len())];
        let expires_at = now + self.settings.load().lifetime.as_secs();
        self.store
            .put_once(OneTimeKind::Captcha, &hash(&id), b"", expires_at)
            .await?;
        self.seal(&Sealed {
            id,
            expires_at,
            word: word.to_string(),
        })
        .map(Some)
    }

    /// Whether `answer` solves the challenge of `token`. The challenge is spent either way; a
    /// refusal is counted.
    pub async fn check(
        &self,
        token: &str,
        answer: &str,
        now: Timestamp,
    ) -> Result<bool, CaptchaError> {
        let solved = self.solves(token, answer, now).await?;
        if !solved {
            self.metrics
                .captcha_failures
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(solved)
    }

    async fn solves(
        &self,
        token: &str,
        answer: &str,
        now: Timestamp,
    ) -> Result<bool, CaptchaError> {
        let Some(sealed) = self.open(token) else {
            return Ok(false);
        };
        let live = self
            .store
            .take_once(OneTimeKind::Captcha, &hash(&sealed.id), now)
            .await?
            .is_some();
        if !live || sealed.expires_at <= now {
            return Ok(false);
        }
        if let Some(test) = &self.settings.load().test_answer {
            if is_answer(test, answer) {
                tracing::warn!("captcha passed by the test-mode answer");
                return Ok(true);
            }
        }
        Ok(is_answer(&sealed.word, answer))
    }

    /// The challenge's picture, while it is live: the same one every time it is asked for.
    pub fn png(&self, token: &str, now: Timestamp) -> Option<bytes::Bytes> {
        let sealed = self.open(token).filter(|s| s.expires_at > now)?;
        self.drawn(&sealed, Kind::Png, now, || {
            picture::draw(&sealed.word, &mut rand::rng())
        })
    }

    /// The challenge read out letter by letter, as one WAV: the same one every time.
    pub fn wav(&self, token: &str, now: Timestamp) -> Option<bytes::Bytes> {
        let sealed = self.open(token).filter(|s| s.expires_at > now)?;
        self.drawn(&sealed, Kind::Wav, now, || {
            sound::read_out(&sealed.word, &mut rand::rng())
        })
    }

    /// Counts a fetch of a picture (or a recording, `audio`) by `address`, which may be shown
    /// `challenges` a minute; false when the address is over its limit for the minute.
    pub async fn admit_fetch(
        &self,
        address: &str,
        audio: bool,
        challenges: u64,
        now: Timestamp,
    ) -> Result<bool, CaptchaError> {
        let (what, limit) = if audio {
            ("audio", RECORDINGS_PER_MINUTE)
        } else {
            ("picture", PICTURES_PER_MINUTE.max(challenges))
        };
        Ok(!self.over_limit(what, address, limit, now).await?)
    }

    /// Counts one `what` for `address` (IPv6: its /64); true when that makes more than `limit`
    /// this minute.
    async fn over_limit(
        &self,
        what: &str,
        address: &str,
        limit: u64,
        now: Timestamp,
    ) -> Result<bool, CaptchaError> {
        let key = format!("captcha:{what}:{}", super::login::address_bucket(address));
        let count = self
            .store
            .hit(&key, std::time::Duration::from_secs(60), now)
            .await?;
        Ok(count > limit)
    }

    /// The kept drawing of a challenge, or a new one (then kept).
    fn drawn(
        &self,
        sealed: &Sealed,
        kind: Kind,
        now: Timestamp,
        draw: impl FnOnce() -> Option<Vec<u8>>,
    ) -> Option<bytes::Bytes> {
        if let Some(kept) = self
            .media
            .lock()
            .ok()?
            .get_mut(&sealed.id)
            .and_then(|m| m.slot(kind).clone())
        {
            return Some(kept);
        }
        let fresh = bytes::Bytes::from(draw()?);
        let mut media = self.media.lock().ok()?;
        if media.len() >= MEDIA_KEPT && !media.contains_key(&sealed.id) {
            media.retain(|_, m| m.expires_at > now);
            if media.len() >= MEDIA_KEPT {
                let oldest = media
                    .iter()
                    .min_by_key(|(_, m)| m.expires_at)
                    .map(|(id, _)| id.clone());
                oldest.map(|id| media.remove(&id));
            }
        }
        let entry = media.entry(sealed.id.clone()).or_insert_with(|| Media {
            expires_at: sealed.expires_at,
            ..Media::default()
        });
        // Two first requests at once: the first drawing kept wins.
        Some(entry.slot(kind).get_or_insert(fresh).clone())
    }

    fn seal(&self, s: &Sealed) -> Result<String, CaptchaError> {
        Ok(self
            .sealer
            .seal(format!("{}|{}|{}", s.id, s.expires_at, s.word).as_bytes()))
    }

    fn open(&self, token: &str) -> Option<Sealed> {
        let plain = self.sealer.open(token)?;
        let text = std::str::from_utf8(&plain).ok()?;
        let mut parts = text.splitn(3, '|');
        Some(Sealed {
            id: parts.next()?.to_string(),
            expires_at: parts.next()?.parse().ok()?,
            word: parts.next()?.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SledStore;

    fn settings(test_answer: Option<&str>) -> gerbang_config::Captcha {
        gerbang_config::Captcha {
            test_answer: test_answer.map(str::to_string),
            lifetime: std::time::Duration::from_secs(300),
        }
    }

    fn metrics() -> Arc<Metrics> {
        Arc::new(Metrics::default())
    }

    #[tokio::test]
    async fn challenges_are_single_use_and_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let store: SharedStore = Arc::new(SledStore::open(dir.path()).unwrap());
        let captchas =
            Captchas::new(&[7; 32], Arc::clone(&store), &settings(None), metrics()).unwrap();
        let now = 1_800_000_000;
        let token = captchas.issue("192.0.2.1", 10, now).await.unwrap().unwrap();
        let word = captchas.open(&token).unwrap().word;
        let png = captchas.png(&token, now).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        assert_eq!(
            captchas.png(&token, now).unwrap(),
            png,
            "one drawing per challenge: no votes across drawings"
        );
        let wav = captchas.wav(&token, now).unwrap();
        assert_eq!(&wav[..4], b"RIFF");
        assert_eq!(captchas.wav(&token, now).unwrap(), wav);
        assert!(
            !word.is_empty() && !token.contains(&word),
            "the answer is sealed"
        );
        let lower_spaced: String = word.to_lowercase().chars().flat_map(|c| [c, ' ']).collect();
        assert!(captchas.check(&token, &lower_spaced, now).await.unwrap());
        assert!(!captchas.check(&token, &word, now).await.unwrap(), "spent");

        let wrong_first = captchas.issue("192.0.2.1", 10, now).await.unwrap().unwrap();
        let w = captchas.open(&wrong_first).unwrap().word;
        assert!(!captchas.check(&wrong_first, "WRONG", now).await.unwrap());
        assert!(
            !captchas.check(&wrong_first, &w, now).await.unwrap(),
            "a wrong answer spends it too"
        );

        let late = captchas.issue("192.0.2.1", 10, now).await.unwrap().unwrap();
        let w = captchas.open(&late).unwrap().word;
        assert!(
            !captchas.check(&late, &w, now + 300).await.unwrap(),
            "expired"
        );
        assert!(captchas.png(&late, now + 300).is_none());

        let other = Captchas::new(&[8; 32], store, &settings(None), metrics()).unwrap();
        let token = captchas.issue("192.0.2.1", 10, now).await.unwrap().unwrap();
        assert!(
            other.png(&token, now).is_none(),
            "another key cannot open it"
        );
        assert!(!captchas.check("garbage", "x", now).await.unwrap());
    }

    #[tokio::test]
    async fn test_mode_answer() {
        let dir = tempfile::tempdir().unwrap();
        let store: SharedStore = Arc::new(SledStore::open(dir.path()).unwrap());
        let captchas = Captchas::new(&[7; 32], store, &settings(Some("uji")), metrics()).unwrap();
        let token = captchas.issue("192.0.2.1", 10, 1).await.unwrap().unwrap();
        assert!(captchas.check(&token, " UJI ", 1).await.unwrap());
        assert!(
            !captchas.check(&token, "uji", 1).await.unwrap(),
            "still single-use"
        );
    }

    #[tokio::test]
    async fn one_address_gets_a_bounded_number_of_challenges_a_minute() {
        let dir = tempfile::tempdir().unwrap();
        let store: SharedStore = Arc::new(SledStore::open(dir.path()).unwrap());
        let captchas = Captchas::new(&[7; 32], store, &settings(None), metrics()).unwrap();
        let now = 1_800_000_000;
        for _ in 0..3 {
            assert!(captchas
                .issue("2001:db8::1", 3, now)
                .await
                .unwrap()
                .is_some());
        }
        assert!(
            captchas
                .issue("2001:db8::2", 3, now)
                .await
                .unwrap()
                .is_none(),
            "the fourth from the same /64"
        );
        assert!(captchas.issue("192.0.2.9", 3, now).await.unwrap().is_some());
        assert!(
            captchas
                .issue("2001:db8::1", 3, now + 61)
                .await
                .unwrap()
                .is_some(),
            "a minute later"
        );
    }
}
