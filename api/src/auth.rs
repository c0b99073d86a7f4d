//! Bearer tokens from trusted identity providers (LuxTrust, Belgian eID/itsme,
//! FranceConnect, the police IdP; the development IdP locally).
//!
//! Validation: the key is found by `kid` among the trusted issuers' keys; the algorithm
//! must be the key's and one of RS256, ES256, EdDSA; `typ` must say JWT; a `crit` header
//! is refused (no extension is supported, RFC 7515 §4.1.11); `exp`, `iat`, `iss`, `aud`
//! and `sub` are required, `nbf` is honoured, an `iat` in the future is refused; clock
//! leeway at most 60 s. Tokens are accepted only in one `Authorization` header (two are
//! refused as ambiguous), never in the query string.
//! An issuer's keys are an inline JWKS, a file, or an https JWKS URL (cached, fetched
//! again periodically and when a token names an unknown `kid`).

use crate::error::ApiError;
use actix_web::HttpRequest;
use domain::catalogue::Assurance;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// The algorithms any trusted issuer may use.
const PINNED: [Algorithm; 3] = [Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];

/// Largest clock leeway accepted, in seconds.
pub const MAX_LEEWAY_SECS: u64 = 60;

/// What kind of accounts an issuer vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuerKind {
    /// A national identity provider: citizens and business declarants.
    Citizen,
    /// The police identity provider: officers, supervisors, administrators.
    Police,
    /// The development IdP: all of them.
    Development,
}

type Keys = HashMap<String, (DecodingKey, Algorithm)>;

pub struct TrustedIssuer {
    pub issuer: String,
    pub audience: String,
    pub kind: IssuerKind,
    /// `acr` value → level of assurance.
    pub acr: HashMap<String, Assurance>,
    /// Level when the token has no `acr` (or an unknown one).
    pub default_assurance: Assurance,
    keys: RwLock<Keys>,
    /// Where the keys come from when they are fetched (an https JWKS URL).
    remote: Option<RemoteKeys>,
}

/// A JWKS published at a URL: fetched at start-up, every `refresh`, and when a token
/// names a key the cache does not have (at most once per `ON_DEMAND_COOLDOWN`, so that
/// tokens with made-up `kid`s cannot make the service hammer the identity provider).
pub struct RemoteKeys {
    pub url: url::Url,
    pub refresh: Duration,
    /// One fetch at a time; the time of the last fetch caused by an unknown `kid`.
    last_on_demand: tokio::sync::Mutex<Option<Instant>>,
}

/// Least time between two fetches caused by unknown `kid`s, per issuer.
pub const ON_DEMAND_COOLDOWN: Duration = Duration::from_secs(60);

/// Largest JWKS document accepted.
const MAX_JWKS_BYTES: usize = 1 << 20;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

fn algorithm_of(jwk: &Jwk) -> Option<Algorithm> {
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            Some(Algorithm::ES256)
        }
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            Some(Algorithm::EdDSA)
        }
        _ => None,
    }
}

/// Reads a JWKS document: every key must have a `kid` and be RS256, ES256 or EdDSA.
fn parse_jwks(issuer: &str, jwks: &str) -> Result<Keys, KeyError> {
    let set: JwkSet =
        serde_json::from_str(jwks).map_err(|e| KeyError(format!("{issuer}: bad JWKS: {e}")))?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let kid = jwk
            .common
            .key_id
            .clone()
            .ok_or_else(|| KeyError(format!("{issuer}: a key has no kid")))?;
        let algorithm = algorithm_of(jwk)
            .ok_or_else(|| KeyError(format!("{issuer}: key {kid} is not RS256, ES256 or EdDSA")))?;
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|e| KeyError(format!("{issuer}: key {kid}: {e}")))?;
        keys.insert(kid, (key, algorithm));
    }
    if keys.is_empty() {
        return Err(KeyError(format!("{issuer}: no keys")));
    }
    Ok(keys)
}

impl TrustedIssuer {
    /// An issuer whose keys are a JWKS document (keys without `kid` or of an algorithm
    /// outside RS256/ES256/EdDSA are refused).
    pub fn new(
        issuer: String,
        audience: String,
        kind: IssuerKind,
        jwks: &str,
        acr: HashMap<String, Assurance>,
        default_assurance: Assurance,
    ) -> Result<Self, KeyError> {
        let keys = parse_jwks(&issuer, jwks)?;
        Ok(Self {
            issuer,
            audience,
            kind,
            acr,
            default_assurance,
            keys: RwLock::new(keys),
            remote: None,
        })
    }

    /// An issuer whose keys are fetched from `url` (https; plain http only on the
    /// loopback interface, for tests and local set-ups). No keys until the first fetch.
    pub fn remote(
        issuer: String,
        audience: String,
        kind: IssuerKind,
        url: &str,
        refresh: Duration,
        acr: HashMap<String, Assurance>,
        default_assurance: Assurance,
    ) -> Result<Self, KeyError> {
        let url = url::Url::parse(url).map_err(|e| KeyError(format!("{issuer}: jwks_url: {e}")))?;
        let loopback = matches!(
            url.host(),
            Some(url::Host::Ipv4(ip)) if ip.is_loopback()
        ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
            || url.host_str() == Some("localhost");
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(KeyError(format!(
                "{issuer}: jwks_url must be https (http only on the loopback interface)"
            )));
        }
        Ok(Self {
            issuer,
            audience,
            kind,
            acr,
            default_assurance,
            keys: RwLock::new(HashMap::new()),
            remote: Some(RemoteKeys {
                url,
                refresh: refresh.max(Duration::from_secs(60)),
                last_on_demand: tokio::sync::Mutex::new(None),
            }),
        })
    }

    pub fn remote_keys(&self) -> Option<&RemoteKeys> {
        self.remote.as_ref()
    }

    fn key(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
        self.keys
            .read()
            .ok()
            .and_then(|keys| keys.get(kid).cloned())
    }

    /// Fetches the JWKS again and replaces the cached keys (a key the provider no longer
    /// publishes is no longer accepted). On failure the cached keys stay. Returns how
    /// many keys are cached.
    pub async fn refresh(&self, http: &reqwest::Client) -> Result<usize, KeyError> {
        let Some(remote) = &self.remote else {
            return Ok(self.keys.read().map(|k| k.len()).unwrap_or(0));
        };
        let failed = |e: &dyn std::fmt::Display| {
            KeyError(format!("{}: fetching {}: {e}", self.issuer, remote.url))
        };
        let response = http
            .get(remote.url.clone())
            .header("accept", "application/json, application/jwk-set+json")
            .send()
            .await
            .map_err(|e| failed(&e))?;
        if !response.status().is_success() {
            return Err(failed(&response.status()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_JWKS_BYTES as u64)
        {
            return Err(failed(&"the document is too large"));
        }
        let body = response.bytes().await.map_err(|e| failed(&e))?;
        if body.len() > MAX_JWKS_BYTES {
            return Err(failed(&"the document is too large"));
        }
        let text = std::str::from_utf8(&body).map_err(|e| failed(&e))?;
        let keys = parse_jwks(&self.issuer, text)?;
        let count = keys.len();
        if let Ok(mut cached) = self.keys.write() {
            *cached = keys;
        }
        tracing::info!(issuer = %self.issuer, keys = count, "JWKS fetched");
        Ok(count)
    }
}

/// The claims read from a token.
#[derive(Debug, Deserialize)]
struct Claims {
    sub: String,
    /// Issued at, in seconds since the epoch; required.
    iat: i64,
    acr: Option<String>,
    name: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    email: Option<String>,
    locale: Option<String>,
    birthdate: Option<String>,
    /// OpenID Connect's address object (or, from some providers, a plain string).
    address: Option<serde_json::Value>,
    national_number: Option<String>,
    business_id: Option<String>,
    business_name: Option<String>,
    role: Option<String>,
    #[serde(default)]
    units: Vec<String>,
    azp: Option<String>,
    client_id: Option<String>,
}

/// A verified caller.
#[derive(Debug, Clone)]
pub struct Identity {
    /// Pseudonymous and stable: a hash of the issuer with the subject. Logged and stored
    /// instead of any name.
    pub user_id: String,
    pub issuer_kind: IssuerKind,
    pub assurance: Assurance,
    pub name: Option<String>,
    pub email: Option<String>,
    pub locale: Option<String>,
    /// The identity claims (name, birth date, address, national number when its check
    /// digits are valid, business): captured, sealed, on a citizen's filings for the
    /// officers of the competent unit. Its `Debug` form shows no value.
    pub personal: domain::filing::ComplainantIdentity,
    /// For a business declarant (a shop, a fuel station operator).
    pub business: Option<(String, Option<String>)>,
    /// For police accounts: `officer`, `supervisor` or `admin`, and unit memberships.
    pub role: Option<String>,
    pub units: Vec<String>,
    pub client_id: Option<String>,
    /// A client-credentials token: its `sub` is its own client id (no person behind it).
    pub machine: bool,
    /// The registered partner whose client sent the token (filled by the `Citizen`
    /// extractor from the registry; `None`: the police app).
    pub partner: Option<String>,
}

/// All trusted issuers.
#[derive(Default)]
pub struct Verifier {
    pub issuers: Vec<TrustedIssuer>,
    pub leeway_secs: u64,
    /// For issuers whose keys are at a URL.
    pub http: reqwest::Client,
}

impl Verifier {
    /// Like `verify`, but a token naming a key no issuer has makes the issuers with a
    /// JWKS URL fetch their keys first (key rotation), within the cool-down.
    pub async fn verify_fetching(&self, token: &str) -> Result<Identity, ApiError> {
        let kid = jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid);
        if let Some(kid) = kid {
            if !self.issuers.iter().any(|i| i.key(&kid).is_some()) {
                for issuer in &self.issuers {
                    let Some(remote) = &issuer.remote else {
                        continue;
                    };
                    let mut last = remote.last_on_demand.lock().await;
                    if issuer.key(&kid).is_some()
                        || last.is_some_and(|t| t.elapsed() < ON_DEMAND_COOLDOWN)
                    {
                        continue;
                    }
                    *last = Some(Instant::now());
                    if let Err(e) = issuer.refresh(&self.http).await {
                        tracing::warn!(error = %e, "JWKS refresh for an unknown kid failed");
                    }
                }
            }
        }
        self.verify(token)
    }

    pub fn verify(&self, token: &str) -> Result<Identity, ApiError> {
        let bad = |reason: &str| ApiError::InvalidToken(reason.to_owned());
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| bad("the token is not a JWT"))?;
        let typ = header
            .typ
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if !matches!(typ.as_str(), "jwt" | "at+jwt" | "application/at+jwt") {
            return Err(bad("the typ header is not JWT"));
        }
        // RFC 7515 §4.1.11: extensions named in `crit` must be understood, and this
        // service understands none; an empty list is invalid too.
        if header.crit.is_some() {
            return Err(bad(
                "the token uses a critical extension this service does not support",
            ));
        }
        let kid = header
            .kid
            .as_deref()
            .ok_or_else(|| bad("the token names no key"))?;
        let (issuer, (key, algorithm)) = self
            .issuers
            .iter()
            .find_map(|i| i.key(kid).map(|k| (i, k)))
            .ok_or_else(|| bad("unknown key"))?;
        if header.alg != algorithm || !PINNED.contains(&header.alg) {
            return Err(bad("algorithm not allowed"));
        }
        let mut validation = Validation::new(algorithm);
        validation.algorithms = vec![algorithm];
        validation.leeway = self.leeway_secs.min(MAX_LEEWAY_SECS);
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_audience(&[&issuer.audience]);
        validation.set_issuer(&[&issuer.issuer]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            match e.kind() {
                K::ExpiredSignature => bad("the token has expired"),
                K::ImmatureSignature => bad("the token is not valid yet"),
                K::InvalidAudience => bad("the token is not for this service"),
                K::InvalidIssuer => bad("the token's issuer is not trusted"),
                K::InvalidSignature => bad("the signature is invalid"),
                K::MissingRequiredClaim(_) | K::Json(_) => bad("a required claim is missing"),
                _ => bad("the token is invalid"),
            }
        })?;
        let claims = data.claims;
        if claims.sub.trim().is_empty() {
            return Err(bad("a required claim is missing"));
        }
        // The intake rule applies to what a token says too (its claims may be stored,
        // and PostgreSQL refuses U+0000): no control characters in any text claim.
        let address_texts = address_strings(claims.address.as_ref());
        let texts = [Some(&claims.sub), claims.acr.as_ref(), claims.name.as_ref()]
            .into_iter()
            .chain([
                claims.given_name.as_ref(),
                claims.family_name.as_ref(),
                claims.email.as_ref(),
                claims.locale.as_ref(),
                claims.birthdate.as_ref(),
                claims.national_number.as_ref(),
                claims.business_id.as_ref(),
                claims.business_name.as_ref(),
                claims.role.as_ref(),
                claims.azp.as_ref(),
                claims.client_id.as_ref(),
            ])
            .flatten()
            .chain(claims.units.iter())
            .chain(address_texts.iter());
        if texts
            .into_iter()
            .any(|t| t.chars().any(crate::intake::is_control_or_separator))
        {
            return Err(bad("a claim contains a control character"));
        }
        // A token issued in the future (beyond the clock leeway) is refused: its `exp`
        // cannot be trusted to bound its life.
        let now = chrono::Utc::now().timestamp();
        let leeway = i64::try_from(validation.leeway).unwrap_or(0);
        if claims.iat > now.saturating_add(leeway) {
            return Err(bad("the token was issued in the future"));
        }
        let assurance = claims
            .acr
            .as_deref()
            .and_then(|acr| issuer.acr.get(acr).copied())
            .unwrap_or(issuer.default_assurance);
        let digest = Sha256::digest(format!("{}\u{0}{}", issuer.issuer, claims.sub).as_bytes());
        let personal = personal_claims(&claims);
        // A client-credentials token: its `sub` is its own client, and it names no person,
        // no police role or unit and no business (reported from outside: a token with
        // `role: officer` whose `sub` was the office's client was taken for the office).
        let machine = claims.azp.as_ref().or(claims.client_id.as_ref()) == Some(&claims.sub)
            && claims.role.is_none()
            && claims.units.is_empty()
            && claims.business_id.is_none();
        Ok(Identity {
            user_id: format!("u-{}", hex::encode(&digest[..12])),
            issuer_kind: issuer.kind,
            assurance,
            name: claims.name,
            email: claims.email,
            locale: claims.locale,
            personal,
            business: claims.business_id.map(|id| (id, claims.business_name)),
            role: claims.role,
            units: claims.units,
            machine,
            client_id: claims.azp.or(claims.client_id),
            partner: None,
        })
    }
}

/// Every string inside an `address` claim (for the intake rule).
fn address_strings(address: Option<&serde_json::Value>) -> Vec<String> {
    match address {
        Some(serde_json::Value::String(text)) => vec![text.clone()],
        Some(serde_json::Value::Object(members)) => members
            .values()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// The identity claims of a token as the filing keeps them: texts trimmed and bounded, an
/// address from OpenID Connect's object (unknown members ignored) or a plain string (as
/// `formatted`), a national number only when its check digits are valid (a number that
/// fails them is not the person's, whatever the token says).
fn personal_claims(claims: &Claims) -> domain::filing::ComplainantIdentity {
    use domain::filing::{ComplainantIdentity as C, NationalNumber, PostalAddress};
    let member = |name: &str| {
        claims
            .address
            .as_ref()
            .and_then(|a| a.get(name))
            .and_then(serde_json::Value::as_str)
            .and_then(|t| C::claim(Some(t)))
    };
    let address = match &claims.address {
        Some(serde_json::Value::String(text)) => PostalAddress {
            formatted: C::claim(Some(text)),
            ..PostalAddress::default()
        },
        _ => PostalAddress {
            formatted: member("formatted"),
            street_address: member("street_address"),
            postal_code: member("postal_code"),
            locality: member("locality"),
            region: member("region"),
            country: member("country"),
        },
    };
    C {
        name: C::claim(claims.name.as_deref()),
        given_name: C::claim(claims.given_name.as_deref()),
        family_name: C::claim(claims.family_name.as_deref()),
        birthdate: C::claim(claims.birthdate.as_deref()),
        address: (!address.is_empty()).then_some(address),
        national_number: claims
            .national_number
            .as_deref()
            .and_then(|n| NationalNumber::parse(n).ok()),
        business_id: C::claim(claims.business_id.as_deref()),
        business_name: C::claim(claims.business_name.as_deref()),
    }
}

/// The WebSocket subprotocol of the service's sockets (asyncapi.yaml). A browser cannot
/// set headers on a WebSocket, so it names this protocol and, beside it, its token as a
/// second "protocol" (`new WebSocket(url, ["ecom-chat", "ecom-bearer." + token])`); the
/// service selects `ecom-chat` in its answer. Never in the URL, which proxies log.
pub const WS_PROTOCOL: &str = "ecom-chat";
/// The prefix of a bearer token offered as a WebSocket subprotocol.
pub const WS_BEARER: &str = "ecom-bearer.";

/// The token offered as the WebSocket subprotocol `<prefix><token>` of an upgrade request
/// that also offers [`WS_PROTOCOL`]; `None` otherwise (not an upgrade, no such entry,
/// an empty token).
pub fn subprotocol_token(req: &HttpRequest, prefix: &str) -> Option<String> {
    use actix_web::http::header::{SEC_WEBSOCKET_PROTOCOL, UPGRADE};
    let upgrade = req
        .headers()
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return None;
    }
    let offered: Vec<&str> = req
        .headers()
        .get_all(SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    if !offered.contains(&WS_PROTOCOL) {
        return None;
    }
    offered
        .iter()
        .find_map(|p| p.strip_prefix(prefix))
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The bearer token of a request: from the one `Authorization` header (or, for a
/// WebSocket upgrade without one, the subprotocol `ecom-bearer.<token>`: see
/// [`WS_PROTOCOL`]), never from the query string.
pub fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let query = req.query_string();
    if query
        .split('&')
        .any(|p| p.starts_with("access_token=") || p.starts_with("token="))
    {
        return Err(ApiError::InvalidToken(
            "tokens are accepted in the Authorization header only".into(),
        ));
    }
    let mut fields = req
        .headers()
        .get_all(actix_web::http::header::AUTHORIZATION);
    let Some(header) = fields.next() else {
        return subprotocol_token(req, WS_BEARER).ok_or(ApiError::MissingToken);
    };
    if fields.next().is_some() {
        // Which one would count is ambiguous (proxies and frameworks differ).
        return Err(ApiError::InvalidToken(
            "several Authorization headers".into(),
        ));
    }
    let header = header
        .to_str()
        .map_err(|_| ApiError::InvalidToken("malformed Authorization header".into()))?;
    let (scheme, token) = header
        .split_once(' ')
        .ok_or_else(|| ApiError::InvalidToken("expected Bearer".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::InvalidToken("expected Bearer".into()));
    }
    Ok(token.trim().to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn remote(url: &str) -> Result<TrustedIssuer, KeyError> {
        TrustedIssuer::remote(
            "https://idp.example".into(),
            "aud".into(),
            IssuerKind::Citizen,
            url,
            Duration::from_secs(10),
            HashMap::new(),
            Assurance::Low,
        )
    }

    #[test]
    fn jwks_urls_must_be_https_except_on_loopback() {
        assert!(remote("https://idp.example/jwks").is_ok());
        assert!(remote("http://127.0.0.1:8080/jwks").is_ok());
        assert!(remote("http://[::1]:8080/jwks").is_ok());
        assert!(remote("http://localhost/jwks").is_ok());
        assert!(remote("http://idp.example/jwks").is_err());
        assert!(remote("ftp://idp.example/jwks").is_err());
        assert!(remote("not a url").is_err());
        // The refresh period has a floor, so a typo cannot hammer the provider.
        assert_eq!(
            remote("https://idp.example/jwks")
                .unwrap()
                .remote_keys()
                .unwrap()
                .refresh,
            Duration::from_secs(60)
        );
    }
}
