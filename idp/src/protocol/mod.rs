//! Pure OAuth 2.0 / OpenID Connect logic: no I/O, the current time passed in.

pub mod jwt;
