//! Request paths made normal before any route or policy looks at them (see the security
//! checklist, "Path confusion"). The upstream receives the same normal path the route was chosen
//! on, so the gateway and the app can never disagree about which resource was asked for.

use std::borrow::Cow;

/// A request path, normal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalPath<'a> {
    /// What the upstream receives: dot segments resolved, `//` collapsed, unreserved characters
    /// decoded; `;` parameters of ordinary segments kept.
    pub forward: Cow<'a, str>,
    /// What routes are matched on: `forward` without `;` parameters.
    pub matching: Cow<'a, str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the path does not start with `/`")]
    NotAbsolute,
    #[error("the path holds an encoded `/` or `\\`")]
    EncodedSeparator,
    #[error("the path is encoded twice")]
    DoubleEncoded,
    #[error("the path holds a control character or a backslash")]
    ForbiddenCharacter,
    #[error("the path holds a malformed `%` escape")]
    BadEscape,
}

/// Normalises the path of a request target (the part before `?`).
pub fn normalise(raw: &str) -> Result<NormalPath<'_>, PathError> {
    if !raw.starts_with('/') {
        return Err(PathError::NotAbsolute);
    }
    if is_plain(raw) {
        return Ok(NormalPath {
            forward: Cow::Borrowed(raw),
            matching: Cow::Borrowed(raw),
        });
    }
    let decoded = decode_unreserved(raw)?;
    let mut forward_segments: Vec<&str> = Vec::new();
    for segment in decoded.split('/').skip(1) {
        let bare = segment.split(';').next().unwrap_or("");
        match bare {
            // `..;x` is a dot segment to some servers: treat it as one, and drop its parameters.
            "." => {}
            ".." => {
                forward_segments.pop();
            }
            // An empty segment, or one of parameters only (`/;x/`): an app that drops
            // parameters sees `//`, which it may collapse, so the route must see it gone too.
            "" => {}
            _ => forward_segments.push(segment),
        }
    }
    let trailing = decoded.ends_with('/') || decoded.ends_with("/.") || decoded.ends_with("/..");
    let join = |segments: &mut dyn Iterator<Item = &str>| {
        let mut out = String::with_capacity(decoded.len());
        for s in segments {
            out.push('/');
            out.push_str(s);
        }
        if out.is_empty() || trailing {
            out.push('/');
        }
        out
    };
    let forward = join(&mut forward_segments.iter().copied());
    let matching = join(
        &mut forward_segments
            .iter()
            .map(|s| s.split(';').next().unwrap_or("")),
    );
    Ok(NormalPath {
        forward: Cow::Owned(forward),
        matching: Cow::Owned(matching),
    })
}

/// True when the path needs no work: the common case, served without allocating. One pass
/// over the bytes: none to decode or refuse, no empty segment (`//`), no dot segment (`.`,
/// `..`). (Three passes, one a substring search, cost about 400 instructions on `/`.)
fn is_plain(raw: &str) -> bool {
    let is_dot_segment = |length: usize, all_dots: bool| all_dots && (length == 1 || length == 2);
    let (mut previous, mut length, mut all_dots) = (0u8, 0usize, true);
    for &b in raw.as_bytes() {
        match b {
            b'/' if previous == b'/' || is_dot_segment(length, all_dots) => return false,
            b'/' => (length, all_dots) = (0, true),
            0..=0x20 | 0x7f..=0xff | b'%' | b';' | b'\\' => return false,
            _ => (length, all_dots) = (length + 1, all_dots && b == b'.'),
        }
        previous = b;
    }
    !is_dot_segment(length, all_dots)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` of unreserved characters (RFC 3986: letters, digits, `-._~`); keeps the other
/// escapes, upper-cased. Refuses encoded separators, double encoding and control characters.
fn decode_unreserved(raw: &str) -> Result<String, PathError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x20 || b == 0x7f || b == b'\\' {
            return Err(PathError::ForbiddenCharacter);
        }
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let (Some(h), Some(l)) = (
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) else {
            return Err(PathError::BadEscape);
        };
        let c = h * 16 + l;
        match c {
            b'/' | b'\\' => return Err(PathError::EncodedSeparator),
            b'%' => out.extend_from_slice(b"%25"),
            0..=0x1f | 0x7f => return Err(PathError::ForbiddenCharacter),
            c if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'.' | b'_' | b'~') => out.push(c),
            _ => out.extend_from_slice(&[
                b'%',
                bytes[i + 1].to_ascii_uppercase(),
                bytes[i + 2].to_ascii_uppercase(),
            ]),
        }
        i += 3;
    }
    // `%25` before two hex digits would decode to another escape downstream, whether the digits
    // were sent as they are or decoded here (`%25%34%31`).
    let double = out
        .windows(5)
        .any(|w| w.starts_with(b"%25") && hex(w[3]).is_some() && hex(w[4]).is_some());
    if double {
        return Err(PathError::DoubleEncoded);
    }
    // Only ASCII was pushed except for raw non-ASCII bytes of the input, which was a `str`.
    String::from_utf8(out).map_err(|_| PathError::BadEscape)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(raw: &str) -> Result<(String, String), PathError> {
        normalise(raw).map(|p| (p.forward.into_owned(), p.matching.into_owned()))
    }

    fn same(path: &str) -> Result<(String, String), PathError> {
        Ok((path.to_string(), path.to_string()))
    }

    /// The one-pass check says what the three conditions it replaced said, for every path of
    /// up to six characters made of the bytes that matter.
    #[test]
    fn the_plain_path_check_agrees_with_its_definition() {
        fn by_definition(raw: &str) -> bool {
            raw.bytes()
                .all(|b| b > 0x20 && b < 0x7f && b != b'%' && b != b';' && b != b'\\')
                && !raw.contains("//")
                && !raw.split('/').any(|s| s == "." || s == "..")
        }
        let alphabet = ['/', '.', 'a', '%', ';', ' ', '\\', '~'];
        let mut paths = vec![String::new()];
        for _ in 0..6 {
            paths = paths
                .iter()
                .flat_map(|p| alphabet.iter().map(move |c| format!("{p}{c}")))
                .collect();
            for path in &paths {
                let raw = format!("/{path}");
                assert_eq!(is_plain(&raw), by_definition(&raw), "{raw:?}");
            }
        }
        for raw in ["/", "/app/page.html", "/...", "/a/.b/c..", "/é"] {
            assert_eq!(is_plain(raw), by_definition(raw), "{raw:?}");
        }
    }

    #[test]
    fn plain_paths_are_borrowed() {
        let p = normalise("/app/page.html").unwrap();
        assert!(matches!(p.forward, Cow::Borrowed(_)));
        assert_eq!(p.matching, "/app/page.html");
    }

    #[test]
    fn dot_segments_and_slashes_resolve() {
        assert_eq!(norm("/public/../admin"), same("/admin"));
        assert_eq!(norm("/public/./x"), same("/public/x"));
        assert_eq!(norm("//admin"), same("/admin"));
        assert_eq!(norm("/a//b/"), same("/a/b/"));
        assert_eq!(norm("/../../etc"), same("/etc"));
        assert_eq!(norm("/a/.."), same("/"));
        assert_eq!(norm("/a/b/.."), same("/a/"));
    }

    #[test]
    fn encoded_dots_are_dots() {
        assert_eq!(norm("/public/%2e%2e/admin"), same("/admin"));
        assert_eq!(norm("/public/%2E%2e/admin"), same("/admin"));
        assert_eq!(norm("/public/.%2e/admin"), same("/admin"));
        assert_eq!(norm("/%61dmin"), same("/admin"));
    }

    #[test]
    fn parameters_do_not_hide_segments() {
        assert_eq!(norm("/public;x/../admin"), same("/admin"));
        assert_eq!(norm("/public/..;/admin"), same("/admin"));
        assert_eq!(
            norm("/admin;jsessionid=1/x"),
            Ok(("/admin;jsessionid=1/x".into(), "/admin/x".into()))
        );
    }

    /// Found by the `path_route` fuzz target (fuzz/regressions/path_route/): `/;x/admin` was
    /// matched as `//admin`, under no `/admin` route, while an app that drops parameters
    /// and collapses `//` serves `/admin`.
    #[test]
    fn a_segment_of_parameters_only_is_an_empty_one() {
        assert_eq!(norm("/;x/admin"), same("/admin"));
        assert_eq!(norm("/a/;/b;c/"), Ok(("/a/b;c/".into(), "/a/b/".into())));
        assert_eq!(norm("//;ip/"), same("/"));
    }

    /// Found by the `path_route` fuzz target (fuzz/regressions/path_route/): the escape after
    /// a `%25` was looked at before it was decoded, so `%25%32%65` went out as `%252e`, which
    /// an app that decodes twice reads as `.`.
    #[test]
    fn double_encoding_made_by_decoding_is_refused() {
        for raw in ["/x/%25%32%65%25%32%65/admin", "/%25b%35b", "/%25%34%31"] {
            assert_eq!(norm(raw), Err(PathError::DoubleEncoded), "{raw}");
        }
        assert_eq!(norm("/%25%3C"), same("/%25%3C"));
    }

    #[test]
    fn dangerous_encodings_are_refused() {
        assert_eq!(
            norm("/public%2f..%2fadmin"),
            Err(PathError::EncodedSeparator)
        );
        assert_eq!(
            norm("/public%5c..%5cadmin"),
            Err(PathError::EncodedSeparator)
        );
        assert_eq!(
            norm("/public/%252e%252e/admin"),
            Err(PathError::DoubleEncoded)
        );
        assert_eq!(norm("/admin%00.html"), Err(PathError::ForbiddenCharacter));
        assert_eq!(norm("/a\\..\\admin"), Err(PathError::ForbiddenCharacter));
        assert_eq!(norm("/a%zz"), Err(PathError::BadEscape));
        assert_eq!(norm("/a%2"), Err(PathError::BadEscape));
        assert_eq!(norm("admin"), Err(PathError::NotAbsolute));
    }

    #[test]
    fn other_escapes_are_kept() {
        assert_eq!(norm("/search/a%20b%3f"), same("/search/a%20b%3F"));
        assert_eq!(norm("/100%25"), same("/100%25"));
        assert_eq!(norm("/caf%C3%A9"), same("/caf%C3%A9"));
    }
}
