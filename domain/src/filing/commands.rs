//! The citizen's commands on a filing: create, update a draft, submit, withdraw, answer an
//! information request. Each is a pure function of the filing, the actor, the inputs and
//! `now`, and returns either a [`FilingError`] or the [`Effects`] to save in one
//! transaction (the new state, its history entry, its audit event, its messages).

use super::model::{
    answer_from_json, answers_to_json, local_date, ConfirmationChannel, Contact, FactsDate, Filing,
    PlaceOfFacts,
};
use super::{transition, ActorKind, FilingAction, FilingStatus, ReferenceNumber, TransitionError};
use crate::actor::CitizenActor;
use crate::audit::{ActorRole, AuditEvent, AuditOperation};
use crate::catalogue::{Assurance, Catalogue, Competence, Country, Procedure};
use crate::directory::{
    valid_accuracy, valid_coordinates, Candidate, MunicipalityId, PlaceError, Routing,
};
use crate::eligibility::{self, Eligibility, Failure};
use crate::forms::{self, Accepted, FieldIssue};
use crate::i18n::Lang;
use crate::limits;
use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

/// What the deployment allows: the catalogue, the countries it serves, the daily quota.
#[derive(Clone, Copy)]
pub struct Rules<'a> {
    pub catalogue: &'a Catalogue,
    /// Countries this deployment serves (a subset of the catalogue's).
    pub countries: &'a [Country],
    /// Submissions a citizen may make per (local) day.
    pub daily_submissions: u32,
}

impl Rules<'_> {
    /// The procedure of a stored filing. A filing naming a procedure the catalogue no
    /// longer has is reported, never guessed.
    pub fn procedure_of(&self, filing: &Filing) -> Result<&Procedure, FilingError> {
        self.catalogue
            .procedure(&filing.procedure)
            .ok_or_else(|| FilingError::UnknownProcedure(filing.procedure.clone()))
    }
}

/// The place of the facts, as received (the country is still a string).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaceInput {
    pub municipality: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub accuracy_m: Option<f64>,
    pub description: Option<String>,
}

impl From<&PlaceOfFacts> for PlaceInput {
    fn from(place: &PlaceOfFacts) -> Self {
        PlaceInput {
            municipality: place.municipality.clone(),
            postal_code: place.postal_code.clone(),
            country: place.country.map(|c| c.as_str().to_owned()),
            lat: place.lat,
            lon: place.lon,
            accuracy_m: place.accuracy_m,
            description: place.description.clone(),
        }
    }
}

/// The parts of a filing its author writes, as received; absent members are unchanged
/// (on an update) or empty (on creation).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DraftInput {
    pub place: Option<PlaceInput>,
    pub facts_date: Option<FactsDate>,
    pub answers: Option<BTreeMap<String, Value>>,
    pub facts: Option<Value>,
    pub contact: Option<Contact>,
    pub confirmation_channel: Option<ConfirmationChannel>,
    pub language: Option<String>,
}

/// A new filing, as received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewFilingInput {
    pub procedure: String,
    pub country: String,
    pub draft: DraftInput,
}

/// One line of a filing's status history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub from: Option<FilingStatus>,
    pub to: FilingStatus,
    /// The action's code (`create`, or a [`FilingAction`]).
    pub action: String,
    /// `citizen`, or the officer's staff role.
    pub actor_role: String,
    pub actor_id: String,
}

/// A message to the citizen, to queue in the outbox in the same transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    pub channel: ConfirmationChannel,
    /// The message template (`filing_registered`).
    pub template: &'static str,
    pub language: Lang,
    /// What the template needs: references and ids, never the facts.
    pub payload: Value,
}

/// What a command changes, saved in one transaction by persistence.
#[derive(Debug, Clone, PartialEq)]
pub struct Effects {
    /// The filing after the command.
    pub filing: Filing,
    /// The version the filing had when it was read (`None` for a new filing): the save
    /// fails, writing nothing, if it changed meanwhile.
    pub expected_version: Option<i64>,
    /// The status history entry, when the status changed (or the filing was created).
    pub history: Option<HistoryEntry>,
    /// The audit event (EU Directive 2016/680 Art. 25). Its `request_id` is the caller's
    /// to fill.
    pub audit: AuditEvent,
    pub messages: Vec<OutgoingMessage>,
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilingError {
    /// Fields are invalid (422 `validation_failed`).
    #[error("invalid fields")]
    Invalid(Vec<FieldIssue>),
    /// The case is not for this procedure (422 `filing_not_eligible`), with every failed
    /// condition.
    #[error("not eligible")]
    NotEligible(Vec<Failure>),
    /// The sign-in is not strong enough for the procedure (403).
    #[error("insufficient level of assurance")]
    InsufficientAssurance { required: Assurance },
    /// The action is not possible in the filing's status (409).
    #[error(transparent)]
    InvalidTransition(#[from] TransitionError),
    /// The filing changed since the version the caller read (412).
    #[error("stale version")]
    Stale,
    /// The place lies where several units are competent: the citizen chooses (422).
    #[error("ambiguous place")]
    PlaceAmbiguous(Vec<Candidate>),
    /// No unit is competent for the place (422).
    #[error("no competent unit")]
    NoCompetentUnit,
    /// The daily submission quota is reached (429).
    #[error("quota exceeded")]
    QuotaExceeded { retry_after_secs: i64 },
    /// A record number already used in the unit (409).
    #[error("record number taken")]
    RecordNumberTaken,
    /// A stored filing names a procedure the catalogue does not have (a bug or a
    /// catalogue change; 500).
    #[error("unknown procedure {0}")]
    UnknownProcedure(String),
}

pub(crate) fn issue(pointer: impl Into<String>, code: &'static str) -> FieldIssue {
    FieldIssue::new(pointer, code)
}

/// A `too_long` issue stating the limit.
pub(crate) fn too_long(pointer: &str, max: usize) -> FieldIssue {
    issue(pointer, "too_long").with(Accepted {
        max_length: u64::try_from(max).ok(),
        ..Accepted::default()
    })
}

/// An `unknown_option` (or other) issue listing the accepted values.
fn not_among(
    pointer: &str,
    code: &'static str,
    allowed: impl IntoIterator<Item = String>,
) -> FieldIssue {
    issue(pointer, code).with(Accepted {
        allowed: Some(allowed.into_iter().collect()),
        ..Accepted::default()
    })
}

/// The pointer of an answer: `/answers/{code}`, escaped (RFC 6901).
pub fn answer_pointer(question: &str) -> String {
    format!("/answers/{}", forms::escape(question))
}

/// Checks a text member: trimmed, not longer than `max` characters.
pub(crate) fn check_length(value: Option<&str>, pointer: &str, max: usize) -> Option<FieldIssue> {
    value
        .filter(|v| v.trim().chars().count() > max)
        .map(|_| too_long(pointer, max))
}

/// A required text member: trimmed, non-empty, at most `max` characters.
pub(crate) fn required_text(
    value: Option<&str>,
    pointer: &str,
    max: usize,
) -> Result<String, Box<FieldIssue>> {
    let value = value.map(str::trim).filter(|v| !v.is_empty());
    match value {
        None => Err(Box::new(issue(pointer, "required"))),
        Some(v) if v.chars().count() > max => Err(Box::new(too_long(pointer, max))),
        Some(v) => Ok(v.to_owned()),
    }
}

pub use crate::identifiers::valid_email;

/// The parts of a draft as they will be after a change, before typing.
struct Parts {
    /// The filing's country (the place's, when it names one, decides the local date).
    country: Country,
    place: PlaceInput,
    facts_date: Option<FactsDate>,
    facts: Value,
    answers: BTreeMap<String, Value>,
    contact: Contact,
    language: String,
    channel: Option<ConfirmationChannel>,
}

/// What a draft holds must be valid (nothing is required yet, unless `final_check`).
fn check_parts(
    rules: &Rules<'_>,
    procedure: &Procedure,
    parts: &Parts,
    now: DateTime<Utc>,
    final_check: bool,
) -> Vec<FieldIssue> {
    let catalogue = rules.catalogue;
    let mut errors = Vec::new();
    let place = &parts.place;
    let place_country = match &place.country {
        Some(c) => match c.parse::<Country>() {
            Ok(country) => Some(country),
            Err(_) => {
                errors.push(not_among(
                    "/place/country",
                    "unknown_country",
                    rules.countries.iter().map(|c| c.as_str().to_owned()),
                ));
                None
            }
        },
        None => None,
    };
    if place.lat.is_some() != place.lon.is_some() {
        errors.push(issue("/place/lat", "required"));
    }
    if let (Some(lat), Some(lon)) = (place.lat, place.lon) {
        if !valid_coordinates(lat, lon) {
            errors.push(issue("/place/lat", "out_of_range"));
        }
    }
    if place.accuracy_m.is_some_and(|a| !valid_accuracy(a)) {
        errors.push(issue("/place/accuracy_m", "out_of_range"));
    }
    errors.extend(check_length(
        place.description.as_deref(),
        "/place/description",
        limits::PLACE_DESCRIPTION_MAX_CHARS,
    ));
    if let Some(date) = &parts.facts_date {
        let skew = Duration::minutes(limits::FUTURE_SKEW_MINUTES);
        let from = date.from.with_timezone(&Utc);
        if from > now + skew {
            errors.push(issue("/facts_date/from", "in_future"));
        }
        if let Some(until) = date.until {
            let until = until.with_timezone(&Utc);
            if until > now + skew {
                errors.push(issue("/facts_date/until", "in_future"));
            }
            if until < from {
                errors.push(issue("/facts_date/until", "out_of_range"));
            }
        }
        if let Some(days) = procedure.max_facts_age_days {
            let earliest = now - Duration::days(i64::from(days));
            if from < earliest {
                errors.push(issue("/facts_date/from", "too_old").with(Accepted {
                    earliest: Some(earliest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                    max_age_days: Some(days),
                    ..Accepted::default()
                }));
            }
        }
    } else if final_check && procedure.max_facts_age_days.is_some() {
        errors.push(issue("/facts_date", "required"));
    }
    // Dates of the form are compared with today at the place of the facts.
    let zone = place_country.unwrap_or(parts.country).time_zone();
    let moment = forms::Moment::new(now, zone);
    for problem in catalogue.validate_facts(procedure, &parts.facts, "/facts", &moment) {
        if final_check || problem.code != "required" {
            errors.push(problem);
        }
    }
    errors.extend(catalogue.check_answers(procedure, &parts.answers, &parts.facts));
    let contact = &parts.contact;
    if let Some(email) = &contact.email {
        if !valid_email(email) {
            errors.push(issue("/contact/email", "invalid_email"));
        }
    }
    errors.extend(check_length(
        contact.phone.as_deref(),
        "/contact/phone",
        limits::PHONE_MAX_CHARS,
    ));
    errors.extend(check_length(
        contact.postal_address.as_deref(),
        "/contact/postal_address",
        limits::POSTAL_ADDRESS_MAX_CHARS,
    ));
    if parts.language.parse::<Lang>().is_err() {
        errors.push(not_among(
            "/language",
            "unknown_option",
            Lang::ALL.iter().map(|l| l.as_str().to_owned()),
        ));
    }
    if final_check {
        match parts.channel {
            None => errors.push(issue("/confirmation_channel", "required")),
            Some(ConfirmationChannel::Email) if contact.email.is_none() => {
                errors.push(issue("/contact/email", "required"))
            }
            Some(ConfirmationChannel::Post) if contact.postal_address.is_none() => {
                errors.push(issue("/contact/postal_address", "required"))
            }
            _ => {}
        }
        if matches!(procedure.competence, Competence::Local) && place.is_unlocated() {
            errors.push(issue("/place", "required"));
        }
    }
    errors
}

impl PlaceInput {
    fn is_unlocated(&self) -> bool {
        self.municipality.is_none() && self.postal_code.is_none() && self.lat.is_none()
    }

    /// The typed place; call after `check_parts` found no error.
    fn typed(self) -> PlaceOfFacts {
        PlaceOfFacts {
            municipality: self.municipality,
            postal_code: self.postal_code,
            country: self.country.and_then(|c| c.parse().ok()),
            lat: self.lat,
            lon: self.lon,
            accuracy_m: self.accuracy_m,
            description: self.description,
        }
    }
}

fn typed_answers(
    answers: &BTreeMap<String, Value>,
) -> BTreeMap<String, crate::eligibility::Answer> {
    answers
        .iter()
        .filter_map(|(k, v)| answer_from_json(v).map(|a| (k.clone(), a)))
        .collect()
}

fn typed_facts(facts: Value) -> serde_json::Map<String, Value> {
    match facts {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

fn citizen_history(
    filing: &Filing,
    from: Option<FilingStatus>,
    action: &str,
    now: DateTime<Utc>,
) -> HistoryEntry {
    HistoryEntry {
        at: now,
        from,
        to: filing.status,
        action: action.to_owned(),
        actor_role: ActorRole::Citizen.as_str().to_owned(),
        actor_id: filing.owner.clone(),
    }
}

fn citizen_event(
    citizen: &CitizenActor,
    operation: AuditOperation,
    filing: &str,
    now: DateTime<Utc>,
) -> AuditEvent {
    AuditEvent::about_filing(citizen.audit_actor(), operation, filing, now)
}

impl Filing {
    /// Starts a draft. `language` is the language of the request (or of the citizen's
    /// sign-in), used when the input names none.
    ///
    /// # Errors
    /// `Invalid` with every invalid field (`/procedure`, `/country`, the draft's parts).
    pub fn create(
        rules: &Rules<'_>,
        citizen: &CitizenActor,
        input: NewFilingInput,
        id: String,
        language: Lang,
        now: DateTime<Utc>,
    ) -> Result<Effects, FilingError> {
        let procedure = rules.catalogue.procedure(&input.procedure);
        let country = input
            .country
            .parse::<Country>()
            .ok()
            .filter(|c| rules.countries.contains(c));
        let mut errors = Vec::new();
        if procedure.is_none() {
            errors.push(issue("/procedure", "unknown_procedure"));
        }
        if country.is_none() {
            errors.push(not_among(
                "/country",
                "unknown_country",
                rules.countries.iter().map(|c| c.as_str().to_owned()),
            ));
        }
        let (Some(procedure), Some(country)) = (procedure, country) else {
            return Err(FilingError::Invalid(errors));
        };
        let draft = input.draft;
        let mut parts = Parts {
            country,
            place: draft.place.unwrap_or_default(),
            facts_date: draft.facts_date,
            facts: draft
                .facts
                .unwrap_or_else(|| Value::Object(Default::default())),
            answers: draft.answers.unwrap_or_default(),
            contact: draft.contact.unwrap_or_default(),
            language: draft.language.unwrap_or_else(|| language.to_string()),
            channel: draft.confirmation_channel,
        };
        let errors = check_parts(rules, procedure, &parts, now, false);
        if !errors.is_empty() {
            return Err(FilingError::Invalid(errors));
        }
        rules.catalogue.normalize_facts(procedure, &mut parts.facts);
        let filing = Filing {
            id,
            owner: citizen.id.clone(),
            procedure: procedure.code.clone(),
            country,
            declarant: citizen.declarant,
            language: parts.language.parse().unwrap_or(language),
            answers: typed_answers(&parts.answers),
            place: parts.place.typed(),
            facts_date: parts.facts_date,
            facts: typed_facts(parts.facts),
            contact: parts.contact,
            confirmation_channel: parts.channel,
            app_notifications: true,
            status: FilingStatus::Draft,
            unit: None,
            municipality: None,
            assigned_officer: None,
            reference: None,
            record_number: None,
            info_request: None,
            info_answer: None,
            decision: None,
            version: 1,
            created_at: now,
            updated_at: now,
            submitted_at: None,
            channel: citizen.partner.clone(),
        };
        Ok(Effects {
            history: Some(citizen_history(&filing, None, "create", now)),
            audit: citizen_event(citizen, AuditOperation::Collection, &filing.id, now)
                .with_action("create_draft"),
            filing,
            expected_version: None,
            messages: Vec::new(),
        })
    }

    fn parts(&self) -> Parts {
        Parts {
            country: self.country,
            place: PlaceInput::from(&self.place),
            facts_date: self.facts_date,
            facts: Value::Object(self.facts.clone()),
            answers: answers_to_json(&self.answers).into_iter().collect(),
            contact: self.contact.clone(),
            language: self.language.to_string(),
            channel: self.confirmation_channel,
        }
    }

    /// Changes members of a draft; `if_match` is the version the citizen read.
    ///
    /// # Errors
    /// `Stale` when the filing changed since; `InvalidTransition` when it is not a draft;
    /// `Invalid` with every invalid field.
    pub fn update(
        &self,
        rules: &Rules<'_>,
        citizen: &CitizenActor,
        changes: DraftInput,
        if_match: i64,
        now: DateTime<Utc>,
    ) -> Result<Effects, FilingError> {
        if self.version != if_match {
            return Err(FilingError::Stale);
        }
        let next = transition(self.status, FilingAction::Update, ActorKind::Citizen)?;
        let procedure = rules.procedure_of(self)?;
        let mut parts = self.parts();
        if let Some(place) = changes.place {
            parts.place = place;
        }
        if let Some(date) = changes.facts_date {
            parts.facts_date = Some(date);
        }
        if let Some(facts) = changes.facts {
            parts.facts = facts;
        }
        if let Some(answers) = changes.answers {
            parts.answers = answers;
        }
        if let Some(contact) = changes.contact {
            parts.contact = contact;
        }
        if let Some(language) = changes.language {
            parts.language = language;
        }
        if let Some(channel) = changes.confirmation_channel {
            parts.channel = Some(channel);
        }
        let errors = check_parts(rules, procedure, &parts, now, false);
        if !errors.is_empty() {
            return Err(FilingError::Invalid(errors));
        }
        rules.catalogue.normalize_facts(procedure, &mut parts.facts);
        let mut filing = self.clone();
        filing.status = next;
        filing.language = parts.language.parse().unwrap_or(self.language);
        filing.answers = typed_answers(&parts.answers);
        filing.place = parts.place.typed();
        filing.facts_date = parts.facts_date;
        filing.facts = typed_facts(parts.facts);
        filing.contact = parts.contact;
        filing.confirmation_channel = parts.channel;
        filing.version = self.version + 1;
        filing.updated_at = now;
        Ok(Effects {
            history: None,
            audit: citizen_event(citizen, AuditOperation::Alteration, &self.id, now)
                .with_action("update_draft"),
            filing,
            expected_version: Some(self.version),
            messages: Vec::new(),
        })
    }

    /// The eligibility of the case as it stands (the recap).
    pub fn eligibility(
        &self,
        catalogue: &Catalogue,
    ) -> Option<Result<Eligibility, eligibility::AnswerErrors>> {
        catalogue.procedure(&self.procedure).map(|p| {
            eligibility::check(
                catalogue,
                p,
                self.country,
                self.declarant,
                &self.answers,
                self.language,
            )
        })
    }

    /// The start of the citizen's current quota day and the seconds left in it: the
    /// local day in the filing's country.
    pub fn quota_window(&self, now: DateTime<Utc>) -> (DateTime<Utc>, i64) {
        let tz = self.country.time_zone();
        let today = local_date(now, self.country);
        let start_of = |day: chrono::NaiveDate| {
            tz.from_local_datetime(&day.and_time(NaiveTime::MIN))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
        };
        let start = start_of(today).unwrap_or(now);
        let end = today
            .succ_opt()
            .and_then(start_of)
            .unwrap_or(now + Duration::days(1));
        (start, (end - now).num_seconds().max(1))
    }

    /// The year of a reference issued now: the local year at the filing's country.
    pub fn reference_year(&self, now: DateTime<Utc>) -> i32 {
        local_date(now, self.country).year()
    }

    /// Submits a draft. Checks everything again (eligibility, level of assurance, the
    /// form, the date, the place, the confirmation channel), then takes the routing
    /// outcome for the filing's place (see [`Filing::facts_local_date`]), the number of
    /// submissions the citizen made in the current quota window, and a fresh reference.
    ///
    /// # Errors
    /// In this order: `InvalidTransition`, `InsufficientAssurance`, `NotEligible` or
    /// `Invalid` (answers), `Invalid` (the rest), `PlaceAmbiguous`, `NoCompetentUnit`,
    /// `QuotaExceeded`.
    #[allow(clippy::too_many_arguments)]
    pub fn submit(
        &self,
        rules: &Rules<'_>,
        citizen: &CitizenActor,
        routing: Result<Routing, PlaceError>,
        submitted_today: i64,
        reference: ReferenceNumber,
        now: DateTime<Utc>,
    ) -> Result<Effects, FilingError> {
        let next = transition(self.status, FilingAction::Submit, ActorKind::Citizen)?;
        let procedure = rules.procedure_of(self)?;
        if !citizen.assurance.satisfies(procedure.assurance) {
            return Err(FilingError::InsufficientAssurance {
                required: procedure.assurance,
            });
        }
        // Eligibility first: a case that is not for this procedure is told so, with where
        // to go.
        match eligibility::check(
            rules.catalogue,
            procedure,
            self.country,
            self.declarant,
            &self.answers,
            self.language,
        ) {
            Ok(Eligibility::Eligible { .. }) => {}
            Ok(Eligibility::NotEligible { failures, .. }) => {
                return Err(FilingError::NotEligible(failures))
            }
            Err(e) => {
                let mut errors: Vec<FieldIssue> = e
                    .missing
                    .iter()
                    .map(|q| issue(answer_pointer(q), "required"))
                    .collect();
                errors.extend(
                    e.unknown
                        .iter()
                        .map(|q| issue(answer_pointer(q), "unknown_question")),
                );
                errors.extend(
                    e.invalid
                        .iter()
                        .map(|q| issue(answer_pointer(q), "invalid_answer")),
                );
                return Err(FilingError::Invalid(errors));
            }
        }
        let errors = check_parts(rules, procedure, &self.parts(), now, true);
        if !errors.is_empty() {
            return Err(FilingError::Invalid(errors));
        }
        let (unit, municipality) = match routing {
            // A place in another country than the procedure's: the procedure (its form,
            // its rules, its statistics) is the wrong one for it (reported from outside:
            // an Open311 `graffiti-BE` at a Luxembourg point was routed to a Luxembourg
            // unit as a Belgian filing).
            Ok(Routing::Routed { municipality, .. })
                if municipality.country().is_some_and(|c| c != self.country) =>
            {
                return Err(FilingError::Invalid(vec![issue(
                    "/place",
                    "outside_country",
                )]));
            }
            Ok(Routing::Routed {
                unit, municipality, ..
            }) => (unit, Some(municipality)),
            Ok(Routing::National { unit }) => (unit, None),
            Ok(Routing::Ambiguous { candidates, .. }) => {
                return Err(FilingError::PlaceAmbiguous(candidates))
            }
            Ok(Routing::OutOfArea { .. } | Routing::NoUnit { .. }) => {
                return Err(FilingError::NoCompetentUnit)
            }
            Err(e) => return Err(place_error(e)),
        };
        if submitted_today >= i64::from(rules.daily_submissions)
            && !citizen.is_lost_property_office()
        {
            return Err(FilingError::QuotaExceeded {
                retry_after_secs: self.quota_window(now).1,
            });
        }
        let mut filing = self.clone();
        filing.status = next;
        filing.version = self.version + 1;
        filing.unit = Some(unit);
        filing.municipality = municipality;
        filing.reference = Some(reference);
        filing.submitted_at = Some(now);
        filing.updated_at = now;
        // The acknowledgement, by the channel the citizen chose.
        let messages = filing.status_messages(self);
        Ok(Effects {
            history: Some(citizen_history(
                &filing,
                Some(self.status),
                FilingAction::Submit.as_str(),
                now,
            )),
            audit: citizen_event(citizen, AuditOperation::Collection, &self.id, now)
                .with_action(FilingAction::Submit.as_str()),
            filing,
            expected_version: Some(self.version),
            messages,
        })
    }

    /// Withdraws a filing, possible until an officer takes it in charge.
    ///
    /// # Errors
    /// `InvalidTransition` once taken in charge or finished.
    pub fn withdraw(
        &self,
        citizen: &CitizenActor,
        now: DateTime<Utc>,
    ) -> Result<Effects, FilingError> {
        self.citizen_step(
            citizen,
            FilingAction::Withdraw,
            AuditOperation::Alteration,
            now,
            |_| {},
        )
    }

    /// Answers the officer's question; the filing goes back to the officer. The message
    /// was checked by [`check_answer`].
    ///
    /// # Errors
    /// `InvalidTransition` when no question is waiting.
    pub fn answer(
        &self,
        citizen: &CitizenActor,
        message: String,
        now: DateTime<Utc>,
    ) -> Result<Effects, FilingError> {
        self.citizen_step(
            citizen,
            FilingAction::AnswerInfoRequest,
            AuditOperation::Collection,
            now,
            |filing| filing.info_answer = Some(message),
        )
    }

    /// A citizen's status change: the transition, then `change`, a new version, the
    /// history entry and the audit event (`operation`).
    fn citizen_step(
        &self,
        citizen: &CitizenActor,
        action: FilingAction,
        operation: AuditOperation,
        now: DateTime<Utc>,
        change: impl FnOnce(&mut Filing),
    ) -> Result<Effects, FilingError> {
        let next = transition(self.status, action, ActorKind::Citizen)?;
        let mut filing = self.clone();
        change(&mut filing);
        filing.status = next;
        filing.version = self.version + 1;
        filing.updated_at = now;
        Ok(Effects {
            history: Some(citizen_history(
                &filing,
                Some(self.status),
                action.as_str(),
                now,
            )),
            audit: citizen_event(citizen, operation, &self.id, now).with_action(action.as_str()),
            filing,
            expected_version: Some(self.version),
            messages: Vec::new(),
        })
    }
}

/// The citizen's answer to an information request: trimmed, not empty, at most
/// [`limits::INFO_ANSWER_MAX_CHARS`] characters.
///
/// # Errors
/// `Invalid` at `/message` (`empty`, `too_long`).
pub fn check_answer(message: &str) -> Result<String, FilingError> {
    let message = message.trim();
    if message.is_empty() {
        return Err(FilingError::Invalid(vec![issue("/message", "empty")]));
    }
    if message.chars().count() > limits::INFO_ANSWER_MAX_CHARS {
        return Err(FilingError::Invalid(vec![issue("/message", "too_long")]));
    }
    Ok(message.to_owned())
}

/// A place routing cannot read, as a field error at the member that is wrong (the
/// directory names both), or no competent unit.
fn place_error(e: PlaceError) -> FilingError {
    match e {
        PlaceError::UnknownNationalUnit(_) => FilingError::NoCompetentUnit,
        other => FilingError::Invalid(vec![issue(
            format!("/place{}", other.member()),
            other.code(),
        )]),
    }
}

/// The municipality of a stored routing, if it is one.
pub fn municipality_of(raw: &str) -> Option<MunicipalityId> {
    MunicipalityId::parse(raw, None)
}
