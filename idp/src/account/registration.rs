//! The registration form of the OSS guide (section 1.1): identity by KTP (Gambar 1) or by
//! passport (Gambar 2), every field mandatory, validated field by field so that each error can
//! stand beside its field. Pure: the captcha and the store are the caller's.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::personal::countries;
use crate::personal::email::{Email, EmailProblem};
use crate::personal::nik::{Nik, NikProblem};
use crate::personal::phone::{Phone, PhoneProblem};
use crate::store::{Gender, Identity, PassportDetails, Profile};

/// The longest a free-text field (place of birth, issuing office) may be, in characters.
pub const FREE_TEXT_MAX: usize = 100;

/// The minimum age for a KTP (and so for registering with one).
pub const KTP_MINIMUM_AGE: u32 = 17;

/// The form as typed: every field a string, as the browser sent it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RegistrationForm {
    /// `ktp` or `passport`.
    pub identity_type: String,
    pub nik: String,
    /// Negara Asal (KTP) or the phone's country (passport): ISO 3166 alpha-2; gives the
    /// dialling code.
    pub country: String,
    pub birth_date: String,
    pub phone: String,
    pub email: String,
    pub passport_number: String,
    pub passport_country: String,
    pub passport_issued: String,
    pub passport_expires: String,
    pub passport_office: String,
    /// `male` or `female`.
    pub sex: String,
    pub nationality: String,
    pub birth_place: String,
    /// Present when the terms box is ticked.
    pub terms: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityKind {
    Ktp,
    Passport,
}

impl RegistrationForm {
    /// The identity type chosen; KTP unless the passport was chosen.
    pub fn kind(&self) -> IdentityKind {
        if self.identity_type == "passport" {
            IdentityKind::Passport
        } else {
            IdentityKind::Ktp
        }
    }
}

/// A field of the form, by its name in the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Nik,
    Country,
    BirthDate,
    Phone,
    Email,
    PassportNumber,
    PassportCountry,
    PassportIssued,
    PassportExpires,
    PassportOffice,
    Sex,
    Nationality,
    BirthPlace,
    Terms,
    Captcha,
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::Nik => "nik",
            Field::Country => "country",
            Field::BirthDate => "birth_date",
            Field::Phone => "phone",
            Field::Email => "email",
            Field::PassportNumber => "passport_number",
            Field::PassportCountry => "passport_country",
            Field::PassportIssued => "passport_issued",
            Field::PassportExpires => "passport_expires",
            Field::PassportOffice => "passport_office",
            Field::Sex => "sex",
            Field::Nationality => "nationality",
            Field::BirthPlace => "birth_place",
            Field::Terms => "terms",
            Field::Captcha => "captcha",
        }
    }
}

/// Why a field was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Required,
    /// Not a date in dd-mm-yyyy.
    NotADate,
    /// Written as a date, but no day of the calendar (31-02-1990).
    NoSuchDate,
    /// The birth date is not the one the NIK encodes (marked beside the NIK's own problem).
    NotTheNiksBirthDate,
    DateInFuture,
    Nik(NikProblem),
    /// Younger than [`KTP_MINIMUM_AGE`].
    TooYoung,
    Phone(PhoneProblem),
    Email(EmailProblem),
    UnknownCountry,
    /// Letters and digits only, 5 to 20 of them.
    PassportNumber,
    /// Longer than [`FREE_TEXT_MAX`] characters.
    TooLong,
    ExpiryBeforeIssue,
    Expired,
    IssuedBeforeBirth,
    TermsNotAccepted,
    WrongCaptcha,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub problem: Problem,
}

/// A valid registration: what the account will hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub identity: Identity,
    pub email: Email,
    pub phone: Phone,
    /// The other fields: birth date, gender and country, and for a passport its dates and
    /// office, the birth place and the nationality.
    pub profile: Profile,
}

/// Checks every field of `form` as of `today`; all problems at once, in the form's order.
pub fn validate(
    form: &RegistrationForm,
    today: NaiveDate,
) -> Result<Registration, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut fail = |field, problem| errors.push(FieldError { field, problem });
    let mut profile = Profile::default();
    let kind = form.kind();

    let birth_date = match date(&form.birth_date, today) {
        Ok(d) => Some(d),
        Err(p) => {
            fail(Field::BirthDate, p);
            None
        }
    };
    let identity = match kind {
        IdentityKind::Ktp => ktp_identity(form, birth_date, today, &mut fail, &mut profile),
        IdentityKind::Passport => {
            passport_identity(form, birth_date, today, &mut fail, &mut profile)
        }
    };
    let phone_country = country(&form.country, Field::Country, &mut fail);
    let phone = phone_country.and_then(|c| {
        Phone::parse(c, &form.phone)
            .map_err(|p| fail(Field::Phone, Problem::Phone(p)))
            .ok()
    });
    let email = Email::parse(&form.email)
        .map_err(|p| fail(Field::Email, Problem::Email(p)))
        .ok();
    if form.terms.is_none() {
        fail(Field::Terms, Problem::TermsNotAccepted);
    }
    match (identity, email, phone) {
        (Some(identity), Some(email), Some(phone)) if errors.is_empty() => {
            profile.country = phone_country.map(str::to_string);
            profile.birth_date = birth_date;
            Ok(Registration {
                identity,
                email,
                phone,
                profile,
            })
        }
        _ => Err(errors),
    }
}

/// A KTP holder's identity: the NIK's structure and its encoded birth date, and the minimum age.
fn ktp_identity(
    form: &RegistrationForm,
    birth_date: Option<NaiveDate>,
    today: NaiveDate,
    fail: &mut impl FnMut(Field, Problem),
    profile: &mut Profile,
) -> Option<Identity> {
    if let Some(born) = birth_date {
        if age(born, today) < KTP_MINIMUM_AGE {
            fail(Field::BirthDate, Problem::TooYoung);
        }
    }
    if form.nik.trim().is_empty() {
        fail(Field::Nik, Problem::Required);
        return None;
    }
    match Nik::parse(&form.nik, birth_date) {
        Ok(nik) => {
            profile.gender = Some(if nik.holder_is_female() {
                Gender::Female
            } else {
                Gender::Male
            });
            Some(Identity::Ktp { nik })
        }
        Err(p) => {
            fail(Field::Nik, Problem::Nik(p));
            if p == NikProblem::BirthDateMismatch {
                // Either may be the mistake: both are marked.
                fail(Field::BirthDate, Problem::NotTheNiksBirthDate);
            }
            None
        }
    }
}

/// A passport holder's identity: the number, its issuer, its dates (issued after birth, expiring
/// after issue and not yet), the issuing office, birth place, sex and nationality.
fn passport_identity(
    form: &RegistrationForm,
    birth_date: Option<NaiveDate>,
    today: NaiveDate,
    fail: &mut impl FnMut(Field, Problem),
    profile: &mut Profile,
) -> Option<Identity> {
    let number = passport_number(&form.passport_number)
        .map_err(|p| fail(Field::PassportNumber, p))
        .ok();
    let issuer = country(&form.passport_country, Field::PassportCountry, fail);
    let issued = date(&form.passport_issued, today)
        .map_err(|p| fail(Field::PassportIssued, p))
        .ok();
    if let (Some(i), Some(b)) = (issued, birth_date) {
        if i < b {
            fail(Field::PassportIssued, Problem::IssuedBeforeBirth);
        }
    }
    let expires = match typed_date(&form.passport_expires) {
        Ok(expires) if issued.is_some_and(|i| expires <= i) => Err(Problem::ExpiryBeforeIssue),
        Ok(expires) if expires < today => Err(Problem::Expired),
        other => other,
    }
    .map_err(|p| fail(Field::PassportExpires, p));
    let mut free_text = |field, value: &str| {
        let value = value.trim();
        let problem = match value.chars().count() {
            0 => Problem::Required,
            n if n > FREE_TEXT_MAX => Problem::TooLong,
            _ => return Some(value.to_string()),
        };
        fail(field, problem);
        None
    };
    let office = free_text(Field::PassportOffice, &form.passport_office);
    profile.birth_place = free_text(Field::BirthPlace, &form.birth_place);
    profile.gender = match form.sex.as_str() {
        "male" => Some(Gender::Male),
        "female" => Some(Gender::Female),
        _ => {
            fail(Field::Sex, Problem::Required);
            None
        }
    };
    profile.nationality = country(&form.nationality, Field::Nationality, fail).map(str::to_string);
    if let (Some(issued), Ok(expires), Some(office)) = (issued, expires, office) {
        profile.passport = Some(PassportDetails {
            issued,
            expires,
            office,
        });
    }
    Some(Identity::Passport {
        number: number?,
        country: issuer?.to_string(),
    })
}

/// A passport number as typed: 5 to 20 letters and digits, kept in upper case.
pub fn passport_number(typed: &str) -> Result<String, Problem> {
    let number = typed.trim().to_ascii_uppercase();
    if number.is_empty() {
        Err(Problem::Required)
    } else if !(5..=20).contains(&number.len())
        || !number.chars().all(|c| c.is_ascii_alphanumeric())
    {
        Err(Problem::PassportNumber)
    } else {
        Ok(number)
    }
}

/// The ISO code of a known country, or a problem for `field`.
fn country(
    code: &str,
    field: Field,
    fail: &mut impl FnMut(Field, Problem),
) -> Option<&'static str> {
    if code.trim().is_empty() {
        fail(field, Problem::Required);
        return None;
    }
    match countries::find(code) {
        Some(c) => Some(c.code),
        None => {
            fail(field, Problem::UnknownCountry);
            None
        }
    }
}

/// A past or present date (see [`typed_date`]).
fn date(typed: &str, today: NaiveDate) -> Result<NaiveDate, Problem> {
    let d = typed_date(typed)?;
    if d > today {
        return Err(Problem::DateInFuture);
    }
    Ok(d)
}

/// A date typed as dd-mm-yyyy (the guide's form), dd/mm/yyyy or yyyy-mm-dd (what a browser's
/// date input sends); one written so but missing from the calendar (31-02) is said to be so.
fn typed_date(typed: &str) -> Result<NaiveDate, Problem> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Err(Problem::Required);
    }
    parse_date(typed).ok_or(match date_parts(typed) {
        Some((day, month, year))
            if (1..=31).contains(&day) && (1..=12).contains(&month) && year >= 1900 =>
        {
            Problem::NoSuchDate
        }
        _ => Problem::NotADate,
    })
}

/// Day, month and year of a text written as a date in one of the accepted orders, whether or
/// not the calendar has it.
fn date_parts(typed: &str) -> Option<(u32, u32, u32)> {
    let parts: Vec<&str> = typed.split(['-', '/']).collect();
    let number = |s: &str| {
        (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match parts.as_slice() {
        [year, month, day] if year.len() == 4 => {
            Some((number(day)?, number(month)?, number(year)?))
        }
        [day, month, year] if year.len() == 4 => {
            Some((number(day)?, number(month)?, number(year)?))
        }
        _ => None,
    }
}

pub fn parse_date(typed: &str) -> Option<NaiveDate> {
    let t = typed.trim();
    ["%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
        .filter(|d| d.year() >= 1900)
}

/// Whole years from `born` to `today`.
pub fn age(born: NaiveDate, today: NaiveDate) -> u32 {
    today.years_since(born).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn ktp() -> RegistrationForm {
        RegistrationForm {
            identity_type: "ktp".into(),
            nik: "3174051208850001".into(),
            country: "ID".into(),
            birth_date: "12-08-1985".into(),
            phone: "8123456789".into(),
            email: "Budi@Example.ID".into(),
            terms: Some("on".into()),
            ..RegistrationForm::default()
        }
    }

    fn passport() -> RegistrationForm {
        RegistrationForm {
            identity_type: "passport".into(),
            passport_number: "a1234567".into(),
            passport_country: "MY".into(),
            passport_issued: "01-02-2022".into(),
            passport_expires: "01-02-2032".into(),
            passport_office: "Kuala Lumpur".into(),
            sex: "female".into(),
            nationality: "MY".into(),
            birth_place: "Johor Bahru".into(),
            birth_date: "1990-03-04".into(),
            country: "MY".into(),
            phone: "123456789".into(),
            email: "siti@example.my".into(),
            terms: Some("on".into()),
            ..RegistrationForm::default()
        }
    }

    fn problems(form: RegistrationForm) -> Vec<(Field, Problem)> {
        match validate(&form, today()) {
            Ok(_) => vec![],
            Err(errors) => errors.into_iter().map(|e| (e.field, e.problem)).collect(),
        }
    }

    #[test]
    fn free_text_is_refused_when_too_long_never_cut() {
        let long = "Kantor Imigrasi ".repeat(7);
        let form = RegistrationForm {
            passport_office: long.clone(),
            birth_place: "a".repeat(FREE_TEXT_MAX),
            ..passport()
        };
        assert_eq!(
            problems(form),
            [(Field::PassportOffice, Problem::TooLong)],
            "{} characters",
            long.chars().count()
        );
    }

    #[test]
    fn a_good_ktp_registration() {
        let r = validate(&ktp(), today()).unwrap();
        let Identity::Ktp { nik } = &r.identity else {
            panic!("a KTP identity: {:?}", r.identity)
        };
        assert_eq!(nik.as_str(), "3174051208850001");
        assert_eq!(r.email.as_str(), "budi@example.id");
        assert_eq!(r.phone.as_str(), "+628123456789");
        assert_eq!(r.profile.birth_date, NaiveDate::from_ymd_opt(1985, 8, 12));
        assert_eq!(r.profile.gender, Some(Gender::Male));
        assert_eq!(r.profile.country.as_deref(), Some("ID"));
        assert_eq!(r.profile.passport, None);
    }

    #[test]
    fn a_good_passport_registration() {
        let r = validate(&passport(), today()).unwrap();
        assert_eq!(
            r.identity,
            Identity::Passport {
                number: "A1234567".into(),
                country: "MY".into()
            }
        );
        assert_eq!(r.phone.as_str(), "+60123456789");
        let passport = r.profile.passport.as_ref().unwrap();
        assert_eq!(
            passport.expires,
            NaiveDate::from_ymd_opt(2032, 2, 1).unwrap()
        );
        assert!(!passport.office.is_empty());
        assert_eq!(r.profile.nationality.as_deref(), Some("MY"));
        assert_eq!(r.profile.gender, Some(Gender::Female));
        assert!(r.profile.birth_place.is_some());
    }

    #[test]
    fn registration_table() {
        use Field::*;
        let cases: Vec<(RegistrationForm, Vec<(Field, Problem)>)> = vec![
            // Born 30-11-2009: 16 years old on 29-11-2026, one day short of 17.
            (
                RegistrationForm {
                    nik: "3174053011090001".into(),
                    birth_date: "30-11-2009".into(),
                    ..ktp()
                },
                vec![(BirthDate, Problem::TooYoung)],
            ),
            // Exactly 17 today.
            (
                RegistrationForm {
                    nik: "3174052911090001".into(),
                    birth_date: "29-11-2009".into(),
                    ..ktp()
                },
                vec![],
            ),
            (
                RegistrationForm {
                    birth_date: "12-08-1986".into(),
                    ..ktp()
                },
                vec![
                    (Nik, Problem::Nik(NikProblem::BirthDateMismatch)),
                    (BirthDate, Problem::NotTheNiksBirthDate),
                ],
            ),
            (
                RegistrationForm {
                    birth_date: "31-02-1985".into(),
                    ..ktp()
                },
                vec![(BirthDate, Problem::NoSuchDate)],
            ),
            (
                RegistrationForm {
                    birth_date: "1985-02-30".into(),
                    ..ktp()
                },
                vec![(BirthDate, Problem::NoSuchDate)],
            ),
            (
                RegistrationForm {
                    birth_date: "12-8-85".into(),
                    ..ktp()
                },
                vec![(BirthDate, Problem::NotADate)],
            ),
            (
                RegistrationForm {
                    birth_date: "01-01-2030".into(),
                    ..ktp()
                },
                vec![(BirthDate, Problem::DateInFuture)],
            ),
            (
                RegistrationForm {
                    phone: "0812".into(),
                    ..ktp()
                },
                vec![(Phone, Problem::Phone(PhoneProblem::Invalid))],
            ),
            (
                RegistrationForm {
                    country: "ZZ".into(),
                    ..ktp()
                },
                vec![(Country, Problem::UnknownCountry)],
            ),
            (
                RegistrationForm {
                    email: "budi@".into(),
                    terms: None,
                    ..ktp()
                },
                vec![
                    (Email, Problem::Email(EmailProblem::Invalid)),
                    (Terms, Problem::TermsNotAccepted),
                ],
            ),
            (
                RegistrationForm {
                    nik: String::new(),
                    ..ktp()
                },
                vec![(Nik, Problem::Required)],
            ),
            // Passport dates.
            (
                RegistrationForm {
                    passport_issued: "01-01-2027".into(),
                    ..passport()
                },
                vec![(PassportIssued, Problem::DateInFuture)],
            ),
            (
                RegistrationForm {
                    passport_expires: "01-01-2022".into(),
                    ..passport()
                },
                vec![(PassportExpires, Problem::ExpiryBeforeIssue)],
            ),
            (
                RegistrationForm {
                    passport_issued: "01-02-2016".into(),
                    passport_expires: "01-02-2026".into(),
                    ..passport()
                },
                vec![(PassportExpires, Problem::Expired)],
            ),
            (
                RegistrationForm {
                    passport_expires: "2032/13/01".into(),
                    ..passport()
                },
                vec![(PassportExpires, Problem::NotADate)],
            ),
            (
                RegistrationForm {
                    passport_issued: "01-01-1989".into(),
                    ..passport()
                },
                vec![(PassportIssued, Problem::IssuedBeforeBirth)],
            ),
            (
                RegistrationForm {
                    passport_number: "A1-23".into(),
                    passport_country: "Narnia".into(),
                    ..passport()
                },
                vec![
                    (PassportNumber, Problem::PassportNumber),
                    (PassportCountry, Problem::UnknownCountry),
                ],
            ),
            (
                RegistrationForm {
                    passport_office: " ".into(),
                    sex: String::new(),
                    nationality: String::new(),
                    birth_place: String::new(),
                    ..passport()
                },
                vec![
                    (PassportOffice, Problem::Required),
                    (BirthPlace, Problem::Required),
                    (Sex, Problem::Required),
                    (Nationality, Problem::Required),
                ],
            ),
        ];
        for (form, expected) in cases {
            let described = format!("{form:?}");
            assert_eq!(problems(form), expected, "{described}");
        }
    }
}
