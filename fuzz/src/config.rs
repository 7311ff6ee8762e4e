//! The configuration loader and validator. Any text gets a verdict, never a panic: a valid
//! configuration, or problems that each name a line of the text. A configuration that
//! validates, written out again by a TOML writer, validates to the same configuration; one that
//! does not, fails again on the same keys.

use std::path::Path;

use gerbang_config::{Config, ConfigError};

/// Secrets referenced by name (`*_env`) all exist, so that the rest is checked too.
fn env(name: &str) -> Option<String> {
    Some(format!(
        "fuzz-secret-{name}-0123456789abcdefghijklmnopqrstuvwxyz"
    ))
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    // Relative paths point nowhere: a reference to a file is a problem, reproducibly.
    let base = Path::new("/nonexistent/gerbang-fuzz");
    Config::parse(text, &base.join("gerbang.toml"), base, &env)
}

/// The problems' keys, in order, of an invalid configuration.
fn problem_keys(verdict: &Result<Config, ConfigError>) -> Vec<String> {
    match verdict {
        Err(ConfigError::Invalid { problems, .. }) => {
            let mut keys: Vec<String> = problems.iter().map(|p| p.key.clone()).collect();
            keys.sort();
            keys
        }
        _ => Vec::new(),
    }
}

/// The input is a configuration file.
pub fn check(data: &[u8]) {
    let Some(text) = crate::text(data) else {
        return;
    };
    let verdict = parse(text);
    if let Err(ConfigError::Invalid { problems, .. }) = &verdict {
        let lines = text.lines().count().max(1);
        for p in problems {
            assert!(
                (1..=lines + 1).contains(&p.line) && p.column >= 1,
                "{p:?} is outside the text ({lines} lines)"
            );
            assert!(!p.message.trim().is_empty(), "{p:?} says nothing");
        }
        assert!(!problems.is_empty(), "invalid, with no problem named");
    }
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        assert!(verdict.is_err(), "valid, though not TOML");
        return;
    };
    let Ok(rewritten) = toml::to_string(&table) else {
        return;
    };
    let again = parse(&rewritten);
    match (&verdict, &again) {
        (Ok(first), Ok(second)) => assert_eq!(
            format!("{first:?}"),
            format!("{second:?}"),
            "written out again, it reads differently:\n{rewritten}"
        ),
        (Err(_), Err(_)) => assert_eq!(
            problem_keys(&verdict),
            problem_keys(&again),
            "written out again, other problems:\n{rewritten}"
        ),
        _ => panic!(
            "written out again, the verdict changed ({} then {}):\n{rewritten}",
            verdict.is_ok(),
            again.is_ok()
        ),
    }
}
