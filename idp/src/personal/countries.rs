//! Countries for the registration form: ISO 3166-1 (the `celes` list) with their telephone
//! dialling codes (libphonenumber's metadata, through the `phonenumber` crate) and their names
//! in the reader's language from CLDR (ICU4X's display names, compiled in), sorted as that
//! language sorts (ICU4X's collator).

use std::cmp::Ordering;
use std::sync::OnceLock;

use celes::LookupTable;
use icu_collator::options::{CollatorOptions, Strength};
use icu_collator::Collator;
use icu_experimental::displaynames::multi::RegionDisplayNames;
use icu_experimental::displaynames::DisplayNamesOptions;
use icu_locale_core::subtags::Region;
use icu_locale_core::Locale;

use crate::lang::Lang;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2, upper case.
    pub code: &'static str,
    /// In the language of the list it is in.
    pub name: String,
    /// The international dialling code without `+`, if the country has its own.
    pub dialling_code: Option<u16>,
}

/// Every ISO 3166-1 country named in `lang`, sorted as `lang` sorts, Indonesia first (the
/// form's default).
pub fn all(lang: Lang) -> &'static [Country] {
    static ID: OnceLock<Vec<Country>> = OnceLock::new();
    static EN: OnceLock<Vec<Country>> = OnceLock::new();
    match lang {
        Lang::Id => ID.get_or_init(|| list(Lang::Id)),
        Lang::En => EN.get_or_init(|| list(Lang::En)),
    }
}

/// The country with ISO code `code` (any letter case), named in Indonesian.
pub fn find(code: &str) -> Option<&'static Country> {
    let code = code.trim();
    all(Lang::Id)
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code))
}

fn list(lang: Lang) -> Vec<Country> {
    let locale: Locale = match lang {
        Lang::Id => icu_locale_core::locale!("id"),
        Lang::En => icu_locale_core::locale!("en"),
    };
    // Compiled-in data for both languages: these cannot fail, but a name falls back to the
    // ISO list's own rather than panic.
    let names =
        RegionDisplayNames::try_new(locale.clone().into(), DisplayNamesOptions::default()).ok();
    let mut options = CollatorOptions::default();
    options.strength = Some(Strength::Secondary);
    let collator = Collator::try_new(locale.into(), options).ok();
    let mut list: Vec<Country> = celes::Country::get_countries()
        .iter()
        .map(|c| Country {
            code: c.alpha2,
            name: Region::try_from_str(c.alpha2)
                .ok()
                .and_then(|r| names.as_ref()?.of(r))
                .map_or_else(|| fallback_name(c), str::to_string),
            dialling_code: phonenumber::metadata::DATABASE
                .by_id(c.alpha2)
                .map(|m| m.country_code()),
        })
        .collect();
    let order = |a: &str, b: &str| match &collator {
        Some(collator) => collator.compare(a, b),
        None => a.cmp(b),
    };
    list.sort_by(|a, b| match (a.code == "ID", b.code == "ID") {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => order(&a.name, &b.name),
    });
    list
}

/// The ISO list's short name, should CLDR lack one.
fn fallback_name(c: &celes::Country) -> String {
    let official = c.long_name;
    if official.contains(',') || official.starts_with("The ") {
        if let Some(alias) = c.aliases.iter().find(|a| a.is_ascii()) {
            return (*alias).to_string();
        }
    }
    official.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(lang: Lang, code: &str) -> &'static str {
        let country = all(lang).iter().find(|c| c.code == code).unwrap();
        &country.name
    }

    #[test]
    fn indonesia_comes_first_with_plus_62() {
        for lang in [Lang::Id, Lang::En] {
            let first = &all(lang)[0];
            assert_eq!(
                (first.code, first.name.as_str(), first.dialling_code),
                ("ID", "Indonesia", Some(62))
            );
            assert!(all(lang).len() >= 249);
        }
        assert_eq!(find("my").and_then(|c| c.dialling_code), Some(60));
        assert_eq!(find("SG").and_then(|c| c.dialling_code), Some(65));
        assert!(find("XX").is_none());
    }

    #[test]
    fn names_are_cldr_s_in_the_reader_s_language() {
        for (code, id, en) in [
            ("US", "Amerika Serikat", "United States"),
            ("GB", "Inggris Raya", "United Kingdom"),
            ("KY", "Kepulauan Cayman", "Cayman Islands"),
            ("CI", "Côte d’Ivoire", "Côte d’Ivoire"),
            ("KR", "Korea Selatan", "South Korea"),
            ("NL", "Belanda", "Netherlands"),
            ("DE", "Jerman", "Germany"),
        ] {
            assert_eq!((named(Lang::Id, code), named(Lang::En, code)), (id, en));
        }
    }

    #[test]
    fn each_list_is_in_its_language_s_order() {
        for lang in [Lang::Id, Lang::En] {
            let names: Vec<&str> = all(lang)[1..].iter().map(|c| c.name.as_str()).collect();
            let position = |name: &str| names.iter().position(|n| *n == name).unwrap();
            // Accents do not push a name to the end: Côte d'Ivoire sorts with C.
            assert!(
                position(named(lang, "CI")) < position(named(lang, "DK")),
                "{lang:?}"
            );
        }
        let en: Vec<&str> = all(Lang::En).iter().map(|c| c.name.as_str()).collect();
        let position = |name: &str| en.iter().position(|n| *n == name).unwrap();
        assert!(position("Åland Islands") < position("Belgium"));
        let id: Vec<&str> = all(Lang::Id).iter().map(|c| c.name.as_str()).collect();
        let position = |name: &str| id.iter().position(|n| *n == name).unwrap();
        assert!(position("Amerika Serikat") < position("Belanda"));
        assert!(position("Jerman") < position("Kepulauan Cayman"));
    }
}
