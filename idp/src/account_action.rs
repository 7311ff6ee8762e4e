//! The actions an operator takes on one account (issue 20), as the console's buttons and the
//! admin API's `actions/{name}` name them: whether each applies to the account now, the right
//! it needs, and doing it through [`crate::admin::Admin`], so both surfaces (and the command
//! line's equivalents) take one path.

use std::sync::Arc;

use crate::account::login::locks_of;
use crate::admin::{Admin, AdminError};
use crate::clock::Timestamp;
use crate::provider::Provider;
use crate::roles::Action;
use crate::store::{StoreError, User, UserStatus};

/// What the helpdesk (or an administrator) does to an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountAction {
    Unlock,
    SendResetLink,
    ResendActivation,
    EndSessions,
    ResetSecondFactors,
    Disable,
    Enable,
    Delete,
}

impl AccountAction {
    pub const ALL: [AccountAction; 8] = [
        AccountAction::Unlock,
        AccountAction::SendResetLink,
        AccountAction::ResendActivation,
        AccountAction::EndSessions,
        AccountAction::ResetSecondFactors,
        AccountAction::Disable,
        AccountAction::Enable,
        AccountAction::Delete,
    ];

    /// As the form names it.
    pub fn name(self) -> &'static str {
        match self {
            AccountAction::Unlock => "unlock",
            AccountAction::SendResetLink => "send-reset-link",
            AccountAction::ResendActivation => "resend-activation",
            AccountAction::EndSessions => "end-sessions",
            AccountAction::ResetSecondFactors => "reset-second-factors",
            AccountAction::Disable => "disable",
            AccountAction::Enable => "enable",
            AccountAction::Delete => "delete",
        }
    }

    pub fn named(name: &str) -> Option<AccountAction> {
        AccountAction::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Whether it means anything for `user` now (`locked`: a login lock holds; `factors`: it
    /// has second factors).
    pub fn applies(self, user: &User, locked: bool, factors: bool) -> bool {
        match self {
            AccountAction::Unlock => locked,
            AccountAction::SendResetLink => user.status == UserStatus::Active,
            AccountAction::ResendActivation => user.status == UserStatus::Pending,
            AccountAction::EndSessions | AccountAction::Delete => true,
            AccountAction::ResetSecondFactors => factors,
            AccountAction::Disable => user.status != UserStatus::Disabled,
            AccountAction::Enable => user.status == UserStatus::Disabled,
        }
    }

    /// Whether the operator gives their password again first (it cannot be undone, or it shuts
    /// a person out).
    pub fn destructive(self) -> bool {
        matches!(self, AccountAction::Disable | AccountAction::Delete)
    }
}

impl AccountAction {
    /// The right it needs.
    pub fn permission(self) -> Action<'static> {
        match self {
            AccountAction::Unlock => Action::Unlock,
            AccountAction::SendResetLink => Action::SendResetLink,
            AccountAction::ResendActivation => Action::ResendActivation,
            AccountAction::EndSessions => Action::EndSessions,
            AccountAction::ResetSecondFactors => Action::ResetSecondFactors,
            AccountAction::Disable => Action::Disable,
            AccountAction::Enable => Action::Enable,
            AccountAction::Delete => Action::Delete,
        }
    }

    /// Whether it means anything for `user` at `now` (reading its locks and factors).
    pub async fn applies_now(
        self,
        p: &Provider,
        user: &User,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let locked = !locks_of(p.store.as_ref(), &user.id, now).await?.is_empty();
        let factors = !p.store.factors(&user.id).await?.is_empty();
        Ok(self.applies(user, locked, factors))
    }

    /// Does it to `who` through the administration module.
    pub async fn perform(
        self,
        p: &Arc<Provider>,
        admin: &Admin<'_>,
        who: &str,
        reason: &str,
    ) -> Result<(), AdminError> {
        match self {
            AccountAction::Unlock => admin.unlock(who, reason).await.map(drop),
            AccountAction::SendResetLink => admin.send_reset_link(p, who, reason).await.map(drop),
            AccountAction::ResendActivation => {
                admin.resend_activation(p, who, reason).await.map(drop)
            }
            AccountAction::EndSessions => admin.end_all_sessions(p, who, reason).await.map(drop),
            AccountAction::ResetSecondFactors => {
                admin.reset_second_factors(p, who, reason).await.map(drop)
            }
            AccountAction::Disable => admin.disable(p, who, reason).await.map(drop),
            AccountAction::Enable => admin.enable(p, who, reason).await.map(drop),
            AccountAction::Delete => admin.delete(who, reason).await.map(drop),
        }
    }
}
