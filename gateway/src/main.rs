//! `gerbang`: see the library's [`gerbang::cli`].

/// With the `mimalloc` feature, every allocation of the process goes to mimalloc instead of
/// glibc's malloc (docs/benchmarks.md, issue 22).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gerbang::allocator::return_large_blocks();
    gerbang::cli::main()
}
