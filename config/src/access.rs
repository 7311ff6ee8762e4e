//! Checks who may reach what: the groups a deployment declares (`[[group]]`) and each route's
//! ordered access rules (`[[route.rule]]`, first match wins, then the route's `default_access`).
//! The file is checked as it is read: unknown groups, networks that are not CIDR blocks, methods
//! and paths that cannot match, and rules an earlier rule makes unreachable are refused with
//! file, line and key.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::model::{Access, Effect, Group, Localized, Rule, Strength};
use crate::prefix::PathPrefix;
use crate::raw::{RawGroup, RawRule, S};
use crate::validate::{is_hostname, normalise_prefix, Checker, RouteContext};

/// The methods a rule may name.
const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
];

impl Checker<'_> {
    pub(crate) fn groups(&mut self, raw: &[S<RawGroup>]) -> Vec<Group> {
        let mut groups: Vec<Group> = Vec::new();
        for (i, g) in raw.iter().enumerate() {
            let g = g.get_ref();
            let name = g.name.get_ref();
            let key = format!("group[{i}].name");
            if !is_group_name(name) {
                self.report(
                    g.name.span(),
                    key,
                    "a group name is 1 to 64 lower-case letters, digits, `-`, `_` and `.`",
                );
                continue;
            }
            if groups.iter().any(|known| &known.name == name) {
                self.report(
                    g.name.span(),
                    key,
                    format!("group `{name}` is declared twice"),
                );
                continue;
            }
            groups.push(Group {
                name: name.clone(),
                title: g
                    .title
                    .as_ref()
                    .map_or_else(|| Localized::plain(name.clone()), Localized::from),
                description: g.description.as_ref().map(Localized::from),
                managers: Vec::new(),
            });
        }
        // Managers are groups too, declared anywhere in the file.
        for (i, g) in raw.iter().enumerate() {
            let g = g.get_ref();
            let key = format!("group[{i}].managers");
            let managers = self.group_names(&g.managers, &key, &groups);
            let named = groups.iter_mut().find(|d| &d.name == g.name.get_ref());
            if let (Some(managers), Some(group)) = (managers, named) {
                group.managers = managers;
            }
        }
        groups
    }

    /// A route's rules and default, each checked, then every rule an earlier one covers.
    pub(crate) fn access(
        &mut self,
        route: &RouteContext<'_>,
        raw: &[S<RawRule>],
        default: Option<&S<String>>,
    ) -> Option<Access> {
        let mut rules = Vec::new();
        let mut whole = true;
        for (j, r) in raw.iter().enumerate() {
            match self.rule(route, j, r.get_ref()) {
                Some(rule) => rules.push((j, r.span(), rule)),
                None => whole = false,
            }
        }
        let default = match default {
            None if raw.is_empty() || route.public => Effect::Allow,
            None => Effect::Deny,
            Some(d) => self.effect(d, format!("route[{}].default_access", route.index))?,
        };
        for (at, (j, span, rule)) in rules.iter().enumerate() {
            if let Some((i, _, _)) = rules[..at].iter().find(|(_, _, e)| e.covers(rule)) {
                self.report(
                    span.clone(),
                    format!("route[{}].rule[{j}]", route.index),
                    format!("this rule is never used: rule[{i}] before it matches every request it matches"),
                );
            }
        }
        whole.then(|| Access {
            rules: rules.into_iter().map(|(_, _, r)| r).collect(),
            default,
        })
    }

    /// The groups a route's app learns of: as given (declared names, or prefixes ending in
    /// `*`), or else the groups its rules name.
    pub(crate) fn forward_groups(
        &mut self,
        route: &RouteContext<'_>,
        raw: Option<&Vec<S<String>>>,
        access: &Access,
    ) -> Option<Vec<String>> {
        let Some(raw) = raw else {
            let mut named: Vec<String> = Vec::new();
            for group in access.rules.iter().flat_map(|r| &r.groups) {
                if !named.contains(group) {
                    named.push(group.clone());
                }
            }
            return Some(named);
        };
        let key = format!("route[{}].forward_groups", route.index);
        self.group_patterns(raw, &key, route.groups)
    }

    /// Group names (each declared) or prefixes ending in `*`.
    pub(crate) fn group_patterns(
        &mut self,
        raw: &[S<String>],
        key: &str,
        declared: &[Group],
    ) -> Option<Vec<String>> {
        self.each(raw, key, |pattern| match pattern.strip_suffix('*') {
            Some(prefix) if !prefix.is_empty() && is_group_name(prefix) => Ok(pattern.to_string()),
            Some(_) => Err(format!(
                "`{pattern}`: a prefix is group-name characters before `*`"
            )),
            None => declared_group(pattern, declared),
        })
    }

    /// Group names, each declared.
    pub(crate) fn group_names(
        &mut self,
        raw: &[S<String>],
        key: &str,
        declared: &[Group],
    ) -> Option<Vec<String>> {
        self.each(raw, key, |name| declared_group(name, declared))
    }

    fn effect(&mut self, raw: &S<String>, key: String) -> Option<Effect> {
        match raw.get_ref().as_str() {
            "allow" => Some(Effect::Allow),
            "deny" => Some(Effect::Deny),
            other => {
                self.report(
                    raw.span(),
                    key,
                    format!("`{other}` is not `allow` or `deny`"),
                );
                None
            }
        }
    }

    fn rule(&mut self, route: &RouteContext<'_>, j: usize, r: &RawRule) -> Option<Rule> {
        let key = |k: &str| format!("route[{}].rule[{j}].{k}", route.index);
        let effect = self.effect(&r.effect, key("effect"));
        let paths = self.rule_paths(route, &r.paths, &key("paths"));
        let methods = self.each(&r.methods, &key("methods"), |m| {
            let upper = m.to_ascii_uppercase();
            METHODS
                .contains(&upper.as_str())
                .then_some(upper)
                .ok_or_else(|| format!("`{m}` is not an HTTP method"))
        });
        let groups = self.group_names(&r.groups, &key("groups"), route.groups);
        let users = self.each(&r.users, &key("users"), |u| {
            (!u.trim().is_empty())
                .then(|| u.trim().to_lowercase())
                .ok_or_else(|| "a user name is empty".to_string())
        });
        let email_domains = self.each(&r.email_domains, &key("email_domains"), |d| {
            let domain = d.trim_start_matches('@').to_ascii_lowercase();
            is_hostname(&domain)
                .then_some(domain)
                .ok_or_else(|| format!("`{d}` is not a domain name"))
        });
        let networks = self.each(&r.networks, &key("networks"), network);
        let acr = match &r.acr {
            None => Some(None),
            Some(a) => match Strength::named(a.get_ref()) {
                Some(s) if s > route.strongest => {
                    let why = format!(
                        "`{}` cannot be met: `[mfa] factors` does not allow passkeys",
                        a.get_ref()
                    );
                    self.report(a.span(), key("acr"), why);
                    None
                }
                Some(s) => Some(Some(s)),
                None => {
                    let why = format!(
                        "`{}` is not `password`, `two_factor` or `passkey`",
                        a.get_ref()
                    );
                    self.report(a.span(), key("acr"), why);
                    None
                }
            },
        };
        Some(Rule {
            effect: effect?,
            paths: paths?,
            methods: methods?,
            groups: groups?,
            users: users?,
            email_domains: email_domains?,
            networks: networks?,
            acr: acr?,
        })
    }

    /// A rule's paths: normal prefixes inside the route's own.
    fn rule_paths(
        &mut self,
        route: &RouteContext<'_>,
        raw: &[S<String>],
        key: &str,
    ) -> Option<Vec<PathPrefix>> {
        let within = PathPrefix::new(route.prefix, route.case_sensitive);
        self.each(raw, key, |p| {
            let normal = normalise_prefix(p)?;
            let prefix = PathPrefix::new(&normal, route.case_sensitive);
            if within.covers(&prefix) {
                Ok(prefix)
            } else {
                Err(format!(
                    "`{p}` is outside the route's path_prefix `{}`: the rule could never match",
                    route.prefix
                ))
            }
        })
    }

    /// Every value of a list read by `parse`, each problem reported at its value.
    fn each<T>(
        &mut self,
        raw: &[S<String>],
        key: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<Vec<T>> {
        let mut out = Vec::with_capacity(raw.len());
        let mut whole = true;
        for value in raw {
            match parse(value.get_ref()) {
                Ok(v) => out.push(v),
                Err(why) => {
                    self.report(value.span(), key, why);
                    whole = false;
                }
            }
        }
        whole.then_some(out)
    }
}

fn declared_group(name: &str, declared: &[Group]) -> Result<String, String> {
    declared
        .iter()
        .any(|g| g.name == name)
        .then(|| name.to_string())
        .ok_or_else(|| format!("`{name}` is not a declared [[group]]"))
}

fn is_group_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
}

/// A CIDR block (`10.20.0.0/16`) or one address; host bits must be zero, so the block is the
/// one the operator meant.
fn network(text: &str) -> Result<IpNet, String> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Ok(IpNet::from(ip));
    }
    let net: IpNet = text.parse().map_err(|_| {
        format!("`{text}` is not a network: write a CIDR block such as \"10.20.0.0/16\"")
    })?;
    if net.trunc() != net {
        return Err(format!(
            "`{text}` has bits set after its prefix: write \"{}\"",
            net.trunc()
        ));
    }
    Ok(net)
}
