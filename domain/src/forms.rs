//! Facts forms: typed fields, published as JSON Schema (2020-12) with localized labels,
//! and validated field by field with JSON pointers.

use crate::catalogue::Catalogue;
use crate::i18n::Lang;
use chrono::{DateTime, NaiveDate};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

const JSON_SCHEMA_DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormField {
    pub name: String,
    pub field_type: FieldType,
    pub required: bool,
}

/// The sub-fields of an item.
const ITEM_FIELDS: [(&str, ItemField); 7] = [
    ("category", ItemField::Category),
    ("brand", ItemField::Text(100)),
    ("model", ItemField::Text(100)),
    ("serial_number", ItemField::Text(100)),
    ("colour", ItemField::Text(50)),
    ("estimated_value_eur", ItemField::Money),
    ("description", ItemField::Text(500)),
];

#[derive(Clone, Copy)]
enum ItemField {
    Category,
    Text(usize),
    Money,
}

const ITEM_CATEGORY_ENUM: &str = "item_category";
const MAX_MONEY: f64 = 10_000_000.0;

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

fn labelled(catalogue: &Catalogue, lang: Lang, key_prefix: &str, mut schema: Value) -> Value {
    if let Some(object) = schema.as_object_mut() {
        object.insert(
            "title".into(),
            catalogue.text(lang, &format!("{key_prefix}.label")).into(),
        );
        if let Some(help) = catalogue.optional_text(lang, &format!("{key_prefix}.help")) {
            object.insert("description".into(), help.into());
        }
    }
    schema
}

fn enum_schema(catalogue: &Catalogue, lang: Lang, enumeration: &str) -> Value {
    let options: Vec<Value> = catalogue
        .enums
        .get(enumeration)
        .into_iter()
        .flatten()
        .map(|v| json!({"const": v, "title": catalogue.text(lang, &format!("option.{enumeration}.{v}"))}))
        .collect();
    json!({"type": "string", "oneOf": options})
}

fn text_schema(max_length: usize) -> Value {
    json!({"type": "string", "minLength": 1, "maxLength": max_length, "pattern": "\\S"})
}

fn item_schema(catalogue: &Catalogue, lang: Lang) -> Value {
    let mut properties = Map::new();
    for (name, kind) in ITEM_FIELDS {
        let schema = match kind {
            ItemField::Category => enum_schema(catalogue, lang, ITEM_CATEGORY_ENUM),
            ItemField::Text(max) => text_schema(max),
            ItemField::Money => json!({"type": "number", "minimum": 0, "maximum": MAX_MONEY}),
        };
        properties.insert(
            name.into(),
            labelled(catalogue, lang, &format!("field.item.{name}"), schema),
        );
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["category"],
        "properties": properties,
    })
}

/// The JSON Schema of a procedure's facts form, with labels in `lang`.
pub fn json_schema(catalogue: &Catalogue, code: &str, form: &[FormField], lang: Lang) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut needs_item = false;
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
            FieldType::Enum { enumeration } => enum_schema(catalogue, lang, enumeration),
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
            FieldType::Items { max_items } => {
                needs_item = true;
                json!({
                    "type": "array", "minItems": u8::from(field.required), "maxItems": max_items,
                    "items": {"$ref": "#/$defs/item"}
                })
            }
        };
        properties.insert(
            field.name.clone(),
            labelled(catalogue, lang, &format!("field.{}", field.name), schema),
        );
        if field.required {
            required.push(field.name.clone());
        }
    }
    let mut schema = json!({
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": format!("urn:e-commissariat:form:{code}"),
        "title": catalogue.text(lang, &format!("procedure.{code}.name")),
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    });
    if needs_item {
        schema["$defs"] = json!({"item": item_schema(catalogue, lang)});
    }
    schema
}

/// A payload that fills every field of `form` with a valid value (for tests and for
/// client developers' examples).
pub fn sample(catalogue: &Catalogue, form: &[FormField]) -> Value {
    let first = |enumeration: &str| {
        catalogue
            .enums
            .get(enumeration)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
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
            FieldType::Date => json!("2026-11-20"),
            FieldType::DateTime => json!("2026-11-20T14:30:00+01:00"),
            FieldType::Enum { enumeration } => json!(first(enumeration)),
            FieldType::TextList { .. } => json!(["suspect@example.org"]),
            FieldType::DateTimeList { .. } => json!(["2026-12-01T09:00:00+01:00"]),
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

/// One invalid field of a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// JSON pointer from the root of the validated payload.
    pub pointer: String,
    /// `required`, `unknown_field`, `invalid_type`, `empty`, `too_long`, `out_of_range`,
    /// `unknown_option`, `invalid_date`, `invalid_date_time`, `too_many`, `too_few`.
    pub code: &'static str,
}

fn issue(pointer: String, code: &'static str) -> FieldIssue {
    FieldIssue { pointer, code }
}

fn check_text(value: &Value, max: usize, at: String, out: &mut Vec<FieldIssue>) {
    match value.as_str() {
        None => out.push(issue(at, "invalid_type")),
        Some(s) if s.trim().is_empty() => out.push(issue(at, "empty")),
        Some(s) if s.chars().count() > max => out.push(issue(at, "too_long")),
        Some(_) => {}
    }
}

fn check_date_time(value: &Value, at: String, out: &mut Vec<FieldIssue>) {
    match value.as_str() {
        Some(s) if DateTime::parse_from_rfc3339(s).is_ok() => {}
        Some(_) => out.push(issue(at, "invalid_date_time")),
        None => out.push(issue(at, "invalid_type")),
    }
}

fn check_number(value: &Value, min: f64, max: f64, at: String, out: &mut Vec<FieldIssue>) {
    match value.as_f64() {
        None => out.push(issue(at, "invalid_type")),
        Some(n) if !(min..=max).contains(&n) => out.push(issue(at, "out_of_range")),
        Some(_) => {}
    }
}

fn check_enum(
    catalogue: &Catalogue,
    enumeration: &str,
    value: &Value,
    at: String,
    out: &mut Vec<FieldIssue>,
) {
    match value.as_str() {
        None => out.push(issue(at, "invalid_type")),
        Some(v)
            if !catalogue
                .enums
                .get(enumeration)
                .is_some_and(|values| values.iter().any(|x| x == v)) =>
        {
            out.push(issue(at, "unknown_option"))
        }
        Some(_) => {}
    }
}

fn check_array<'a>(
    value: &'a Value,
    min: usize,
    max: usize,
    at: &str,
    out: &mut Vec<FieldIssue>,
) -> &'a [Value] {
    match value.as_array() {
        None => {
            out.push(issue(at.to_owned(), "invalid_type"));
            &[]
        }
        Some(items) if items.len() > max => {
            out.push(issue(at.to_owned(), "too_many"));
            &[]
        }
        Some(items) if items.len() < min => {
            out.push(issue(at.to_owned(), "too_few"));
            &[]
        }
        Some(items) => items,
    }
}

fn check_item(catalogue: &Catalogue, value: &Value, at: &str, out: &mut Vec<FieldIssue>) {
    let Some(object) = value.as_object() else {
        out.push(issue(at.to_owned(), "invalid_type"));
        return;
    };
    for key in object.keys() {
        if !ITEM_FIELDS.iter().any(|(name, _)| name == key) {
            out.push(issue(format!("{at}/{}", escape(key)), "unknown_field"));
        }
    }
    for (name, kind) in ITEM_FIELDS {
        let pointer = format!("{at}/{name}");
        match (object.get(name), kind) {
            (None, ItemField::Category) => out.push(issue(pointer, "required")),
            (None, _) => {}
            (Some(v), ItemField::Category) => {
                check_enum(catalogue, ITEM_CATEGORY_ENUM, v, pointer, out)
            }
            (Some(v), ItemField::Text(max)) => check_text(v, max, pointer, out),
            (Some(v), ItemField::Money) => check_number(v, 0.0, MAX_MONEY, pointer, out),
        }
    }
}

/// Escapes a key for a JSON pointer (RFC 6901).
pub fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Checks `payload` against `form`; pointers are prefixed with `base` (such as `/facts`).
pub fn validate(
    catalogue: &Catalogue,
    form: &[FormField],
    payload: &Value,
    base: &str,
) -> Vec<FieldIssue> {
    let mut out = Vec::new();
    let Some(object) = payload.as_object() else {
        out.push(issue(base.to_owned(), "invalid_type"));
        return out;
    };
    for key in object.keys() {
        if !form.iter().any(|f| &f.name == key) {
            out.push(issue(format!("{base}/{}", escape(key)), "unknown_field"));
        }
    }
    for field in form {
        let at = format!("{base}/{}", field.name);
        let Some(value) = object.get(&field.name).filter(|v| !v.is_null()) else {
            if field.required {
                out.push(issue(at, "required"));
            }
            continue;
        };
        match &field.field_type {
            FieldType::Text { max_length } => check_text(value, *max_length, at, &mut out),
            FieldType::Number { minimum, maximum } => {
                check_number(value, *minimum, *maximum, at, &mut out)
            }
            FieldType::Integer { minimum, maximum } => match value.as_i64() {
                None => out.push(issue(at, "invalid_type")),
                Some(n) if !(*minimum..=*maximum).contains(&n) => {
                    out.push(issue(at, "out_of_range"))
                }
                Some(_) => {}
            },
            FieldType::Boolean => {
                if !value.is_boolean() {
                    out.push(issue(at, "invalid_type"));
                }
            }
            FieldType::Date => match value.as_str() {
                Some(s) if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() && s.len() == 10 => {}
                Some(_) => out.push(issue(at, "invalid_date")),
                None => out.push(issue(at, "invalid_type")),
            },
            FieldType::DateTime => check_date_time(value, at, &mut out),
            FieldType::Enum { enumeration } => {
                check_enum(catalogue, enumeration, value, at, &mut out)
            }
            FieldType::TextList {
                max_items,
                max_length,
            } => {
                for (i, v) in check_array(value, 0, *max_items, &at, &mut out)
                    .iter()
                    .enumerate()
                {
                    check_text(v, *max_length, format!("{at}/{i}"), &mut out);
                }
            }
            FieldType::DateTimeList { max_items } => {
                for (i, v) in check_array(value, 1, *max_items, &at, &mut out)
                    .iter()
                    .enumerate()
                {
                    check_date_time(v, format!("{at}/{i}"), &mut out);
                }
            }
            FieldType::Items { max_items } => {
                let min = usize::from(field.required);
                for (i, v) in check_array(value, min, *max_items, &at, &mut out)
                    .iter()
                    .enumerate()
                {
                    check_item(catalogue, v, &format!("{at}/{i}"), &mut out);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theft() -> (Catalogue, Vec<FormField>) {
        let catalogue = Catalogue::builtin().unwrap();
        let form = catalogue.procedure("simple_theft").unwrap().form.clone();
        (catalogue, form)
    }

    #[test]
    fn every_sample_passes_its_own_validation() {
        let catalogue = Catalogue::builtin().unwrap();
        for p in &catalogue.procedures {
            let sample = sample(&catalogue, &p.form);
            assert_eq!(
                validate(&catalogue, &p.form, &sample, "/facts"),
                vec![],
                "{}",
                p.code
            );
        }
    }

    #[test]
    fn issues_carry_pointers_and_codes() {
        let (catalogue, form) = theft();
        let payload = json!({
            "theft_kind": "bicycle",
            "circumstances": "   ",
            "items": [{"brand": "x", "colour": 3, "weird/key": 1}],
            "extra": true
        });
        let issues = validate(&catalogue, &form, &payload, "/facts");
        let found: Vec<(&str, &str)> = issues
            .iter()
            .map(|i| (i.pointer.as_str(), i.code))
            .collect();
        assert_eq!(
            found,
            vec![
                ("/facts/extra", "unknown_field"),
                ("/facts/theft_kind", "unknown_option"),
                ("/facts/circumstances", "empty"),
                ("/facts/items/0/weird~1key", "unknown_field"),
                ("/facts/items/0/category", "required"),
                ("/facts/items/0/colour", "invalid_type"),
            ]
        );
        let missing = validate(&catalogue, &form, &json!({}), "");
        assert_eq!(missing.len(), 3);
        assert!(missing.iter().all(|i| i.code == "required"));
        assert_eq!(
            validate(&catalogue, &form, &json!([]), "/facts")[0].code,
            "invalid_type"
        );
    }
}
