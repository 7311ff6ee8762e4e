//! What an account is and the rules on it, needing only the store: registration's fields and
//! their parsers (NIK, phone, e-mail, passport), passwords, the captcha, the login lock,
//! consent, and the claims an account releases. The flows that act through the provider are in
//! [`crate::flows`].

pub mod captcha;
pub mod claims;
pub mod consent;
pub mod countries;
pub mod email;
pub mod login;
pub mod nik;
pub mod password;
pub mod phone;
pub mod registration;
