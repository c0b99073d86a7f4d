//! Open311 GeoReport v2 under `/open311/v2/` (issue 22, `docs/OPEN311.md`): discovery,
//! services and their definitions, service requests (posted by a registered partner with
//! its `api_key`; read by anyone, without anything personal) and tokens. Every document
//! in JSON and in XML, chosen by the path's suffix; errors in Open311's format.

pub mod types;

use crate::app::open311::{self as usecase, Refusal};
use crate::language::request_language;
use crate::middleware::RequestId;
use crate::open311::{Format, Open311Error};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use domain::catalogue::{Catalogue, Procedure, QuestionKind};
use domain::forms::FieldType;
use domain::i18n::Lang;
use domain::open311::{Attribute as Rule, ServiceCode, Target};

use types::*;

/// The specification's address, as its discovery documents name it.
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";
/// When the Open311 interface last changed.
const CHANGESET: &str = "2026-12-05T00:00:00Z";

type Answer = Result<HttpResponse, Open311Error>;

fn text(lang: Lang, key: &str) -> String {
    crate::i18n::texts()
        .render(lang, &format!("open311.{key}"), &[])
        .unwrap_or_else(|| key.to_owned())
}

/// The answer `value` in `format`, with `Content-Language` naming the languages its texts
/// are in (RFC 9110, section 8.5: a list when they differ, as a services list can: each
/// service reads in the language of the request when its procedure has it, else in one of
/// the procedure's), and `Vary: Accept-Language`. No languages: no `Content-Language`.
fn respond<T: serde::Serialize>(
    format: Format,
    status: StatusCode,
    (root, langs): (&str, &[Lang]),
    value: &T,
) -> Answer {
    let value = serde_json::to_value(value).map_err(|e| {
        Open311Error::from_api(
            &crate::error::ApiError::Internal(e.to_string()),
            Lang::En,
            format,
        )
    })?;
    let mut response = format.respond(status, root, &value);
    let mut named: Vec<&str> = Vec::new();
    for lang in langs {
        if !named.contains(&lang.as_str()) {
            named.push(lang.as_str());
        }
    }
    use actix_web::http::header::{HeaderValue, CONTENT_LANGUAGE, VARY};
    let headers = response.headers_mut();
    headers.insert(VARY, HeaderValue::from_static("Accept-Language"));
    // Language tags are ASCII, so the value always reads.
    if let (false, Ok(value)) = (named.is_empty(), HeaderValue::from_str(&named.join(", "))) {
        headers.insert(CONTENT_LANGUAGE, value);
    }
    Ok(response)
}

/// A service as the list shows it, its texts in `lang` (already served among the
/// procedure's languages by the caller, which names it in `Content-Language`).
fn service_view(
    catalogue: &Catalogue,
    code: &ServiceCode,
    procedure: &Procedure,
    lang: Lang,
) -> Service {
    Service {
        service_code: code.to_string(),
        service_name: catalogue.text(lang, &format!("procedure.{}.name", procedure.code)),
        description: catalogue.text(lang, &format!("procedure.{}.description", procedure.code)),
        metadata: true,
        service_type: "realtime".into(),
        keywords: format!("{},{}", procedure.code, procedure.kind),
        group: code.country.as_str().to_owned(),
    }
}

fn attribute_view(catalogue: &Catalogue, rule: &Rule, lang: Lang) -> Attribute {
    let (description, enumeration) = match &rule.target {
        Target::Answer => (
            catalogue.text(lang, &format!("question.{}.text", rule.code)),
            match catalogue.questions.get(&rule.code).map(|q| &q.kind) {
                Some(QuestionKind::Choice { enumeration, .. }) => Some(enumeration.clone()),
                _ => None,
            },
        ),
        Target::Fact(field) => (
            catalogue.text(lang, &format!("field.{}.label", rule.code)),
            match field {
                FieldType::Enum { enumeration } => Some(enumeration.clone()),
                _ => None,
            },
        ),
        Target::FactsDate => (text(lang, "facts_datetime"), None),
    };
    let name = |key: &str| match &enumeration {
        Some(e) => catalogue.text(lang, &format!("option.{e}.{key}")),
        None => text(lang, if key == "true" { "yes" } else { "no" }),
    };
    Attribute {
        variable: true,
        code: rule.code.clone(),
        datatype: rule.datatype.as_str().to_owned(),
        required: rule.required,
        datatype_description: rule.datatype.as_str().to_owned(),
        order: rule.order,
        description,
        values: rule
            .values
            .iter()
            .map(|key| AttributeValue {
                key: key.clone(),
                name: name(key),
            })
            .collect(),
    }
}

/// Open311 discovery
///
/// Where the GeoReport v2 endpoint is and which formats it speaks.
#[utoipa::path(
    tag = "open311",
    security(()),
    params(FormatPath),
    responses(
        (status = 200, description = "The discovery document",
            content(
                (Discovery = "application/json", example = json!({"changeset": "2026-12-05T00:00:00Z", "contact": "Your police", "key_service": "Ask the police administrators", "endpoints": [{"specification": "http://wiki.open311.org/GeoReport_v2", "url": "https://api.example/open311/v2", "changeset": "2026-12-05T00:00:00Z", "type": "production", "formats": ["application/json", "text/xml"]}]})),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><discovery><changeset>2026-12-05T00:00:00Z</changeset></discovery>"))
            )),
        (status = 400, description = "An unknown format suffix",
            content((Vec<ErrorItem> = "application/json", example = json!([{"code": 400, "description": "A path parameter cannot be read."}])))),
    )
)]
#[get("/discovery.{format}")]
pub async fn discovery(req: HttpRequest, path: web::Path<FormatPath>) -> Answer {
    let lang = request_language(&req);
    let info = req.connection_info();
    let url = format!("{}://{}/open311/v2", info.scheme(), info.host());
    let document = Discovery {
        changeset: CHANGESET.into(),
        contact: text(lang, "contact"),
        key_service: text(lang, "invalid_api_key"),
        endpoints: vec![Endpoint {
            specification: SPECIFICATION.into(),
            url,
            changeset: CHANGESET.into(),
            endpoint_type: "production".into(),
            formats: vec!["application/json".into(), "text/xml".into()],
        }],
    };
    respond(
        path.format,
        StatusCode::OK,
        ("discovery", &[lang]),
        &document,
    )
}

/// Open311 services
///
/// The procedures offered through Open311 (configuration `open311.services`), each as a
/// service of one country: `<procedure>-<country>`.
#[utoipa::path(
    tag = "open311",
    security(()),
    params(FormatPath, JurisdictionQuery),
    responses(
        (status = 200, description = "The services",
            content(
                (Vec<Service> = "application/json", example = json!([{"service_code": "graffiti-BE", "service_name": "Complaint for graffiti", "description": "Report graffiti.", "metadata": true, "type": "realtime", "keywords": "graffiti,complaint", "group": "BE"}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service><service_code>graffiti-BE</service_code></service></services>"))
            )),
        (status = 400, description = "An unknown format suffix",
            content((Vec<ErrorItem> = "application/json", example = json!([{"code": 400, "description": "A path parameter cannot be read."}])))),
    )
)]
#[get("/services.{format}")]
pub async fn services(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<FormatPath>,
    _query: web::Query<JurisdictionQuery>,
) -> Answer {
    let lang = request_language(&req);
    let catalogue = &state.catalogue;
    let mut langs = Vec::new();
    let list: Vec<Service> = state
        .open311
        .services
        .iter()
        .filter_map(|code| {
            let procedure = catalogue.procedure(&code.procedure)?;
            let served = crate::i18n::served_among(lang, &procedure.languages);
            langs.push(served);
            Some(service_view(catalogue, code, procedure, served))
        })
        .collect();
    respond(path.format, StatusCode::OK, ("services", &langs), &list)
}

/// Open311 service definition
///
/// The attributes of a service: its eligibility questions (`singlevaluelist`,
/// required), the fields of its form that Open311 can carry (`string`, `text`, `number`,
/// `datetime`, `singlevaluelist`) and `facts_datetime`. Sent as `attribute[code]`.
#[utoipa::path(
    tag = "open311",
    security(()),
    params(ServicePath, JurisdictionQuery),
    responses(
        (status = 200, description = "The service's definition",
            content(
                (ServiceDefinition = "application/json", example = json!({"service_code": "graffiti-BE", "attributes": [{"variable": true, "code": "surface", "datatype": "singlevaluelist", "required": true, "datatype_description": "singlevaluelist", "order": 3, "description": "Where is the graffiti?", "values": [{"key": "wall", "name": "Wall"}]}]})),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><service_definition><service_code>graffiti-BE</service_code></service_definition>"))
            )),
        (status = 404, description = "No such service",
            content(
                (Vec<ErrorItem> = "application/json", example = json!([{"code": 404, "description": "There is no such service_code here."}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>404</code><description>There is no such service_code here.</description></error></errors>"))
            )),
    )
)]
#[get("/services/{service_code}.{format}")]
pub async fn service_definition(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ServicePath>,
    _query: web::Query<JurisdictionQuery>,
) -> Answer {
    let lang = request_language(&req);
    let format = path.format;
    let catalogue = &state.catalogue;
    let not_found = || Open311Error::text(StatusCode::NOT_FOUND, "unknown_service", lang, format);
    let (code, procedure) = state
        .open311
        .service(catalogue, &path.service_code)
        .ok_or_else(not_found)?;
    let rules = domain::open311::attributes(catalogue, procedure).map_err(|_| not_found())?;
    let text_lang = crate::i18n::served_among(lang, &procedure.languages);
    let definition = ServiceDefinition {
        service_code: code.to_string(),
        attributes: rules
            .iter()
            .map(|r| attribute_view(catalogue, r, text_lang))
            .collect(),
    };
    respond(
        format,
        StatusCode::OK,
        ("service_definition", &[text_lang]),
        &definition,
    )
}

/// A form field that breaks the intake rule or its length (`types::post_input`): 400,
/// naming the field, never its value.
fn bad_field(field: &str, lang: Lang, format: Format) -> Open311Error {
    Open311Error {
        status: StatusCode::BAD_REQUEST,
        descriptions: vec![format!("{field}: {}", text(lang, "bad_field"))],
        format,
        lang,
    }
}

/// The Open311 error of a refused request, in `lang`.
fn refusal(refusal: Refusal, lang: Lang, format: Format) -> Open311Error {
    let bad = |key| Open311Error::text(StatusCode::BAD_REQUEST, key, lang, format);
    match refusal {
        Refusal::BadKey => {
            Open311Error::text(StatusCode::FORBIDDEN, "invalid_api_key", lang, format)
        }
        Refusal::PartnerDisabled => {
            Open311Error::text(StatusCode::FORBIDDEN, "partner_disabled", lang, format)
        }
        Refusal::UnknownService => bad("unknown_service"),
        Refusal::NoPosition => bad("position_required"),
        Refusal::Attributes(issues) => Open311Error {
            status: StatusCode::BAD_REQUEST,
            descriptions: issues
                .iter()
                .map(|i| format!("attribute[{}]: {}", i.attribute, text(lang, i.code)))
                .collect(),
            format,
            lang,
        },
        Refusal::Filing(e) => Open311Error::from_api(&e, lang, format),
    }
}

/// Open311 POST service request
///
/// A registered partner (its Open311 `api_key`, `POST /v1/partners/{partner_id}/open311-key`)
/// files a request for a reporter: `application/x-www-form-urlencoded` with `api_key`,
/// `service_code`, `lat` and `long`, the attributes as `attribute[code]=value`, and
/// optionally `description` (the circumstances), `address_string`, `email`, `phone`,
/// `first_name`, `last_name`, `account_id`, `device_id`. It becomes a filing, checked
/// and routed like any other (form, eligibility, the unit of the place), submitted at
/// once; nothing is written when it is refused. Counts against the partner's quota.
#[utoipa::path(
    tag = "open311",
    security(()),
    params(FormatPath),
    request_body(content = String, content_type = "application/x-www-form-urlencoded",
        description = "Open311's form fields and `attribute[code]=value`",
        example = json!("api_key=o311_...&service_code=graffiti-BE&lat=50.4669&long=4.8675&attribute[ongoing_danger]=false&attribute[known_author]=false&attribute[surface]=wall&description=Tags+on+the+wall")),
    responses(
        (status = 201, description = "The request was made: its id and token",
            content(
                (Vec<Created> = "application/json", example = json!([{"service_request_id": "5b0d3c0e9f0a4c1f8d2e7a6b5c4d3e2f", "token": "0b7e2d9c-1a44-4c49-9a0f-3d2c1b0a9e8f", "service_notice": "Sent to the police unit of the place."}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request><service_request_id>5b0d3c0e9f0a4c1f8d2e7a6b5c4d3e2f</service_request_id></request></service_requests>"))
            )),
        (status = 400, description = "Refused: an attribute, the position, the form, not eligible (with the explanation), the place",
            content(
                (Vec<ErrorItem> = "application/json", example = json!([{"code": 400, "description": "If you know who did it, go to a police station."}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>400</code><description>Give lat and long.</description></error></errors>"))
            )),
        (status = 403, description = "The api_key is not valid, or its partner disabled",
            content(
                (Vec<ErrorItem> = "application/json", example = json!([{"code": 403, "description": "The api_key is not valid."}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>403</code><description>The api_key is not valid.</description></error></errors>"))
            )),
        (status = 429, description = "Over the partner's quota, with `Retry-After`",
            content((Vec<ErrorItem> = "application/json", example = json!([{"code": 429, "description": "Too many requests."}])))),
    )
)]
#[post("/requests.{format}")]
pub async fn create_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<FormatPath>,
    body: web::Bytes,
) -> Answer {
    let (lang, format) = (request_language(&req), path.format);
    let form = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let input = post_input(&body).map_err(|field| bad_field(&field, lang, format))?;
    if !form || input.api_key.is_empty() || input.service_code.is_empty() {
        return Err(Open311Error::text(
            StatusCode::BAD_REQUEST,
            "bad_form",
            lang,
            format,
        ));
    }
    usecase::count_request(&state, &req, &input.api_key)
        .await
        .map_err(|e| Open311Error::from_api(&e, lang, format))?;
    let created = usecase::create(&state, input, lang, RequestId::of(&req))
        .await
        .map_err(|e| refusal(e, lang, format))?;
    let answer = [Created {
        service_request_id: created.service_request_id,
        token: created.token,
        service_notice: text(lang, "service_notice"),
    }];
    respond(
        format,
        StatusCode::CREATED,
        ("service_requests", &[lang]),
        &answer,
    )
}

/// The listing's documents: the service names and status notes in `lang`.
/// The public listing's entries, and the languages their texts are in (the notes in the
/// request's, each service's name in its procedure's).
fn public(
    state: &AppState,
    requests: Vec<persistence::open311::PublicRequest>,
    lang: Lang,
) -> (Vec<ServiceRequest>, Vec<Lang>) {
    let procedure =
        |code: &str| ServiceCode::parse(code).and_then(|c| state.catalogue.procedure(&c.procedure));
    let name = |code: &str| {
        procedure(code)
            .map(|p| {
                let lang = crate::i18n::served_among(lang, &p.languages);
                state
                    .catalogue
                    .text(lang, &format!("procedure.{}.name", p.code))
            })
            .unwrap_or_else(|| code.to_owned())
    };
    let mut langs = vec![lang];
    langs.extend(
        requests
            .iter()
            .filter_map(|r| procedure(&r.service_code))
            .map(|p| crate::i18n::served_among(lang, &p.languages)),
    );
    let note = |key: &str| text(lang, key);
    let listing = requests
        .into_iter()
        .map(|r| public_view(r, name, note))
        .collect();
    (listing, langs)
}

/// Open311 GET service requests
///
/// The public listing: requests made through Open311, newest first, at most 1000, in a
/// window of at most 90 days (default: the last 90 days). Each shows only its id, status,
/// service, when it was made and the centre of its grid cell (`open311.grid_m`, at least
/// 500 m): no description, no address, no name.
#[utoipa::path(
    tag = "open311",
    security(()),
    params(FormatPath, RequestsQuery),
    responses(
        (status = 200, description = "The requests",
            content(
                (Vec<ServiceRequest> = "application/json", example = json!([{"service_request_id": "5b0d3c0e9f0a4c1f8d2e7a6b5c4d3e2f", "status": "open", "service_code": "graffiti-BE", "service_name": "Complaint for graffiti", "requested_datetime": "2026-12-05T10:00:00Z", "lat": 50.4645, "long": 4.8623, "status_notes": "Received: waiting for the police unit of the place to take it in charge."}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request><status>open</status></request></service_requests>"))
            )),
        (status = 400, description = "A date that is not a W3C date-time, a window reversed or over 90 days, an unknown status",
            content(
                (Vec<ErrorItem> = "application/json", example = json!([{"code": 400, "description": "start_date and end_date may not be more than 90 days apart."}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>400</code><description>end_date is before start_date.</description></error></errors>"))
            )),
    )
)]
#[get("/requests.{format}")]
pub async fn list_requests(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<FormatPath>,
    query: web::Query<RequestsQuery>,
) -> Answer {
    let (lang, format) = (request_language(&req), path.format);
    let filter = query.filter(crate::app::now(), lang, format)?;
    let requests = usecase::list(&state, filter)
        .await
        .map_err(|e| Open311Error::from_api(&e, lang, format))?;
    let (listing, langs) = public(&state, requests, lang);
    respond(
        format,
        StatusCode::OK,
        ("service_requests", &langs),
        &listing,
    )
}

/// Open311 GET service request
///
/// One request of the public listing (an array of one, as the specification says).
#[utoipa::path(
    tag = "open311",
    security(()),
    params(RequestPath, JurisdictionQuery),
    responses(
        (status = 200, description = "The request",
            content(
                (Vec<ServiceRequest> = "application/json", example = json!([{"service_request_id": "5b0d3c0e9f0a4c1f8d2e7a6b5c4d3e2f", "status": "closed", "service_code": "found_object-LU", "service_name": "Found object declaration", "requested_datetime": "2026-12-05T10:00:00Z", "lat": 49.6093, "long": 6.1302, "status_notes": "Handled: the request is closed."}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request><status>closed</status></request></service_requests>"))
            )),
        (status = 404, description = "No such request",
            content(
                (Vec<ErrorItem> = "application/json", example = json!([{"code": 404, "description": "There is no such service request."}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>404</code><description>There is no such service request.</description></error></errors>"))
            )),
    )
)]
#[get("/requests/{service_request_id}.{format}")]
pub async fn get_request(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<RequestPath>,
    _query: web::Query<JurisdictionQuery>,
) -> Answer {
    let (lang, format) = (request_language(&req), path.format);
    let filter = persistence::open311::Filter {
        ids: vec![path.service_request_id.clone()],
        limit: 1,
        ..Default::default()
    };
    let requests = usecase::list(&state, filter)
        .await
        .map_err(|e| Open311Error::from_api(&e, lang, format))?;
    if requests.is_empty() {
        return Err(Open311Error::text(
            StatusCode::NOT_FOUND,
            "not_found",
            lang,
            format,
        ));
    }
    let (listing, langs) = public(&state, requests, lang);
    respond(
        format,
        StatusCode::OK,
        ("service_requests", &langs),
        &listing,
    )
}

/// Open311 GET request id from a token
#[utoipa::path(
    tag = "open311",
    security(()),
    params(TokenPath, JurisdictionQuery),
    responses(
        (status = 200, description = "The request id the token stands for",
            content(
                (Vec<TokenAnswer> = "application/json", example = json!([{"service_request_id": "5b0d3c0e9f0a4c1f8d2e7a6b5c4d3e2f", "token": "0b7e2d9c-1a44-4c49-9a0f-3d2c1b0a9e8f"}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request><token>0b7e2d9c-1a44-4c49-9a0f-3d2c1b0a9e8f</token></request></service_requests>"))
            )),
        (status = 404, description = "No such token",
            content(
                (Vec<ErrorItem> = "application/json", example = json!([{"code": 404, "description": "There is no such service request."}])),
                (String = "text/xml", example = json!("<?xml version=\"1.0\" encoding=\"utf-8\"?><errors><error><code>404</code><description>There is no such service request.</description></error></errors>"))
            )),
    )
)]
#[get("/tokens/{token}.{format}")]
pub async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<TokenPath>,
    _query: web::Query<JurisdictionQuery>,
) -> Answer {
    let (lang, format) = (request_language(&req), path.format);
    let id = usecase::by_token(&state, path.token.clone())
        .await
        .map_err(|e| Open311Error::from_api(&e, lang, format))?
        .ok_or_else(|| Open311Error::text(StatusCode::NOT_FOUND, "not_found", lang, format))?;
    let answer = [TokenAnswer {
        service_request_id: id,
        token: path.token.clone(),
    }];
    respond(format, StatusCode::OK, ("service_requests", &[]), &answer)
}

#[cfg(test)]
mod tests {
    use crate::i18n::{texts, API_LANGUAGES};

    #[test]
    fn every_open311_text_exists_in_every_language() {
        let keys = [
            "invalid_api_key",
            "partner_disabled",
            "unknown_service",
            "position_required",
            "not_found",
            "bad_form",
            "bad_date",
            "window_reversed",
            "window_too_long",
            "bad_status",
            "unknown_option",
            "invalid_number",
            "invalid_datetime",
            "unknown_attribute",
            "repeated",
            "yes",
            "no",
            "facts_datetime",
            "service_notice",
            "contact",
            "status_note_submitted",
            "status_note_transferred",
            "status_note_taken_in_charge",
            "status_note_info_requested",
            "status_note_registered",
            "status_note_rejected",
            "status_note_redirected",
            "status_note_withdrawn",
            "status_note_closed",
        ];
        for lang in API_LANGUAGES {
            for key in keys {
                let key = format!("open311.{key}");
                assert!(texts().exact(lang, &key).is_some(), "{lang}: {key}");
            }
        }
    }
}
