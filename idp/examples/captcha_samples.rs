//! Captcha challenges for the attacker scripts (`scripts/captcha-attack`): writes COUNT
//! pictures and readings of random words into DIR, with the answers, the vocabulary and each
//! letter's clean recording (what an attacker has from the `captcha` crate). `DIR/plain/` holds
//! the same words read out as the crate did before (the letters as recorded, one after the
//! other): the control that shows the audio attacker works.
//!
//!     cargo run --release -p gerbang-idp --example captcha_samples -- DIR COUNT

use std::path::PathBuf;

use gerbang_idp::account::captcha::{picture, sound, WORDS};
use rand::Rng;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "captcha-samples".into()));
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100);
    std::fs::create_dir_all(dir.join("letters"))?;
    std::fs::create_dir_all(dir.join("plain"))?;
    let mut rng = rand::rng();
    let mut answers = String::new();
    for n in 0..count {
        let word = WORDS[rng.random_range(0..WORDS.len())];
        let png = picture::draw(word, &mut rng).ok_or(std::io::ErrorKind::Other)?;
        std::fs::write(dir.join(format!("{n:04}.png")), png)?;
        let wav = sound::read_out(word, &mut rng).ok_or(std::io::ErrorKind::Other)?;
        std::fs::write(dir.join(format!("{n:04}.wav")), wav)?;
        std::fs::write(dir.join("plain").join(format!("{n:04}.wav")), plain(word)?)?;
        answers += &format!("{word}\n");
    }
    std::fs::write(dir.join("answers.txt"), answers)?;
    std::fs::write(dir.join("words.txt"), WORDS.join("\n") + "\n")?;
    for letter in 'A'..='Z' {
        let wav = sound::letter_wav(letter).ok_or(std::io::ErrorKind::Other)?;
        std::fs::write(dir.join("letters").join(format!("{letter}.wav")), wav)?;
    }
    println!("{count} challenges in {}", dir.display());
    Ok(())
}

/// `word`'s letters as recorded, a third of a second apart.
fn plain(word: &str) -> std::io::Result<Vec<u8>> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 22_050,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut out = std::io::Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut out, spec).map_err(std::io::Error::other)?;
    for letter in word.chars().filter(|c| *c != ' ') {
        let wav = sound::letter_wav(letter).ok_or(std::io::ErrorKind::Other)?;
        let reader =
            hound::WavReader::new(std::io::Cursor::new(wav)).map_err(std::io::Error::other)?;
        for sample in reader.into_samples::<i16>().filter_map(Result::ok) {
            writer.write_sample(sample).map_err(std::io::Error::other)?;
        }
        for _ in 0..7_350 {
            writer.write_sample(0i16).map_err(std::io::Error::other)?;
        }
    }
    writer.finalize().map_err(std::io::Error::other)?;
    Ok(out.into_inner())
}
