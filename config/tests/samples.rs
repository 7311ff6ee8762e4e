//! Every sample configuration in the repository is valid.

use std::path::{Path, PathBuf};

use gerbang_config::Config;

/// All `.toml` files under `config/` and `examples/` that are Gerbang configurations.
pub fn sample_configs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = Vec::new();
    for dir in ["config", "examples"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "toml")
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
fn every_sample_config_is_valid() {
    let samples = sample_configs();
    assert!(
        samples.len() >= 2,
        "expected the reference and demo configs, found {samples:?}"
    );
    let env = |name: &str| name.starts_with("GERBANG_").then(|| "x".repeat(48));
    for path in samples {
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        let base = path.parent().unwrap_or(Path::new("."));
        if let Err(e) = Config::parse(&source, &path, base, &env) {
            panic!("{e}");
        }
    }
}

#[test]
fn the_demo_config_describes_the_demo() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo.toml");
    let config = Config::load(&path).unwrap();
    assert_eq!(config.provider.host, "sso.localhost");
    assert_eq!(config.routes.len(), 3);
    assert!(config.tls.as_ref().is_some_and(|t| t.generate_dev_cert));
}
