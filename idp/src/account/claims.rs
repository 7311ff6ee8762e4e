//! Which claims each scope releases, from the account's data.

use serde_json::{Map, Value};

use crate::store::{Identity, User};

/// The claims `scopes` release about `user` (besides `sub`).
pub fn for_scopes(user: &User, scopes: &[String]) -> Map<String, Value> {
    let mut claims = Map::new();
    let has = |s: &str| scopes.iter().any(|x| x == s);
    let attr = |k: &str| user.attributes.get(k).cloned();
    if has("profile") {
        claims.insert("preferred_username".into(), user.username.clone().into());
        if let Some(name) = attr("full_name") {
            claims.insert("name".into(), name.into());
        }
        if let Some(birthdate) = attr("birth_date") {
            claims.insert("birthdate".into(), birthdate.into());
        }
        if let Some(gender) = attr("gender") {
            claims.insert("gender".into(), gender.into());
        }
        claims.insert(
            "locale".into(),
            attr("locale").unwrap_or_else(|| "id".into()).into(),
        );
    }
    if has("email") {
        claims.insert("email".into(), user.email.clone().into());
        claims.insert("email_verified".into(), true.into());
    }
    if has("phone") {
        claims.insert("phone_number".into(), user.phone.clone().into());
        claims.insert("phone_number_verified".into(), false.into());
    }
    if has("identity_document") {
        let document = match &user.identity {
            Identity::Ktp { nik } => serde_json::json!({ "type": "KTP", "number": nik }),
            Identity::Passport { number, country } => {
                serde_json::json!({ "type": "passport", "number": number, "country": country })
            }
        };
        claims.insert("identity_document".into(), document);
    }
    claims
}
