//! The filing aggregate and its parts, with typed fields. The API reads and writes these
//! shapes as JSON; persistence stores them, and reading back a value the domain does not
//! know is an error, never a silent default.

use super::{FilingStatus, ReferenceNumber};
use crate::catalogue::{Country, DeclarantKind};
use crate::directory::{MunicipalityId, Place};
use crate::eligibility::Answer;
use crate::i18n::Lang;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The place of the facts, as the citizen gave it: any combination of a municipality, a
/// postal code and coordinates, with a free-text description for the officer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOfFacts {
    /// Municipality id (`BE-25121`), or its code with `country`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Country of `postal_code` / `municipality`; the filing's country when absent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "country_code"
    )]
    pub country: Option<Country>,
    /// WGS84 latitude, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// WGS84 longitude, degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// Radius of the position's uncertainty, in metres, as the phone's location API
    /// reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accuracy_m: Option<f64>,
    /// Street, landmark, public-transport line: free text for the officer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl PlaceOfFacts {
    /// Whether nothing locates the place (a description alone does not).
    pub fn is_unlocated(&self) -> bool {
        self.municipality.is_none() && self.postal_code.is_none() && self.lat.is_none()
    }

    /// The place as routing reads it, in the filing's `country` unless it names its own.
    pub fn to_routing_place(&self, country: Country) -> Place {
        let country = self.country.unwrap_or(country);
        Place {
            municipality: self
                .municipality
                .as_deref()
                .and_then(|m| MunicipalityId::parse(m, Some(country))),
            postal_code: self.postal_code.clone().map(|p| (country, p)),
            point: self.lat.zip(self.lon),
            accuracy_m: self.accuracy_m,
        }
    }
}

/// When the facts happened: an instant, or an interval when the citizen is unsure.
/// The offset the citizen gave is kept for display; rules compare instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FactsDate {
    pub from: DateTime<FixedOffset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<FixedOffset>>,
}

impl FactsDate {
    /// The calendar date of the facts at the place of the facts: the start instant, in
    /// the country's time zone (a theft at 00:30 in Brussels happened that day, not the
    /// day before in UTC).
    pub fn local_date(&self, country: Country) -> NaiveDate {
        local_date(self.from.with_timezone(&Utc), country)
    }
}

/// The calendar date of `instant` in `country`'s legal time.
pub fn local_date(instant: DateTime<Utc>, country: Country) -> NaiveDate {
    instant.with_timezone(&country.time_zone()).date_naive()
}

/// How to reach the citizen.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Postal address for a confirmation by post.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_address: Option<String>,
}

crate::code_enum!(
    /// How the citizen receives the confirmation the Belgian source promises ("by postal
    /// mail or by e-mail, as you chose"), or in the app: the notification feed
    /// (`domain::notices::feed`) is then the confirmation, and nothing is queued in the
    /// outbox.
    ConfirmationChannel, "confirmation channel", {
        Email => "email",
        Post => "post",
        App => "app",
    }
);

impl ConfirmationChannel {
    /// Reads a stored value: the code, or the JSON-quoted code that rows written before
    /// 2026-11-30 hold (`"email"` with its quotes).
    pub fn from_stored(raw: &str) -> Result<Option<Self>, crate::UnknownCode> {
        let code = raw.trim().trim_matches('"');
        if code.is_empty() {
            return Ok(None);
        }
        code.parse().map(Some)
    }
}

/// An officer's decision, as the citizen sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub reason_code: String,
    pub explanation: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub where_to_go: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_unit: Option<String>,
}

/// A filing: a complaint, declaration or request of a citizen, from its draft to its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Filing {
    pub id: String,
    /// The citizen's pseudonymous id.
    pub owner: String,
    /// The procedure's code in the catalogue.
    pub procedure: String,
    pub country: Country,
    pub declarant: DeclarantKind,
    /// The language of the citizen's messages.
    pub language: Lang,
    pub place: PlaceOfFacts,
    pub facts_date: Option<FactsDate>,
    /// The facts, per the procedure's form (a JSON object; its `items` are the objects).
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// Answers to the eligibility questions.
    pub answers: BTreeMap<String, Answer>,
    pub contact: Contact,
    pub confirmation_channel: Option<ConfirmationChannel>,
    /// Whether the citizen wants this filing's notifications in the app (on unless they
    /// turned them off; the legally required ones still reach the feed when the app is
    /// their confirmation channel).
    pub app_notifications: bool,
    pub status: FilingStatus,
    /// The competent unit, once submitted (or transferred).
    pub unit: Option<String>,
    /// The municipality of the facts, once routed by place.
    pub municipality: Option<MunicipalityId>,
    /// The officer handling it.
    pub assigned_officer: Option<String>,
    pub reference: Option<ReferenceNumber>,
    /// The official record number, once registered.
    pub record_number: Option<String>,
    /// The officer's question and the citizen's answer.
    pub info_request: Option<String>,
    pub info_answer: Option<String>,
    pub decision: Option<Decision>,
    /// Optimistic-concurrency version, also the `ETag`.
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The front door it was made through: `None` for the police app, or the id of the
    /// partner (a portal, a zone's website) that acted for the citizen (issue 16).
    pub channel: Option<String>,
}

impl Filing {
    /// The objects listed in the facts (`facts.items`).
    pub fn items(&self) -> &[serde_json::Value] {
        self.facts
            .get("items")
            .and_then(serde_json::Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// The date that routing and receipts use: the local date of the facts at the place
    /// of the facts, or today's local date when no date was given yet.
    pub fn facts_local_date(&self, now: DateTime<Utc>) -> NaiveDate {
        match &self.facts_date {
            Some(date) => date.local_date(self.country),
            None => local_date(now, self.country),
        }
    }

    /// The answers as JSON (booleans and choices), as clients send them.
    pub fn answers_json(&self) -> serde_json::Map<String, serde_json::Value> {
        answers_to_json(&self.answers)
    }
}

/// Answers as JSON: `true`/`false` for yes/no questions, the option's code for choices.
pub fn answers_to_json(
    answers: &BTreeMap<String, Answer>,
) -> serde_json::Map<String, serde_json::Value> {
    answers
        .iter()
        .map(|(code, answer)| {
            let value = match answer {
                Answer::Yes => serde_json::Value::Bool(true),
                Answer::No => serde_json::Value::Bool(false),
                Answer::Choice(c) => serde_json::Value::String(c.clone()),
            };
            (code.clone(), value)
        })
        .collect()
}

/// Reads one answer: a boolean or a string; anything else is `None`.
pub fn answer_from_json(value: &serde_json::Value) -> Option<Answer> {
    match value {
        serde_json::Value::Bool(b) => Some(Answer::from_bool(*b)),
        serde_json::Value::String(s) => Some(Answer::Choice(s.clone())),
        _ => None,
    }
}

/// Serde for an optional country as its stable code (`BE`, `ES-CT`).
pub mod country_code {
    use crate::catalogue::Country;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Country>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(c) => s.serialize_str(c.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Country>, D::Error> {
        let raw = Option::<String>::deserialize(d)?;
        raw.map(|r| r.parse().map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theft_just_after_midnight_happened_on_the_local_day() {
        let date = FactsDate {
            from: DateTime::parse_from_rfc3339("2026-11-20T00:30:00+01:00").unwrap(),
            until: None,
        };
        assert_eq!(
            date.local_date(Country::Be),
            NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()
        );
        // The same instant given in UTC is still the 20th in Brussels.
        let utc = FactsDate {
            from: DateTime::parse_from_rfc3339("2026-11-19T23:30:00Z").unwrap(),
            until: None,
        };
        assert_eq!(utc.local_date(Country::Be), date.local_date(Country::Be));
        // Summer time: 23:30 UTC on 30 June is 1 July in Madrid.
        let summer = DateTime::parse_from_rfc3339("2026-06-30T23:30:00Z").unwrap();
        assert_eq!(
            local_date(summer.with_timezone(&Utc), Country::EsCt),
            NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()
        );
    }

    #[test]
    fn stored_channels_old_and_new() {
        assert_eq!(
            ConfirmationChannel::from_stored("\"email\""),
            Ok(Some(ConfirmationChannel::Email))
        );
        assert_eq!(
            ConfirmationChannel::from_stored("post"),
            Ok(Some(ConfirmationChannel::Post))
        );
        assert_eq!(ConfirmationChannel::from_stored(""), Ok(None));
        assert!(ConfirmationChannel::from_stored("pigeon").is_err());
    }

    #[test]
    fn a_place_names_its_country_by_code() {
        let place: PlaceOfFacts =
            serde_json::from_str(r#"{"postal_code":"1000","country":"ES-CT"}"#).unwrap();
        assert_eq!(place.country, Some(Country::EsCt));
        assert_eq!(
            serde_json::to_string(&place).unwrap(),
            r#"{"postal_code":"1000","country":"ES-CT"}"#
        );
        assert!(serde_json::from_str::<PlaceOfFacts>(r#"{"country":"XX"}"#).is_err());
    }
}
