//! The chat's machinery across requests (docs/CHAT.md): the desks with their hours, the
//! hub of this instance (`hub`: who is connected here, what was said so far, in memory
//! only), the relay between instances (`relay`: PostgreSQL `LISTEN/NOTIFY`, or the
//! process itself on SQLite) and the protocol's frames (`protocol`). The connections'
//! loops are `routes::chat::session`'s.

pub mod hub;
pub mod protocol;
pub mod relay;

use crate::config::ChatSettings;
use domain::catalogue::Country;
use domain::chat::ServiceHours;

/// A chat desk.
#[derive(Debug, Clone)]
pub struct Desk {
    pub unit: String,
    pub countries: Vec<Country>,
    pub hours: ServiceHours,
}

/// The chat of a running service.
pub struct Chat {
    pub settings: ChatSettings,
    pub desks: Vec<Desk>,
    pub hub: hub::Hub,
    /// Whether events cross instances through PostgreSQL (else: this process only).
    pub postgres: bool,
}

impl Chat {
    /// The chat from its settings; an invalid desk (time zone, hours, country) is an
    /// error naming it.
    pub fn from_settings(settings: &ChatSettings, postgres: bool) -> Result<Chat, String> {
        let mut desks = Vec::new();
        for desk in &settings.desks {
            let countries = desk
                .countries
                .iter()
                .map(|c| {
                    c.parse::<Country>()
                        .map_err(|_| format!("chat desk {}: unknown country {c}", desk.unit))
                })
                .collect::<Result<Vec<_>, _>>()?;
            desks.push(Desk {
                unit: desk.unit.clone(),
                countries,
                hours: desk.service_hours()?,
            });
        }
        Ok(Chat {
            settings: settings.clone(),
            desks,
            hub: hub::Hub::default(),
            postgres,
        })
    }

    /// The desk answering citizens of `country`.
    pub fn desk_for(&self, country: Country) -> Option<&Desk> {
        self.desks.iter().find(|d| d.countries.contains(&country))
    }

    /// The desk `unit`.
    pub fn desk(&self, unit: &str) -> Option<&Desk> {
        self.desks.iter().find(|d| d.unit == unit)
    }
}
