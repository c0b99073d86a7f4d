//! The receipt of a submitted filing, as JSON or as a one-page PDF.

use super::types::{NamedRef, Receipt, ReceiptQuery};
use crate::actors::Citizen;
use crate::app::filings as usecase;
use crate::error::{ApiError, FieldError, Problem};
use crate::language::AskedLanguage;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::Utc;
use domain::i18n::Lang;

/// Whether the client wants the PDF: `?format=` decides, else the first of the two in the
/// client's order of preference (JSON by default).
pub fn wants_pdf(req: &HttpRequest, format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        Some("pdf") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(ApiError::Validation(vec![FieldError::new(
            "/query/format",
            "unknown_option",
        )])),
        // By Accept (JSON by default; 406 when neither is acceptable).
        None => Ok(crate::negotiation::preferred_media(
            req,
            &["application/json", "application/pdf"],
        )? == "application/pdf"),
    }
}

/// The receipt's content in `lang`; `None` before submission.
fn receipt_of(
    state: &AppState,
    loaded: &usecase::Loaded,
    lang: Lang,
) -> Result<Option<Receipt>, ApiError> {
    let filing = &loaded.filing;
    let (Some(reference), Some(unit_id), Some(submitted_at), Some(credential)) = (
        &filing.reference,
        &filing.unit,
        filing.submitted_at,
        crate::app::credentials::receipt_credential(state, filing)?,
    ) else {
        return Ok(None);
    };
    let directory = state.directory();
    let unit = directory.unit(unit_id);
    let catalogue = &state.catalogue;
    let procedure_name = catalogue.text(lang, &format!("procedure.{}.name", filing.procedure));
    let place_name = filing
        .municipality
        .as_ref()
        .and_then(|m| directory.municipality(m).map(|m| m.name(lang).to_owned()));
    // The date of the facts as the citizen lived it: local to the place of the facts.
    let date = filing
        .facts_date
        .map(|d| d.local_date(filing.country).to_string());
    let summary = [Some(procedure_name.clone()), place_name, date]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Some(Receipt {
        reference: reference.as_str().to_owned(),
        procedure: filing.procedure.clone(),
        procedure_name,
        submitted_at,
        unit: NamedRef {
            id: unit_id.clone(),
            name: unit
                .map(|u| u.name(lang).to_owned())
                .unwrap_or_else(|| unit_id.clone()),
        },
        unit_contact: unit
            .map(|u| crate::routes::directory::ContactView::from(&u.contact))
            .unwrap_or_default(),
        record_number: filing.record_number.clone(),
        summary,
        items: filing.items().len(),
        declared_items: crate::app::credentials::listed_items(filing)
            .into_iter()
            .map(Into::into)
            .collect(),
        follow_up: format!(
            "{} {}",
            catalogue.text(
                lang,
                &format!("procedure.{}.after_submission", filing.procedure)
            ),
            reference
        ),
        emergency_numbers: catalogue.emergency_numbers(filing.country).to_vec(),
        language: lang.to_string(),
        timeline: crate::routes::notifications::views::timeline(
            state,
            filing.unit.as_deref(),
            filing.status,
            super::views::status_since(loaded),
            lang,
            Utc::now(),
        ),
        credential,
    }))
}

/// Get the receipt
///
/// The acknowledgement of a submitted filing: reference number, date, competent unit,
/// a summary and how to follow up.
#[utoipa::path(
    tag = "filings",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "Id of the filing"), crate::routes::catalogue::LangQuery, ReceiptQuery),
    responses(
        (status = 200, description = "The receipt: JSON, or a one-page PDF with `Accept: application/pdf` or `?format=pdf`",
            content(
                (Receipt = "application/json"),
                (String = "application/pdf", example = json!("%PDF-1.7 ... (binary)"))
            ),
            headers(("Content-Disposition" = String, description = "For the PDF: inline, with a file name"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such filing among yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not submitted yet (`receipt_not_available`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown format", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/filings/{id}/receipt")]
pub async fn receipt(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    id: web::Path<String>,
    query: web::Query<ReceiptQuery>,
    asked: AskedLanguage,
) -> Result<HttpResponse, ApiError> {
    let pdf = wants_pdf(&req, query.format.as_deref())?;
    let loaded = usecase::get(&state, &citizen.actor(), &id).await?;
    let filing = &loaded.filing;
    let lang = asked.or_filing(filing);
    let Some(body) = receipt_of(&state, &loaded, lang)? else {
        return Err(ApiError::ReceiptNotAvailable {
            status: filing.status.to_string(),
        });
    };
    let vary = (header::VARY, "Accept, Accept-Language");
    let language = (header::CONTENT_LANGUAGE, lang.as_str());
    if !pdf {
        return Ok(HttpResponse::Ok()
            .insert_header(vary)
            .insert_header(language)
            .json(body));
    }
    let disposition = format!("inline; filename=\"receipt-{}.pdf\"", body.reference);
    let bytes = pdf_of(&state, body, lang).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(vary)
        .insert_header(language)
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .body(bytes))
}

/// The receipt as a PDF, with the submission time in the unit's time zone.
async fn pdf_of(state: &AppState, body: Receipt, lang: Lang) -> Result<Vec<u8>, ApiError> {
    let submitted_local = match state.directory().unit(&body.unit.id) {
        Some(u) => body
            .submitted_at
            .with_timezone(&u.hours.timezone)
            .format("%Y-%m-%d %H:%M (%Z)")
            .to_string(),
        None => body.submitted_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    };
    let issued_at = Utc::now().timestamp();
    let items: Vec<String> = body
        .declared_items
        .iter()
        .map(|item| {
            let category = state.catalogue.text(
                lang,
                &format!(
                    "option.{}.{}",
                    domain::forms::ITEM_CATEGORY_ENUM,
                    item.category
                ),
            );
            [
                Some(category),
                item.brand.clone(),
                item.model.clone(),
                item.serial_number.clone(),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · ")
        })
        .collect();
    web::block(move || super::receipt_pdf::render(&body, lang, &submitted_local, &items, issued_at))
        .await?
}
