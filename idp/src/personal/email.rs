//! E-mail addresses as accounts hold them: a practical subset of RFC 5321 (what mail servers
//! deliver to), normalised so that one mailbox is one account.

use serde::{Deserialize, Serialize};

/// An address that passed [`Email::parse`]: trimmed and in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Email(String);

parsed_text!(Email);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    Missing,
    Invalid,
}

impl Email {
    /// The canonical form of `typed`: trimmed, lower case (so `Budi@Example.ID` and
    /// `budi@example.id` are one account), or why it is no address.
    pub fn parse(typed: &str) -> Result<Email, EmailProblem> {
        normalise(typed).map(Email)
    }
}

fn normalise(typed: &str) -> Result<String, EmailProblem> {
    let address = typed.trim().to_lowercase();
    if address.is_empty() {
        return Err(EmailProblem::Missing);
    }
    let (local, domain) = address.rsplit_once('@').ok_or(EmailProblem::Invalid)?;
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = domain.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()) && tld.len() >= 2);
    if local_ok && domain_ok && address.len() <= 254 {
        Ok(address)
    } else {
        Err(EmailProblem::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_table() {
        let cases: &[(&str, Result<&str, EmailProblem>)] = &[
            ("budi@example.id", Ok("budi@example.id")),
            (
                "  Budi.Santoso@Example.CO.ID ",
                Ok("budi.santoso@example.co.id"),
            ),
            ("budi+oss@mail.example.id", Ok("budi+oss@mail.example.id")),
            ("", Err(EmailProblem::Missing)),
            ("budi", Err(EmailProblem::Invalid)),
            ("budi@", Err(EmailProblem::Invalid)),
            ("@example.id", Err(EmailProblem::Invalid)),
            ("budi@example", Err(EmailProblem::Invalid)),
            ("budi@@example.id", Err(EmailProblem::Invalid)),
            ("bu di@example.id", Err(EmailProblem::Invalid)),
            ("budi..s@example.id", Err(EmailProblem::Invalid)),
            ("budi@-example.id", Err(EmailProblem::Invalid)),
            ("budi@example.i", Err(EmailProblem::Invalid)),
            ("budi@exa_mple.id", Err(EmailProblem::Invalid)),
        ];
        for (typed, expected) in cases {
            assert_eq!(
                normalise(typed).as_deref().map_err(|e| *e),
                *expected,
                "{typed:?}"
            );
        }
    }
}
