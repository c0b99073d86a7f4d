//! A municipality's lost-property office (issue 20, docs/ITEMS.md): a partner that files
//! the found objects it holds, reads their candidate owners' declarations on a
//! need-to-know basis, and hands an object back, which closes both declarations by the
//! same mechanism as an officer's hand-back (`app::items::hand_back_in`, the domain's
//! `Filing::hand_back`). It sees only the found objects it filed itself: any other filing,
//! another partner's, another municipality's office's, is 404. Every read and change is
//! audited under `partner:<id>`.

use super::backoffice::{record_in, record_within};
use super::items::{hand_back_in, proposals, HandBackOf, Named, Proposal};
use super::{problem, rules, with_db};
use crate::error::{ApiError, FieldError};
use crate::idempotency::{Done, Key, Reply};
use crate::state::AppState;
use actix_web::web;
use chrono::{DateTime, FixedOffset, Utc};
use domain::audit::{AuditEvent, AuditOperation};
use domain::directory::MunicipalityId;
use domain::filing::{
    ConfirmationChannel, Contact, DraftInput, FactsDate, Filing, NewFilingInput, PlaceInput,
};
use domain::i18n::Lang;
use persistence::DbConnection;

/// A municipality's lost-property office, as its client-credentials token names it
/// (`actors::LostPropertyOffice` checks the registration).
#[derive(Debug, Clone)]
pub struct Office {
    /// The partner's id.
    pub partner: String,
    pub client_id: String,
    /// The office's municipality.
    pub municipality: String,
}

impl Office {
    /// The office as the domain sees it when it files: the declarant of its found
    /// objects.
    pub fn declarant(&self) -> domain::policy::CitizenActor {
        domain::policy::CitizenActor::lost_property_office(&self.partner, &self.client_id)
    }

    /// The office as the audit trail and the hand-back name it.
    pub fn holder(&self) -> domain::filing::Holder<'_> {
        domain::filing::Holder::LostPropertyOffice {
            partner: &self.partner,
            client_id: Some(&self.client_id),
        }
    }
}

/// The procedure of a found object.
const FOUND_OBJECT: &str = "found_object";

/// A found object as the office describes it.
#[derive(Debug, Clone, Default)]
pub struct FoundInput {
    /// An `item_category` code of the catalogue.
    pub object_category: String,
    pub object_description: String,
    /// The form's `items` (brand, model, colour, serial number, engraving code...).
    pub items: Option<serde_json::Value>,
    /// When it was found (default: now).
    pub found_at: Option<DateTime<FixedOffset>>,
    /// Where it was found, within the office's municipality (default: the municipality).
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub place_description: Option<String>,
}

/// The draft of the found object's declaration: the form of `found_object`, the object
/// deposited at the municipality, the place in the office's municipality, no contact
/// (the office follows its objects through this API). The eligibility question (a
/// dangerous object goes to the police) is answered no: a lost-property office holds
/// no weapon nor explosive.
fn draft(office: &Office, input: FoundInput, lang: Lang, now: DateTime<Utc>) -> NewFilingInput {
    let country = MunicipalityId::parse(&office.municipality, None)
        .and_then(|m| m.country())
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default();
    let mut facts = serde_json::json!({
        "object_category": input.object_category,
        "object_description": input.object_description,
        "object_whereabouts": "deposited_at_municipality",
    });
    if let Some(items) = input.items {
        facts["items"] = items;
    }
    NewFilingInput {
        procedure: FOUND_OBJECT.to_owned(),
        country,
        draft: DraftInput {
            place: Some(PlaceInput {
                municipality: Some(office.municipality.clone()),
                lat: input.lat,
                lon: input.lon,
                description: input.place_description,
                ..PlaceInput::default()
            }),
            facts_date: Some(FactsDate {
                from: input.found_at.unwrap_or_else(|| now.fixed_offset()),
                until: None,
            }),
            answers: Some([("dangerous_object".to_owned(), false.into())].into()),
            facts: Some(facts),
            contact: Some(Contact::default()),
            confirmation_channel: Some(ConfirmationChannel::App),
            language: Some(lang.to_string()),
        },
    }
}

/// Files a found object the office holds: created and submitted in one transaction by
/// the filings' own commands (the form, eligibility, routing to the unit of the place,
/// the reference), then matched against the open lost and stolen objects, whose owners
/// are told through the outbox as for any found object. A place outside the office's
/// municipality is refused (422 `/place` `outside_municipality`); nothing is written
/// when any step refuses. Under the request's `Idempotency-Key`, a retry files nothing
/// twice and tells no owner twice: it gets the first answer.
///
/// # Errors
/// 422 (form, place), 409/422 of the idempotency key, the database.
pub async fn file(
    state: &web::Data<AppState>,
    (office, input, lang): (Office, FoundInput, Lang),
    request_id: Option<String>,
    (key, render): (Option<Key>, impl FnOnce(Filing) -> Reply + Send + 'static),
) -> Result<Done, ApiError> {
    let app = state.clone();
    let writes = move |c: &mut DbConnection| {
        file_in(&app, c, &office, input, lang, request_id).map_err(in_the_body)
    };
    super::write_idempotently(state, key, writes, render).await
}

fn file_in(
    app: &AppState,
    c: &mut DbConnection,
    office: &Office,
    input: FoundInput,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Filing, ApiError> {
    let point = input.lat.zip(input.lon);
    if !domain::items::found_in_office_municipality(&app.directory(), &office.municipality, point) {
        return Err(outside());
    }
    let now = super::now();
    let declarant = office.declarant();
    let id = uuid::Uuid::new_v4().to_string();
    let new = draft(office, input, lang, now);
    let mut created = Filing::create(&rules(app), &declarant, new, id.clone(), lang, now)
        .map_err(|e| problem(app, lang, Some(FOUND_OBJECT), e))?;
    created.audit.request_id.clone_from(&request_id);
    persistence::filings::save(c, &created)?;
    let mut submitted = super::filings::decide_submission(app, c, &declarant, &id, lang, now)?;
    let municipality = submitted.filing.municipality.as_ref().map(|m| m.as_str());
    if municipality != Some(office.municipality.as_str()) {
        return Err(outside());
    }
    submitted.audit.request_id = request_id;
    if !persistence::filings::save(c, &submitted)? {
        return Err(ApiError::PreconditionFailed);
    }
    super::items::notify_owners(c, &app.items.matching, &id, now)?;
    Ok(submitted.filing)
}

/// The office's body is not the filing the office's found object becomes: each field
/// error of that filing is located at the member of the body it came from
/// (`/facts_date/from` at `/found_at`, `/place/lat` at `/lat`, `/place/description` at
/// `/place_description`, `/facts/items/0/...` at `/items/0/...`, `/facts/object_category`
/// at `/object_category`).
fn in_the_body(error: ApiError) -> ApiError {
    let relocate = |errors: Vec<FieldError>| -> Vec<FieldError> {
        errors
            .into_iter()
            .map(|mut e| {
                e.pointer = body_pointer(&e.pointer);
                e
            })
            .collect()
    };
    match error {
        ApiError::Validation(errors) => ApiError::Validation(relocate(errors)),
        ApiError::NotEligible {
            errors,
            competent_unit,
        } => ApiError::NotEligible {
            errors: relocate(errors),
            competent_unit,
        },
        other => other,
    }
}

/// The member of the office's body that a pointer into its filing came from.
fn body_pointer(pointer: &str) -> String {
    const MOVED: [(&str, &str); 6] = [
        ("/facts_date/from", "/found_at"),
        ("/facts_date", "/found_at"),
        ("/place/lat", "/lat"),
        ("/place/lon", "/lon"),
        ("/place/description", "/place_description"),
        ("/facts", ""),
    ];
    for (inner, outer) in MOVED {
        if let Some(rest) = pointer.strip_prefix(inner) {
            if rest.is_empty() || rest.starts_with('/') {
                return format!("{outer}{rest}");
            }
        }
    }
    pointer.to_owned()
}

/// A place outside the office's municipality (422 at `/place`).
fn outside() -> ApiError {
    ApiError::Validation(vec![FieldError::new("/place", "outside_municipality")])
}

/// The found object `id` if the office filed it, else 404 (another partner's, another
/// office's, a citizen's or the police's filing, or none).
fn held(c: &mut DbConnection, office: &Office, id: &str) -> Result<Filing, ApiError> {
    persistence::filings::find(c, id)?
        .filter(|f| domain::policy::lost_property_office_holds(&office.declarant(), f))
        .ok_or_else(|| ApiError::FilingNotFound(id.to_owned()))
}

fn event(
    office: &Office,
    operation: AuditOperation,
    object: (&str, &str),
    request_id: Option<String>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        office.holder().audit_actor(),
        operation,
        object.0,
        Some(object.1),
        super::now(),
    );
    event.request_id = request_id;
    event
}

/// The found object `id` the office filed (its status, reference), audited as a
/// consultation.
///
/// # Errors
/// 404; the database.
pub async fn show(
    state: &web::Data<AppState>,
    office: Office,
    id: String,
    request_id: Option<String>,
) -> Result<Filing, ApiError> {
    with_db(state, move |conn| {
        let filing = held(conn, &office, &id)?;
        let read = event(
            &office,
            AuditOperation::Consultation,
            ("found_object", &id),
            request_id,
        );
        record_in(conn, &read, None)?;
        Ok(filing)
    })
    .await
}

/// The candidates of the found object `id` the office filed: the lost and stolen
/// objects it may be, best first. The consultation is audited (`found_object_matches`),
/// with one `linked_filing` event per owner's declaration shown.
///
/// # Errors
/// 404; the database.
pub async fn candidates(
    state: &web::Data<AppState>,
    office: Office,
    id: String,
    request_id: Option<String>,
) -> Result<Vec<Proposal>, ApiError> {
    let settings = state.items.matching;
    with_db(state, move |conn| {
        let filing = held(conn, &office, &id)?;
        let found = proposals(conn, None, &settings, &filing.id)?;
        conn.write_transaction(|c| {
            let read = event(
                &office,
                AuditOperation::Consultation,
                ("found_object_matches", &id),
                request_id.clone(),
            );
            record_within(c, &read, None)?;
            for p in &found {
                let shown = event(
                    &office,
                    AuditOperation::Consultation,
                    ("linked_filing", &p.candidate.filing_id),
                    request_id.clone(),
                );
                persistence::audit::append(c, &shown)?;
            }
            Ok::<(), ApiError>(())
        })?;
        Ok(found)
    })
    .await
}

/// The office hands the found object `id` back to the owner of the declaration
/// `lost_reference` (the reference on the owner's acknowledgement), which must be one of
/// the object's current candidates (an office cannot close a declaration its object is
/// not matched with), by the same mechanism as an officer's hand-back
/// (`app::items::hand_back_in`): the matched items are marked recovered, and each
/// declaration is closed once none of its objects is waiting. Returns how many items
/// were marked.
///
/// # Errors
/// 404 when the object is not the office's; 409 `not_a_candidate` when the reference is
/// not one of its candidates; 412 when a declaration changed meanwhile; the database.
pub async fn hand_back(
    state: &web::Data<AppState>,
    office: Office,
    id: String,
    lost_reference: String,
    request_id: Option<String>,
) -> Result<usize, ApiError> {
    let settings = state.items.matching;
    with_db(state, move |conn| {
        conn.write_transaction(|c| {
            let filing = held(c, &office, &id)?;
            let not_found = |missing: &str| ApiError::FilingNotFound(missing.to_owned());
            let handed = HandBackOf {
                found: &filing,
                lost: Named::Reference(&lost_reference),
            };
            hand_back_in(
                c,
                (office.holder(), &settings),
                handed,
                &not_found,
                None,
                request_id,
            )
        })
    })
    .await
}
