//! The open statistics (docs/STATISTICS.md): public, cacheable counts of filings by
//! procedure, country, unit, municipality, region, ISO week and month of submission, with
//! the processing times and the online share, as JSON or CSV, with small-cell
//! suppression (`domain::statistics`). Nothing personal: counts only, none below the
//! threshold. Read from the summary the statistics job refreshes.

use crate::error::{ApiError, FieldError, Problem};
use crate::state::AppState;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{Datelike, Months, NaiveDate, Utc};
use domain::statistics::{Cell, Dimension, Share, Table, Time};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest window, in months.
pub const MAX_MONTHS: u32 = 36;

/// The statistics' query.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatisticsQuery {
    /// The dimensions, comma-separated, in the order of the rows' sorting: `procedure`,
    /// `country`, `unit`, `municipality`, `region`, `week` (ISO, `YYYY-Www`), `month`
    /// (default: `procedure,country,unit,month`); a repeated one counts once.
    #[param(
        example = "procedure,month",
        max_length = 80,
        pattern = r"^(procedure|country|unit|municipality|region|week|month)(,(procedure|country|unit|municipality|region|week|month)){0,6}$"
    )]
    pub group_by: Option<String>,
    /// The first month (`YYYY-MM`, UTC); default: twelve months before the current one.
    #[param(example = "2026-01", pattern = r"^\d{4}-(0[1-9]|1[0-2])$")]
    pub from: Option<String>,
    /// The last month, included (`YYYY-MM`); default: the month before the current one.
    /// At most 36 months from `from`.
    #[param(example = "2026-12", pattern = r"^\d{4}-(0[1-9]|1[0-2])$")]
    pub to: Option<String>,
    /// `json` (default) or `csv`; without it, the `Accept` header decides.
    pub format: Option<String>,
}

/// A published count: a number, or `<k` when it is below the threshold (or hides one).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(example = json!("<10"))]
pub enum Count<'a> {
    /// The count.
    Value(u64),
    /// `<k`: below the threshold `k`, or the complement of such a count.
    Suppressed(&'a str),
}

/// One row: the values of the dimensions asked for, then the counts.
// It borrows the table's texts: a table of 100,000 rows is written without copying them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatisticsRow<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "bicycle_theft")]
    pub procedure: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "BE")]
    pub country: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "zp-ottignies-louvain-la-neuve")]
    pub unit: Option<&'a str>,
    /// The municipality of the facts (a district's city), or `unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "BE-25121")]
    pub municipality: Option<&'a str>,
    /// The municipality's ISO 3166-2 region (`BE-BRU`, `BE-VLG`, `BE-WAL`, `FR-HDF`...,
    /// `ES-CT`, `LU`), or `unknown`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "BE-WAL")]
    pub region: Option<&'a str>,
    /// ISO week of the submission (UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-W11")]
    pub week: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-03")]
    pub month: Option<&'a str>,
    /// Filings submitted in the month.
    pub submitted: Count<'a>,
    /// Of those, registered (at some point).
    pub registered: Count<'a>,
    pub rejected: Count<'a>,
    pub redirected: Count<'a>,
    /// Median whole hours from the submission to the first taking in charge (nearest
    /// rank over log-scaled buckets: exact below 32 hours, above never more than 1/17
    /// (5.9 %) below the exact time, never above it); `null` when no filing has it yet;
    /// `<k` from fewer than `k`.
    pub in_charge_median_hours: Option<Hours<'a>>,
    /// 90th percentile (nearest rank) of the same.
    pub in_charge_p90_hours: Option<Hours<'a>>,
    /// Median whole hours from the submission to the end (the first of registered,
    /// rejected, redirected or closed).
    pub end_median_hours: Option<Hours<'a>>,
    /// 90th percentile of the same.
    pub end_p90_hours: Option<Hours<'a>>,
    /// online / (online + counter), 0 to 1, over the units, procedures and months with
    /// imported counter counts; `null` without any; `<k` when its online or counter
    /// part is hidden. Present only when grouped by procedure, country, unit and month
    /// alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ShareValue>)]
    pub online_share: Option<Option<ShareValue<'a>>>,
}

/// A processing time in whole hours, or `<k` when from fewer than `k` filings.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(example = json!(26))]
pub enum Hours<'a> {
    Value(u64),
    Suppressed(&'a str),
}

/// An online share from 0 to 1, or `<k` when a part of it is hidden.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(example = json!(0.62))]
pub enum ShareValue<'a> {
    Value(f64),
    Suppressed(&'a str),
}

/// The counts of each measure over every row.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatisticsTotals<'a> {
    pub submitted: Count<'a>,
    pub registered: Count<'a>,
    pub rejected: Count<'a>,
    pub redirected: Count<'a>,
    pub in_charge_median_hours: Option<Hours<'a>>,
    pub in_charge_p90_hours: Option<Hours<'a>>,
    pub end_median_hours: Option<Hours<'a>>,
    pub end_p90_hours: Option<Hours<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ShareValue>)]
    pub online_share: Option<Option<ShareValue<'a>>>,
}

/// The published table.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "from": "2026-01", "to": "2026-12", "threshold": 10, "dimensions": ["procedure"],
    "rows": [{"procedure": "bicycle_theft", "submitted": 120, "registered": 97, "rejected": "<10", "redirected": "<10",
              "in_charge_median_hours": 26, "in_charge_p90_hours": 70, "end_median_hours": 140, "end_p90_hours": 300, "online_share": 0.62}],
    "totals": {"submitted": 120, "registered": 97, "rejected": "<10", "redirected": "<10",
               "in_charge_median_hours": 26, "in_charge_p90_hours": 70, "end_median_hours": 140, "end_p90_hours": 300, "online_share": 0.62}
}))]
pub struct Statistics<'a> {
    #[schema(example = "2026-01")]
    pub from: String,
    #[schema(example = "2026-12")]
    pub to: String,
    /// Counts from 1 to `threshold - 1` are published as `<threshold`; so is the smallest
    /// other count of a column that would otherwise give one away (its complement).
    #[schema(example = 10, minimum = 2)]
    pub threshold: u32,
    pub dimensions: Vec<String>,
    pub rows: Vec<StatisticsRow<'a>>,
    pub totals: StatisticsTotals<'a>,
}

fn invalid(name: &str, code: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(format!("/query/{name}"), code)])
}

fn dimensions(raw: Option<&str>) -> Result<Vec<Dimension>, ApiError> {
    let Some(raw) = raw else {
        return Ok(Dimension::DEFAULT.to_vec());
    };
    let mut dims = Vec::new();
    for part in raw.split(',') {
        let dim: Dimension = part
            .trim()
            .parse()
            .map_err(|_| invalid("group_by", "unknown_option"))?;
        // Each at most once (docs/STATISTICS.md): `unit,unit` is a mistake, not a wish.
        if dims.contains(&dim) {
            return Err(invalid("group_by", "duplicate_item"));
        }
        dims.push(dim);
    }
    Ok(dims)
}

/// The window `[from, to]` of whole months, checked.
fn window(query: &StatisticsQuery) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let today = Utc::now().date_naive();
    let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    // Both months read before either is refused: every bad one is named at once.
    let from = query
        .from
        .as_deref()
        .map_or(Some(this_month - Months::new(12)), domain::dates::month);
    let to = query
        .to
        .as_deref()
        .map_or(Some(this_month - Months::new(1)), domain::dates::month);
    let (from, to) = match (from, to) {
        (Some(from), Some(to)) => (from, to),
        (from, to) => {
            let errors = [("from", from), ("to", to)]
                .into_iter()
                .filter(|(_, month)| month.is_none())
                .map(|(name, _)| FieldError::new(format!("/query/{name}"), "invalid_month"))
                .collect();
            return Err(ApiError::Validation(errors));
        }
    };
    if to < from {
        return Err(invalid("to", "too_early"));
    }
    // Checked: a month at the calendar's edge (year ±262,143) has no months after it.
    match from.checked_add_months(Months::new(MAX_MONTHS)) {
        None => return Err(invalid("from", "out_of_range")),
        Some(limit) if limit <= to => return Err(invalid("to", "too_late")),
        Some(_) => {}
    }
    Ok((from, to))
}

/// `hidden`: what a suppressed value reads (`<k`), written once per table.
fn count(cell: Cell, hidden: &str) -> Count<'_> {
    match cell {
        Cell::Count(n) => Count::Value(n),
        Cell::Suppressed => Count::Suppressed(hidden),
    }
}

fn time(t: Time, hidden: &str) -> Option<Hours<'_>> {
    match t {
        Time::Hours(h) => Some(Hours::Value(h)),
        Time::Suppressed => Some(Hours::Suppressed(hidden)),
        Time::None => None,
    }
}

fn share(s: Option<Share>, hidden: &str) -> Option<Option<ShareValue<'_>>> {
    s.map(|s| match s {
        Share::Value(v) => Some(ShareValue::Value(v)),
        Share::Suppressed => Some(ShareValue::Suppressed(hidden)),
        Share::None => None,
    })
}

fn view<'a>(table: &'a Table, hidden: &'a str, from: NaiveDate, to: NaiveDate) -> Statistics<'a> {
    let k = hidden;
    let rows = table
        .rows
        .iter()
        .map(|r| {
            let value = |d: Dimension| {
                table
                    .dimensions
                    .iter()
                    .position(|x| *x == d)
                    .and_then(|i| r.key.get(i).map(String::as_str))
            };
            StatisticsRow {
                procedure: value(Dimension::Procedure),
                country: value(Dimension::Country),
                unit: value(Dimension::Unit),
                municipality: value(Dimension::Municipality),
                region: value(Dimension::Region),
                week: value(Dimension::Week),
                month: value(Dimension::Month),
                submitted: count(r.cells[0], k),
                registered: count(r.cells[1], k),
                rejected: count(r.cells[2], k),
                redirected: count(r.cells[3], k),
                in_charge_median_hours: time(r.times[0], k),
                in_charge_p90_hours: time(r.times[1], k),
                end_median_hours: time(r.times[2], k),
                end_p90_hours: time(r.times[3], k),
                online_share: share(r.share, k),
            }
        })
        .collect();
    let t = &table.totals;
    Statistics {
        from: from.format("%Y-%m").to_string(),
        to: to.format("%Y-%m").to_string(),
        threshold: table.threshold,
        dimensions: table.dimensions.iter().map(|d| d.to_string()).collect(),
        rows,
        totals: StatisticsTotals {
            submitted: count(t[0], k),
            registered: count(t[1], k),
            rejected: count(t[2], k),
            redirected: count(t[3], k),
            in_charge_median_hours: time(table.total_times[0], k),
            in_charge_p90_hours: time(table.total_times[1], k),
            end_median_hours: time(table.total_times[2], k),
            end_p90_hours: time(table.total_times[3], k),
            online_share: share(table.total_share, k),
        },
    }
}

fn csv_of(table: &Table) -> Result<Vec<u8>, ApiError> {
    // Sized ahead, as the JSON (a line is about 50 bytes).
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(1024 + 64 * table.rows.len()));
    table
        .each_line(|fields| writer.write_record(fields))
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    writer
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))
}

fn wants_csv(req: &HttpRequest, format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(invalid("format", "unknown_option")),
        None => Ok(
            crate::negotiation::preferred_media(req, &["application/json", "text/csv"])?
                == "text/csv",
        ),
    }
}

/// The answer in JSON or CSV (`csv`) over `dims` and the months `[from, to]`: the cached
/// one of the summary's generation, else computed and cached.
async fn answer_for(
    state: &web::Data<AppState>,
    csv: bool,
    dims: Vec<Dimension>,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<crate::caching::Answer, ApiError> {
    let months = (
        from.format("%Y-%m").to_string(),
        to.format("%Y-%m").to_string(),
    );
    let key = format!("{csv}|{}|{}|{dims:?}", months.0, months.1);
    let render = move |table: &Table| match csv {
        true => csv_of(table),
        false => {
            let hidden = format!("<{}", table.threshold);
            // Sized ahead (a row is about 100 bytes): a 10 MB answer grown by doubling
            // would be copied and paged in again at each step.
            let mut body = Vec::with_capacity(1024 + 128 * table.rows.len());
            serde_json::to_writer(&mut body, &view(table, &hidden, from, to))
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(body)
        }
    };
    crate::app::statistics::answer(state, key, months, dims, render).await
}

/// Computes the answers without a query (the default grouping and window, in JSON and
/// CSV) into the cache, reading the summary into memory first when its generation
/// changed, so that the first reader after a refresh that changed the summary pays for
/// neither (`bench/RESULTS.md`). Nothing is computed when both answers of the current
/// generation are cached: one read of the generation each. Called by the refresh job
/// after each refresh, and by the follower every `statistics.follow_secs`; a failure is
/// only logged (the next reader computes the answer).
pub async fn warm_default(state: web::Data<AppState>) {
    let query = StatisticsQuery::default();
    let Ok(window) = window(&query) else {
        return;
    };
    for csv in [false, true] {
        if let Err(error) = answer_for(&state, csv, Dimension::DEFAULT.to_vec(), window).await {
            tracing::warn!(%error, "statistics: the default answer was not computed ahead");
        }
    }
}

/// Open statistics
///
/// Counts of the filings submitted online, by procedure, country, unit, municipality,
/// region, ISO week and month of submission (UTC), with how many of them were
/// registered, rejected or redirected, the median and 90th-percentile processing times
/// in whole hours (to the taking in charge, and to the end; kept in log-scaled buckets,
/// so a time is exact below 32 hours and otherwise at most 1/17, 5.9 %, below the exact
/// one, never above), and, grouped by procedure,
/// country, unit or month only, the online share where units imported counter counts.
/// Small cells are suppressed: a count from 1 to `threshold - 1` (default 10) reads
/// `<threshold`, and so does the smallest other count of its column when the total
/// would otherwise give it away; a time from fewer than `threshold` filings, and a share
/// with a small part, too. Read from a summary refreshed every few minutes (an answer
/// is computed once per refresh that changed it). Public and cacheable; JSON, or CSV
/// with `Accept: text/csv` or `?format=csv` (the last line holds the totals).
#[utoipa::path(
    tag = "statistics",
    security(()),
    params(StatisticsQuery),
    responses(
        (status = 200, description = "The table",
            content(
                (Statistics = "application/json"),
                (String = "text/csv", example = json!("procedure,submitted,registered,rejected,redirected,in_charge_median_hours,in_charge_p90_hours,end_median_hours,end_p90_hours,online_share\nbicycle_theft,120,97,<10,<10,26,70,140,300,0.620\ntotal,120,97,<10,<10,26,70,140,300,0.620\n"))
            ),
            headers(("ETag" = String, description = "The table's version"), ("Cache-Control" = String, description = "public, max-age=300"))),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`"),
        (status = 422, description = "An unknown dimension or format, or a bad window", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/statistics")]
pub async fn statistics(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<StatisticsQuery>,
) -> Result<HttpResponse, ApiError> {
    let csv = wants_csv(&req, query.format.as_deref())?;
    let dims = dimensions(query.group_by.as_deref())?;
    let (from, to) = window(&query)?;
    let answer = answer_for(&state, csv, dims, (from, to)).await?;
    let content_type = match csv {
        true => "text/csv; charset=utf-8",
        false => "application/json",
    };
    Ok(crate::caching::public_shared(
        &req,
        content_type,
        answer.body,
        &answer.etag,
    ))
}
