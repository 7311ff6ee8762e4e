//! Passwords: argon2id with OWASP parameters, hashed and checked off the async runtime on a
//! bounded number of blocking threads, so a login flood can neither starve the proxy nor
//! exhaust memory. The policy follows NIST SP 800-63B: length, a list of common passwords, no
//! composition rules, no truncation.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// OWASP: m = 19 MiB, t = 2, p = 1.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const MIN_LENGTH: usize = 8;
pub const MAX_LENGTH: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password is shorter than {MIN_LENGTH} characters")]
    TooShort,
    #[error("the password is longer than {MAX_LENGTH} characters")]
    TooLong,
    #[error(
        "the password is too easy to guess: a common password, a pattern or the account's own name"
    )]
    Common,
    #[error("too many passwords are being checked: try again in a moment")]
    Busy,
    #[error("the password could not be hashed")]
    Hash,
}

/// Passwords people choose first; refused outright. A short list, lower-cased.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "12345678",
    "123456789",
    "1234567890",
    "qwertyuiop",
    "qwerty123",
    "11111111",
    "00000000",
    "iloveyou",
    "sunshine",
    "princess",
    "admin123",
    "welcome1",
    "abc12345",
    "football",
    "baseball",
    "monkey123",
    "letmein1",
    "passw0rd",
    "p@ssw0rd",
    "indonesia",
    "jakarta123",
    "bismillah",
    "sayangku",
    "rahasia123",
    "katasandi",
    "12341234",
    "87654321",
    "q1w2e3r4",
    "1q2w3e4r",
    "zaq12wsx",
    "superman",
    "asdfghjk",
    "asdf1234",
    "qwertyui",
    "changeme",
];

/// Checks a new password against the policy (NIST SP 800-63B): long enough, not too long, and
/// not easily guessed — not one of the passwords people choose first (our Indonesian list and
/// zxcvbn's dictionaries of common passwords, names and keyboard patterns), nor built from the
/// account's own `context` (user name, e-mail). No composition rules.
pub fn check_policy(password: &str, context: &[&str]) -> Result<(), PasswordError> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    if COMMON.contains(&password.to_lowercase().as_str()) {
        return Err(PasswordError::Common);
    }
    // zxcvbn's cost grows with length; past 64 characters no password is guessable anyway.
    if length <= 64 && zxcvbn::zxcvbn(password, context).score() < zxcvbn::Score::Two {
        return Err(PasswordError::Common);
    }
    Ok(())
}

/// Hashes and verifies on its own `max_concurrent` threads, which run at a lower CPU priority
/// than the proxy (nice 10): a flood of logins takes the cores only as far as proxying leaves
/// them idle, and proxied requests keep their latency (docs/benchmarks.md).
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    jobs: std::sync::mpsc::Sender<Job>,
    argon2: Argon2<'static>,
    /// A hash of nothing, verified when the user does not exist so the answer takes as long.
    decoy: Arc<String>,
    wait_limit: Duration,
}

impl Passwords {
    pub fn new(max_concurrent: usize) -> Result<Passwords, PasswordError> {
        let params =
            Params::new(MEMORY_KIB, ITERATIONS, 1, None).map_err(|_| PasswordError::Hash)?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let decoy = argon2
            .hash_password(b"decoy password", &SaltString::generate(&mut OsRng))
            .map_err(|_| PasswordError::Hash)?
            .to_string();
        let workers = max_concurrent.max(1);
        Ok(Passwords {
            permits: Arc::new(Semaphore::new(workers)),
            jobs: spawn_workers(workers)?,
            argon2,
            decoy: Arc::new(decoy),
            wait_limit: Duration::from_secs(10),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Argon2<'static>) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let permit =
            tokio::time::timeout(self.wait_limit, Arc::clone(&self.permits).acquire_owned())
                .await
                .map_err(|_| PasswordError::Busy)?
                .map_err(|_| PasswordError::Busy)?;
        let argon2 = self.argon2.clone();
        let (done, result) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = done.send(work(&argon2));
            drop(permit);
        });
        self.jobs.send(job).map_err(|_| PasswordError::Hash)?;
        result.await.map_err(|_| PasswordError::Hash)
    }

    /// The PHC string of a new password (the policy is the caller's to check first).
    pub async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let password = password.as_bytes().to_vec();
        self.run(move |argon2| {
            argon2
                .hash_password(&password, &SaltString::generate(&mut OsRng))
                .map(|h| h.to_string())
                .map_err(|_| PasswordError::Hash)
        })
        .await?
    }

    /// Whether `password` matches `phc`; with no hash (no such user) a decoy is checked, so an
    /// unknown user name answers in the same time as a wrong password.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> Result<bool, PasswordError> {
        let known = phc.is_some();
        let phc = phc.map_or_else(|| self.decoy.as_ref().clone(), str::to_string);
        let password = password.as_bytes().to_vec();
        let matched = self
            .run(move |argon2| {
                PasswordHash::new(&phc).is_ok_and(|h| argon2.verify_password(&password, &h).is_ok())
            })
            .await?;
        Ok(known && matched)
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// How much lower than the proxy's the password threads' priority is (the `nice` value).
const WORKER_NICENESS: i32 = 10;

/// Starts `n` password threads taking jobs from one queue; they end when every sender is gone.
fn spawn_workers(n: usize) -> Result<std::sync::mpsc::Sender<Job>, PasswordError> {
    let (jobs, queue) = std::sync::mpsc::channel::<Job>();
    let queue = Arc::new(std::sync::Mutex::new(queue));
    for i in 0..n {
        let queue = Arc::clone(&queue);
        std::thread::Builder::new()
            .name(format!("gerbang-password-{i}"))
            .spawn(move || {
                // On Linux this sets the calling thread's own nice value, not the process's.
                if let Err(e) = rustix::process::setpriority_process(None, WORKER_NICENESS) {
                    tracing::warn!(error = %e, "password thread keeps the normal priority");
                }
                loop {
                    let next = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    match next {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            })
            .map_err(|_| PasswordError::Hash)?;
    }
    Ok(jobs)
}

/// A random password for the first login: 16 characters a person can type from an e-mail.
pub fn temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    (0..16)
        .map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        let none: &[&str] = &[];
        assert_eq!(check_policy("short", none), Err(PasswordError::TooShort));
        assert_eq!(
            check_policy(&"x".repeat(257), none),
            Err(PasswordError::TooLong)
        );
        for common in [
            "Password",
            "bismillah",
            "12345678",
            "qwertyuiop",
            "aaaaaaaaaa",
            "abcdefgh",
            "iloveyou2",
            "sunshine1",
        ] {
            assert_eq!(
                check_policy(common, none),
                Err(PasswordError::Common),
                "{common}"
            );
        }
        // Built from the account's own name.
        assert_eq!(
            check_policy("budisantoso1", &["budisantoso", "budi@example.id"]),
            Err(PasswordError::Common)
        );
        for good in [
            "kuda laut biru",
            "日本語のパスワード",
            "sawah hijau di lereng",
            "Tr0mbone-Kopi",
        ] {
            assert_eq!(check_policy(good, none), Ok(()), "{good}");
        }
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let passwords = Passwords::new(2).unwrap();
        let phc = passwords.hash("kuda laut biru").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(passwords
            .verify("kuda laut biru", Some(&phc))
            .await
            .unwrap());
        assert!(!passwords
            .verify("kuda laut merah", Some(&phc))
            .await
            .unwrap());
        assert!(!passwords.verify("kuda laut biru", None).await.unwrap());
        assert!(!passwords.verify("x", Some("not a hash")).await.unwrap());
        let temp = temporary_password();
        assert_eq!(temp.len(), 16);
        assert_eq!(check_policy(&temp, &[]), Ok(()));
    }
}
