//! Open311 GeoReport v2's documents (the JSON shapes; XML is the same content, see
//! `crate::open311`), the listing's query and the posted form.

use crate::app::open311::PostInput;
use crate::open311::{Format, Open311Error};
use actix_web::http::StatusCode;
use chrono::{DateTime, SecondsFormat, Utc};
use domain::i18n::Lang;
use domain::open311::{self as rules, WindowError};
use persistence::open311::{Filter, PublicRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The path's format suffix.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FormatPath {
    /// `json` or `xml`.
    #[param(inline)]
    pub format: Format,
}

/// A service code and the format suffix.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ServicePath {
    /// `<procedure>-<country>`, as `GET services` lists them.
    pub service_code: String,
    /// `json` or `xml`.
    #[param(inline)]
    pub format: Format,
}

/// A request id and the format suffix.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RequestPath {
    /// The id `POST requests` answered.
    pub service_request_id: String,
    /// `json` or `xml`.
    #[param(inline)]
    pub format: Format,
}

/// A token and the format suffix.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct TokenPath {
    /// The token `POST requests` answered.
    pub token: String,
    /// `json` or `xml`.
    #[param(inline)]
    pub format: Format,
}

/// `GET services` and `GET services/{service_code}` take Open311's `jurisdiction_id`,
/// which this single jurisdiction ignores.
#[derive(Debug, Deserialize, IntoParams)]
pub struct JurisdictionQuery {
    /// Ignored: one jurisdiction (at most 200 characters).
    #[param(max_length = 200)]
    pub jurisdiction_id: Option<String>,
}

/// One service (a procedure of a country).
#[derive(Debug, Serialize, ToSchema)]
pub struct Service {
    /// `<procedure>-<country>`.
    pub service_code: String,
    /// The procedure's name, in the request's language.
    pub service_name: String,
    pub description: String,
    /// Always `true`: every service has attributes (`GET services/{service_code}`).
    pub metadata: bool,
    /// Always `realtime`: the request is a filing at once.
    #[serde(rename = "type")]
    pub service_type: String,
    /// The procedure's code and kind, comma-separated.
    pub keywords: String,
    /// The country code.
    pub group: String,
}

/// One value of a list attribute.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeValue {
    pub key: String,
    pub name: String,
}

/// One attribute of a service.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attribute {
    /// Always `true`: the reporter gives a value.
    pub variable: bool,
    /// The eligibility question's or the form field's code: sent as `attribute[code]`.
    pub code: String,
    /// `string`, `number`, `datetime`, `text`, `singlevaluelist` or `multivaluelist`.
    pub datatype: String,
    pub required: bool,
    pub datatype_description: String,
    /// 1 first.
    pub order: u32,
    /// The question or the field's label, in the request's language.
    pub description: String,
    /// A list's values (absent for other datatypes).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<AttributeValue>,
}

/// A service's definition: its attributes.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceDefinition {
    pub service_code: String,
    pub attributes: Vec<Attribute>,
}

/// A request as the public listing shows it: nothing personal (no description, no
/// address, no name), the place as the centre of its grid cell. `media_url` is never
/// given: no media of a request is public (Open311 takes none, and a filing's
/// attachments are personal evidence).
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceRequest {
    pub service_request_id: String,
    /// `open` until the police unit decided, then `closed`.
    pub status: String,
    /// A public explanation of the filing's status, one generic sentence per status
    /// (the same for every request in it), in the request's language like
    /// `service_name`: never an officer's words, a reason or a name.
    #[schema(example = "A police officer is handling it.")]
    pub status_notes: String,
    pub service_code: String,
    pub service_name: String,
    /// When the request was made (RFC 3339, UTC).
    pub requested_datetime: String,
    /// The latitude of the centre of the request's grid cell (at least 500 m), WGS84.
    pub lat: f64,
    /// The longitude of that centre, WGS84.
    pub long: f64,
}

/// The answer to `POST requests`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    pub service_request_id: String,
    /// Also valid for `GET tokens/{token}`.
    pub token: String,
    pub service_notice: String,
}

/// The answer to `GET tokens/{token}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenAnswer {
    pub service_request_id: String,
    pub token: String,
}

/// One endpoint of the discovery document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Endpoint {
    pub specification: String,
    pub url: String,
    pub changeset: String,
    #[serde(rename = "type")]
    pub endpoint_type: String,
    pub formats: Vec<String>,
}

/// The discovery document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Discovery {
    pub changeset: String,
    pub contact: String,
    pub key_service: String,
    pub endpoints: Vec<Endpoint>,
}

/// One error of Open311's error format.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorItem {
    /// The HTTP status.
    pub code: u16,
    pub description: String,
}

/// `GET requests`' filters.
#[derive(Debug, Deserialize, IntoParams)]
pub struct RequestsQuery {
    /// Comma-separated request ids (at most 1000 characters); the other filters then do
    /// not apply.
    #[param(max_length = 1000)]
    pub service_request_id: Option<String>,
    /// Comma-separated service codes (at most 1000 characters).
    #[param(max_length = 1000)]
    pub service_code: Option<String>,
    /// W3C date-time: requested at or after (default: 90 days before `end_date`).
    #[param(max_length = 40)]
    pub start_date: Option<String>,
    /// W3C date-time: requested at or before (default: 90 days after `start_date`, or now).
    #[param(max_length = 40)]
    pub end_date: Option<String>,
    /// `open`, `closed`, or both comma-separated.
    #[param(max_length = 20)]
    pub status: Option<String>,
    /// Ignored: one jurisdiction (at most 200 characters).
    #[param(max_length = 200)]
    pub jurisdiction_id: Option<String>,
}

fn list_of(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl RequestsQuery {
    /// The listing's filter at `now`: the window (90 days by default, never more), at
    /// most 1000 results.
    pub fn filter(
        &self,
        now: DateTime<Utc>,
        lang: Lang,
        format: Format,
    ) -> Result<Filter, Open311Error> {
        let refuse = |key: &str| Open311Error::text(StatusCode::BAD_REQUEST, key, lang, format);
        let date = |raw: Option<&String>| match raw {
            None => Ok(None),
            Some(raw) => rules::parse_datetime(raw)
                .map(Some)
                .ok_or_else(|| refuse("bad_date")),
        };
        let window = rules::window(
            date(self.start_date.as_ref())?,
            date(self.end_date.as_ref())?,
            now,
        )
        .map_err(|e| match e {
            WindowError::Reversed => refuse("window_reversed"),
            WindowError::TooLong => refuse("window_too_long"),
        })?;
        let mut statuses = Vec::new();
        for word in list_of(self.status.as_deref()) {
            statuses.extend(rules::statuses_for(&word).ok_or_else(|| refuse("bad_status"))?);
        }
        Ok(Filter {
            ids: list_of(self.service_request_id.as_deref()),
            service_codes: list_of(self.service_code.as_deref()),
            statuses,
            window: Some(window),
            limit: rules::MAX_RESULTS,
        })
    }
}

/// A stored request as the listing shows it; `name` gives a service code's name, `note`
/// the text of a message key.
pub fn public_view(
    request: PublicRequest,
    name: impl Fn(&str) -> String,
    note: impl Fn(&str) -> String,
) -> ServiceRequest {
    ServiceRequest {
        status: rules::status_of(request.status)
            .unwrap_or("open")
            .to_owned(),
        status_notes: rules::status_note(request.status)
            .map(|key| note(&key))
            .unwrap_or_default(),
        service_name: name(&request.service_code),
        service_code: request.service_code,
        service_request_id: request.service_request_id,
        requested_datetime: request
            .requested_at
            .to_rfc3339_opts(SecondsFormat::Secs, true),
        lat: request.coarse.0,
        long: request.coarse.1,
    }
}

/// The longest value of a posted form field, in characters: the same limits as the JSON
/// API's fields where one exists (`domain::limits`), 200 for a name, 4,000 otherwise.
fn field_max_chars(name: &str) -> usize {
    use domain::limits;
    match name {
        "address_string" => limits::PLACE_DESCRIPTION_MAX_CHARS,
        "email" => limits::EMAIL_MAX_BYTES,
        "phone" => limits::PHONE_MAX_CHARS,
        "first_name" | "last_name" | "device_id" | "account_id" | "api_key" | "service_code" => 200,
        _ => 4000,
    }
}

/// The posted form (`application/x-www-form-urlencoded`): Open311's fields, and
/// `attribute[code]` (or `attribute[code][]`) for each attribute. Fields Open311 defines
/// and this service does not use (`address_id`, `media_url`, `jurisdiction_id`) are
/// ignored, and so is any other.
///
/// Every name and value follows the intake rule of the JSON API (`crate::intake`:
/// percent-decoded to UTF-8 strictly, no control character but tab and LF, line breaks
/// to LF, NFC) and its field's length ([`field_max_chars`]); the first that does not is
/// the error, named by the form's field name (never its value).
pub fn post_input(body: &[u8]) -> Result<PostInput, String> {
    let mut input = PostInput::default();
    let body = std::str::from_utf8(body).map_err(|_| "the form".to_owned())?;
    for pair in body.split('&').filter(|p| !p.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |raw: &str| crate::intake::percent_decode(&raw.replace('+', " "));
        let name = decode(raw_name)
            .and_then(|n| crate::intake::normalise_key(&n).map(|k| k.into_owned()))
            .ok_or_else(|| "a field name".to_owned())?;
        let value = decode(raw_value)
            .and_then(|v| crate::intake::normalise_text(&v).map(|t| t.into_owned()))
            .filter(|v| v.chars().count() <= field_max_chars(&name))
            .ok_or_else(|| name.clone())?;
        let text = || Some(value.clone()).filter(|v| !v.trim().is_empty());
        if let Some(code) = name
            .strip_prefix("attribute[")
            .and_then(|rest| rest.strip_suffix("[]").or(Some(rest)))
            .and_then(|rest| rest.strip_suffix(']'))
        {
            input.attributes.push((code.to_owned(), value));
            continue;
        }
        match name.as_str() {
            "api_key" => input.api_key = value,
            "service_code" => input.service_code = value,
            "lat" => input.lat = value.trim().parse().ok().filter(|v: &f64| v.is_finite()),
            "long" => input.lon = value.trim().parse().ok().filter(|v: &f64| v.is_finite()),
            "address_string" => input.address_string = text(),
            "email" => input.email = text(),
            "phone" => input.phone = text(),
            "first_name" => input.first_name = text(),
            "last_name" => input.last_name = text(),
            "device_id" => input.device_id = text(),
            "account_id" => input.account_id = text(),
            "description" => input.description = text(),
            _ => {}
        }
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_open311_fields_and_attributes() {
        let input = post_input(
            b"api_key=k&service_code=graffiti-BE&lat=50.46&long=4.86&email=a%40b.example\
              &attribute%5Bsurface%5D=wall&attribute[known_author]=false&attribute[x][]=1&media_url=x",
        )
        .unwrap();
        assert_eq!(input.api_key, "k");
        assert_eq!(input.service_code, "graffiti-BE");
        assert_eq!((input.lat, input.lon), (Some(50.46), Some(4.86)));
        assert_eq!(input.email.as_deref(), Some("a@b.example"));
        assert_eq!(
            input.attributes,
            [
                ("surface".to_owned(), "wall".to_owned()),
                ("known_author".to_owned(), "false".to_owned()),
                ("x".to_owned(), "1".to_owned())
            ]
        );
    }

    #[test]
    fn the_form_follows_the_intake_rule() {
        let bad = |body: &[u8]| post_input(body).err();
        assert_eq!(
            bad(b"api_key=k&address_string=Rue%00%201").as_deref(),
            Some("address_string")
        );
        assert_eq!(
            bad(b"api_key=k&email=a%C2%85@example.org").as_deref(),
            Some("email")
        );
        assert_eq!(
            bad(b"api_key=k&first_name=%FF").as_deref(),
            Some("first_name")
        );
        assert_eq!(
            bad(b"attribute%5Bx%01%5D=1").as_deref(),
            Some("a field name")
        );
        let long = format!("first_name={}", "a".repeat(201));
        assert_eq!(bad(long.as_bytes()).as_deref(), Some("first_name"));
        let fine =
            post_input(b"api_key=k&description=Line%0D%0Atwo+words&first_name=Ana%CC%81").unwrap();
        assert_eq!(fine.description.as_deref(), Some("Line\ntwo words"));
        assert_eq!(fine.first_name.as_deref(), Some("An\u{e1}"));
    }
}
