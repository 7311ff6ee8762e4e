//! What an upstream provider asserted about a person, read from its verified claims by the
//! `[[identity_provider]]` table's rules: its subject, the NIK or passport (parsed as
//! registration parses them), the e-mail and whether it is believed verified, the birth date, and the strength its
//! login maps to.
//! Pure: claims in, an [`Assertion`] out.

use chrono::{Datelike, NaiveDate};
use gerbang_config::{IdentityProvider, Strength};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::account::registration;
use crate::personal::countries;
use crate::personal::email::Email;
use crate::personal::nik::Nik;
use crate::personal::phone::Phone;

/// A person as an upstream provider vouched for them, in one verified login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assertion {
    /// The `[[identity_provider]]` id.
    pub provider: String,
    /// Its `sub` for the person.
    pub subject: String,
    /// The NIK it asserted, when it parses as one.
    pub nik: Option<Nik>,
    /// The passport it asserted, when its number reads as registration reads one and its
    /// country is a known ISO 3166 alpha-2 code.
    #[serde(default)]
    pub passport: Option<AssertedPassport>,
    pub email: Option<Email>,
    /// Its `email_verified`, and only when the provider's is believed (`trust_email_verified`).
    pub email_verified: bool,
    pub name: Option<String>,
    /// Its `phone_number`, when it is a mobile number the registration form would take.
    pub phone: Option<Phone>,
    /// Its `birthdate`, when it gives a whole one (not the `0000-MM-DD` of a year withheld).
    pub birth_date: Option<NaiveDate>,
    /// What its login counts as here (`acr`/`amr` mapped).
    pub strength: Strength,
}

/// A passport an upstream vouched for, spelt as the store keeps one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssertedPassport {
    pub number: String,
    /// ISO 3166 alpha-2, upper case.
    pub country: String,
}

impl Assertion {
    /// Reads the merged claims of an ID token (and userinfo, if asked) that passed every check.
    pub fn read(provider: &IdentityProvider, subject: &str, claims: &Map<String, Value>) -> Self {
        let text = |path: &str| {
            claim_at(claims, path)
                .and_then(Value::as_str)
                .map(str::trim)
        };
        let nik = provider
            .nik_claim
            .as_deref()
            .and_then(text)
            .and_then(|typed| Nik::parse(typed, None).ok());
        let passport = provider.passport_claims.as_ref().and_then(|paths| {
            let number = registration::passport_number(text(&paths.number)?).ok()?;
            let country = countries::find(text(&paths.country)?)?.code.to_string();
            Some(AssertedPassport { number, country })
        });
        let email = text("email").and_then(|typed| Email::parse(typed).ok());
        let verified = claims
            .get("email_verified")
            .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
        Assertion {
            provider: provider.id.clone(),
            subject: subject.to_string(),
            nik,
            passport,
            email_verified: email.is_some() && verified && provider.trust_email_verified,
            email,
            name: text("name").filter(|n| !n.is_empty()).map(str::to_string),
            phone: text("phone_number").and_then(|typed| Phone::parse_international(typed).ok()),
            birth_date: text("birthdate")
                .and_then(|typed| NaiveDate::parse_from_str(typed, "%Y-%m-%d").ok())
                .filter(|date| date.year() > 1800),
            strength: strength_of(provider, claims),
        }
    }
}

/// The value at a dotted path (`identity_document.number`) of the claims.
pub fn claim_at<'a>(claims: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let first = claims.get(parts.next()?)?;
    parts.try_fold(first, |value, part| value.as_object()?.get(part))
}

/// The strongest strength the provider's `acr` and `amr` mappings give the login; a login that
/// matches none counts as a password.
pub fn strength_of(provider: &IdentityProvider, claims: &Map<String, Value>) -> Strength {
    let acr = claims.get("acr").and_then(Value::as_str);
    let amr: Vec<&str> = claims
        .get("amr")
        .and_then(Value::as_array)
        .map(|values| values.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let by_acr = provider
        .acr
        .iter()
        .filter(|(value, _)| Some(value.as_str()) == acr);
    let by_amr = provider
        .amr
        .iter()
        .filter(|(value, _)| amr.contains(&value.as_str()));
    by_acr
        .chain(by_amr)
        .map(|(_, strength)| *strength)
        .max()
        .unwrap_or(Strength::Password)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use gerbang_config::{Localized, Secret, UpstreamClientAuth};
    use serde_json::json;

    pub(crate) fn inapas() -> IdentityProvider {
        IdentityProvider {
            id: "inapas".into(),
            title: Localized::plain("INApas"),
            logo: None,
            issuer: "https://inapas.example.id".into(),
            client_id: "oss".into(),
            client_auth: UpstreamClientAuth::Secret(Secret::new("0123456789abcdef".into())),
            scopes: vec!["openid".into()],
            nik_claim: Some("identity_document.number".into()),
            passport_claims: None,
            trust_email_verified: false,
            acr: vec![("loa3".into(), Strength::TwoFactor)],
            amr: vec![
                ("hwk".into(), Strength::Passkey),
                ("otp".into(), Strength::TwoFactor),
            ],
            create_accounts: false,
            groups: vec![],
            end_upstream_session: false,
            ca: None,
        }
    }

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_nik_is_read_at_its_path_and_parsed_as_registration_does() {
        let c = claims(json!({
            "identity_document": { "type": "KTP", "number": " 3174051208850001 " },
            "email": "Budi@Example.id", "email_verified": true, "name": "Budi"
        }));
        let a = Assertion::read(&inapas(), "s1", &c);
        assert_eq!(a.nik.unwrap().as_str(), "3174051208850001");
        assert_eq!(a.email.unwrap().as_str(), "budi@example.id");
        // Its e-mail verification is not believed unless the table says so.
        assert!(!a.email_verified);
        let trusting = IdentityProvider {
            trust_email_verified: true,
            ..inapas()
        };
        assert!(Assertion::read(&trusting, "s1", &c).email_verified);
        // A NIK that does not parse (a wrong birth date, a wrong length) is no NIK at all.
        assert_eq!((a.birth_date, a.phone), (None, None));
        let bad = claims(json!({ "identity_document": { "number": "3174053208850001" } }));
        assert_eq!(Assertion::read(&inapas(), "s1", &bad).nik, None);
        let not_text = claims(json!({ "identity_document": { "number": 3174051208850001u64 } }));
        assert_eq!(Assertion::read(&inapas(), "s1", &not_text).nik, None);
    }

    #[test]
    fn a_passport_needs_a_number_registration_takes_and_a_known_country() {
        let agency = IdentityProvider {
            passport_claims: Some(gerbang_config::PassportClaims {
                number: "identity_document.number".into(),
                country: "identity_document.country".into(),
            }),
            ..inapas()
        };
        let passport = |document: Value| {
            let c = claims(json!({ "identity_document": document }));
            Assertion::read(&agency, "s1", &c).passport
        };
        assert_eq!(
            passport(json!({ "type": "passport", "number": " a1234567 ", "country": "my" })),
            Some(AssertedPassport {
                number: "A1234567".into(),
                country: "MY".into()
            })
        );
        assert_eq!(
            passport(json!({ "number": "A1234567" })),
            None,
            "no country"
        );
        assert_eq!(
            passport(json!({ "number": "A1234567", "country": "Narnia" })),
            None
        );
        assert_eq!(
            passport(json!({ "number": "A12-34", "country": "MY" })),
            None
        );
        // A KTP holder's document has no country: no passport is read from its number.
        assert_eq!(
            passport(json!({ "type": "KTP", "number": "3174051208850001" })),
            None
        );
        let c = claims(json!({ "identity_document": { "number": "A1234567", "country": "MY" } }));
        assert_eq!(
            Assertion::read(&inapas(), "s1", &c).passport,
            None,
            "only where the table names the claims"
        );
    }

    #[test]
    fn only_a_whole_birth_date_is_read() {
        let born = |value: Value| {
            Assertion::read(&inapas(), "s1", &claims(json!({ "birthdate": value }))).birth_date
        };
        assert_eq!(
            born(json!("1985-08-12")),
            NaiveDate::from_ymd_opt(1985, 8, 12)
        );
        assert_eq!(born(json!("0000-08-12")), None);
        assert_eq!(born(json!("1985")), None);
        assert_eq!(born(json!("12-08-1985")), None);
        assert_eq!(born(json!(19850812)), None);
    }

    #[test]
    fn the_strongest_mapped_acr_or_amr_counts() {
        let strength = |c: Value| strength_of(&inapas(), &claims(c));
        assert_eq!(strength(json!({})), Strength::Password);
        assert_eq!(
            strength(json!({ "acr": "loa1", "amr": ["pwd"] })),
            Strength::Password
        );
        assert_eq!(strength(json!({ "acr": "loa3" })), Strength::TwoFactor);
        assert_eq!(
            strength(json!({ "amr": ["pwd", "otp"] })),
            Strength::TwoFactor
        );
        assert_eq!(
            strength(json!({ "acr": "loa3", "amr": ["hwk"] })),
            Strength::Passkey
        );
        // Values of the wrong type are ignored, not trusted.
        assert_eq!(
            strength(json!({ "acr": ["loa3"], "amr": "hwk" })),
            Strength::Password
        );
    }
}
