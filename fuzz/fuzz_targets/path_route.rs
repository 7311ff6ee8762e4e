//! Fuzzes path normalisation and route matching: see `gerbang_fuzz::path_route`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gerbang_fuzz::path_route::check(data));
