//! Open311 GeoReport v2's wire formats (`docs/OPEN311.md`): the same document in JSON
//! and in XML (the format is the path's suffix, `.json` or `.xml`, as the specification
//! writes it), and its error format, an array of `{code, description}` with the HTTP
//! status as `code`. Every error under `/open311/` is rendered here, whoever made it (a
//! handler, an extractor, the router): `middleware::request_context` hands them over.
//!
//! XML is written with `quick-xml` from the JSON value, so that both formats carry the
//! same content by construction: an object's members are elements in their order; a
//! list is an element holding one element per item, named by [`item_name`].

use crate::error::ApiError;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use domain::i18n::Lang;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde::Deserialize;
use serde_json::Value;

/// The path prefix of every Open311 route.
pub const PREFIX: &str = "/open311/";
/// The media type of XML documents.
pub const XML: &str = "text/xml; charset=utf-8";

/// What the deployment offers through Open311 (`open311.*`).
#[derive(Debug, Clone)]
pub struct Open311 {
    /// The service codes offered, each checked against the catalogue at start-up.
    pub services: Vec<domain::open311::ServiceCode>,
    /// The public listing's location grid, in metres.
    pub grid_m: u32,
    /// The level of assurance of a partner's requests.
    pub assurance: domain::catalogue::Assurance,
}

impl Open311 {
    /// The configured services, each exposable; those of countries not served are left
    /// out.
    ///
    /// # Errors
    /// The first code that is not a service code or cannot be offered, and why.
    pub fn new(
        settings: &crate::config::Open311Settings,
        assurance: domain::catalogue::Assurance,
        catalogue: &domain::catalogue::Catalogue,
        countries: &[domain::catalogue::Country],
    ) -> Result<Self, String> {
        let mut services = Vec::new();
        for code in &settings.services {
            let parsed = domain::open311::ServiceCode::parse(code)
                .ok_or_else(|| format!("open311.services: {code} is not <procedure>-<country>"))?;
            domain::open311::exposable(catalogue, &parsed)
                .map_err(|e| format!("open311.services: {code}: {e}"))?;
            if countries.contains(&parsed.country) && !services.contains(&parsed) {
                services.push(parsed);
            }
        }
        Ok(Open311 {
            services,
            grid_m: settings.grid_m,
            assurance,
        })
    }

    /// The procedure of an offered service.
    pub fn service<'c>(
        &self,
        catalogue: &'c domain::catalogue::Catalogue,
        code: &str,
    ) -> Option<(
        domain::open311::ServiceCode,
        &'c domain::catalogue::Procedure,
    )> {
        let code =
            domain::open311::ServiceCode::parse(code).filter(|c| self.services.contains(c))?;
        let procedure = domain::open311::exposable(catalogue, &code).ok()?;
        Some((code, procedure))
    }
}

/// The format a path's suffix asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// The format of a request path: XML when it ends with `.xml`, else JSON (the
    /// format of errors whose path names none).
    pub fn of_path(path: &str) -> Self {
        if path.ends_with(".xml") {
            Format::Xml
        } else {
            Format::Json
        }
    }

    /// `value` as a response body, with `root` the XML document element.
    pub fn respond(self, status: StatusCode, root: &str, value: &Value) -> HttpResponse {
        let mut response = HttpResponse::build(status);
        match self {
            Format::Json => response
                .content_type("application/json")
                .body(value.to_string()),
            Format::Xml => response.content_type(XML).body(to_xml(root, value)),
        }
    }
}

/// The element name of a list's items: `services` → `service`, `service_requests` →
/// `request`, `attributes` → `attribute`, any other plural without its `s`.
pub fn item_name(list: &str) -> &str {
    match list {
        "service_requests" => "request",
        other => other.strip_suffix('s').unwrap_or(other),
    }
}

/// `value` as an XML document whose element is `root` (a list: one `item_name(root)`
/// element per item). `null` members are left out.
pub fn to_xml(root: &str, value: &Value) -> String {
    let mut writer = Writer::new(Vec::new());
    let _ = writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)));
    write_element(&mut writer, root, value);
    String::from_utf8(writer.into_inner()).unwrap_or_default()
}

fn write_element(writer: &mut Writer<Vec<u8>>, name: &str, value: &Value) {
    if value.is_null() {
        return;
    }
    let _ = writer.write_event(Event::Start(BytesStart::new(name)));
    match value {
        Value::Array(items) => {
            for item in items {
                write_element(writer, item_name(name), item);
            }
        }
        Value::Object(members) => {
            for (member, value) in members {
                write_element(writer, member, value);
            }
        }
        Value::String(text) => {
            let _ = writer.write_event(Event::Text(BytesText::new(text)));
        }
        other => {
            let _ = writer.write_event(Event::Text(BytesText::new(&other.to_string())));
        }
    }
    let _ = writer.write_event(Event::End(BytesEnd::new(name)));
}

/// An Open311 error response: the status, and one `{code, description}` per error.
#[derive(Debug, Clone)]
pub struct Open311Error {
    pub status: StatusCode,
    pub descriptions: Vec<String>,
    pub format: Format,
    /// The language of the descriptions (`Content-Language`).
    pub lang: Lang,
}

impl std::fmt::Display for Open311Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "open311 error {}", self.status)
    }
}

impl Open311Error {
    /// An error with one text of `api/messages` (`open311.<key>`), in `lang`.
    pub fn text(status: StatusCode, key: &str, lang: Lang, format: Format) -> Self {
        let texts = crate::i18n::texts();
        let description = texts
            .render(crate::i18n::served(lang), &format!("open311.{key}"), &[])
            .unwrap_or_else(|| key.to_owned());
        Open311Error {
            status,
            descriptions: vec![description],
            format,
            lang: crate::i18n::served(lang),
        }
    }

    /// One of our problems in Open311's format, in `lang` (422 is 400): each field error is an error
    /// naming the Open311 field (`attribute[surface]`, `lat`), an eligibility failure is
    /// its explanation; a problem without field errors is its detail.
    pub fn from_api(error: &ApiError, lang: Lang, format: Format) -> Self {
        let problem = error.to_problem(lang);
        // Open311 answers a request it cannot take with 400; it has no 422.
        let status = match error.status_code() {
            StatusCode::UNPROCESSABLE_ENTITY => StatusCode::BAD_REQUEST,
            other => other,
        };
        let descriptions = if problem.errors.is_empty() {
            vec![problem.detail.clone()]
        } else if matches!(error, ApiError::NotEligible { .. }) {
            problem.errors.iter().map(|e| e.message.clone()).collect()
        } else {
            problem
                .errors
                .iter()
                .map(|e| format!("{}: {}", field_of(&e.pointer), e.message))
                .collect()
        };
        Open311Error {
            status,
            descriptions,
            format,
            lang: crate::i18n::served(lang),
        }
    }

    /// The error document as JSON.
    pub fn document(&self) -> Value {
        Value::Array(
            self.descriptions
                .iter()
                .map(|d| serde_json::json!({"code": self.status.as_u16(), "description": d}))
                .collect(),
        )
    }
}

impl ResponseError for Open311Error {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        let mut response = self.format.respond(self.status, "errors", &self.document());
        if let Ok(value) = HeaderValue::from_str(self.lang.as_str()) {
            response
                .headers_mut()
                .insert(header::CONTENT_LANGUAGE, value);
        }
        response
    }
}

/// The Open311 field a JSON pointer of a filing stands for: a question's answer or a
/// facts field is `attribute[<code>]`, the place is `lat`/`long`, the contact `email` and
/// `phone`; anything else as it is.
pub fn field_of(pointer: &str) -> String {
    let mut parts = pointer.trim_start_matches('/').split('/');
    match (parts.next(), parts.next()) {
        (Some("answers" | "facts"), Some(code)) => format!("attribute[{code}]"),
        (Some("facts_date"), _) => format!("attribute[{}]", domain::open311::FACTS_DATETIME),
        (Some("place"), Some("lon")) => "long".into(),
        (Some("place"), Some("lat")) | (Some("place"), None) => "lat".into(),
        (Some("place"), Some(_)) => "address_string".into(),
        (Some("contact"), Some(member)) => member.to_owned(),
        (Some(first), None) => first.to_owned(),
        _ => pointer.to_owned(),
    }
}

/// Makes an error response under `/open311/` an Open311 error document, whoever made it;
/// one rendered by an Open311 handler is kept. The response's headers (`Retry-After`,
/// `Allow`, `WWW-Authenticate`) stay.
pub fn complete_error(response: ServiceResponse<BoxBody>, lang: Lang) -> ServiceResponse<BoxBody> {
    let format = Format::of_path(response.request().path());
    let rendered = {
        let error = response.response().error();
        if error.and_then(|e| e.as_error::<Open311Error>()).is_some() {
            None
        } else {
            let status = response.status();
            Some(match error.and_then(|e| e.as_error::<ApiError>()) {
                Some(api) => Open311Error::from_api(api, lang, format),
                None => Open311Error::from_api(&ApiError::Status(status), lang, format),
            })
        }
    };
    let Some(error) = rendered else {
        return response;
    };
    let (request, response) = response.into_parts();
    let fresh = error.error_response();
    let (mut head, _) = response.into_parts();
    let (fresh_head, body) = fresh.into_parts();
    if let Some(content_type) = fresh_head.headers().get(header::CONTENT_TYPE) {
        head.headers_mut()
            .insert(header::CONTENT_TYPE, content_type.clone());
    }
    head.headers_mut().remove(header::CONTENT_LENGTH);
    if let Ok(value) = HeaderValue::from_str(lang.as_str()) {
        head.headers_mut().insert(header::CONTENT_LANGUAGE, value);
    }
    ServiceResponse::new(request, head.set_body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_carries_the_json_content() {
        let value = serde_json::json!([{
            "service_code": "graffiti-BE",
            "metadata": true,
            "keywords": null,
            "attributes": [{"code": "surface", "values": [{"key": "wall", "name": "Wall & <b>"}]}]
        }]);
        assert_eq!(
            to_xml("services", &value),
            // serde_json's objects keep their members in key order.
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service>\
             <attributes><attribute><code>surface</code><values><value><key>wall</key>\
             <name>Wall &amp; &lt;b&gt;</name></value></values></attribute></attributes>\
             <metadata>true</metadata><service_code>graffiti-BE</service_code>\
             </service></services>"
        );
        assert_eq!(item_name("service_requests"), "request");
        assert_eq!(item_name("errors"), "error");
    }

    #[test]
    fn pointers_name_open311_fields() {
        assert_eq!(field_of("/facts/surface"), "attribute[surface]");
        assert_eq!(field_of("/answers/known_author"), "attribute[known_author]");
        assert_eq!(field_of("/place"), "lat");
        assert_eq!(field_of("/place/lon"), "long");
        assert_eq!(field_of("/contact/email"), "email");
        assert_eq!(field_of("/facts_date"), "attribute[facts_datetime]");
    }
}
