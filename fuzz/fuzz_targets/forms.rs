//! Fuzzes the provider's form decoding (login, registration, authorize, token, logout): see `gerbang_fuzz::forms`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gerbang_fuzz::forms::check(data));
