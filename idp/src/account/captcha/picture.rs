//! The captcha's picture, drawn here rather than by the `captcha` crate (whose fixed canvas
//! cropped long words and whose thin noise a median filter removed, so that OCR read every
//! picture). What makes it cost a script, while a person still reads a place name:
//!
//! - each letter from a complete font (DejaVu Sans Condensed Bold, A–Z only, embedded), turned,
//!   sheared and scaled on its own, letters overlapping their neighbours;
//! - strokes as wide as the letters' own stems and in the same ink crossing the word, so neither
//!   a median filter nor a colour threshold takes them away without taking the letters too;
//! - the whole drawing warped by waves whose phase and length change every challenge;
//! - the word sized to the picture: however long, it never leaves it (a test draws 1,000).

use ab_glyph::{Font, FontRef, PxScale, ScaleFont};
use rand::Rng;

/// The picture's size in pixels (the page shows it at this size, smaller on narrow screens).
pub const WIDTH: usize = 360;
pub const HEIGHT: usize = 110;

/// Room kept free at each side for the letters (the warp moves them by less than this).
const MARGIN: f32 = 14.0;

const FONT: &[u8] = include_bytes!("../../../assets/captcha-font.ttf");

/// Coverage (0 = paper, 1 = ink) of each pixel, row by row.
#[derive(Clone)]
pub struct Ink {
    pub width: usize,
    pub height: usize,
    pub coverage: Vec<f32>,
}

impl Ink {
    fn new(width: usize, height: usize) -> Ink {
        Ink {
            width,
            height,
            coverage: vec![0.0; width * height],
        }
    }

    fn add(&mut self, x: usize, y: usize, amount: f32) {
        if x < self.width && y < self.height {
            let cell = &mut self.coverage[y * self.width + x];
            *cell = cell.max(amount.clamp(0.0, 1.0));
        }
    }

    /// The coverage at a point between pixels (bilinear), 0 outside.
    fn sample(&self, x: f32, y: f32) -> f32 {
        if x < 0.0 || y < 0.0 {
            return 0.0;
        }
        let (x0, y0) = (x.floor() as usize, y.floor() as usize);
        let (fx, fy) = (x - x0 as f32, y - y0 as f32);
        let at = |x: usize, y: usize| {
            if x < self.width && y < self.height {
                self.coverage[y * self.width + x]
            } else {
                0.0
            }
        };
        let top = at(x0, y0) * (1.0 - fx) + at(x0 + 1, y0) * fx;
        let bottom = at(x0, y0 + 1) * (1.0 - fx) + at(x0 + 1, y0 + 1) * fx;
        top * (1.0 - fy) + bottom * fy
    }
}

/// A challenge's drawing before colour: the letters and the strokes over them, both warped.
pub struct Drawing {
    pub letters: Ink,
    pub strokes: Ink,
}

/// How one letter is placed: its glyph upright, then turned and sheared about its centre.
struct Placed {
    glyph: Ink,
    centre: (f32, f32),
    angle: f32,
    shear: f32,
}

impl Placed {
    /// Half the width the letter covers once turned and sheared.
    fn half_width(&self) -> f32 {
        let (w, h) = (
            self.glyph.width as f32 / 2.0,
            self.glyph.height as f32 / 2.0,
        );
        let (sin, cos) = self.angle.sin_cos();
        let w = w + self.shear.abs() * h;
        w * cos.abs() + h * sin.abs()
    }

    /// Adds the letter to `ink`: each pixel near it looks up where it falls in the glyph.
    fn stamp(&self, ink: &mut Ink) {
        let reach = self.glyph.width.max(self.glyph.height) as f32;
        let (cx, cy) = self.centre;
        let (sin, cos) = self.angle.sin_cos();
        let (gw, gh) = (
            self.glyph.width as f32 / 2.0,
            self.glyph.height as f32 / 2.0,
        );
        let (x0, x1) = ((cx - reach).max(0.0) as usize, (cx + reach) as usize);
        let (y0, y1) = ((cy - reach).max(0.0) as usize, (cy + reach) as usize);
        for y in y0..=y1.min(ink.height - 1) {
            for x in x0..=x1.min(ink.width - 1) {
                let (dx, dy) = (x as f32 - cx, y as f32 - cy);
                let (lx, ly) = (dx * cos + dy * sin, -dx * sin + dy * cos);
                let amount = self.glyph.sample(lx - self.shear * ly + gw, ly + gh);
                if amount > 0.0 {
                    ink.add(x, y, amount);
                }
            }
        }
    }
}

fn font() -> FontRef<'static> {
    #[allow(clippy::expect_used)]
    FontRef::try_from_slice(FONT).expect("the embedded captcha font parses")
}

/// The upright glyph of `letter` at `px` pixels, tightly cropped (none for a space).
fn glyph(font: &FontRef<'_>, letter: char, px: f32) -> Option<Ink> {
    let scaled = font.as_scaled(PxScale::from(px));
    let outlined = font.outline_glyph(scaled.scaled_glyph(letter))?;
    let bounds = outlined.px_bounds();
    let mut ink = Ink::new(
        bounds.width().ceil() as usize + 1,
        bounds.height().ceil() as usize + 1,
    );
    outlined.draw(|x, y, c| ink.add(x as usize, y as usize, c));
    Some(ink)
}

/// The letters of `word` laid out on one line that fits the picture: drawn at `px`, smaller
/// until the line fits.
fn lay_out(word: &str, rng: &mut impl Rng) -> (Vec<Placed>, f32) {
    let font = font();
    let mut px = 66.0;
    loop {
        let mut placed = Vec::new();
        let mut gaps = Vec::new();
        let mut pending_gap = 0.0;
        for letter in word.chars() {
            let size = px * rng.random_range(0.9..1.1);
            let Some(glyph) = glyph(&font, letter, size) else {
                pending_gap += px * 0.3;
                continue;
            };
            gaps.push(pending_gap);
            pending_gap = 0.0;
            placed.push(Placed {
                glyph,
                centre: (0.0, 0.0),
                angle: rng.random_range(-0.4..0.4),
                shear: rng.random_range(-0.3..0.3),
            });
        }
        // Neighbours overlap by a share of the narrower one's half width.
        let mut x = 0.0;
        for i in 0..placed.len() {
            let half = placed[i].half_width();
            if i > 0 {
                let overlap = rng.random_range(0.1..0.3) * half.min(placed[i - 1].half_width());
                x += placed[i - 1].half_width() + gaps[i] + half - overlap;
            }
            placed[i].centre.0 = x;
        }
        let first = placed.first().map_or(0.0, |p| p.half_width());
        let last = placed.last().map_or(0.0, |p| p.half_width());
        let span = x + first + last;
        let room = WIDTH as f32 - 2.0 * MARGIN;
        if span <= room || px < 20.0 {
            let left = MARGIN + first + rng.random_range(0.0..=(room - span).max(0.0));
            for p in &mut placed {
                p.centre.0 += left;
                p.centre.1 = HEIGHT as f32 / 2.0 + rng.random_range(-8.0..8.0);
            }
            return (placed, px);
        }
        px *= 0.93;
    }
}

/// How far a stroke reaches.
#[derive(Clone, Copy)]
enum Length {
    /// From one side of the picture to the other.
    Across,
    /// Through a few letters.
    Part,
    /// About a letter's width.
    Piece,
}

/// A thick curve through the letters' band.
fn stroke(ink: &mut Ink, px: f32, length: Length, side: f32, rng: &mut impl Rng) {
    let (x0, x3) = match length {
        Length::Across => (
            rng.random_range(0.0..30.0),
            WIDTH as f32 - rng.random_range(0.0..30.0),
        ),
        Length::Part => {
            let start = rng.random_range(MARGIN..WIDTH as f32 - 140.0);
            (start, start + rng.random_range(70.0..130.0))
        }
        Length::Piece => {
            let start = rng.random_range(MARGIN..WIDTH as f32 - 60.0);
            (start, start + rng.random_range(20.0..45.0))
        }
    };
    let bends: [f32; 2] = [rng.random_range(-15.0..15.0), rng.random_range(-15.0..15.0)];
    // Through the upper or the lower half of the letters, where it hides least of them.
    let mut band = || HEIGHT as f32 / 2.0 + side * rng.random_range(0.1..0.3) * px;
    let points = [
        (x0, band()),
        (x0 + (x3 - x0) / 3.0, band() + bends[0]),
        (x0 + 2.0 * (x3 - x0) / 3.0, band() + bends[1]),
        (x3, band()),
    ];
    let radius = match length {
        // Over 4 pixels wide, as the letters' stems are, so that a 5 x 5 median filter keeps
        // both or neither.
        Length::Across | Length::Part => rng.random_range(2.6..3.2),
        // Pieces of letters that are none: what an OCR takes for one.
        Length::Piece => rng.random_range(2.4..3.0),
    };
    let steps = ((x3 - x0) * 2.0) as usize;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        let u = 1.0 - t;
        let weights = [u * u * u, 3.0 * u * u * t, 3.0 * u * t * t, t * t * t];
        let x: f32 = points.iter().zip(weights).map(|(p, w)| p.0 * w).sum();
        let y: f32 = points.iter().zip(weights).map(|(p, w)| p.1 * w).sum();
        disc(ink, x, y, radius);
    }
}

/// A straight line about 2 pixels wide across the picture.
fn thin_line(ink: &mut Ink, rng: &mut impl Rng) {
    let (x0, y0) = (
        rng.random_range(0.0..60.0),
        rng.random_range(10.0..HEIGHT as f32 - 10.0),
    );
    let (x1, y1) = (
        rng.random_range(WIDTH as f32 - 60.0..WIDTH as f32),
        rng.random_range(10.0..HEIGHT as f32 - 10.0),
    );
    let steps = ((x1 - x0) * 2.0) as usize;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        disc(ink, x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, 1.0);
    }
}

fn disc(ink: &mut Ink, cx: f32, cy: f32, radius: f32) {
    let reach = radius.ceil() as i32 + 1;
    for dy in -reach..=reach {
        for dx in -reach..=reach {
            let (x, y) = (cx.round() as i32 + dx, cy.round() as i32 + dy);
            if x < 0 || y < 0 {
                continue;
            }
            let distance = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            ink.add(x as usize, y as usize, radius + 0.5 - distance);
        }
    }
}

/// Waves through the whole drawing: each pixel takes its ink from a point moved along both
/// axes by sines of the other axis.
struct Warp {
    across: (f32, f32, f32),
    down: (f32, f32, f32),
}

impl Warp {
    fn random(rng: &mut impl Rng) -> Warp {
        let tau = std::f32::consts::TAU;
        Warp {
            across: (
                rng.random_range(2.0..4.0),
                rng.random_range(35.0..70.0),
                rng.random_range(0.0..tau),
            ),
            down: (
                rng.random_range(4.0..7.5),
                rng.random_range(70.0..160.0),
                rng.random_range(0.0..tau),
            ),
        }
    }

    fn apply(&self, ink: &Ink) -> Ink {
        let tau = std::f32::consts::TAU;
        let shift = |(a, length, phase): (f32, f32, f32), at: usize| {
            a * (tau * at as f32 / length + phase).sin()
        };
        // The shift across depends on the row only, the shift down on the column only.
        let across: Vec<f32> = (0..ink.height).map(|y| shift(self.across, y)).collect();
        let down: Vec<f32> = (0..ink.width).map(|x| shift(self.down, x)).collect();
        let mut out = Ink::new(ink.width, ink.height);
        for (y, shift_x) in across.iter().enumerate() {
            for (x, shift_y) in down.iter().enumerate() {
                out.coverage[y * ink.width + x] =
                    ink.sample(x as f32 + shift_x, y as f32 + shift_y);
            }
        }
        out
    }
}

/// The drawing of `word`, before colour.
pub fn compose(word: &str, rng: &mut impl Rng) -> Drawing {
    let (placed, px) = lay_out(word, rng);
    let mut letters = Ink::new(WIDTH, HEIGHT);
    for p in &placed {
        p.stamp(&mut letters);
    }
    let mut strokes = Ink::new(WIDTH, HEIGHT);
    // One across the word through one half of the letters, a shorter one through the other.
    let side = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
    stroke(&mut strokes, px, Length::Across, side, rng);
    stroke(&mut strokes, px, Length::Part, -side, rng);
    for _ in 0..2 {
        let side = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
        stroke(&mut strokes, px, Length::Piece, side * 2.2, rng);
    }
    // Thin lines a threshold keeps and a small median filter does not remove.
    for _ in 0..3 {
        thin_line(&mut strokes, rng);
    }
    let warp = Warp::random(rng);
    Drawing {
        letters: warp.apply(&letters),
        strokes: warp.apply(&strokes),
    }
}

/// The picture of `word` as a PNG: dark ink of one random hue on light paper of another.
pub fn draw(word: &str, rng: &mut impl Rng) -> Option<Vec<u8>> {
    let drawing = compose(word, rng);
    let ink = colour(rng, 0.12..0.32);
    let paper = colour(rng, 0.88..0.97);
    let mut rgb = Vec::with_capacity(WIDTH * HEIGHT * 3);
    let shade = rng.random_range(0.0..std::f32::consts::TAU);
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            let i = y * WIDTH + x;
            let a = drawing.letters.coverage[i].max(drawing.strokes.coverage[i]);
            // The paper darkens and lightens a little across the picture.
            let light = 1.0 + 0.04 * ((x as f32 / 50.0) + (y as f32 / 30.0) + shade).sin();
            for c in 0..3 {
                let value = paper[c] * light * (1.0 - a) + ink[c] * a;
                rgb.push((value.clamp(0.0, 1.0) * 255.0) as u8);
            }
        }
    }
    png(&rgb)
}

/// A colour of random hue and saturation with its lightness in `lightness`.
fn colour(rng: &mut impl Rng, lightness: std::ops::Range<f32>) -> [f32; 3] {
    let (h, s, l): (f32, f32, f32) = (
        rng.random_range(0.0..6.0),
        rng.random_range(0.25..0.6),
        rng.random_range(lightness),
    );
    let chroma = (1.0 - (2.0 * l - 1.0).abs()) * s;
    let x = chroma * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (chroma, x, 0.0),
        1 => (x, chroma, 0.0),
        2 => (0.0, chroma, x),
        3 => (0.0, x, chroma),
        4 => (x, 0.0, chroma),
        _ => (chroma, 0.0, x),
    };
    let m = l - chroma / 2.0;
    [r + m, g + m, b + m]
}

fn png(rgb: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH as u32, HEIGHT as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(rgb).ok()?;
    writer.finish().ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::captcha::words::WORDS;
    use rand::SeedableRng;

    /// Whether any letter ink reaches the outer `band` pixels of the picture.
    fn touches_edge(ink: &Ink, band: usize) -> bool {
        (0..ink.height).any(|y| {
            (0..ink.width).any(|x| {
                let outer = x < band || x >= ink.width - band || y < band || y >= ink.height - band;
                outer && ink.coverage[y * ink.width + x] > 0.05
            })
        })
    }

    #[test]
    fn no_word_leaves_the_picture_in_1000_drawings() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        let longest: Vec<&str> = {
            let mut words = WORDS.to_vec();
            words.sort_by_key(|w| std::cmp::Reverse(w.len()));
            words.into_iter().take(20).collect()
        };
        for n in 0..1000 {
            // Every other drawing is one of the longest words, where cropping happened.
            let word = if n % 2 == 0 {
                longest[n / 2 % longest.len()]
            } else {
                WORDS[rng.random_range(0..WORDS.len())]
            };
            let drawing = compose(word, &mut rng);
            assert!(!touches_edge(&drawing.letters, 4), "{word} (drawing {n})");
            let inked = drawing
                .letters
                .coverage
                .iter()
                .filter(|c| **c > 0.5)
                .count();
            assert!(inked > 1500, "{word} is drawn large enough: {inked} pixels");
        }
    }

    #[test]
    fn the_strokes_are_as_wide_as_the_letters_stems() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let drawing = compose("SURABAYA", &mut rng);
        // Down one column through a long stroke, count its run of solid ink.
        let widest = (60..WIDTH - 60)
            .map(|x| {
                (0..HEIGHT)
                    .filter(|y| drawing.strokes.coverage[y * WIDTH + x] > 0.5)
                    .count()
            })
            .min()
            .unwrap_or(0);
        assert!(
            widest >= 4,
            "a 5x5 median filter keeps a stroke {widest} px wide"
        );
    }

    #[test]
    fn a_picture_is_a_png_of_the_stated_size() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let png = draw("BANDUNG BARAT", &mut rng).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
        assert_eq!((width, height), (WIDTH as u32, HEIGHT as u32));
    }
}
