//! The OSS account flows: registration and its fields, passwords, captcha, login.

pub mod captcha;
pub mod claims;
pub mod consent;
pub mod countries;
pub mod email;
pub mod enrolment;
pub mod login;
pub mod nik;
pub mod password;
pub mod phone;
pub mod profile;
pub mod recovery;
pub mod registration;
