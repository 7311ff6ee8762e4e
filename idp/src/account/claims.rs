//! Which claims each scope releases, from the account's data.

use serde_json::{Map, Value};

use crate::lang::Lang;
use crate::store::{Identity, User};

/// The claims `scopes` release about `user` (besides `sub`); `groups` are the user's groups
/// the client may learn (see `crate::access::visible_groups`).
pub fn for_scopes(user: &User, scopes: &[String], groups: &[String]) -> Map<String, Value> {
    let mut claims = Map::new();
    let has = |s: &str| scopes.iter().any(|x| x == s);
    if has("profile") {
        let profile = &user.profile;
        claims.insert("preferred_username".into(), user.username.clone().into());
        if let Some(name) = &profile.full_name {
            claims.insert("name".into(), name.clone().into());
        }
        if let Some(birthdate) = profile.birth_date {
            claims.insert("birthdate".into(), birthdate.to_string().into());
        }
        if let Some(gender) = profile.gender {
            claims.insert("gender".into(), gender.as_str().into());
        }
        let locale = user.locale.unwrap_or(Lang::Id);
        claims.insert("locale".into(), locale.code().into());
    }
    if has("email") {
        claims.insert("email".into(), user.email.as_str().into());
        claims.insert("email_verified".into(), true.into());
    }
    if has("phone") {
        claims.insert("phone_number".into(), user.phone.as_str().into());
        claims.insert("phone_number_verified".into(), false.into());
    }
    if has("identity_document") {
        let document = match &user.identity {
            Identity::Ktp { nik } => serde_json::json!({ "type": "KTP", "number": nik.as_str() }),
            Identity::Passport { number, country } => {
                serde_json::json!({ "type": "passport", "number": number, "country": country })
            }
        };
        claims.insert("identity_document".into(), document);
    }
    if has("groups") {
        claims.insert("groups".into(), groups.into());
    }
    claims
}
