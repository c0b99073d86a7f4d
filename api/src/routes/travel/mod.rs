//! A minor's travel authorisation for its parents (issue 19; docs/DOCUMENTS.md): the
//! request, the other holder's invitation, consent and refusal, the issued document (its
//! credential and its PDF) and a parent's revocation. Every route asks for a citizen at
//! level high; a request is seen only by its two parties (anyone else gets 404).

pub mod supporting;
pub mod types;

use crate::actors::Citizen;
use crate::app::travel::{self as usecase, Loaded, NewRequest, Revoking};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::idempotency::{self, Reply};
use crate::language::Language;
use crate::middleware::RequestId;
use crate::state::AppState;
use actix_web::http::{header, StatusCode};
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use domain::credentials::{judge, Standing};
use domain::travel::{Revoker, TravelRequest};
use types::{InvitationToken, NewTravelRequest, ReasonBody, TravelDocument, TravelView};

/// The domain's request from the body (the shapes are the same; an unknown sole-holder
/// ground is a field error).
fn request_of(body: NewTravelRequest) -> Result<(TravelRequest, String, String), ApiError> {
    let value = serde_json::json!({
        "minor": body.minor, "trip": body.trip, "companion": body.companion,
        "other_holder": body.other_holder,
    });
    let request = serde_json::from_value(value)
        .map_err(|_| usecase::field("/other_holder/ground", "unknown_option"))?;
    Ok((request, body.municipality, body.contact_email))
}

fn view(loaded: &Loaded) -> HttpResponse {
    HttpResponse::Ok().json(TravelView::from(loaded))
}

/// Request a minor's travel authorisation
///
/// A parent or legal guardian, identified at level high, asks for an authorisation for a
/// minor to travel abroad. The other holder of parental authority is invited by e-mail
/// with a single-use link that expires (`travel.invitation_hours`); or the requester
/// declares they hold it alone (`sole_holder`), and an officer reviews the ground. The
/// unit of the requester's municipality of residence reviews the request. The request
/// is the requester's consent, audited with its level of assurance.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    request_body = NewTravelRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: same key and body, same response; one request, one invitation")),
    responses(
        (status = 201, description = "Requested", body = TravelView,
            headers(("Location" = String, description = "The request's URL"))),
        (status = 409, description = "The same Idempotency-Key is being processed", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not identified at level high (`insufficient_assurance`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid request: each field's issue (`validation_failed`), no unit for the municipality (`no_competent_unit`), a municipality served by part, as Barcelona by district (`place_ambiguous`: its parts are the `candidates`, each with its unit), or an Idempotency-Key reused for another body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/travel-authorisations")]
pub async fn request_travel(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    Language(lang): Language,
    JsonBody(body): JsonBody<NewTravelRequest>,
) -> Result<HttpResponse, ApiError> {
    let fingerprint = serde_json::to_value(&body).unwrap_or_default();
    let (request, municipality, requester_email) = request_of(body)?;
    let input = NewRequest {
        request,
        requester_email,
        municipality,
        language: lang,
        personal: citizen.0.personal.clone(),
    };
    let render = |loaded: Loaded| Reply {
        status: StatusCode::CREATED,
        headers: vec![(
            header::LOCATION.to_string(),
            format!("/v1/travel-authorisations/{}", loaded.row.id),
        )],
        body: serde_json::to_value(TravelView::from(&loaded)).unwrap_or_default(),
    };
    let actor = citizen.actor();
    let caller = crate::routes::filings::idempotency_caller(&actor);
    idempotency::run(&req, &caller, &fingerprint, |key| {
        usecase::start(&state, actor, input, RequestId::of(&req), (key, render))
    })
    .await
}

/// A travel authorisation request
///
/// The request, for its requester or the second holder who took the invitation; anyone
/// else gets 404.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request")),
    responses(
        (status = 200, description = "The request", body = TravelView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not identified at level high (`insufficient_assurance`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/travel-authorisations/{id}")]
pub async fn get_travel(
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = citizen.actor();
    let (loaded, _) = usecase::for_citizen(&state, &actor.id, id.into_inner()).await?;
    Ok(view(&loaded))
}

/// Take an invitation to consent
///
/// The other holder of parental authority, identified at level high, sends the token of
/// the e-mail's link. It works once and until it expires; they are then the request's
/// second holder, read it, and consent or refuse. The identity claims of their sign-in
/// are kept sealed with the request, for the reviewing officer.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    request_body = InvitationToken,
    responses(
        (status = 200, description = "The request the invitation is for", body = TravelView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not identified at level high (`insufficient_assurance`), or the requester's own invitation", body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "Unknown, used or expired link (`invitation_invalid`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/travel-invitations")]
pub async fn take_invitation(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    JsonBody(body): JsonBody<InvitationToken>,
) -> Result<HttpResponse, ApiError> {
    if body.token.trim().is_empty() {
        return Err(usecase::field("/token", "empty"));
    }
    if body.token.len() > 200 {
        return Err(usecase::field("/token", "too_long"));
    }
    let request_id = RequestId::of(&req);
    let personal = citizen.0.personal.clone();
    let loaded =
        usecase::take_invitation(&state, citizen.actor(), personal, body.token, request_id).await?;
    Ok(view(&loaded))
}

/// Consent to a travel authorisation
///
/// The second holder consents, at level high (audited with the level): the unit reviews
/// the request next.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request")),
    responses(
        (status = 200, description = "Consented: waiting for the unit's review", body = TravelView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not identified at level high (`insufficient_assurance`), or the request's requester (`forbidden`: the answer is the other holder's)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a request you were invited to", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Answered already (`travel_invalid_state`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/travel-authorisations/{id}/consent")]
pub async fn consent(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (actor, request_id) = (citizen.actor(), RequestId::of(&req));
    let loaded = usecase::answer(&state, actor, id.into_inner(), true, request_id).await?;
    Ok(view(&loaded))
}

/// Refuse a travel authorisation
///
/// The second holder refuses, at level high: the request ends and its requester is told
/// by e-mail.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request")),
    responses(
        (status = 200, description = "Refused: the request is closed", body = TravelView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not identified at level high (`insufficient_assurance`), or the request's requester (`forbidden`: the answer is the other holder's)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a request you were invited to", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Answered already (`travel_invalid_state`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/travel-authorisations/{id}/refuse")]
pub async fn refuse(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (actor, request_id) = (citizen.actor(), RequestId::of(&req));
    let loaded = usecase::answer(&state, actor, id.into_inner(), false, request_id).await?;
    Ok(view(&loaded))
}

/// Revoke a travel authorisation
///
/// Either parent revokes the issued authorisation, with a reason, until the departure
/// day starts (in the issuing unit's time zone); after that, only the police can. The
/// online check then answers `revoked`.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request")),
    request_body = ReasonBody,
    responses(
        (status = 200, description = "Revoked", body = TravelView),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not identified at level high (`insufficient_assurance`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not approved (`travel_invalid_state`), or the departure day started (`revocation_closed`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or a longer one than 500 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/travel-authorisations/{id}/revoke")]
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    JsonBody(body): JsonBody<ReasonBody>,
) -> Result<HttpResponse, ApiError> {
    let actor = citizen.actor();
    if !actor
        .assurance
        .satisfies(domain::travel::REQUIRED_ASSURANCE)
    {
        return Err(ApiError::InsufficientAssurance {
            required: domain::travel::REQUIRED_ASSURANCE.as_str().to_owned(),
        });
    }
    let (loaded, _) = usecase::for_citizen(&state, &actor.id, id.into_inner()).await?;
    let who = Revoking {
        as_role: Revoker::Parent,
        actor: actor.audit_actor(),
        reason: body.reason,
    };
    let loaded = usecase::revoke(&state, loaded, who, RequestId::of(&req)).await?;
    Ok(view(&loaded))
}

/// The document of an approved request: its claims, credential and status now.
/// The day a document was revoked, in its unit's time zone.
fn revoked_on(loaded: &Loaded) -> Option<chrono::NaiveDate> {
    let revocation = loaded.document.as_ref()?.revocation.as_ref()?;
    let zone = usecase::zone_of(&loaded.row.municipality);
    Some(revocation.at.with_timezone(&zone).date_naive())
}

fn document_of(
    loaded: &Loaded,
) -> Result<(TravelDocument, domain::travel::AuthorisationClaims), ApiError> {
    let Some(doc) = &loaded.document else {
        return Err(ApiError::TravelInvalidState {
            status: loaded.row.status.as_str().to_owned(),
        });
    };
    let (claims, window) = usecase::validity(loaded, &doc.id, doc.issued_at);
    let standing = match doc.revocation {
        Some(_) => Standing::Revoked,
        None => Standing::Current,
    };
    let document = TravelDocument {
        id: doc.id.clone(),
        status: judge(&window, standing, chrono::Utc::now())
            .as_str()
            .to_owned(),
        credential: doc.credential.clone(),
        issued_at: doc.issued_at,
        valid_from: claims.valid_from,
        valid_until: claims.valid_until,
    };
    Ok((document, claims))
}

/// A travel authorisation's document
///
/// The issued authorisation: its credential (what the PDF's QR code holds, a compact JWS
/// checkable offline with `GET /v1/credentials/keys` and online with `POST
/// /v1/credentials/verify`), its validity and its status now. For its two parties.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request")),
    responses(
        (status = 200, description = "The document", body = TravelDocument),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not identified at level high (`insufficient_assurance`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not issued (`travel_invalid_state`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/travel-authorisations/{id}/document")]
pub async fn travel_document(
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = citizen.actor();
    let (loaded, _) = usecase::for_citizen(&state, &actor.id, id.into_inner()).await?;
    let (document, _) = document_of(&loaded)?;
    Ok(HttpResponse::Ok().json(document))
}

/// A travel authorisation's PDF
///
/// The issued authorisation as a one-page A4 PDF, in Catalan, Spanish and English, with
/// the QR code of its credential, its names in their own letters (an embedded Unicode
/// font). A revoked authorisation says so at the top of the page, with the day of its
/// revocation. For its two parties.
#[utoipa::path(
    tag = "documents",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "The request")),
    responses(
        (status = 200, description = "The PDF", content((String = "application/pdf", example = json!("%PDF-1.7 ... (binary)"))),
            headers(("Content-Disposition" = String, description = "inline, with a file name"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not identified at level high (`insufficient_assurance`)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such request of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not issued (`travel_invalid_state`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/travel-authorisations/{id}/document/pdf")]
pub async fn document_pdf(
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let actor = citizen.actor();
    let (loaded, _) = usecase::for_citizen(&state, &actor.id, id.into_inner()).await?;
    let (document, claims) = document_of(&loaded)?;
    let unit = &loaded.row.unit_id;
    let unit_name = state
        .directory()
        .unit(unit)
        .map(|u| u.name(domain::i18n::Lang::Ca).to_owned())
        .unwrap_or_else(|| unit.clone());
    let issued = document.issued_at.timestamp();
    let pdf = crate::credentials::authorisation_pdf::render(
        &claims,
        &unit_name,
        &document.credential,
        issued,
        revoked_on(&loaded),
    )?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"authorisation-{}.pdf\"", document.id),
        ))
        .body(pdf))
}
