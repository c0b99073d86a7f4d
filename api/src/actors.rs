//! The authenticated callers as the domain's actors (`domain::policy`), so that handlers
//! ask the policies instead of comparing role strings.

use crate::auth::{Citizen, Officer};
use domain::catalogue::DeclarantKind;
use domain::policy::{CitizenActor, OfficerActor, StaffRole};

impl Citizen {
    /// The citizen as the domain sees them.
    pub fn actor(&self) -> CitizenActor {
        CitizenActor {
            id: self.0.user_id.clone(),
            declarant: if self.0.business.is_some() {
                DeclarantKind::Business
            } else {
                DeclarantKind::Person
            },
            assurance: self.0.assurance,
            client_id: self.0.client_id.clone(),
        }
    }
}

impl Officer {
    /// The officer as the domain sees them. The extractor admits only the three staff
    /// roles; anything else reads as the least privileged.
    pub fn actor(&self) -> OfficerActor {
        OfficerActor {
            id: self.0.user_id.clone(),
            role: self
                .0
                .role
                .as_deref()
                .and_then(|r| r.parse().ok())
                .unwrap_or(StaffRole::Officer),
            units: self.0.units.clone(),
            client_id: self.0.client_id.clone(),
        }
    }
}
