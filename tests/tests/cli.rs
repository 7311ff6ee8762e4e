//! The command line, as a shell user meets it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use gerbang_tests::gerbang_binary;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every Gerbang configuration in the repository: `.toml` files under `config/` and `examples/`
/// that are not Cargo manifests.
fn sample_configs() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![repo().join("config"), repo().join("examples")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml")
                && path.file_name() != Some("Cargo.toml".as_ref())
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn config_check_passes_every_sample() {
    let samples = sample_configs();
    assert!(samples.len() >= 2, "{samples:?}");
    let output = Command::new(gerbang_binary())
        .args(["config", "check"])
        .args(&samples)
        .env("GERBANG_COOKIE_SECRET", "x".repeat(48))
        .env("GERBANG_MFA_KEY", "m".repeat(48))
        .env("GERBANG_SMTP_PASSWORD", "secret")
        .env(
            "GERBANG_CLIENT_BERUSAHA_SECRET",
            "a-long-enough-client-secret",
        )
        .env(
            "GERBANG_CLIENT_HELPDESK_TOOL_SECRET",
            "another-long-enough-client-secret",
        )
        .env("GERBANG_INAPAS_SECRET", "an-upstream-client-secret")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.contains(": ok (")).count(),
        samples.len(),
        "{stdout}"
    );
}

#[test]
fn config_check_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(
        &file,
        "[server]\nhttp = \"127.0.0.1:8080\"\n\n[provider]\nissuer = \"http://sso.example\"\n\n[[route]]\nname = \"a\"\nhost = \"a.example\"\nupstreams = [\"nowhere\"]\npolicy = \"public\"\n",
    )
    .unwrap();
    let output = Command::new(gerbang_binary())
        .args(["config", "check"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    let f = file.display();
    assert_eq!(
        lines,
        [
            format!("{f}:5:10: provider.issuer: `http://sso.example` is not an https URL without query or fragment, e.g. \"https://sso.example.id\""),
            format!("{f}:10:14: route[0].upstreams[0]: `nowhere` is not an upstream address: write HOST:PORT, e.g. \"127.0.0.1:9001\" or \"app.internal:8080\""),
        ]
    );
}

#[test]
fn serve_refuses_a_missing_file_and_a_bad_one() {
    let output = Command::new(gerbang_binary())
        .args(["serve", "--config", "/nonexistent/gerbang.toml"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("/nonexistent/gerbang.toml: cannot read the configuration file"));

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("g.toml");
    std::fs::write(
        &file,
        "[server]\nhttp = \"127.0.0.1:1\"\nbogus = 1\n[provider]\nissuer = \"https://a.example\"\n",
    )
    .unwrap();
    let output = Command::new(gerbang_binary())
        .args(["serve", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("g.toml:3:1: server.bogus: unknown field `bogus`"));
}

#[test]
fn version_and_help() {
    let version = Command::new(gerbang_binary())
        .arg("--version")
        .output()
        .unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("gerbang {}", env!("CARGO_PKG_VERSION"))
    );
    let help = Command::new(gerbang_binary())
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("Examples:") && text.contains("gerbang config check"),
        "{text}"
    );
    let usage = Command::new(gerbang_binary())
        .arg("frobnicate")
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2), "usage errors exit 2");
}
