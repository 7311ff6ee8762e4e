//! What registration reads a person's identity from: NIK, phone, e-mail, passport number and
//! dates. Each parsed value is normal (parsing it again gives it back), the phone number shown
//! again in its national form comes back the same, and a whole form never panics the check.

use chrono::{Datelike, NaiveDate};
use gerbang_idp::account::registration::{self, parse_date, passport_number, RegistrationForm};
use gerbang_idp::personal::email::Email;
use gerbang_idp::personal::nik::Nik;
use gerbang_idp::personal::phone::Phone;

/// The input is lines: country, phone, NIK, birth date, e-mail, passport number (a missing line
/// is the whole input); and, as a whole, a registration form as the browser posts it.
pub fn check(data: &[u8]) {
    let Some(text) = crate::text(data) else {
        return;
    };
    let mut lines = text.split('\n');
    let mut next = || lines.next().unwrap_or(text);
    let (country, phone, nik, birth, email, passport) =
        (next(), next(), next(), next(), next(), next());
    check_phone(country, phone);
    let born = check_date(birth);
    check_nik(nik, born);
    if let Ok(e) = Email::parse(email) {
        assert_eq!(Email::parse(&e).as_ref(), Ok(&e), "from {email:?}");
        assert_eq!(e.as_str(), e.to_lowercase());
    }
    if let Ok(p) = passport_number(passport) {
        assert_eq!(passport_number(&p).as_ref(), Ok(&p), "from {passport:?}");
    }
    if let Ok(form) = serde_urlencoded::from_bytes::<RegistrationForm>(data) {
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).expect("a date");
        let _ = registration::validate(&form, today);
    }
}

fn check_phone(country: &str, typed: &str) {
    let Ok(phone) = Phone::parse(country, typed) else {
        return;
    };
    let e164 = phone.as_str();
    assert!(
        e164.starts_with('+') && e164[1..].bytes().all(|b| b.is_ascii_digit()),
        "{e164:?} from {typed:?}"
    );
    assert_eq!(Phone::parse_international(e164).as_ref(), Ok(&phone));
    assert_eq!(Phone::parse(country, e164).as_ref(), Ok(&phone));
    let national = phone.national_in(country);
    assert_eq!(
        Phone::parse(country, national).as_ref(),
        Ok(&phone),
        "{national:?}, shown again in {country:?}, does not read back (typed {typed:?})"
    );
}

fn check_date(typed: &str) -> Option<NaiveDate> {
    let date = parse_date(typed)?;
    assert!(date.year() >= 1900);
    for format in ["%d-%m-%Y", "%Y-%m-%d"] {
        let shown = date.format(format).to_string();
        assert_eq!(parse_date(&shown), Some(date), "{shown:?} from {typed:?}");
    }
    Some(date)
}

fn check_nik(typed: &str, born: Option<NaiveDate>) {
    if let Ok(nik) = Nik::parse(typed, born) {
        assert!(nik.len() == 16 && nik.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(Nik::parse(&nik, born).as_ref(), Ok(&nik));
        assert!(Nik::parse(typed, None).is_ok(), "a date only adds a check");
    }
}
