//! Who acts: a citizen (a person or a business declarant) or a member of the police
//! staff with a role and unit memberships, as the identity provider vouched for them.

use crate::audit::{Actor, ActorRole};
use crate::catalogue::{Assurance, DeclarantKind};

crate::code_enum!(
    /// A police staff member's role, as the police identity provider states it.
    StaffRole, "staff role", {
        Officer => "officer",
        Supervisor => "supervisor",
        Admin => "admin",
        /// Reads the whole audit trail (a data protection officer, an inspector); acts
        /// in no unit.
        Auditor => "auditor",
    }
);

impl StaffRole {
    /// The role as the audit trail records it.
    pub fn audit_role(self) -> ActorRole {
        match self {
            StaffRole::Officer => ActorRole::Officer,
            StaffRole::Supervisor => ActorRole::Supervisor,
            StaffRole::Admin => ActorRole::Admin,
            StaffRole::Auditor => ActorRole::Auditor,
        }
    }
}

/// A citizen acting for themselves (or for their business).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenActor {
    /// Pseudonymous, stable id (never a name).
    pub id: String,
    pub declarant: DeclarantKind,
    /// The eIDAS level of assurance of this sign-in.
    pub assurance: Assurance,
    /// The client application that sent the request (`azp` / `client_id`).
    pub client_id: Option<String>,
    /// The partner acting for the citizen, when the client is a registered partner's
    /// (`None`: the police app).
    pub partner: Option<String>,
}

/// The owner id of the found objects a lost-property office files: `lost-property:<partner>`.
const LOST_PROPERTY_OWNER: &str = "lost-property:";

impl CitizenActor {
    /// The declarant of the found objects a municipality's lost-property office files
    /// (issue 20): the office itself, a business declarant, through its partner
    /// registration (the filings' channel is the partner), at the `substantial` level the
    /// partner's registration vouches for.
    pub fn lost_property_office(partner: &str, client_id: &str) -> CitizenActor {
        CitizenActor {
            id: format!("{LOST_PROPERTY_OWNER}{partner}"),
            declarant: DeclarantKind::Business,
            assurance: Assurance::Substantial,
            client_id: Some(client_id.to_owned()),
            partner: Some(partner.to_owned()),
        }
    }

    /// The partner id of the lost-property office that filed a filing owned by `owner`
    /// (`lost-property:<partner>`), or `None` when a person or another client owns it.
    pub fn lost_property_partner(owner: &str) -> Option<&str> {
        owner
            .strip_prefix(LOST_PROPERTY_OWNER)
            .filter(|partner| !partner.is_empty())
    }

    /// Whether this is a lost-property office filing the objects it holds: the daily
    /// submission quota of a person does not apply to it (its partner quota per minute
    /// does).
    pub fn is_lost_property_office(&self) -> bool {
        self.id.starts_with(LOST_PROPERTY_OWNER) && self.partner.is_some()
    }

    /// The actor as the audit trail records it.
    pub fn audit_actor(&self) -> Actor {
        Actor {
            id: self.id.clone(),
            role: match self.declarant {
                DeclarantKind::Person => ActorRole::Citizen,
                DeclarantKind::Business => ActorRole::Business,
            },
            unit: None,
            client_id: self.client_id.clone(),
        }
    }
}

/// A member of the police staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerActor {
    pub id: String,
    /// The name the police identity provider gives, for colleagues in the back office
    /// (never written to the audit trail).
    pub name: Option<String>,
    pub role: StaffRole,
    /// The units the officer belongs to.
    pub units: Vec<String>,
    pub client_id: Option<String>,
}

impl OfficerActor {
    /// The actor as the audit trail records it, acting for `unit` when they are one of
    /// its members. A refused attempt on another unit records the officer's own units
    /// (comma-separated), never the unit they tried to reach.
    pub fn audit_actor(&self, unit: Option<&str>) -> Actor {
        let unit = match unit {
            Some(unit) if self.is_member_of(unit) => Some(unit.to_owned()),
            _ if self.units.is_empty() => None,
            _ => Some(self.units.join(",")),
        };
        Actor {
            id: self.id.clone(),
            role: self.role.audit_role(),
            unit,
            client_id: self.client_id.clone(),
        }
    }

    pub fn is_member_of(&self, unit: &str) -> bool {
        self.units.iter().any(|u| u == unit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_property_offices_filings_name_its_partner() {
        let office = CitizenActor::lost_property_office("lpo-luxembourg", "client-1");
        assert!(office.is_lost_property_office());
        assert_eq!(
            CitizenActor::lost_property_partner(&office.id),
            Some("lpo-luxembourg")
        );
        for person in ["citizen-1", "lost-property:", "lost-propertyx"] {
            assert_eq!(
                CitizenActor::lost_property_partner(person),
                None,
                "{person}"
            );
        }
    }
}
