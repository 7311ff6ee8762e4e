//! The captcha's answer check and the sealed tokens its challenges travel in. The word is
//! accepted however it is typed (case, spaces), nothing empty and no other word is; a token
//! opens only under its own key and purpose, to exactly what was sealed.

use std::sync::OnceLock;

use gerbang_idp::account::captcha::{is_answer, WORDS};
use gerbang_idp::sealed::Sealer;

fn sealers() -> &'static (Sealer, Sealer) {
    static SEALERS: OnceLock<(Sealer, Sealer)> = OnceLock::new();
    SEALERS.get_or_init(|| {
        let captcha = Sealer::new(&[3; 32], "captcha").expect("a key");
        let request = Sealer::new(&[3; 32], "request").expect("a key");
        (captcha, request)
    })
}

/// The input picks two words (its first two bytes) and is, as a whole, an answer and a token.
pub fn check(data: &[u8]) {
    let (Some(&a), Some(&b)) = (data.first(), data.get(1)) else {
        return;
    };
    let word = WORDS[usize::from(a) % WORDS.len()];
    let other = WORDS[usize::from(b) % WORDS.len()];
    let answer = String::from_utf8_lossy(&data[2..]);
    assert!(is_answer(word, word));
    assert_eq!(
        is_answer(word, other),
        word == other,
        "{word:?} and {other:?}"
    );
    assert!(!is_answer(word, ""), "the empty answer");
    // The word as a person might type it: each letter's case and the spaces as the input says.
    let typed: String = word
        .chars()
        .zip(data.iter().cycle())
        .flat_map(|(c, bits)| {
            let c = if bits & 1 == 0 {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                c
            };
            [Some(c), (bits & 2 != 0).then_some(' ')]
        })
        .flatten()
        .collect();
    assert!(is_answer(word, &typed), "{typed:?} for {word:?}");
    if is_answer(word, &answer) {
        let letters = |s: &str| -> String {
            s.chars()
                .filter(|c| !c.is_whitespace())
                .flat_map(char::to_uppercase)
                .collect()
        };
        assert_eq!(letters(&answer), letters(word));
    }
    let (captcha, request) = sealers();
    assert_eq!(captcha.open(&answer), None, "a token nobody sealed opened");
    let token = captcha.seal(data);
    assert_eq!(captcha.open(&token).as_deref(), Some(data));
    assert_eq!(request.open(&token), None, "opened under another purpose");
}
