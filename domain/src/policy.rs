//! Who may do what: one function per question, so that no handler compares role strings.
//!
//! The actors are what the identity provider vouched for: a citizen (a person or a
//! business declarant) or a member of the police staff with a role and unit memberships.
//! The questions follow the seed documents: a citizen sees only their own filings
//! (another's is answered like a missing one), an officer acts only for the units they
//! belong to; supervisors and administrators read the audit trail of EU Directive
//! 2016/680 Art. 25 for their own units, auditors read all of it.

pub use crate::actor::{CitizenActor, OfficerActor, StaffRole};
use crate::filing::{Filing, FilingAction};

/// May this citizen see this filing? Only their own; and when a partner acts for them,
/// only those made through that partner (OWASP API1: a partner never sees another
/// partner's filings, nor the app's).
pub fn citizen_may_see(citizen: &CitizenActor, filing: &Filing) -> bool {
    filing.owner == citizen.id && (citizen.partner.is_none() || filing.channel == citizen.partner)
}

/// Does this lost-property office hold the found object of `filing` (issue 20)? Only
/// the found objects it filed itself, through its own registration: another partner's,
/// another municipality's office's, a citizen's or the police's filings are not its own
/// (404, like a missing filing).
pub fn lost_property_office_holds(office: &CitizenActor, filing: &Filing) -> bool {
    office.is_lost_property_office()
        && citizen_may_see(office, filing)
        && filing.procedure == "found_object"
}

/// May this officer read the back office of `unit` (its queue, its filings, its roster)?
/// Members of the unit only, whatever their role.
pub fn officer_may_access_unit(officer: &OfficerActor, unit: &str) -> bool {
    officer.is_member_of(unit)
}

/// May this officer do `action` to a filing of `unit`? A member of the unit may do every
/// back-office action; citizens' actions are never an officer's.
pub fn officer_may_act(officer: &OfficerActor, unit: &str, action: FilingAction) -> bool {
    officer_may_access_unit(officer, unit) && action.is_officers()
}

/// May this officer read the audit trail? Supervisors and administrators (for their
/// units, see [`audit_scope`]) and auditors.
pub fn may_read_audit_trail(officer: &OfficerActor) -> bool {
    matches!(
        officer.role,
        StaffRole::Supervisor | StaffRole::Admin | StaffRole::Auditor
    )
}

/// Which audit events an officer allowed to read the trail reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditScope {
    /// Every event (auditors).
    All,
    /// The events of these units: those of actors acting for them, and those about their
    /// filings (whoever acted) and their queue, roster and contact data.
    Units(Vec<String>),
}

/// The part of the audit trail this officer reads: all of it for an auditor, their own
/// units' for a supervisor or an administrator (an administrator runs the platform, and is
/// among those the trail must watch). Only meaningful when [`may_read_audit_trail`].
pub fn audit_scope(officer: &OfficerActor) -> AuditScope {
    match officer.role {
        StaffRole::Auditor => AuditScope::All,
        _ => AuditScope::Units(officer.units.clone()),
    }
}

/// May this officer correct the reference data of `unit` (its contact details)? Its own
/// supervisors, and administrators.
pub fn may_maintain_unit(officer: &OfficerActor, unit: &str) -> bool {
    match officer.role {
        StaffRole::Admin => true,
        StaffRole::Supervisor => officer.is_member_of(unit),
        StaffRole::Officer | StaffRole::Auditor => false,
    }
}

/// May this officer import the counts filed at the counter of `unit` (open statistics,
/// docs/STATISTICS.md)? Its supervisors and the administrators who are members of it:
/// officers of that unit only.
pub fn may_import_counter_counts(officer: &OfficerActor, unit: &str) -> bool {
    matches!(officer.role, StaffRole::Supervisor | StaffRole::Admin) && officer.is_member_of(unit)
}

/// May this officer see the clusters of linked cases of `unit` (identifiers shared by
/// several filings, with counts per unit; issue 20)? Its supervisors, and administrators
/// who are members of it.
pub fn may_see_link_clusters(officer: &OfficerActor, unit: &str) -> bool {
    matches!(officer.role, StaffRole::Supervisor | StaffRole::Admin) && officer.is_member_of(unit)
}

/// May this staff member register, change, disable or read the partners (portals, zone
/// websites) and rotate their signing secrets? Administrators only: a partner acts for
/// citizens across every unit.
pub fn may_administer_partners(officer: &OfficerActor) -> bool {
    officer.role == StaffRole::Admin
}

/// May this staff member read the record of processing activities (Directive 2016/680,
/// Art. 24)? The data protection officer's: administrators and auditors.
pub fn may_read_records_of_processing(officer: &OfficerActor) -> bool {
    matches!(officer.role, StaffRole::Admin | StaffRole::Auditor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn officer(role: StaffRole, units: &[&str]) -> OfficerActor {
        OfficerActor {
            id: "o-1".into(),
            name: None,
            role,
            units: units.iter().map(|u| u.to_string()).collect(),
            client_id: None,
        }
    }

    #[test]
    fn officers_act_for_their_own_units_only() {
        let o = officer(StaffRole::Officer, &["zp-a"]);
        assert!(officer_may_act(&o, "zp-a", FilingAction::Register));
        assert!(!officer_may_act(&o, "zp-b", FilingAction::Register));
        assert!(!officer_may_act(&o, "zp-a", FilingAction::Submit));
        assert!(!may_read_audit_trail(&o));
        assert!(may_read_audit_trail(&officer(StaffRole::Supervisor, &[])));
        assert!(may_read_audit_trail(&officer(StaffRole::Auditor, &[])));
        assert_eq!(
            audit_scope(&officer(StaffRole::Auditor, &[])),
            AuditScope::All
        );
        assert_eq!(
            audit_scope(&officer(StaffRole::Supervisor, &["zp-a"])),
            AuditScope::Units(vec!["zp-a".into()])
        );
        assert_eq!(
            audit_scope(&officer(StaffRole::Admin, &["zp-a"])),
            AuditScope::Units(vec!["zp-a".into()])
        );
        assert!(!may_maintain_unit(
            &officer(StaffRole::Auditor, &["zp-a"]),
            "zp-a"
        ));
    }

    #[test]
    fn a_refused_attempt_records_the_actors_own_units() {
        let o = officer(StaffRole::Officer, &["zp-a", "zp-c"]);
        assert_eq!(
            o.audit_actor(Some("zp-b")).unit.as_deref(),
            Some("zp-a,zp-c")
        );
        assert_eq!(o.audit_actor(Some("zp-a")).unit.as_deref(), Some("zp-a"));
        assert_eq!(
            officer(StaffRole::Officer, &[])
                .audit_actor(Some("zp-b"))
                .unit,
            None
        );
    }

    #[test]
    fn unit_maintenance_is_for_its_supervisors() {
        assert!(may_maintain_unit(
            &officer(StaffRole::Supervisor, &["zp-a"]),
            "zp-a"
        ));
        assert!(!may_maintain_unit(
            &officer(StaffRole::Supervisor, &["zp-a"]),
            "zp-b"
        ));
        assert!(!may_maintain_unit(
            &officer(StaffRole::Officer, &["zp-a"]),
            "zp-a"
        ));
        assert!(may_maintain_unit(&officer(StaffRole::Admin, &[]), "zp-b"));
    }
}
