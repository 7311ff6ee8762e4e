//! Who may do what in the console (issue 20): the roles a person holds through their groups
//! (`[admin]` and each `[[group]]`'s managers), and whether they allow an action. Pure: the
//! console and the admin API ask it before every action, and `idp::admin` records who acted.

use gerbang_config::Config;

use crate::store::{Membership, Timestamp};

/// One thing an operator may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action<'a> {
    /// Search for accounts, and open one.
    Find,
    /// See an account's identity document number unmasked (each view is audited).
    SeeDocument,
    Unlock,
    ResendActivation,
    SendResetLink,
    ResetSecondFactors,
    EndSessions,
    /// Disable an account (with a reason).
    Disable,
    Enable,
    Delete,
    /// Grant or revoke this group.
    Grant(&'a str),
    /// The audit log, beyond one account's events.
    ReadAuditLog,
    /// Routes, clients, signing keys, the last reload.
    ReadConfiguration,
    RotateKeys,
}

/// The roles a person holds now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rights {
    pub administrator: bool,
    pub helpdesk: bool,
    /// The groups they manage (grant and revoke).
    pub manages: Vec<String>,
}

impl Rights {
    /// The roles `held` (a person's memberships) give at `now` under `config`.
    pub fn of(config: &Config, held: &[Membership], now: Timestamp) -> Rights {
        let live: Vec<&str> = held
            .iter()
            .filter(|m| m.holds(now))
            .map(|m| m.group.as_str())
            .collect();
        Rights::of_groups(config, &live)
    }

    /// The roles of an admin API client: those of a member of the groups `config` names for
    /// it; none for any other client.
    pub fn of_client(config: &Config, client_id: &str) -> Rights {
        let groups: Vec<&str> = config
            .admin
            .api_clients
            .iter()
            .filter(|c| c.client == client_id)
            .flat_map(|c| c.groups.iter().map(String::as_str))
            .collect();
        Rights::of_groups(config, &groups)
    }

    /// The roles a member of `groups` holds.
    fn of_groups(config: &Config, groups: &[&str]) -> Rights {
        let member_of = |names: &[String]| names.iter().any(|g| groups.contains(&g.as_str()));
        Rights {
            administrator: member_of(&config.admin.administrators),
            helpdesk: member_of(&config.admin.helpdesk),
            manages: config
                .groups
                .iter()
                .filter(|g| member_of(&g.managers))
                .map(|g| g.name.clone())
                .collect(),
        }
    }

    /// Whether they may use the console at all.
    pub fn any(&self) -> bool {
        self.administrator || self.helpdesk || !self.manages.is_empty()
    }

    /// Whether they may do `action`: administrators everything; helpdesk what unsticks an
    /// account (not delete, not grant, not keys); a group's managers find people and grant or
    /// revoke that group.
    pub fn may(&self, action: Action<'_>) -> bool {
        if self.administrator {
            return true;
        }
        let helpdesk = self.helpdesk;
        match action {
            Action::Find => self.any(),
            Action::Grant(group) => self.manages.iter().any(|g| g == group),
            Action::SeeDocument
            | Action::Unlock
            | Action::ResendActivation
            | Action::SendResetLink
            | Action::ResetSecondFactors
            | Action::EndSessions
            | Action::Disable
            | Action::ReadAuditLog => helpdesk,
            Action::Enable | Action::Delete | Action::ReadConfiguration | Action::RotateKeys => {
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = r#"
[server]
http = "127.0.0.1:8080"
[provider]
issuer = "https://sso.example.id"
[store]
path = "store"
[mail]
from = "a@example.id"
transport = "folder"
folder = "outbox"

[[group]]
name = "admin"
[[group]]
name = "helpdesk"
[[group]]
name = "pejabat-3273"
managers = ["admin-3273"]
[[group]]
name = "admin-3273"

[admin]
administrators = ["admin"]
helpdesk = ["helpdesk"]

[[admin.api_client]]
client = "backoffice"
groups = ["admin-3273"]

[[client]]
id = "backoffice"
secret = "backoffice-secret-0123456789"
grant_types = ["client_credentials"]
scopes = ["gerbang:admin"]

[[client]]
id = "other"
secret = "other-secret-0123456789"
grant_types = ["client_credentials"]
"#;

    const NOW: Timestamp = 1_000;

    fn rights(groups: &[(&str, Option<Timestamp>)]) -> Rights {
        let config = Config::parse(CONFIG, "t.toml".as_ref(), "/".as_ref(), &|_| None).unwrap();
        let held: Vec<Membership> = groups
            .iter()
            .map(|(g, until)| Membership {
                group: g.to_string(),
                granted_at: 0,
                granted_by: "test".into(),
                until: *until,
            })
            .collect();
        Rights::of(&config, &held, NOW)
    }

    #[test]
    fn administrators_may_do_everything() {
        let admin = rights(&[("admin", None)]);
        for action in [
            Action::Delete,
            Action::RotateKeys,
            Action::Grant("pejabat-3273"),
            Action::Enable,
        ] {
            assert!(admin.may(action), "{action:?}");
        }
    }

    #[test]
    fn helpdesk_unsticks_accounts_but_neither_deletes_nor_grants() {
        let desk = rights(&[("helpdesk", None)]);
        assert!(desk.any());
        for action in [
            Action::Find,
            Action::SeeDocument,
            Action::Unlock,
            Action::ResendActivation,
            Action::SendResetLink,
            Action::ResetSecondFactors,
            Action::EndSessions,
            Action::Disable,
            Action::ReadAuditLog,
        ] {
            assert!(desk.may(action), "{action:?}");
        }
        for action in [
            Action::Delete,
            Action::Enable,
            Action::Grant("pejabat-3273"),
            Action::RotateKeys,
            Action::ReadConfiguration,
        ] {
            assert!(!desk.may(action), "{action:?}");
        }
    }

    #[test]
    fn a_manager_grants_their_group_and_only_it() {
        let manager = rights(&[("admin-3273", None)]);
        assert_eq!(manager.manages, ["pejabat-3273"]);
        assert!(manager.may(Action::Find));
        assert!(manager.may(Action::Grant("pejabat-3273")));
        assert!(!manager.may(Action::Grant("admin-3273")));
        assert!(!manager.may(Action::Grant("admin")));
        assert!(!manager.may(Action::SeeDocument), "documents stay masked");
        assert!(!manager.may(Action::Unlock));
    }

    #[test]
    fn nobody_else_and_no_lapsed_membership() {
        let none = rights(&[("pejabat-3273", None)]);
        assert!(!none.any());
        assert!(!none.may(Action::Find));
        let lapsed = rights(&[("admin", Some(NOW))]);
        assert_eq!(lapsed, Rights::default());
    }

    #[test]
    fn an_api_client_holds_the_roles_of_its_groups_and_other_clients_none() {
        let config = Config::parse(CONFIG, "t.toml".as_ref(), "/".as_ref(), &|_| None).unwrap();
        let backoffice = Rights::of_client(&config, "backoffice");
        assert_eq!(backoffice.manages, ["pejabat-3273"]);
        assert!(backoffice.may(Action::Grant("pejabat-3273")));
        assert!(!backoffice.may(Action::Unlock));
        assert!(!Rights::of_client(&config, "other").any());
    }
}
