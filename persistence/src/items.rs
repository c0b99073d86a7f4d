//! Items as records (issue 20, docs/ITEMS.md): a filing's objects and identifiers, read
//! from its facts by `domain::items::extract` and written by [`index`] in the filing's
//! own transaction (`filings::save_state`); the public stolen-item check's look-up
//! ([`reported`]) and counts ([`count_check`]); the start-up backfill of filings saved
//! before the table existed ([`backfill`]).

use crate::db::DbConnection;
use crate::error::PersistenceError;
use crate::filings::FilingRow;
use crate::idempotency::{from_db_time, to_db_time};
use crate::schema::{
    filings as f, item_backfills as b, item_fingerprints as fp, item_identifiers as ii, items as it,
};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use domain::filing::Filing;
use domain::identifiers::IdentifierKind;
use domain::items::{extract, ReportedItem, REPORTED_STATUSES};

/// The name of the backfill of the existing filings' items (run once).
pub const BACKFILL: &str = "items-v1";

/// Writes `filing`'s items and identifiers, if they changed since the last save (their
/// fingerprint): the old rows are replaced, and the items at the positions already
/// recovered (handed back) stay recovered.
/// A draft's items are not records yet (nothing reads them: the check, matching and
/// linking see submitted filings only); they are written when it is submitted.
pub fn index(conn: &mut DbConnection, filing: &Filing) -> Result<(), PersistenceError> {
    if filing.status == domain::filing::FilingStatus::Draft {
        return Ok(());
    }
    let extract = extract(filing);
    let stored: Option<String> = fp::table
        .find(&filing.id)
        .select(fp::fingerprint)
        .first(conn)
        .optional()?;
    // The objects already handed back, by position: a re-indexed filing keeps them
    // recovered (an object handed back is not reported stolen again because its
    // declaration was closed, edited, or indexed under newer rules).
    let mut recovered: Vec<(i32, NaiveDateTime)> = Vec::new();
    match stored {
        Some(stored) if stored == extract.fingerprint => return Ok(()),
        // Rows are written with their fingerprint: none stored, none to replace.
        Some(_) => {
            recovered = it::table
                .filter(it::filing_id.eq(&filing.id))
                .filter(it::recovered_at.is_not_null())
                .select((it::position, it::recovered_at.assume_not_null()))
                .load(conn)?;
            delete_of(conn, &filing.id)?;
        }
        None => {}
    }
    let items: Vec<_> = extract
        .items
        .iter()
        .map(|item| {
            (
                it::filing_id.eq(&filing.id),
                it::position.eq(item.position),
                it::role.eq(item.role.as_str()),
                it::category.eq(&item.category),
                it::brand.eq(&item.brand),
                it::model.eq(&item.model),
                it::colour.eq(&item.colour),
                it::description.eq(&item.description),
                it::serial_typed.eq(&item.serial_typed),
                it::lat.eq(item.lat),
                it::lon.eq(item.lon),
                it::municipality_id.eq(&item.municipality),
                it::occurred_at.eq(item.occurred_at.map(to_db_time)),
            )
        })
        .collect();
    // One multi-row statement per table (diesel builds it per backend, not for both).
    if !items.is_empty() {
        match conn {
            DbConnection::Postgresql(pg) => {
                diesel::insert_into(it::table).values(items).execute(pg)
            }
            DbConnection::Sqlite(lite) => {
                diesel::insert_into(it::table).values(items).execute(lite)
            }
        }?;
    }
    let identifiers: Vec<_> = extract
        .identifiers
        .iter()
        .map(|id| {
            (
                ii::filing_id.eq(&filing.id),
                ii::item_position.eq(id.item),
                ii::kind.eq(id.identifier.kind.as_str()),
                ii::normalised.eq(&id.identifier.normalised),
                ii::typed.eq(&id.identifier.typed),
            )
        })
        .collect();
    if !identifiers.is_empty() {
        match conn {
            DbConnection::Postgresql(pg) => diesel::insert_into(ii::table)
                .values(identifiers)
                .execute(pg),
            DbConnection::Sqlite(lite) => diesel::insert_into(ii::table)
                .values(identifiers)
                .execute(lite),
        }?;
    }
    diesel::insert_into(fp::table)
        .values((
            fp::filing_id.eq(&filing.id),
            fp::fingerprint.eq(&extract.fingerprint),
        ))
        .execute(conn)?;
    for (position, at) in recovered {
        diesel::update(
            it::table
                .filter(it::filing_id.eq(&filing.id))
                .filter(it::position.eq(position)),
        )
        .set(it::recovered_at.eq(Some(at)))
        .execute(conn)?;
    }
    Ok(())
}

/// Deletes a filing's items, identifiers and fingerprint (before re-indexing it, and when
/// retention erases it).
pub fn delete_of(conn: &mut DbConnection, filing: &str) -> Result<(), PersistenceError> {
    diesel::delete(ii::table.filter(ii::filing_id.eq(filing))).execute(conn)?;
    diesel::delete(it::table.filter(it::filing_id.eq(filing))).execute(conn)?;
    diesel::delete(fp::table.filter(fp::filing_id.eq(filing))).execute(conn)?;
    Ok(())
}

/// The stolen items that an object identifier designates (`normalised`, compared with
/// every object kind): items of theft complaints in a reported status, not erased, not
/// recovered.
pub fn reported(
    conn: &mut DbConnection,
    normalised: &str,
) -> Result<Vec<ReportedItem>, PersistenceError> {
    let kinds: Vec<&str> = domain::items::OBJECT_KINDS
        .iter()
        .map(|k| k.as_str())
        .collect();
    let statuses: Vec<&str> = REPORTED_STATUSES.iter().map(|s| s.as_str()).collect();
    let rows: Vec<(String, Option<NaiveDateTime>)> = ii::table
        .inner_join(
            it::table.on(it::filing_id
                .eq(ii::filing_id)
                .and(it::position.nullable().eq(ii::item_position))),
        )
        .inner_join(f::table.on(f::id.eq(ii::filing_id)))
        .filter(ii::normalised.eq(normalised))
        .filter(ii::kind.eq_any(kinds))
        .filter(it::role.eq(domain::items::ItemRole::Stolen.as_str()))
        .filter(it::recovered_at.is_null())
        .filter(f::status.eq_any(statuses))
        .filter(f::erased_at.is_null())
        .select((it::category, f::submitted_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(category, at)| {
            at.map(|at| ReportedItem {
                category,
                submitted_at: from_db_time(at),
            })
        })
        .collect())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Counts one public check of `kind` answered `outcome` (`reported`, `not_reported`) on
/// the UTC day of `now`: no IP, no identifier. Returns the day's count so far.
///
/// On PostgreSQL the count commits without waiting for the WAL to reach the disk
/// (`SET LOCAL synchronous_commit TO OFF`): a count lost in a crash is acceptable for
/// statistics, and the public check would otherwise wait for an fsync on each request
/// (about 2.3 ms idle, far more under load; `bench/RESULTS.md`, issue 20).
pub fn count_check(
    conn: &mut DbConnection,
    kind: IdentifierKind,
    outcome: &str,
    now: DateTime<Utc>,
) -> Result<i64, PersistenceError> {
    let day = now.format("%Y-%m-%d").to_string();
    let upsert = crate::db::sql_query(
        conn,
        "INSERT INTO item_checks (day, kind, outcome, count) VALUES ($1, $2, $3, 1) \
         ON CONFLICT (day, kind, outcome) DO UPDATE SET count = item_checks.count + 1 \
         RETURNING count",
    )
    .bind::<Text, _>(day)
    .bind::<Text, _>(kind.as_str())
    .bind::<Text, _>(outcome.to_owned());
    let count = match conn {
        DbConnection::Postgresql(pg) => pg.transaction(|c| {
            diesel::sql_query("SET LOCAL synchronous_commit TO OFF").execute(c)?;
            upsert.get_result::<Count>(c)
        })?,
        DbConnection::Sqlite(sqlite) => upsert.get_result::<Count>(sqlite)?,
    }
    .count;
    Ok(count)
}

/// The checks counted, as `(day, kind, outcome, count)`, oldest first.
pub fn check_counts(
    conn: &mut DbConnection,
) -> Result<Vec<(String, String, String, i64)>, PersistenceError> {
    use crate::schema::item_checks as c;
    Ok(c::table
        .order((c::day.asc(), c::kind.asc(), c::outcome.asc()))
        .select((c::day, c::kind, c::outcome, c::count))
        .load(conn)?)
}

/// Reads the items of every filing saved before items were records (once: the run is
/// recorded in `item_backfills`). Called with the migrations (on PostgreSQL under their
/// advisory lock, so that replicas do it once). Returns how many filings it indexed; a
/// filing the domain cannot read is skipped.
pub fn backfill(conn: &mut DbConnection) -> Result<usize, PersistenceError> {
    let done = b::table
        .find(BACKFILL)
        .select(b::name)
        .first::<String>(conn)
        .optional()?
        .is_some();
    if done {
        return Ok(0);
    }
    const BATCH: i64 = 500;
    let mut after = String::new();
    let mut total = 0;
    loop {
        let rows: Vec<FilingRow> = f::table
            .filter(f::erased_at.is_null())
            .filter(f::id.gt(&after))
            .order(f::id.asc())
            .limit(BATCH)
            .select(FilingRow::as_select())
            .load(conn)?;
        let Some(last) = rows.last().map(|r| r.id.clone()) else {
            break;
        };
        conn.write_transaction(|conn| {
            for row in rows {
                // A row the domain cannot read is left unindexed rather than stopping
                // the start-up (it is reported wherever the filing is read).
                let id = row.id.clone();
                let filing = match Filing::try_from(row) {
                    Ok(filing) => filing,
                    Err(error) => {
                        tracing::warn!(filing = %id, %error, "items not indexed: unreadable filing");
                        continue;
                    }
                };
                index(conn, &filing)?;
                total += 1;
            }
            Ok::<_, PersistenceError>(())
        })?;
        after = last;
    }
    diesel::insert_into(b::table)
        .values((b::name.eq(BACKFILL), b::done_at.eq(to_db_time(Utc::now()))))
        .execute(conn)?;
    Ok(total)
}

/// The other submitted (not erased) filings holding one of the identifiers of filing
/// `filing` of `unit`, one row per shared identifier (kinds compared by the domain:
/// `domain::items::links`); `None` when `unit` holds no such filing, or holds it erased.
/// Two reads: the filing with its identifiers (a left join: a filing without
/// any is still found), then the other filings holding them (the normalised form is
/// indexed); none when it has no identifier.
pub fn shared_in_unit(
    conn: &mut DbConnection,
    unit: &str,
    filing: &str,
) -> Result<Option<Vec<domain::items::links::SharedRow>>, PersistenceError> {
    let found: Vec<(Option<String>, Option<String>)> = f::table
        .left_join(ii::table.on(ii::filing_id.eq(f::id)))
        .filter(f::id.eq(filing))
        .filter(f::unit_id.eq(unit))
        .filter(f::erased_at.is_null())
        .select((ii::kind.nullable(), ii::normalised.nullable()))
        .distinct()
        .load(conn)?;
    if found.is_empty() {
        return Ok(None);
    }
    let ours: Vec<(String, String)> = found
        .into_iter()
        .filter_map(|(kind, value)| kind.zip(value))
        .collect();
    Ok(Some(shared_rows(conn, filing, &ours)?))
}

/// The rows of [`shared_in_unit`], for `ours`: filing `filing`'s (kind, normalised)
/// identifiers.
fn shared_rows(
    conn: &mut DbConnection,
    filing: &str,
    ours: &[(String, String)],
) -> Result<Vec<domain::items::links::SharedRow>, PersistenceError> {
    if ours.is_empty() {
        return Ok(Vec::new());
    }
    type Row = (
        String,
        String,
        String,
        Option<String>,
        Option<String>,
        String,
        String,
        Option<NaiveDateTime>,
    );
    // Every other filing holding one of ours, in one read (the normalised form is
    // indexed); each row is then paired with our identifiers of that value.
    let values: Vec<&str> = ours.iter().map(|(_, v)| v.as_str()).collect();
    let rows: Vec<Row> = ii::table
        .inner_join(f::table.on(f::id.eq(ii::filing_id)))
        .filter(ii::normalised.eq_any(values))
        .filter(ii::filing_id.ne(filing))
        .filter(f::erased_at.is_null())
        .filter(f::submitted_at.is_not_null())
        .select((
            ii::normalised,
            ii::filing_id,
            ii::kind,
            f::unit_id,
            f::reference,
            f::procedure_code,
            f::status,
            f::submitted_at,
        ))
        .load(conn)?;
    let mut out = Vec::new();
    for (our_kind, normalised) in ours {
        let Ok(ours) = our_kind.parse::<IdentifierKind>() else {
            continue;
        };
        for (value, filing_id, kind, unit, reference, procedure, status, submitted_at) in &rows {
            let (true, Ok(theirs)) = (value == normalised, kind.parse::<IdentifierKind>()) else {
                continue;
            };
            out.push(domain::items::links::SharedRow {
                filing_id: filing_id.clone(),
                unit: unit.clone(),
                reference: reference.clone(),
                procedure: procedure.clone(),
                status: status.clone(),
                submitted_at: submitted_at.map(from_db_time),
                theirs,
                ours,
            });
        }
    }
    Ok(out)
}

/// Every submitted, not erased filing's identifier whose normalised form one of `unit`'s
/// filings also holds: the material of the unit's clusters.
pub fn cluster_rows(
    conn: &mut DbConnection,
    unit: &str,
) -> Result<Vec<domain::items::links::ClusterRow>, PersistenceError> {
    let of_unit: Vec<String> = ii::table
        .inner_join(f::table.on(f::id.eq(ii::filing_id)))
        .filter(f::unit_id.eq(unit))
        .filter(f::erased_at.is_null())
        .filter(f::submitted_at.is_not_null())
        .select(ii::normalised)
        .distinct()
        .load(conn)?;
    let rows: Vec<(String, String, Option<String>, String)> = ii::table
        .inner_join(f::table.on(f::id.eq(ii::filing_id)))
        .filter(ii::normalised.eq_any(of_unit))
        .filter(f::erased_at.is_null())
        .filter(f::submitted_at.is_not_null())
        .select((ii::kind, ii::normalised, f::unit_id, ii::filing_id))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, normalised, unit, filing_id)| {
            Some(domain::items::links::ClusterRow {
                kind: kind.parse().ok()?,
                normalised,
                unit,
                filing_id,
            })
        })
        .collect())
}

/// A stored item as matching reads it, with its filing's unit and reference.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    pub filing_id: String,
    pub position: i32,
    pub role: String,
    pub unit: Option<String>,
    pub reference: Option<String>,
    pub sighting: domain::items::matching::Sighting,
}

type ItemRow = (
    String,
    i32,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
    Option<String>,
    Option<NaiveDateTime>,
    Option<String>,
    Option<String>,
);

macro_rules! item_columns {
    () => {
        (
            it::filing_id,
            it::position,
            it::role,
            it::category,
            it::brand,
            it::model,
            it::colour,
            it::description,
            it::lat,
            it::lon,
            it::municipality_id,
            it::occurred_at,
            f::unit_id,
            f::reference,
        )
    };
}

fn stored(row: ItemRow) -> StoredItem {
    let (
        filing_id,
        position,
        role,
        category,
        brand,
        model,
        colour,
        description,
        lat,
        lon,
        municipality,
        at,
        unit,
        reference,
    ) = row;
    StoredItem {
        filing_id,
        position,
        role,
        unit,
        reference,
        sighting: domain::items::matching::Sighting {
            category,
            brand,
            model,
            colour,
            description,
            identifiers: Vec::new(),
            lat,
            lon,
            municipality,
            at: at.map(from_db_time),
        },
    }
}

/// Fills each item's identifiers (one query for all of them).
fn with_identifiers(
    conn: &mut DbConnection,
    mut items: Vec<StoredItem>,
) -> Result<Vec<StoredItem>, PersistenceError> {
    if items.is_empty() {
        return Ok(items);
    }
    let ids: Vec<String> = items.iter().map(|i| i.filing_id.clone()).collect();
    let rows: Vec<(String, Option<i32>, String, String)> = ii::table
        .filter(ii::filing_id.eq_any(ids))
        .select((ii::filing_id, ii::item_position, ii::kind, ii::normalised))
        .load(conn)?;
    // Each item's place in `items`, by (filing, position): one pass over the rows.
    let mut at: std::collections::HashMap<(&str, i32), Vec<usize>> =
        std::collections::HashMap::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        at.entry((item.filing_id.as_str(), item.position))
            .or_default()
            .push(index);
    }
    let mut found: Vec<(usize, IdentifierKind, String)> = Vec::new();
    for (filing, position, kind, normalised) in rows {
        let (Ok(kind), Some(position)) = (kind.parse::<IdentifierKind>(), position) else {
            continue;
        };
        for &index in at.get(&(filing.as_str(), position)).into_iter().flatten() {
            found.push((index, kind, normalised.clone()));
        }
    }
    for (index, kind, normalised) in found {
        items[index].sighting.identifiers.push((kind, normalised));
    }
    Ok(items)
}

/// The items of filing `id`, with their identifiers.
pub fn items_of(conn: &mut DbConnection, id: &str) -> Result<Vec<StoredItem>, PersistenceError> {
    items_read(conn, id, false)
}

/// The items of filing `id` not yet handed back (not recovered), with their identifiers:
/// what matching probes with.
pub fn items_waiting(
    conn: &mut DbConnection,
    id: &str,
) -> Result<Vec<StoredItem>, PersistenceError> {
    items_read(conn, id, true)
}

fn items_read(
    conn: &mut DbConnection,
    id: &str,
    waiting_only: bool,
) -> Result<Vec<StoredItem>, PersistenceError> {
    let mut query = it::table
        .inner_join(f::table.on(f::id.eq(it::filing_id)))
        .filter(it::filing_id.eq(id))
        .into_boxed();
    if waiting_only {
        query = query.filter(it::recovered_at.is_null());
    }
    let rows: Vec<ItemRow> = query
        .order(it::position.asc())
        .select(item_columns!())
        .load(conn)?;
    with_identifiers(conn, rows.into_iter().map(stored).collect())
}

/// The statuses in which a lost, stolen or found object is still waiting for its match:
/// submitted and not withdrawn, rejected or closed.
pub const MATCHABLE_STATUSES: [&str; 6] = [
    "submitted",
    "transferred",
    "taken_in_charge",
    "info_requested",
    "registered",
    "redirected",
];

/// The longest list of candidates read for one probe (the closest in latitude first
/// would need a spatial index; the band and the window keep the list short).
pub const MAX_CANDIDATES: i64 = 2_000;

/// The unrecovered items of `roles` in matchable filings that could be `probe`: of a
/// compatible kind, in the latitude band of `radius_m` (or without coordinates), in the
/// time window before (`found_probe`) or after the probe (`items_matching_idx` covers
/// all four); and, wherever they are, those
/// holding one of the probe's object identifiers.
pub fn candidates(
    conn: &mut DbConnection,
    roles: &[&str],
    probe: &domain::items::matching::Sighting,
    found_probe: bool,
    settings: &domain::items::matching::MatchSettings,
) -> Result<Vec<StoredItem>, PersistenceError> {
    // The filters every read shares; the place is added per read, so that each is one
    // index range: `items_matching_idx` (role, category, lat, lon, occurred_at), or for a
    // probe of category `other`, which may be any object, `items_matching_any_idx` (role,
    // lat, lon, occurred_at). The box of the radius is checked on the index's entries
    // (matching refuses a place beyond the radius anyway). An `OR lat IS NULL` would
    // leave the latitude out of the index's bounds; the items without coordinates are a
    // read of their own.
    let window = probe.at.map(|at| {
        let window = chrono::Duration::days(settings.window_days.max(0));
        let slack = chrono::Duration::days(1);
        let (from, until) = if found_probe {
            (at - window, at + slack)
        } else {
            (at - slack, at + window)
        };
        (to_db_time(from), to_db_time(until))
    });
    let base = || {
        let mut query = it::table
            .inner_join(f::table.on(f::id.eq(it::filing_id)))
            .filter(it::role.eq_any(roles.to_vec()))
            .filter(it::recovered_at.is_null())
            .filter(f::status.eq_any(MATCHABLE_STATUSES))
            .filter(f::erased_at.is_null())
            .into_boxed();
        if probe.category != "other" {
            query = query.filter(it::category.eq_any(vec![probe.category.clone(), "other".into()]));
        }
        if let Some((from, until)) = window {
            query = query.filter(it::occurred_at.between(from, until));
        }
        query.select(item_columns!())
    };
    let mut rows: Vec<ItemRow> = match probe.lat {
        Some(lat) => {
            // The bounding box of the radius: a degree of latitude is 111 km, one of
            // longitude 111 km × cos(latitude) (bounded away from the poles).
            let band = settings.radius_m / 111_000.0;
            let mut query = base().filter(it::lat.between(lat - band, lat + band));
            if let Some(lon) = probe.lon {
                let wide = band / lat.to_radians().cos().max(0.01);
                query = query.filter(it::lon.between(lon - wide, lon + wide));
            }
            let mut rows: Vec<ItemRow> = query.limit(MAX_CANDIDATES).load(conn)?;
            let room = MAX_CANDIDATES - i64::try_from(rows.len()).unwrap_or(MAX_CANDIDATES);
            if room > 0 {
                rows.extend(
                    base()
                        .filter(it::lat.is_null())
                        .limit(room)
                        .load::<ItemRow>(conn)?,
                );
            }
            rows
        }
        None => base().limit(MAX_CANDIDATES).load(conn)?,
    };
    let object_ids: Vec<String> = probe
        .identifiers
        .iter()
        .filter(|(k, _)| domain::items::OBJECT_KINDS.contains(k))
        .map(|(_, v)| v.clone())
        .collect();
    if !object_ids.is_empty() {
        let kinds: Vec<&str> = domain::items::OBJECT_KINDS
            .iter()
            .map(|k| k.as_str())
            .collect();
        let same: Vec<ItemRow> = it::table
            .inner_join(f::table.on(f::id.eq(it::filing_id)))
            .inner_join(
                ii::table.on(ii::filing_id
                    .eq(it::filing_id)
                    .and(ii::item_position.eq(it::position.nullable()))),
            )
            .filter(ii::normalised.eq_any(object_ids))
            .filter(ii::kind.eq_any(kinds))
            .filter(it::role.eq_any(roles.to_vec()))
            .filter(it::recovered_at.is_null())
            .filter(f::status.eq_any(MATCHABLE_STATUSES))
            .filter(f::erased_at.is_null())
            .select(item_columns!())
            .load(conn)?;
        for row in same {
            if !rows.iter().any(|r| r.0 == row.0 && r.1 == row.1) {
                rows.push(row);
            }
        }
    }
    with_identifiers(conn, rows.into_iter().map(stored).collect())
}

/// Marks the items of filing `filing` at `positions` recovered at `at` (an object handed
/// back): they are no longer reported stolen nor matched. Items already recovered keep
/// their time. Returns how many were marked.
pub fn mark_recovered(
    conn: &mut DbConnection,
    filing: &str,
    positions: &[i32],
    at: DateTime<Utc>,
) -> Result<usize, PersistenceError> {
    if positions.is_empty() {
        return Ok(0);
    }
    Ok(diesel::update(
        it::table
            .filter(it::filing_id.eq(filing))
            .filter(it::position.eq_any(positions.to_vec()))
            .filter(it::recovered_at.is_null()),
    )
    .set(it::recovered_at.eq(Some(to_db_time(at))))
    .execute(conn)?)
}

/// How many items of `roles` in filing `filing` are not recovered: the objects of the
/// declaration still waiting for their match.
pub fn unrecovered(
    conn: &mut DbConnection,
    filing: &str,
    roles: &[&str],
) -> Result<i64, PersistenceError> {
    Ok(it::table
        .filter(it::filing_id.eq(filing))
        .filter(it::role.eq_any(roles.to_vec()))
        .filter(it::recovered_at.is_null())
        .count()
        .get_result(conn)?)
}

/// The registered name of the municipality's lost-property office that filed the found
/// object `found` (it holds the object), or `None` when a citizen or the police filed it.
fn holding_office(
    conn: &mut DbConnection,
    found: &str,
) -> Result<Option<String>, PersistenceError> {
    use crate::schema::partners as p;
    let owner: Option<String> = f::table
        .find(found)
        .select(f::owner_id)
        .first(conn)
        .optional()?;
    let Some(partner) = owner
        .as_deref()
        .and_then(domain::policy::CitizenActor::lost_property_partner)
    else {
        return Ok(None);
    };
    Ok(p::table
        .find(partner)
        .select(p::name)
        .first::<String>(conn)
        .optional()?)
}

/// Tells the owner of the lost or stolen filing `lost` that the object of the found
/// filing `found`, held by `held_by`, may be theirs, once per pair: by the outbox
/// (`domain::items::found_notice`: e-mail or letter) and in the app's feed
/// (`domain::notices::object_found_notice`: when the app is their channel or they want
/// app notifications). Returns whether they were told either way.
pub fn notify_owner(
    conn: &mut DbConnection,
    lost: &str,
    found: &str,
    held_by: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, PersistenceError> {
    use crate::schema::{item_match_notices as mn, outbox_messages as o};
    let done = mn::table
        .find((lost, found))
        .select(mn::notified_at)
        .first::<NaiveDateTime>(conn)
        .optional()?
        .is_some();
    if done {
        return Ok(false);
    }
    let row: Option<FilingRow> = f::table
        .find(lost)
        .filter(f::erased_at.is_null())
        .select(FilingRow::as_select())
        .first(conn)
        .optional()?;
    let Some(row) = row else {
        return Ok(false);
    };
    let filing = Filing::try_from(row)?;
    let held_at = holding_office(conn, found)?;
    let message = domain::items::found_notice(&filing, held_by, held_at.as_deref());
    if let Some(message) = &message {
        diesel::insert_into(o::table)
            .values((
                o::filing_id.eq(lost),
                o::channel.eq(message.channel.as_str()),
                o::template.eq(message.template),
                o::language.eq(message.language.as_str()),
                o::payload.eq(message.payload.to_string()),
                o::created_at.eq(to_db_time(now)),
                o::status.eq(domain::delivery::OutboxStatus::Pending.as_str()),
                o::available_at.eq(to_db_time(now)),
            ))
            .execute(conn)?;
    }
    // In the app's feed too, when the app is how the owner hears (the same rule as a
    // status change's).
    let in_feed = match held_by {
        Some(unit) => domain::notices::object_found_notice(&filing, unit, held_at.as_deref(), now),
        None => None,
    };
    if let Some(notice) = &in_feed {
        crate::notifications::append(conn, notice)?;
    }
    diesel::insert_into(mn::table)
        .values((
            mn::lost_filing_id.eq(lost),
            mn::found_filing_id.eq(found),
            mn::notified_at.eq(to_db_time(now)),
        ))
        .execute(conn)?;
    Ok(message.is_some() || in_feed.is_some())
}
