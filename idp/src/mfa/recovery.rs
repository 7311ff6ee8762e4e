//! Recovery codes: ten single-use codes shown once when a second factor is enrolled, for the
//! day the phone is lost. Each is 60 random bits in Crockford's base32 (no I, L, O or U to
//! misread), written `xxxx-xxxx-xxxx`; the store keeps only their SHA-256 (a code has too much
//! entropy to guess offline, so a slow hash buys nothing), and spends each once.

use crate::token;

/// Codes in a set.
pub const COUNT: usize = 10;
/// Characters per code, without its dashes: 12 × 5 bits = 60 bits.
const LEN: usize = 12;
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A new set: the codes as the person sees them, and what the store keeps of each.
pub fn new_set() -> (Vec<String>, Vec<String>) {
    let shown: Vec<String> = (0..COUNT).map(|_| new_code()).collect();
    let kept = shown.iter().filter_map(|c| kept_form(c)).collect();
    (shown, kept)
}

fn new_code() -> String {
    let bits: u64 = rand::random();
    let mut code = String::with_capacity(LEN + 2);
    for i in 0..LEN {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        let index = ((bits >> (5 * i)) & 31) as usize;
        code.push(char::from(ALPHABET[index]));
    }
    code
}

/// What the store keeps of a code as typed, if it can be one: case, dashes and spaces do not
/// matter, and the letters people confuse with digits read as those digits (Crockford).
pub fn kept_form(typed: &str) -> Option<String> {
    let mut normal = String::with_capacity(LEN);
    for c in typed.chars().filter(|c| !matches!(c, ' ' | '-' | '\u{a0}')) {
        let c = match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        normal.push(c);
        if normal.len() > LEN {
            return None;
        }
    }
    (normal.len() == LEN).then(|| token::hash(&normal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_is_ten_distinct_codes_kept_only_as_hashes() {
        let (shown, kept) = new_set();
        assert_eq!((shown.len(), kept.len()), (COUNT, COUNT));
        let distinct: std::collections::HashSet<_> = kept.iter().collect();
        assert_eq!(distinct.len(), COUNT);
        for (code, hash) in shown.iter().zip(&kept) {
            assert_eq!(code.len(), LEN + 2, "{code}");
            assert_eq!(code.matches('-').count(), 2, "{code}");
            assert!(!kept.contains(code), "the code itself is not kept");
            assert_eq!(kept_form(code).as_ref(), Some(hash));
        }
    }

    #[test]
    fn typing_is_forgiving_and_nothing_else_is() {
        let hash = kept_form("ab1c-0def-9xyz").unwrap();
        for typed in [
            "AB1C-0DEF-9XYZ",
            "ab1c 0def 9xyz",
            "abIc-Odef-9xyz",
            "abLc0def9xyz",
        ] {
            assert_eq!(kept_form(typed).as_ref(), Some(&hash), "{typed}");
        }
        for bad in [
            "",
            "ab1c-0def-9xy",
            "ab1c-0def-9xyz1",
            "ab1c-0def-9xyu",
            "äb1c-0def-9xyz",
        ] {
            assert_eq!(kept_form(bad), None, "{bad}");
        }
    }
}
