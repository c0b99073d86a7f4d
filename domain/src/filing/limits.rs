//! The limits of what a citizen or an officer may write into a filing, in one place.
//! Lengths are in Unicode scalar values (what a person counts as characters), after
//! surrounding white space is trimmed. The contract (`openapi.yaml`) shows each as
//! `maxLength`, `maximum` or `maxItems`; the handlers' types take them from here.

/// The place's free-text description (street, landmark, public-transport line).
pub const PLACE_DESCRIPTION_MAX: usize = 500;
/// A contact e-mail address (RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an
/// address at most 254).
pub const EMAIL_MAX: usize = 254;
/// A contact phone number, as typed (E.164 is 15 digits; room for spaces and a prefix).
pub const PHONE_MAX: usize = 30;
/// A postal address for a confirmation by post.
pub const POSTAL_ADDRESS_MAX: usize = 500;
/// The citizen's answer to an officer's information request.
pub const ANSWER_MAX: usize = 4000;
/// An officer's question to the citizen.
pub const QUESTION_MAX: usize = 2000;
/// An officer's explanation of a decision (reject, redirect, transfer), shown to the citizen.
pub const EXPLANATION_MAX: usize = 2000;
/// Where the citizen should go instead (redirect, reject).
pub const WHERE_TO_GO_MAX: usize = 500;
/// A decision's reason code (`not_a_police_matter`, `duplicate`, `wrong_unit`).
pub const REASON_CODE_MAX: usize = 64;
/// An official record number, entered or generated.
pub const RECORD_NUMBER_MAX: usize = 64;
/// A unit id, as given for a transfer.
pub const UNIT_ID_MAX: usize = 200;
/// An officer id, as given for an assignment.
pub const OFFICER_ID_MAX: usize = 200;
/// An internal note of the unit.
pub const NOTE_MAX: usize = 4000;
/// The justification of an export to the records system.
pub const JUSTIFICATION_MAX: usize = 500;
/// Facts dated this far in the future (clock skew between a phone and the server) are
/// still accepted, in minutes.
pub const FUTURE_SKEW_MINUTES: i64 = 5;
/// Page sizes of the citizen's list of filings.
pub const FILINGS_PAGE_DEFAULT: i64 = 20;
pub const FILINGS_PAGE_MAX: i64 = 100;
/// Page sizes of a unit's queue.
pub const QUEUE_PAGE_DEFAULT: i64 = 50;
pub const QUEUE_PAGE_MAX: i64 = 200;
/// Page sizes of the audit-trail reader.
pub const AUDIT_PAGE_DEFAULT: i64 = 100;
pub const AUDIT_PAGE_MAX: i64 = 500;
