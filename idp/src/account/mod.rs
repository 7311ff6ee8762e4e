//! The OSS account flows: passwords, captcha, login.

pub mod password;
