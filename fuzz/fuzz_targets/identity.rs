//! Fuzzes NIK, phone, e-mail, passport and date parsing: see `gerbang_fuzz::identity`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gerbang_fuzz::identity::check(data));
