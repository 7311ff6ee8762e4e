//! What a session proved: the authentication methods (RFC 8176 `amr`) a person gave, and the
//! strength (`acr`) they add up to. A login records its password or its passkey; a second step
//! or a step-up adds a one-time code or a passkey. ID tokens carry both, access tokens the `acr`, and routes and clients
//! ask for a least strength (see `gerbang_config::Strength`).

use gerbang_config::Strength;
use serde::{Deserialize, Serialize};

/// One way of proving who one is (RFC 8176 section 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The account's password.
    Pwd,
    /// A one-time code: an authenticator app's (RFC 6238), or a recovery code.
    Otp,
    /// A passkey bound to its device (WebAuthn, not backed up): a hardware-secured key.
    Hwk,
    /// A passkey that may be synced between devices (backup eligible): a software-secured key.
    Swk,
    /// A login at an upstream identity provider (`[[identity_provider]]`) whose `acr`/`amr`
    /// map to a password's strength. The amr value `fed` is Gerbang's (RFC 8176 section 6.1
    /// lets a provider add its own).
    Fed,
    /// A login at an upstream provider that maps to two factors.
    FedMfa,
    /// A login at an upstream provider that maps to a passkey's strength (phishing-resistant).
    FedPasskey,
}

impl Method {
    pub fn amr(self) -> &'static str {
        match self {
            Method::Pwd => "pwd",
            Method::Otp => "otp",
            Method::Hwk => "hwk",
            Method::Swk => "swk",
            Method::Fed | Method::FedMfa | Method::FedPasskey => "fed",
        }
    }

    /// The method a login at an upstream provider records, by the strength its claims map to.
    pub fn federated(strength: Strength) -> Method {
        match strength {
            Strength::Password => Method::Fed,
            Strength::TwoFactor => Method::FedMfa,
            Strength::Passkey => Method::FedPasskey,
        }
    }

    /// Whether the method is a passkey: Gerbang asks every passkey for user verification (its
    /// PIN or biometric), so one is two factors in itself, and phishing-resistant.
    fn passkey(self) -> bool {
        matches!(self, Method::Hwk | Method::Swk | Method::FedPasskey)
    }

    /// Whether the method is a first factor: the password, or a login elsewhere standing in
    /// for it.
    fn first(self) -> bool {
        matches!(self, Method::Pwd | Method::Fed)
    }

    /// Whether the method is a factor beside the first (something one has).
    fn second(self) -> bool {
        matches!(self, Method::Otp | Method::Hwk | Method::Swk)
    }
}

/// The methods a session proved, each once, in a fixed order. Sessions and grants made
/// before methods were recorded proved a password: that is the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Proven(Vec<Method>);

impl Default for Proven {
    fn default() -> Self {
        Proven::password()
    }
}

impl Proven {
    /// A login by password (and captcha).
    pub fn password() -> Proven {
        Proven(vec![Method::Pwd])
    }

    /// A login by `method` alone (a passkey, with no password).
    pub fn by(method: Method) -> Proven {
        Proven(vec![method])
    }

    /// These methods and `method`.
    pub fn and(mut self, method: Method) -> Proven {
        if let Err(at) = self.0.binary_search(&method) {
            self.0.insert(at, method);
        }
        self
    }

    /// The least methods that make `strength`, where only the strength is known (a gateway
    /// session's record, from its token's `acr`).
    pub fn of_strength(strength: Strength) -> Proven {
        match strength {
            Strength::Password => Proven::password(),
            Strength::TwoFactor => Proven::password().and(Method::Otp),
            Strength::Passkey => Proven(vec![Method::Hwk]),
        }
    }

    pub fn has(&self, method: Method) -> bool {
        self.0.contains(&method)
    }

    /// What the methods add up to: a passkey is the strongest, alone or after a password; a
    /// password and another second factor make two factors.
    pub fn strength(&self) -> Strength {
        if self.0.iter().any(|m| m.passkey()) {
            return Strength::Passkey;
        }
        let first = self.0.iter().any(|m| m.first());
        let second = self.0.iter().any(|m| m.second());
        match (first, second) {
            _ if self.has(Method::FedMfa) => Strength::TwoFactor,
            (true, true) => Strength::TwoFactor,
            _ => Strength::Password,
        }
    }

    /// The `amr` claim: each method, and `mfa` when they are two factors.
    pub fn amr(&self) -> Vec<&'static str> {
        let mut amr: Vec<&'static str> = self.0.iter().map(|m| m.amr()).collect();
        if self.strength() >= Strength::TwoFactor {
            amr.push("mfa");
        }
        amr
    }
}

/// The least strength an authorization request asks for with `acr_values` (OIDC Core
/// 3.1.2.1): the weakest of the values Gerbang asserts, since any of them would do; `None`
/// when it names none of them (unknown values are ignored, as the parameter is voluntary).
pub fn asked_strength(acr_values: Option<&str>) -> Option<Strength> {
    acr_values?.split(' ').filter_map(Strength::from_acr).min()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_login_elsewhere_counts_as_its_mapping_says() {
        let fed = Proven::by(Method::federated(Strength::Password));
        assert_eq!(
            (fed.strength(), fed.amr()),
            (Strength::Password, vec!["fed"])
        );
        // A code after it makes two factors, as after a password.
        let stepped = fed.and(Method::Otp);
        assert_eq!(stepped.strength(), Strength::TwoFactor);
        assert_eq!(stepped.amr(), ["otp", "fed", "mfa"]);
        let strong = Proven::by(Method::federated(Strength::TwoFactor));
        assert_eq!(
            (strong.strength(), strong.amr()),
            (Strength::TwoFactor, vec!["fed", "mfa"])
        );
        let passkey = Proven::by(Method::federated(Strength::Passkey));
        assert_eq!(passkey.strength(), Strength::Passkey);
    }

    #[test]
    fn a_password_alone_is_one_factor() {
        let p = Proven::password();
        assert_eq!(p.strength(), Strength::Password);
        assert_eq!(p.amr(), ["pwd"]);
        assert_eq!(p.strength().acr(), "urn:gerbang:acr:password-captcha");
    }

    #[test]
    fn a_code_after_the_password_makes_two_factors() {
        let p = Proven::password().and(Method::Otp);
        assert_eq!(p.strength(), Strength::TwoFactor);
        assert_eq!(p.amr(), ["pwd", "otp", "mfa"]);
        assert_eq!(p.strength().acr(), "urn:gerbang:acr:two-factor");
        // Proving a method again changes nothing.
        assert_eq!(p.clone().and(Method::Otp), p);
        assert_eq!(p.clone().and(Method::Pwd), p);
    }

    #[test]
    fn a_code_without_a_password_is_not_two_factors() {
        for s in Strength::ALL {
            assert_eq!(Proven::of_strength(s).strength(), s);
        }
        let p = Proven(vec![Method::Otp]);
        assert_eq!(p.strength(), Strength::Password);
        assert_eq!(p.amr(), ["otp"]);
    }

    #[test]
    fn a_passkey_is_the_strongest_alone_or_after_a_password() {
        let alone = Proven(vec![Method::Swk]);
        assert_eq!(alone.strength(), Strength::Passkey);
        assert_eq!(alone.amr(), ["swk", "mfa"]);
        let after = Proven::password().and(Method::Hwk);
        assert_eq!(after.strength(), Strength::Passkey);
        assert_eq!(after.amr(), ["pwd", "hwk", "mfa"]);
        assert_eq!(Strength::Passkey.acr(), "urn:gerbang:acr:passkey");
        assert!(Strength::Passkey > Strength::TwoFactor);
        assert_eq!(
            Proven::password()
                .and(Method::Otp)
                .and(Method::Hwk)
                .strength(),
            Strength::Passkey
        );
    }

    #[test]
    fn records_without_methods_proved_a_password() {
        #[derive(Deserialize)]
        struct Old {
            #[serde(default)]
            proven: Proven,
        }
        let old: Old = serde_json::from_str("{}").unwrap();
        assert_eq!(old.proven, Proven::password());
        let kept = serde_json::to_string(&Proven::password().and(Method::Otp)).unwrap();
        assert_eq!(kept, r#"["pwd","otp"]"#);
        let back: Proven = serde_json::from_str(&kept).unwrap();
        assert_eq!(back.strength(), Strength::TwoFactor);
    }

    #[test]
    fn acr_values_ask_for_the_weakest_value_gerbang_asserts() {
        let two = "urn:gerbang:acr:two-factor";
        let pwd = "urn:gerbang:acr:password-captcha";
        assert_eq!(asked_strength(None), None);
        assert_eq!(asked_strength(Some("")), None);
        assert_eq!(asked_strength(Some("urn:other:gold")), None);
        assert_eq!(asked_strength(Some(two)), Some(Strength::TwoFactor));
        assert_eq!(
            asked_strength(Some(&format!("urn:other:gold {two}"))),
            Some(Strength::TwoFactor)
        );
        assert_eq!(
            asked_strength(Some(&format!("{two} {pwd}"))),
            Some(Strength::Password)
        );
        for s in Strength::ALL {
            assert_eq!(Strength::from_acr(s.acr()), Some(s));
        }
    }
}
