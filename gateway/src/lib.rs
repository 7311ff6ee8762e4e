//! `gerbang`: an authentication gateway. A Pingora reverse proxy with an OpenID Connect
//! provider built in.
//!
//! The binary (`main.rs`) only sets the allocator up ([`allocator`]) and calls [`cli::main`]. The crate is a library too so that the
//! fuzz targets (`fuzz/`) reach the parsers at the edge: [`proxy`] (paths, cookies, headers,
//! forward-auth) and [`routes`] (the route table).

mod access;
mod admin;
mod admin_cli;
mod admin_socket;
pub mod allocator;
pub mod cli;
mod connections;
mod daemon;
#[cfg(feature = "demo")]
mod demo;
mod devcert;
mod error;
mod health;
mod http_service;
mod identity_providers;
mod internal;
mod logging;
mod pages;
pub mod proxy;
mod reload;
pub mod routes;
mod serve;
mod store;
