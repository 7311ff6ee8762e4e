//! Fuzzes the TOML configuration loader and validator: see `gerbang_fuzz::config`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gerbang_fuzz::config::check(data));
