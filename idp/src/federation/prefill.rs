//! What an upstream's assertion puts into the registration form: the fields it vouched for,
//! written as the form writes them and fixed there. The page shows them read-only, and every
//! post has them written over again, so an account made from an upstream login holds what the
//! upstream asserted whatever the browser sends. Pure.

use crate::account::registration::{Field, RegistrationForm};

use super::assertion::Assertion;

/// Writes what `asserted` vouches for over `form`; the fields it fixed.
/// An asserted NIK fixes the identity type to KTP too; an asserted passport (with no NIK)
/// fixes it to passport, with its number and issuing country.
pub fn fill(asserted: &Assertion, form: &mut RegistrationForm) -> Vec<Field> {
    let mut fixed = Vec::new();
    if let Some(nik) = &asserted.nik {
        form.identity_type = "ktp".into();
        form.nik = nik.as_str().into();
        fixed.push(Field::Nik);
    } else if let Some(passport) = &asserted.passport {
        form.identity_type = "passport".into();
        form.passport_number = passport.number.clone();
        form.passport_country = passport.country.clone();
        fixed.extend([Field::PassportNumber, Field::PassportCountry]);
    }
    if let Some(born) = asserted.birth_date {
        form.birth_date = born.format("%d-%m-%Y").to_string();
        fixed.push(Field::BirthDate);
    }
    if let Some(country) = asserted.phone.as_ref().and_then(|phone| phone.country()) {
        let phone = asserted
            .phone
            .as_ref()
            .map_or("", |p| p.national_in(country));
        form.country = country.into();
        form.phone = phone.into();
        fixed.extend([Field::Country, Field::Phone]);
    }
    if let Some(email) = &asserted.email {
        form.email = email.as_str().into();
        fixed.push(Field::Email);
    }
    fixed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::account::registration::{validate, IdentityKind};
    use crate::federation::assertion::tests::inapas;
    use crate::store::Identity;
    use chrono::NaiveDate;
    use serde_json::json;

    fn asserted(claims: serde_json::Value) -> Assertion {
        Assertion::read(&inapas(), "s1", claims.as_object().unwrap())
    }

    #[test]
    fn asserted_fields_are_written_over_what_was_posted() {
        let a = asserted(json!({
            "identity_document": { "number": "3174051208850001" },
            "birthdate": "1985-08-12",
            "email": "budi@example.id",
        }));
        // A post that tries another identity, another birth date and another address.
        let mut form = RegistrationForm {
            identity_type: "passport".into(),
            nik: "3174055508900002".into(),
            birth_date: "15-08-1990".into(),
            email: "mallory@example.id".into(),
            country: "ID".into(),
            phone: "81234567890".into(),
            terms: Some("on".into()),
            ..RegistrationForm::default()
        };
        let fixed = fill(&a, &mut form);
        assert_eq!(fixed, [Field::Nik, Field::BirthDate, Field::Email]);
        assert_eq!(form.kind(), IdentityKind::Ktp);
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let registration = validate(&form, today).unwrap();
        let Identity::Ktp { nik } = registration.identity else {
            panic!("a KTP identity")
        };
        assert_eq!(nik.as_str(), "3174051208850001");
        assert_eq!(registration.email.as_str(), "budi@example.id");
        assert_eq!(
            registration.profile.birth_date,
            NaiveDate::from_ymd_opt(1985, 8, 12)
        );
        // What it did not assert stays as typed.
        assert_eq!(registration.phone.as_str(), "+6281234567890");
    }

    #[test]
    fn an_asserted_phone_fixes_its_country_too() {
        let a = asserted(json!({ "phone_number": "+65 9123 4567" }));
        let mut form = RegistrationForm {
            country: "ID".into(),
            phone: "81234567890".into(),
            ..RegistrationForm::default()
        };
        assert_eq!(fill(&a, &mut form), [Field::Country, Field::Phone]);
        assert_eq!(
            (form.country.as_str(), form.phone.as_str()),
            ("SG", "91234567")
        );
        // One that is no mobile number the form would take is not asserted at all.
        let landline = asserted(json!({ "phone_number": "+62 21 5555 1234" }));
        assert_eq!(landline.phone, None);
    }

    #[test]
    fn an_asserted_passport_fixes_the_identity_type_number_and_country() {
        let agency = gerbang_config::IdentityProvider {
            passport_claims: Some(gerbang_config::PassportClaims {
                number: "passport.number".into(),
                country: "passport.country".into(),
            }),
            ..inapas()
        };
        let claims = json!({ "passport": { "number": "a1234567", "country": "my" } });
        let a = Assertion::read(&agency, "s1", claims.as_object().unwrap());
        let mut form = RegistrationForm {
            identity_type: "ktp".into(),
            passport_number: "B7654321".into(),
            passport_country: "SG".into(),
            ..RegistrationForm::default()
        };
        assert_eq!(
            fill(&a, &mut form),
            [Field::PassportNumber, Field::PassportCountry]
        );
        assert_eq!(form.kind(), IdentityKind::Passport);
        assert_eq!(
            (
                form.passport_number.as_str(),
                form.passport_country.as_str()
            ),
            ("A1234567", "MY")
        );
        // With a NIK as well, the NIK decides: an OSS account holds one identity.
        let both = json!({
            "passport": { "number": "A1234567", "country": "MY" },
            "identity_document": { "number": "3174051208850001" },
        });
        let a = Assertion::read(&agency, "s1", both.as_object().unwrap());
        assert_eq!(fill(&a, &mut form), [Field::Nik]);
        assert_eq!(form.kind(), IdentityKind::Ktp);
    }

    #[test]
    fn nothing_asserted_fixes_nothing() {
        let mut form = RegistrationForm {
            identity_type: "passport".into(),
            email: "someone@example.id".into(),
            ..RegistrationForm::default()
        };
        assert!(fill(&asserted(json!({})), &mut form).is_empty());
        assert_eq!(form.kind(), IdentityKind::Passport);
        assert_eq!(form.email, "someone@example.id");
    }
}
