//! The process's allocator. glibc's malloc by default; mimalloc with the `mimalloc` feature
//! (`main.rs` sets it as the global allocator; docs/benchmarks.md weighs the two).
//!
//! glibc maps each large block (128 KiB and up) on its own and returns it to the system when
//! freed, but every time such a block is freed it raises that threshold to the block's size (up
//! to 32 MiB), and from then on large blocks come from the heap, which keeps them resident after
//! they are freed. Argon2id's 19 MiB per password hash, and sled's buffers when a store is
//! opened, raise it at once: a fresh demo settled at 71 MB instead of 32 (`gerbang-memory`,
//! 2026-12-07), and each password-hashing thread kept its last hash's memory. Fixing the
//! threshold at glibc's own default keeps it from moving, at the cost of mapping 19 MiB afresh
//! for each hash (page faults estimated at about a millisecond beside a hash of tens).

/// glibc's default threshold, which it would otherwise raise.
#[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
const MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Holds glibc's threshold for mapping large blocks where it starts (see the module); does
/// nothing with another allocator or C library. Called first thing in `main`, before any
/// thread starts.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu", not(feature = "mimalloc")))]
    {
        // The one `unsafe` in Gerbang's code: a call into the C library.
        // SAFETY: `mallopt` sets a tunable of glibc's allocator and touches no Rust memory;
        // M_MMAP_THRESHOLD takes any value up to 32 MiB. It runs before other threads exist.
        // It answers 0 only for a value out of range, which this is not.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
        }
    }
}
