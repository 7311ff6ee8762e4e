//! RFC 9457 problem details: how the admin API says what went wrong, as
//! `application/problem+json`. Each kind of problem has its own `type` (a `tag:` URI, RFC
//! 4151, named in the OpenAPI document); a refused field is named in `errors`, in the words
//! registration uses for it.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// What went wrong, as the client reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No access token, or one that is not live (401).
    Unauthenticated,
    /// A live token without the admin scope (403).
    InsufficientScope,
    /// The caller holds no role that allows this (403).
    NoRight,
    /// A person's token from a session that did not prove two factors (403).
    TwoFactorsNeeded,
    NotFound,
    /// The body is not the JSON this operation takes (400).
    BadRequest,
    /// A field is wrong (422): see `errors`.
    InvalidField,
    /// The action means nothing for the account now (already unlocked, not pending) (409).
    NotApplicable,
    /// Over the per-address limit (429).
    TooManyRequests,
    /// The store could not answer (503).
    Unavailable,
}

impl Kind {
    #[cfg(test)]
    pub const ALL: [Kind; 10] = [
        Kind::Unauthenticated,
        Kind::InsufficientScope,
        Kind::NoRight,
        Kind::TwoFactorsNeeded,
        Kind::NotFound,
        Kind::BadRequest,
        Kind::InvalidField,
        Kind::NotApplicable,
        Kind::TooManyRequests,
        Kind::Unavailable,
    ];

    /// The last part of its `type` URI.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Unauthenticated => "unauthenticated",
            Kind::InsufficientScope => "insufficient-scope",
            Kind::NoRight => "no-right",
            Kind::TwoFactorsNeeded => "two-factors-needed",
            Kind::NotFound => "not-found",
            Kind::BadRequest => "bad-request",
            Kind::InvalidField => "invalid-field",
            Kind::NotApplicable => "not-applicable",
            Kind::TooManyRequests => "too-many-requests",
            Kind::Unavailable => "unavailable",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Kind::Unauthenticated => StatusCode::UNAUTHORIZED,
            Kind::InsufficientScope | Kind::NoRight | Kind::TwoFactorsNeeded => {
                StatusCode::FORBIDDEN
            }
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::BadRequest => StatusCode::BAD_REQUEST,
            Kind::InvalidField => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::NotApplicable => StatusCode::CONFLICT,
            Kind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Unauthenticated => "A live access token is needed",
            Kind::InsufficientScope => "The token lacks the gerbang:admin scope",
            Kind::NoRight => "The caller's roles do not allow this",
            Kind::TwoFactorsNeeded => "The token's session did not prove two factors",
            Kind::NotFound => "No such resource",
            Kind::BadRequest => "The request body is not what this operation takes",
            Kind::InvalidField => "A field is wrong",
            Kind::NotApplicable => "The action does not apply to the account now",
            Kind::TooManyRequests => "Too many requests from this address",
            Kind::Unavailable => "The service cannot answer now",
        }
    }

    /// Its `type`: a `tag:` URI, stable across deployments.
    pub fn uri(self) -> String {
        format!("tag:gerbang.id,2026:problem:{}", self.name())
    }
}

/// A problem, with what the client should know about this occurrence.
#[derive(Debug, Clone)]
pub struct ProblemDetails {
    pub kind: Kind,
    pub detail: Option<String>,
    /// The fields that are wrong: (field, what is wrong).
    pub errors: Vec<(String, String)>,
}

impl ProblemDetails {
    pub fn new(kind: Kind) -> ProblemDetails {
        ProblemDetails {
            kind,
            detail: None,
            errors: Vec::new(),
        }
    }

    pub fn detail(kind: Kind, detail: impl Into<String>) -> ProblemDetails {
        ProblemDetails {
            detail: Some(detail.into()),
            ..ProblemDetails::new(kind)
        }
    }

    /// One field is wrong: `field`, and the words for it.
    pub fn field(field: &str, said: &str) -> ProblemDetails {
        ProblemDetails {
            errors: vec![(field.to_string(), said.to_string())],
            ..ProblemDetails::detail(Kind::InvalidField, format!("{field}: {said}"))
        }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        let mut body = json!({
            "type": self.kind.uri(),
            "title": self.kind.title(),
            "status": self.kind.status().as_u16(),
        });
        if let Some(detail) = &self.detail {
            body["detail"] = json!(detail);
        }
        if !self.errors.is_empty() {
            let errors: Vec<_> = self
                .errors
                .iter()
                .map(|(field, detail)| json!({ "field": field, "detail": detail }))
                .collect();
            body["errors"] = json!(errors);
        }
        body
    }
}

impl IntoResponse for ProblemDetails {
    fn into_response(self) -> Response {
        let mut response = (self.kind.status(), self.body().to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        // RFC 6750 section 3: how to authenticate, and why the token was refused.
        let challenge = match self.kind {
            Kind::Unauthenticated => Some("Bearer error=\"invalid_token\""),
            Kind::InsufficientScope => {
                Some("Bearer error=\"insufficient_scope\", scope=\"gerbang:admin\"")
            }
            _ => None,
        };
        if let Some(challenge) = challenge {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_type_and_an_error_status() {
        let mut uris: Vec<String> = Kind::ALL.iter().map(|k| k.uri()).collect();
        uris.sort();
        uris.dedup();
        assert_eq!(uris.len(), Kind::ALL.len());
        assert!(Kind::ALL.iter().all(|k| k.status().as_u16() >= 400));
    }

    #[test]
    fn a_field_problem_names_the_field_and_says_what_is_wrong() {
        let body = ProblemDetails::field("nik", "NIK terdiri dari 16 angka.").body();
        assert_eq!(body["status"], 422);
        assert_eq!(body["type"], "tag:gerbang.id,2026:problem:invalid-field");
        assert_eq!(body["errors"][0]["field"], "nik");
        assert_eq!(body["errors"][0]["detail"], "NIK terdiri dari 16 angka.");
    }
}
