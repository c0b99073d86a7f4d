//! Lost-and-found matching (issue 20): how likely a found object is a lost (or stolen)
//! one. An identical identifier is a certain match. Otherwise the kind of object must
//! agree, the find may not come before the loss nor too long after it
//! ([`MatchSettings::window_days`]), both places must be within
//! [`MatchSettings::radius_m`] when both are known, and different brands or different
//! identifiers of the same kind rule a pair out; what remains is scored from the brand,
//! model and colour, the distance, the time between loss and find, and the similarity of
//! the descriptions (Sørensen–Dice over character bigrams, by the `strsim` crate).
//! Each candidate carries its score and the reasons, which [`Outcome::explanation`]
//! puts in words ("same brand and colour, 300 m and 2 days apart").
//!
//! The labelled pairs of `domain/tests/data/matching.json` measure it (precision and
//! recall at [`MatchSettings::threshold`], `domain/tests/matching.rs`).

use super::kinds_compare;
use crate::identifiers::IdentifierKind;
use chrono::{DateTime, Utc};
use geo::{Distance, Haversine, Point};
use serde::{Deserialize, Serialize};

/// The deployment's matching parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchSettings {
    /// The largest distance between the places of loss and find, in metres.
    pub radius_m: f64,
    /// The longest time from the loss to the find, in days.
    pub window_days: i64,
    /// The lowest score proposed as a candidate (0–1).
    pub threshold: f64,
    /// The lowest score at which the owner is told an object that may be theirs was
    /// found (a certain match always tells them).
    pub notify_threshold: f64,
}

impl Default for MatchSettings {
    fn default() -> Self {
        MatchSettings {
            radius_m: 5_000.0,
            window_days: 60,
            threshold: 0.5,
            notify_threshold: 0.8,
        }
    }
}

/// An object as matching sees it (lost, stolen or found).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sighting {
    pub category: String,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub colour: Option<String>,
    pub description: Option<String>,
    /// Normalised identifiers.
    pub identifiers: Vec<(IdentifierKind, String)>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub municipality: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// Why a pair scored as it did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    SameIdentifier { kind: IdentifierKind },
    SameBrand,
    SameModel,
    SameColour,
    Distance { metres: u32 },
    SameMunicipality,
    DaysApart { days: i64 },
    SimilarDescription { percent: u32 },
}

/// A candidate pair's score (0–1) and reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub score: f64,
    /// An identical identifier: the same object.
    pub certain: bool,
    pub reasons: Vec<Reason>,
}

fn same_text(a: Option<&str>, b: Option<&str>) -> Option<bool> {
    let (a, b) = (a?, b?);
    Some(a.trim().to_lowercase() == b.trim().to_lowercase())
}

fn words(s: &str) -> Vec<String> {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Colours agree when one's words include the other's main word ("dark blue", "blue").
fn colours_agree(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    a.iter().any(|w| b.contains(w))
}

fn categories_agree(a: &str, b: &str) -> bool {
    a == b || a == "other" || b == "other"
}

/// The text a description is compared on: brand, model, colour and description.
fn prose(s: &Sighting) -> String {
    [&s.brand, &s.model, &s.colour, &s.description]
        .into_iter()
        .flatten()
        .map(|t| t.to_lowercase())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Scores `found` against `lost` (a lost or stolen object); `None` when they cannot be
/// the same object or score below the threshold.
pub fn score(lost: &Sighting, found: &Sighting, settings: &MatchSettings) -> Option<Outcome> {
    // Identifiers: one in common settles it; different ones of the same kind rule it out.
    for (kind, value) in &lost.identifiers {
        if found
            .identifiers
            .iter()
            .any(|(k, v)| kinds_compare(*kind, *k) && v == value)
        {
            return Some(Outcome {
                score: 1.0,
                certain: true,
                reasons: vec![Reason::SameIdentifier { kind: *kind }],
            });
        }
    }
    let conflict = lost
        .identifiers
        .iter()
        .any(|(k, _)| found.identifiers.iter().any(|(k2, _)| k2 == k));
    if conflict || !categories_agree(&lost.category, &found.category) {
        return None;
    }
    let mut reasons = Vec::new();
    let mut total = if lost.category == found.category {
        0.25
    } else {
        0.1
    };
    match same_text(lost.brand.as_deref(), found.brand.as_deref()) {
        Some(false) => return None,
        Some(true) => {
            total += 0.2;
            reasons.push(Reason::SameBrand);
        }
        None => {}
    }
    // A finder may name a model or a colour loosely: a difference weighs against the
    // pair without ruling it out.
    match same_text(lost.model.as_deref(), found.model.as_deref()) {
        Some(true) => {
            total += 0.1;
            reasons.push(Reason::SameModel);
        }
        Some(false) => total -= 0.15,
        None => {}
    }
    if let (Some(a), Some(b)) = (&lost.colour, &found.colour) {
        if colours_agree(a, b) {
            total += 0.1;
            reasons.push(Reason::SameColour);
        } else {
            total -= 0.2;
        }
    }
    // Place.
    match (lost.lat.zip(lost.lon), found.lat.zip(found.lon)) {
        (Some((la, lo)), Some((fa, fo))) => {
            let metres = Haversine.distance(Point::new(lo, la), Point::new(fo, fa));
            if metres > settings.radius_m {
                return None;
            }
            total += 0.15 * (1.0 - metres / settings.radius_m);
            reasons.push(Reason::Distance {
                metres: metres.round() as u32,
            });
        }
        _ => {
            if lost.municipality.is_some() && lost.municipality == found.municipality {
                total += 0.08;
                reasons.push(Reason::SameMunicipality);
            }
        }
    }
    // Time: found after the loss (a day of slack for imprecise dates), within the window.
    if let (Some(lost_at), Some(found_at)) = (lost.at, found.at) {
        let days = (found_at - lost_at).num_hours().div_euclid(24);
        if days < -1 || days > settings.window_days {
            return None;
        }
        let window = settings.window_days.max(1) as f64;
        total += 0.1 * (1.0 - days.max(0) as f64 / window);
        reasons.push(Reason::DaysApart { days: days.max(0) });
    }
    let (a, b) = (prose(lost), prose(found));
    if !a.is_empty() && !b.is_empty() {
        let similarity = strsim::sorensen_dice(&a, &b);
        total += 0.3 * similarity;
        if similarity >= 0.3 {
            reasons.push(Reason::SimilarDescription {
                percent: (similarity * 100.0).round() as u32,
            });
        }
    }
    let score = total.clamp(0.0, 0.99);
    (score >= settings.threshold).then_some(Outcome {
        score,
        certain: false,
        reasons,
    })
}

/// The words for a kind of identifier, in explanations.
pub fn kind_words(kind: IdentifierKind) -> &'static str {
    match kind {
        IdentifierKind::Imei => "IMEI",
        IdentifierKind::FrameNumber => "frame number",
        IdentifierKind::Plate => "plate",
        IdentifierKind::SerialNumber => "serial number",
        IdentifierKind::EngravingCode => "engraving code",
        IdentifierKind::Iban => "IBAN",
        IdentifierKind::Phone => "phone number",
        IdentifierKind::Email => "e-mail address",
        IdentifierKind::WebDomain => "web domain",
        IdentifierKind::CryptoWallet => "wallet address",
    }
}

impl Outcome {
    /// The reasons in words, for the officer: "same frame number", "same brand and
    /// colour, 300 m and 2 days apart".
    pub fn explanation(&self) -> String {
        let mut same = Vec::new();
        let mut apart = Vec::new();
        let mut other = Vec::new();
        for reason in &self.reasons {
            match reason {
                Reason::SameIdentifier { kind } => return format!("same {}", kind_words(*kind)),
                Reason::SameBrand => same.push("brand"),
                Reason::SameModel => same.push("model"),
                Reason::SameColour => same.push("colour"),
                Reason::Distance { metres } if *metres >= 1000 => {
                    apart.push(format!("{:.1} km", f64::from(*metres) / 1000.0))
                }
                Reason::Distance { metres } => apart.push(format!("{metres} m")),
                Reason::SameMunicipality => other.push("same municipality".to_owned()),
                Reason::DaysApart { days: 1 } => apart.push("1 day".to_owned()),
                Reason::DaysApart { days } => apart.push(format!("{days} days")),
                Reason::SimilarDescription { percent } => {
                    other.push(format!("descriptions {percent} % alike"))
                }
            }
        }
        let mut parts = Vec::new();
        if !same.is_empty() {
            parts.push(format!("same {}", join_and(&same)));
        }
        if !apart.is_empty() {
            parts.push(format!("{} apart", join_and(&apart)));
        }
        parts.extend(other);
        if parts.is_empty() {
            return "same kind of object".to_owned();
        }
        parts.join(", ")
    }
}

fn join_and<S: AsRef<str>>(parts: &[S]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => format!(
            "{} and {}",
            init.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}
