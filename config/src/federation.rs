//! The `[[identity_provider]]` tables: upstream OpenID Connect providers people may log in with.

use std::collections::{BTreeMap, HashSet};

use url::Url;

use crate::model::{
    Group, IdentityProvider, Localized, PassportClaims, Strength, UpstreamClientAuth,
};
use crate::raw::{RawIdentityProvider, S};
use crate::validate::Checker;

/// What an upstream is asked for when `scopes` is not given.
const DEFAULT_SCOPES: [&str; 3] = ["openid", "profile", "email"];

impl Checker<'_> {
    pub(crate) fn identity_providers(
        &mut self,
        raw: &[S<RawIdentityProvider>],
        groups: &[Group],
    ) -> Vec<IdentityProvider> {
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        for (i, p) in raw.iter().enumerate() {
            let id = p.get_ref().id.get_ref();
            if !seen.insert(id.clone()) {
                let message = format!("duplicate identity provider id `{id}`");
                self.report(
                    p.get_ref().id.span(),
                    format!("identity_provider[{i}].id"),
                    message,
                );
            }
            if let Some(provider) = self.identity_provider(i, p.get_ref(), groups) {
                found.push(provider);
            }
        }
        found
    }

    fn identity_provider(
        &mut self,
        index: usize,
        p: &RawIdentityProvider,
        groups: &[Group],
    ) -> Option<IdentityProvider> {
        let key = |k: &str| format!("identity_provider[{index}].{k}");
        let id = self.identity_provider_id(&p.id, &key("id"));
        let issuer = self.https_url(&p.issuer, &key("issuer"), "an issuer");
        let client_id = self.not_empty(&p.client_id, &key("client_id"));
        let client_auth = self.upstream_client_auth(p, &key);
        let scopes = self.upstream_scopes(p.scopes.as_deref(), &key("scopes"));
        let nik_claim = match &p.nik_claim {
            Some(claim) => Some(Some(self.not_empty(claim, &key("nik_claim"))?)),
            None => Some(None),
        };
        let passport_claims = self.passport_claims(p, &key);
        let acr = self.strengths(&p.acr, &key("acr"));
        let amr = self.strengths(&p.amr, &key("amr"));
        let granted = self.group_names(&p.groups, &key("groups"), groups);
        let logo = self.asset(p.logo.as_ref(), &key("logo"));
        let ca = p.ca.as_ref().map(|ca| {
            let path = self.path(ca.get_ref());
            self.pem_file(ca, &path, &key("ca"), &["CERTIFICATE"]);
            path
        });
        Some(IdentityProvider {
            id: id?,
            title: Localized::from(&p.title),
            logo: logo?,
            issuer: issuer?,
            client_id: client_id?,
            client_auth: client_auth?,
            scopes: scopes?,
            nik_claim: nik_claim?,
            passport_claims: passport_claims?,
            trust_email_verified: p.trust_email_verified,
            acr: acr?,
            amr: amr?,
            create_accounts: p.create_accounts,
            groups: granted?,
            end_upstream_session: p.end_upstream_session,
            ca,
        })
    }

    /// `passport_claim` and `passport_country_claim`: both, or neither.
    fn passport_claims(
        &mut self,
        p: &RawIdentityProvider,
        key: &impl Fn(&str) -> String,
    ) -> Option<Option<PassportClaims>> {
        match (&p.passport_claim, &p.passport_country_claim) {
            (None, None) => Some(None),
            (Some(number), Some(country)) => {
                let number = self.not_empty(number, &key("passport_claim"));
                let country = self.not_empty(country, &key("passport_country_claim"));
                Some(Some(PassportClaims {
                    number: number?,
                    country: country?,
                }))
            }
            (Some(given), None) | (None, Some(given)) => {
                let message = "a passport is matched on its number and its issuing country: give both `passport_claim` and `passport_country_claim`";
                let missing = match p.passport_claim {
                    Some(_) => "passport_country_claim",
                    None => "passport_claim",
                };
                self.report(given.span(), key(missing), message);
                None
            }
        }
    }

    /// `client_secret`, or `client_auth = "private_key_jwt"` and no secret.
    fn upstream_client_auth(
        &mut self,
        p: &RawIdentityProvider,
        key: &impl Fn(&str) -> String,
    ) -> Option<UpstreamClientAuth> {
        let method = p.client_auth.as_ref().map(|m| (m.get_ref().as_str(), m));
        match (method, &p.client_secret) {
            (None | Some(("client_secret", _)), Some(secret)) => Some(UpstreamClientAuth::Secret(
                self.secret(secret, &key("client_secret"))?,
            )),
            (None | Some(("client_secret", _)), None) => {
                let message = "an identity provider needs `client_secret` (the secret it gave Gerbang as its client), or `client_auth = \"private_key_jwt\"`";
                self.report(p.client_id.span(), key("client_secret"), message);
                None
            }
            (Some(("private_key_jwt", _)), None) => Some(UpstreamClientAuth::PrivateKeyJwt),
            (Some(("private_key_jwt", _)), Some(secret)) => {
                let message = "with `client_auth = \"private_key_jwt\"` Gerbang signs with its own keys: remove `client_secret`";
                self.report(secret.span(), key("client_secret"), message);
                None
            }
            (Some((other, raw)), _) => {
                let message = format!(
                    "`{other}` is not a client authentication Gerbang uses: client_secret or private_key_jwt"
                );
                self.report(raw.span(), key("client_auth"), message);
                None
            }
        }
    }

    /// An id that goes into a path: letters, digits, `-` and `_`.
    fn identity_provider_id(&mut self, raw: &S<String>, key: &str) -> Option<String> {
        let id = raw.get_ref();
        let fits = !id.is_empty()
            && id.len() <= 40
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
        if !fits {
            let message = "an identity provider id is 1 to 40 letters, digits, `-` and `_`";
            self.report(raw.span(), key, message);
            return None;
        }
        Some(id.clone())
    }

    /// An issuer as OpenID Connect Discovery needs it (or another address Gerbang fetches
    /// from, `what` naming it): https (http only on loopback), a host, no query or fragment.
    /// Kept as written: responses must name an issuer exactly.
    pub(crate) fn https_url(&mut self, raw: &S<String>, key: &str, what: &str) -> Option<String> {
        let text = raw.get_ref();
        let fits = Url::parse(text).is_ok_and(|url| {
            let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            (url.scheme() == "https" || (url.scheme() == "http" && loopback))
                && url.host_str().is_some()
                && url.query().is_none()
                && url.fragment().is_none()
        });
        if !fits {
            let message = format!(
                "`{text}` is not {what}: an https URL with no query or fragment (http only on loopback)"
            );
            self.report(raw.span(), key, message);
            return None;
        }
        Some(text.clone())
    }

    fn not_empty(&mut self, raw: &S<String>, key: &str) -> Option<String> {
        let text = raw.get_ref().trim();
        if text.is_empty() {
            self.report(raw.span(), key, "this may not be empty");
            return None;
        }
        Some(text.to_string())
    }

    fn upstream_scopes(&mut self, raw: Option<&[S<String>]>, key: &str) -> Option<Vec<String>> {
        let Some(raw) = raw else {
            return Some(DEFAULT_SCOPES.map(String::from).to_vec());
        };
        let scopes: Vec<String> = raw.iter().map(|s| s.get_ref().clone()).collect();
        if let Some(bad) = raw.iter().find(|s| {
            let scope = s.get_ref();
            scope.is_empty()
                || scope
                    .chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == '\\')
        }) {
            self.report(
                bad.span(),
                key,
                "a scope is one word of printable characters",
            );
            return None;
        }
        if !scopes.iter().any(|s| s == "openid") {
            let span = raw.first().map_or(0..0, |s| s.span());
            self.report(span, key, "the scopes must include \"openid\"");
            return None;
        }
        Some(scopes)
    }

    /// `{ "upstream value" = "two_factor" }`: each value a strength Gerbang knows.
    fn strengths(
        &mut self,
        raw: &BTreeMap<String, S<String>>,
        key: &str,
    ) -> Option<Vec<(String, Strength)>> {
        let mut out = Vec::with_capacity(raw.len());
        let mut whole = true;
        for (value, strength) in raw {
            match Strength::named(strength.get_ref()) {
                Some(s) => out.push((value.clone(), s)),
                None => {
                    let message = format!(
                        "`{}` is not a strength: use \"password\", \"two_factor\" or \"passkey\"",
                        strength.get_ref()
                    );
                    self.report(strength.span(), format!("{key}.{value}"), message);
                    whole = false;
                }
            }
        }
        whole.then_some(out)
    }
}
