//! Fuzzes the captcha answer check and sealed challenge tokens: see `gerbang_fuzz::captcha`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gerbang_fuzz::captcha::check(data));
