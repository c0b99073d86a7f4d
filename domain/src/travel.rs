//! A minor's authorisation to travel abroad (issue 19): the request's rules, its life,
//! who may revoke it, and the minimal claims of its credential. Pure: the api stores it
//! (`api::app::travel`) and runs the consent of the second holder of parental authority
//! through the outbox (docs/DOCUMENTS.md).
//!
//! The competent unit is the one of the requester's municipality of residence: there is
//! no place of facts, and the residence is where a family would otherwise go in person.

use crate::forms::{age_on, Accepted, FieldIssue};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The longest trip, in days (departure to return, both counted), unless configured.
pub const DEFAULT_MAX_TRIP_DAYS: i64 = 90;
/// The most destination countries of one trip.
pub const MAX_DESTINATIONS: usize = 10;
/// The longest name or document number, in characters.
pub const NAME_MAX_CHARS: usize = 100;
/// Age of majority: the minor must be younger than this on the return date.
pub const MAJORITY_YEARS: i64 = 18;

/// The minor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Minor {
    pub first_name: String,
    pub last_name: String,
    pub birth_date: NaiveDate,
    pub document_number: String,
}

/// The trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trip {
    /// ISO 3166-1 alpha-2 codes.
    pub destinations: Vec<String>,
    pub departure: NaiveDate,
    pub return_date: NaiveDate,
}

/// The adult travelling with the minor, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Companion {
    pub name: String,
    pub document_number: String,
}

/// The other holder of parental authority: invited to consent, or none (the requester
/// declares they hold it alone and attaches the supporting document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OtherHolder {
    Invited { name: String, email: String },
    SoleHolder { ground: SoleGround },
}

crate::code_enum!(
    /// Why the requester holds parental authority alone.
    SoleGround, "sole holder ground", {
        CourtDecision => "court_decision",
        DeathCertificate => "death_certificate",
    }
);

/// A request as the requester gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TravelRequest {
    pub minor: Minor,
    pub trip: Trip,
    pub companion: Option<Companion>,
    pub other_holder: OtherHolder,
}

impl TravelRequest {
    /// The request with its names, document numbers and e-mail address trimmed (white
    /// space at either end, no-break spaces included): what is validated is what is
    /// stored, printed and signed.
    pub fn trimmed(mut self) -> Self {
        let trim = |text: &mut String| {
            let trimmed = text.trim();
            if trimmed.len() != text.len() {
                *text = trimmed.to_owned();
            }
        };
        trim(&mut self.minor.first_name);
        trim(&mut self.minor.last_name);
        trim(&mut self.minor.document_number);
        if let Some(companion) = self.companion.as_mut() {
            trim(&mut companion.name);
            trim(&mut companion.document_number);
        }
        if let OtherHolder::Invited { name, email } = &mut self.other_holder {
            trim(name);
            trim(email);
        }
        self
    }
}

/// Checks a request on `today` (the requester's local date): every issue at once.
///
/// # Errors
/// The issues, each with its JSON pointer: names empty or too long, a birth date in the
/// future, a minor who is 18 or older on the return date, a departure in the past, a
/// return before the departure, a trip longer than `max_days`, no or too many or
/// malformed destinations, an invitation without a plausible e-mail address.
pub fn validate(
    request: &TravelRequest,
    today: NaiveDate,
    max_days: i64,
) -> Result<(), Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let minor = &request.minor;
    for (pointer, text) in [
        ("/minor/first_name", &minor.first_name),
        ("/minor/last_name", &minor.last_name),
    ] {
        name_issue(&mut issues, pointer, text);
    }
    document_number_issue(
        &mut issues,
        "/minor/document_number",
        &minor.document_number,
    );
    if minor.birth_date > today {
        issues.push(
            FieldIssue::new("/minor/birth_date", "in_future").with(Accepted {
                latest: Some(today.to_string()),
                ..Accepted::default()
            }),
        );
    }
    let trip = &request.trip;
    if age_on(minor.birth_date, trip.return_date) >= MAJORITY_YEARS {
        issues.push(
            FieldIssue::new("/minor/birth_date", "age_over_limit").with(Accepted {
                maximum: Some((MAJORITY_YEARS - 1).into()),
                ..Accepted::default()
            }),
        );
    }
    if trip.departure < today {
        issues.push(
            FieldIssue::new("/trip/departure", "in_past").with(Accepted {
                earliest: Some(today.to_string()),
                ..Accepted::default()
            }),
        );
    }
    if trip.return_date < trip.departure {
        issues.push(
            FieldIssue::new("/trip/return_date", "too_early").with(Accepted {
                earliest: Some(trip.departure.to_string()),
                ..Accepted::default()
            }),
        );
    } else if trip_days(trip) > max_days {
        let latest = trip.departure + Duration::days(max_days - 1);
        issues.push(
            FieldIssue::new("/trip/return_date", "too_late").with(Accepted {
                latest: Some(latest.to_string()),
                ..Accepted::default()
            }),
        );
    }
    destination_issues(&mut issues, &trip.destinations);
    if let Some(companion) = &request.companion {
        name_issue(&mut issues, "/companion/name", &companion.name);
        document_number_issue(
            &mut issues,
            "/companion/document_number",
            &companion.document_number,
        );
    }
    if let OtherHolder::Invited { name, email } = &request.other_holder {
        name_issue(&mut issues, "/other_holder/name", name);
        if !plausible_email(email) {
            issues.push(FieldIssue::new("/other_holder/email", "invalid_email"));
        }
    }
    if issues.is_empty() {
        Ok(())
    } else {
        Err(issues)
    }
}

/// An e-mail address that mail can reach: the service's one rule
/// ([`crate::identifiers::valid_email`]).
pub fn plausible_email(email: &str) -> bool {
    crate::identifiers::valid_email(email)
}

/// What is stored of a request, sealed: the request and the requester's e-mail address
/// (where a refusal is told).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRequest {
    pub request: TravelRequest,
    pub requester_email: String,
}

impl StoredRequest {
    /// The e-mail address of the other holder, when invited.
    pub fn invited_email(&self) -> Option<&str> {
        match &self.request.other_holder {
            OtherHolder::Invited { email, .. } => Some(email),
            OtherHolder::SoleHolder { .. } => None,
        }
    }
}

fn name_issue(issues: &mut Vec<FieldIssue>, pointer: &str, text: &str) {
    let length = text.trim().chars().count();
    let limits = Accepted {
        min_length: Some(1),
        max_length: Some(NAME_MAX_CHARS as u64),
        ..Accepted::default()
    };
    if length == 0 {
        issues.push(FieldIssue::new(pointer, "empty").with(limits));
    } else if length > NAME_MAX_CHARS {
        issues.push(FieldIssue::new(pointer, "too_long").with(limits));
    } else if text.chars().any(breaks_a_line_of_print)
        || text.chars().any(invisible_in_print)
        || mark_without_a_letter(text)
    {
        issues.push(FieldIssue::new(pointer, "invalid_character"));
    }
}

/// Whether a combining mark of `text` starts it or a word (it would sit on nothing, or on
/// the space before it).
fn mark_without_a_letter(text: &str) -> bool {
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if crate::names::is_combining_mark(c) && previous.is_none_or(char::is_whitespace) {
            return true;
        }
        previous = Some(c);
    }
    false
}

/// A document number: [`name_issue`]'s length rule, and the characters identity
/// documents print in their numbers (ICAO Doc 9303: letters and digits; national
/// documents add spaces, hyphens, dots and slashes, as `592-1234567-89`), ASCII only.
fn document_number_issue(issues: &mut Vec<FieldIssue>, pointer: &str, text: &str) {
    let before = issues.len();
    name_issue(issues, pointer, text);
    let printed = |c: char| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '.' | '/');
    if issues.len() == before && !text.trim().chars().all(printed) {
        issues.push(FieldIssue::new(pointer, "invalid_character"));
    }
}

/// A character that prints as nothing on a document: an invisible format character
/// (Unicode category Cf: zero-width spaces and joiners, the byte order mark, tags), a
/// line or paragraph separator (`names::is_refused_in_name`), a filler that Unicode
/// counts as a letter (the Hangul fillers U+115F, U+1160, U+3164, U+FFA0), the blank
/// Braille pattern U+2800, or a code point that is no character (unassigned, private
/// use, a noncharacter such as U+FFFF).
fn invisible_in_print(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory};
    crate::names::is_refused_in_name(c)
        || matches!(
            c,
            '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}'
        )
        || matches!(
            get_general_category(c),
            GeneralCategory::Unassigned | GeneralCategory::PrivateUse | GeneralCategory::Surrogate
        )
}

/// A character a name or a document number printed on one line, and signed into a
/// credential, must not hold: a control character (a line break, a tab) or a bidirectional
/// formatting character (Unicode Standard Annex #9: the marks and the embeddings,
/// overrides and isolates, which can make a printed name read otherwise than its bytes).
fn breaks_a_line_of_print(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn destination_issues(issues: &mut Vec<FieldIssue>, destinations: &[String]) {
    if destinations.is_empty() || destinations.len() > MAX_DESTINATIONS {
        let code = if destinations.is_empty() {
            "too_few"
        } else {
            "too_many"
        };
        issues.push(FieldIssue::new("/trip/destinations", code).with(Accepted {
            min_items: Some(1),
            max_items: Some(MAX_DESTINATIONS as u64),
            ..Accepted::default()
        }));
    }
    for (i, code) in destinations.iter().enumerate() {
        // ISO 3166-1 alpha-2, upper case, as assigned (not `EU`, `UK` or `ZZ`).
        let assigned = code.len() == 2
            && code.bytes().all(|b| b.is_ascii_uppercase())
            && isocountry::CountryCode::for_alpha2(code).is_ok();
        let pointer = format!("/trip/destinations/{i}");
        if !assigned {
            issues.push(FieldIssue::new(pointer, "unknown_country"));
        } else if destinations[..i].contains(code) {
            issues.push(FieldIssue::new(pointer, "duplicate_item"));
        }
    }
}

/// The trip's length in days, departure and return both counted.
pub fn trip_days(trip: &Trip) -> i64 {
    (trip.return_date - trip.departure).num_days() + 1
}

crate::code_enum!(
    /// Where a request is in its life.
    TravelStatus, "travel authorisation status", {
        /// Waiting for the other holder's answer.
        AwaitingConsent => "awaiting_consent",
        /// Both holders consented (or the requester declared sole authority): an
        /// officer reviews it.
        AwaitingReview => "awaiting_review",
        /// Approved: the authorisation document is issued.
        Approved => "approved",
        /// The officer rejected it, with a reason.
        Rejected => "rejected",
        /// The other holder refused: the request ends.
        Refused => "refused",
        /// Revoked after approval by a parent (before departure) or by the police.
        Revoked => "revoked",
    }
);

/// What happens to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TravelEvent {
    Consent,
    Refuse,
    Approve,
    Reject,
    Revoke,
}

/// The status after `event`, or `None` when it does not apply.
pub fn next(status: TravelStatus, event: TravelEvent) -> Option<TravelStatus> {
    use TravelEvent as E;
    use TravelStatus as S;
    match (status, event) {
        (S::AwaitingConsent, E::Consent) => Some(S::AwaitingReview),
        (S::AwaitingConsent, E::Refuse) => Some(S::Refused),
        (S::AwaitingReview, E::Approve) => Some(S::Approved),
        (S::AwaitingReview, E::Reject) => Some(S::Rejected),
        (S::Approved, E::Revoke) => Some(S::Revoked),
        _ => None,
    }
}

/// Who revokes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoker {
    /// A holder of parental authority: until the departure day starts.
    Parent,
    /// The police: at any time.
    Police,
}

/// Whether `who` may revoke an approved authorisation at `now` (`departure_starts`: the
/// first instant of the departure day, in the issuing unit's time zone).
pub fn may_revoke(who: Revoker, now: DateTime<Utc>, departure_starts: DateTime<Utc>) -> bool {
    match who {
        Revoker::Police => true,
        Revoker::Parent => now < departure_starts,
    }
}

/// The minimal claims of an authorisation's credential: the minor's name and birth
/// date, the destinations, the validity dates, the accompanying adult, the issuing unit
/// and the document's id. No document number, no parent, no address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorisationClaims {
    /// The document's id.
    pub jti: String,
    pub minor_name: String,
    pub minor_birth_date: NaiveDate,
    pub destinations: Vec<String>,
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub companion: Option<String>,
    pub unit: String,
}

impl AuthorisationClaims {
    /// The claims of the approved `request`, document `id`, issued by `unit`.
    pub fn of(request: &TravelRequest, id: &str, unit: &str) -> Self {
        Self {
            jti: id.to_owned(),
            minor_name: format!(
                "{} {}",
                request.minor.first_name.trim(),
                request.minor.last_name.trim()
            ),
            minor_birth_date: request.minor.birth_date,
            destinations: request.trip.destinations.clone(),
            valid_from: request.trip.departure,
            valid_until: request.trip.return_date,
            companion: request.companion.as_ref().map(|c| c.name.trim().to_owned()),
            unit: unit.to_owned(),
        }
    }

    /// The validity window: from the start of the departure day to the end of the return
    /// day, both in `zone` (the issuing unit's).
    pub fn validity<Tz: TimeZone>(
        &self,
        issued: DateTime<Utc>,
        zone: &Tz,
    ) -> crate::credentials::Validity {
        let start = |date: NaiveDate| {
            zone.from_local_datetime(&date.and_time(NaiveTime::MIN))
                .earliest()
                .map(|t| t.with_timezone(&Utc).timestamp())
                .unwrap_or_else(|| date.and_time(NaiveTime::MIN).and_utc().timestamp())
        };
        crate::credentials::Validity {
            iat: issued.timestamp(),
            nbf: start(self.valid_from),
            exp: Some(start(self.valid_until + Duration::days(1))),
        }
    }
}

/// The level of assurance both holders need: eIDAS `high` (the Catalan service asks
/// for the parents' presence at a station today).
pub const REQUIRED_ASSURANCE: crate::catalogue::Assurance = crate::catalogue::Assurance::High;
/// How long an invitation link works, unless configured (hours).
pub const DEFAULT_INVITATION_HOURS: i64 = 72;
/// The longest reason of a rejection or a revocation, in characters.
pub const REASON_MAX_CHARS: usize = 500;

/// Checks the reason of a rejection or a revocation (at `pointer`): 1 to
/// `REASON_MAX_CHARS` characters once trimmed. Returns it trimmed.
///
/// # Errors
/// `empty` or `too_long` at `pointer`.
pub fn check_reason(reason: &str, pointer: &str) -> Result<String, Vec<FieldIssue>> {
    let mut issues = Vec::new();
    let trimmed = reason.trim();
    let length = trimmed.chars().count();
    let limits = Accepted {
        min_length: Some(1),
        max_length: Some(REASON_MAX_CHARS as u64),
        ..Accepted::default()
    };
    if length == 0 {
        issues.push(FieldIssue::new(pointer, "empty").with(limits));
    } else if length > REASON_MAX_CHARS {
        issues.push(FieldIssue::new(pointer, "too_long").with(limits));
    }
    if issues.is_empty() {
        Ok(trimmed.to_owned())
    } else {
        Err(issues)
    }
}

/// Who a citizen is to a request: its requester, the second holder who took the
/// invitation, or nobody (who sees nothing of it: 404).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Requester,
    SecondHolder,
}

/// The citizen `user`'s part in a request made by `requester`, taken up by `second`.
pub fn party(requester: &str, second: Option<&str>, user: &str) -> Option<Party> {
    if requester == user {
        Some(Party::Requester)
    } else if second == Some(user) {
        Some(Party::SecondHolder)
    } else {
        None
    }
}

impl Party {
    /// `requester` or `second_holder`: the party's name in storage and in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Party::Requester => "requester",
            Party::SecondHolder => "second_holder",
        }
    }

    /// The party named `name` ([`Party::as_str`]).
    pub fn parse(name: &str) -> Option<Party> {
        [Party::Requester, Party::SecondHolder]
            .into_iter()
            .find(|p| p.as_str() == name)
    }
}

/// How the name the second holder's identity provider vouched for compares with the
/// name the requester gave for the other holder of parental authority: what the
/// reviewing officer checks before approving (the invitation link could have been taken
/// by someone else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameCheck {
    /// Every word of the given name is among the provider's names, the family name
    /// included.
    Matches,
    /// A word of the given name is not among the provider's names, or no family name is.
    Differs,
    /// The provider gave no name.
    Unknown,
}

impl NameCheck {
    pub fn as_str(self) -> &'static str {
        match self {
            NameCheck::Matches => "matches",
            NameCheck::Differs => "differs",
            NameCheck::Unknown => "unknown",
        }
    }
}

/// A name's words, compared without case, accents or letter variants: NFKD with the
/// combining marks dropped, then transliterated to ASCII (`deunicode`: Ł → L, Ø → O,
/// Đ → D, ß → ss, ı → i, and Greek or Cyrillic letters to Latin ones).
/// `"Jordi  Puig-Ferrer"`, `"JORDI PUIG FERRER"` and `"Jòrdi Puig Ferrer"` have the same
/// words, as have `"Łukasz Wałęsa"` and `"Lukasz Walesa"`.
fn name_words(name: &str) -> Vec<String> {
    use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};
    let unmarked: String = name.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    deunicode::deunicode(&unmarked)
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Compares `invited` (the other holder's name as the requester gave it) with the names
/// of `identity` (the second holder's sign-in): [`NameCheck::Matches`] when every word of
/// `invited` is among the identity's words (`given_name`, `family_name`, `name`) and
/// `invited` holds at least one word of the given name and one of the family name (a
/// requester may omit a second surname or a middle name, not the given name or the
/// family name: `"Puig"` alone matches nobody).
pub fn compare_holder_name(
    invited: &str,
    identity: &crate::filing::ComplainantIdentity,
) -> NameCheck {
    let family = identity
        .family_name
        .as_deref()
        .map(name_words)
        .unwrap_or_default();
    let given_names = identity
        .given_name
        .as_deref()
        .map(name_words)
        .unwrap_or_default();
    let known: Vec<String> = [&identity.given_name, &identity.family_name, &identity.name]
        .into_iter()
        .flatten()
        .flat_map(|n| name_words(n))
        .collect();
    if known.is_empty() {
        return NameCheck::Unknown;
    }
    let given = name_words(invited);
    let all_known = !given.is_empty() && given.iter().all(|w| known.contains(w));
    let family_named = if family.is_empty() {
        // Only a full `name`: at least two of its words must be given.
        given.len() >= 2
    } else {
        family.iter().any(|w| given.contains(w))
    };
    let given_named = given_names.is_empty() || given_names.iter().any(|w| given.contains(w));
    if all_known && family_named && given_named {
        NameCheck::Matches
    } else {
        NameCheck::Differs
    }
}

/// The kinds of file a supporting document may be: a scan (PDF) or a photograph (JPEG,
/// PNG) of the court decision or the death certificate.
pub const SUPPORTING_KINDS: &[crate::evidence::MediaKind] = &[
    crate::evidence::MediaKind::Pdf,
    crate::evidence::MediaKind::Jpeg,
    crate::evidence::MediaKind::Png,
];
/// The most supporting documents one request holds (the evidence store's per-file and
/// per-filing byte limits hold too).
pub const MAX_SUPPORTING_DOCUMENTS: u32 = 5;

/// Whether a request takes supporting documents now: a sole holder's declaration, until
/// the officer decides (the officer reviews them before approving).
pub fn takes_supporting_documents(sole_holder: bool, status: TravelStatus) -> bool {
    sole_holder && status == TravelStatus::AwaitingReview
}

/// Whether a request may be approved with `documents` supporting documents: a sole
/// holder's declaration needs at least one (the court decision or death certificate the
/// officer checked); a request both holders consented to needs none.
pub fn may_approve(sole_holder: bool, documents: u32) -> bool {
    !sole_holder || documents > 0
}

/// The download of a supporting document by an officer (`original`: as received, else
/// the viewing copy without metadata): a consultation of the file naming its request.
pub fn document_download_event(
    actor: crate::audit::Actor,
    file: &str,
    request: &str,
    original: bool,
    now: DateTime<Utc>,
) -> crate::audit::AuditEvent {
    let mut event = crate::evidence::download_event(actor, file, request, original, now);
    event.justification = Some(format!("travel_request={request}"));
    event
}

/// Whether an invitation taken at `now` still works: not used, not expired.
pub fn invitation_usable(
    used: Option<DateTime<Utc>>,
    expires: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    used.is_none() && now < expires
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn request() -> TravelRequest {
        TravelRequest {
            minor: Minor {
                first_name: "Laia".into(),
                last_name: "Puig".into(),
                birth_date: date("2012-05-10"),
                document_number: "12345678Z".into(),
            },
            trip: Trip {
                destinations: vec!["FR".into(), "IT".into()],
                departure: date("2026-12-20"),
                return_date: date("2027-01-06"),
            },
            companion: Some(Companion {
                name: "Marta Vidal".into(),
                document_number: "X1234567L".into(),
            }),
            other_holder: OtherHolder::Invited {
                name: "Jordi Puig".into(),
                email: "jordi@example.org".into(),
            },
        }
    }

    fn codes(result: Result<(), Vec<FieldIssue>>) -> Vec<(String, &'static str)> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|i| (i.pointer, i.code))
            .collect()
    }

    #[test]
    fn a_complete_request_is_valid_and_each_rule_names_its_field() {
        let today = date("2026-12-01");
        assert_eq!(validate(&request(), today, 90), Ok(()));

        // 18 on the return date, though 17 at the departure.
        let mut r = request();
        r.minor.birth_date = date("2009-01-06");
        assert_eq!(
            codes(validate(&r, today, 90)),
            [("/minor/birth_date".into(), "age_over_limit")]
        );
        r.minor.birth_date = date("2009-01-07");
        assert_eq!(validate(&r, today, 90), Ok(()));

        let mut r = request();
        r.trip.return_date = date("2026-12-19");
        assert_eq!(
            codes(validate(&r, today, 90)),
            [("/trip/return_date".into(), "too_early")]
        );
        r.trip.return_date = date("2026-12-20");
        assert_eq!(validate(&r, today, 1), Ok(()));
        r.trip.return_date = date("2026-12-21");
        assert_eq!(
            codes(validate(&r, today, 1)),
            [("/trip/return_date".into(), "too_late")]
        );

        let mut r = request();
        r.trip.departure = date("2026-11-30");
        r.trip.destinations = vec!["fr".into()];
        r.other_holder = OtherHolder::Invited {
            name: " ".into(),
            email: "nobody".into(),
        };
        assert_eq!(
            codes(validate(&r, today, 90)),
            [
                ("/trip/departure".into(), "in_past"),
                ("/trip/destinations/0".into(), "unknown_country"),
                ("/other_holder/name".into(), "empty"),
                ("/other_holder/email".into(), "invalid_email"),
            ]
        );
        let mut r = request();
        r.trip.destinations.clear();
        r.other_holder = OtherHolder::SoleHolder {
            ground: SoleGround::CourtDecision,
        };
        assert_eq!(
            codes(validate(&r, today, 90)),
            [("/trip/destinations".into(), "too_few")]
        );

        // Destinations are assigned ISO 3166-1 codes, each once; names print on one line
        // (reported from outside: `AB`, `EU`, `["FR","FR"]`, a line break and a
        // right-to-left override were signed into credentials).
        let mut r = request();
        r.trip.destinations = ["AB", "EU", "ZZ", "FR", "IT", "FR"]
            .map(String::from)
            .to_vec();
        r.minor.first_name = "Laia\nFAKE LINE".into();
        r.minor.last_name = "Puig\u{202E}giuP".into();
        r.other_holder = OtherHolder::Invited {
            name: "Jordi\tPuig".into(),
            email: "jordi@example.org".into(),
        };
        assert_eq!(
            codes(validate(&r, today, 90)),
            [
                ("/minor/first_name".into(), "invalid_character"),
                ("/minor/last_name".into(), "invalid_character"),
                ("/trip/destinations/0".into(), "unknown_country"),
                ("/trip/destinations/1".into(), "unknown_country"),
                ("/trip/destinations/2".into(), "unknown_country"),
                ("/trip/destinations/5".into(), "duplicate_item"),
                ("/other_holder/name".into(), "invalid_character"),
            ]
        );
        let mut r = request();
        r.minor.first_name = "Łucja Ελένη 张伟 Zoë-María".into();
        r.minor.last_name = "Navarro i Gómez-Ruiz".into();
        r.minor.document_number = "592-1234567-89".into();
        r.trip.destinations = ["AD", "GB", "MA"].map(String::from).to_vec();
        assert_eq!(validate(&r, today, 90), Ok(()));

        // White space at either end (a no-break space too) is not kept.
        let mut r = request();
        r.minor.document_number = "\u{a0}123\u{2003}".into();
        r.minor.first_name = " Laia\u{a0}".into();
        let r = r.trimmed();
        assert_eq!(
            (
                r.minor.document_number.as_str(),
                r.minor.first_name.as_str()
            ),
            ("123", "Laia")
        );

        // A name or a number that prints as nothing, or that is no character, is
        // refused (reported from outside: a zero-width joiner, a Hangul filler and a
        // blank Braille pattern were signed as a minor's name).
        for (name, number) in [
            ("\u{200D}", "\u{3164}"),
            ("\u{2800}", "\u{FEFF}"),
            ("Anna\u{E0041}", "12345678Z\u{FFFF}"),
            ("\u{301}Anna", "１２３"),
            ("Anna \u{301}Puig", "12 3\u{2003}4"),
            ("Anna\u{E000}", "12345678Ž"),
        ] {
            let mut r = request();
            r.minor.first_name = name.into();
            r.minor.document_number = number.into();
            assert_eq!(
                codes(validate(&r, today, 90)),
                [
                    ("/minor/first_name".into(), "invalid_character"),
                    ("/minor/document_number".into(), "invalid_character"),
                ],
                "{name:?} {number:?}"
            );
        }
    }

    #[test]
    fn the_life_of_a_request() {
        use TravelEvent as E;
        use TravelStatus as S;
        assert_eq!(
            next(S::AwaitingConsent, E::Consent),
            Some(S::AwaitingReview)
        );
        assert_eq!(next(S::AwaitingConsent, E::Refuse), Some(S::Refused));
        assert_eq!(next(S::AwaitingConsent, E::Approve), None);
        assert_eq!(next(S::AwaitingReview, E::Approve), Some(S::Approved));
        assert_eq!(next(S::AwaitingReview, E::Reject), Some(S::Rejected));
        assert_eq!(next(S::Approved, E::Revoke), Some(S::Revoked));
        for status in [S::Refused, S::Rejected, S::Revoked] {
            for event in [E::Consent, E::Refuse, E::Approve, E::Reject, E::Revoke] {
                assert_eq!(next(status, event), None, "{status} {event:?}");
            }
        }
    }

    #[test]
    fn parents_revoke_until_departure_and_the_police_at_any_time() {
        let departure = Utc.with_ymd_and_hms(2026, 12, 19, 23, 0, 0).unwrap();
        let before = departure - Duration::seconds(1);
        assert!(may_revoke(Revoker::Parent, before, departure));
        assert!(!may_revoke(Revoker::Parent, departure, departure));
        assert!(may_revoke(
            Revoker::Police,
            departure + Duration::days(3),
            departure
        ));
    }

    #[test]
    fn the_credential_holds_the_minimum_and_is_valid_over_the_trip_in_local_time() {
        let claims = AuthorisationClaims::of(&request(), "doc-1", "me-barcelona");
        let text = serde_json::to_string(&claims).unwrap();
        for absent in ["12345678Z", "X1234567L", "Jordi", "jordi@example.org"] {
            assert!(!text.contains(absent), "{absent} in {text}");
        }
        assert_eq!(claims.minor_name, "Laia Puig");
        assert_eq!(claims.companion.as_deref(), Some("Marta Vidal"));
        let issued = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap();
        let validity = claims.validity(issued, &chrono_tz::Europe::Madrid);
        // Madrid is UTC+1 in winter: the trip starts at 23:00 UTC the day before.
        assert_eq!(
            validity.nbf,
            Utc.with_ymd_and_hms(2026, 12, 19, 23, 0, 0)
                .unwrap()
                .timestamp()
        );
        assert_eq!(
            validity.exp,
            Some(
                Utc.with_ymd_and_hms(2027, 1, 6, 23, 0, 0)
                    .unwrap()
                    .timestamp()
            )
        );
    }

    #[test]
    fn a_sole_holder_attaches_documents_until_the_decision_and_needs_one() {
        use TravelStatus as S;
        assert!(takes_supporting_documents(true, S::AwaitingReview));
        for status in [S::Approved, S::Rejected, S::Revoked, S::AwaitingConsent] {
            assert!(!takes_supporting_documents(true, status), "{status}");
        }
        assert!(!takes_supporting_documents(false, S::AwaitingReview));
        assert!(!may_approve(true, 0));
        assert!(may_approve(true, 1));
        assert!(may_approve(false, 0));
    }

    #[test]
    fn reasons_parties_and_invitations() {
        assert_eq!(check_reason("  lost  ", "/reason"), Ok("lost".into()));
        assert!(check_reason(" ", "/reason").is_err());
        assert!(check_reason(&"x".repeat(REASON_MAX_CHARS + 1), "/reason").is_err());
        assert_eq!(party("a", Some("b"), "a"), Some(Party::Requester));
        assert_eq!(party("a", Some("b"), "b"), Some(Party::SecondHolder));
        assert_eq!(party("a", None, "c"), None);
        assert_eq!(party("a", Some("b"), "c"), None);
        let now = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        assert!(invitation_usable(None, now + Duration::seconds(1), now));
        assert!(!invitation_usable(None, now, now));
        assert!(!invitation_usable(Some(now), now + Duration::hours(1), now));
    }

    #[test]
    fn the_second_holders_name_is_compared_without_case_or_accents() {
        use crate::filing::ComplainantIdentity;
        let id =
            |given: Option<&str>, family: Option<&str>, name: Option<&str>| ComplainantIdentity {
                given_name: given.map(str::to_owned),
                family_name: family.map(str::to_owned),
                name: name.map(str::to_owned),
                ..ComplainantIdentity::default()
            };
        let jordi = id(Some("Jordi"), Some("Puig Ferrer"), None);
        for (invited, expected) in [
            ("Jordi Puig", NameCheck::Matches),
            ("JORDI PUIG-FERRER", NameCheck::Matches),
            ("jordi  ferrer", NameCheck::Matches),
            ("Jordi", NameCheck::Differs),
            ("Jordi Vidal", NameCheck::Differs),
            ("Marta Puig", NameCheck::Differs),
            ("", NameCheck::Differs),
        ] {
            assert_eq!(compare_holder_name(invited, &jordi), expected, "{invited}");
        }
        let accented = id(Some("Łukasz"), Some("Żółć"), None);
        assert_eq!(
            compare_holder_name("Lukasz Zolc", &accented),
            NameCheck::Matches
        );
        // Letter variants and transliterations (reported from outside: each was `differs`).
        for (given, family, typed) in [
            ("Søren", "Østergård", "Soren Ostergard"),
            ("Đặng", "Văn Lâm", "Dang Van Lam"),
            ("Johann", "Strauß", "Johann Strauss"),
            ("İsmail", "Işık", "ISMAIL ISIK"),
        ] {
            let who = id(Some(given), Some(family), None);
            assert_eq!(
                compare_holder_name(typed, &who),
                NameCheck::Matches,
                "{typed}"
            );
        }
        // The family name alone, or twice, is not the person.
        assert_eq!(compare_holder_name("Puig", &jordi), NameCheck::Differs);
        assert_eq!(compare_holder_name("Puig Puig", &jordi), NameCheck::Differs);
        assert_eq!(
            compare_holder_name("łukasz żółć", &accented),
            NameCheck::Matches
        );
        let nfd = id(Some("Jose\u{301}"), Some("Garci\u{301}a"), None);
        assert_eq!(compare_holder_name("José García", &nfd), NameCheck::Matches);
        let only_name = id(None, None, Some("Anna Puig"));
        assert_eq!(
            compare_holder_name("Anna Puig", &only_name),
            NameCheck::Matches
        );
        assert_eq!(compare_holder_name("Anna", &only_name), NameCheck::Differs);
        assert_eq!(
            compare_holder_name("Anna Puig", &id(None, None, None)),
            NameCheck::Unknown
        );
        assert_eq!(Party::parse("second_holder"), Some(Party::SecondHolder));
        assert_eq!(Party::parse("x"), None);
    }
}
