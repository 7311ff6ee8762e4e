//! Fuzzes the gateway's cookie parsing and sealed-cookie opening: see `gerbang_fuzz::cookies`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| gerbang_fuzz::cookies::check(data));
