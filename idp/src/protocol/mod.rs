//! Pure OAuth 2.0 / OpenID Connect logic: no I/O, the current time passed in.

pub mod authorize;
pub mod client;
pub mod client_assertion;
pub mod error;
pub mod grant;
pub mod jwt;
