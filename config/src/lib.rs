//! Gerbang's configuration: one TOML file read into typed structs (unknown keys refused), then
//! validated into a runtime [`Config`]. Every problem is reported at once, each with file, line,
//! key and what to do.

mod access;
mod clients;
mod federation;
mod model;
mod prefix;
mod problem;
mod raw;
mod reload;
mod ui;
mod validate;

use std::path::Path;

pub use clients::GATEWAY_CLIENT_ID;
pub use model::*;
pub use prefix::PathPrefix;
pub use problem::{ConfigError, Problem};
pub use reload::{restart_needed, NEEDS_RESTART};
pub use ui::MIN_CONTRAST;
pub use validate::{normalise_prefix, parse_host_pattern, EnvLookup};

use problem::SourceMap;
use validate::Checker;

/// A configuration with the text it was read from (a reload compares texts, see
/// [`restart_needed`]). The text may hold inline secrets: it is never logged.
pub struct Loaded {
    pub config: Config,
    pub text: String,
}

impl Loaded {
    /// Reads and validates a file, with secrets from the process environment.
    pub fn read(path: &Path) -> Result<Loaded, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Loaded::parse(text, path)
    }

    /// Validates `text` as the file at `path` (relative paths in it are taken from the file's
    /// folder), with secrets from the process environment.
    pub fn parse(text: String, path: &Path) -> Result<Loaded, ConfigError> {
        let base_dir = path.parent().unwrap_or(Path::new("."));
        let config = Config::parse(&text, path, base_dir, &|name| std::env::var(name).ok())?;
        Ok(Loaded { config, text })
    }
}

impl Config {
    /// Reads and validates a file, with secrets from the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Loaded::read(path).map(|loaded| loaded.config)
    }

    /// Validates a configuration text; relative paths in it are taken from `base_dir`.
    pub fn parse(
        source: &str,
        path: &Path,
        base_dir: &Path,
        env: EnvLookup<'_>,
    ) -> Result<Config, ConfigError> {
        let invalid = |problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        };
        let raw: raw::RawConfig = toml::from_str(source).map_err(|e| {
            let map = SourceMap::new(source);
            let span = e.span().unwrap_or(0..0);
            let message = e.message().trim();
            let key = map.error_key(&span, message, &toml_key_path(&e));
            invalid(vec![map.problem(span, key, message.to_string())])
        })?;
        let mut checker = Checker::new(source, base_dir, env);
        match checker.config(raw, path.to_path_buf()) {
            Some(config) => Ok(config),
            None => {
                let mut problems = std::mem::take(&mut checker.problems);
                problems.sort_by_key(|p| (p.line, p.column));
                Err(invalid(problems))
            }
        }
    }
}

/// The dotted key the `toml` crate was reading when it failed (without array indices), which
/// it shows only in its text when it has no source to quote.
fn toml_key_path(error: &toml::de::Error) -> String {
    let mut bare = error.clone();
    bare.set_input(None);
    let text = bare.to_string();
    text.strip_prefix(error.message())
        .map(str::trim)
        .and_then(|rest| rest.strip_prefix("in `"))
        .and_then(|rest| rest.strip_suffix('`'))
        .unwrap_or_default()
        .to_string()
}
