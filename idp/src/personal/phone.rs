//! Mobile phone numbers as the OSS form takes them: the country chosen beside the field gives
//! the dialling code; the number may be typed as the guide asks (without its leading 0), as
//! people write it at home (`0812-3456-789`), or with a code (`+62 812…`, `62812…`); what is
//! stored is E.164.

use phonenumber::{country, Mode, PhoneNumber, Type};

use serde::{Deserialize, Serialize};

use super::countries;

/// A mobile number that passed [`Phone::parse`] or [`Phone::parse_international`], in E.164
/// (`+628123456789`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Phone(String);

parsed_text!(Phone);

impl Phone {
    /// The number `typed` in the field beside the country with ISO code `country_code`, in any
    /// of the ways people write it (see the module's notes).
    pub fn parse(country_code: &str, typed: &str) -> Result<Phone, PhoneProblem> {
        normalise(country_code, typed).map(Phone)
    }

    /// A number an operator typed in international form (`+62 812-3456-789`, `0062…`): the
    /// country comes from its code, and an Indonesian number must be a mobile one, as in the
    /// registration form.
    pub fn parse_international(typed: &str) -> Result<Phone, PhoneProblem> {
        normalise_international(typed).map(Phone)
    }

    /// The country the number belongs to (ISO 3166 alpha-2), when its dialling code tells.
    pub fn country(&self) -> Option<&'static str> {
        let number = phonenumber::parse(None, &self.0).ok()?;
        let id = number.country().id()?;
        countries::find(id.as_ref()).map(|c| c.code)
    }

    /// The number as the form takes it in `country_code`'s field: without that country's
    /// dialling code (the whole number if it has another).
    pub fn national_in(&self, country_code: &str) -> &str {
        let code = countries::find(country_code)
            .and_then(|c| c.dialling_code)
            .map(|c| format!("+{c}"));
        code.and_then(|code| self.0.strip_prefix(&code))
            .unwrap_or(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneProblem {
    Missing,
    /// Something other than digits (spaces and dashes are allowed).
    NotDigits,
    /// No valid number of that country.
    Invalid,
    /// A valid Indonesian number, but not a mobile one.
    NotMobile,
    /// The chosen country is unknown or has no dialling code.
    Country,
}

fn normalise(country_code: &str, typed: &str) -> Result<String, PhoneProblem> {
    let country = countries::find(country_code).ok_or(PhoneProblem::Country)?;
    let dialling = country.dialling_code.ok_or(PhoneProblem::Country)?;
    let digits = without_separators(typed);
    if digits.is_empty() {
        return Err(PhoneProblem::Missing);
    }
    // Typed with its own code (`+62…`, `0062…`): that code decides the country.
    if digits.starts_with('+') || digits.starts_with("00") {
        return normalise_international(&digits);
    }
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(PhoneProblem::NotDigits);
    }
    let id: country::Id = country.code.parse().map_err(|_| PhoneProblem::Country)?;
    // As people write it at home (`0812…`: the trunk prefix is no part of the number), as the
    // guide asks (`812…`), or with the code but no `+` (`62812…`).
    let code = dialling.to_string();
    let candidates = [
        digits.strip_prefix('0'),
        Some(digits.as_str()),
        digits.strip_prefix(code.as_str()),
    ];
    let number = candidates
        .into_iter()
        .flatten()
        .filter_map(|national| phonenumber::parse(Some(id), format!("+{dialling}{national}")).ok())
        .find(phonenumber::is_valid)
        .ok_or(PhoneProblem::Invalid)?;
    if country.code == "ID" && !is_mobile(&number) {
        return Err(PhoneProblem::NotMobile);
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

/// `typed` without the spaces, dashes, dots and brackets people write numbers with.
fn without_separators(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect()
}

fn normalise_international(typed: &str) -> Result<String, PhoneProblem> {
    let digits = without_separators(typed);
    let digits = match digits.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => digits,
    };
    let Some(national) = digits.strip_prefix('+') else {
        return Err(if digits.is_empty() {
            PhoneProblem::Missing
        } else {
            PhoneProblem::Country
        });
    };
    if national.is_empty() || !national.chars().all(|c| c.is_ascii_digit()) {
        return Err(PhoneProblem::NotDigits);
    }
    let number = phonenumber::parse(None, &digits).map_err(|_| PhoneProblem::Invalid)?;
    if !phonenumber::is_valid(&number) {
        return Err(PhoneProblem::Invalid);
    }
    if number.country().id() == Some(country::Id::ID) && !is_mobile(&number) {
        return Err(PhoneProblem::NotMobile);
    }
    Ok(number.format().mode(Mode::E164).to_string())
}

fn is_mobile(number: &PhoneNumber) -> bool {
    matches!(
        number.number_type(&phonenumber::metadata::DATABASE),
        Type::Mobile | Type::FixedLineOrMobile
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_knows_its_country_and_its_national_part() {
        let phone = Phone::parse_international("+60 12-345 6789").unwrap();
        assert_eq!(phone.as_str(), "+60123456789");
        assert_eq!(phone.country(), Some("MY"));
        assert_eq!(phone.national_in("MY"), "123456789");
        assert_eq!(
            phone.national_in("ID"),
            "+60123456789",
            "another country's: all of it"
        );
    }

    #[test]
    fn numbers_typed_in_international_form() {
        assert_eq!(
            normalise_international("+62 812-3456-789").as_deref(),
            Ok("+628123456789")
        );
        assert_eq!(
            normalise_international("0062 812 3456 789").as_deref(),
            Ok("+628123456789")
        );
        assert_eq!(
            normalise_international("08123456789"),
            Err(PhoneProblem::Country),
            "no country code"
        );
        assert_eq!(
            normalise_international("+62 21 5555 1234"),
            Err(PhoneProblem::NotMobile)
        );
        assert_eq!(
            normalise_international("+62 12"),
            Err(PhoneProblem::Invalid)
        );
        assert_eq!(
            normalise_international("+62 812 abc"),
            Err(PhoneProblem::NotDigits)
        );
    }

    #[test]
    fn phone_table() {
        let cases: &[(&str, &str, Result<&str, PhoneProblem>)] = &[
            ("ID", "8123456789", Ok("+628123456789")),
            ("ID", "812-3456-7890", Ok("+6281234567890")),
            ("ID", "852 1234 5678", Ok("+6285212345678")),
            ("id", "8571234567", Ok("+628571234567")),
            ("MY", "123456789", Ok("+60123456789")),
            ("SG", "81234567", Ok("+6581234567")),
            // As people write it: the leading 0, the code with or without +, separators.
            ("ID", "08123456789", Ok("+628123456789")),
            ("ID", "0812-3456-789", Ok("+628123456789")),
            ("ID", "+628123456789", Ok("+628123456789")),
            ("ID", "+62 812 3456 789", Ok("+628123456789")),
            ("ID", "00628123456789", Ok("+628123456789")),
            ("ID", "628123456789", Ok("+628123456789")),
            ("MY", "012-345 6789", Ok("+60123456789")),
            // A code typed with a + decides the country, whatever was chosen.
            ("ID", "+60 12-345 6789", Ok("+60123456789")),
            ("ID", "0", Err(PhoneProblem::Invalid)),
            // Too short, too long.
            ("ID", "812", Err(PhoneProblem::Invalid)),
            ("ID", "81234", Err(PhoneProblem::Invalid)),
            ("ID", "8123456789012345", Err(PhoneProblem::Invalid)),
            // A Jakarta landline is no mobile number.
            ("ID", "215551234", Err(PhoneProblem::NotMobile)),
            // Letters, nothing, an unknown country.
            ("ID", "812345678a", Err(PhoneProblem::NotDigits)),
            ("ID", "  ", Err(PhoneProblem::Missing)),
            ("XX", "8123456789", Err(PhoneProblem::Country)),
        ];
        for (country, typed, expected) in cases {
            assert_eq!(
                normalise(country, typed).as_deref().map_err(|e| *e),
                *expected,
                "{country} {typed}"
            );
        }
    }
}
