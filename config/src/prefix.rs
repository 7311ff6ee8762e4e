//! A path prefix as routes and access rules match it: on a segment boundary, without regard to
//! ASCII case unless asked (Express, ASP.NET and IIS serve `/ADMIN` as `/admin`, so a
//! case-sensitive match would let `/ADMIN` past an `/admin` rule), and a segment that only
//! differs by trailing dots or spaces (`/admin.`, `/admin%20`, which Windows servers read as
//! `/admin`) matches the prefix it pads. Paths are normal (see `gerbang::proxy::path`) before
//! they are matched.

/// A normal prefix (see [`crate::normalise_prefix`]) and how it compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathPrefix {
    /// Lower case unless `case_sensitive`.
    text: String,
    case_sensitive: bool,
}

impl PathPrefix {
    pub fn new(normal: &str, case_sensitive: bool) -> Self {
        let text = if case_sensitive {
            normal.to_string()
        } else {
            normal.to_ascii_lowercase()
        };
        Self {
            text,
            case_sensitive,
        }
    }

    /// The prefix as compared (lower case unless case-sensitive).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `/api` matches `/api`, `/api/`, `/api/x`, `/API/x` (unless case-sensitive), `/api.` and
    /// `/api%20`; not `/apix` nor `/api.json`. `/` matches everything.
    pub fn matches(&self, path: &str) -> bool {
        let (prefix, path) = (self.text.as_bytes(), path.as_bytes());
        if prefix == b"/" {
            return true;
        }
        let Some(head) = path.get(..prefix.len()) else {
            return false;
        };
        let same = if self.case_sensitive {
            head == prefix
        } else {
            head.eq_ignore_ascii_case(prefix)
        };
        let rest = &path[prefix.len()..];
        let segment_end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
        same && is_padding(&rest[..segment_end])
    }

    /// Whether every path `other` matches, this one matches too (`/api` covers `/api/admin`).
    pub fn covers(&self, other: &PathPrefix) -> bool {
        self.text == "/"
            || ((other.case_sensitive || !self.case_sensitive) && self.matches(&other.text))
    }
}

/// Nothing, or only dots and spaces (`%20`): what Windows servers drop from a segment's end.
fn is_padding(mut tail: &[u8]) -> bool {
    loop {
        match tail {
            [] => return true,
            [b'.' | b' ', rest @ ..] => tail = rest,
            [b'%', b'2', b'0', rest @ ..] => tail = rest,
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_on_segment_boundaries_in_any_case_and_through_padding() {
        let api = PathPrefix::new("/api", false);
        for path in [
            "/api",
            "/api/",
            "/api/x",
            "/API/x",
            "/api.",
            "/api%20/x",
            "/api. ./x",
        ] {
            assert!(api.matches(path), "{path}");
        }
        for path in ["/apix", "/api.json", "/ap", "/", "/v1/api"] {
            assert!(!api.matches(path), "{path}");
        }
        let docs = PathPrefix::new("/Docs", true);
        assert!(docs.matches("/Docs/a") && !docs.matches("/docs/a"));
        assert!(PathPrefix::new("/", false).matches("/anything"));
    }

    #[test]
    fn a_prefix_covers_the_longer_ones_inside_it() {
        let api = PathPrefix::new("/api", false);
        assert!(api.covers(&PathPrefix::new("/api/admin", false)));
        assert!(api.covers(&PathPrefix::new("/API", true)));
        assert!(!api.covers(&PathPrefix::new("/apix", false)));
        assert!(PathPrefix::new("/", true).covers(&api));
        // A case-sensitive `/api` misses `/API`, which a case-blind `/api` matches.
        assert!(!PathPrefix::new("/api", true).covers(&api));
    }
}
