//! Reading a request's `Cookie` header (RFC 6265, section 5.4: `name=value` pairs joined by
//! `; `), for the provider's pages and for the gateway on every proxied request alike.

/// The pairs of a `Cookie` header as sent, split at each `;` by a vector search: the gateway's
/// session cookie is several hundred bytes, read on every request.
pub fn pairs(header: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    memchr::memchr_iter(b';', header.as_bytes())
        .chain(std::iter::once(header.len()))
        .map(move |end| {
            // `;` is ASCII, so both ends are character boundaries.
            let pair = &header[start..end];
            start = end + 1;
            pair
        })
}

/// A pair's name, without the spaces around it.
pub fn name(pair: &str) -> &str {
    pair.split_once('=').map_or(pair, |(name, _)| name).trim()
}

/// The value of the cookie `name`, without the spaces around it; the first when it was sent
/// more than once.
pub fn value<'h>(header: &'h str, name: &str) -> Option<&'h str> {
    pairs(header)
        .filter_map(|pair| pair.split_once('='))
        .find(|(found, _)| found.trim() == name)
        .map(|(_, value)| value.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_are_split_at_each_semicolon_as_sent() {
        assert_eq!(
            pairs("a=1; b=2;c=3").collect::<Vec<_>>(),
            ["a=1", " b=2", "c=3"]
        );
        assert_eq!(pairs("a=1").collect::<Vec<_>>(), ["a=1"]);
        assert_eq!(pairs("").collect::<Vec<_>>(), [""]);
        assert_eq!(pairs("a=1;").collect::<Vec<_>>(), ["a=1", ""]);
        assert_eq!(pairs("é=ü; ø=1").collect::<Vec<_>>(), ["é=ü", " ø=1"]);
    }

    #[test]
    fn a_value_is_found_by_its_whole_name() {
        let header = "a=1; session =x ;sessionx=y; b=c=d";
        assert_eq!(value(header, "session"), Some("x"));
        assert_eq!(value(header, "sessionx"), Some("y"));
        assert_eq!(value(header, "b"), Some("c=d"), "a value may hold `=`");
        assert_eq!(value(header, "sess"), None);
        assert_eq!(value("a=1; a=2", "a"), Some("1"), "the first of two");
        assert_eq!(value("novalue; a=1", "novalue"), None);
    }

    #[test]
    fn a_name_is_what_comes_before_the_first_equals_sign() {
        assert_eq!(name(" __Host-a =1=2"), "__Host-a");
        assert_eq!(name("flag"), "flag");
        assert_eq!(name(""), "");
    }
}
