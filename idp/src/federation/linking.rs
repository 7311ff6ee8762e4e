//! What a verified upstream login leads to: the linking rules, pure. An identity logs in to
//! the account it is linked to. Unlinked, it may be linked to the account whose NIK or passport
//! it asserts (or whose e-mail, where the provider's verification is believed), and only once the person
//! proves they control that account. An e-mail claim alone never reaches an account.

use gerbang_config::IdentityProvider;

use super::assertion::Assertion;
use crate::store::{User, UserStatus};

/// The accounts an assertion could concern, as the store found them.
#[derive(Debug, Default)]
pub struct Candidates {
    /// The account linked to this upstream identity.
    pub linked: Option<User>,
    /// The account holding the asserted NIK.
    pub by_nik: Option<User>,
    /// The account holding the asserted passport (number and issuing country).
    pub by_passport: Option<User>,
    /// The account holding the asserted e-mail.
    pub by_email: Option<User>,
}

/// Why a login through an upstream is refused (each shown as its own page and audited).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The linked account is disabled or not yet activated.
    AccountUnusable,
    /// The asserted e-mail belongs to an account it is not linked to, and nothing else
    /// connects them: the person must log in with the password and link from Beranda.
    EmailWithoutLink,
    /// No account matches and the provider may not create one.
    NoAccount,
    /// The NIK, the passport and the verified e-mail do not all point at one account:
    /// nothing is guessed.
    Ambiguous,
}

impl Refused {
    /// The audit detail.
    pub fn reason(self) -> &'static str {
        match self {
            Refused::AccountUnusable => "the linked account is disabled or not activated",
            Refused::EmailWithoutLink => "the e-mail belongs to an account it is not linked to",
            Refused::NoAccount => "no linked account, and the provider may not create one",
            Refused::Ambiguous => {
                "the asserted NIK, passport and e-mail belong to different accounts"
            }
        }
    }
}

/// What the person asserted matched, to prove control of before linking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MatchedBy {
    Nik,
    Passport,
    VerifiedEmail,
}

#[derive(Debug)]
pub enum Decision {
    /// Linked already: a session for this account.
    LogIn(User),
    /// An account matches: link once its password (or a mailed link) proves control of it.
    ProveControl(User, MatchedBy),
    /// No account matches: registration, pre-filled from the claims.
    Register,
    Refuse(Refused),
}

/// Decides where an assertion leads.
pub fn decide(provider: &IdentityProvider, asserted: &Assertion, found: Candidates) -> Decision {
    if let Some(user) = found.linked {
        return match user.status {
            UserStatus::Active => Decision::LogIn(user),
            _ => Decision::Refuse(Refused::AccountUnusable),
        };
    }
    let by_document = match (found.by_nik, found.by_passport) {
        (Some(nik), Some(passport)) if nik.id != passport.id => {
            return Decision::Refuse(Refused::Ambiguous)
        }
        (Some(user), _) => Some((user, MatchedBy::Nik)),
        (None, Some(user)) => Some((user, MatchedBy::Passport)),
        (None, None) => None,
    };
    let by_email = found.by_email;
    let verified_email = by_email.as_ref().filter(|_| asserted.email_verified);
    match (by_document, verified_email) {
        (Some((document, _)), Some(email)) if document.id != email.id => {
            Decision::Refuse(Refused::Ambiguous)
        }
        (Some((user, by)), _) => prove(user, by),
        (None, Some(user)) => prove(user.clone(), MatchedBy::VerifiedEmail),
        (None, None) if by_email.is_some() => Decision::Refuse(Refused::EmailWithoutLink),
        (None, None) if provider.create_accounts => Decision::Register,
        (None, None) => Decision::Refuse(Refused::NoAccount),
    }
}

fn prove(user: User, by: MatchedBy) -> Decision {
    match user.status {
        UserStatus::Active => Decision::ProveControl(user, by),
        _ => Decision::Refuse(Refused::AccountUnusable),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::assertion::tests::inapas;
    use super::*;
    use crate::store::{Email, Identity, Nik, Pending, Phone, Profile};
    use gerbang_config::Strength;

    fn user(id: &str, status: UserStatus) -> User {
        User {
            id: id.into(),
            username: id.into(),
            email: Email::parse(&format!("{id}@example.id")).unwrap(),
            phone: Phone::parse_international("+628123456789").unwrap(),
            identity: Identity::Ktp {
                nik: Nik::parse("3174051208850001", None).unwrap(),
            },
            status,
            password_hash: None,
            must_change_password: false,
            profile: Profile::default(),
            pending: Pending::default(),
            locale: None,
            created_at: 0,
            links: vec![],
        }
    }

    fn asserted(email_verified: bool) -> Assertion {
        Assertion {
            provider: "inapas".into(),
            subject: "s1".into(),
            nik: None,
            passport: None,
            email: Email::parse("budi@example.id").ok(),
            email_verified,
            name: None,
            phone: None,
            birth_date: None,
            strength: Strength::Password,
        }
    }

    fn decided(email_verified: bool, found: Candidates) -> String {
        format!("{:?}", decide(&inapas(), &asserted(email_verified), found))
    }

    #[test]
    fn a_linked_identity_logs_in_to_its_account_if_it_may() {
        let linked = |status| Candidates {
            linked: Some(user("a", status)),
            by_email: Some(user("b", UserStatus::Active)),
            ..Candidates::default()
        };
        let active = decide(&inapas(), &asserted(false), linked(UserStatus::Active));
        assert!(matches!(active, Decision::LogIn(u) if u.id == "a"));
        for status in [UserStatus::Disabled, UserStatus::Pending] {
            assert!(decided(false, linked(status)).contains("AccountUnusable"));
        }
    }

    #[test]
    fn a_nik_match_asks_for_proof_of_control_never_links_at_once() {
        let found = Candidates {
            by_nik: Some(user("a", UserStatus::Active)),
            ..Candidates::default()
        };
        let d = decide(&inapas(), &asserted(false), found);
        assert!(matches!(d, Decision::ProveControl(u, MatchedBy::Nik) if u.id == "a"));
        let disabled = Candidates {
            by_nik: Some(user("a", UserStatus::Disabled)),
            ..Candidates::default()
        };
        assert!(decided(false, disabled).contains("AccountUnusable"));
    }

    #[test]
    fn a_passport_match_asks_for_proof_too_and_must_agree_with_the_nik() {
        let found = Candidates {
            by_passport: Some(user("a", UserStatus::Active)),
            ..Candidates::default()
        };
        let d = decide(&inapas(), &asserted(false), found);
        assert!(matches!(d, Decision::ProveControl(u, MatchedBy::Passport) if u.id == "a"));
        let same = Candidates {
            by_nik: Some(user("a", UserStatus::Active)),
            by_passport: Some(user("a", UserStatus::Active)),
            ..Candidates::default()
        };
        assert!(decided(false, same).contains("Nik"));
        let split = Candidates {
            by_nik: Some(user("a", UserStatus::Active)),
            by_passport: Some(user("b", UserStatus::Active)),
            ..Candidates::default()
        };
        assert_eq!(decided(false, split), "Refuse(Ambiguous)");
        let against_email = Candidates {
            by_passport: Some(user("a", UserStatus::Active)),
            by_email: Some(user("b", UserStatus::Active)),
            ..Candidates::default()
        };
        assert_eq!(decided(true, against_email), "Refuse(Ambiguous)");
    }

    #[test]
    fn an_email_alone_reaches_an_account_only_when_verified_and_believed() {
        let found = || Candidates {
            by_email: Some(user("a", UserStatus::Active)),
            ..Candidates::default()
        };
        assert_eq!(decided(false, found()), "Refuse(EmailWithoutLink)");
        assert!(decided(true, found()).contains("VerifiedEmail"));
        // The NIK says one account, the e-mail another: nothing is guessed.
        let split = Candidates {
            by_nik: Some(user("a", UserStatus::Active)),
            by_email: Some(user("b", UserStatus::Active)),
            ..Candidates::default()
        };
        assert_eq!(decided(true, split), "Refuse(Ambiguous)");
    }

    #[test]
    fn nobody_matching_registers_only_where_the_provider_may_create_accounts() {
        assert_eq!(decided(false, Candidates::default()), "Refuse(NoAccount)");
        let creating = IdentityProvider {
            create_accounts: true,
            ..inapas()
        };
        let d = decide(&creating, &asserted(false), Candidates::default());
        assert!(matches!(d, Decision::Register));
    }
}
