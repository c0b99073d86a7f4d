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
        Auditor => "auditor",
        System => "system",
        /// Whoever holds an officer's upload link (no account; docs/EVIDENCE.md).
        LinkHolder => "link_holder",
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
    /// What was done, by name (`create_draft`, `submit`, `request_information`,
    /// `add_note`, `export`, `view_filing`, `list_queue`, ...): finer than the Art. 25
    /// category in `operation`. [`AuditEvent::new`] names it from the operation and the
    /// object ([`default_action`]); commands that know better set it.
    pub action: String,
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
            action: default_action(operation, object_type),
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

    /// The same event, naming its action (see [`AuditEvent::action`]).
    pub fn with_action(mut self, action: &str) -> Self {
        action.clone_into(&mut self.action);
        self
    }

    /// The same event, refused.
    pub fn denied(mut self) -> Self {
        self.outcome = AuditOutcome::Denied;
        self
    }
}

/// The action of an event built without one: the back office's reads and the unit
/// data's corrections have their own names (`list_queue`, `list_members`,
/// `view_filing`, `view_unit_contact`, `correct_unit_contact`, `export`,
/// `read_audit_trail`, `view_complainant_identity`, `export_complainant_identity`); anything else is `<operation>_<object type>`.
pub fn default_action(operation: AuditOperation, object_type: &str) -> String {
    use AuditOperation::*;
    match (operation, object_type) {
        (Consultation, "unit_queue") => "list_queue".into(),
        (Consultation, "unit_members") => "list_members".into(),
        (Consultation, "filing") => "view_filing".into(),
        (Consultation, "unit_contact") => "view_unit_contact".into(),
        (Alteration, "unit_contact") => "correct_unit_contact".into(),
        (Disclosure, "filing") => "export".into(),
        (Consultation, "complainant_identity") => "view_complainant_identity".into(),
        (Disclosure, "complainant_identity") => "export_complainant_identity".into(),
        (Consultation, "audit_trail") => "read_audit_trail".into(),
        (operation, object) => format!("{operation}_{object}"),
    }
}

/// An audit event as stored, with the id the store gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedAuditEvent {
    pub id: i64,
    pub event: AuditEvent,
}

/// The version tag that starts every leaf entry of the audit log.
pub const LEAF_ENTRY_TAG: &[u8] = b"ecommissariat-audit-event/v1\n";

impl RecordedAuditEvent {
    /// The bytes the audit log's leaf hashes (`SHA-256(0x00 || entry)`, see
    /// `crate::merkle`): [`LEAF_ENTRY_TAG`], then every field in a fixed order (id,
    /// time as RFC 3339 UTC with microseconds, actor id, role, unit, client id,
    /// operation, action, object type, object id, justification, recipient, outcome,
    /// request id), each as `0x00` when absent or `0x01`, its UTF-8 length as 4 bytes
    /// big-endian, and its bytes. Unambiguous: no two events share an entry.
    pub fn leaf_entry(&self) -> Vec<u8> {
        let e = &self.event;
        let id = self.id.to_string();
        let at = entry_time(e.occurred_at);
        leaf_entry(&[
            Some(&id),
            Some(&at),
            Some(&e.actor.id),
            Some(e.actor.role.as_str()),
            e.actor.unit.as_deref(),
            e.actor.client_id.as_deref(),
            Some(e.operation.as_str()),
            Some(&e.action),
            Some(&e.object_type),
            e.object_id.as_deref(),
            e.justification.as_deref(),
            e.recipient.as_deref(),
            Some(e.outcome.as_str()),
            e.request_id.as_deref(),
        ])
    }
}

/// An event's time as its leaf entry writes it: RFC 3339, UTC, microseconds.
pub fn entry_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The leaf entry of an event's stored fields, in the order of
/// [`RecordedAuditEvent::leaf_entry`] (the store hashes what it holds, whether or not
/// the domain can read it).
pub fn leaf_entry(fields: &[Option<&str>; 14]) -> Vec<u8> {
    let mut entry = LEAF_ENTRY_TAG.to_vec();
    for field in fields {
        match field {
            None => entry.push(0),
            Some(value) => {
                entry.push(1);
                entry.extend_from_slice(&(value.len() as u32).to_be_bytes());
                entry.extend_from_slice(value.as_bytes());
            }
        }
    }
    entry
}

/// A signed tree head of the audit log: its size, root and time, signed with Ed25519 by
/// the key named `key_id` over [`Checkpoint::signed_text`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// Events in the log (leaves of the tree).
    pub tree_size: u64,
    /// The Merkle tree's root (RFC 9162 `MTH`), lowercase hex of 32 bytes.
    pub root_hash: String,
    /// When the sealer signed it (UTC, microseconds).
    pub issued_at: DateTime<Utc>,
    /// The signing key's id: the first 8 bytes, hex, of SHA-256 of its public key.
    pub key_id: String,
    /// The Ed25519 signature of [`Checkpoint::signed_text`], standard base64.
    pub signature: String,
}

/// The first line of every checkpoint's signed text.
pub const CHECKPOINT_ORIGIN: &str = "ecommissariat-audit-log/v1";

impl Checkpoint {
    /// The bytes signed: four lines, each ending in `\n`: [`CHECKPOINT_ORIGIN`], the
    /// size in decimal, the root in lowercase hex, the time in RFC 3339 UTC with
    /// microseconds.
    pub fn signed_text(tree_size: u64, root_hash: &str, issued_at: DateTime<Utc>) -> String {
        format!(
            "{CHECKPOINT_ORIGIN}\n{tree_size}\n{root_hash}\n{}\n",
            entry_time(issued_at)
        )
    }

    /// This checkpoint's signed text.
    pub fn text(&self) -> String {
        Self::signed_text(self.tree_size, &self.root_hash, self.issued_at)
    }
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
    fn leaf_entries_tell_absent_from_empty_and_fields_apart() {
        let actor = Actor {
            id: "o-1".into(),
            role: ActorRole::Officer,
            unit: None,
            client_id: None,
        };
        let at = DateTime::parse_from_rfc3339("2026-11-30T10:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        let event = AuditEvent::new(actor, AuditOperation::Consultation, "filing", None, at);
        let a = RecordedAuditEvent { id: 7, event };
        let mut b = a.clone();
        b.event.object_id = Some(String::new());
        let mut c = a.clone();
        c.event.actor.id = "o-".into();
        c.event.actor.unit = Some("1".into());
        assert_ne!(a.leaf_entry(), b.leaf_entry());
        assert_ne!(a.leaf_entry(), c.leaf_entry());
        assert!(a.leaf_entry().starts_with(LEAF_ENTRY_TAG));
        let text = String::from_utf8_lossy(&a.leaf_entry()).into_owned();
        assert!(text.contains("2026-11-30T10:00:00.123456Z"), "{text}");
        assert_eq!(a.event.action, "view_filing");
        let queue = AuditEvent::new(
            a.event.actor.clone(),
            AuditOperation::Consultation,
            "unit_queue",
            Some("zp-1"),
            at,
        );
        assert_eq!(queue.action, "list_queue");
        assert_eq!(queue.with_action("x").action, "x");
    }

    #[test]
    fn unknown_code_is_an_error_naming_the_value() {
        let err = "deletion".parse::<AuditOperation>().unwrap_err();
        assert_eq!(err.to_string(), "unknown audit operation `deletion`");
    }
}
