//! Fuzzes JWS parsing and verification (access tokens, ID token hints): see `gerbang_fuzz::jwt`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gerbang_fuzz::jwt::check(data));
