//! `gerbang`: see the library's [`gerbang::cli`].

fn main() -> std::process::ExitCode {
    gerbang::cli::main()
}
