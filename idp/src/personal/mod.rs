//! A person's data as parsed, once, by the registration's rules: the NIK, the e-mail address,
//! the mobile number, and the countries they name. Below the account and store layers, which
//! hold these types rather than strings.

/// What every parsed value of text (NIK, e-mail address, phone number) offers: reading it as
/// the text it was parsed into (never building one from text without parsing).
macro_rules! parsed_text {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

pub mod countries;
pub mod email;
pub mod nik;
pub mod phone;
