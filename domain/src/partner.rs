//! Partners: the other front doors of the service (a national e-government portal, a
//! police zone's website, a municipal office's counter), each known by the OAuth client
//! ids it uses at the trusted identity providers (the `azp` / `client_id` claim of its
//! tokens, RFC 9068), the browser origins it embeds the service from, what it may do
//! (its scopes), its request quota, and whether it is disabled.
//!
//! This module checks a registration ([`PartnerInput::check`]); the registry itself is
//! `persistence::partners`, and who may administer it `crate::policy::may_administer_partners`.

use crate::forms::{Accepted, FieldIssue};
use crate::limits;
use chrono::{DateTime, Utc};

crate::code_enum!(
    /// What kind of front door a partner is.
    PartnerKind, "partner kind", {
        /// A national e-government portal (MyGuichet.lu, the Belgian federal portal).
        NationalPortal => "national_portal",
        /// A police zone's website embedding the intake.
        ZoneWebsite => "zone_website",
        /// A municipal office filing at the counter with the citizen.
        MunicipalOffice => "municipal_office",
        /// A municipality's lost-property office (issue 20): it files the found objects
        /// it holds, sees their candidate owners' declarations and hands objects back.
        /// Names its municipality.
        LostPropertyOffice => "lost_property_office",
        Other => "other",
    }
);

crate::code_enum!(
    /// What a partner may do.
    PartnerScope, "partner scope", {
        /// Act for a citizen with the citizen's token: file, follow its own filings.
        Filings => "filings",
        /// With a client-credentials token: manage its webhook endpoints, read their
        /// delivery logs.
        Webhooks => "webhooks",
        /// With a client-credentials token of a lost-property office: file the found
        /// objects it holds, read their candidates, hand an object back
        /// (`docs/ITEMS.md`). Only for the `lost_property_office` kind.
        LostProperty => "lost_property",
    }
);

/// A registered partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// A slug chosen at registration (`myguichet-lu`); never changes.
    pub id: String,
    pub name: String,
    pub kind: PartnerKind,
    /// For a zone's website: the unit whose zone the site serves. A filing made there
    /// still goes to the unit of the place of the facts; when that is another unit, the
    /// citizen is told so ([`Partner::routes_elsewhere`]).
    pub unit: Option<String>,
    /// For a lost-property office: its municipality (a municipality of the directory).
    /// It sees only the found objects it filed itself.
    pub municipality: Option<String>,
    /// The OAuth client ids of its tokens (`azp` or `client_id`); each belongs to one
    /// partner only.
    pub client_ids: Vec<String>,
    /// Browser origins (`https://host[:port]`) allowed to call the API (CORS).
    pub origins: Vec<String>,
    pub scopes: Vec<PartnerScope>,
    /// Requests per minute.
    pub quota_per_minute: u32,
    /// When it was disabled: its tokens are then refused (403).
    pub disabled_at: Option<DateTime<Utc>>,
    /// When its webhook signing secret was last made (registration or rotation).
    pub secret_rotated_at: DateTime<Utc>,
    /// Until when the previous signing secret still signs (24 h after a rotation).
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Partner {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    /// Whether a filing made through this partner, going to `routed_unit`, leaves the
    /// site's own zone: the partner is a zone's website and the unit is another.
    pub fn routes_elsewhere(&self, routed_unit: Option<&str>) -> bool {
        self.kind == PartnerKind::ZoneWebsite
            && matches!((self.unit.as_deref(), routed_unit), (Some(own), Some(routed)) if own != routed)
    }

    pub fn has_scope(&self, scope: PartnerScope) -> bool {
        self.scopes.contains(&scope)
    }

    /// The municipality of a lost-property office holding the `lost_property` scope,
    /// enabled: what it acts for. `None` for any other partner.
    pub fn lost_property_municipality(&self) -> Option<&str> {
        (self.kind == PartnerKind::LostPropertyOffice
            && self.has_scope(PartnerScope::LostProperty)
            && !self.is_disabled())
        .then_some(self.municipality.as_deref())
        .flatten()
    }
}

/// A registration as an administrator sends it (API body or command line), unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnerInput {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// A zone's website: the unit of its zone (required for `zone_website`, refused for
    /// the other kinds).
    pub unit: Option<String>,
    /// A lost-property office: its municipality (required for `lost_property_office`,
    /// refused for the other kinds).
    pub municipality: Option<String>,
    pub client_ids: Vec<String>,
    pub origins: Vec<String>,
    /// Absent: `filings` only.
    pub scopes: Option<Vec<String>>,
    /// Absent: [`limits::PARTNER_QUOTA_DEFAULT`].
    pub quota_per_minute: Option<i64>,
}

impl PartnerInput {
    /// The partner this registration makes at `now`, or every issue (JSON pointers into
    /// the API's body): `id` a slug of 2 to 63 characters (`[a-z0-9][a-z0-9-]*`), `name`
    /// 1 to 200 characters, `kind` known, 1 to 10 distinct client ids of 1 to 255
    /// printable characters without spaces, at most 20 distinct origins each
    /// `http(s)://host[:port]` (lowercase, no path), known distinct scopes, a quota of 1
    /// to 100 000 requests per minute; `unit` a unit of the directory (`unit_exists`)
    /// for a zone's website, absent otherwise.
    pub fn check(
        self,
        now: DateTime<Utc>,
        unit_exists: impl Fn(&str) -> bool,
        municipality_exists: impl Fn(&str) -> bool,
    ) -> Result<Partner, Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let id = self.id.trim().to_owned();
        if !valid_slug(&id) {
            issues.push(FieldIssue::new("/id", "invalid_slug").with(Accepted {
                min_length: Some(2),
                max_length: Some(limits::PARTNER_ID_MAX_CHARS as u64),
                ..Accepted::default()
            }));
        }
        let name = self.name.trim().to_owned();
        text(&mut issues, "/name", &name, limits::PARTNER_NAME_MAX_CHARS);
        let kind = self.kind.parse::<PartnerKind>().ok();
        if kind.is_none() {
            issues.push(FieldIssue::new("/kind", "unknown_option").with(allowed(PartnerKind::ALL)));
        }
        let unit = self
            .unit
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        match (kind, unit.as_deref()) {
            (Some(PartnerKind::ZoneWebsite), None) => {
                issues.push(FieldIssue::new("/unit", "required"));
            }
            (Some(PartnerKind::ZoneWebsite), Some(unit))
                if unit.chars().count() > limits::UNIT_ID_MAX_CHARS =>
            {
                issues.push(FieldIssue::new("/unit", "too_long"));
            }
            (Some(PartnerKind::ZoneWebsite), Some(unit)) if !unit_exists(unit) => {
                issues.push(FieldIssue::new("/unit", "unknown_unit"));
            }
            (Some(k), Some(_)) if k != PartnerKind::ZoneWebsite => {
                issues.push(FieldIssue::new("/unit", "not_allowed"));
            }
            _ => {}
        }
        let municipality = self
            .municipality
            .map(|m| m.trim().to_owned())
            .filter(|m| !m.is_empty());
        match (kind, municipality.as_deref()) {
            (Some(PartnerKind::LostPropertyOffice), None) => {
                issues.push(FieldIssue::new("/municipality", "required"));
            }
            (Some(PartnerKind::LostPropertyOffice), Some(m))
                if m.chars().count() > limits::UNIT_ID_MAX_CHARS || !municipality_exists(m) =>
            {
                issues.push(FieldIssue::new("/municipality", "unknown_municipality"));
            }
            (Some(k), Some(_)) if k != PartnerKind::LostPropertyOffice => {
                issues.push(FieldIssue::new("/municipality", "not_allowed"));
            }
            _ => {}
        }
        let client_ids = list(
            &mut issues,
            "/client_ids",
            self.client_ids,
            (1, limits::PARTNER_CLIENT_IDS_MAX),
            (valid_client_id, "invalid_client_id"),
        );
        let origins = list(
            &mut issues,
            "/origins",
            self.origins,
            (0, limits::PARTNER_ORIGINS_MAX),
            (valid_origin, "invalid_origin"),
        );
        let scope_codes = self.scopes.unwrap_or_else(|| vec!["filings".into()]);
        if scope_codes.is_empty() {
            // A partner without a scope could do nothing: leave `scopes` out for the
            // default (`filings`).
            issues.push(FieldIssue::new("/scopes", "too_few").with(Accepted {
                min_items: Some(1),
                ..allowed(PartnerScope::ALL)
            }));
        }
        let mut scopes = Vec::new();
        for (i, code) in scope_codes.iter().enumerate() {
            match code.parse::<PartnerScope>() {
                Ok(PartnerScope::LostProperty)
                    if kind.is_some_and(|k| k != PartnerKind::LostPropertyOffice) =>
                {
                    issues.push(FieldIssue::new(format!("/scopes/{i}"), "not_allowed"));
                }
                Ok(scope) if !scopes.contains(&scope) => scopes.push(scope),
                Ok(_) => issues.push(FieldIssue::new(format!("/scopes/{i}"), "duplicate_key")),
                Err(_) => issues.push(
                    FieldIssue::new(format!("/scopes/{i}"), "unknown_option")
                        .with(allowed(PartnerScope::ALL)),
                ),
            }
        }
        let quota = self
            .quota_per_minute
            .unwrap_or(i64::from(limits::PARTNER_QUOTA_DEFAULT));
        let quota = u32::try_from(quota)
            .ok()
            .filter(|q| (limits::PARTNER_QUOTA_MIN..=limits::PARTNER_QUOTA_MAX).contains(q));
        if quota.is_none() {
            issues.push(
                FieldIssue::new("/quota_per_minute", "out_of_range").with(Accepted {
                    minimum: Some(limits::PARTNER_QUOTA_MIN.into()),
                    maximum: Some(limits::PARTNER_QUOTA_MAX.into()),
                    ..Accepted::default()
                }),
            );
        }
        match (kind, quota) {
            (Some(kind), Some(quota_per_minute)) if issues.is_empty() => Ok(Partner {
                id,
                name,
                kind,
                unit,
                municipality,
                client_ids,
                origins,
                scopes,
                quota_per_minute,
                disabled_at: None,
                secret_rotated_at: now,
                previous_secret_until: None,
                created_at: now,
                updated_at: now,
            }),
            _ => Err(issues),
        }
    }
}

/// The issues of a partner whose client ids include one of the police app's
/// (`reserved`): its tokens would be the app's citizens' tokens, so their filings would
/// be listed as made through the partner, and disabling it would lock them out. One
/// `reserved_client_id` issue at `/client_ids/<i>` for each.
pub fn reserved_client_issues(client_ids: &[String], reserved: &[String]) -> Vec<FieldIssue> {
    client_ids
        .iter()
        .enumerate()
        .filter(|(_, c)| reserved.contains(c))
        .map(|(i, _)| FieldIssue::new(format!("/client_ids/{i}"), "reserved_client_id"))
        .collect()
}

fn allowed<T: ToString>(values: &[T]) -> Accepted {
    Accepted {
        allowed: Some(values.iter().map(ToString::to_string).collect()),
        ..Accepted::default()
    }
}

/// A name: not empty, at most `max` characters, and only what a name may hold
/// (`crate::names`: no bidirectional control, no invisible character, one line).
fn text(issues: &mut Vec<FieldIssue>, pointer: &str, value: &str, max: usize) {
    if value.is_empty() {
        issues.push(FieldIssue::new(pointer, "empty"));
    } else if !crate::names::is_valid_name(value) {
        issues.push(FieldIssue::new(pointer, crate::names::INVALID_CHARACTER));
    } else if value.chars().count() > max {
        issues.push(FieldIssue::new(pointer, "too_long").with(Accepted {
            max_length: Some(max as u64),
            ..Accepted::default()
        }));
    }
}

/// The trimmed, distinct values of a list of `min..=max` items, each passing `valid`.
/// The distinct values of a list of `min..=max` items, each passing `valid` as sent
/// (nothing is trimmed: what is registered is what was sent), else `invalid` at its
/// pointer; a repeated value is `duplicate_item`.
fn list(
    issues: &mut Vec<FieldIssue>,
    pointer: &str,
    values: Vec<String>,
    (min, max): (usize, usize),
    (valid, invalid): (impl Fn(&str) -> bool, &'static str),
) -> Vec<String> {
    if values.len() < min {
        issues.push(FieldIssue::new(pointer, "too_few").with(Accepted {
            min_items: Some(min as u64),
            ..Accepted::default()
        }));
    }
    if values.len() > max {
        issues.push(FieldIssue::new(pointer, "too_many").with(Accepted {
            max_items: Some(max as u64),
            ..Accepted::default()
        }));
    }
    let mut kept: Vec<String> = Vec::new();
    for (i, value) in values.into_iter().enumerate() {
        if !valid(&value) {
            issues.push(FieldIssue::new(format!("{pointer}/{i}"), invalid));
        } else if kept.contains(&value) {
            issues.push(FieldIssue::new(format!("{pointer}/{i}"), "duplicate_item"));
        } else {
            kept.push(value);
        }
    }
    kept
}

/// `[a-z0-9]+(-[a-z0-9]+)*`, 2 to 63 characters: lowercase letters and digits in words
/// joined by one hyphen (a DNS label's shape), so no hyphen first, last or twice in a row
/// (`zp-5276`, not `zp-5276-` nor `zp--5276`).
pub fn valid_slug(id: &str) -> bool {
    (2..=limits::PARTNER_ID_MAX_CHARS).contains(&id.len())
        && id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// 1 to 255 visible ASCII characters (RFC 6749's `client_id` is VSCHAR).
fn valid_client_id(id: &str) -> bool {
    (1..=limits::PARTNER_CLIENT_ID_MAX_CHARS).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_graphic())
}

/// A browser origin as the `Origin` header sends it: `http` or `https`, a lowercase host
/// (letters, digits, `.` and `-`), an optional port, nothing else.
pub fn valid_origin(origin: &str) -> bool {
    let Some(rest) = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = match rest.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (rest, None),
    };
    origin.len() <= limits::PARTNER_ORIGIN_MAX_CHARS
        && !host.is_empty()
        && !host.starts_with(['.', '-'])
        && host
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && port.is_none_or(|p| {
            p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok_and(|n| n > 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> PartnerInput {
        PartnerInput {
            id: "myguichet-lu".into(),
            name: "MyGuichet.lu".into(),
            kind: "national_portal".into(),
            unit: None,
            municipality: None,
            client_ids: vec!["myguichet".into()],
            origins: vec!["https://guichet.public.lu".into()],
            scopes: None,
            quota_per_minute: None,
        }
    }

    #[test]
    fn slugs_are_words_joined_by_one_hyphen() {
        for good in ["zp-5276", "myguichet-lu", "a1", "5276"] {
            assert!(valid_slug(good), "{good}");
        }
        for bad in ["zp-5276-", "-zp", "zp--5276", "Zp-1", "z", "zp_1", "zp-é"] {
            assert!(!valid_slug(bad), "{bad}");
        }
    }

    #[test]
    fn no_scope_and_invisible_characters_in_the_name_are_refused() {
        let mut bad = input();
        bad.scopes = Some(Vec::new());
        bad.name = "MyGuichet\u{202e}ul.".into();
        let issues = bad.check(Utc::now(), |_| true, |_| true).unwrap_err();
        let found: Vec<(&str, &str)> = issues
            .iter()
            .map(|i| (i.pointer.as_str(), i.code))
            .collect();
        assert!(found.contains(&("/scopes", "too_few")), "{found:?}");
        assert!(
            found.contains(&("/name", "invalid_name_character")),
            "{found:?}"
        );
    }

    #[test]
    fn a_good_registration_gets_the_defaults() {
        let partner = input().check(Utc::now(), |_| true, |_| true).unwrap();
        assert_eq!(partner.kind, PartnerKind::NationalPortal);
        assert_eq!(partner.scopes, vec![PartnerScope::Filings]);
        assert_eq!(partner.quota_per_minute, limits::PARTNER_QUOTA_DEFAULT);
        assert!(!partner.is_disabled());
    }

    #[test]
    fn every_issue_is_reported_with_its_pointer() {
        let bad = PartnerInput {
            id: "My Portal".into(),
            name: " ".into(),
            kind: "bank".into(),
            unit: None,
            municipality: None,
            client_ids: vec!["a b".into()],
            origins: vec![
                "https://ok.example".into(),
                "https://ok.example".into(),
                "https://x.example/path".into(),
                "ftp://x.example".into(),
            ],
            scopes: Some(vec!["filings".into(), "all".into()]),
            quota_per_minute: Some(0),
        };
        let issues = bad.check(Utc::now(), |_| true, |_| true).unwrap_err();
        let pointers: Vec<(&str, &str)> = issues
            .iter()
            .map(|i| (i.pointer.as_str(), i.code))
            .collect();
        assert_eq!(
            pointers,
            vec![
                ("/id", "invalid_slug"),
                ("/name", "empty"),
                ("/kind", "unknown_option"),
                ("/client_ids/0", "invalid_client_id"),
                ("/origins/1", "duplicate_item"),
                ("/origins/2", "invalid_origin"),
                ("/origins/3", "invalid_origin"),
                ("/scopes/1", "unknown_option"),
                ("/quota_per_minute", "out_of_range"),
            ]
        );
    }

    /// A zone's website names its zone's unit, which must exist; other kinds name none.
    /// A filing made there "routes elsewhere" when it goes to another unit.
    #[test]
    fn a_zone_website_names_its_unit() {
        let known = |u: &str| u == "zp-ottignies";
        let zone = |unit: Option<&str>| PartnerInput {
            kind: "zone_website".into(),
            unit: unit.map(Into::into),
            ..input()
        };
        let codes = |i: PartnerInput| -> Vec<(String, &'static str)> {
            i.check(Utc::now(), known, |_| true)
                .unwrap_err()
                .into_iter()
                .map(|i| (i.pointer, i.code))
                .collect()
        };
        assert_eq!(codes(zone(None)), [("/unit".to_owned(), "required")]);
        assert_eq!(
            codes(zone(Some("zp-nowhere"))),
            [("/unit".to_owned(), "unknown_unit")]
        );
        let portal = PartnerInput {
            unit: Some("zp-ottignies".into()),
            ..input()
        };
        assert_eq!(codes(portal), [("/unit".to_owned(), "not_allowed")]);
        let site = zone(Some(" zp-ottignies "))
            .check(Utc::now(), known, |_| true)
            .unwrap();
        assert_eq!(site.unit.as_deref(), Some("zp-ottignies"));
        assert!(!site.routes_elsewhere(Some("zp-ottignies")));
        assert!(site.routes_elsewhere(Some("zp-namur")));
        assert!(!site.routes_elsewhere(None));
        let portal = input().check(Utc::now(), known, |_| true).unwrap();
        assert!(!portal.routes_elsewhere(Some("zp-namur")));
    }

    /// A lost-property office names its municipality, which must exist; only it may
    /// hold the `lost_property` scope, and only then does it act for its municipality.
    #[test]
    fn a_lost_property_office_names_its_municipality() {
        let known = |m: &str| m == "LU-0304";
        let office = |municipality: Option<&str>, scopes: &[&str]| PartnerInput {
            kind: "lost_property_office".into(),
            municipality: municipality.map(Into::into),
            scopes: Some(scopes.iter().map(|s| (*s).to_owned()).collect()),
            ..input()
        };
        let codes = |i: PartnerInput| -> Vec<(String, &'static str)> {
            i.check(Utc::now(), |_| true, known)
                .unwrap_err()
                .into_iter()
                .map(|i| (i.pointer, i.code))
                .collect()
        };
        assert_eq!(
            codes(office(None, &["lost_property"])),
            [("/municipality".to_owned(), "required")]
        );
        assert_eq!(
            codes(office(Some("LU-9999"), &["lost_property"])),
            [("/municipality".to_owned(), "unknown_municipality")]
        );
        let portal = PartnerInput {
            municipality: Some("LU-0304".into()),
            scopes: Some(vec!["lost_property".into()]),
            ..input()
        };
        assert_eq!(
            codes(portal),
            [
                ("/municipality".to_owned(), "not_allowed"),
                ("/scopes/0".to_owned(), "not_allowed")
            ]
        );
        let ok = office(Some(" LU-0304 "), &["lost_property"])
            .check(Utc::now(), |_| true, known)
            .unwrap();
        assert_eq!(ok.lost_property_municipality(), Some("LU-0304"));
        let without_scope = office(Some("LU-0304"), &["filings"])
            .check(Utc::now(), |_| true, known)
            .unwrap();
        assert_eq!(without_scope.lost_property_municipality(), None);
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        for good in [
            "https://a.example",
            "http://localhost:8080",
            "https://x-y.be:443",
        ] {
            assert!(valid_origin(good), "{good}");
        }
        for bad in [
            "https://",
            "https://A.example",
            "https://a.example/",
            "https://a:",
            "a.example",
            "https://a:123456",
            "https://a.example:99999",
            "https://a.example:0",
            "https://a.example\n",
        ] {
            assert!(!valid_origin(bad), "{bad}");
        }
        assert!(!valid_slug("a"));
        assert!(!valid_slug("-ab"));
        assert!(valid_slug("zp-5276"));
    }
}
