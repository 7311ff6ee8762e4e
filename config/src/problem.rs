//! Problems found in a configuration file, each located by line, column and key.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use toml::de::{DeTable, DeValue};

/// One thing wrong with a configuration file, with where it is and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line of the offending key or value.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Dotted key path, e.g. `route[1].upstreams` (`route[1]` is the second `[[route]]`).
    pub key: String,
    /// What is wrong and what to do about it.
    pub message: String,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read the configuration file: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

impl ConfigError {
    /// The problems found, empty for a read error.
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid { problems, .. } => problems,
        }
    }
}

fn render(path: &std::path::Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("{}:{p}", path.display()));
    }
    out
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}: {}: {}",
            self.line, self.column, self.key, self.message
        )
    }
}

/// Maps byte offsets of one source text to lines, columns and TOML key paths.
pub(crate) struct SourceMap<'a> {
    source: &'a str,
}

impl<'a> SourceMap<'a> {
    pub(crate) fn new(source: &'a str) -> Self {
        Self { source }
    }

    /// 1-based (line, column) of a byte offset; offsets past the end point at the last line.
    pub(crate) fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.source.len());
        let before = &self.source[..floor_char_boundary(self.source, offset)];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    pub(crate) fn problem(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        let (line, column) = self.position(span.start);
        Problem {
            line,
            column,
            key: key.into(),
            message: message.into(),
        }
    }

    /// The key a TOML error is about: the one where its span starts; for a missing field, that
    /// field of the table the span covers (the file itself, whatever its first line says, when
    /// the span is empty at its start: the `toml` crate's span for the top-level table).
    ///
    /// `path` is the dotted key the `toml` crate was reading, without array indices. Where it
    /// names a table above the one at the span (a table made implicitly by a dotted header,
    /// `[client.http]`, has its span on that header), the key is cut to it.
    pub(crate) fn error_key(&self, span: &Range<usize>, message: &str, path: &str) -> String {
        let top_level = span.start == 0 && (span.is_empty() || span.end >= self.source.len());
        let table = if top_level {
            String::new()
        } else {
            self.key_in_tree(span.start)
                .unwrap_or_else(|| self.key_at(span.start))
        };
        let field = |prefix: &str| {
            message
                .strip_prefix(prefix)
                .and_then(|rest| rest.split('`').next())
        };
        if let Some(missing) = field("missing field `") {
            return match table.is_empty() {
                true => missing.to_string(),
                false => format!("{table}.{missing}"),
            };
        }
        // A dotted key (`a.b = 1`) whose first part is unknown: the key ends at that part. A
        // key of an inline table (`a = { b = 1 }`) is not on its own: it goes after the line's.
        if let Some(unknown) = field("unknown field `") {
            let mut parts = key_parts(&table);
            parts.retain(|part| !part.is_empty());
            // Its place: as deep as the table the `toml` crate was reading, where the key has
            // it there; else its last appearance, or after the key (an inline table's key).
            let depth = path.split('.').filter(|p| !p.is_empty()).count();
            let at = match parts.get(depth).is_some_and(|part| part == unknown) {
                true => Some(depth),
                false => parts.iter().rposition(|part| part == unknown),
            };
            match at {
                Some(at) => parts.truncate(at + 1),
                None => parts.push(unknown.to_string()),
            }
            return join_key(&parts);
        }
        cut_to(&table, path)
    }

    /// The dotted key path at a byte offset of a text that is TOML, read from the `toml`
    /// crate's own tree of it: exact however the keys are written (headers, dotted keys, inline
    /// tables over several lines). `None` for a text that is not TOML.
    fn key_in_tree(&self, offset: usize) -> Option<String> {
        let document = DeTable::parse(self.source).ok()?;
        Some(join_key(&keys_at(document.get_ref(), offset)))
    }

    /// The dotted key path at a byte offset, read from the nearest table header above it and
    /// the key on its own line: used to name the key of a syntax error, where there is no tree.
    pub(crate) fn key_at(&self, offset: usize) -> String {
        let offset = floor_char_boundary(self.source, offset.min(self.source.len()));
        let line_start = self.source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let mut table = String::new();
        let mut array_counts: Vec<(String, usize)> = Vec::new();
        let inside = inside_strings(self.source);
        let lines = self.source[..line_start].lines().enumerate();
        // A line that begins inside a multi-line string is the string's text, not TOML.
        for (_, line) in lines.filter(|(i, _)| !inside.contains(i)) {
            match header(line) {
                Some((true, name)) => {
                    let index = match array_counts.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, count)) => {
                            *count += 1;
                            *count - 1
                        }
                        None => {
                            array_counts.push((name.clone(), 1));
                            0
                        }
                    };
                    table = format!("{name}[{index}]");
                }
                Some((false, name)) => table = under_array(&name, &array_counts),
                None => {}
            }
        }
        let this_line = self.source[line_start..].lines().next().unwrap_or("");
        if inside.contains(&self.source[..line_start].matches('\n').count()) {
            return table;
        }
        // A header here is read as those above were.
        match header(this_line) {
            Some((true, name)) => return name,
            Some((false, name)) => return under_array(&name, &array_counts),
            None => {}
        }
        let key = unquoted(this_line, '=')
            .map(|at| dotted_key(&this_line[..at]))
            .unwrap_or_default();
        match (table.is_empty(), key.is_empty()) {
            (true, _) => key,
            (false, true) => table,
            (false, false) => format!("{table}.{key}"),
        }
    }
}

/// The keys down to the one whose name or value is at `offset`, an element of an array of
/// tables by its index (`route[1]`); a table's keys before the table itself, whose span may
/// be only its header. Empty where no key is.
fn keys_at(table: &DeTable, offset: usize) -> Vec<String> {
    let within = |span: Range<usize>| span.contains(&offset);
    for (key, value) in table.iter() {
        let name = key.get_ref().to_string();
        if within(key.span()) {
            return vec![name];
        }
        let below = match value.get_ref() {
            DeValue::Table(inner) => {
                Some((name.clone(), keys_at(inner, offset))).filter(|(_, keys)| !keys.is_empty())
            }
            DeValue::Array(elements) => elements.iter().enumerate().find_map(|(at, element)| {
                let DeValue::Table(inner) = element.get_ref() else {
                    return None;
                };
                let keys = keys_at(inner, offset);
                (!keys.is_empty() || within(element.span()))
                    .then(|| (format!("{name}[{at}]"), keys))
            }),
            _ => None,
        };
        if let Some((part, keys)) = below {
            return std::iter::once(part).chain(keys).collect();
        }
        if within(value.span()) {
            return vec![name];
        }
    }
    Vec::new()
}

/// The lines (counted from 0) that begin inside a multi-line string.
fn inside_strings(source: &str) -> std::collections::HashSet<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum In {
        Toml,
        Comment,
        Basic,
        Literal,
        /// A multi-line basic (`"`) or literal (`'`) string.
        Multi(char),
    }
    let chars: Vec<char> = source.chars().collect();
    let run = |at: usize, c: char| chars[at..].iter().take_while(|x| **x == c).count();
    let (mut state, mut line, mut at) = (In::Toml, 0, 0);
    let mut inside = std::collections::HashSet::new();
    while at < chars.len() {
        let c = chars[at];
        at += 1;
        state = match (state, c) {
            (In::Multi(_), '\n') => {
                line += 1;
                inside.insert(line);
                state
            }
            (_, '\n') => {
                line += 1;
                In::Toml
            }
            (In::Toml, '#') => In::Comment,
            (In::Toml, '"' | '\'') if run(at, c) >= 2 => {
                at += 2;
                In::Multi(c)
            }
            (In::Toml, '"') => In::Basic,
            (In::Toml, '\'') => In::Literal,
            (In::Basic | In::Multi('"'), '\\') => {
                // The escaped character is the string's, whatever it is; not a line's end,
                // which must still be counted.
                if chars.get(at).is_some_and(|next| *next != '\n') {
                    at += 1;
                }
                state
            }
            (In::Basic, '"') | (In::Literal, '\'') => In::Toml,
            (In::Multi(q), c) if c == q && run(at, c) >= 2 => {
                // The closing quotes, and up to two more before them that are the string's.
                at += run(at, c).min(4);
                In::Toml
            }
            (state, _) => state,
        };
    }
    inside
}

/// A table header's kind (an array of tables or not) and name, as TOML reads it: up to its
/// closing brackets outside quotes (a comment may follow them).
fn header(line: &str) -> Option<(bool, String)> {
    // A byte-order mark may begin the file.
    let trimmed = line.trim().trim_start_matches('\u{feff}');
    let (array, rest) = match trimmed.strip_prefix("[[") {
        Some(rest) => (true, rest),
        None => (false, trimmed.strip_prefix('[')?),
    };
    let end = unquoted(rest, ']')?;
    if array && !rest[end..].starts_with("]]") {
        return None;
    }
    Some((array, dotted_key(&rest[..end])))
}

/// Where `wanted` first appears in `text` outside quoted parts (TOML's basic strings, with
/// their escapes, and literal strings).
fn unquoted(text: &str, wanted: char) -> Option<usize> {
    let mut quote = None;
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match (quote, c) {
            (Some('"'), _) if escaped => escaped = false,
            (Some('"'), '\\') => escaped = true,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c == wanted => return Some(at),
            (None, _) => {}
        }
    }
    None
}

/// A dotted key as written (`"a" . 'b'.c`) in one form: blanks around its parts dropped, and
/// each part bare where it can be, quoted otherwise, as a TOML writer writes it.
fn dotted_key(written: &str) -> String {
    join_key(&key_parts(written))
}

/// The parts of a dotted key as written, unquoted: `"a.b" . c` gives `a.b` and `c`.
fn key_parts(written: &str) -> Vec<String> {
    let (mut parts, mut part) = (Vec::new(), String::new());
    let mut quote = None;
    let mut chars = written.trim().chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => part.extend(unescape(&mut chars)),
            (Some(_), c) => part.push(c),
            (None, '.') => parts.push(std::mem::take(&mut part)),
            (None, c) if c.is_whitespace() => {}
            (None, c) => part.push(c),
        }
    }
    parts.push(part);
    parts
}

/// The character a basic string's escape stands for, read after its backslash (`None` for an
/// escape TOML does not have).
fn unescape(chars: &mut std::str::Chars) -> Option<char> {
    let hex = |chars: &mut std::str::Chars, digits: usize| {
        let code: String = chars.take(digits).collect();
        u32::from_str_radix(&code, 16).ok().and_then(char::from_u32)
    };
    match chars.next()? {
        'b' => Some('\u{8}'),
        't' => Some('\t'),
        'n' => Some('\n'),
        'f' => Some('\u{c}'),
        'r' => Some('\r'),
        'e' => Some('\u{1b}'),
        'u' => hex(chars, 4),
        'U' => hex(chars, 8),
        'x' => hex(chars, 2),
        c @ ('"' | '\\') => Some(c),
        _ => None,
    }
}

/// Parts joined into a key, each bare where it can be (an array element's index, `client[1]`,
/// included) and quoted otherwise, as a TOML writer writes them.
fn join_key(parts: &[String]) -> String {
    let bare = |part: &str| {
        let name = match part.strip_suffix(']').and_then(|p| p.rsplit_once('[')) {
            Some((name, index)) if index.chars().all(|c| c.is_ascii_digit()) => name,
            _ => part,
        };
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    let written: Vec<String> = parts
        .iter()
        .map(|part| match bare(part) {
            true => part.clone(),
            false => format!("{part:?}"),
        })
        .collect();
    written.join(".")
}

/// `key` (with array indices) cut to as many parts as `path` (without them) has, when `path`
/// names a table above it: `client[0].http` and `client` give `client[0]`.
fn cut_to(key: &str, path: &str) -> String {
    let parts: Vec<&str> = key.split('.').collect();
    let names: Vec<&str> = path.split('.').collect();
    let above = !path.is_empty()
        && names.len() < parts.len()
        && names
            .iter()
            .zip(&parts)
            .all(|(name, part)| part.split('[').next() == Some(*name));
    match above {
        true => parts[..names.len()].join("."),
        false => key.to_string(),
    }
}

/// A table header's dotted `name` with the element of the array of tables it belongs to:
/// `client.secret` after the first `[[client]]` is `client[0].secret`.
fn under_array(name: &str, arrays: &[(String, usize)]) -> String {
    let parent = arrays
        .iter()
        .filter(|(array, _)| {
            name.strip_prefix(array.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
        })
        .max_by_key(|(array, _)| array.len());
    match parent {
        Some((array, count)) => format!("{array}[{}]{}", count - 1, &name[array.len()..]),
        None => name.to_string(),
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based() {
        let map = SourceMap::new("a = 1\nbb = 2\n");
        assert_eq!(map.position(0), (1, 1));
        assert_eq!(map.position(6), (2, 1));
        assert_eq!(map.position(11), (2, 6));
    }

    #[test]
    fn key_at_names_array_tables_by_index() {
        let src = "[server]\nhttp = 1\n[[route]]\nname = 'a'\n[[route]]\nname = 'b'\nhost = 3\n";
        let map = SourceMap::new(src);
        let offset = src.find("host").unwrap_or(0);
        assert_eq!(map.key_at(offset), "route[1].host");
        assert_eq!(map.key_at(src.find("http").unwrap_or(0)), "server.http");
    }

    /// Found by the `config` fuzz target (fuzz/regressions/config/): a table under an array of
    /// tables was named without the element, so with two clients one could not tell which.
    #[test]
    fn key_at_names_tables_under_array_elements() {
        let src = "[[client]]\nid = 'a'\n[[client]]\nid = 'b'\n[client.secret]\nenv = 3\n";
        let map = SourceMap::new(src);
        assert_eq!(
            map.key_at(src.find("[client.secret]").unwrap_or(0)),
            "client[1].secret"
        );
        assert_eq!(
            map.key_at(src.find("env").unwrap_or(0)),
            "client[1].secret.env"
        );
        assert_eq!(
            under_array("clients.x", &[("client".into(), 1)]),
            "clients.x"
        );
    }

    /// Found by the `config` fuzz target: a quoted table name (`["1500-765"]`) was named with
    /// its quotes, so an unknown one was reported as `"1500-765".1500-765`, though written
    /// bare, as a TOML writer writes it, it is `1500-765`.
    #[test]
    fn a_dotted_key_is_named_the_same_however_it_is_quoted() {
        for written in ["a.b", " a . b ", "\"a\".'b'", "a.\"b\""] {
            assert_eq!(dotted_key(written), "a.b", "{written}");
        }
        assert_eq!(dotted_key("\"x y\".z"), "\"x y\".z");
        assert_eq!(dotted_key("\"q\\\"\""), "\"q\\\"\"");
        let src = "[\"1500-765\"]\nemails = []\n";
        let map = SourceMap::new(src);
        assert_eq!(
            map.key_at(src.find("emails").unwrap_or(0)),
            "1500-765.emails"
        );
        let key = map.error_key(
            &(0..14),
            "unknown field `1500-765`, expected one of `server`",
            "",
        );
        assert_eq!(key, "1500-765");
    }

    /// Found by the `config` fuzz target: an unknown quoted name with dots in it was cut at its
    /// dots, so it was named twice over.
    #[test]
    fn an_unknown_quoted_name_with_dots_is_named_once() {
        let src = "[\"a.b\"]\nupst.eams = []\n";
        let map = SourceMap::new(src);
        let message = "unknown field `a.b`, expected one of `server`";
        assert_eq!(map.error_key(&(0..7), message, ""), "\"a.b\"");
        let at = src.find("upst").unwrap_or(0);
        assert_eq!(map.error_key(&(at..at + 4), message, ""), "\"a.b\"");
        assert_eq!(
            join_key(&["client[1]".into(), "x y".into()]),
            "client[1].\"x y\""
        );
    }

    /// Found by the `config` fuzz target: a closing bracket and an escape inside a quoted
    /// header were read as the header's end and as the escaped letter.
    #[test]
    fn a_quoted_header_is_read_as_toml_reads_it() {
        let src = "[\"\\t]\"]\nx = 1\n[[\"a]]b\".c]] # n\ny = 2\n";
        let map = SourceMap::new(src);
        assert_eq!(map.key_at(src.find("x =").unwrap_or(0)), "\"\\t]\".x");
        assert_eq!(map.key_at(src.find("y =").unwrap_or(0)), "\"a]]b\".c[0].y");
        assert_eq!(dotted_key("\"\\u0041\\\"\""), "\"A\\\"\"");
        let at = src.find("[[").unwrap_or(0);
        assert_eq!(map.key_at(at), "\"a]]b\".c");
        assert_eq!(header("[a = 1"), None);
        assert_eq!(header("\u{feff}[server]"), Some((false, "server".into())));
    }

    /// Found by the `config` fuzz target: lines inside a multi-line string were read as
    /// headers and keys.
    #[test]
    fn lines_inside_a_multi_line_string_are_its_text() {
        let src = "[helpdesk]\nemails = \"\"\"\"\"x\n[route]\ny = 1\n\"\"\"\nz = 2\nq = '''\n[a]\n'''\nw = 3\n";
        let map = SourceMap::new(src);
        assert_eq!(map.key_at(src.find("z =").unwrap_or(0)), "helpdesk.z");
        assert_eq!(map.key_at(src.find("y =").unwrap_or(0)), "helpdesk");
        assert_eq!(map.key_at(src.find("w =").unwrap_or(0)), "helpdesk.w");
        let lines = inside_strings(src);
        assert_eq!(lines, [2, 3, 4, 7, 8].into_iter().collect());
    }

    /// Found by the `config` fuzz target: an unknown name that comes back later in its own
    /// dotted key was cut at its last appearance instead of at its place.
    #[test]
    fn an_unknown_name_repeated_in_its_key_is_cut_at_its_place() {
        let src = "rp.28.rp = 1\n";
        let map = SourceMap::new(src);
        let message = "unknown field `rp`, expected one of `server`";
        assert_eq!(map.error_key(&(0..2), message, ""), "rp");
        let src = "[route.x]\nroute.y = 1\n";
        let map = SourceMap::new(src);
        let message = "unknown field `route`, expected one of `name`";
        assert_eq!(
            map.error_key(&(10..15), message, "route.x"),
            "route.x.route"
        );
    }

    /// Found by the `config` fuzz target: a header followed by a comment on its line was named
    /// with the comment when the error was on that line.
    #[test]
    fn a_comment_after_a_header_is_not_part_of_its_name() {
        let src = "[[route]]# every key\n[server.x] # a table\n";
        let map = SourceMap::new(src);
        assert_eq!(map.key_at(0), "route");
        assert_eq!(map.key_at(src.find("[server").unwrap_or(0)), "server.x");
    }
}
