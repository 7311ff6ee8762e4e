//! Time-based one-time passwords as authenticator apps make them (RFC 6238 over RFC 4226):
//! HMAC-SHA-1, six digits, 30-second steps from the Unix epoch. Pure: the caller brings the
//! time, the secret (opened from the store) and what was typed, and records the step a code was
//! accepted at so that no code is accepted twice.

use ring::hmac;
use subtle::ConstantTimeEq;

use crate::store::Timestamp;

/// Seconds per step (RFC 6238's default, and the only one common apps honour).
pub const STEP: u64 = 30;
/// Digits per code (the same: apps ignore other values in the `otpauth` URI).
pub const DIGITS: u32 = 6;
/// 160 random bits, RFC 4226's recommended secret length for HMAC-SHA-1.
pub const SECRET_LEN: usize = 20;
/// Steps either side of now that still count: a phone's clock a little off, or a code typed
/// just as it changed (RFC 6238 section 5.2 recommends at most one).
const WINDOW: u64 = 1;

/// The step `now` falls in.
pub fn step_at(now: Timestamp) -> u64 {
    now / STEP
}

/// The code for `step` (RFC 4226 section 5.3: dynamic truncation of the HMAC), `digits` long.
pub fn code(secret: &[u8], step: u64, digits: u32) -> u32 {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    binary % 10u32.pow(digits)
}

/// The step whose code `typed` is, within the window around `now` and after `last_used` (a
/// code, or an earlier one, once accepted is never accepted again: RFC 6238 section 5.2).
/// Spaces and dashes people type between groups of digits are ignored. Every step in the
/// window is compared, in constant time, whether or not an earlier one matched.
pub fn verify(secret: &[u8], typed: &str, now: Timestamp, last_used: Option<u64>) -> Option<u64> {
    let typed = normal_code(typed)?;
    let current = step_at(now);
    let mut found = None;
    for step in current.saturating_sub(WINDOW)..=current + WINDOW {
        let matched: bool = code(secret, step, DIGITS).ct_eq(&typed).into();
        let fresh = last_used.is_none_or(|used| step > used);
        if matched && fresh && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// The number `typed` says, without the spaces and dashes between digit groups, if it is six
/// ASCII digits.
fn normal_code(typed: &str) -> Option<u32> {
    let mut value = 0u32;
    let mut count = 0;
    for c in typed.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{a0}')) {
        let digit = c.to_digit(10).filter(|_| c.is_ascii_digit())?;
        count += 1;
        if count > DIGITS {
            return None;
        }
        value = value * 10 + digit;
    }
    (count == DIGITS).then_some(value)
}

/// A new random secret.
pub fn new_secret() -> [u8; SECRET_LEN] {
    rand::random()
}

/// The secret as people type it into an app: base32 (RFC 4648, no padding) in groups of four.
pub fn typed_key(secret: &[u8]) -> String {
    let encoded = data_encoding::BASE32_NOPAD.encode(secret);
    let groups: Vec<&str> = encoded
        .as_bytes()
        .chunks(4)
        .filter_map(|c| std::str::from_utf8(c).ok())
        .collect();
    groups.join(" ")
}

/// The `otpauth://` URI an app reads from the QR code (Google Authenticator's key URI format):
/// the label `issuer:account`, the secret, the issuer again, the algorithm, digits and period.
pub fn key_uri(secret: &[u8], issuer: &str, account: &str) -> String {
    let label = format!("{issuer}:{account}");
    let mut uri = url::Url::parse("otpauth://totp/").unwrap_or_else(|_| unreachable!());
    uri.set_path(&format!("/{}", urlencode_path(&label)));
    uri.query_pairs_mut()
        .append_pair("secret", &data_encoding::BASE32_NOPAD.encode(secret))
        .append_pair("issuer", issuer)
        .append_pair("algorithm", "SHA1")
        .append_pair("digits", &DIGITS.to_string())
        .append_pair("period", &STEP.to_string());
    uri.to_string()
}

/// Percent-encodes a label for the URI's path (everything but unreserved characters and `:`).
fn urlencode_path(label: &str) -> String {
    let mut out = String::with_capacity(label.len());
    for b in label.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'@') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B: the SHA-1 key and its eight-digit codes.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    #[test]
    fn rfc_6238_appendix_b_vectors() {
        for (time, expected) in [
            (59, 94287082),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(code(RFC_SECRET, step_at(time), 8), expected, "at {time}");
        }
    }

    /// RFC 4226 appendix D: the HOTP values for counters 0 to 9, six digits.
    #[test]
    fn rfc_4226_appendix_d_vectors() {
        let expected = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (counter, want) in expected.iter().enumerate() {
            assert_eq!(
                code(RFC_SECRET, counter as u64, 6),
                *want,
                "counter {counter}"
            );
        }
    }

    fn six(step: u64) -> String {
        format!("{:06}", code(RFC_SECRET, step, 6))
    }

    #[test]
    fn the_window_is_one_step_either_side() {
        let now = 1_111_111_111;
        let s = step_at(now);
        assert_eq!(verify(RFC_SECRET, &six(s), now, None), Some(s));
        assert_eq!(verify(RFC_SECRET, &six(s - 1), now, None), Some(s - 1));
        assert_eq!(verify(RFC_SECRET, &six(s + 1), now, None), Some(s + 1));
        assert_eq!(verify(RFC_SECRET, &six(s - 2), now, None), None);
        assert_eq!(verify(RFC_SECRET, &six(s + 2), now, None), None);
        // The edges of a step: its first and last second accept the same neighbours.
        let first = s * STEP;
        let last = first + STEP - 1;
        for at in [first, last] {
            assert_eq!(verify(RFC_SECRET, &six(s - 1), at, None), Some(s - 1));
            assert_eq!(verify(RFC_SECRET, &six(s + 1), at, None), Some(s + 1));
            assert_eq!(verify(RFC_SECRET, &six(s - 2), at, None), None);
        }
        // A second into the next step, the code two steps back is out.
        assert_eq!(verify(RFC_SECRET, &six(s - 1), last + 1, None), None);
    }

    #[test]
    fn a_code_once_used_and_the_codes_before_it_are_refused() {
        let now = 1_234_567_890;
        let s = step_at(now);
        assert_eq!(verify(RFC_SECRET, &six(s), now, Some(s)), None, "replay");
        assert_eq!(verify(RFC_SECRET, &six(s - 1), now, Some(s)), None, "older");
        assert_eq!(verify(RFC_SECRET, &six(s + 1), now, Some(s)), Some(s + 1));
    }

    #[test]
    fn what_people_type_between_digits_is_ignored_and_nothing_else() {
        let now = 59;
        let c = six(step_at(now));
        let spaced = format!("{} {}", &c[..3], &c[3..]);
        let dashed = format!("{}-{}", &c[..3], &c[3..]);
        assert!(verify(RFC_SECRET, &spaced, now, None).is_some());
        assert!(verify(RFC_SECRET, &dashed, now, None).is_some());
        for bad in [
            "",
            "12345",
            "1234567",
            "abcdef",
            "１２３４５６",
            &format!("{c}0"),
        ] {
            assert_eq!(verify(RFC_SECRET, bad, now, None), None, "{bad:?}");
        }
    }

    #[test]
    fn the_key_is_typed_in_groups_of_four_and_the_uri_names_the_account() {
        assert_eq!(
            typed_key(RFC_SECRET),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
        assert_eq!(new_secret().len(), SECRET_LEN);
        assert_eq!(
            key_uri(RFC_SECRET, "OSS", "budi santoso"),
            "otpauth://totp/OSS:budi%20santoso?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=OSS&algorithm=SHA1&digits=6&period=30"
        );
    }
}
