//! Passkeys (WebAuthn Level 3), through Kanidm's relying party `webauthn-rs`: the ceremonies'
//! options for the browser, and the checks of what the authenticator answers. Every passkey
//! is asked for user verification (its PIN or biometric), attestation is not asked for, and
//! ES256 and EdDSA keys (with RS256 for older Windows Hello) are accepted. The provider's
//! issuer is the relying party: its host is the RP ID, its origin the only origin allowed.
//!
//! A ceremony has two requests (the options, then the authenticator's answer); its state is
//! kept in the store between them and taken once (see `flows::passkey`), never sent to the
//! browser.

use serde::{Deserialize, Serialize};
use url::Url;
use webauthn_rs::prelude::{
    AuthenticationResult, CreationChallengeResponse, DiscoverableAuthentication, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Uuid, Webauthn, WebauthnBuilder,
};
use webauthn_rs_core::proto::ResidentKeyRequirement;

/// Why passkeys cannot be offered, or a ceremony failed.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The issuer cannot be a relying party: browsers refuse an IP address (or a host without
    /// a name) as an RP ID.
    #[error("passkeys need the issuer's host to be a domain name, not {0}")]
    NotADomain(String),
    /// A user id that is not the 128-bit hex every account is given (a user handle is a UUID).
    #[error("the user id is not 128-bit hex")]
    UserId,
    #[error("WebAuthn: {0}")]
    WebAuthn(#[from] webauthn_rs::prelude::WebauthnError),
}

/// The relying party: the provider's issuer.
pub struct RelyingParty {
    webauthn: Webauthn,
}

/// A ceremony's state, kept in the store under the hash of the ticket its page carries.
#[derive(Serialize, Deserialize)]
pub enum Ceremony {
    /// A passkey being added to `user_id`'s account.
    Registration {
        user_id: String,
        state: PasskeyRegistration,
    },
    /// `user_id` proving a passkey they have (a second step or a step-up).
    Authentication {
        user_id: String,
        state: PasskeyAuthentication,
    },
    /// Someone logging in with a passkey alone: the authenticator says whose it is.
    Discoverable { state: DiscoverableAuthentication },
}

/// A passkey's answer checked: which of the account's passkeys it was, and how it was kept.
pub struct Asserted {
    pub result: AuthenticationResult,
}

impl Asserted {
    /// Whether the key may be synced between devices (backup eligible, `swk`) rather than
    /// bound to its device (`hwk`).
    pub fn synced(&self) -> bool {
        self.result.backup_eligible()
    }
}

impl RelyingParty {
    /// The relying party of `issuer`, named `name` in the browser's prompts.
    pub fn new(issuer: &str, name: &str) -> Result<RelyingParty, PasskeyError> {
        let origin = Url::parse(issuer).map_err(|_| PasskeyError::NotADomain(issuer.into()))?;
        let rp_id = match origin.host() {
            Some(url::Host::Domain(domain)) if domain.contains('.') || domain == "localhost" => {
                domain.to_string()
            }
            _ => return Err(PasskeyError::NotADomain(issuer.into())),
        };
        let webauthn = WebauthnBuilder::new(&rp_id, &origin)?
            .rp_name(name)
            .build()?;
        Ok(RelyingParty { webauthn })
    }

    /// The options that ask the browser for a new passkey for the account (`user_id`, shown
    /// as `username`), not one of `existing`; the state to keep until the answer.
    pub fn start_registration(
        &self,
        user_id: &str,
        username: &str,
        existing: &[Passkey],
    ) -> Result<(CreationChallengeResponse, Ceremony), PasskeyError> {
        let handle = user_handle(user_id)?;
        let exclude = existing.iter().map(|k| k.cred_id().clone()).collect();
        let (mut options, state) =
            self.webauthn
                .start_passkey_registration(handle, username, username, Some(exclude))?;
        // Discoverable where the authenticator can keep it, so that the same passkey also logs
        // in without a user name; a security key that cannot still serves as a second factor.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Preferred);
        }
        let ceremony = Ceremony::Registration {
            user_id: user_id.to_string(),
            state,
        };
        Ok((options, ceremony))
    }

    /// The new passkey, if `answer` is a valid answer to `state`.
    pub fn finish_registration(
        &self,
        answer: &RegisterPublicKeyCredential,
        state: &PasskeyRegistration,
    ) -> Result<Passkey, PasskeyError> {
        Ok(self.webauthn.finish_passkey_registration(answer, state)?)
    }

    /// The options that ask for one of the account's `keys`; the state to keep.
    pub fn start_authentication(
        &self,
        user_id: &str,
        keys: &[Passkey],
    ) -> Result<(RequestChallengeResponse, Ceremony), PasskeyError> {
        let (options, state) = self.webauthn.start_passkey_authentication(keys)?;
        let ceremony = Ceremony::Authentication {
            user_id: user_id.to_string(),
            state,
        };
        Ok((options, ceremony))
    }

    /// The options that ask for any passkey of this site (the login page's button).
    pub fn start_discoverable(&self) -> Result<(RequestChallengeResponse, Ceremony), PasskeyError> {
        let (mut options, state) = self.webauthn.start_discoverable_authentication()?;
        // Asked for by a button, in the browser's own dialog, not in the user-name field's
        // suggestions.
        options.mediation = None;
        Ok((options, Ceremony::Discoverable { state }))
    }

    /// Whose account a discoverable answer names (the user id), and which credential.
    pub fn identify<'a>(
        &self,
        answer: &'a PublicKeyCredential,
    ) -> Result<(String, &'a [u8]), PasskeyError> {
        let (handle, credential) = self.webauthn.identify_discoverable_authentication(answer)?;
        Ok((handle.simple().to_string(), credential))
    }

    /// Checks `answer` against the ceremony and the account's passkey `key` (the one whose
    /// credential the answer names).
    pub fn finish_authentication(
        &self,
        answer: &PublicKeyCredential,
        ceremony: Ceremony,
        key: &Passkey,
    ) -> Result<Asserted, PasskeyError> {
        let result = match ceremony {
            Ceremony::Authentication { state, .. } => self
                .webauthn
                .finish_passkey_authentication(answer, &state)?,
            Ceremony::Discoverable { state } => self
                .webauthn
                .finish_discoverable_authentication_v2(answer, state, key)?,
            Ceremony::Registration { .. } => {
                return Err(webauthn_rs::prelude::WebauthnError::MismatchedChallenge.into())
            }
        };
        Ok(Asserted { result })
    }
}

/// The WebAuthn user handle of an account: its 128-bit id as a UUID (and back, in
/// [`RelyingParty::identify`]). It names no person: the id is random.
fn user_handle(user_id: &str) -> Result<Uuid, PasskeyError> {
    match user_id.len() {
        32 => Uuid::try_parse(user_id).map_err(|_| PasskeyError::UserId),
        _ => Err(PasskeyError::UserId),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_host_is_the_relying_party_and_must_be_a_name() {
        assert!(RelyingParty::new("https://sso.oss.go.id", "OSS").is_ok());
        assert!(RelyingParty::new("https://sso.test:8443", "OSS").is_ok());
        assert!(RelyingParty::new("http://localhost:8080", "OSS").is_ok());
        for issuer in [
            "https://127.0.0.1:8443",
            "https://[::1]",
            "https://intranet",
        ] {
            assert!(
                matches!(
                    RelyingParty::new(issuer, "OSS"),
                    Err(PasskeyError::NotADomain(_))
                ),
                "{issuer}"
            );
        }
    }

    #[test]
    fn a_registration_asks_for_verification_no_attestation_and_a_discoverable_key() {
        let rp = RelyingParty::new("https://sso.test:8443", "OSS").unwrap();
        let id = "0123456789abcdef0123456789abcdef";
        let (options, ceremony) = rp.start_registration(id, "budi", &[]).unwrap();
        let json = serde_json::to_value(&options).unwrap();
        let key = &json["publicKey"];
        assert_eq!(key["rp"]["id"], "sso.test");
        assert_eq!(key["rp"]["name"], "OSS");
        assert_eq!(key["attestation"], "none");
        let selection = &key["authenticatorSelection"];
        assert_eq!(selection["userVerification"], "required");
        assert_eq!(selection["residentKey"], "preferred");
        let algorithms: Vec<i64> = key["pubKeyCredParams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["alg"].as_i64().unwrap())
            .collect();
        assert!(algorithms.contains(&-7), "ES256: {algorithms:?}");
        assert!(algorithms.contains(&-8), "EdDSA: {algorithms:?}");
        // The user handle is the account id, and reads back as it.
        assert_eq!(key["user"]["name"], "budi");
        let Ceremony::Registration { user_id, .. } = ceremony else {
            panic!("a registration")
        };
        assert_eq!(user_id, id);
        assert!(matches!(
            rp.start_registration("u1", "budi", &[]),
            Err(PasskeyError::UserId)
        ));
    }

    #[test]
    fn the_login_button_asks_in_the_browsers_dialog() {
        let rp = RelyingParty::new("https://sso.test", "OSS").unwrap();
        let (options, _) = rp.start_discoverable().unwrap();
        let json = serde_json::to_value(&options).unwrap();
        assert!(json.get("mediation").is_none_or(|m| m.is_null()));
        assert_eq!(json["publicKey"]["userVerification"], "required");
        assert_eq!(json["publicKey"]["rpId"], "sso.test");
    }
}
