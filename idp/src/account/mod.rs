//! The OSS account flows: passwords, captcha, login.

pub mod captcha;
pub mod consent;
pub mod login;
pub mod password;
