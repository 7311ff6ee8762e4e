//! Fuzzes the forward-auth header reading: see `gerbang_fuzz::forward_auth`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gerbang_fuzz::forward_auth::check(data));
