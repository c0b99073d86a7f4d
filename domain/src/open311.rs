//! Open311 GeoReport v2 (issue 22, `docs/OPEN311.md`): how the catalogue's procedures
//! are offered as Open311 services, how a service request's form fields become a
//! filing's answers and facts, the public listing's status and coarse location, and the
//! window of a listing. Pure: the API renders JSON and XML, persistence stores the
//! requests.

use crate::catalogue::{Catalogue, Country, Procedure, QuestionKind};
use crate::filing::FilingStatus;
use crate::forms::FieldType;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// The attribute that carries when the facts happened (a `datetime`); the time of the
/// request when absent.
pub const FACTS_DATETIME: &str = "facts_datetime";
/// The form field that Open311's free-text `description` fills when the client sends no
/// attribute for it.
pub const DESCRIPTION_FIELD: &str = "circumstances";
/// Days a listing covers when it names no dates, and the most it may span.
pub const WINDOW_DAYS: i64 = 90;
/// The most requests a listing returns (the newest).
pub const MAX_RESULTS: i64 = 1000;
/// The smallest cell of the public listing's location grid, in metres.
pub const MIN_GRID_M: u32 = 500;
/// Metres per degree of latitude (mean), and of longitude at the equator.
const METRES_PER_DEGREE: f64 = 111_320.0;

/// A service code: a procedure offered in a country, written `<procedure>-<country>`
/// (`graffiti-BE`, `found_object-LU`). Procedure codes have no hyphen, so the first one
/// separates them (`simple_theft-ES-CT`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServiceCode {
    pub procedure: String,
    pub country: Country,
}

impl ServiceCode {
    /// Reads `<procedure>-<country>`; `None` when it is not of that shape.
    pub fn parse(code: &str) -> Option<Self> {
        let (procedure, country) = code.split_once('-')?;
        let valid = !procedure.is_empty()
            && procedure
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !valid {
            return None;
        }
        Some(ServiceCode {
            procedure: procedure.to_owned(),
            country: country.parse().ok()?,
        })
    }
}

impl std::fmt::Display for ServiceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.procedure, self.country.as_str())
    }
}

/// The Open311 datatypes of a service's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datatype {
    String,
    Number,
    Datetime,
    Text,
    Singlevaluelist,
    Multivaluelist,
}

impl Datatype {
    pub fn as_str(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Text => "text",
            Datatype::Singlevaluelist => "singlevaluelist",
            Datatype::Multivaluelist => "multivaluelist",
        }
    }
}

/// Texts up to this many characters are an Open311 `string` (one line); longer ones a
/// `text`.
const STRING_MAX_CHARS: usize = 300;

/// Where an attribute's value goes in the filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An eligibility question's answer.
    Answer,
    /// A field of the facts form.
    Fact(FieldType),
    /// When the facts happened.
    FactsDate,
}

/// One attribute of a service definition, without its texts (the API adds them in the
/// reader's language: the question's text, the field's label, the options' names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The question's or the field's name.
    pub code: String,
    pub datatype: Datatype,
    pub required: bool,
    /// 1 first: the questions in the order they are asked, then the form's fields.
    pub order: u32,
    /// The keys of a list's values (`true`/`false` for a yes-or-no question, an
    /// enumeration's codes).
    pub values: Vec<String>,
    pub target: Target,
}

/// Why a procedure cannot be offered as an Open311 service.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotExposable {
    #[error("the catalogue has no procedure {0}")]
    UnknownProcedure(String),
    #[error("{procedure} is not offered in {country}")]
    NotInCountry { procedure: String, country: String },
    #[error("{procedure} needs its field {field}, which Open311 attributes cannot carry")]
    RequiredField { procedure: String, field: String },
    #[error("{procedure} has no place of the facts to route by (national competence)")]
    NotLocal { procedure: String },
}

/// The datatype a form field is offered as, or `None` when no Open311 datatype carries
/// it (lists of texts, of date-times, objects with sub-fields: such a field is left out
/// when optional, and its procedure cannot be offered when it is required).
pub fn datatype_of(field: &FieldType) -> Option<Datatype> {
    match field {
        FieldType::Text { max_length } if *max_length <= STRING_MAX_CHARS => Some(Datatype::String),
        FieldType::Text { .. } => Some(Datatype::Text),
        FieldType::Number { .. } | FieldType::Integer { .. } => Some(Datatype::Number),
        FieldType::Boolean | FieldType::Enum { .. } => Some(Datatype::Singlevaluelist),
        // A date: an Open311 `datetime` whose date is taken.
        FieldType::Date | FieldType::DateTime => Some(Datatype::Datetime),
        FieldType::TextList { .. } | FieldType::DateTimeList { .. } | FieldType::Items { .. } => {
            None
        }
    }
}

const YES_NO: [&str; 2] = ["true", "false"];

/// The attributes of `procedure` as an Open311 service: its eligibility questions (each
/// required, a `singlevaluelist`), the facts form's fields Open311 can carry, and
/// [`FACTS_DATETIME`] (optional).
///
/// # Errors
/// [`NotExposable`] when a required field has no Open311 datatype.
pub fn attributes(
    catalogue: &Catalogue,
    procedure: &Procedure,
) -> Result<Vec<Attribute>, NotExposable> {
    let mut attributes = Vec::new();
    for code in &procedure.questions {
        let values = match catalogue.questions.get(code).map(|q| &q.kind) {
            Some(QuestionKind::Choice { options, .. }) => options.clone(),
            _ => YES_NO.iter().map(|v| (*v).to_owned()).collect(),
        };
        attributes.push(Attribute {
            code: code.clone(),
            datatype: Datatype::Singlevaluelist,
            required: true,
            order: 0,
            values,
            target: Target::Answer,
        });
    }
    for field in &procedure.form {
        let Some(datatype) = datatype_of(&field.field_type) else {
            if field.required {
                return Err(NotExposable::RequiredField {
                    procedure: procedure.code.clone(),
                    field: field.name.clone(),
                });
            }
            continue;
        };
        let values = match &field.field_type {
            FieldType::Boolean => YES_NO.iter().map(|v| (*v).to_owned()).collect(),
            FieldType::Enum { enumeration } => catalogue
                .enums
                .get(enumeration)
                .cloned()
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        attributes.push(Attribute {
            code: field.name.clone(),
            datatype,
            required: field.required,
            order: 0,
            values,
            target: Target::Fact(field.field_type.clone()),
        });
    }
    attributes.push(Attribute {
        code: FACTS_DATETIME.to_owned(),
        datatype: Datatype::Datetime,
        required: false,
        order: 0,
        values: Vec::new(),
        target: Target::FactsDate,
    });
    for (i, attribute) in attributes.iter_mut().enumerate() {
        attribute.order = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    Ok(attributes)
}

/// The procedure a service code names, when it can be offered: known, offered in the
/// code's country, routed by the place of the facts, and every required field carried.
///
/// # Errors
/// [`NotExposable`], naming why.
pub fn exposable<'c>(
    catalogue: &'c Catalogue,
    code: &ServiceCode,
) -> Result<&'c Procedure, NotExposable> {
    let procedure = catalogue
        .procedure(&code.procedure)
        .ok_or_else(|| NotExposable::UnknownProcedure(code.procedure.clone()))?;
    if !procedure.countries.contains(&code.country) {
        return Err(NotExposable::NotInCountry {
            procedure: code.procedure.clone(),
            country: code.country.as_str().to_owned(),
        });
    }
    if !matches!(procedure.competence, crate::catalogue::Competence::Local) {
        return Err(NotExposable::NotLocal {
            procedure: code.procedure.clone(),
        });
    }
    attributes(catalogue, procedure)?;
    Ok(procedure)
}

/// A value Open311 sent that its attribute cannot take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeIssue {
    /// The attribute's code.
    pub attribute: String,
    /// `required`, `invalid_number`, `invalid_datetime`, `unknown_option`,
    /// `unknown_attribute`, `repeated`.
    pub code: &'static str,
}

/// What a service request's attributes give a filing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FromAttributes {
    /// Answers to the eligibility questions.
    pub answers: BTreeMap<String, Value>,
    /// The facts form (an object), with the values as the form's JSON Schema types them.
    pub facts: serde_json::Map<String, Value>,
    /// When the facts happened, if given.
    pub facts_datetime: Option<DateTime<Utc>>,
}

/// Reads the values of `attribute[code]` form fields (each code once; a
/// `multivaluelist` would repeat `attribute[code][]`) against the service's attributes.
/// The form's own limits (lengths, ranges, dates) are checked afterwards by the filing's
/// commands, with the facts' JSON Schema, like any filing; here only what Open311's
/// strings must be turned into. A missing required question is left to eligibility,
/// which reports it; a missing required field to the form.
///
/// # Errors
/// Every issue at once.
pub fn read_attributes(
    attributes: &[Attribute],
    values: &[(String, String)],
) -> Result<FromAttributes, Vec<AttributeIssue>> {
    let mut out = FromAttributes::default();
    let mut issues = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (code, raw) in values {
        let issue = |code: &str, what: &'static str| AttributeIssue {
            attribute: code.to_owned(),
            code: what,
        };
        if !seen.insert(code.clone()) {
            issues.push(issue(code, "repeated"));
            continue;
        }
        let Some(attribute) = attributes.iter().find(|a| a.code == *code) else {
            issues.push(issue(code, "unknown_attribute"));
            continue;
        };
        if !attribute.values.is_empty() && !attribute.values.iter().any(|v| v == raw) {
            issues.push(issue(code, "unknown_option"));
            continue;
        }
        match &attribute.target {
            Target::Answer => {
                let value = match raw.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    other => Value::String(other.to_owned()),
                };
                out.answers.insert(code.clone(), value);
            }
            Target::FactsDate => match parse_datetime(raw) {
                Some(at) => out.facts_datetime = Some(at),
                None => issues.push(issue(code, "invalid_datetime")),
            },
            Target::Fact(field) => match fact_value(field, raw) {
                Ok(value) => {
                    out.facts.insert(code.clone(), value);
                }
                Err(what) => issues.push(issue(code, what)),
            },
        }
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

/// A W3C date-time (RFC 3339) as Open311 writes them, `2026-12-01T10:00:00Z`.
pub fn parse_datetime(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

fn fact_value(field: &FieldType, raw: &str) -> Result<Value, &'static str> {
    Ok(match field {
        FieldType::Number { .. } => {
            let number: f64 = raw.trim().parse().map_err(|_| "invalid_number")?;
            serde_json::Number::from_f64(number)
                .map(Value::Number)
                .ok_or("invalid_number")?
        }
        FieldType::Integer { .. } => {
            let number: f64 = raw.trim().parse().map_err(|_| "invalid_number")?;
            if number.fract() != 0.0 || !number.is_finite() || number.abs() > 9.0e15 {
                return Err("invalid_number");
            }
            // Checked whole and within f64's exact integers just above.
            #[allow(clippy::cast_possible_truncation)]
            Value::from(number as i64)
        }
        FieldType::Boolean => Value::Bool(raw == "true"),
        FieldType::DateTime => {
            let at = parse_datetime(raw).ok_or("invalid_datetime")?;
            Value::String(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        }
        FieldType::Date => {
            let at = parse_datetime(raw)
                .map(|at| at.date_naive())
                .or_else(|| raw.trim().parse().ok())
                .ok_or("invalid_datetime")?;
            Value::String(at.to_string())
        }
        _ => Value::String(raw.to_owned()),
    })
}

/// A filing's status as Open311 shows it: `open` until the unit decided, then
/// `closed`. `None` for a draft (never listed).
pub fn status_of(status: FilingStatus) -> Option<&'static str> {
    if status == FilingStatus::Draft {
        None
    } else if FilingStatus::OPEN.contains(&status) {
        Some("open")
    } else {
        Some("closed")
    }
}

/// The message key of a request's `status_notes`: a public explanation of its filing's
/// status, one generic sentence per status, the same for every request in it (never an
/// officer's words, a reason, a unit's or a person's name: nothing personal). `None` for
/// a draft, which the listing never shows.
pub fn status_note(status: FilingStatus) -> Option<String> {
    (status != FilingStatus::Draft).then(|| format!("status_note_{}", status.as_str()))
}

/// The filing statuses an Open311 status filter (`open`, `closed`) stands for; `None`
/// for another word.
pub fn statuses_for(status: &str) -> Option<Vec<FilingStatus>> {
    match status {
        "open" => Some(FilingStatus::OPEN.to_vec()),
        "closed" => Some(
            FilingStatus::DECIDED
                .iter()
                .chain(FilingStatus::FINAL)
                .copied()
                .collect(),
        ),
        _ => None,
    }
}

/// The centre of the cell of a grid of `grid_m` metres (at least [`MIN_GRID_M`]) that
/// holds the point `lat`, `lon` (WGS84 degrees). Rows are `grid_m` of latitude; within a
/// row, columns are `grid_m` of longitude measured at the row's centre, so every cell is
/// at least `grid_m` wide and high, and every point of a cell is published as the same
/// centre. Rounded to 6 decimals (0.1 m).
pub fn coarse_point(lat: f64, lon: f64, grid_m: u32) -> (f64, f64) {
    let grid = f64::from(grid_m.max(MIN_GRID_M));
    let step_lat = grid / METRES_PER_DEGREE;
    let row = (lat / step_lat).floor();
    let centre_lat = ((row + 0.5) * step_lat).clamp(-89.999, 89.999);
    let step_lon = grid / (METRES_PER_DEGREE * centre_lat.to_radians().cos());
    let column = (lon / step_lon).floor();
    let centre_lon = (column + 0.5) * step_lon;
    (round6(centre_lat), round6(centre_lon))
}

fn round6(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

/// Why a listing's window was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowError {
    /// `end_date` before `start_date`.
    Reversed,
    /// More than [`WINDOW_DAYS`] between them.
    TooLong,
}

/// The window of a listing: from `start` to `end`, each defaulting to [`WINDOW_DAYS`]
/// from the other, or to the last [`WINDOW_DAYS`] up to `now`.
///
/// # Errors
/// [`WindowError`] when reversed or longer than [`WINDOW_DAYS`].
pub fn window(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), WindowError> {
    let span = Duration::days(WINDOW_DAYS);
    let (from, to) = match (start, end) {
        (Some(from), Some(to)) => (from, to),
        (Some(from), None) => (from, from + span),
        (None, Some(to)) => (to - span, to),
        (None, None) => (now - span, now),
    };
    if to < from {
        return Err(WindowError::Reversed);
    }
    if to - from > span {
        return Err(WindowError::TooLong);
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn catalogue() -> Catalogue {
        Catalogue::builtin().unwrap()
    }

    #[test]
    fn service_codes_read_and_write() {
        let code = ServiceCode::parse("graffiti-BE").unwrap();
        assert_eq!(code.procedure, "graffiti");
        assert_eq!(code.to_string(), "graffiti-BE");
        let catalan = ServiceCode::parse("simple_theft-ES-CT").unwrap();
        assert_eq!(catalan.to_string(), "simple_theft-ES-CT");
        for bad in [
            "graffiti",
            "-BE",
            "graffiti-XX",
            "Graffiti-BE",
            "graf fiti-BE",
        ] {
            assert_eq!(ServiceCode::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_fitting_procedures_are_exposable_and_the_others_say_why() {
        let catalogue = catalogue();
        for code in ["graffiti-BE", "property_damage-BE", "found_object-LU"] {
            let code = ServiceCode::parse(code).unwrap();
            assert!(exposable(&catalogue, &code).is_ok(), "{code}");
        }
        let theft = ServiceCode::parse("simple_theft-BE").unwrap();
        assert!(matches!(
            exposable(&catalogue, &theft),
            Err(NotExposable::RequiredField { .. })
        ));
        let elsewhere = ServiceCode::parse("graffiti-LU").unwrap();
        assert!(matches!(
            exposable(&catalogue, &elsewhere),
            Err(NotExposable::NotInCountry { .. })
        ));
    }

    #[test]
    fn graffiti_attributes_map_questions_and_fields_to_datatypes() {
        let catalogue = catalogue();
        let procedure = catalogue.procedure("graffiti").unwrap();
        let attributes = attributes(&catalogue, procedure).unwrap();
        let view: Vec<(&str, &str, bool)> = attributes
            .iter()
            .map(|a| (a.code.as_str(), a.datatype.as_str(), a.required))
            .collect();
        assert_eq!(
            view,
            [
                ("ongoing_danger", "singlevaluelist", true),
                ("known_author", "singlevaluelist", true),
                ("surface", "singlevaluelist", true),
                ("area_m2", "number", false),
                ("circumstances", "text", true),
                ("facts_datetime", "datetime", false),
            ]
        );
        assert_eq!(attributes[0].values, ["true", "false"]);
        assert_eq!(attributes[2].values[0], "facade");
        assert_eq!(
            attributes.iter().map(|a| a.order).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6]
        );
    }

    #[test]
    fn attribute_values_become_answers_and_typed_facts() {
        let catalogue = catalogue();
        let procedure = catalogue.procedure("graffiti").unwrap();
        let attributes = attributes(&catalogue, procedure).unwrap();
        let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect()
        };
        let read = read_attributes(
            &attributes,
            &pairs(&[
                ("known_author", "false"),
                ("surface", "wall"),
                ("area_m2", "2.5"),
                ("facts_datetime", "2026-11-30T22:00:00+01:00"),
            ]),
        )
        .unwrap();
        assert_eq!(read.answers["known_author"], Value::Bool(false));
        assert_eq!(read.facts["surface"], "wall");
        assert_eq!(read.facts["area_m2"], 2.5);
        assert_eq!(
            read.facts_datetime,
            Some(Utc.with_ymd_and_hms(2026, 11, 30, 21, 0, 0).unwrap())
        );
        let issues = read_attributes(
            &attributes,
            &pairs(&[
                ("surface", "roof"),
                ("area_m2", "big"),
                ("nickname", "x"),
                ("facts_datetime", "yesterday"),
                ("known_author", "false"),
                ("known_author", "true"),
            ]),
        )
        .unwrap_err();
        let codes: Vec<(&str, &str)> = issues
            .iter()
            .map(|i| (i.attribute.as_str(), i.code))
            .collect();
        assert_eq!(
            codes,
            [
                ("surface", "unknown_option"),
                ("area_m2", "invalid_number"),
                ("nickname", "unknown_attribute"),
                ("facts_datetime", "invalid_datetime"),
                ("known_author", "repeated"),
            ]
        );
    }

    #[test]
    fn statuses_are_open_until_decided() {
        assert_eq!(status_of(FilingStatus::Draft), None);
        assert_eq!(status_of(FilingStatus::Submitted), Some("open"));
        assert_eq!(status_of(FilingStatus::InfoRequested), Some("open"));
        assert_eq!(status_of(FilingStatus::Registered), Some("closed"));
        assert_eq!(status_of(FilingStatus::Withdrawn), Some("closed"));
        assert!(statuses_for("open")
            .unwrap()
            .contains(&FilingStatus::TakenInCharge));
        assert!(statuses_for("closed")
            .unwrap()
            .contains(&FilingStatus::Closed));
        assert_eq!(statuses_for("pending"), None);
    }

    fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
        let dlat = (a.0 - b.0) * METRES_PER_DEGREE;
        let dlon = (a.1 - b.1) * METRES_PER_DEGREE * ((a.0 + b.0) / 2.0).to_radians().cos();
        (dlat * dlat + dlon * dlon).sqrt()
    }

    #[test]
    fn coarse_points_are_cell_centres_at_least_500_m_apart() {
        // Namur, Brussels, Luxembourg, and the far north.
        for (lat, lon) in [
            (50.4669, 4.8675),
            (50.8467, 4.3525),
            (49.6116, 6.1319),
            (70.0, 25.0),
        ] {
            let centre = coarse_point(lat, lon, 500);
            // A point is never further from its published centre than the half-diagonal.
            assert!(distance_m((lat, lon), centre) <= 500.0 * 0.71 + 1.0);
            // The centre is a fixed point, and neighbours 600 m away are other cells.
            assert_eq!(coarse_point(centre.0, centre.1, 500), centre);
            let north = coarse_point(lat + 600.0 / METRES_PER_DEGREE, lon, 500);
            assert!(distance_m(centre, north) >= 499.0, "{lat},{lon}");
            let east_step = 600.0 / (METRES_PER_DEGREE * lat.to_radians().cos());
            let east = coarse_point(lat, lon + east_step, 500);
            assert!(distance_m(centre, east) >= 499.0, "{lat},{lon}");
        }
        // A grid below the minimum is the minimum.
        assert_eq!(coarse_point(50.1, 4.1, 10), coarse_point(50.1, 4.1, 500));
    }

    #[test]
    fn windows_default_to_90_days_and_refuse_more() {
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let (from, to) = window(None, None, now).unwrap();
        assert_eq!((to - from).num_days(), 90);
        assert_eq!(to, now);
        let start = now - Duration::days(200);
        assert_eq!(
            window(Some(start), None, now).unwrap(),
            (start, start + Duration::days(90))
        );
        assert_eq!(
            window(Some(start), Some(now), now),
            Err(WindowError::TooLong)
        );
        assert_eq!(
            window(Some(now), Some(start), now),
            Err(WindowError::Reversed)
        );
    }

    #[test]
    fn every_listed_status_has_a_public_note_and_a_draft_none() {
        for status in FilingStatus::ALL {
            match status_note(*status) {
                None => assert_eq!(*status, FilingStatus::Draft),
                Some(key) => assert_eq!(key, format!("status_note_{}", status.as_str())),
            }
        }
    }
}
