//! A municipality's lost-property office (issue 20, docs/ITEMS.md), with its
//! client-credentials token: it files the found objects it holds, reads their
//! candidates and hands an object back to its owner, which closes both declarations.
//! It sees only the found objects it filed; another's is 404. Need-to-know: a candidate
//! shows the owner's declaration's reference (which the owner shows at the counter),
//! the object's kind, brand, model and colour, the score and why; never the owner's
//! identity, contact, place, unit or description. Audited under `partner:<id>`; counted
//! against the partner's quota.

use crate::actors::LostPropertyOffice;
use crate::app::lost_property::{self as usecase, FoundInput};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::JsonBody;
use crate::idempotency::{self, Reply};
use crate::language::Language;
use crate::middleware::RequestId;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, FixedOffset, Utc};
use domain::filing::Filing;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One object of a found object's declaration (the `items` of the form).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"category": "bicycle", "brand": "Gazelle", "colour": "black", "serial_number": "WTU 123-456 X"}))]
pub struct FoundItemBody {
    /// An `item_category` code of the catalogue (`GET /v1/procedures/found_object`).
    #[schema(example = "bicycle", max_length = 40)]
    pub category: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "Gazelle", max_length = 100)]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 100)]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "black", max_length = 40)]
    pub colour: Option<String>,
    /// As written on the object (a frame number, an IMEI, a serial number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "WTU 123-456 X", max_length = 100)]
    pub serial_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

/// A found object the office holds.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"object_category": "bicycle", "object_description": "black city bike, basket",
    "found_at": "2026-12-01T08:30:00+01:00", "lat": 49.6116, "lon": 6.1319,
    "items": [{"category": "bicycle", "brand": "Gazelle", "colour": "black", "serial_number": "WTU 123-456 X"}]}))]
pub struct FoundObjectBody {
    /// An `object_category` code of the catalogue.
    #[schema(example = "bicycle", max_length = 40)]
    pub object_category: String,
    #[schema(min_length = 1, max_length = 2000)]
    pub object_description: String,
    /// The objects, with what identifies them (matched against lost and stolen ones).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub items: Option<Vec<FoundItemBody>>,
    /// When it was found (default: now).
    #[serde(default)]
    pub found_at: Option<DateTime<FixedOffset>>,
    /// Where it was found, in the office's municipality (default: the municipality).
    #[serde(default)]
    #[schema(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[serde(default)]
    #[schema(minimum = -180, maximum = 180)]
    pub lon: Option<f64>,
    /// The place in words (a street, a bus line).
    #[serde(default)]
    #[schema(max_length = 500)]
    pub place_description: Option<String>,
}

impl FoundObjectBody {
    fn into_input(self) -> Result<FoundInput, ApiError> {
        // The point as the contract states it: each coordinate in its range, both or
        // neither (reported from outside: `lat: 91` was "outside the municipality").
        let mut errors = Vec::new();
        for (name, value, bound) in [("lat", self.lat, 90.0), ("lon", self.lon, 180.0)] {
            if value.is_some_and(|v| !(-bound..=bound).contains(&v)) {
                errors.push(FieldError::new(format!("/{name}"), "out_of_range"));
            }
        }
        match (self.lat, self.lon) {
            (Some(_), None) => errors.push(FieldError::new("/lon", "required")),
            (None, Some(_)) => errors.push(FieldError::new("/lat", "required")),
            _ => {}
        }
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        let items = match self.items {
            Some(items) => Some(
                serde_json::to_value(items)
                    .map_err(|e| ApiError::Internal(format!("items: {e}")))?,
            ),
            None => None,
        };
        Ok(FoundInput {
            object_category: self.object_category,
            object_description: self.object_description,
            items,
            found_at: self.found_at,
            lat: self.lat,
            lon: self.lon,
            place_description: self.place_description,
        })
    }
}

/// A found object the office filed.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "0b7c2f1e-5d4a-4c1b-9a0e-2f6d8c9b1a3e", "reference": "LU-2026-7K2Q-9XHM-C",
    "status": "submitted", "unit": "lu-luxembourg", "submitted_at": "2026-12-01T08:31:00Z"}))]
pub struct FoundObjectView {
    pub id: String,
    pub reference: Option<String>,
    /// `submitted` until it is handed back (`closed`), or an officer decides.
    pub status: String,
    /// The police unit the declaration went to.
    pub unit: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
}

impl FoundObjectView {
    fn of(f: Filing) -> Self {
        FoundObjectView {
            reference: f.reference.map(|r| r.as_str().to_owned()),
            status: f.status.as_str().to_owned(),
            unit: f.unit,
            submitted_at: f.submitted_at,
            id: f.id,
        }
    }
}

/// A declaration the found object may answer, as the office sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"item_position": 0, "reference": "LU-2026-4B7D-2KQF-H",
    "role": "lost", "category": "bicycle", "brand": "Gazelle", "model": null, "colour": "black",
    "score": 1.0, "certain": true, "explanation": "same frame number"}))]
pub struct OfficeCandidate {
    /// Which of the found object's items it is a candidate for.
    pub item_position: i32,
    /// The owner's declaration's reference: the owner shows it (their acknowledgement)
    /// at the counter; the hand-back names it.
    pub reference: Option<String>,
    /// `lost` or `stolen`.
    pub role: String,
    pub category: String,
    pub brand: Option<String>,
    pub model: Option<String>,
    pub colour: Option<String>,
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub score: f64,
    pub certain: bool,
    pub explanation: String,
}

/// The found object's candidates, best first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"item_position": 0, "reference": "LU-2026-4B7D-2KQF-H",
    "role": "lost", "category": "bicycle", "brand": "Gazelle", "model": null, "colour": "black",
    "score": 1.0, "certain": true, "explanation": "same frame number"}]}))]
pub struct OfficeCandidates {
    pub items: Vec<OfficeCandidate>,
}

impl OfficeCandidate {
    fn of(p: crate::app::items::Proposal) -> Self {
        let s = p.candidate.sighting;
        OfficeCandidate {
            item_position: p.position,
            reference: p.candidate.reference,
            role: p.candidate.role,
            category: s.category,
            brand: s.brand,
            model: s.model,
            colour: s.colour,
            score: (p.outcome.score * 100.0).round() / 100.0,
            certain: p.outcome.certain,
            explanation: p.outcome.explanation(),
        }
    }
}

/// Whose declaration the found object goes back to.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lost_reference": "LU-2026-4B7D-2KQF-H"}))]
pub struct OfficeHandBack {
    /// The reference of a candidate's declaration.
    #[schema(min_length = 1, max_length = 64)]
    pub lost_reference: String,
}

/// File a found object (lost-property office)
///
/// A municipality's lost-property office files an object it holds, with its
/// client-credentials token (a partner of kind `lost_property_office` with the
/// `lost_property` scope). It becomes a `found_object` declaration, created and
/// submitted at once (routed to the unit of the place, given a reference), and is
/// matched against the open lost and stolen objects; their owners are told that an
/// object that may be theirs was found, never by whom. The place must be in the office's
/// municipality (its default). Audited.
#[utoipa::path(
    operation_id = "file_found_object",
    tag = "items",
    security(("bearer" = [])),
    request_body = FoundObjectBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: same key and body, same response; nothing is filed and no owner told twice")),
    responses(
        (status = 201, description = "Filed; `Location` names it", body = FoundObjectView),
        (status = 409, description = "The same Idempotency-Key is being processed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token, or a client nobody registered", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a lost-property office's client-credentials token with the `lost_property` scope, or a disabled partner", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The form (`/facts/...`), a place outside the office's municipality (`/place` `outside_municipality`), or an Idempotency-Key reused for another body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/partner/found-objects")]
pub async fn file(
    req: HttpRequest,
    state: web::Data<AppState>,
    LostPropertyOffice(office): LostPropertyOffice,
    Language(lang): Language,
    JsonBody(body): JsonBody<FoundObjectBody>,
) -> Result<HttpResponse, ApiError> {
    let request = serde_json::to_value(&body).unwrap_or_default();
    let input = body.into_input()?;
    let render = |filing: domain::filing::Filing| Reply {
        status: StatusCode::CREATED,
        headers: vec![(
            "location".into(),
            format!("/v1/partner/found-objects/{}", filing.id),
        )],
        body: serde_json::to_value(FoundObjectView::of(filing)).unwrap_or_default(),
    };
    // Keys are the office's own (its partner and client), apart from any citizen's.
    let caller = format!("{}@{}", office.client_id, office.partner);
    idempotency::run(&req, &caller, &request, |key| {
        let office = (office, input, lang);
        usecase::file(&state, office, RequestId::of(&req), (key, render))
    })
    .await
}

/// Read a found object (lost-property office)
///
/// One of the office's found objects: its reference, status and unit. Another's
/// (another office's, a citizen's, the police's) is 404. Audited.
#[utoipa::path(
    operation_id = "show_found_object",
    tag = "items",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The found object's declaration")),
    responses(
        (status = 200, description = "The found object", body = FoundObjectView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a lost-property office's client-credentials token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a found object of this office (`filing_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/partner/found-objects/{id}")]
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    LostPropertyOffice(office): LostPropertyOffice,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let filing = usecase::show(&state, office, id.into_inner(), RequestId::of(&req)).await?;
    Ok(HttpResponse::Ok().json(FoundObjectView::of(filing)))
}

/// A found object's candidates (lost-property office)
///
/// The lost and stolen objects the office's found object may be, best first, at most
/// 20: each with the owner's declaration's reference, the object's kind, brand, model and
/// colour, the score and why; nothing of the owner. Audited, with each declaration shown.
#[utoipa::path(
    operation_id = "found_object_matches",
    tag = "items",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The found object's declaration")),
    responses(
        (status = 200, description = "The candidates, best first", body = OfficeCandidates),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a lost-property office's client-credentials token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a found object of this office (`filing_not_found`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/partner/found-objects/{id}/matches")]
pub async fn matches(
    req: HttpRequest,
    state: web::Data<AppState>,
    LostPropertyOffice(office): LostPropertyOffice,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let found = usecase::candidates(&state, office, id.into_inner(), RequestId::of(&req)).await?;
    Ok(HttpResponse::Ok().json(OfficeCandidates {
        items: found.into_iter().map(OfficeCandidate::of).collect(),
    }))
}

/// Hand a found object back (lost-property office)
///
/// The office confirms that its found object is the lost or stolen object of the
/// declaration `lost_reference`, which must be one of its current candidates (else 409
/// `not_a_candidate`), and hands it back, as by an officer's hand-back: the matched
/// items are marked recovered (no longer reported stolen by the public check, nor
/// matched), and each declaration is closed once none of its objects is waiting; each
/// citizen is told as for any closure. Audited (`item_hand_back`, and one `hand_back`
/// alteration per declaration closed).
#[utoipa::path(
    operation_id = "hand_back_found_object",
    tag = "items",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The found object's declaration")),
    request_body = OfficeHandBack,
    responses(
        (status = 200, description = "Handed back", body = super::HandedBack),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a lost-property office's client-credentials token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a found object of this office (`filing_not_found`)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The reference is not one of the object's current candidates (`not_a_candidate`)", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "A declaration changed while it was being closed: send again", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/partner/found-objects/{id}/hand-back")]
pub async fn hand_back(
    req: HttpRequest,
    state: web::Data<AppState>,
    LostPropertyOffice(office): LostPropertyOffice,
    id: web::Path<String>,
    JsonBody(body): JsonBody<OfficeHandBack>,
) -> Result<HttpResponse, ApiError> {
    let request_id = RequestId::of(&req);
    super::handed_back_to("/lost_reference", &body.lost_reference)?;
    let recovered_items = usecase::hand_back(
        &state,
        office,
        id.into_inner(),
        body.lost_reference,
        request_id,
    )
    .await?;
    Ok(HttpResponse::Ok().json(super::HandedBack { recovered_items }))
}
