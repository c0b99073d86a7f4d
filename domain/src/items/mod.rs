//! Items as records (issue 20): the objects of a filing, each with its category, brand,
//! model, colour, description and identifiers (normalised by `crate::identifiers`), and
//! the identifiers of the filing itself (a scam's IBAN, phone, e-mail, domain or wallet;
//! a fuel drive-off's plate). [`extract`] reads them from the filing's facts; they are
//! stored beside the filing, in the same transaction as its save, and indexed on the
//! normalised form, for the public stolen-item check ([`check_verdict`]), lost-and-found
//! matching ([`matching`]) and linked cases.
//!
//! What the citizen typed is kept (`typed`); an identifier that does not validate is
//! kept typed on the item (`serial_typed`) but not indexed: a typo should not link two
//! strangers' filings.

pub mod links;
pub mod matching;

use crate::filing::commands::OutgoingMessage;
use crate::filing::{ConfirmationChannel, Filing, FilingStatus, MessageTemplate};
use crate::identifiers::{
    is_placeholder, is_shared_platform, normalise, plate_of_any_country, Identifier, IdentifierKind,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

crate::code_enum!(
    /// Why an item is in a filing.
    ItemRole, "item role", {
        /// Declared lost by its owner.
        Lost => "lost",
        /// Stolen: the object of a theft complaint.
        Stolen => "stolen",
        /// Found, by a citizen, a lost-property office or the police.
        Found => "found",
        /// Listed in another kind of filing.
        Other => "other",
    }
);

impl ItemRole {
    /// The role of a procedure's items.
    pub fn of_procedure(procedure: &str) -> Self {
        match procedure {
            "lost_object" => ItemRole::Lost,
            "found_object" => ItemRole::Found,
            "simple_theft" | "bicycle_theft" | "shoplifting" => ItemRole::Stolen,
            _ => ItemRole::Other,
        }
    }
}

/// The kinds that identify an object itself (as opposed to a scam's or a vehicle's): the
/// same code typed as a serial by one citizen and as a frame number by another is one
/// object, so these compare with each other.
pub const OBJECT_KINDS: [IdentifierKind; 4] = [
    IdentifierKind::Imei,
    IdentifierKind::FrameNumber,
    IdentifierKind::SerialNumber,
    IdentifierKind::EngravingCode,
];

/// Whether two identifier kinds compare (same kind, or both object kinds).
pub fn kinds_compare(a: IdentifierKind, b: IdentifierKind) -> bool {
    a == b || (OBJECT_KINDS.contains(&a) && OBJECT_KINDS.contains(&b))
}

/// One object of a filing, as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemRecord {
    /// Its index in `facts.items` (0 for the object of a lost/found declaration that
    /// lists no items).
    pub position: i32,
    pub role: ItemRole,
    pub category: String,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub colour: Option<String>,
    pub description: Option<String>,
    /// The serial, IMEI or frame number as typed (validated or not).
    pub serial_typed: Option<String>,
    /// Where and when (the filing's place and the start of the facts), for matching.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub municipality: Option<String>,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// An identifier of a filing: of one of its items (`item` = its position), or of the
/// filing itself (a scam's, a drive-off's plate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilingIdentifier {
    pub item: Option<i32>,
    pub identifier: Identifier,
}

/// What [`extract`] reads from a filing.
#[derive(Debug, Clone, PartialEq)]
pub struct Extract {
    pub items: Vec<ItemRecord>,
    pub identifiers: Vec<FilingIdentifier>,
    /// A digest of all the above: the store rewrites a filing's items only when it
    /// changes (so that a recovery mark survives the filing's other changes).
    pub fingerprint: String,
}

fn text(value: &serde_json::Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The identifiers an object's `serial_number` and `engraving_code` stand for: for a
/// phone or a tablet, a serial that is a valid IMEI is an IMEI; for a bicycle, a frame
/// number; otherwise a serial number. What does not validate is not indexed, nor is a
/// placeholder (`identifiers::is_placeholder`: "unknown", "0000").
pub fn object_identifiers(
    category: &str,
    serial: Option<&str>,
    engraving: Option<&str>,
) -> Vec<Identifier> {
    let mut out = Vec::new();
    if let Some(serial) = serial {
        let preferred = match category {
            "phone" | "tablet" => Some(IdentifierKind::Imei),
            "bicycle" => Some(IdentifierKind::FrameNumber),
            _ => None,
        };
        let found = preferred
            .and_then(|kind| normalise(kind, serial, None).ok())
            .or_else(|| normalise(IdentifierKind::SerialNumber, serial, None).ok());
        out.extend(found);
    }
    if let Some(code) = engraving {
        out.extend(normalise(IdentifierKind::EngravingCode, code, None).ok());
    }
    // "unknown", "0000": typed for want of a code, they would link strangers.
    out.retain(|identifier| !is_placeholder(&identifier.normalised));
    out
}

/// What a suspect's identifier, typed in a scam complaint, is: the first kind it
/// validates as, in the order IBAN, e-mail, phone (default region `country`), wallet,
/// web domain (a URL counts as its domain). `None` when it is none of them.
pub fn classify_suspect(typed: &str, country: &str) -> Option<Identifier> {
    [
        IdentifierKind::Iban,
        IdentifierKind::Email,
        IdentifierKind::Phone,
        IdentifierKind::CryptoWallet,
        IdentifierKind::WebDomain,
    ]
    .into_iter()
    .find_map(|kind| normalise(kind, typed, Some(country)).ok())
}

/// The items and identifiers of `filing`, from its facts.
pub fn extract(filing: &Filing) -> Extract {
    let role = ItemRole::of_procedure(&filing.procedure);
    let country = filing.country.as_str().get(..2).unwrap_or("LU").to_owned();
    let base = ItemRecord {
        position: 0,
        role,
        category: "other".to_owned(),
        brand: None,
        model: None,
        colour: None,
        description: None,
        serial_typed: None,
        lat: filing.place.lat,
        lon: filing.place.lon,
        municipality: filing.municipality.as_ref().map(ToString::to_string),
        // Never empty, so that matching's time window is an index range: the facts'
        // date, else when the filing was submitted (or created).
        occurred_at: Some(
            filing
                .facts_date
                .map(|d| d.from.with_timezone(&Utc))
                .or(filing.submitted_at)
                .unwrap_or(filing.created_at),
        ),
    };
    let facts = serde_json::Value::Object(filing.facts.clone());
    let object_category = text(&facts, "object_category");
    let object_description = text(&facts, "object_description");
    let mut items = Vec::new();
    let mut identifiers = Vec::new();
    for (i, value) in filing.items().iter().enumerate() {
        let position = i32::try_from(i).unwrap_or(i32::MAX);
        let category = text(value, "category")
            .or_else(|| object_category.clone())
            .unwrap_or_else(|| "other".to_owned());
        let serial = text(value, "serial_number");
        for identifier in object_identifiers(
            &category,
            serial.as_deref(),
            text(value, "engraving_code").as_deref(),
        ) {
            identifiers.push(FilingIdentifier {
                item: Some(position),
                identifier,
            });
        }
        items.push(ItemRecord {
            position,
            category,
            brand: text(value, "brand"),
            model: text(value, "model"),
            colour: text(value, "colour"),
            description: text(value, "description").or_else(|| object_description.clone()),
            serial_typed: serial,
            ..base.clone()
        });
    }
    if items.is_empty() {
        if let Some(category) = object_category {
            items.push(ItemRecord {
                category,
                description: object_description,
                ..base.clone()
            });
        }
    }
    let list = |key: &str| -> Vec<String> {
        facts
            .get(key)
            .and_then(serde_json::Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    for typed in list("suspect_identifiers") {
        // The platform where it happened (a marketplace, a social network) is not the
        // suspect's: it would link every scam there.
        let specific = |i: &Identifier| {
            i.kind != IdentifierKind::WebDomain || !is_shared_platform(&i.normalised)
        };
        if let Some(identifier) = classify_suspect(&typed, &country).filter(specific) {
            identifiers.push(FilingIdentifier {
                item: None,
                identifier,
            });
        }
    }
    if filing.procedure == "fuel_drive_off" {
        if let Some(plate) = text(&facts, "vehicle_plate") {
            // A plate of the filing's country (`1111` is a valid, and prized, Luxembourg
            // plate), or else of any country, unless a placeholder: most vehicles at a
            // border station are foreign, and the form does not say whose plate it is.
            let plate = normalise(IdentifierKind::Plate, &plate, Some(&country))
                .ok()
                .or_else(|| {
                    plate_of_any_country(&plate)
                        .ok()
                        .filter(|normalised| !is_placeholder(normalised))
                        .map(|normalised| Identifier {
                            kind: IdentifierKind::Plate,
                            normalised,
                            typed: plate.trim().to_owned(),
                        })
                });
            if let Some(identifier) = plate {
                identifiers.push(FilingIdentifier {
                    item: None,
                    identifier,
                });
            }
        }
    }
    let fingerprint = fingerprint(&items, &identifiers);
    Extract {
        items,
        identifiers,
        fingerprint,
    }
}

fn fingerprint(items: &[ItemRecord], identifiers: &[FilingIdentifier]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_vec(items).unwrap_or_default());
    for i in identifiers {
        hasher.update(format!(
            "|{:?}|{}|{}|{}",
            i.item, i.identifier.kind, i.identifier.normalised, i.identifier.typed
        ));
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The message telling the owner of a lost or stolen object (`lost`) that an object that
/// may be theirs was found and is known to the unit `held_by`: their own reference and
/// the unit, never the finder. When a municipality's lost-property office filed the found
/// object, `held_at` is that office's registered name (a public body, the partner
/// registry's `name`): the object is held there, and the message says so
/// (`"held_at"` in the payload). By the owner's channel; none for the app channel (its
/// feed is the filing's notices) or without a unit.
pub fn found_notice(
    lost: &Filing,
    held_by: Option<&str>,
    held_at: Option<&str>,
) -> Option<OutgoingMessage> {
    let channel = lost
        .confirmation_channel
        .filter(|c| *c != ConfirmationChannel::App)?;
    let reference = lost.reference.as_ref()?;
    let mut payload = serde_json::json!({"reference": reference.as_str(), "unit_id": held_by?});
    if let (Some(office), Some(members)) = (held_at, payload.as_object_mut()) {
        members.insert("held_at".to_owned(), serde_json::Value::from(office));
    }
    Some(OutgoingMessage {
        channel,
        template: MessageTemplate::ObjectMaybeFound.as_str(),
        language: lost.language,
        payload,
    })
}

/// Whether the place where a lost-property office's found object was found is in the
/// office's `municipality` (issue 20): no point (the municipality itself) is; a point is
/// when the directory locates the municipality there, within its uncertainty band (a
/// point a few metres over the border is the office's too). An office files the objects
/// found in its municipality.
pub fn found_in_office_municipality(
    directory: &crate::directory::Directory,
    municipality: &str,
    point: Option<(f64, f64)>,
) -> bool {
    match point {
        None => true,
        Some((lat, lon)) => directory
            .locate(lat, lon)
            .iter()
            .any(|(m, _)| m.as_str() == municipality),
    }
}

/// The statuses in which a theft complaint's items are reported stolen: submitted and
/// not withdrawn or rejected (a closed complaint's object is still stolen unless it was
/// handed back, which marks the item recovered).
pub const REPORTED_STATUSES: &[FilingStatus] = &[
    FilingStatus::Submitted,
    FilingStatus::Transferred,
    FilingStatus::TakenInCharge,
    FilingStatus::InfoRequested,
    FilingStatus::Registered,
    FilingStatus::Redirected,
    FilingStatus::Closed,
];

/// One stolen item that a checked identifier designates, as the store finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportedItem {
    pub category: String,
    pub submitted_at: DateTime<Utc>,
}

/// The public check's answer: nothing about the owner, the unit or the filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckVerdict {
    pub reported: bool,
    /// The month of the earliest report (`YYYY-MM`, UTC).
    pub since: Option<String>,
    /// The kind of object (an `item_category` code).
    pub category: Option<String>,
}

/// The verdict on the items found for an identifier (already filtered to reported ones):
/// the earliest report decides the month and the category.
pub fn check_verdict(found: &[ReportedItem]) -> CheckVerdict {
    match found.iter().min_by_key(|r| r.submitted_at) {
        None => CheckVerdict {
            reported: false,
            since: None,
            category: None,
        },
        Some(first) => CheckVerdict {
            reported: true,
            since: Some(first.submitted_at.format("%Y-%m").to_string()),
            category: Some(first.category.clone()),
        },
    }
}

/// The identifier kinds the public check accepts: an object's (a plate is no stolen
/// item here: the drive-offs' plates are for officers only).
pub const CHECKABLE_KINDS: [IdentifierKind; 4] = OBJECT_KINDS;

#[cfg(test)]
mod tests;
