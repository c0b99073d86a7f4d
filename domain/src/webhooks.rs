//! Webhooks (issue 16, Standard Webhooks): which status changes tell a partner, what the
//! event says (ids, status, times: never the facts or the citizen's contact), which
//! endpoints a partner may register, and which network addresses a delivery may reach
//! (OWASP API7, SSRF). Signing and sending are the delivery's (`api::delivery::webhooks`).

use crate::filing::{Filing, FilingStatus, HistoryEntry};
use crate::forms::{Accepted, FieldIssue};
use crate::limits;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

crate::code_enum!(
    /// The type of a webhook event (`type` in its payload).
    EventType, "webhook event type", {
        Submitted => "filing.submitted",
        TakenInCharge => "filing.taken_in_charge",
        InfoRequested => "filing.info_requested",
        Registered => "filing.registered",
        Rejected => "filing.rejected",
        Redirected => "filing.redirected",
        Transferred => "filing.transferred",
        Closed => "filing.closed",
        Withdrawn => "filing.withdrawn",
    }
);

impl EventType {
    /// The event announcing that a filing reached `status` (a draft announces nothing).
    pub fn for_status(status: FilingStatus) -> Option<Self> {
        Some(match status {
            FilingStatus::Submitted => Self::Submitted,
            FilingStatus::TakenInCharge => Self::TakenInCharge,
            FilingStatus::InfoRequested => Self::InfoRequested,
            FilingStatus::Registered => Self::Registered,
            FilingStatus::Rejected => Self::Rejected,
            FilingStatus::Redirected => Self::Redirected,
            FilingStatus::Transferred => Self::Transferred,
            FilingStatus::Closed => Self::Closed,
            FilingStatus::Withdrawn => Self::Withdrawn,
            FilingStatus::Draft => return None,
        })
    }
}

/// An event for the partner a filing was made through.
#[derive(Debug, Clone, PartialEq)]
pub struct PartnerEvent {
    pub partner: String,
    pub event_type: EventType,
    /// The Standard Webhooks payload: `type`, `timestamp`, and `data` with the filing's
    /// id, reference, status, the time of the change and its API path.
    pub payload: Value,
}

/// The event of a status change (`entry`) of `filing`, when the filing was made through
/// a partner and the change is one partners hear of.
pub fn event_for(filing: &Filing, entry: &HistoryEntry) -> Option<PartnerEvent> {
    let partner = filing.channel.clone()?;
    if entry.from == Some(entry.to) {
        return None;
    }
    let event_type = EventType::for_status(entry.to)?;
    let at = entry
        .at
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Some(PartnerEvent {
        partner,
        event_type,
        payload: json!({
            "type": event_type.as_str(),
            "timestamp": at,
            "data": {
                "filing_id": filing.id,
                "reference": filing.reference.as_ref().map(|r| r.as_str()),
                "status": entry.to.as_str(),
                "previous_status": entry.from.map(FilingStatus::as_str),
                "changed_at": at,
                "href": format!("/v1/filings/{}", filing.id),
            }
        }),
    })
}

/// An endpoint as a partner registers it, unchecked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointInput {
    pub url: String,
    /// Absent: every event type.
    pub event_types: Option<Vec<String>>,
    pub description: Option<String>,
}

/// A registered endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: i64,
    pub partner: String,
    pub url: String,
    pub event_types: Vec<EventType>,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// What an endpoint's URL must be (the settings' side of the SSRF rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlRules {
    /// `http` is accepted (development and tests only); else `https` alone.
    pub allow_http: bool,
}

/// The URL's parts the rules look at, as the caller's URL parser read them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUrl {
    pub scheme: String,
    pub host: Option<String>,
    pub has_credentials: bool,
    pub has_fragment: bool,
    /// The port written in the URL, if any (port 0 names no service: refused).
    pub port: Option<u16>,
}

impl EndpointInput {
    /// The checked event types and description, or every issue (JSON pointers into the
    /// API's body). `parsed` is the URL as the caller's parser read it (`None`: it did
    /// not parse). Whether its addresses may be reached is [`address_allowed`]'s.
    pub fn check(
        &self,
        parsed: Option<&ParsedUrl>,
        rules: UrlRules,
    ) -> Result<(Vec<EventType>, String), Vec<FieldIssue>> {
        let mut issues = Vec::new();
        let url_ok = self.url.len() <= limits::WEBHOOK_URL_MAX_CHARS
            && parsed.is_some_and(|p| {
                (p.scheme == "https" || (rules.allow_http && p.scheme == "http"))
                    && p.host.as_deref().is_some_and(|h| !h.is_empty())
                    && !p.has_credentials
                    && !p.has_fragment
                    && p.port != Some(0)
            });
        if !url_ok {
            let schemes: &[&str] = if rules.allow_http {
                &["https", "http"]
            } else {
                &["https"]
            };
            issues.push(FieldIssue::new("/url", "invalid_url").with(Accepted {
                max_length: Some(limits::WEBHOOK_URL_MAX_CHARS as u64),
                allowed: Some(schemes.iter().map(|s| (*s).to_owned()).collect()),
                ..Accepted::default()
            }));
        }
        let mut types = Vec::new();
        match &self.event_types {
            None => types.extend_from_slice(EventType::ALL),
            Some(codes) if codes.is_empty() => {
                issues.push(FieldIssue::new("/event_types", "too_few").with(Accepted {
                    min_items: Some(1),
                    ..Accepted::default()
                }))
            }
            Some(codes) => {
                for (i, code) in codes.iter().enumerate() {
                    match code.parse::<EventType>() {
                        Ok(t) if !types.contains(&t) => types.push(t),
                        Ok(_) => issues.push(FieldIssue::new(
                            format!("/event_types/{i}"),
                            "duplicate_key",
                        )),
                        Err(_) => issues.push(
                            FieldIssue::new(format!("/event_types/{i}"), "unknown_option").with(
                                Accepted {
                                    allowed: Some(
                                        EventType::ALL.iter().map(|t| t.to_string()).collect(),
                                    ),
                                    ..Accepted::default()
                                },
                            ),
                        ),
                    }
                }
            }
        }
        let description = self.description.as_deref().unwrap_or("").trim().to_owned();
        if description.chars().count() > limits::WEBHOOK_DESCRIPTION_MAX_CHARS {
            issues.push(FieldIssue::new("/description", "too_long").with(Accepted {
                max_length: Some(limits::WEBHOOK_DESCRIPTION_MAX_CHARS as u64),
                ..Accepted::default()
            }));
        } else if !crate::names::is_valid_name(&description) {
            // A label the partner and the administrators read in lists (crate::names).
            issues.push(FieldIssue::new(
                "/description",
                crate::names::INVALID_CHARACTER,
            ));
        }
        if issues.is_empty() {
            Ok((types, description))
        } else {
            Err(issues)
        }
    }
}

/// Whether a delivery may connect to `ip`: never to loopback, private, shared (CGNAT),
/// link-local (with the cloud metadata address 169.254.169.254), unique-local,
/// multicast, broadcast, documentation or unspecified addresses, unless the operator
/// listed the address in `allowed` (development: `127.0.0.1`). IPv4 inside IPv6
/// (`::ffff:10.0.0.1`, NAT64 `64:ff9b::/96`) is judged as the IPv4 address.
pub fn address_allowed(ip: IpAddr, allowed: &[IpAddr]) -> bool {
    if allowed.contains(&ip) {
        return true;
    }
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => allowed.contains(&IpAddr::V4(v4)) || public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    let s = v6.segments();
    // NAT64 (RFC 6052) and the deprecated IPv4-compatible form (`::a.b.c.d`).
    if (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4]) || s[0..6] == [0; 6] {
        let o = v6.octets();
        return Some(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    None
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (64..128).contains(&o[1]))
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (18..20).contains(&o[1]))
        || o[0] >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] == 0x2001 && s[1] == 0x0db8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn internal_addresses_are_refused_unless_listed() {
        for bad in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(!address_allowed(ip(bad), &[]), "{bad}");
        }
        for good in ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"] {
            assert!(address_allowed(ip(good), &[]), "{good}");
        }
        assert!(address_allowed(ip("127.0.0.1"), &[ip("127.0.0.1")]));
        assert!(address_allowed(ip("::ffff:127.0.0.1"), &[ip("127.0.0.1")]));
        assert!(!address_allowed(ip("127.0.0.2"), &[ip("127.0.0.1")]));
    }

    fn parsed(scheme: &str) -> ParsedUrl {
        ParsedUrl {
            scheme: scheme.into(),
            host: Some("hooks.example".into()),
            has_credentials: false,
            has_fragment: false,
            port: None,
        }
    }

    #[test]
    fn only_https_unless_http_is_allowed() {
        let input = EndpointInput {
            url: "http://hooks.example/x".into(),
            event_types: Some(vec!["filing.closed".into(), "filing.nope".into()]),
            description: None,
        };
        let strict = UrlRules { allow_http: false };
        let issues = input.check(Some(&parsed("http")), strict).unwrap_err();
        let codes: Vec<_> = issues
            .iter()
            .map(|i| (i.pointer.as_str(), i.code))
            .collect();
        assert_eq!(
            codes,
            [
                ("/url", "invalid_url"),
                ("/event_types/1", "unknown_option")
            ]
        );
        let ok = EndpointInput {
            event_types: None,
            ..input
        };
        let (types, _) = ok
            .check(Some(&parsed("http")), UrlRules { allow_http: true })
            .unwrap();
        assert_eq!(types.len(), 9);
        assert!(ok.check(Some(&parsed("https")), strict).is_ok());
        assert!(ok.check(None, strict).is_err());
        // Port 0 names no service (a newcomer's trial registered https://1.1.1.1:0/).
        let port_zero = ParsedUrl {
            port: Some(0),
            ..parsed("https")
        };
        assert!(ok.check(Some(&port_zero), strict).is_err());
    }
}
