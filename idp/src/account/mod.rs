//! What an account is and the rules on it, needing only the store: registration's fields
//! (whose values are parsed in [`crate::personal`]), passwords, the captcha, the login lock,
//! consent, and the claims an account releases. The flows that act through the provider are in
//! [`crate::flows`].

pub mod captcha;
pub mod claims;
pub mod consent;
pub mod login;
pub mod password;
pub mod registration;
