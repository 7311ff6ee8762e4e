// Copyright 2026 Cloudflare, Inc.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

use crate::*;
use bytes::Bytes;
use http::header;

#[derive(Debug, Clone)]
pub struct CaseHeaderName(Bytes);

impl CaseHeaderName {
    pub fn new(name: String) -> Self {
        CaseHeaderName(name.into())
    }
}

impl CaseHeaderName {
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn from_slice(buf: &[u8]) -> Self {
        CaseHeaderName(Bytes::copy_from_slice(buf))
    }
}

/// A trait that converts into case-sensitive header names.
pub trait IntoCaseHeaderName {
    fn into_case_header_name(self) -> CaseHeaderName;

    /// Gerbang patch: the case-sensitive name and, when it can be had without parsing or
    /// copying, the [`HeaderName`], so that inserting the header does not parse the name again
    /// (and, for a custom name, copy it to the heap and share that copy once more for the case
    /// map). The default returns `None`: the name is parsed from the case-sensitive one.
    fn into_names(self) -> (CaseHeaderName, Option<HeaderName>)
    where
        Self: Sized,
    {
        (self.into_case_header_name(), None)
    }
}

impl IntoCaseHeaderName for CaseHeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        self
    }
}

impl IntoCaseHeaderName for String {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(self.into())
    }
}

impl IntoCaseHeaderName for &'static str {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(self.into())
    }

    // Gerbang patch: a name already in lower case, as most names written in code are, is used
    // where it lies (`HeaderName::from_static` neither copies nor allocates).
    fn into_names(self) -> (CaseHeaderName, Option<HeaderName>) {
        let name = is_lower_case_token(self).then(|| HeaderName::from_static(self));
        (self.into_case_header_name(), name)
    }
}

/// Gerbang patch: true when `name` is a header name `HeaderName::from_static` takes as it is:
/// not empty, and only lower-case letters, digits and the other characters of an RFC 9110
/// token. (`from_static` panics on anything else.)
fn is_lower_case_token(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 1024
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || b"!#$%&'*+-.^_`|~".contains(&b)
        })
}

impl IntoCaseHeaderName for HeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(titled_header_name(&self))
    }

    // Gerbang patch: the name is parsed already.
    fn into_names(self) -> (CaseHeaderName, Option<HeaderName>) {
        (CaseHeaderName(titled_header_name(&self)), Some(self))
    }
}

impl IntoCaseHeaderName for &HeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(titled_header_name(self))
    }

    // Gerbang patch: the name is parsed already.
    fn into_names(self) -> (CaseHeaderName, Option<HeaderName>) {
        (CaseHeaderName(titled_header_name(self)), Some(self.clone()))
    }
}

/// Gerbang patch: a header name written in the program, made into both of its forms when the
/// program is compiled (`HeaderName::from_static` then checks it: a name that is not a
/// lower-case token fails the build). Inserting such a header neither parses, copies nor
/// allocates its name: the case map takes the static bytes, the value map a `HeaderName` that
/// points at them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticHeaderName {
    name: HeaderName,
    text: &'static str,
}

impl StaticHeaderName {
    /// `text` must be a lower-case header name; use it in a `const`, so that it is checked
    /// when the program is compiled.
    pub const fn new(text: &'static str) -> Self {
        StaticHeaderName {
            name: HeaderName::from_static(text),
            text,
        }
    }

    pub fn name(&self) -> &HeaderName {
        &self.name
    }

    pub const fn as_str(&self) -> &'static str {
        self.text
    }
}

impl IntoCaseHeaderName for StaticHeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(Bytes::from_static(self.text.as_bytes()))
    }

    fn into_names(self) -> (CaseHeaderName, Option<HeaderName>) {
        (
            CaseHeaderName(Bytes::from_static(self.text.as_bytes())),
            Some(self.name),
        )
    }
}

impl IntoCaseHeaderName for &StaticHeaderName {
    fn into_case_header_name(self) -> CaseHeaderName {
        self.clone().into_case_header_name()
    }

    fn into_names(self) -> (CaseHeaderName, Option<HeaderName>) {
        self.clone().into_names()
    }
}

impl IntoCaseHeaderName for Bytes {
    fn into_case_header_name(self) -> CaseHeaderName {
        CaseHeaderName(self)
    }
}

fn titled_header_name(header_name: &HeaderName) -> Bytes {
    titled_header_name_str(header_name).map_or_else(
        || Bytes::copy_from_slice(header_name.as_str().as_bytes()),
        |s| Bytes::from_static(s.as_bytes()),
    )
}

pub(crate) fn titled_header_name_str(header_name: &HeaderName) -> Option<&'static str> {
    Some(match *header_name {
        header::ACCEPT_RANGES => "Accept-Ranges",
        header::AGE => "Age",
        header::CACHE_CONTROL => "Cache-Control",
        header::CONNECTION => "Connection",
        header::CONTENT_TYPE => "Content-Type",
        header::CONTENT_ENCODING => "Content-Encoding",
        header::CONTENT_LENGTH => "Content-Length",
        header::DATE => "Date",
        header::TRANSFER_ENCODING => "Transfer-Encoding",
        header::HOST => "Host",
        header::SERVER => "Server",
        header::SET_COOKIE => "Set-Cookie",
        // TODO: add more const header here to map to their titled case
        // TODO: automatically upper case the first letter?
        _ => {
            return None;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_case_header_name() {
        assert_eq!("FoO".into_case_header_name().as_slice(), b"FoO");
        assert_eq!("FoO".to_string().into_case_header_name().as_slice(), b"FoO");
        assert_eq!(header::SERVER.into_case_header_name().as_slice(), b"Server");
    }

    // Gerbang patch.
    #[test]
    fn a_lower_case_static_name_is_used_where_it_lies() {
        let (case, name) = "x-forwarded-for".into_names();
        assert_eq!(case.as_slice(), b"x-forwarded-for");
        let name = name.unwrap();
        assert_eq!(name, HeaderName::from_bytes(b"x-forwarded-for").unwrap());
        assert_eq!(name.as_str().as_ptr(), "x-forwarded-for".as_ptr());
        // A standard name comes out as the standard one, as parsing gives it.
        assert_eq!("host".into_names().1.unwrap(), header::HOST);
        // Anything else is parsed (or refused) as before.
        for name in ["X-Forwarded-For", "", "bad name", "caf\u{e9}", "a\"b", "x:y"] {
            assert!(name.into_names().1.is_none(), "{name:?}");
        }
    }

    // Gerbang patch.
    #[test]
    fn a_static_header_name_is_inserted_as_it_lies() {
        const CUSTOM: StaticHeaderName = StaticHeaderName::new("x-request-id");
        const STANDARD: StaticHeaderName = StaticHeaderName::new("strict-transport-security");
        for (case, name) in [CUSTOM.into_names(), (&CUSTOM).into_names()] {
            assert_eq!(name.unwrap(), HeaderName::from_bytes(b"x-request-id").unwrap());
            // The static bytes themselves, in both maps: no copy.
            assert_eq!(case.as_slice().as_ptr(), CUSTOM.as_str().as_ptr());
        }
        assert_eq!(CUSTOM.name().as_str().as_ptr(), CUSTOM.as_str().as_ptr());
        let (case, name) = STANDARD.into_names();
        assert_eq!(case.as_slice(), b"strict-transport-security");
        assert_eq!(name.unwrap(), header::STRICT_TRANSPORT_SECURITY);
    }
}
