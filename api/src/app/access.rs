//! The data subject's right of access (EU Directive 2016/680, Art. 14; docs/ACCESS.md):
//! everything the service holds about the citizen. Their own data only: every query names them as owner,
//! and through a partner only the filings made through it (and what hangs on them).

use super::filings::Loaded;
use super::with_db;
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use chrono::{DateTime, Utc};
use domain::appointments::Appointment;
use domain::policy::CitizenActor;
use persistence::alerts::{StoredAlert, TrackPoint};
use persistence::filings as repo;
use persistence::notifications::{FeedQuery, StoredNotice};

/// How many of each kind an export holds at most (far above what one citizen files: the
/// daily quota caps their filings).
pub const EXPORT_MAX: i64 = 10_000;

/// One filing with what hangs on it.
pub struct ExportedFiling {
    pub loaded: Loaded,
    /// When it was handed over to the records system (the recipients).
    pub hand_overs: Vec<DateTime<Utc>>,
    /// Whether an officer restricted it (kept as evidence, Art. 16(3)).
    pub restricted: bool,
}

/// Everything held about one citizen.
pub struct Export {
    pub filings: Vec<ExportedFiling>,
    pub notifications: Vec<StoredNotice>,
    pub appointments: Vec<Appointment>,
    /// Their alerts with their tracks (not through a partner: alerts are the app's).
    pub alerts: Vec<(StoredAlert, Vec<TrackPoint>)>,
    /// Whether some data was left out because an officer restricted access to it
    /// (Art. 15(1)); never which.
    pub withheld: bool,
}

/// The citizen's export at the time of the call.
pub async fn export(
    state: &web::Data<AppState>,
    citizen: &CitizenActor,
) -> Result<Export, ApiError> {
    let citizen = citizen.clone();
    with_db(state, move |conn| gather(conn, &citizen)).await
}

fn gather(
    conn: &mut persistence::DbConnection,
    citizen: &CitizenActor,
) -> Result<Export, ApiError> {
    let mut owned = repo::list_owned(
        conn,
        &citizen.id,
        citizen.partner.as_deref(),
        None,
        None,
        EXPORT_MAX,
    )?;
    owned.retain(|f| domain::policy::citizen_may_see(citizen, f));
    // Filings an officer withheld (Art. 15(1)) are left out, with what hangs on them.
    let ids: Vec<String> = owned.iter().map(|f| f.id.clone()).collect();
    let withheld = persistence::access_restriction::withheld_among(conn, &ids)?;
    owned.retain(|f| !withheld.contains(&f.id));
    owned.reverse();
    let mut filings = Vec::with_capacity(owned.len());
    for filing in owned {
        let hand_overs = persistence::retention::hand_overs(conn, &filing.id)?;
        let restricted = persistence::restriction::is_restricted(conn, &filing.id)?;
        filings.push(ExportedFiling {
            loaded: crate::app::filings::loaded(conn, filing)?,
            hand_overs,
            restricted,
        });
    }
    let ids: std::collections::HashSet<&str> = filings
        .iter()
        .map(|f| f.loaded.filing.id.as_str())
        .collect();
    let mut notifications =
        persistence::notifications::list(conn, &citizen.id, &FeedQuery::default(), EXPORT_MAX)?;
    notifications.retain(|n| ids.contains(n.filing_id.as_str()));
    notifications.reverse();
    let mut appointments = persistence::appointments::of_owner(conn, &citizen.id, EXPORT_MAX)?;
    appointments.retain(|a| ids.contains(a.filing_id.as_str()));
    let mut alerts = Vec::new();
    if citizen.partner.is_none() {
        for alert in persistence::alerts::of_citizen(conn, &citizen.id, EXPORT_MAX)? {
            let track = persistence::alerts::track(conn, &alert.id)?;
            alerts.push((alert, track));
        }
    }
    Ok(Export {
        filings,
        notifications,
        appointments,
        alerts,
        withheld: !withheld.is_empty(),
    })
}
