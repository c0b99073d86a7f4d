//! Facts forms: typed fields, published as JSON Schema (2020-12) with localized labels,
//! and validated against that very schema (with the `jsonschema` crate), then against the
//! procedure's cross-field date rules. Every issue has a JSON pointer, a stable code and
//! what would be accepted (`Accepted`).
//!
//! This module depends only on `i18n` and `limits`; the catalogue composes it.

use crate::i18n::{Lang, Messages};
use crate::limits;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{json, Map, Number, Value};
use std::collections::BTreeMap;

const JSON_SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// How far in the future a date-time may lie and still count as "now" (clock skew of the
/// citizen's device), in minutes.
pub const CLOCK_SKEW_MINUTES: i64 = 5;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FieldType {
    Text {
        max_length: usize,
    },
    Number {
        minimum: f64,
        maximum: f64,
    },
    Integer {
        minimum: i64,
        maximum: i64,
    },
    Boolean,
    Date,
    DateTime,
    Enum {
        #[serde(rename = "enum")]
        enumeration: String,
    },
    TextList {
        max_items: usize,
        max_length: usize,
    },
    DateTimeList {
        max_items: usize,
    },
    /// The objects concerned: category, brand, model, serial/IMEI/frame number, colour,
    /// estimated value, description.
    Items {
        max_items: usize,
    },
}

impl Eq for FieldType {}

impl FieldType {
    /// Whether values of this type are dates or date-times (or lists of them), which
    /// date rules may constrain.
    pub fn is_temporal(&self) -> bool {
        matches!(
            self,
            FieldType::Date | FieldType::DateTime | FieldType::DateTimeList { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    pub name: String,
    pub field_type: FieldType,
    pub required: bool,
}

/// What a date is compared with in a date rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bound {
    /// The local date at the place of the facts.
    Today,
    /// The current instant (for date-times; dates compare with today).
    Now,
    /// Another field of the same form.
    Field(String),
}

impl Bound {
    /// Parses `today`, `now` or a field name.
    pub fn parse(s: &str) -> Self {
        match s {
            "today" => Bound::Today,
            "now" => Bound::Now,
            field => Bound::Field(field.to_owned()),
        }
    }
}

/// A cross-field rule of a form, declared in the catalogue (`checks` of a procedure) and
/// evaluated by `check_rules`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormRule {
    /// `field` (each value, for a list) is not earlier than `bound`.
    NotBefore { field: String, bound: Bound },
    /// `field` (each value, for a list) is not later than `bound`.
    NotAfter { field: String, bound: Bound },
    /// `field` is a birth date of someone younger than `years` on the date `on`.
    YoungerThan {
        field: String,
        years: u32,
        on: Bound,
    },
}

impl FormRule {
    /// The field the rule constrains (where its issue points).
    pub fn field(&self) -> &str {
        match self {
            FormRule::NotBefore { field, .. }
            | FormRule::NotAfter { field, .. }
            | FormRule::YoungerThan { field, .. } => field,
        }
    }

    /// The other field the rule reads, if any.
    pub fn other(&self) -> Option<&str> {
        match self {
            FormRule::NotBefore { bound, .. }
            | FormRule::NotAfter { bound, .. }
            | FormRule::YoungerThan { on: bound, .. } => match bound {
                Bound::Field(f) => Some(f),
                _ => None,
            },
        }
    }
}

/// The sub-fields of an item: name, kind.
const ITEM_FIELDS: [(&str, ItemField); 7] = [
    ("category", ItemField::Category),
    ("brand", ItemField::Text(limits::ITEM_TEXT_MAX_CHARS)),
    ("model", ItemField::Text(limits::ITEM_TEXT_MAX_CHARS)),
    (
        "serial_number",
        ItemField::Text(limits::ITEM_TEXT_MAX_CHARS),
    ),
    ("colour", ItemField::Text(limits::ITEM_COLOUR_MAX_CHARS)),
    ("estimated_value_eur", ItemField::Money),
    (
        "description",
        ItemField::Text(limits::ITEM_DESCRIPTION_MAX_CHARS),
    ),
];

#[derive(Clone, Copy)]
enum ItemField {
    Category,
    Text(usize),
    Money,
}

/// The enumeration of an item's category.
pub const ITEM_CATEGORY_ENUM: &str = "item_category";

impl FormField {
    /// Message keys this field needs (its label, its options).
    pub fn required_keys(&self, enums: &BTreeMap<String, Vec<String>>) -> Vec<String> {
        let mut keys = vec![format!("field.{}.label", self.name)];
        match &self.field_type {
            FieldType::Enum { enumeration } => {
                for value in enums.get(enumeration).into_iter().flatten() {
                    keys.push(format!("option.{enumeration}.{value}"));
                }
            }
            FieldType::Items { .. } => {
                for (name, _) in ITEM_FIELDS {
                    keys.push(format!("field.item.{name}.label"));
                }
                for value in enums.get(ITEM_CATEGORY_ENUM).into_iter().flatten() {
                    keys.push(format!("option.{ITEM_CATEGORY_ENUM}.{value}"));
                }
            }
            _ => {}
        }
        keys
    }
}

/// The texts and enumerations a form is published with.
#[derive(Clone, Copy)]
pub struct FormTexts<'a> {
    pub enums: &'a BTreeMap<String, Vec<String>>,
    pub messages: &'a Messages,
}

impl FormTexts<'_> {
    fn text(&self, lang: Lang, key: &str) -> String {
        self.messages
            .get(lang, key)
            .map(str::to_owned)
            .unwrap_or_else(|| key.to_owned())
    }
}

fn labelled(texts: FormTexts<'_>, lang: Lang, key_prefix: &str, mut schema: Value) -> Value {
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "title".into(),
            texts.text(lang, &format!("{key_prefix}.label")).into(),
        );
        if let Some(help) = texts.messages.get(lang, &format!("{key_prefix}.help")) {
            object.insert("description".into(), help.into());
        }
    }
    schema
}

fn enum_schema(texts: FormTexts<'_>, lang: Lang, enumeration: &str) -> Value {
    let options: Vec<Value> = texts
        .enums
        .get(enumeration)
        .into_iter()
        .flatten()
        .map(|v| json!({"const": v, "title": texts.text(lang, &format!("option.{enumeration}.{v}"))}))
        .collect();
    json!({"type": "string", "oneOf": options})
}

fn text_schema(max_length: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max_length, "pattern": "\\S"})
}

fn item_schema(texts: FormTexts<'_>, lang: Lang) -> Value {
    let mut properties = Map::new();
    for (name, kind) in ITEM_FIELDS {
        let schema = match kind {
            ItemField::Category => enum_schema(texts, lang, ITEM_CATEGORY_ENUM),
            ItemField::Text(max) => text_schema(max),
            ItemField::Money => {
                json!({"type": "number", "minimum": 0, "maximum": limits::ITEM_VALUE_MAX_EUR})
            }
        };
        properties.insert(
            name.into(),
            labelled(texts, lang, &format!("field.item.{name}"), schema),
        );
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["category"],
        "properties": properties,
    })
}

/// The JSON Schema (2020-12) of a procedure's facts form, with labels in `lang`. The
/// constraints do not depend on the language; facts are validated against this schema.
pub fn json_schema(texts: FormTexts<'_>, code: &str, form: &[FormField], lang: Lang) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for field in form {
        let schema = match &field.field_type {
            FieldType::Text { max_length } => text_schema(*max_length),
            FieldType::Number { minimum, maximum } => {
                json!({"type": "number", "minimum": minimum, "maximum": maximum})
            }
            FieldType::Integer { minimum, maximum } => {
                json!({"type": "integer", "minimum": minimum, "maximum": maximum})
            }
            FieldType::Boolean => json!({"type": "boolean"}),
            FieldType::Date => json!({"type": "string", "format": "date"}),
            FieldType::DateTime => json!({"type": "string", "format": "date-time"}),
            FieldType::Enum { enumeration } => enum_schema(texts, lang, enumeration),
            FieldType::TextList {
                max_items,
                max_length,
            } => json!({
                "type": "array", "maxItems": max_items, "items": text_schema(*max_length)
            }),
            FieldType::DateTimeList { max_items } => json!({
                "type": "array", "minItems": 1, "maxItems": max_items,
                "items": {"type": "string", "format": "date-time"}
            }),
            FieldType::Items { max_items } => json!({
                "type": "array", "minItems": u8::from(field.required), "maxItems": max_items,
                "items": item_schema(texts, lang)
            }),
        };
        properties.insert(
            field.name.clone(),
            labelled(texts, lang, &format!("field.{}", field.name), schema),
        );
        if field.required {
            required.push(field.name.clone());
        }
    }
    json!({
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": format!("urn:e-commissariat:form:{code}"),
        "title": texts.text(lang, &format!("procedure.{code}.name")),
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

/// A payload that fills every field of `form` with a valid value, with dates relative to
/// `now` that satisfy the usual date rules (for tests and client developers' examples).
pub fn sample(
    enums: &BTreeMap<String, Vec<String>>,
    form: &[FormField],
    now: DateTime<Utc>,
) -> Value {
    let first = |enumeration: &str| {
        enums
            .get(enumeration)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    };
    let day = |days: i64| (now + Duration::days(days)).format("%Y-%m-%d").to_string();
    let instant = |days: i64| {
        (now + Duration::days(days))
            .format("%Y-%m-%dT10:00:00Z")
            .to_string()
    };
    let mut object = Map::new();
    for field in form {
        let value = match &field.field_type {
            FieldType::Text { max_length } => {
                Value::String("Sample text".chars().take(*max_length).collect())
            }
            FieldType::Number { minimum, maximum } => json!((minimum + maximum) / 2.0),
            FieldType::Integer { minimum, .. } => json!(minimum),
            FieldType::Boolean => json!(true),
            // A birth date is in the past, travel dates in the future: a date field's
            // sample is read from its name's role in the date rules' usual shapes.
            FieldType::Date if field.name.contains("birth") => json!(day(-10 * 365)),
            FieldType::Date if field.name.starts_with("return") => json!(day(14)),
            FieldType::Date => json!(day(7)),
            FieldType::DateTime => json!(instant(-1)),
            FieldType::Enum { enumeration } => json!(first(enumeration)),
            FieldType::TextList { .. } => json!(["suspect@example.org"]),
            FieldType::DateTimeList { .. } => json!([instant(3)]),
            FieldType::Items { .. } => json!([{
                "category": first(ITEM_CATEGORY_ENUM),
                "brand": "Sample",
                "serial_number": "SN-123",
                "colour": "black",
                "estimated_value_eur": 120.0
            }]),
        };
        object.insert(field.name.clone(), value);
    }
    Value::Object(object)
}

/// What would have been accepted where a field failed: data for clients, and the
/// parameters of the localized explanation. Absent members are omitted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Accepted {
    /// The accepted values (codes), for `unknown_option` and similar.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// The minimum length, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u64>,
    /// The maximum length, in characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u64>,
    /// The smallest accepted number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum: Option<Number>,
    /// The largest accepted number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum: Option<Number>,
    /// The fewest accepted values in a list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u64>,
    /// The most accepted values in a list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u64>,
    /// The earliest accepted date (`YYYY-MM-DD`) or date-time (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earliest: Option<String>,
    /// The latest accepted date (`YYYY-MM-DD`) or date-time (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// How old, in days, facts may be.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_days: Option<u32>,
    /// The age, in years, a person must be younger than.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age_years: Option<u32>,
    /// JSON pointer of the other field the value was compared with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
}

impl Accepted {
    /// The members present, each as `(name, text)`, in a fixed order: the parameters of
    /// the explanation sentences (`field_limit.<name>`). `other` is data only.
    pub fn entries(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = &self.allowed {
            out.push(("allowed", v.join(", ")));
        }
        let numbers: [(&'static str, Option<String>); 10] = [
            ("min_length", self.min_length.map(|n| n.to_string())),
            ("max_length", self.max_length.map(|n| n.to_string())),
            ("minimum", self.minimum.as_ref().map(Number::to_string)),
            ("maximum", self.maximum.as_ref().map(Number::to_string)),
            ("min_items", self.min_items.map(|n| n.to_string())),
            ("max_items", self.max_items.map(|n| n.to_string())),
            ("earliest", self.earliest.clone()),
            ("latest", self.latest.clone()),
            ("max_age_days", self.max_age_days.map(|n| n.to_string())),
            ("max_age_years", self.max_age_years.map(|n| n.to_string())),
        ];
        out.extend(numbers.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
        out
    }

    /// Every member name `entries` can give (for completeness tests of the texts).
    pub const ENTRY_NAMES: [&'static str; 11] = [
        "allowed",
        "min_length",
        "max_length",
        "minimum",
        "maximum",
        "min_items",
        "max_items",
        "earliest",
        "latest",
        "max_age_days",
        "max_age_years",
    ];
}

/// One invalid field of a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// JSON pointer from the root of the validated payload.
    pub pointer: String,
    /// `required`, `unknown_field`, `invalid_type`, `empty`, `too_long`, `out_of_range`,
    /// `unknown_option`, `invalid_date`, `invalid_date_time`, `too_many`, `too_few`,
    /// `in_past`, `in_future`, `too_early`, `too_late`, `age_over_limit`,
    /// `unknown_question`, `invalid_answer`, `contradicts_facts`.
    pub code: &'static str,
    /// What would have been accepted.
    pub accepted: Accepted,
}

impl FieldIssue {
    pub fn new(pointer: impl Into<String>, code: &'static str) -> Self {
        Self {
            pointer: pointer.into(),
            code,
            accepted: Accepted::default(),
        }
    }

    pub fn with(mut self, accepted: Accepted) -> Self {
        self.accepted = accepted;
        self
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// A form's published schema, compiled once.
pub struct FormValidator {
    schema: Value,
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for FormValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormValidator")
            .field("schema", &self.schema["$id"])
            .finish_non_exhaustive()
    }
}

impl FormValidator {
    /// Compiles `schema` (a `json_schema` result) with format assertions on.
    pub fn new(schema: Value) -> Result<Self, String> {
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| e.to_string())?;
        Ok(Self { schema, validator })
    }

    /// The schema this validator checks against.
    pub fn schema(&self) -> &Value {
        &self.schema
    }

    /// The issues of `payload`, pointers prefixed with `base`, one per pointer, in the
    /// form's order (unknown fields first).
    pub fn issues(&self, form: &[FormField], payload: &Value, base: &str) -> Vec<FieldIssue> {
        let mut found: Vec<(u8, FieldIssue)> = Vec::new();
        for error in self.validator.iter_errors(payload) {
            let at = error.instance_path().as_str().to_owned();
            let sub = parent_schema(&self.schema, error.schema_path().as_str());
            use jsonschema::error::ValidationErrorKind as K;
            let mut push = |pointer: String, code: &'static str, accepted: Accepted| {
                let priority = match code {
                    "invalid_type" => 0,
                    "required" | "unknown_field" => 1,
                    _ => 2,
                };
                found.push((priority, FieldIssue::new(pointer, code).with(accepted)));
            };
            match error.kind() {
                K::Required { property } => {
                    let name = property.as_str().unwrap_or_default();
                    push(
                        format!("{at}/{}", escape(name)),
                        "required",
                        Accepted::default(),
                    );
                }
                K::AdditionalProperties { unexpected } => {
                    for key in unexpected {
                        push(
                            format!("{at}/{}", escape(key)),
                            "unknown_field",
                            Accepted::default(),
                        );
                    }
                }
                K::Type { .. } => push(at, "invalid_type", Accepted::default()),
                K::MinLength { .. } | K::Pattern { .. } => push(
                    at,
                    "empty",
                    Accepted {
                        min_length: Some(1),
                        ..length_limits(sub)
                    },
                ),
                K::MaxLength { .. } => push(at, "too_long", length_limits(sub)),
                K::Minimum { .. } | K::Maximum { .. } => push(
                    at,
                    "out_of_range",
                    Accepted {
                        minimum: number_at(sub, "minimum"),
                        maximum: number_at(sub, "maximum"),
                        ..Accepted::default()
                    },
                ),
                K::OneOfNotValid { .. } | K::Enum { .. } | K::Constant { .. } => {
                    push(at, "unknown_option", allowed_values(sub))
                }
                K::Format { format } if format == "date" => {
                    push(at, "invalid_date", Accepted::default())
                }
                K::Format { .. } => push(at, "invalid_date_time", Accepted::default()),
                K::MaxItems { .. } => push(at, "too_many", item_limits(sub)),
                K::MinItems { .. } => push(at, "too_few", item_limits(sub)),
                _ => push(at, "invalid_type", Accepted::default()),
            }
        }
        // One issue per pointer: the most basic one (a wrong type before its details).
        found.sort_by(|(pa, a), (pb, b)| {
            order_key(form, &a.pointer)
                .cmp(&order_key(form, &b.pointer))
                .then(a.pointer.cmp(&b.pointer))
                .then(pa.cmp(pb))
        });
        found.dedup_by(|(_, later), (_, kept)| later.pointer == kept.pointer);
        found
            .into_iter()
            .map(|(_, mut issue)| {
                issue.pointer = format!("{base}{}", issue.pointer);
                issue
            })
            .collect()
    }
}

/// The schema object holding the keyword at the end of `schema_path`.
fn parent_schema<'a>(schema: &'a Value, schema_path: &str) -> &'a Value {
    let parent = schema_path
        .rsplit_once('/')
        .map(|(parent, _)| parent)
        .unwrap_or_default();
    schema.pointer(parent).unwrap_or(&Value::Null)
}

fn number_at(schema: &Value, keyword: &str) -> Option<Number> {
    schema.get(keyword).and_then(Value::as_number).cloned()
}

fn length_limits(schema: &Value) -> Accepted {
    Accepted {
        max_length: schema.get("maxLength").and_then(Value::as_u64),
        ..Accepted::default()
    }
}

fn item_limits(schema: &Value) -> Accepted {
    Accepted {
        min_items: schema
            .get("minItems")
            .and_then(Value::as_u64)
            .filter(|n| *n > 0),
        max_items: schema.get("maxItems").and_then(Value::as_u64),
        ..Accepted::default()
    }
}

fn allowed_values(schema: &Value) -> Accepted {
    let options = schema
        .get("oneOf")
        .and_then(Value::as_array)
        .map(|o| o.iter().filter_map(|v| v.get("const")).collect::<Vec<_>>())
        .or_else(|| {
            schema
                .get("enum")
                .and_then(Value::as_array)
                .map(|o| o.iter().collect())
        })
        .unwrap_or_default();
    Accepted {
        allowed: Some(
            options
                .into_iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
        ),
        ..Accepted::default()
    }
}

/// Sorts issues in the form's order: a pointer `/field/i/sub` ranks by the field's place
/// in the form (unknown fields first), the index, then the item sub-field's place.
fn order_key(form: &[FormField], pointer: &str) -> (usize, usize, usize) {
    let mut segments = pointer.split('/').skip(1);
    let field = segments
        .next()
        .and_then(|s| form.iter().position(|f| f.name == s))
        .map_or(0, |i| i + 1);
    let index = segments
        .next()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(0);
    let sub = segments
        .next()
        .and_then(|s| ITEM_FIELDS.iter().position(|(name, _)| *name == s))
        .map_or(0, |i| i + 1);
    (field, index, sub)
}

/// The moment a form is checked at: the instant, and the local date at the place of the
/// facts (its time zone). The domain never reads the clock: callers pass them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    pub now: DateTime<Utc>,
    pub zone: Tz,
}

impl Moment {
    pub fn new(now: DateTime<Utc>, zone: Tz) -> Self {
        Self { now, zone }
    }

    /// The local date at the place.
    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&self.zone).date_naive()
    }
}

/// A date or an instant read from a form value.
#[derive(Debug, Clone, Copy)]
enum Temporal {
    Date(NaiveDate),
    Instant(DateTime<Utc>),
}

impl Temporal {
    fn read(value: &Value) -> Option<Self> {
        let s = value.as_str()?;
        if s.len() == 10 {
            crate::dates::full_date(s).map(Temporal::Date)
        } else {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|d| Temporal::Instant(d.with_timezone(&Utc)))
        }
    }

    fn date(self, zone: Tz) -> NaiveDate {
        match self {
            Temporal::Date(d) => d,
            Temporal::Instant(i) => i.with_timezone(&zone).date_naive(),
        }
    }

    fn text(self) -> String {
        match self {
            Temporal::Date(d) => d.format("%Y-%m-%d").to_string(),
            Temporal::Instant(i) => i.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

/// Compares two temporal values: instants as instants, anything with a date as dates
/// at the place.
fn compare(a: Temporal, b: Temporal, zone: Tz) -> std::cmp::Ordering {
    match (a, b) {
        (Temporal::Instant(x), Temporal::Instant(y)) => x.cmp(&y),
        _ => a.date(zone).cmp(&b.date(zone)),
    }
}

/// The values of `field` in `payload` with their pointers (each element of a list).
fn temporal_values(payload: &Value, field: &str) -> Vec<(String, Temporal)> {
    match payload.get(field) {
        Some(Value::Array(values)) => values
            .iter()
            .enumerate()
            .filter_map(|(i, v)| Temporal::read(v).map(|t| (format!("/{field}/{i}"), t)))
            .collect(),
        Some(v) => Temporal::read(v)
            .map(|t| vec![(format!("/{field}"), t)])
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

/// The value `bound` stands for, or `None` when the other field has no readable value.
fn resolve(bound: &Bound, subject: Temporal, payload: &Value, moment: &Moment) -> Option<Temporal> {
    match bound {
        Bound::Today => Some(Temporal::Date(moment.today())),
        Bound::Now => Some(match subject {
            Temporal::Date(_) => Temporal::Date(moment.today()),
            Temporal::Instant(_) => Temporal::Instant(moment.now),
        }),
        Bound::Field(other) => match payload.get(other).map(Temporal::read) {
            Some(Some(t)) => Some(t),
            _ => None,
        },
    }
}

/// Evaluates a form's cross-field rules on values that passed the schema. Values that
/// are absent or unreadable are left to the schema's issues.
pub fn check_rules(
    rules: &[FormRule],
    payload: &Value,
    base: &str,
    moment: &Moment,
) -> Vec<FieldIssue> {
    let mut out = Vec::new();
    let other_pointer = |bound: &Bound| match bound {
        Bound::Field(f) => Some(format!("{base}/{}", escape(f))),
        _ => None,
    };
    for rule in rules {
        for (pointer, value) in temporal_values(payload, rule.field()) {
            let at = format!("{base}{pointer}");
            match rule {
                FormRule::NotBefore { bound, .. } => {
                    let Some(limit) = resolve(bound, value, payload, moment) else {
                        continue;
                    };
                    let limit = slack(limit, bound, -1);
                    if compare(value, limit, moment.zone).is_lt() {
                        let code = if matches!(bound, Bound::Field(_)) {
                            "too_early"
                        } else {
                            "in_past"
                        };
                        out.push(FieldIssue::new(at, code).with(Accepted {
                            earliest: Some(limit.text()),
                            other: other_pointer(bound),
                            ..Accepted::default()
                        }));
                    }
                }
                FormRule::NotAfter { bound, .. } => {
                    let Some(limit) = resolve(bound, value, payload, moment) else {
                        continue;
                    };
                    let limit = slack(limit, bound, 1);
                    if compare(value, limit, moment.zone).is_gt() {
                        let code = if matches!(bound, Bound::Field(_)) {
                            "too_late"
                        } else {
                            "in_future"
                        };
                        out.push(FieldIssue::new(at, code).with(Accepted {
                            latest: Some(limit.text()),
                            other: other_pointer(bound),
                            ..Accepted::default()
                        }));
                    }
                }
                FormRule::YoungerThan { years, on, .. } => {
                    let Some(reference) = resolve(on, value, payload, moment) else {
                        continue;
                    };
                    let birth = value.date(moment.zone);
                    let on_date = reference.date(moment.zone);
                    if age_on(birth, on_date) >= i64::from(*years) {
                        out.push(
                            FieldIssue::new(at, "age_over_limit").with(Accepted {
                                max_age_years: Some(*years),
                                earliest: earliest_birth_date(on_date, *years)
                                    .map(|d| d.format("%Y-%m-%d").to_string()),
                                other: other_pointer(on),
                                ..Accepted::default()
                            }),
                        );
                    }
                }
            }
        }
    }
    out
}

/// A comparison with "now" tolerates the device's clock skew.
fn slack(limit: Temporal, bound: &Bound, sign: i64) -> Temporal {
    match (limit, bound) {
        (Temporal::Instant(i), Bound::Now) => {
            Temporal::Instant(i + Duration::minutes(sign * CLOCK_SKEW_MINUTES))
        }
        _ => limit,
    }
}

/// Completed years from `birth` to `on` (negative when `on` is before the birth).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i64 {
    let mut years = i64::from(on.year()) - i64::from(birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// The earliest birth date of someone younger than `years` on `on`: the day after their
/// `years`-th birthday would fall on or before `on`.
fn earliest_birth_date(on: NaiveDate, years: u32) -> Option<NaiveDate> {
    let year = on.year().checked_sub(i32::try_from(years).ok()?)?;
    // 29 February: the birthday is taken on 1 March in common years.
    let anniversary = NaiveDate::from_ymd_opt(year, on.month(), on.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))?;
    anniversary.succ_opt()
}

/// Checks `payload` against `form` (through its compiled schema) and then its `rules`;
/// pointers are prefixed with `base` (such as `/facts`). A value with a schema issue is
/// not checked by the rules.
pub fn validate(
    validator: &FormValidator,
    form: &[FormField],
    rules: &[FormRule],
    payload: &Value,
    base: &str,
    moment: &Moment,
) -> Vec<FieldIssue> {
    let mut issues = validator.issues(form, payload, base);
    if payload.is_object() {
        for issue in check_rules(rules, payload, base, moment) {
            let conflicting = issues.iter().any(|i| {
                i.pointer == issue.pointer || issue.pointer.starts_with(&format!("{}/", i.pointer))
            });
            if !conflicting {
                issues.push(issue);
            }
        }
    }
    issues
}

/// Rewrites the integer fields of `payload` that are written with a fraction or an
/// exponent (`3.0`, `3e0`: integers for JSON Schema) as plain integers, so that stored
/// facts, receipts and exports show `3`. Other values are left as they are.
pub fn normalize(form: &[FormField], payload: &mut Value) {
    let Some(object) = payload.as_object_mut() else {
        return;
    };
    for field in form {
        if let (FieldType::Integer { .. }, Some(value)) =
            (&field.field_type, object.get_mut(&field.name))
        {
            let integral = value
                .as_f64()
                .filter(|n| n.fract() == 0.0 && value.as_i64().is_none())
                .filter(|n| n.abs() < 9.0e15);
            if let Some(n) = integral {
                // Exact: |n| < 2^53, and the fraction is zero.
                #[allow(clippy::cast_possible_truncation)]
                let n = n as i64;
                *value = Value::from(n);
            }
        }
    }
}
