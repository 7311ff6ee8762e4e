//! Countries for the registration form: ISO 3166-1 (the `celes` list) with their telephone
//! dialling codes (libphonenumber's metadata, through the `phonenumber` crate).

use std::sync::OnceLock;

use celes::LookupTable;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2, upper case.
    pub code: &'static str,
    pub name: String,
    /// The international dialling code without `+`, if the country has its own.
    pub dialling_code: Option<u16>,
}

/// Every ISO 3166-1 country, sorted by name, Indonesia first (the form's default).
pub fn all() -> &'static [Country] {
    static LIST: OnceLock<Vec<Country>> = OnceLock::new();
    LIST.get_or_init(|| {
        let mut list: Vec<Country> = celes::Country::get_countries()
            .iter()
            .map(|c| Country {
                code: c.alpha2,
                name: display_name(c),
                dialling_code: phonenumber::metadata::DATABASE
                    .by_id(c.alpha2)
                    .map(|m| m.country_code()),
            })
            .collect();
        list.sort_by(|a, b| {
            (a.code != "ID", a.name.as_str()).cmp(&(b.code != "ID", b.name.as_str()))
        });
        list
    })
}

/// The country with ISO code `code` (any letter case).
pub fn find(code: &str) -> Option<&'static Country> {
    let code = code.trim();
    all().iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

/// A short, readable name: the common alias where the official name is long-winded
/// ("The Republic Of Korea" reads "South Korea").
fn display_name(c: &celes::Country) -> String {
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

    #[test]
    fn indonesia_comes_first_with_plus_62() {
        let first = &all()[0];
        assert_eq!(
            (first.code, first.name.as_str(), first.dialling_code),
            ("ID", "Indonesia", Some(62))
        );
        assert_eq!(find("my").and_then(|c| c.dialling_code), Some(60));
        assert_eq!(find("SG").and_then(|c| c.dialling_code), Some(65));
        assert!(find("XX").is_none());
        assert!(all().len() >= 249);
    }
}
