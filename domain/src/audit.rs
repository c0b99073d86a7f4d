//! The audit trail required by EU Directive 2016/680 (Law Enforcement Directive),
//! article 25: every collection, alteration, consultation, disclosure, combination and
//! erasure of personal data is logged with who did it, when, and why. An event names the
//! object it touched, never the object's content.

use chrono::{DateTime, Utc};

code_enum!(
    /// What was done to personal data (the categories of article 25).
    AuditOperation, "audit operation", {
        Collection => "collection",
        Consultation => "consultation",
        Alteration => "alteration",
        Disclosure => "disclosure",
        Combination => "combination",
        Erasure => "erasure",
    }
);

code_enum!(
    /// Whether the access was allowed; denied attempts are recorded too.
    AuditOutcome, "audit outcome", {
        Allowed => "allowed",
        Denied => "denied",
    }
);

code_enum!(
    /// The kind of actor: a citizen, a police staff member, or the system itself.
    ActorRole, "actor role", {
        Citizen => "citizen",
        Business => "business",
        Officer => "officer",
        Supervisor => "supervisor",
        Admin => "admin",
        System => "system",
    }
);

/// Who acted: pseudonymous ids only, never a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    pub role: ActorRole,
    /// The unit the actor acted for, when an officer.
    pub unit: Option<String>,
    /// The client application (partner portal, app) that sent the request.
    pub client_id: Option<String>,
}

/// One entry of the audit trail, as recorded or about to be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub occurred_at: DateTime<Utc>,
    pub actor: Actor,
    pub operation: AuditOperation,
    /// The type of the object touched (`filing`, `unit_queue`, `audit_trail`, ...).
    pub object_type: String,
    /// Its id; `None` for a collection such as a queue listing.
    pub object_id: Option<String>,
    /// Why the actor needed the data (mandatory for officers' disclosures).
    pub justification: Option<String>,
    /// Who received the data, for a disclosure.
    pub recipient: Option<String>,
    pub outcome: AuditOutcome,
    pub request_id: Option<String>,
}

impl AuditEvent {
    /// An allowed operation by `actor` on the object `(object_type, object_id)`, at `now`,
    /// with no justification, recipient or request id yet.
    pub fn new(
        actor: Actor,
        operation: AuditOperation,
        object_type: &str,
        object_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Self {
        AuditEvent {
            occurred_at: now,
            actor,
            operation,
            object_type: object_type.to_owned(),
            object_id: object_id.map(str::to_owned),
            justification: None,
            recipient: None,
            outcome: AuditOutcome::Allowed,
            request_id: None,
        }
    }

    /// An allowed operation on a filing.
    pub fn about_filing(
        actor: Actor,
        operation: AuditOperation,
        filing: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self::new(actor, operation, "filing", Some(filing), now)
    }

    /// The same event, refused.
    pub fn denied(mut self) -> Self {
        self.outcome = AuditOutcome::Denied;
        self
    }
}

/// An audit event as stored, with the id the store gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedAuditEvent {
    pub id: i64,
    pub event: AuditEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips() {
        for op in AuditOperation::ALL {
            assert_eq!(op.as_str().parse::<AuditOperation>(), Ok(*op));
        }
        for outcome in AuditOutcome::ALL {
            assert_eq!(outcome.as_str().parse::<AuditOutcome>(), Ok(*outcome));
        }
        for role in ActorRole::ALL {
            assert_eq!(role.as_str().parse::<ActorRole>(), Ok(*role));
        }
    }

    #[test]
    fn unknown_code_is_an_error_naming_the_value() {
        let err = "deletion".parse::<AuditOperation>().unwrap_err();
        assert_eq!(err.to_string(), "unknown audit operation `deletion`");
    }
}
