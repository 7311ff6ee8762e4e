//! The captcha read out, for who cannot see the picture. The letters are the `captcha` crate's
//! recordings (I, L and O copied from it: its API reads out only the letters its font has),
//! but never as recorded: a script that matched them against those recordings (as
//! it could the crate's own audio, each letter at a fixed offset) must now find letters
//!
//! - each played faster or slower (pitch and tempo together, by up to a fifth), the speed
//!   wavering within the letter, and a little duller or brighter,
//! - at a level and after a pause of their own,
//! - among other letters spoken more quietly over them at other speeds (babble), and noise.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::OnceLock;

use rand::Rng;

/// The recordings' sample rate.
const RATE: usize = 22_050;

/// The recordings of the letters the crate does not read out.
const COPIED: [(char, &[u8]); 3] = [
    ('I', include_bytes!("../../../assets/captcha-letter-I.wav")),
    ('L', include_bytes!("../../../assets/captcha-letter-L.wav")),
    ('O', include_bytes!("../../../assets/captcha-letter-O.wav")),
];

/// Each letter's recording, as samples in -1..1, trimmed to where it is spoken.
fn recordings() -> &'static HashMap<char, Vec<f32>> {
    static RECORDINGS: OnceLock<HashMap<char, Vec<f32>>> = OnceLock::new();
    RECORDINGS.get_or_init(|| {
        ('A'..='Z')
            .filter_map(|letter| {
                let wav = match COPIED.iter().find(|(c, _)| *c == letter) {
                    Some((_, wav)) => wav.to_vec(),
                    None => {
                        let mut one = captcha::Captcha::new();
                        one.set_chars(&[letter]).add_char();
                        one.as_wav().into_iter().next()??
                    }
                };
                let reader = hound::WavReader::new(Cursor::new(wav)).ok()?;
                let samples: Vec<f32> = reader
                    .into_samples::<i16>()
                    .filter_map(Result::ok)
                    .map(|s| s as f32 / 32_768.0)
                    .collect();
                Some((letter, spoken(&samples)))
            })
            .collect()
    })
}

/// The part of a recording where someone speaks: from the first to the last 10 ms window well
/// over the noise the crate adds (a quarter of the way from the quietest windows' level to the
/// loudest's).
fn spoken(samples: &[f32]) -> Vec<f32> {
    let window = RATE / 100;
    let levels: Vec<f32> = samples
        .chunks(window)
        .map(|w| (w.iter().map(|s| s * s).sum::<f32>() / w.len() as f32).sqrt())
        .collect();
    let mut sorted = levels.clone();
    sorted.sort_by(f32::total_cmp);
    let (floor, loudest) = (sorted[sorted.len() / 4], sorted[sorted.len() - 1]);
    let threshold = floor + (loudest - floor) / 4.0;
    let first = levels.iter().position(|l| *l > threshold).unwrap_or(0);
    let last = levels
        .iter()
        .rposition(|l| *l > threshold)
        .unwrap_or(levels.len());
    samples[first * window..((last + 1) * window).min(samples.len())].to_vec()
}

/// `samples` played about `speed` times as fast, the speed itself wavering by `wobble` (a
/// share of it) a few times a second, so that no one speed matches the whole letter.
fn resampled(samples: &[f32], speed: f32, wobble: f32, rng: &mut impl Rng) -> Vec<f32> {
    let (rate, phase) = (
        rng.random_range(3.0..6.0) * std::f32::consts::TAU / RATE as f32,
        rng.random_range(0.0..std::f32::consts::TAU),
    );
    let mut out = Vec::with_capacity((samples.len() as f32 / speed) as usize + 1);
    let mut at = 0.0f32;
    while (at as usize) + 1 < samples.len() {
        let (j, f) = (at as usize, at.fract());
        out.push(samples[j] + (samples[j + 1] - samples[j]) * f);
        at += speed * (1.0 + wobble * (rate * out.len() as f32 + phase).sin());
    }
    out
}

/// A gentle low-pass of random strength: each letter sounds a little duller or brighter.
fn coloured(samples: &mut [f32], rng: &mut impl Rng) {
    let keep = rng.random_range(0.0..0.6);
    let mut previous = 0.0;
    for s in samples.iter_mut() {
        previous = keep * previous + (1.0 - keep) * *s;
        *s = previous;
    }
}

fn mix(into: &mut Vec<f32>, at: usize, samples: &[f32], gain: f32) {
    if into.len() < at + samples.len() {
        into.resize(at + samples.len(), 0.0);
    }
    for (out, s) in into[at..].iter_mut().zip(samples) {
        *out += s * gain;
    }
}

/// The letters of `word` (spaces are a longer pause) as one WAV, different every time.
pub fn read_out(word: &str, rng: &mut impl Rng) -> Option<Vec<u8>> {
    let recordings = recordings();
    let seconds = |s: f32| (s * RATE as f32) as usize;
    let mut out = vec![0.0; seconds(0.4)];
    let mut at = out.len();
    for letter in word.chars() {
        if letter == ' ' {
            at += seconds(0.5);
            continue;
        }
        let (speed, wobble) = (rng.random_range(0.82..1.22), rng.random_range(0.05..0.12));
        let mut spoken = resampled(recordings.get(&letter)?, speed, wobble, rng);
        coloured(&mut spoken, rng);
        mix(&mut out, at, &spoken, rng.random_range(0.75..1.0));
        at += spoken.len() + seconds(rng.random_range(0.25..0.6));
    }
    out.resize(at + seconds(0.3), 0.0);
    let letters: Vec<&Vec<f32>> = recordings.values().collect();
    for _ in 0..(out.len() as f32 / RATE as f32 * 1.8) as usize {
        let other = letters[rng.random_range(0..letters.len())];
        let (speed, wobble) = (rng.random_range(0.7..1.35), rng.random_range(0.0..0.12));
        let babble = resampled(other, speed, wobble, rng);
        let start = rng.random_range(0..out.len());
        mix(&mut out, start, &babble, rng.random_range(0.22..0.4));
    }
    for s in out.iter_mut() {
        *s += rng.random_range(-0.03..0.03);
    }
    wav(&out)
}

/// One letter as recorded (the clean template a script would match against), as a WAV.
pub fn letter_wav(letter: char) -> Option<Vec<u8>> {
    wav(recordings().get(&letter)?)
}

/// 16-bit mono WAV of `samples`, scaled so that the loudest is at 90 %.
fn wav(samples: &[f32]) -> Option<Vec<u8>> {
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs())).max(1e-3);
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE as u32,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec).ok()?;
    for s in samples {
        writer
            .write_sample((s / peak * 0.9 * 32_767.0) as i16)
            .ok()?;
    }
    writer.finalize().ok()?;
    Some(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_letter_has_a_spoken_recording() {
        let recordings = recordings();
        for letter in 'A'..='Z' {
            let spoken = &recordings[&letter];
            let seconds = spoken.len() as f32 / RATE as f32;
            assert!((0.1..1.5).contains(&seconds), "{letter}: {seconds} s");
        }
    }

    #[test]
    fn two_readings_of_one_word_differ_and_are_short() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(9);
        let a = read_out("BANDUNG BARAT", &mut rng).unwrap();
        let b = read_out("BANDUNG BARAT", &mut rng).unwrap();
        assert_eq!(&a[..4], b"RIFF");
        assert_ne!(a, b);
        let seconds = (a.len() - 44) as f32 / 2.0 / RATE as f32;
        assert!((4.0..20.0).contains(&seconds), "{seconds} s");
        assert!(a.len() < 900_000, "{} bytes", a.len());
    }
}
