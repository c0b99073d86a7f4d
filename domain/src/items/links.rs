//! Linked cases, for officers (issue 20): other filings that share an identifier with a
//! filing (an object's identifier; a scam's IBAN, phone, e-mail, domain or wallet; a
//! drive-off's plate), each with the reason. Need-to-know: a filing of a unit the
//! officer is not a member of shows only that it exists, in which unit, since when and
//! its reference ([`Link::Restricted`]); the consultation is audited by the caller.
//! The supervisor's view gathers the identifiers shared by several filings into
//! [`Cluster`]s with their counts per unit.

use super::kinds_compare;
use super::matching::kind_words;
use crate::actor::OfficerActor;
use crate::identifiers::IdentifierKind;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

/// Another filing holding one of the filing's identifiers, as the store finds it.
#[derive(Debug, Clone, PartialEq)]
pub struct SharedRow {
    pub filing_id: String,
    pub unit: Option<String>,
    pub reference: Option<String>,
    pub procedure: String,
    pub status: String,
    pub submitted_at: Option<DateTime<Utc>>,
    /// The kind of the identifier in the other filing.
    pub theirs: IdentifierKind,
    /// The kind of the same identifier in this filing.
    pub ours: IdentifierKind,
}

/// A linked filing, as the officer may see it.
#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    /// A filing of one of the officer's units: what it is.
    Visible {
        filing_id: String,
        unit: Option<String>,
        reference: Option<String>,
        procedure: String,
        status: String,
        submitted_at: Option<DateTime<Utc>>,
        explanation: String,
    },
    /// Another unit's filing: that it exists, where, since when, and its reference.
    Restricted {
        filing_id: String,
        unit: Option<String>,
        reference: Option<String>,
        since: Option<NaiveDate>,
        explanation: String,
    },
}

impl Link {
    /// The linked filing's id (for the audit trail; not shown when restricted).
    pub fn filing_id(&self) -> &str {
        match self {
            Link::Visible { filing_id, .. } | Link::Restricted { filing_id, .. } => filing_id,
        }
    }
}

/// "same IBAN", "same frame number and phone number".
fn explanation(kinds: &[IdentifierKind]) -> String {
    let words: Vec<&str> = kinds.iter().map(|k| kind_words(*k)).collect();
    match words.as_slice() {
        [] => "same identifier".to_owned(),
        [one] => format!("same {one}"),
        [init @ .., last] => format!("same {} and {last}", init.join(", ")),
    }
}

/// The links of a filing seen by `officer`, oldest first: one per other filing, with
/// every kind of identifier they share.
pub fn links(officer: &OfficerActor, rows: Vec<SharedRow>) -> Vec<Link> {
    let mut by_filing: BTreeMap<String, (SharedRow, Vec<IdentifierKind>)> = BTreeMap::new();
    for row in rows {
        if !kinds_compare(row.ours, row.theirs) {
            continue;
        }
        let entry = by_filing
            .entry(row.filing_id.clone())
            .or_insert_with(|| (row.clone(), Vec::new()));
        if !entry.1.contains(&row.ours) {
            entry.1.push(row.ours);
        }
    }
    let mut out: Vec<(Option<DateTime<Utc>>, Link)> = by_filing
        .into_values()
        .map(|(row, mut kinds)| {
            kinds.sort();
            let explanation = explanation(&kinds);
            let visible = row
                .unit
                .as_deref()
                .is_some_and(|u| crate::policy::officer_may_access_unit(officer, u));
            let link = if visible {
                Link::Visible {
                    filing_id: row.filing_id,
                    unit: row.unit,
                    reference: row.reference,
                    procedure: row.procedure,
                    status: row.status,
                    submitted_at: row.submitted_at,
                    explanation,
                }
            } else {
                Link::Restricted {
                    filing_id: row.filing_id,
                    unit: row.unit,
                    reference: row.reference,
                    since: row.submitted_at.map(|t| t.date_naive()),
                    explanation,
                }
            };
            (row.submitted_at, link)
        })
        .collect();
    out.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1.filing_id().cmp(b.1.filing_id()))
    });
    out.into_iter().map(|(_, l)| l).collect()
}

/// One filing's identifier, for the clusters.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterRow {
    pub kind: IdentifierKind,
    pub normalised: String,
    pub unit: Option<String>,
    pub filing_id: String,
}

/// An identifier shared by several filings, with how many in each unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub kind: IdentifierKind,
    pub identifier: String,
    pub filings: usize,
    /// Filings per unit (a filing without a unit counts under `""`).
    pub units: BTreeMap<String, usize>,
}

/// The identifiers held by at least `min` filings, largest first. Object kinds are one
/// class (a frame number typed as a serial elsewhere is the same object).
pub fn clusters(rows: Vec<ClusterRow>, min: usize) -> Vec<Cluster> {
    let class = |k: IdentifierKind| {
        if super::OBJECT_KINDS.contains(&k) {
            "object"
        } else {
            k.as_str()
        }
    };
    // (class, identifier) -> (its first kind, filing -> unit)
    type Group = (IdentifierKind, BTreeMap<String, String>);
    let mut groups: BTreeMap<(&'static str, String), Group> = BTreeMap::new();
    for row in rows {
        let entry = groups
            .entry((class(row.kind), row.normalised.clone()))
            .or_insert_with(|| (row.kind, BTreeMap::new()));
        entry.1.insert(row.filing_id, row.unit.unwrap_or_default());
    }
    let mut out: Vec<Cluster> = groups
        .into_iter()
        .filter(|(_, (_, filings))| filings.len() >= min.max(2))
        .map(|((_, identifier), (kind, filings))| {
            let mut units = BTreeMap::new();
            for unit in filings.values() {
                *units.entry(unit.clone()).or_insert(0) += 1;
            }
            Cluster {
                kind,
                identifier,
                filings: filings.len(),
                units,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.filings
            .cmp(&a.filings)
            .then_with(|| a.identifier.cmp(&b.identifier))
    });
    out
}
