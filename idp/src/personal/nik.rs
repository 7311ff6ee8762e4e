//! The NIK (Nomor Induk Kependudukan) of an Indonesian identity card: 16 digits,
//! `PP KK CC DDMMYY SSSS`: province, regency, district, birth date (day + 40 for women) and a
//! serial number.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A NIK that passed [`Nik::parse`]: the only way one is made, so an account's NIK always has a
/// province, an encoded date and a serial. (The store keeps parsed ones and reads them back
/// as they were.)
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Nik(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NikProblem {
    /// Not exactly 16 characters.
    Length,
    /// Something other than digits.
    NotDigits,
    /// The first two digits are no province of Indonesia, now or before.
    Province,
    /// Digits 7–12 are no date (day 1–31, or 41–71 for women; month 1–12).
    EncodedDate,
    /// The encoded date is not the birth date given.
    BirthDateMismatch,
    /// Serial number 0000 is never issued.
    Serial,
}

/// Province codes of the Ministry of Home Affairs (Kemendagri), including ones that no longer
/// issue cards: 54 (Timor Timur, until 1999) and the Papua codes before and after the 2022
/// division.
const PROVINCES: &[&str] = &[
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36",
    "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81",
    "82", "91", "92", "93", "94", "95", "96", "97",
];

impl Nik {
    /// The NIK `typed` (surrounding spaces ignored) if its structure holds and, when the birth
    /// date is known, it encodes that date.
    pub fn parse(typed: &str, birth_date: Option<NaiveDate>) -> Result<Nik, NikProblem> {
        let nik = typed.trim();
        check(nik, birth_date)?;
        Ok(Nik(nik.to_string()))
    }

    /// Whether the holder is a woman: her birth day is encoded plus 40.
    pub fn holder_is_female(&self) -> bool {
        self.0.get(6..8).is_some_and(|day| day > "40")
    }
}

parsed_text!(Nik);

fn check(nik: &str, birth_date: Option<NaiveDate>) -> Result<(), NikProblem> {
    if !nik.chars().all(|c| c.is_ascii_digit()) {
        return Err(NikProblem::NotDigits);
    }
    if nik.len() != 16 {
        return Err(NikProblem::Length);
    }
    if !PROVINCES.contains(&&nik[0..2]) {
        return Err(NikProblem::Province);
    }
    let number = |range: std::ops::Range<usize>| nik[range].parse::<u32>().unwrap_or(0);
    let (encoded_day, month, year2) = (number(6..8), number(8..10), number(10..12));
    let day = if encoded_day > 40 {
        encoded_day - 40
    } else {
        encoded_day
    };
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return Err(NikProblem::EncodedDate);
    }
    if let Some(born) = birth_date {
        if (born.day(), born.month(), born.year().rem_euclid(100) as u32) != (day, month, year2) {
            return Err(NikProblem::BirthDateMismatch);
        }
    }
    if &nik[12..16] == "0000" {
        return Err(NikProblem::Serial);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    #[test]
    fn nik_table() {
        let cases: &[(&str, Option<NaiveDate>, Result<bool, NikProblem>)] = &[
            // Good: a man born 12-08-1985 in Jakarta Selatan.
            ("3174051208850001", date(1985, 8, 12), Ok(false)),
            // Good: a woman born 12-08-1985 (day 12 + 40 = 52).
            ("3174055208850002", date(1985, 8, 12), Ok(true)),
            // Good: born on the 1st of January 2000, Aceh.
            ("1101010101000003", date(2000, 1, 1), Ok(false)),
            // Good: a woman born on the 31st, so day 71.
            ("3578017112990004", date(1999, 12, 31), Ok(true)),
            // Historical province 54 (Timor Timur) still validates.
            ("5401011505700005", date(1970, 5, 15), Ok(false)),
            // Papua Selatan (since 2022).
            ("9301011505700005", date(1970, 5, 15), Ok(false)),
            // Without a birth date only the structure is checked.
            ("3174051208850001", None, Ok(false)),
            // Bad province codes.
            (
                "0074051208850001",
                date(1985, 8, 12),
                Err(NikProblem::Province),
            ),
            (
                "2074051208850001",
                date(1985, 8, 12),
                Err(NikProblem::Province),
            ),
            (
                "9974051208850001",
                date(1985, 8, 12),
                Err(NikProblem::Province),
            ),
            // A woman's NIK (day + 40) given with the man's day, and the other way round.
            (
                "3174055208850002",
                date(1985, 8, 22),
                Err(NikProblem::BirthDateMismatch),
            ),
            (
                "3174051208850001",
                date(1985, 8, 13),
                Err(NikProblem::BirthDateMismatch),
            ),
            // Wrong month or year against Tanggal Lahir.
            (
                "3174051208850001",
                date(1985, 9, 12),
                Err(NikProblem::BirthDateMismatch),
            ),
            (
                "3174051208850001",
                date(1986, 8, 12),
                Err(NikProblem::BirthDateMismatch),
            ),
            // No date at all in digits 7-12.
            ("3174053208850001", None, Err(NikProblem::EncodedDate)),
            ("3174057208850001", None, Err(NikProblem::EncodedDate)),
            ("3174051213850001", None, Err(NikProblem::EncodedDate)),
            ("3174050008850001", None, Err(NikProblem::EncodedDate)),
            // Wrong length.
            (
                "317405120885001",
                date(1985, 8, 12),
                Err(NikProblem::Length),
            ),
            (
                "31740512088500011",
                date(1985, 8, 12),
                Err(NikProblem::Length),
            ),
            ("", None, Err(NikProblem::Length)),
            // Letters and separators.
            (
                "3174O51208850001",
                date(1985, 8, 12),
                Err(NikProblem::NotDigits),
            ),
            (
                "3174 0512 0885 0001",
                date(1985, 8, 12),
                Err(NikProblem::NotDigits),
            ),
            (
                "31740512088500A1",
                date(1985, 8, 12),
                Err(NikProblem::NotDigits),
            ),
            // Serial 0000 is never issued.
            (
                "3174051208850000",
                date(1985, 8, 12),
                Err(NikProblem::Serial),
            ),
        ];
        for (nik, born, expected) in cases {
            let female = Nik::parse(nik, *born).map(|n| n.holder_is_female());
            assert_eq!(female, *expected, "{nik} born {born:?}");
        }
    }
}
