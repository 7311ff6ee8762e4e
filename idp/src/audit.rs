//! The kinds of audit event: one enum, so a writer cannot misspell a kind and the metrics count
//! every kind there is. The store keeps the kind as its text ([`AuditKind::as_str`]), which is
//! what `gerbang audit` and exports show.

macro_rules! audit_kinds {
    ($($kind:ident => $text:literal,)*) => {
        /// What an audit event records.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditKind {
            $($kind,)*
        }

        impl AuditKind {
            /// Every kind, in the order the metrics list them.
            pub const ALL: &'static [AuditKind] = &[$(AuditKind::$kind,)*];

            /// The kind as the store and the metrics name it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditKind::$kind => $text,)*
                }
            }
        }
    };
}

audit_kinds! {
    LoginSuccess => "login.success",
    LoginFailure => "login.failure",
    LoginLocked => "login.locked",
    LoginUnlockMailed => "login.unlock_mailed",
    LoginDeviceUnlocked => "login.device_unlocked",
    LoginUnlocked => "login.unlocked",
    Logout => "logout",
    SessionsEnded => "sessions.ended",
    AccountRegistered => "account.registered",
    AccountRegistrationCollision => "account.registration_collision",
    AccountActivated => "account.activated",
    AccountActivationResent => "account.activation_resent",
    AccountEmailChanged => "account.email_changed",
    AccountPhoneChanged => "account.phone_changed",
    AccountCreated => "account.created",
    AccountDisabled => "account.disabled",
    AccountEnabled => "account.enabled",
    AccountDeleted => "account.deleted",
    PasswordChanged => "password.changed",
    PasswordReset => "password.reset",
    PasswordResetRequested => "password.reset_requested",
    PasswordSet => "password.set",
    TokenIssued => "token.issued",
    TokenRefused => "token.refused",
    TokenRevoked => "token.revoked",
    KeyRotated => "key.rotated",
    GroupGranted => "group.granted",
    GroupRevoked => "group.revoked",
    SecondFactorAdded => "second_factor.added",
    RecoveryCodesMade => "second_factor.recovery_codes_made",
    SecondFactorRemoved => "second_factor.removed",
    SecondFactorsReset => "second_factor.reset",
    DocumentViewed => "console.document_viewed",
    AuditExported => "console.audit_exported",
    FederationLogin => "federation.login",
    FederationRefused => "federation.refused",
    FederationLinked => "federation.linked",
    FederationUnlinked => "federation.unlinked",
}

impl AuditKind {
    /// Its place in [`AuditKind::ALL`] (the metrics' counter index).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for AuditKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_text_and_place() {
        let texts: std::collections::HashSet<&str> =
            AuditKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(texts.len(), AuditKind::ALL.len());
        for (i, kind) in AuditKind::ALL.iter().enumerate() {
            assert_eq!(kind.index(), i);
        }
    }
}
