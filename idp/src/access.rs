//! Who may reach what, decided: a route's rules (`gerbang_config::Access`) against the person
//! asking and the request, first match wins, then the route's default. Pure and without
//! allocation: the gateway decides every request from memory with it, and the home page lists
//! only the apps a person may open.

use std::net::IpAddr;

use gerbang_config::{Access, Effect, Rule, Strength};

use crate::store::{Membership, Timestamp};

/// A logged-in person, as the rules see them.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub username: &'a str,
    pub email: Option<&'a str>,
    /// Every membership, ended ones too: each is checked against the time of the decision.
    pub memberships: &'a [Membership],
    pub strength: Strength,
}

impl Person<'_> {
    fn in_group(&self, group: &str, now: Timestamp) -> bool {
        self.memberships
            .iter()
            .any(|m| m.group == group && m.holds(now))
    }

    fn email_domain_is(&self, domain: &str) -> bool {
        self.email
            .and_then(|e| e.rsplit_once('@'))
            .is_some_and(|(_, d)| d.eq_ignore_ascii_case(domain))
    }
}

/// Who asks: a person or nobody (a public route's visitor), from where.
#[derive(Debug, Clone, Copy)]
pub struct Asker<'a> {
    pub person: Option<Person<'a>>,
    /// The real client address (behind `server.trusted_proxies`), when known.
    pub address: Option<IpAddr>,
}

/// What is asked: a normal path (see `gerbang::proxy::path`) and the method.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub path: &'a str,
    pub method: &'a str,
}

/// The decision and what made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub effect: Effect,
    /// The index of the rule that matched; `None` when none did and the default decided.
    pub rule: Option<usize>,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self.effect == Effect::Allow
    }
}

pub fn decide(access: &Access, asker: &Asker<'_>, asked: &Asked<'_>, now: Timestamp) -> Decision {
    access
        .rules
        .iter()
        .position(|rule| matches(rule, asker, asked, now))
        .map_or(
            Decision {
                effect: access.default,
                rule: None,
            },
            |i| Decision {
                effect: access.rules[i].effect,
                rule: Some(i),
            },
        )
}

/// The weakest strength above the person's that would let a refused request through: what a
/// step-up asks for. `None` for nobody, or when no stronger login would change the decision.
/// Called on the refused path only, so the allowed path pays nothing for it.
pub fn stronger_needed(
    access: &Access,
    asker: &Asker<'_>,
    asked: &Asked<'_>,
    now: Timestamp,
) -> Option<Strength> {
    let person = asker.person?;
    Strength::ALL
        .into_iter()
        .filter(|&s| s > person.strength)
        .find(|&strength| {
            let stronger = Asker {
                person: Some(Person { strength, ..person }),
                ..*asker
            };
            decide(access, &stronger, asked, now).allowed()
        })
}

/// The groups of `held` that hold at `now` and that `patterns` let an app see (see
/// `gerbang_config::group_visible`): what a route's app or an OIDC client learns.
pub fn visible_groups<'a>(
    held: &'a [Membership],
    patterns: &'a [String],
    now: Timestamp,
) -> impl Iterator<Item = &'a str> {
    held.iter()
        .filter(move |m| m.holds(now) && gerbang_config::group_visible(patterns, &m.group))
        .map(|m| m.group.as_str())
}

/// Whether every condition the rule names holds (within one, any value will do).
fn matches(rule: &Rule, asker: &Asker<'_>, asked: &Asked<'_>, now: Timestamp) -> bool {
    fn any<T>(list: &[T], hit: impl Fn(&T) -> bool) -> bool {
        list.is_empty() || list.iter().any(hit)
    }
    // An IPv4 client on a dual-stack listener shows as `::ffff:a.b.c.d`.
    let address = asker.address.map(|a| a.to_canonical());
    let request = any(&rule.paths, |p| p.matches(asked.path))
        && any(&rule.methods, |m| m.eq_ignore_ascii_case(asked.method))
        && any(&rule.networks, |n| address.is_some_and(|a| n.contains(&a)));
    if !request || !rule.needs_person() {
        return request;
    }
    let Some(person) = &asker.person else {
        return false;
    };
    any(&rule.groups, |g| person.in_group(g, now))
        && any(&rule.users, |u| person.username.eq_ignore_ascii_case(u))
        && any(&rule.email_domains, |d| person.email_domain_is(d))
        && rule.acr.is_none_or(|least| person.strength >= least)
}

#[cfg(test)]
mod tests {
    use super::*;
    use gerbang_config::Config;

    const NOW: Timestamp = 1_000_000;

    /// OSS shapes: an internal area closed to all, an admin area for admins from the office,
    /// licences business users file and anyone reads, a verification desk for one regency's
    /// officials, reports for ministry addresses, a page that wants a second factor, one user's
    /// own page; a route without rules; a public route closed to one network.
    const RULES: &str = r#"
[server]
http = "127.0.0.1:8080"

[provider]
issuer = "https://sso.localhost"

[[group]]
name = "pelaku-usaha"

[[group]]
name = "pejabat-dpmptsp-3273"

[[group]]
name = "admin"

[[route]]
name = "perizinan"
host = "perizinan.localhost"
upstreams = ["127.0.0.1:9001"]
policy = "authenticated"

[[route.rule]]
effect = "deny"
paths = ["/internal"]

[[route.rule]]
effect = "allow"
paths = ["/admin"]
groups = ["admin"]
networks = ["10.20.0.0/16", "2001:db8::/32"]

[[route.rule]]
effect = "deny"
paths = ["/admin"]

[[route.rule]]
effect = "allow"
paths = ["/izin"]
methods = ["POST", "put"]
groups = ["pelaku-usaha"]

[[route.rule]]
effect = "allow"
paths = ["/izin"]
methods = ["GET", "HEAD"]

[[route.rule]]
effect = "allow"
paths = ["/verifikasi"]
groups = ["pejabat-dpmptsp-3273"]

[[route.rule]]
effect = "allow"
paths = ["/laporan"]
email_domains = ["bkpm.go.id"]

[[route.rule]]
effect = "allow"
paths = ["/rahasia"]
acr = "two_factor"

[[route.rule]]
effect = "allow"
paths = ["/budi"]
users = ["Budi"]

[[route]]
name = "portal"
host = "portal.localhost"
upstreams = ["127.0.0.1:9002"]
policy = "authenticated"

[[route]]
name = "info"
host = "info.localhost"
upstreams = ["127.0.0.1:9003"]
policy = "public"

[[route.rule]]
effect = "deny"
networks = ["203.0.113.0/24"]
"#;

    fn config() -> Config {
        let env = |_: &str| None;
        Config::parse(RULES, "rules.toml".as_ref(), "/".as_ref(), &env).unwrap()
    }

    fn member(group: &str, until: Option<Timestamp>) -> Membership {
        Membership {
            group: group.into(),
            granted_by: "admin".into(),
            granted_at: 0,
            until,
        }
    }

    /// Who asks in the table below.
    #[derive(Clone, Copy)]
    enum Who {
        Nobody,
        /// `pelaku-usaha`, budi@example.id.
        Budi,
        BudiTwoFactor,
        BudiPasskey,
        /// User name in capitals.
        BudiCaps,
        /// `pejabat-dpmptsp-3273` until NOW + 100, sari@bkpm.go.id.
        Sari,
        SariCaps,
        /// `admin`.
        Ani,
        /// `pelaku-usaha`, ended at NOW - 1.
        Lapsed,
        /// x@sub.bkpm.go.id, no groups.
        Sub,
        /// No e-mail, no groups.
        NoEmail,
    }

    fn person(who: Who, memberships: &[Membership]) -> Option<Person<'_>> {
        let (username, email, strength) = match who {
            Who::Nobody => return None,
            Who::Budi => ("budi", Some("budi@example.id"), Strength::Password),
            Who::BudiTwoFactor => ("budi", Some("budi@example.id"), Strength::TwoFactor),
            Who::BudiPasskey => ("budi", Some("budi@example.id"), Strength::Passkey),
            Who::BudiCaps => ("BUDI", Some("budi@example.id"), Strength::Password),
            Who::Sari => ("sari", Some("sari@bkpm.go.id"), Strength::Password),
            Who::SariCaps => ("sari", Some("SARI@BKPM.GO.ID"), Strength::Password),
            Who::Ani => ("ani", Some("ani@example.id"), Strength::Password),
            Who::Lapsed => ("lapsed", Some("l@example.id"), Strength::Password),
            Who::Sub => ("sub", Some("x@sub.bkpm.go.id"), Strength::Password),
            Who::NoEmail => ("none", None, Strength::Password),
        };
        Some(Person {
            username,
            email,
            memberships,
            strength,
        })
    }

    fn memberships(who: Who) -> Vec<Membership> {
        match who {
            Who::Budi | Who::BudiTwoFactor | Who::BudiCaps => vec![member("pelaku-usaha", None)],
            Who::Sari | Who::SariCaps => vec![member("pejabat-dpmptsp-3273", Some(NOW + 100))],
            Who::Ani => vec![member("admin", None)],
            Who::Lapsed => vec![member("pelaku-usaha", Some(NOW - 1))],
            _ => vec![],
        }
    }

    const OFFICE: &str = "10.20.1.5";
    const HOME: &str = "198.51.100.7";

    use Effect::{Allow, Deny};
    use Who::*;

    /// (route, who, from, method, path, at, effect, rule)
    type Case<'a> = (
        &'a str,
        Who,
        Option<&'a str>,
        &'a str,
        &'a str,
        Timestamp,
        Effect,
        Option<usize>,
    );

    #[test]
    fn the_rules_decide_as_the_table_says() {
        let config = config();
        let access = |route: &str| {
            &config
                .routes
                .iter()
                .find(|r| r.name == route)
                .unwrap()
                .access
        };
        #[rustfmt::skip]
        let cases: &[Case] = &[
            // An area closed to all: any case, padded, inside; not a longer name.
            ("perizinan", Budi, Some(HOME), "GET", "/internal", NOW, Deny, Some(0)),
            ("perizinan", Ani, Some(OFFICE), "GET", "/INTERNAL", NOW, Deny, Some(0)),
            ("perizinan", Budi, Some(HOME), "POST", "/internal./x", NOW, Deny, Some(0)),
            ("perizinan", Budi, Some(HOME), "GET", "/Internal%20/x", NOW, Deny, Some(0)),
            ("perizinan", Budi, Some(HOME), "GET", "/internalx", NOW, Deny, None),
            // The admin area: admins from the office only (IPv4, IPv4 mapped, IPv6).
            ("perizinan", Ani, Some(OFFICE), "GET", "/admin", NOW, Allow, Some(1)),
            ("perizinan", Ani, Some(OFFICE), "POST", "/Admin/users", NOW, Allow, Some(1)),
            ("perizinan", Ani, Some("::ffff:10.20.1.5"), "GET", "/admin", NOW, Allow, Some(1)),
            ("perizinan", Ani, Some("2001:db8::1"), "GET", "/admin", NOW, Allow, Some(1)),
            ("perizinan", Ani, Some(HOME), "GET", "/admin", NOW, Deny, Some(2)),
            ("perizinan", Ani, Some("10.21.0.1"), "GET", "/admin", NOW, Deny, Some(2)),
            ("perizinan", Ani, None, "GET", "/admin", NOW, Deny, Some(2)),
            ("perizinan", Budi, Some(OFFICE), "GET", "/admin", NOW, Deny, Some(2)),
            ("perizinan", Nobody, Some(OFFICE), "GET", "/admin", NOW, Deny, Some(2)),
            // Licences: business users file them, anyone reads them.
            ("perizinan", Budi, Some(HOME), "POST", "/izin", NOW, Allow, Some(3)),
            ("perizinan", Budi, Some(HOME), "PUT", "/izin/123", NOW, Allow, Some(3)),
            ("perizinan", Budi, Some(HOME), "put", "/izin/123", NOW, Allow, Some(3)),
            ("perizinan", Budi, Some(HOME), "DELETE", "/izin/1", NOW, Deny, None),
            ("perizinan", Budi, Some(HOME), "HEAD", "/izin", NOW, Allow, Some(4)),
            ("perizinan", Sari, Some(HOME), "POST", "/izin", NOW, Deny, None),
            ("perizinan", Sari, Some(HOME), "GET", "/izin", NOW, Allow, Some(4)),
            ("perizinan", Nobody, None, "GET", "/izin", NOW, Allow, Some(4)),
            ("perizinan", Nobody, None, "POST", "/izin", NOW, Deny, None),
            ("perizinan", Lapsed, Some(HOME), "POST", "/izin", NOW, Deny, None),
            ("perizinan", Lapsed, Some(HOME), "GET", "/izin", NOW, Allow, Some(4)),
            // One regency's officials, while their membership lasts (its end is exclusive).
            ("perizinan", Sari, Some(HOME), "GET", "/verifikasi", NOW, Allow, Some(5)),
            ("perizinan", Sari, Some(HOME), "GET", "/verifikasi", NOW + 99, Allow, Some(5)),
            ("perizinan", Sari, Some(HOME), "GET", "/verifikasi", NOW + 100, Deny, None),
            ("perizinan", Budi, Some(HOME), "GET", "/verifikasi", NOW, Deny, None),
            // Reports for ministry addresses: that exact domain, in any case.
            ("perizinan", Sari, Some(HOME), "GET", "/laporan", NOW, Allow, Some(6)),
            ("perizinan", SariCaps, Some(HOME), "GET", "/laporan", NOW, Allow, Some(6)),
            ("perizinan", Sub, Some(HOME), "GET", "/laporan", NOW, Deny, None),
            ("perizinan", NoEmail, Some(HOME), "GET", "/laporan", NOW, Deny, None),
            ("perizinan", Budi, Some(HOME), "GET", "/laporan", NOW, Deny, None),
            // A second factor at least.
            ("perizinan", Budi, Some(HOME), "GET", "/rahasia", NOW, Deny, None),
            ("perizinan", BudiTwoFactor, Some(HOME), "GET", "/rahasia", NOW, Allow, Some(7)),
            ("perizinan", Nobody, Some(HOME), "GET", "/rahasia", NOW, Deny, None),
            // One user, by name in any case; not a longer path.
            ("perizinan", Budi, Some(HOME), "GET", "/budi", NOW, Allow, Some(8)),
            ("perizinan", BudiCaps, Some(HOME), "GET", "/budi/x", NOW, Allow, Some(8)),
            ("perizinan", Sari, Some(HOME), "GET", "/budi", NOW, Deny, None),
            ("perizinan", Budi, Some(HOME), "GET", "/budix", NOW, Deny, None),
            ("perizinan", Nobody, Some(HOME), "GET", "/budi", NOW, Deny, None),
            // Elsewhere on the route: the default of a route with rules is deny.
            ("perizinan", Ani, Some(OFFICE), "GET", "/", NOW, Deny, None),
            // A route without rules lets every logged-in person in.
            ("portal", Budi, Some(HOME), "GET", "/", NOW, Allow, None),
            ("portal", Sari, None, "DELETE", "/anything", NOW, Allow, None),
            // A public route closed to one network, open to everyone else.
            ("info", Nobody, Some("203.0.113.9"), "GET", "/", NOW, Deny, Some(0)),
            ("info", Budi, Some("203.0.113.200"), "GET", "/x", NOW, Deny, Some(0)),
            ("info", Nobody, Some(HOME), "GET", "/", NOW, Allow, None),
            ("info", Nobody, Some("::ffff:203.0.113.9"), "GET", "/", NOW, Deny, Some(0)),
        ];
        assert!(cases.len() >= 40);
        for (n, &(route, who, from, method, path, at, effect, rule)) in cases.iter().enumerate() {
            let held = memberships(who);
            let asker = Asker {
                person: person(who, &held),
                address: from.map(|a| a.parse().unwrap()),
            };
            let decision = decide(access(route), &asker, &Asked { path, method }, at);
            assert_eq!(
                decision,
                Decision { effect, rule },
                "case {n}: {route} {method} {path} from {from:?}"
            );
        }
    }

    #[test]
    fn a_step_up_is_asked_for_only_where_it_would_let_in() {
        let config = config();
        let access = &config.routes[0].access;
        let needed = |who: Who, path: &str| {
            let held = memberships(who);
            let asker = Asker {
                person: person(who, &held),
                address: Some(HOME.parse().unwrap()),
            };
            let asked = Asked {
                path,
                method: "GET",
            };
            stronger_needed(access, &asker, &asked, NOW)
        };
        assert_eq!(needed(Budi, "/rahasia"), Some(Strength::TwoFactor));
        assert_eq!(needed(Budi, "/rahasia/laporan"), Some(Strength::TwoFactor));
        // Already as strong as there is, nobody, or refused whatever the login.
        assert_eq!(needed(BudiPasskey, "/admin"), None);
        assert_eq!(needed(Nobody, "/rahasia"), None);
        assert_eq!(needed(Budi, "/internal"), None);
        assert_eq!(needed(Budi, "/admin"), None);
    }
}
