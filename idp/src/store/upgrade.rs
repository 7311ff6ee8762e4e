//! Records as earlier versions wrote them, brought to this version's shape. One function per
//! change, used by every path an old record can come in by: the sled store when it opens, the
//! PostgreSQL migration, and `gerbang store import` of an old dump.
//!
//! Version 2 (typed accounts): a user record's `attributes` map of strings, which mixed the
//! registration's fields with flow state, becomes the typed `profile`, `pending` and `locale`.

use serde_json::{Map, Value};

/// The version of the record shapes this build writes (the sled store keeps it in its `meta`
/// tree; PostgreSQL's schema version says the same).
pub const RECORD_VERSION: u32 = 2;

/// Brings a user record (as JSON) to the current shape; `true` when it changed. A record
/// already in the current shape is left as it is, so running it twice is harmless.
pub fn user(record: &mut Value) -> bool {
    let Some(object) = record.as_object_mut() else {
        return false;
    };
    let Some(Value::Object(attributes)) = object.remove("attributes") else {
        return false;
    };
    let text = |key: &str| {
        attributes
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut profile = Map::new();
    for key in [
        "full_name",
        "birth_date",
        "gender",
        "country",
        "nationality",
        "birth_place",
    ] {
        if let Some(value) = text(key) {
            profile.insert(key.into(), value.into());
        }
    }
    if let (Some(issued), Some(expires), Some(office)) = (
        text("passport_issued"),
        text("passport_expires"),
        text("passport_office"),
    ) {
        profile.insert(
            "passport".into(),
            serde_json::json!({ "issued": issued, "expires": expires, "office": office }),
        );
    }
    let mut pending = Map::new();
    for key in ["activation_link", "reset_link"] {
        if let Some(value) = text(key) {
            pending.insert(key.into(), value.into());
        }
    }
    if let Some(until) = text("temporary_password_until").and_then(|t| t.parse::<u64>().ok()) {
        pending.insert("temporary_password_until".into(), until.into());
    }
    object.insert("profile".into(), profile.into());
    object.insert("pending".into(), pending.into());
    if let Some(locale) = text("locale") {
        object.insert("locale".into(), locale.into());
    }
    true
}

/// [`user`] on a record's bytes; `None` when nothing changed (or the bytes are no JSON object,
/// which the reader then reports).
pub fn user_bytes(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut record: Value = serde_json::from_slice(bytes).ok()?;
    if user(&mut record) {
        serde_json::to_vec(&record).ok()
    } else {
        None
    }
}

/// A dump line: an old user record is brought to the current shape, anything else passes.
pub fn dump_record(record: &mut Value) {
    if record.get("record").and_then(Value::as_str) == Some("user") {
        user(record);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance::{assert_typed_version_1_user, VERSION_1_USER};
    use crate::store::User;

    #[test]
    fn a_version_1_user_reads_into_typed_fields() {
        let mut record: Value = serde_json::from_str(VERSION_1_USER).unwrap();
        assert!(user(&mut record));
        let typed: User = serde_json::from_value(record.clone()).unwrap();
        assert_typed_version_1_user(&typed);

        assert!(!user(&mut record), "a current record is left alone");
        let again: User = serde_json::from_value(record).unwrap();
        assert_eq!(again, typed);
    }

    #[test]
    fn a_dump_line_of_a_version_1_user_is_upgraded_and_others_pass() {
        let mut line: Value = serde_json::from_str(VERSION_1_USER).unwrap();
        line["record"] = "user".into();
        dump_record(&mut line);
        assert!(line.get("attributes").is_none());
        assert_eq!(line["profile"]["full_name"], "Budi Santoso");

        let mut other = serde_json::json!({"record": "secret", "attributes": {}});
        dump_record(&mut other);
        assert!(other.get("attributes").is_some());
    }
}
