//! Open311 GeoReport v2's use cases (`docs/OPEN311.md`): a partner's service request
//! becomes a filing, created and submitted in one transaction like any filing (the
//! catalogue's form, eligibility, routing by the place of the facts, the audit trail),
//! and the public listing reads the requests without anything personal.

use super::{problem, rules, with_db};
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::web;
use chrono::{DateTime, Utc};
use domain::catalogue::{DeclarantKind, Procedure};
use domain::filing::{
    ComplainantIdentity, ConfirmationChannel, Contact, DraftInput, FactsDate, Filing,
    NewFilingInput, PlaceInput,
};
use domain::i18n::Lang;
use domain::open311::{self as rules311, AttributeIssue, ServiceCode};
use domain::partner::Partner;
use domain::policy::CitizenActor;
use persistence::open311::{self as repo, Filter, NewRequest, PublicRequest};
use persistence::{DbConnection, PersistenceError};
use sha2::{Digest, Sha256};

/// The SHA-256 (hex) of an API key, as stored.
pub fn key_hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Why a service request was refused.
#[derive(Debug)]
pub enum Refusal {
    /// No partner has this key (403).
    BadKey,
    /// The key's partner is disabled (403).
    PartnerDisabled,
    /// The service code is not offered (404).
    UnknownService,
    /// Attribute values Open311 cannot turn into the form's (400).
    Attributes(Vec<AttributeIssue>),
    /// No position (400): requests are routed by the place of the facts.
    NoPosition,
    /// The filing's own refusal (form, eligibility, routing, quota), as a problem.
    Filing(ApiError),
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Filing(e)
    }
}

impl From<PersistenceError> for Refusal {
    fn from(e: PersistenceError) -> Self {
        Refusal::Filing(e.into())
    }
}

impl From<persistence::QueryError> for Refusal {
    fn from(e: persistence::QueryError) -> Self {
        Refusal::Filing(PersistenceError::from(e).into())
    }
}

/// A service request as posted (`application/x-www-form-urlencoded`).
#[derive(Debug, Clone, Default)]
pub struct PostInput {
    pub api_key: String,
    pub service_code: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address_string: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub description: Option<String>,
    /// `attribute[code]=value` pairs, in the order sent.
    pub attributes: Vec<(String, String)>,
}

/// A request made: its public id and token.
#[derive(Debug, Clone)]
pub struct Created {
    pub service_request_id: String,
    pub token: String,
    pub unit: Option<String>,
}

/// The partner of an API key, enabled.
///
/// # Errors
/// `BadKey`, `PartnerDisabled`; the database.
pub fn partner_of(conn: &mut DbConnection, api_key: &str) -> Result<Partner, Refusal> {
    let partner = match repo::partner_of_key(conn, &key_hash(api_key))? {
        Some(id) => persistence::partners::get(conn, &id)?,
        None => None,
    };
    let partner = partner.ok_or(Refusal::BadKey)?;
    if partner.disabled_at.is_some() {
        return Err(Refusal::PartnerDisabled);
    }
    Ok(partner)
}

/// The pseudonymous account of the reporter at the partner: the same account id (else
/// e-mail address, else device id) gives the same owner, so that the daily quota
/// applies; an anonymous request is an owner of its own.
fn owner_of(partner: &str, input: &PostInput) -> String {
    let who = input
        .account_id
        .as_deref()
        .map(|a| format!("account:{a}"))
        .or_else(|| {
            input
                .email
                .as_deref()
                .map(|e| format!("email:{}", e.to_lowercase()))
        })
        .or_else(|| input.device_id.as_deref().map(|d| format!("device:{d}")))
        .unwrap_or_else(|| format!("anonymous:{}", uuid::Uuid::new_v4()));
    let digest = hex::encode(Sha256::digest(format!("{partner}\n{who}").as_bytes()));
    format!("open311:{partner}:{}", &digest[..32])
}

/// The filing's draft from the request: the position and address, the attributes as
/// answers and facts (Open311's `description` is the `circumstances` when not given as
/// an attribute), the contact (confirmation by e-mail when an address is given, else in
/// the notification feed, which sends nothing).
fn draft(
    catalogue: &domain::catalogue::Catalogue,
    code: &ServiceCode,
    procedure: &Procedure,
    input: &PostInput,
    lang: Lang,
    now: DateTime<Utc>,
) -> Result<NewFilingInput, Refusal> {
    let attributes =
        rules311::attributes(catalogue, procedure).map_err(|_| Refusal::UnknownService)?;
    let mut read =
        rules311::read_attributes(&attributes, &input.attributes).map_err(Refusal::Attributes)?;
    let (Some(lat), Some(lon)) = (input.lat, input.lon) else {
        return Err(Refusal::NoPosition);
    };
    let has_description_field = procedure
        .form
        .iter()
        .any(|f| f.name == rules311::DESCRIPTION_FIELD);
    if let Some(description) = input.description.as_ref().filter(|_| has_description_field) {
        read.facts
            .entry(rules311::DESCRIPTION_FIELD)
            .or_insert_with(|| description.clone().into());
    }
    let from = read.facts_datetime.unwrap_or(now);
    Ok(NewFilingInput {
        procedure: procedure.code.clone(),
        country: code.country.as_str().to_owned(),
        draft: DraftInput {
            place: Some(PlaceInput {
                lat: Some(lat),
                lon: Some(lon),
                description: input.address_string.clone(),
                ..PlaceInput::default()
            }),
            facts_date: Some(FactsDate {
                from: from.fixed_offset(),
                until: None,
            }),
            answers: Some(read.answers),
            facts: Some(serde_json::Value::Object(read.facts)),
            contact: Some(Contact {
                email: input.email.clone(),
                phone: input.phone.clone(),
                postal_address: None,
            }),
            confirmation_channel: Some(if input.email.is_some() {
                ConfirmationChannel::Email
            } else {
                ConfirmationChannel::App
            }),
            language: Some(lang.to_string()),
        },
    })
}

/// Creates and submits the filing of a service request, in one transaction: nothing is
/// written when any step refuses.
pub async fn create(
    state: &web::Data<AppState>,
    input: PostInput,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Created, Refusal> {
    let app = state.clone();
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get().map_err(PersistenceError::from)?;
        conn.write_transaction(|c| create_in(&app, c, input, lang, request_id))
    })
    .await
    .map_err(|e| Refusal::Filing(e.into()))?
}

fn create_in(
    app: &AppState,
    c: &mut DbConnection,
    input: PostInput,
    lang: Lang,
    request_id: Option<String>,
) -> Result<Created, Refusal> {
    let partner = partner_of(c, &input.api_key)?;
    let (code, procedure) = app
        .open311
        .service(&app.catalogue, &input.service_code)
        .ok_or(Refusal::UnknownService)?;
    let now = super::now();
    let new = draft(&app.catalogue, &code, procedure, &input, lang, now)?;
    let citizen = CitizenActor {
        id: owner_of(&partner.id, &input),
        declarant: DeclarantKind::Person,
        assurance: app.open311.assurance,
        client_id: None,
        partner: Some(partner.id.clone()),
    };
    let id = uuid::Uuid::new_v4().to_string();
    let mut created = Filing::create(&rules(app), &citizen, new, id.clone(), lang, now)
        .map_err(|e| problem(app, lang, Some(&procedure.code), e))?;
    created.audit.request_id.clone_from(&request_id);
    persistence::filings::save(c, &created)?;
    let personal = ComplainantIdentity {
        given_name: input.first_name.clone(),
        family_name: input.last_name.clone(),
        ..ComplainantIdentity::default()
    };
    if let Some(identity) = super::filings::seal_identity(app, &id, &personal, now)? {
        persistence::identities::store(c, &identity)?;
    }
    let mut submitted = super::filings::decide_submission(app, c, &citizen, &id, lang, now)?;
    submitted.audit.request_id = request_id;
    if !persistence::filings::save(c, &submitted)? {
        return Err(ApiError::PreconditionFailed.into());
    }
    super::items::notify_owners(c, &app.items.matching, &id, now)?;
    let (lat, lon) = (input.lat.unwrap_or_default(), input.lon.unwrap_or_default());
    let request = NewRequest {
        filing_id: id,
        service_request_id: uuid::Uuid::new_v4().simple().to_string(),
        token: uuid::Uuid::new_v4().to_string(),
        partner_id: partner.id,
        service_code: code.to_string(),
        requested_at: now,
        coarse: rules311::coarse_point(lat, lon, app.open311.grid_m),
    };
    repo::insert(c, &request)?;
    Ok(Created {
        service_request_id: request.service_request_id,
        token: request.token,
        unit: submitted.filing.unit.clone(),
    })
}

/// The requests matching a listing's filter, newest first.
///
/// # Errors
/// The database.
pub async fn list(
    state: &web::Data<AppState>,
    filter: Filter,
) -> Result<Vec<PublicRequest>, ApiError> {
    with_db(state, move |conn| Ok(repo::list(conn, &filter)?)).await
}

/// The request id a token stands for.
///
/// # Errors
/// The database.
pub async fn by_token(
    state: &web::Data<AppState>,
    token: String,
) -> Result<Option<String>, ApiError> {
    with_db(state, move |conn| Ok(repo::by_token(conn, &token)?)).await
}

/// Counts a POST against the key's partner's quota (`quota_per_minute`), when the key is
/// known; an unknown key is refused by the request itself.
///
/// # Errors
/// `too_many_requests` over the quota; the database.
pub async fn count_request(
    state: &web::Data<AppState>,
    req: &actix_web::HttpRequest,
    api_key: &str,
) -> Result<(), ApiError> {
    let hash = key_hash(api_key);
    let partner = with_db(state, move |conn| {
        Ok(match repo::partner_of_key(conn, &hash)? {
            Some(id) => persistence::partners::get(conn, &id)?,
            None => None,
        })
    })
    .await?;
    match partner {
        Some(partner) => {
            let quota = (
                "partner",
                format!("partner:{}", partner.id),
                partner.quota_per_minute,
            );
            super::ratelimit::count(state, req, quota).await
        }
        None => Ok(()),
    }
}
