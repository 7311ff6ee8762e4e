//! Gerbang's embedded OpenID Connect provider and the OSS account flows, with the store they
//! keep their state in. Knows nothing of Pingora: the gateway forwards the provider's host here.

pub mod access;
pub mod account;
pub mod account_action;
pub mod admin;
pub mod assurance;
pub mod audit;
pub mod audit_export;
pub mod client_auth;
pub mod client_keys;
pub mod clock;
pub mod cookie_header;
pub mod federation;
pub mod flows;
pub mod gateway_status;
pub mod keys;
pub mod lang;
pub mod logout;
pub mod mail;
pub mod metrics;
pub mod mfa;
pub mod outbound;
pub mod personal;
pub mod protocol;
pub mod provider;
pub mod revocation;
pub mod roles;
pub mod sealed;
pub mod session;
pub mod store;
pub mod token;
pub mod tokens;
pub mod upstream_provider;
pub mod web;
