//! The record of processing activities (EU Directive 2016/680, Art. 24) as data:
//! `domain/catalogue/processing.toml` names the controller, the purposes with their legal
//! basis, the categories of data subjects and data, the recipients, the transfers and the
//! security measures; [`Record::of`] joins it with the retention periods and the
//! procedures of the catalogue into the document the data protection officer reads. A
//! citizen's export (Art. 14) names the purposes and legal bases from the same file.

use crate::i18n::Lang;
use crate::retention::{Periods, RetentionPolicy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const PROCESSING_SOURCE: &str = include_str!("../catalogue/processing.toml");

/// The languages every purpose's description must have.
pub const LANGUAGES: [Lang; 6] = [Lang::En, Lang::Fr, Lang::Nl, Lang::De, Lang::Es, Lang::Ca];

/// One purpose of the processing.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    pub code: String,
    pub legal_basis: String,
    pub data_subjects: Vec<String>,
    pub data: Vec<String>,
    /// The description, by language code.
    pub description: BTreeMap<String, String>,
}

impl Purpose {
    /// The description in `lang` (English when it has none in `lang`).
    pub fn description(&self, lang: Lang) -> &str {
        self.description
            .get(lang.as_str())
            .or_else(|| self.description.get("en"))
            .map(String::as_str)
            .unwrap_or_default()
    }
}

/// A category of recipients.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub code: String,
    pub description: String,
}

/// `processing.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Processing {
    pub controller: String,
    pub dpo_contact: String,
    pub profiling: String,
    pub transfers: String,
    pub purposes: Vec<Purpose>,
    pub recipients: Vec<Recipient>,
    pub security: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessingError {
    #[error("records of processing: {0}")]
    Syntax(String),
    #[error("records of processing: purpose `{0}` has no description in `{1}`")]
    MissingLanguage(String, &'static str),
}

impl Processing {
    /// The shipped record (`domain/catalogue/processing.toml`).
    pub fn shipped() -> Result<Self, ProcessingError> {
        Self::parse(PROCESSING_SOURCE)
    }

    /// A record from a TOML text shaped like `processing.toml`; every purpose must be
    /// described in every language of [`LANGUAGES`].
    pub fn parse(source: &str) -> Result<Self, ProcessingError> {
        let record: Processing =
            toml::from_str(source).map_err(|e| ProcessingError::Syntax(e.to_string()))?;
        for purpose in &record.purposes {
            for lang in LANGUAGES {
                if !purpose.description.contains_key(lang.as_str()) {
                    return Err(ProcessingError::MissingLanguage(
                        purpose.code.clone(),
                        lang.as_str(),
                    ));
                }
            }
        }
        Ok(record)
    }
}

/// The retention periods of one procedure, in days, in the record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProcedureRetention {
    pub procedure: String,
    pub draft: u32,
    pub withdrawn: u32,
    pub rejected: u32,
    pub redirected: u32,
    pub registered: u32,
}

impl ProcedureRetention {
    fn of(procedure: &str, p: &Periods) -> Self {
        ProcedureRetention {
            procedure: procedure.to_owned(),
            draft: p.draft,
            withdrawn: p.withdrawn,
            rejected: p.rejected,
            redirected: p.redirected,
            registered: p.registered,
        }
    }
}

/// A purpose as the record shows it (in English: the document is the controller's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordPurpose {
    pub code: String,
    pub description: String,
    pub legal_basis: String,
    pub data_subjects: Vec<String>,
    pub data: Vec<String>,
}

/// What the deployment's configuration adds to the record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Deployment {
    /// The countries served.
    pub countries: Vec<String>,
    /// Seconds between two runs of the retention job in the service (`None`: the job is
    /// run by hand, `ecommissariat retention run`).
    pub erasure_job_interval_secs: Option<u64>,
}

/// The record of processing activities (Art. 24(1) (a) to (i)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub controller: String,
    pub dpo_contact: String,
    pub purposes: Vec<RecordPurpose>,
    pub recipients: Vec<Recipient>,
    pub transfers: String,
    pub profiling: String,
    /// The procedures offered (each is a processing of its own form's data).
    pub procedures: Vec<String>,
    /// The periods applying to every procedure without its own.
    pub retention_defaults: ProcedureRetention,
    /// The period of every procedure, in days by how the filing ended.
    pub retention: Vec<ProcedureRetention>,
    /// How the periods are counted.
    pub retention_rules: Vec<String>,
    pub security: Vec<String>,
    pub deployment: Deployment,
}

impl Record {
    /// The record of `processing`, with the periods of `policy` for each of `procedures`.
    pub fn of<'a>(
        processing: &Processing,
        policy: &RetentionPolicy,
        procedures: impl IntoIterator<Item = &'a str>,
        deployment: Deployment,
    ) -> Self {
        let procedures: Vec<String> = procedures.into_iter().map(str::to_owned).collect();
        Record {
            controller: processing.controller.clone(),
            dpo_contact: processing.dpo_contact.clone(),
            purposes: processing
                .purposes
                .iter()
                .map(|p| RecordPurpose {
                    code: p.code.clone(),
                    description: p.description(Lang::En).to_owned(),
                    legal_basis: p.legal_basis.clone(),
                    data_subjects: p.data_subjects.clone(),
                    data: p.data.clone(),
                })
                .collect(),
            recipients: processing.recipients.clone(),
            transfers: processing.transfers.clone(),
            profiling: processing.profiling.clone(),
            retention_defaults: ProcedureRetention::of("*", &policy.defaults),
            retention: procedures
                .iter()
                .map(|code| ProcedureRetention::of(code, policy.periods(code)))
                .collect(),
            procedures,
            retention_rules: RETENTION_RULES.iter().map(|s| (*s).to_owned()).collect(),
            security: processing.security.clone(),
            deployment,
        }
    }
}

/// How the periods of `retention.toml` are counted (docs/RETENTION.md).
pub const RETENTION_RULES: [&str; 6] = [
    "draft: from the draft's last change (an unsubmitted draft is abandoned)",
    "withdrawn, rejected, redirected: from the withdrawal or the decision (or the closing after it)",
    "registered: from the latest hand-over to the records system; a registered filing never handed over is kept",
    "open filings (submitted, transferred, taken in charge, information requested) are never erased",
    "a filing restricted by an officer (Art. 16(3), needed as evidence) is not erased until the restriction is lifted",
    "minors' travel authorisation requests (periods of [travel]): unanswered from the request, unreviewed from the end of the trip, refused or rejected from the answer or decision, issued from the document's expiry, revoked from the later of the revocation and the expiry; the register entry of an issued document (no personal data) is kept so that the online check still answers revoked or expired",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_record_parses_in_every_language() {
        let record = Processing::shipped().unwrap();
        assert!(record.purposes.len() >= 3);
        assert!(record.recipients.iter().any(|r| r.code == "records_system"));
        assert!(!record.security.is_empty());
    }

    #[test]
    fn a_purpose_without_a_language_is_refused() {
        let source = r#"
controller = "c"
dpo_contact = "d"
profiling = "p"
transfers = "t"
security = []
recipients = []
[[purposes]]
code = "x"
legal_basis = "l"
data_subjects = []
data = []
description = { en = "e" }
"#;
        assert!(matches!(
            Processing::parse(source),
            Err(ProcessingError::MissingLanguage(code, _)) if code == "x"
        ));
    }

    #[test]
    fn the_record_gives_every_procedure_its_periods() {
        let policy = RetentionPolicy::shipped(["online_scam", "bicycle_theft"]).unwrap();
        let record = Record::of(
            &Processing::shipped().unwrap(),
            &policy,
            ["online_scam", "bicycle_theft"],
            Deployment::default(),
        );
        assert_eq!(record.retention.len(), 2);
        assert_eq!(record.retention[0].registered, 30);
        assert_eq!(record.retention[1].registered, 90);
        assert_eq!(record.retention_defaults.draft, 30);
    }
}
