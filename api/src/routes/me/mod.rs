//! The citizen's own data as a whole: the right of access (EU Directive 2016/680,
//! Art. 14; docs/ACCESS.md). Their own data only: the use case asks for the caller's.

pub mod export_pdf;
pub mod types;
pub mod views;

pub use types::*;

use crate::actors::Citizen;
use crate::app::access as usecase;
use crate::error::{ApiError, Problem};
use crate::language::Language;
use crate::routes::filings::ReceiptQuery;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};

/// Export my data
///
/// Everything the service holds about the caller (right of access, Directive 2016/680
/// Art. 14): their filings with their history, items, questions and answers and
/// decisions; their notifications, appointments and alerts; the purposes and legal
/// basis of the processing; the recipients (hand-overs to the records system, from the
/// audit log); and how long each filing is kept. As JSON, or as a PDF with
/// `Accept: application/pdf` or `?format=pdf`.
#[utoipa::path(
    operation_id = "export_my_data",
    tag = "data protection",
    security(("bearer" = [])),
    params(crate::routes::catalogue::LangQuery, ReceiptQuery),
    responses(
        (status = 200, description = "The export: JSON, or a PDF with `Accept: application/pdf` or `?format=pdf`",
            content(
                (PersonalDataExport = "application/json"),
                (String = "application/pdf", example = json!("%PDF-1.7 ... (binary)"))
            ),
            headers(("Content-Disposition" = String, description = "An attachment, with a file name"))),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a citizen account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown format", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/export")]
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    citizen: Citizen,
    query: web::Query<ReceiptQuery>,
    Language(lang): Language,
) -> Result<HttpResponse, ApiError> {
    let pdf = crate::routes::filings::receipts::wants_pdf(&req, query.format.as_deref())?;
    let gathered = usecase::export(&state, &citizen.actor()).await?;
    let now = crate::app::now();
    let view = views::export_view(&state, &citizen.0.user_id, &gathered, lang, now);
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::VARY, "Accept, Accept-Language"))
        .insert_header((header::CONTENT_LANGUAGE, lang.as_str()));
    if !pdf {
        return Ok(response.json(view));
    }
    let issued_at = now.timestamp();
    let bytes = web::block(move || export_pdf::render(&view, lang, issued_at)).await?;
    Ok(response
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"personal-data-export.pdf\"",
        ))
        .body(bytes))
}
