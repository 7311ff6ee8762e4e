//! `config/gerbang.reference.toml` is the configuration reference: it must name every key the
//! typed configuration accepts, and no key it refuses. The accepted keys are read off the typed
//! configuration itself: a probe key in a table is refused with the list of the table's fields
//! (`deny_unknown_fields`), and a field is a table when a probe inside it is refused the same way.

#![allow(clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

use gerbang_config::Config;

const PROBE: &str = "__probe";

/// The fields of the table `header` opens (`""` for the top level), or `None` when it is not a
/// table of the typed configuration.
fn fields(header: &str) -> Option<Vec<String>> {
    let text = format!("{header}\n{PROBE} = 1\n");
    let error = Config::parse(&text, Path::new("probe.toml"), Path::new("."), &|_| None).err()?;
    let message = &error.problems().first()?.message;
    let expected = message
        .strip_prefix(&format!("unknown field `{PROBE}`, expected "))?
        .trim_start_matches("one of ");
    Some(
        expected
            .replace("` or `", "`, `")
            .split(", ")
            .map(|f| f.trim_matches('`').to_string())
            .collect(),
    )
}

/// Every key path the typed configuration accepts (`route.upstream_tls.sni`).
fn accepted() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut tables = vec![(String::new(), String::new())];
    while let Some((path, header)) = tables.pop() {
        for field in fields(&header).unwrap_or_default() {
            let key = if path.is_empty() {
                field.clone()
            } else {
                format!("{path}.{field}")
            };
            // Inside the table being read (an element of an array of tables included).
            let as_table = format!("{header}\n[{key}]");
            let as_array = format!("{header}\n[[{key}]]");
            if fields(&as_table).is_some() {
                tables.push((key, as_table));
            } else if fields(&as_array).is_some() {
                tables.push((key, as_array));
            } else {
                keys.insert(key);
            }
        }
    }
    keys
}

/// Every key path the reference names, set or shown commented out (`# key = …`).
fn documented(text: &str) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let parsed: toml::Table = text.parse().expect("the reference parses");
    collect(&mut keys, "", &toml::Value::Table(parsed));
    let mut section = String::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            section = header.trim_matches(|c| c == '[' || c == ']').to_string();
        } else if let Some(commented) = line.strip_prefix('#') {
            let Some((key, _)) = commented.split_once('=') else {
                continue;
            };
            let key = key.trim();
            if !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                keys.insert(format!("{section}.{key}"));
            }
        }
    }
    keys
}

fn collect(keys: &mut BTreeSet<String>, path: &str, value: &toml::Value) {
    match value {
        // A secret read from the environment is one key: `key = { env = "…" }`.
        toml::Value::Table(t) if !(t.len() == 1 && t.contains_key("env")) => {
            for (name, v) in t {
                let key = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                collect(keys, &key, v);
            }
        }
        toml::Value::Array(items)
            if items.iter().all(toml::Value::is_table) && !items.is_empty() =>
        {
            for item in items {
                collect(keys, path, item);
            }
        }
        _ => {
            keys.insert(path.to_string());
        }
    }
}

#[test]
fn the_reference_names_every_accepted_key_and_no_other() {
    let accepted = accepted();
    assert!(
        accepted.len() > 50 && accepted.contains("route.upstream_tls.sni"),
        "the probe read the typed configuration: {accepted:?}"
    );
    let reference = Path::new(env!("CARGO_MANIFEST_DIR")).join("gerbang.reference.toml");
    let documented = documented(&std::fs::read_to_string(reference).unwrap_or_default());
    let missing: Vec<_> = accepted.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&accepted).collect();
    assert!(
        missing.is_empty() && unknown.is_empty(),
        "config/gerbang.reference.toml is out of date.\nnot documented: {missing:?}\nnot accepted: {unknown:?}"
    );
}
