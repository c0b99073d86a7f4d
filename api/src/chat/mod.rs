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
    /// Conversations something was said in since the idle loop last wrote their idle
    /// clock (`app::chat::spawn_idle_closing`): the clock is not written on each
    /// message's path.
    touched: std::sync::Mutex<std::collections::HashSet<String>>,
    /// On PostgreSQL, the publisher's queue (`app::chat::spawn_publisher`): what the
    /// requests publish meanwhile goes out in one transaction.
    pub publisher: std::sync::OnceLock<tokio::sync::mpsc::UnboundedSender<Publication>>,
}

/// Payloads to `NOTIFY`, and who waits for them to be sent.
pub type Publication = (
    Vec<String>,
    tokio::sync::oneshot::Sender<Result<(), String>>,
);

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
            touched: Default::default(),
            publisher: std::sync::OnceLock::new(),
        })
    }

    /// Something was said in `id`: its idle clock restarts at the idle loop's next round.
    pub fn touch(&self, id: &str) {
        let mut touched = match self.touched.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        touched.insert(id.to_owned());
    }

    /// The conversations touched since the last call.
    pub fn take_touched(&self) -> Vec<String> {
        let mut touched = match self.touched.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        touched.drain().collect()
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
